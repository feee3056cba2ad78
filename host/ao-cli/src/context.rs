//! Everything a command needs, resolved before it runs: paths, the validated
//! config (the user's own file under a repository's, whose parts that need
//! trust apply only once trusted), the plugin engine and catalog, and
//! per-plugin grants and limits.

use crate::error::{CommandError, Result};
use ao_core::config::locate;
use ao_core::trust::{self, Origin, TrustState, TrustStore};
use ao_core::{Config, Paths, paths};
use ao_plugin_host::cache::CompiledCache;
use ao_plugin_host::capability::SecretUse;
use ao_plugin_host::discovery::{Builtin, Catalog, Discovered, PluginSource};
use ao_plugin_host::{Grant, InstanceSettings, Limits, PluginEngine};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub struct Context {
    pub paths: Paths,
    pub config: Config,
    pub engine: PluginEngine,
    pub cache: CompiledCache,
    pub trust: Trust,
}

/// The trust decision about the config in use, and what it left out.
#[derive(Debug, Clone)]
pub struct Trust {
    /// The config file in use (`None`: no file).
    pub file: Option<PathBuf>,
    pub state: TrustState,
    /// What was ignored because the file is not trusted.
    pub ignored: Vec<String>,
}

impl Trust {
    /// One notice for the user, when something was ignored.
    pub fn notice(&self) -> Option<String> {
        if self.ignored.is_empty() {
            return None;
        }
        let file = self.file.as_ref()?;
        let why = match self.state {
            TrustState::Changed => "changed since you trusted it",
            _ => "is a repository's config you have not trusted",
        };
        Some(format!(
            "{} {why}; ignored until you trust it: {}. Review it, then run `ao trust` (a later change asks again)",
            file.display(),
            self.ignored.join(", ")
        ))
    }
}

/// The config a command uses: found as `locate` says, validated, layered
/// over the user's own file, and stripped of what needs trust until the
/// user trusts it.
pub fn load_config(paths: &Paths, explicit: Option<&Path>) -> Result<(Config, Trust)> {
    let cwd = std::env::current_dir()?;
    let Some(file) = locate::find(explicit, &cwd, &paths.user_config) else {
        return Ok((
            Config::default(),
            Trust {
                file: None,
                state: TrustState::User,
                ignored: Vec::new(),
            },
        ));
    };
    let mut config = Config::load(&file)?;
    let origin = trust::origin(&file, paths);
    let state = TrustStore::open(&paths.data).state(&file, origin);
    let mut ignored = Vec::new();
    if origin == Origin::Repository {
        let user = if paths.user_config.is_file() {
            Some(Config::load(&paths.user_config)?)
        } else {
            None
        };
        if !state.applies() {
            let plugins = trust::covered_files(&file);
            let names: Vec<String> = plugins[1..]
                .iter()
                .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect();
            if !names.is_empty() {
                ignored.push(format!(".ao/plugins/ ({})", names.join(", ")));
            }
            ignored.extend(config.drop_untrusted());
        }
        if let Some(user) = &user {
            config.layer_over(user);
        }
        if !state.applies() {
            let yours = user.as_ref().and_then(|u| u.default_permissions);
            ignored.extend(config.cap_permissions(yours.unwrap_or_default()));
        }
    }
    Ok((
        config,
        Trust {
            file: Some(file),
            state,
            ignored,
        },
    ))
}

impl Context {
    /// Finds and validates the config; fails before anything else happens.
    pub fn new(explicit_config: Option<PathBuf>) -> Result<Context> {
        let paths = Paths::from_env();
        let (config, trust) = load_config(&paths, explicit_config.as_deref())?;
        if let Some(notice) = trust.notice() {
            say_once(&notice);
        }
        secure_directories(&paths);
        let engine = PluginEngine::new().map_err(|e| {
            CommandError::external(format!("cannot start the WebAssembly engine: {e:#}"))
        })?;
        let cache = CompiledCache::new(&paths.compiled_cache);
        Ok(Context {
            paths,
            config,
            engine,
            cache,
            trust,
        })
    }

    /// The project's plugin directory, when a project config is in use and
    /// trusted (or the user's own).
    pub fn project_plugins(&self) -> Option<PathBuf> {
        if !self.trust.state.applies() {
            return None;
        }
        self.config.root().map(|root| paths::project_plugins(&root))
    }

    /// Loads every plugin: built-in, user, project.
    pub fn catalog(&self) -> Catalog {
        let builtins: Vec<Builtin> = ao_builtin_plugins::builtins()
            .into_iter()
            .map(|b| Builtin {
                file_name: b.file_name,
                wasm: b.wasm,
                sha256: b.sha256,
                default_grant: builtin_grant(&b),
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

/// A first-party plugin's default grant: each secret bound to its own
/// hosts (GitHub's token to api.github.com only).
fn builtin_grant(b: &ao_builtin_plugins::Builtin) -> Grant {
    let http: Vec<String> = b.http.iter().map(|s| s.to_string()).collect();
    Grant {
        secrets: b.secrets.iter().map(|s| s.to_string()).collect(),
        secret_use: b
            .secrets
            .iter()
            .filter(|s| !s.ends_with('*'))
            .map(|s| {
                let bound = SecretUse {
                    hosts: Some(http.clone()),
                    read: false,
                };
                (s.to_string(), bound)
            })
            .collect(),
        http,
        programs: b.programs.iter().map(|s| s.to_string()).collect(),
        read_dirs: b.read_dirs.iter().map(|s| s.to_string()).collect(),
        kv: b.kv,
    }
}

/// The grant in force for a plugin: the config's, else its default.
pub fn grant_for(config: &Config, plugin: &Discovered) -> Grant {
    let name = &plugin.plugin.manifest().name;
    match config.plugins.get(name).and_then(|p| p.grant.clone()) {
        Some(g) => Grant {
            secrets: g.secrets.names(),
            secret_use: g
                .secrets
                .uses()
                .into_iter()
                .map(|(name, u)| {
                    let usable = SecretUse {
                        hosts: u.hosts,
                        read: u.read,
                    };
                    (name, usable)
                })
                .collect(),
            http: g.http,
            programs: g.programs,
            read_dirs: g.read_dirs,
            kv: g.kv,
        },
        None => plugin.default_grant.clone(),
    }
}

/// Prints a notice on stderr once per process (the daemon builds its
/// context twice).
fn say_once(notice: &str) {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        let s = crate::ui::styles();
        anstream::eprintln!("{}note:{} {notice}", s.hint.render(), s.hint.render_reset());
    });
}

/// ao's own directories 0700 and its database 0600 (made by an older ao,
/// or under a wide umask). Best effort: a failure here stops nothing.
pub fn secure_directories(paths: &Paths) {
    let _ = ao_core::private::ensure_dir(&paths.data);
    if paths.compiled_cache.exists() {
        let _ = ao_core::private::ensure_dir(&paths.compiled_cache);
    }
    let db = ao_core::state::database_path(&paths.data);
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.clone().into_os_string();
        name.push(suffix);
        let _ = ao_core::private::restrict_file(Path::new(&name));
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
