// Hand-written: the `notifier` interface's exports, delegating to the
// registered ao.Notifier (and its optional interfaces).
package export_ao_plugin_notifier

import (
	ao "github.com/ao-dev/ao/sdk/go"
	"github.com/ao-dev/ao/sdk/go/internal/registry"
	nt "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_notifier_types"
	types "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_types"
	wit "github.com/ao-dev/ao/sdk/go/internal/witpkg/types"
)

func impl() ao.Notifier { return registry.Plugin.(ao.Notifier) }

func unit(err error) wit.Result[wit.Unit, types.PluginError] {
	if err != nil {
		return wit.Err[wit.Unit](ao.ToVariant(err))
	}
	return wit.Ok[wit.Unit, types.PluginError](wit.Unit{})
}

func Notify(e nt.Event) wit.Result[wit.Unit, types.PluginError] { return unit(impl().Notify(e)) }

func NotifyWithActions(e nt.Event, actions []nt.Action) wit.Result[wit.Unit, types.PluginError] {
	if a, ok := impl().(ao.ActionNotifier); ok {
		return unit(a.NotifyWithActions(e, actions))
	}
	return unit(impl().Notify(e))
}

func Post(message string, c nt.MessageContext) wit.Result[wit.Option[string], types.PluginError] {
	if p, ok := impl().(ao.Poster); ok {
		id, err := p.Post(message, c)
		if err != nil {
			return wit.Err[wit.Option[string]](ao.ToVariant(err))
		}
		return wit.Ok[wit.Option[string], types.PluginError](id)
	}
	return wit.Err[wit.Option[string]](ao.ToVariant(ao.ErrUnsupported("post")))
}
