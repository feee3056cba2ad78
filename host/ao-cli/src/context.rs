//! Everything a command needs, resolved before it runs: paths, the validated
//! config, the plugin engine and catalog, and per-plugin grants and limits.

use crate::error::{CommandError, Result};
use ao_core::config::locate;
use ao_core::{Config, Paths, paths};
use ao_plugin_host::cache::CompiledCache;
use ao_plugin_host::discovery::{Builtin, Catalog, Discovered, PluginSource};
use ao_plugin_host::{Grant, InstanceSettings, Limits, PluginEngine};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub struct Context {
    pub paths: Paths,
    pub config: Config,
    pub engine: PluginEngine,
    pub cache: CompiledCache,
}

impl Context {
    /// Finds and validates the config; fails before anything else happens.
    pub fn new(explicit_config: Option<PathBuf>) -> Result<Context> {
        let paths = Paths::from_env();
        let cwd = std::env::current_dir()?;
        let config = match locate::find(explicit_config.as_deref(), &cwd, &paths.user_config) {
            Some(path) => Config::load(&path)?,
            None => Config::default(),
        };
        let engine = PluginEngine::new().map_err(|e| {
            CommandError::external(format!("cannot start the WebAssembly engine: {e:#}"))
        })?;
        let cache = CompiledCache::new(&paths.compiled_cache);
        Ok(Context {
            paths,
            config,
            engine,
            cache,
        })
    }

    /// The project's plugin directory, when a project config is in use.
    pub fn project_plugins(&self) -> Option<PathBuf> {
        self.config.root().map(|root| paths::project_plugins(&root))
    }

    /// Loads every plugin: built-in, user, project.
    pub fn catalog(&self) -> Catalog {
        let builtins: Vec<Builtin> = ao_builtin_plugins::builtins()
            .into_iter()
            .map(|b| Builtin {
                file_name: b.file_name,
                wasm: b.wasm,
                default_grant: Grant {
                    http: b.http.iter().map(|s| s.to_string()).collect(),
                    programs: b.programs.iter().map(|s| s.to_string()).collect(),
                    read_dirs: b.read_dirs.iter().map(|s| s.to_string()).collect(),
                    secrets: b.secrets.iter().map(|s| s.to_string()).collect(),
                    kv: b.kv,
                },
            })
            .collect();
        let mut dirs = vec![PluginSource::User(self.paths.user_plugins.clone())];
        if let Some(project) = self.project_plugins() {
            dirs.push(PluginSource::Project(project));
        }
        Catalog::discover(&self.engine, &self.cache, &builtins, &dirs)
    }

    /// Settings for one instance of `plugin`.
    pub fn instance_settings(
        &self,
        plugin: &Discovered,
        label: &str,
        settings: serde_json::Map<String, serde_json::Value>,
    ) -> InstanceSettings {
        instance_settings_for(&self.config, &self.paths, plugin, label, settings)
    }

    /// The grant in force for a plugin: the config's, else its default.
    pub fn grant_for(&self, plugin: &Discovered) -> Grant {
        grant_for(&self.config, plugin)
    }
}

/// The grant in force for a plugin: the config's, else its default.
pub fn grant_for(config: &Config, plugin: &Discovered) -> Grant {
    let name = &plugin.plugin.manifest().name;
    match config.plugins.get(name).and_then(|p| p.grant.clone()) {
        Some(g) => Grant {
            http: g.http,
            secrets: g.secrets,
            programs: g.programs,
            read_dirs: g.read_dirs,
            kv: g.kv,
        },
        None => plugin.default_grant.clone(),
    }
}

/// Resource limits of a plugin: defaults, overridden by `plugins.<name>.limits`.
pub fn limits_for(config: &Config, name: &str) -> Limits {
    let mut limits = Limits::default();
    if let Some(l) = config.plugins.get(name).map(|p| p.limits) {
        if let Some(mib) = l.memory_mib {
            limits.memory_bytes = (mib as usize) << 20;
        }
        if let Some(ms) = l.timeout_ms {
            limits.call_timeout = Duration::from_millis(ms.into());
        }
        if let Some(ms) = l.http_timeout_ms {
            limits.http_timeout = Duration::from_millis(ms.into());
        }
        if let Some(mib) = l.max_response_mib {
            limits.max_response_bytes = (mib as usize) << 20;
        }
    }
    limits
}

/// Settings for one instance of `plugin`.
pub fn instance_settings_for(
    config: &Config,
    paths: &Paths,
    plugin: &Discovered,
    label: &str,
    settings: serde_json::Map<String, serde_json::Value>,
) -> InstanceSettings {
    InstanceSettings {
        label: Some(label.to_string()),
        settings,
        grant: grant_for(config, plugin),
        limits: limits_for(config, &plugin.plugin.manifest().name),
        secrets: Arc::new(ao_plugin_host::services::EnvSecrets),
        kv_database: Some(ao_core::state::database_path(&paths.data)),
        home: std::env::var_os("HOME").map(PathBuf::from),
        clock: ao_plugin_host::Clock::system(),
    }
}
