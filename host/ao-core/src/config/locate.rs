//! Finding the config: an explicit path (`--config` or `AO_CONFIG_PATH`),
//! else `agent-orchestrator.yaml`/`.yml` walking up from the current
//! directory, else the user's config file.

use std::path::{Path, PathBuf};

pub const FILE_NAMES: &[&str] = &["agent-orchestrator.yaml", "agent-orchestrator.yml"];

/// The config file to use, if any exists, resolved through links: where the
/// file really is decides its directory (the project's `.ao/plugins/`,
/// relative paths), whether it is the user's own and its trust. A
/// repository's `agent-orchestrator.yaml → ~/.config/ao/…` is the user's
/// file with the user's directory, never the user's file with the
/// repository's plugins.
pub fn find(explicit: Option<&Path>, cwd: &Path, user_config: &Path) -> Option<PathBuf> {
    find_unresolved(explicit, cwd, user_config).map(|p| p.canonicalize().unwrap_or(p))
}

fn find_unresolved(explicit: Option<&Path>, cwd: &Path, user_config: &Path) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_path_buf());
    }
    for dir in cwd.ancestors() {
        for name in FILE_NAMES {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    user_config.is_file().then(|| user_config.to_path_buf())
}
