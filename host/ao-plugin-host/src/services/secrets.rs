//! `ao:plugin/secrets`, and where secret values come from.

use super::HostState;
use crate::bindings::v0_1::{PluginError, ao::plugin::secrets::Host};
use std::collections::HashMap;

/// Where secret values come from. The default is ao's environment.
pub trait SecretSource: Send + Sync {
    fn get(&self, name: &str) -> Option<String>;
}

/// Secrets from the environment of the ao process.
#[derive(Debug, Default, Clone, Copy)]
pub struct EnvSecrets;

impl SecretSource for EnvSecrets {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

/// Secrets from a fixed map (tests, or a secrets file).
#[derive(Debug, Default, Clone)]
pub struct MapSecrets(pub HashMap<String, String>);

impl SecretSource for MapSecrets {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

impl HostState {
    /// The value of a secret the plugin may use.
    pub fn secret(&self, name: &str) -> Result<String, PluginError> {
        if !self.caps.allows_secret(name) {
            return Err(self.deny(&format!("secret `{name}`"), "secrets", name));
        }
        self.secrets.get(name).ok_or_else(|| {
            PluginError::Auth(format!(
                "secret `{name}` is granted but not set; export {name}=… before starting ao"
            ))
        })
    }
}

impl Host for HostState {
    /// Only a secret granted as readable: the others the host puts into
    /// requests itself, so their values never enter plugin memory.
    fn get(&mut self, name: String) -> Result<String, PluginError> {
        if self.caps.allows_secret(&name) && !self.caps.use_of(&name).read {
            let hint = format!(
                "to let it read the value, grant it as `{name}: {{ read: true }}` under plugins.{}.grant.secrets in agent-orchestrator.yaml",
                self.plugin
            );
            tracing::warn!(plugin = %self.label, "denied reading secret `{name}`: {hint}");
            return Err(PluginError::Denied(format!(
                "secret `{name}` is granted to plugin `{}` for HTTP headers the host fills, not to be read; {hint}",
                self.plugin
            )));
        }
        self.secret(&name)
    }
}
