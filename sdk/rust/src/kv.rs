//! The plugin's private key-value store (ETags, cursors, fingerprints).

use crate::PluginError;
use ao_plugin_imports::ao::plugin::kv as host;

/// Reads a key.
pub fn get(key: &str) -> Result<Option<String>, PluginError> {
    host::get(key)
}
/// Writes a key.
pub fn set(key: &str, value: &str) -> Result<(), PluginError> {
    host::set(key, value)
}
/// Deletes a key.
pub fn delete(key: &str) -> Result<(), PluginError> {
    host::delete(key)
}
