//! Loading plugins into a real host for tests.

use ao_plugin_host::bindings::v0_1::{Event, Priority};
use ao_plugin_host::cache::CompiledCache;
use ao_plugin_host::{Grant, InstanceSettings, Limits, LoadedPlugin, PluginEngine, PluginInstance};
use std::sync::{Arc, OnceLock};

pub fn engine() -> &'static PluginEngine {
    static ENGINE: OnceLock<PluginEngine> = OnceLock::new();
    ENGINE.get_or_init(|| PluginEngine::new().unwrap())
}

/// One compiled cache shared by the tests of this binary.
pub fn cache() -> &'static CompiledCache {
    static CACHE: OnceLock<(tempfile::TempDir, CompiledCache)> = OnceLock::new();
    &CACHE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let cache = CompiledCache::new(dir.path().join("compiled"));
            (dir, cache)
        })
        .1
}

pub fn load_file(path: &str) -> LoadedPlugin {
    let bytes = std::fs::read(path).unwrap();
    LoadedPlugin::load(engine(), cache(), &bytes, path).unwrap_or_else(|e| panic!("{e}"))
}

/// A first-party plugin by file name (`slack.wasm`).
pub fn load_builtin(file_name: &str) -> LoadedPlugin {
    let builtin = ao_builtin_plugins::builtins()
        .into_iter()
        .find(|b| b.file_name == file_name)
        .unwrap();
    LoadedPlugin::load(engine(), cache(), builtin.wasm, file_name).unwrap_or_else(|e| panic!("{e}"))
}

pub fn instance(
    plugin: &LoadedPlugin,
    settings: serde_json::Value,
    grant: Grant,
) -> PluginInstance {
    plugin.instantiate(InstanceSettings {
        settings: settings.as_object().cloned().unwrap_or_default(),
        grant,
        limits: Limits::default(),
        ..InstanceSettings::default()
    })
}

pub fn http_grant(hosts: &[&str]) -> Grant {
    Grant {
        http: hosts.iter().map(|h| h.to_string()).collect(),
        ..Grant::default()
    }
}

pub fn event(kind: &str, message: &str) -> Event {
    Event {
        id: "evt-1".into(),
        kind: kind.into(),
        priority: Priority::Urgent,
        session_id: "ao-7".into(),
        project_id: "web".into(),
        timestamp: 1_764_000_000_000,
        message: message.into(),
        pr_url: Some("https://github.com/acme/web/pull/42".into()),
        session_url: Some("http://127.0.0.1:3000/sessions/ao-7".into()),
        data: r#"{"ci":"failing"}"#.into(),
    }
}

/// Shared by a few tests: the fixture that misbehaves on request.
pub fn hostile() -> LoadedPlugin {
    load_file(ao_builtin_plugins::fixtures::HOSTILE)
}

pub fn arc<T>(t: T) -> Arc<T> {
    Arc::new(t)
}
