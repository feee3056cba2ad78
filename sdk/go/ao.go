// Package ao is the Go SDK for ao plugins: WebAssembly components that play
// one or more roles (tracker, scm, notifier, agent) and reach the outside
// world only through services the host grants them.
//
// The concepts and names follow the Rust SDK (sdk/rust): a manifest, one
// interface per role, the [PluginError] variant as Go errors, and the host
// services in sub-packages: [github.com/ao-dev/ao/sdk/go/http],
// [github.com/ao-dev/ao/sdk/go/config], [github.com/ao-dev/ao/sdk/go/secrets],
// [github.com/ao-dev/ao/sdk/go/log].
//
// A plugin is a main package that exports one world:
//
//	package main
//
//	import (
//		ao "github.com/ao-dev/ao/sdk/go"
//		"github.com/ao-dev/ao/sdk/go/worlds/notifier"
//	)
//
//	type Hello struct{}
//
//	func (Hello) Manifest() ao.Manifest { ... }
//	func (Hello) Notify(e ao.Event) error { ... }
//
//	func init() { notifier.Export(Hello{}) }
//	func main() {}
//
// Build it with `ao plugin build` (mainline Go, GOOS=wasip1, then ao makes
// the component); nothing but Go and ao is needed.
package ao

import (
	agenttypes "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_agent_types"
	notifiertypes "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_notifier_types"
	scmtypes "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_scm_types"
	trackertypes "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_tracker_types"
	types "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_types"
	wit "github.com/ao-dev/ao/sdk/go/internal/witpkg/types"
)

// WitVersion is the version of the ao:plugin contract this SDK speaks.
const WitVersion = "0.1.0"

// Option is a WIT option: [Some] or [None].
type Option[T any] = wit.Option[T]

// Some is an option holding v.
func Some[T any](v T) Option[T] { return wit.Some(v) }

// None is an empty option.
func None[T any]() Option[T] { return wit.None[T]() }

// SomeIf is Some(v) when ok, else None: for Go's `v, ok` results.
func SomeIf[T any](v T, ok bool) Option[T] {
	if ok {
		return wit.Some(v)
	}
	return wit.None[T]()
}

// Shared types: the manifest, projects, the error variant.
type (
	Manifest     = types.Manifest
	Capabilities = types.Capabilities
	Role         = types.Role
	Project      = types.Project
	RateLimit    = types.RateLimit
	PluginError  = types.PluginError
	TimestampMs  = types.TimestampMs
)

// Roles.
const (
	RoleTracker  = types.RoleTracker
	RoleScm      = types.RoleScm
	RoleNotifier = types.RoleNotifier
	RoleAgent    = types.RoleAgent
)

// Tracker records.
type (
	Issue       = trackertypes.Issue
	IssueState  = trackertypes.IssueState
	IssueFilter = trackertypes.IssueFilter
	IssueUpdate = trackertypes.IssueUpdate
	NewIssue    = trackertypes.NewIssue
)

// Issue states.
const (
	IssueStateOpen       = trackertypes.IssueStateOpen
	IssueStateInProgress = trackertypes.IssueStateInProgress
	IssueStateClosed     = trackertypes.IssueStateClosed
	IssueStateCancelled  = trackertypes.IssueStateCancelled
)

// Notifier records.
type (
	Event          = notifiertypes.Event
	Priority       = notifiertypes.Priority
	Action         = notifiertypes.Action
	MessageContext = notifiertypes.MessageContext
)

// Priorities.
const (
	PriorityUrgent  = notifiertypes.PriorityUrgent
	PriorityAction  = notifiertypes.PriorityAction
	PriorityWarning = notifiertypes.PriorityWarning
	PriorityInfo    = notifiertypes.PriorityInfo
)

// PriorityName is `urgent`, `action`, `warning` or `info`.
func PriorityName(p Priority) string {
	switch p {
	case PriorityUrgent:
		return "urgent"
	case PriorityAction:
		return "action"
	case PriorityWarning:
		return "warning"
	default:
		return "info"
	}
}

// SCM records.
type (
	PrInfo              = scmtypes.PrInfo
	PrState             = scmtypes.PrState
	PrSummary           = scmtypes.PrSummary
	CiCheck             = scmtypes.CiCheck
	CheckStatus         = scmtypes.CheckStatus
	CiSummary           = scmtypes.CiSummary
	Review              = scmtypes.Review
	ReviewState         = scmtypes.ReviewState
	ReviewDecision      = scmtypes.ReviewDecision
	ReviewComment       = scmtypes.ReviewComment
	Mergeability        = scmtypes.Mergeability
	MergeMethod         = scmtypes.MergeMethod
	PrEnrichment        = scmtypes.PrEnrichment
	WebhookRequest      = scmtypes.WebhookRequest
	WebhookVerification = scmtypes.WebhookVerification
	WebhookEvent        = scmtypes.WebhookEvent
)

// Agent records.
type (
	Activity       = agenttypes.Activity
	ActivityReport = agenttypes.ActivityReport
	CommandSpec    = agenttypes.CommandSpec
	HookFile       = agenttypes.HookFile
	LaunchConfig   = agenttypes.LaunchConfig
	PromptDelivery = agenttypes.PromptDelivery
	SessionContext = agenttypes.SessionContext
	SessionInfo    = agenttypes.SessionInfo
)

// NewManifest is a manifest with no roles and no capabilities yet.
func NewManifest(name, version, description string) Manifest {
	return Manifest{
		Name:        name,
		Version:     version,
		Description: description,
		Roles:       []Role{},
		Capabilities: Capabilities{
			HttpHosts: []string{},
			Secrets:   []string{},
			Programs:  []string{},
			ReadDirs:  []string{},
		},
	}
}
