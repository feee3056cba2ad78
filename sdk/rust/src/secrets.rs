//! Secrets by name. Prefer [`crate::http::RequestBuilder::secret_header`],
//! which keeps the value out of plugin memory altogether.

use crate::PluginError;
use ao_plugin_imports::ao::plugin::secrets as host;

/// The value of a granted secret.
pub fn get(name: &str) -> Result<String, PluginError> {
    host::get(name)
}
