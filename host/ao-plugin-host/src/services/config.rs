//! `ao:plugin/config`: the plugin's own settings, as JSON.

use super::HostState;
use crate::bindings::v0_1::ao::plugin::config::Host;

impl Host for HostState {
    fn get_all(&mut self) -> String {
        serde_json::Value::Object(self.settings.clone()).to_string()
    }

    fn get(&mut self, key: String) -> Option<String> {
        self.settings.get(&key).map(|v| v.to_string())
    }
}
