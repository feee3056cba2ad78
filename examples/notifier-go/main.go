// An example notifier in Go: POSTs each event as a small JSON message to the
// URL in its settings. Its twins: examples/notifier-rust, examples/notifier-ts.
//
// Build: `ao plugin build examples/notifier-go` (mainline Go, no TinyGo).
package main

import (
	"fmt"

	ao "github.com/ao-dev/ao/sdk/go"
	"github.com/ao-dev/ao/sdk/go/config"
	"github.com/ao-dev/ao/sdk/go/http"
	"github.com/ao-dev/ao/sdk/go/log"
	"github.com/ao-dev/ao/sdk/go/worlds/notifier"
)

type Hook struct{}

func deliver(body map[string]any) error {
	url, err := config.String("url")
	if err != nil {
		return err
	}
	resp, err := http.Post(url).Header("x-ao-plugin", "notifier-go").JSON(body).Send()
	if err != nil {
		return err
	}
	if _, err := resp.ErrorForStatus(); err != nil {
		return err
	}
	log.Debug("delivered to %s: %d", url, resp.Status)
	return nil
}

func text(e ao.Event) string {
	return fmt.Sprintf("[%s] %s: %s", ao.PriorityName(e.Priority), e.Kind, e.Message)
}

func (Hook) Manifest() ao.Manifest {
	m := ao.NewManifest("notifier-go", "0.1.0", "Posts events as JSON (a notifier written in Go)")
	m.Roles = []ao.Role{ao.RoleNotifier}
	m.Capabilities.HttpHosts = []string{"*"}
	return m
}

func (Hook) Notify(e ao.Event) error {
	body := map[string]any{"text": text(e), "session": e.SessionId, "prUrl": nil}
	if e.PrUrl.IsSome() {
		body["prUrl"] = e.PrUrl.Some()
	}
	return deliver(body)
}

func (Hook) NotifyWithActions(e ao.Event, actions []ao.Action) error {
	labels := make([]string, 0, len(actions))
	for _, a := range actions {
		labels = append(labels, a.Label)
	}
	return deliver(map[string]any{"text": text(e), "session": e.SessionId, "actions": labels})
}

func (Hook) Post(message string, c ao.MessageContext) (ao.Option[string], error) {
	var session any
	if c.SessionId.IsSome() {
		session = c.SessionId.Some()
	}
	return ao.None[string](), deliver(map[string]any{"text": message, "session": session})
}

func init() { notifier.Export(Hook{}) }

func main() {}
