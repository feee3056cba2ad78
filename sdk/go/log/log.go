// Package log writes into ao's log, tagged with the plugin's name by the host.
package log

import (
	"fmt"

	host "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_log"
)

// Debug logs at debug level.
func Debug(format string, args ...any) { host.Log(host.LevelDebug, fmt.Sprintf(format, args...)) }

// Info logs at info level.
func Info(format string, args ...any) { host.Log(host.LevelInfo, fmt.Sprintf(format, args...)) }

// Warn logs at warn level.
func Warn(format string, args ...any) { host.Log(host.LevelWarn, fmt.Sprintf(format, args...)) }

// Error logs at error level.
func Error(format string, args ...any) { host.Log(host.LevelError, fmt.Sprintf(format, args...)) }
