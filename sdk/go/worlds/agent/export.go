// Package agent is the agent-plugin world: importing it exports the component's
// functions (wit_exports.go, generated); Export names the value that serves them.
package agent

import (
	ao "github.com/ao-dev/ao/sdk/go"
	"github.com/ao-dev/ao/sdk/go/internal/registry"
)

// Export makes p this component's agent. Call it from an init function.
func Export(p ao.Agent) { registry.Plugin = p }
