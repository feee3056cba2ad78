package ao

import (
	"errors"
	"fmt"

	types "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_types"
)

// Error is a [PluginError] as a Go error: return it from any role method and
// the host gets that variant. Any other error becomes `other`.
type Error struct {
	Variant PluginError
}

func (e *Error) Error() string { return Describe(e.Variant) }

// Kind is the variant's name: `auth`, `not-found`, `rate-limited`,
// `transient`, `invalid-input`, `denied`, `unsupported`, `other`.
func (e *Error) Kind() string {
	return [...]string{"auth", "not-found", "rate-limited", "transient", "invalid-input", "denied", "unsupported", "other"}[e.Variant.Tag()]
}

// Describe is a one-line description of a variant.
func Describe(v PluginError) string {
	switch v.Tag() {
	case types.PluginErrorAuth:
		return "authentication failed: " + v.Auth()
	case types.PluginErrorNotFound:
		return "not found: " + v.NotFound()
	case types.PluginErrorRateLimited:
		r := v.RateLimited()
		if r.RetryAfterMs.IsSome() {
			return fmt.Sprintf("rate limited, retry after %d ms: %s", r.RetryAfterMs.Some(), r.Message)
		}
		return "rate limited: " + r.Message
	case types.PluginErrorTransient:
		return "transient failure: " + v.Transient()
	case types.PluginErrorInvalidInput:
		return "invalid input: " + v.InvalidInput()
	case types.PluginErrorDenied:
		return "denied: " + v.Denied()
	case types.PluginErrorUnsupported:
		return "unsupported: " + v.Unsupported()
	default:
		return v.Other()
	}
}

// ErrAuth: credentials are missing, wrong or lack a scope.
func ErrAuth(message string) error { return &Error{types.MakePluginErrorAuth(message)} }

// ErrNotFound: the thing asked for does not exist.
func ErrNotFound(message string) error { return &Error{types.MakePluginErrorNotFound(message)} }

// ErrRateLimited: retry after retryAfterMs (None when unknown).
func ErrRateLimited(retryAfterMs Option[uint32], message string) error {
	return &Error{types.MakePluginErrorRateLimited(types.RateLimit{RetryAfterMs: retryAfterMs, Message: message})}
}

// ErrTransient: a failure that may pass (timeout, 5xx).
func ErrTransient(message string) error { return &Error{types.MakePluginErrorTransient(message)} }

// ErrInvalidInput: the arguments or the plugin's settings are not acceptable.
func ErrInvalidInput(message string) error {
	return &Error{types.MakePluginErrorInvalidInput(message)}
}

// ErrDenied: the host refused a capability.
func ErrDenied(message string) error { return &Error{types.MakePluginErrorDenied(message)} }

// ErrUnsupported: this plugin does not implement the call.
func ErrUnsupported(call string) error {
	return &Error{types.MakePluginErrorUnsupported(call + " is not implemented by this plugin")}
}

// ErrOther: anything else.
func ErrOther(message string) error { return &Error{types.MakePluginErrorOther(message)} }

// FromVariant wraps a variant received from the host.
func FromVariant(v PluginError) error { return &Error{v} }

// ToVariant is the variant an error stands for (`other` for plain errors).
func ToVariant(err error) PluginError {
	var e *Error
	if errors.As(err, &e) {
		return e.Variant
	}
	return types.MakePluginErrorOther(err.Error())
}
