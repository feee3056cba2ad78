//! Where ao keeps its files. `AO_HOME` puts everything under one directory;
//! otherwise the XDG base directories are used.

use std::path::{Path, PathBuf};

/// ao's directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The user's plugin directory: drop a `.wasm` here to install it.
    pub user_plugins: PathBuf,
    /// The user-level config file.
    pub user_config: PathBuf,
    /// State: sessions, plugin key-value stores.
    pub data: PathBuf,
    /// Compiled plugin code (safe to delete).
    pub compiled_cache: PathBuf,
}

impl Paths {
    /// Reads `AO_HOME`, `XDG_*` and `HOME` from the process environment.
    pub fn from_env() -> Paths {
        Paths::resolve(|k| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
    }

    /// Resolves against any environment lookup (tests pass a map).
    pub fn resolve(env: impl Fn(&str) -> Option<PathBuf>) -> Paths {
        if let Some(home) = env("AO_HOME") {
            return Paths {
                user_plugins: home.join("plugins"),
                user_config: home.join("agent-orchestrator.yaml"),
                data: home.join("data"),
                compiled_cache: home.join("cache/compiled"),
            };
        }
        let home = env("HOME").unwrap_or_else(|| PathBuf::from("."));
        let config = env("XDG_CONFIG_HOME")
            .unwrap_or_else(|| home.join(".config"))
            .join("ao");
        let data = env("XDG_DATA_HOME")
            .unwrap_or_else(|| home.join(".local/share"))
            .join("ao");
        let cache = env("XDG_CACHE_HOME")
            .unwrap_or_else(|| home.join(".cache"))
            .join("ao");
        Paths {
            user_plugins: config.join("plugins"),
            user_config: config.join("agent-orchestrator.yaml"),
            data,
            compiled_cache: cache.join("compiled"),
        }
    }
}

/// A project's own plugin directory, next to its config file.
pub fn project_plugins(project_root: &Path) -> PathBuf {
    project_root.join(".ao/plugins")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn ao_home_wins_over_xdg() {
        let env: HashMap<&str, PathBuf> = [
            ("AO_HOME", PathBuf::from("/x")),
            ("XDG_CONFIG_HOME", PathBuf::from("/c")),
        ]
        .into();
        let p = Paths::resolve(|k| env.get(k).cloned());
        assert_eq!(p.user_plugins, PathBuf::from("/x/plugins"));
        assert_eq!(p.compiled_cache, PathBuf::from("/x/cache/compiled"));
    }

    #[test]
    fn xdg_defaults_follow_home() {
        let env: HashMap<&str, PathBuf> = [("HOME", PathBuf::from("/h"))].into();
        let p = Paths::resolve(|k| env.get(k).cloned());
        assert_eq!(p.user_plugins, PathBuf::from("/h/.config/ao/plugins"));
        assert_eq!(p.data, PathBuf::from("/h/.local/share/ao"));
        assert_eq!(p.compiled_cache, PathBuf::from("/h/.cache/ao/compiled"));
    }
}
