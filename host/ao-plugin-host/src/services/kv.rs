//! `ao:plugin/kv`: the plugin's private store, when granted.

use super::HostState;
use crate::bindings::v0_1::{PluginError, ao::plugin::kv::Host};
use crate::kv_store::KvStore;

impl HostState {
    fn store(&mut self) -> Result<&mut KvStore, PluginError> {
        if !self.caps.kv {
            return Err(self.deny("the key-value store", "kv", "true"));
        }
        self.kv.as_mut().ok_or_else(|| {
            PluginError::Other("no key-value store is configured for this host".into())
        })
    }
}

impl Host for HostState {
    fn get(&mut self, key: String) -> Result<Option<String>, PluginError> {
        self.store()?.get(&key).map_err(PluginError::Other)
    }

    fn set(&mut self, key: String, value: String) -> Result<(), PluginError> {
        self.store()?
            .set(&key, &value)
            .map_err(PluginError::InvalidInput)
    }

    fn delete(&mut self, key: String) -> Result<(), PluginError> {
        self.store()?.delete(&key).map_err(PluginError::Other)
    }
}
