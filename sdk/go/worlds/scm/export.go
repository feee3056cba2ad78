// Package scm is the scm-plugin world: importing it exports the component's
// functions (wit_exports.go, generated); Export names the value that serves them.
package scm

import (
	ao "github.com/ao-dev/ao/sdk/go"
	"github.com/ao-dev/ao/sdk/go/internal/registry"
)

// Export makes p this component's scm. Call it from an init function.
func Export(p ao.Scm) { registry.Plugin = p }
