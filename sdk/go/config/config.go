// Package config gives typed access to the plugin's settings: its section of
// agent-orchestrator.yaml, as JSON.
package config

import (
	"encoding/json"
	"fmt"

	ao "github.com/ao-dev/ao/sdk/go"
	host "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_config"
)

// All decodes every setting into v (a pointer to a struct or map).
func All(v any) error {
	if err := json.Unmarshal([]byte(host.GetAll()), v); err != nil {
		return ao.ErrInvalidInput(fmt.Sprintf("plugin settings: %v", err))
	}
	return nil
}

// Get decodes one setting into v; false when it is not set.
func Get(key string, v any) (bool, error) {
	raw := host.Get(key)
	if raw.IsNone() {
		return false, nil
	}
	if err := json.Unmarshal([]byte(raw.Some()), v); err != nil {
		return true, ao.ErrInvalidInput(fmt.Sprintf("setting `%s`: %v", key, err))
	}
	return true, nil
}

// Require decodes one setting that must be present.
func Require(key string, v any) error {
	found, err := Get(key, v)
	if err != nil {
		return err
	}
	if !found {
		return ao.ErrInvalidInput(fmt.Sprintf("setting `%s` is missing; add it to this plugin's section of agent-orchestrator.yaml", key))
	}
	return nil
}

// String is a string setting that must be present.
func String(key string) (string, error) {
	var s string
	err := Require(key, &s)
	return s, err
}
