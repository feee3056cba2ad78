// Hand-written: the `agent` interface's exports, delegating to the
// registered ao.Agent (and its optional interfaces).
package export_ao_plugin_agent

import (
	ao "github.com/ao-dev/ao/sdk/go"
	"github.com/ao-dev/ao/sdk/go/internal/registry"
	at "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_agent_types"
	types "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_types"
	wit "github.com/ao-dev/ao/sdk/go/internal/witpkg/types"
)

type E = types.PluginError

func impl() ao.Agent { return registry.Plugin.(ao.Agent) }

func result[T any](v T, err error) wit.Result[T, E] {
	if err != nil {
		return wit.Err[T](ao.ToVariant(err))
	}
	return wit.Ok[T, E](v)
}

func ProcessName() string { return impl().ProcessName() }

func PromptDeliveryMode() at.PromptDelivery { return impl().PromptDelivery() }

func LaunchCommand(c at.LaunchConfig) wit.Result[at.CommandSpec, E] {
	return result(impl().LaunchCommand(c))
}

func Environment(c at.LaunchConfig) wit.Result[[]wit.Tuple2[string, string], E] {
	e, ok := impl().(ao.AgentEnvironment)
	if !ok {
		return result([]wit.Tuple2[string, string]{}, nil)
	}
	pairs, err := e.Environment(c)
	out := make([]wit.Tuple2[string, string], 0, len(pairs))
	for _, kv := range pairs {
		out = append(out, wit.Tuple2[string, string]{F0: kv[0], F1: kv[1]})
	}
	return result(out, err)
}

func WorkspaceHooks(c at.SessionContext) wit.Result[[]at.HookFile, E] {
	if h, ok := impl().(ao.WorkspaceHooker); ok {
		return result(h.WorkspaceHooks(c))
	}
	return result([]at.HookFile{}, nil)
}

func ActivityFromTerminal(text string) wit.Option[at.ActivityReport] {
	return impl().ActivityFromTerminal(text)
}

func ActivityFromHookEvent(c at.SessionContext, event string) wit.Option[at.ActivityReport] {
	if h, ok := impl().(ao.HookEventReader); ok {
		return h.ActivityFromHookEvent(c, event)
	}
	return wit.None[at.ActivityReport]()
}

func TranscriptPaths(c at.SessionContext) []string {
	if t, ok := impl().(ao.TranscriptReader); ok {
		return t.TranscriptPaths(c)
	}
	return []string{}
}

func ActivityFromTranscript(c at.SessionContext, tail string) wit.Option[at.ActivityReport] {
	if t, ok := impl().(ao.TranscriptReader); ok {
		return t.ActivityFromTranscript(c, tail)
	}
	return wit.None[at.ActivityReport]()
}

func GetSessionInfo(c at.SessionContext, tail string) wit.Result[wit.Option[at.SessionInfo], E] {
	if s, ok := impl().(ao.SessionInfoReader); ok {
		return result(s.GetSessionInfo(c, tail))
	}
	return result(wit.None[at.SessionInfo](), nil)
}

func RestoreCommand(c at.SessionContext, l at.LaunchConfig) wit.Result[wit.Option[at.CommandSpec], E] {
	if r, ok := impl().(ao.Restorer); ok {
		return result(r.RestoreCommand(c, l))
	}
	return result(wit.None[at.CommandSpec](), nil)
}
