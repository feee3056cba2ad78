// Package secrets reads granted secrets by name. Prefer
// [github.com/ao-dev/ao/sdk/go/http.Request.SecretHeader], which keeps the
// value out of plugin memory altogether.
package secrets

import (
	ao "github.com/ao-dev/ao/sdk/go"
	host "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_secrets"
)

// Get is the value of a granted secret.
func Get(name string) (string, error) {
	r := host.Get(name)
	if r.IsErr() {
		return "", ao.FromVariant(r.Err())
	}
	return r.Ok(), nil
}
