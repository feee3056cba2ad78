//! Finding plugins: the first-party ones built into ao, the user's plugin
//! directory, and a project's `.ao/plugins/`. Dropping a `.wasm` into a
//! directory installs it. A later source overrides an earlier one with the
//! same manifest name (project > user > built-in), and says so. A file that
//! fails to load is reported and skipped; the others still load.

use crate::cache::{CompiledCache, ComponentDigest};
use crate::capability::Grant;
use crate::engine::PluginEngine;
use crate::error::LoadError;
use crate::instance::LoadedPlugin;
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a plugin came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "path", rename_all = "lowercase")]
pub enum PluginSource {
    /// Shipped inside the ao binary.
    Builtin,
    /// The user's plugin directory.
    User(PathBuf),
    /// A project's `.ao/plugins/`.
    Project(PathBuf),
}

impl fmt::Display for PluginSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginSource::Builtin => f.write_str("built-in"),
            PluginSource::User(p) => write!(f, "user: {}", p.display()),
            PluginSource::Project(p) => write!(f, "project: {}", p.display()),
        }
    }
}

/// A first-party plugin embedded in the binary, with its default grant.
#[derive(Debug, Clone)]
pub struct Builtin {
    pub file_name: &'static str,
    pub wasm: &'static [u8],
    /// The SHA-256 of `wasm`, computed when ao was built.
    pub sha256: [u8; 32],
    pub default_grant: Grant,
}

/// A plugin found and loaded.
#[derive(Clone)]
pub struct Discovered {
    pub plugin: LoadedPlugin,
    pub source: PluginSource,
    /// What it is granted when the config says nothing about it.
    pub default_grant: Grant,
    /// The origin of a plugin of the same name that this one overrides.
    pub overrides: Option<String>,
    /// It takes the name of a plugin built into ao: every config that names
    /// that plugin (a notifier `slack`, `scm: github`) runs this one.
    pub shadows_builtin: bool,
}

impl Discovered {
    /// A one-line warning when this plugin shadows a built-in one.
    pub fn shadow_warning(&self) -> Option<String> {
        self.shadows_builtin.then(|| {
            format!(
                "plugin `{}` from {} replaces the built-in plugin of that name: every config naming `{}` runs it",
                self.plugin.manifest().name,
                self.source,
                self.plugin.manifest().name
            )
        })
    }
}

/// A plugin file that could not be loaded.
#[derive(Debug)]
pub struct Failure {
    pub source: PluginSource,
    pub error: LoadError,
}

/// Every plugin ao can use right now.
#[derive(Default)]
pub struct Catalog {
    pub plugins: Vec<Discovered>,
    pub failures: Vec<Failure>,
}

/// The `.wasm` files of a directory, sorted; a missing directory is empty.
pub fn wasm_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wasm") && p.is_file())
        .collect();
    files.sort();
    files
}

impl Catalog {
    /// Loads the built-ins, then every `.wasm` of each directory in order.
    pub fn discover(
        engine: &PluginEngine,
        cache: &CompiledCache,
        builtins: &[Builtin],
        dirs: &[PluginSource],
    ) -> Catalog {
        let mut catalog = Catalog::default();
        for builtin in builtins {
            let origin = format!("built-in {}", builtin.file_name);
            catalog.add(
                LoadedPlugin::load_digested(
                    engine,
                    cache,
                    builtin.wasm,
                    &ComponentDigest(builtin.sha256),
                    &origin,
                ),
                PluginSource::Builtin,
                builtin.default_grant.clone(),
            );
        }
        for source in dirs {
            let dir = match source {
                PluginSource::User(d) | PluginSource::Project(d) => d,
                PluginSource::Builtin => continue,
            };
            for file in wasm_files(dir) {
                let origin = file.display().to_string();
                let loaded = std::fs::read(&file)
                    .map_err(|e| LoadError::Read {
                        path: file.clone(),
                        source: e,
                    })
                    .and_then(|bytes| LoadedPlugin::load(engine, cache, &bytes, &origin));
                let source = match source {
                    PluginSource::User(_) => PluginSource::User(file.clone()),
                    _ => PluginSource::Project(file.clone()),
                };
                catalog.add(loaded, source, Grant::default());
            }
        }
        catalog
    }

    fn add(
        &mut self,
        loaded: Result<LoadedPlugin, LoadError>,
        source: PluginSource,
        default_grant: Grant,
    ) {
        match loaded {
            Ok(plugin) => {
                let name = plugin.manifest().name.clone();
                let replaced = self
                    .plugins
                    .iter()
                    .position(|d| d.plugin.manifest().name == name)
                    .map(|i| self.plugins.remove(i));
                let shadows_builtin = replaced
                    .as_ref()
                    .is_some_and(|d| d.source == PluginSource::Builtin || d.shadows_builtin);
                let overrides = replaced.map(|d| d.plugin.origin().to_string());
                if let Some(previous) = &overrides {
                    tracing::info!(
                        "plugin `{name}` from {} overrides {previous}",
                        plugin.origin()
                    );
                }
                self.plugins.push(Discovered {
                    plugin,
                    source,
                    default_grant,
                    overrides,
                    shadows_builtin,
                });
            }
            Err(error) => {
                tracing::warn!("skipping plugin: {error}");
                self.failures.push(Failure { source, error });
            }
        }
    }

    /// A plugin by manifest name.
    pub fn get(&self, name: &str) -> Option<&Discovered> {
        self.plugins
            .iter()
            .find(|d| d.plugin.manifest().name == name)
    }
}
