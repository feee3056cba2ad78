// Package trackerscm is the tracker-scm-plugin world (one component serving
// both roles): importing it exports the component's functions
// (wit_exports.go, generated); Export names the value that serves them.
package trackerscm

import (
	ao "github.com/ao-dev/ao/sdk/go"
	"github.com/ao-dev/ao/sdk/go/internal/registry"
)

// TrackerScm plays both roles.
type TrackerScm interface {
	ao.Tracker
	ao.Scm
}

// Export makes p this component's tracker and SCM. Call it from an init function.
func Export(p TrackerScm) { registry.Plugin = p }
