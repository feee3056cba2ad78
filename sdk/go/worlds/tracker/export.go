// Package tracker is the tracker-plugin world: importing it exports the component's
// functions (wit_exports.go, generated); Export names the value that serves them.
package tracker

import (
	ao "github.com/ao-dev/ao/sdk/go"
	"github.com/ao-dev/ao/sdk/go/internal/registry"
)

// Export makes p this component's tracker. Call it from an init function.
func Export(p ao.Tracker) { registry.Plugin = p }
