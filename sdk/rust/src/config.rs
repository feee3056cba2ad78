//! Typed access to the plugin's settings from `agent-orchestrator.yaml`.

use crate::PluginError;
use ao_plugin_imports::ao::plugin::config as host;
use serde::de::DeserializeOwned;

/// All settings, deserialized into `T`. Field errors name the field.
pub fn all<T: DeserializeOwned>() -> Result<T, PluginError> {
    serde_json::from_str(&host::get_all())
        .map_err(|e| PluginError::InvalidInput(format!("plugin settings: {e}")))
}

/// One setting, if present.
pub fn get<T: DeserializeOwned>(key: &str) -> Result<Option<T>, PluginError> {
    match host::get(key) {
        None => Ok(None),
        Some(json) => serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| PluginError::InvalidInput(format!("setting `{key}`: {e}"))),
    }
}

/// One setting that must be present.
pub fn require<T: DeserializeOwned>(key: &str) -> Result<T, PluginError> {
    get(key)?.ok_or_else(|| {
        PluginError::InvalidInput(format!(
            "setting `{key}` is missing; add it to this plugin's section of agent-orchestrator.yaml"
        ))
    })
}
