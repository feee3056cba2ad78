//! Finding the config: an explicit path (`--config` or `AO_CONFIG_PATH`),
//! else `agent-orchestrator.yaml`/`.yml` walking up from the current
//! directory, else the user's config file.

use std::path::{Path, PathBuf};

pub const FILE_NAMES: &[&str] = &["agent-orchestrator.yaml", "agent-orchestrator.yml"];

/// The config file to use, if any exists.
pub fn find(explicit: Option<&Path>, cwd: &Path, user_config: &Path) -> Option<PathBuf> {
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
