package ao

import scmtypes "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_scm_types"

// Plugin is what every plugin is: it says who it is and what it needs.
type Plugin interface {
	// Manifest is read by the host before anything else.
	Manifest() Manifest
}

// Tracker reads and updates issues. The optional calls are separate
// interfaces ([IssueLister], [IssueCreator], [IssueUpdater],
// [CompletionChecker], [IssueLabeler]); a tracker that lacks one answers
// `unsupported` (or, for IsCompleted, reads the issue's state).
type Tracker interface {
	Plugin
	// GetIssue is one issue by id.
	GetIssue(project Project, id string) (Issue, error)
	// IssueURL is the issue's web URL.
	IssueURL(project Project, id string) string
	// BranchName is the branch a session for this issue works on.
	BranchName(project Project, id string) string
	// GeneratePrompt is the task text for a coding agent.
	GeneratePrompt(project Project, id string) (string, error)
}

// IssueLister lists issues matching a filter.
type IssueLister interface {
	ListIssues(project Project, filter IssueFilter) ([]Issue, error)
}

// IssueCreator creates issues.
type IssueCreator interface {
	CreateIssue(project Project, issue NewIssue) (Issue, error)
}

// IssueUpdater changes state, labels, assignee, or comments.
type IssueUpdater interface {
	UpdateIssue(project Project, id string, update IssueUpdate) error
}

// CompletionChecker says whether an issue is done, when reading it is not the way.
type CompletionChecker interface {
	IsCompleted(project Project, id string) (bool, error)
}

// IssueLabeler gives the `#42`-style label for a URL this tracker owns.
type IssueLabeler interface {
	IssueLabel(project Project, url string) (string, bool)
}

// Notifier delivers events to people.
type Notifier interface {
	Plugin
	// Notify delivers one event.
	Notify(event Event) error
}

// ActionNotifier delivers an event with buttons or links (default: Notify).
type ActionNotifier interface {
	NotifyWithActions(event Event, actions []Action) error
}

// Poster posts free-form messages (default: unsupported); it returns the
// message id when the service has one.
type Poster interface {
	Post(message string, context MessageContext) (Option[string], error)
}

// Scm is pull requests, CI and reviews.
type Scm interface {
	Plugin
	DetectPr(project Project, branch string) (Option[PrInfo], error)
	GetPrState(project Project, pr PrInfo) (PrState, error)
	GetCiChecks(project Project, pr PrInfo) ([]CiCheck, error)
	GetReviews(project Project, pr PrInfo) ([]Review, error)
	GetPendingComments(project Project, pr PrInfo) ([]ReviewComment, error)
	MergePr(project Project, pr PrInfo, method MergeMethod) error
	ClosePr(project Project, pr PrInfo) error
}

// Agent adapts one coding-agent CLI.
type Agent interface {
	Plugin
	ProcessName() string
	PromptDelivery() PromptDelivery
	LaunchCommand(config LaunchConfig) (CommandSpec, error)
	ActivityFromTerminal(text string) Option[ActivityReport]
}

// Optional SCM calls; without them the defaults of every SDK apply
// (summary from the state, CI summary from the checks, review decision from
// the reviews, the rest `unsupported`).
type (
	PrSummarizer       interface{ GetPrSummary(Project, PrInfo) (PrSummary, error) }
	CiSummarizer       interface{ GetCiSummary(Project, PrInfo) (CiSummary, error) }
	ReviewDecider      interface{ GetReviewDecision(Project, PrInfo) (ReviewDecision, error) }
	MergeabilityReader interface{ GetMergeability(Project, PrInfo) (Mergeability, error) }
	PrEnricher         interface{ EnrichPrs(Project, []PrInfo) ([]PrEnrichment, error) }
	WebhookVerifier    interface{ VerifyWebhook(Project, WebhookRequest) (WebhookVerification, error) }
	WebhookParser      interface{ ParseWebhook(Project, WebhookRequest) (Option[WebhookEvent], error) }
)

// Optional agent calls; without them: no extra environment, no hooks, no
// transcript, no session info, no restore command.
type (
	AgentEnvironment interface {
		Environment(LaunchConfig) ([][2]string, error)
	}
	WorkspaceHooker interface {
		WorkspaceHooks(SessionContext) ([]HookFile, error)
	}
	HookEventReader interface {
		ActivityFromHookEvent(SessionContext, string) Option[ActivityReport]
	}
	TranscriptReader interface {
		TranscriptPaths(SessionContext) []string
		ActivityFromTranscript(SessionContext, string) Option[ActivityReport]
	}
	SessionInfoReader interface {
		GetSessionInfo(SessionContext, string) (Option[SessionInfo], error)
	}
	Restorer interface {
		RestoreCommand(SessionContext, LaunchConfig) (Option[CommandSpec], error)
	}
)

// SummarizeChecks reads CI checks the way ao does: any failure fails,
// anything still running is pending, no checks is none.
func SummarizeChecks(checks []CiCheck) CiSummary {
	if len(checks) == 0 {
		return scmtypes.CiSummaryNone
	}
	pending := false
	for _, c := range checks {
		switch c.Status {
		case scmtypes.CheckStatusFailed:
			return scmtypes.CiSummaryFailing
		case scmtypes.CheckStatusPending, scmtypes.CheckStatusRunning:
			pending = true
		}
	}
	if pending {
		return scmtypes.CiSummaryPending
	}
	return scmtypes.CiSummaryPassing
}
