// Hand-written: the `plugin` interface's exports, delegating to the value
// registered by a world package's Export.
package export_ao_plugin_plugin

import (
	ao "github.com/ao-dev/ao/sdk/go"
	"github.com/ao-dev/ao/sdk/go/internal/registry"
	types "github.com/ao-dev/ao/sdk/go/internal/wit/ao_plugin_types"
)

func GetManifest() types.Manifest {
	return registry.Plugin.(ao.Plugin).Manifest()
}
