//! Workspace trust. A config file found in a repository (or named with
//! `--config` outside ao's own config directory) is the repository's, not
//! the user's: what in it would give a plugin a capability, run a program,
//! use a secret or send a notification takes effect only after the user
//! runs `ao trust`. The decision is kept in `<data>/trust.json` by the
//! config's path and a SHA-256 over the config and the `.ao/plugins/`
//! files next to it, so any change asks again.

use crate::paths::{Paths, project_plugins};
use crate::private;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// Whose config a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// In ao's config directory (`$XDG_CONFIG_HOME/ao/`, or `$AO_HOME`).
    User,
    /// Anywhere else: a repository's, until trusted.
    Repository,
}

/// Where a config file belongs: the user's own is exactly ao's config file
/// (links resolved). Not "anything in its directory": with `AO_HOME` that
/// directory also holds the data directory, whose workspaces are checkouts
/// of repositories, each with its own `agent-orchestrator.yaml`.
pub fn origin(config_file: &Path, paths: &Paths) -> Origin {
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    if canonical(config_file) == canonical(&paths.user_config) {
        Origin::User
    } else {
        Origin::Repository
    }
}

/// The trust decision for a config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustState {
    /// The user's own config: needs no trust.
    User,
    /// Trusted, and unchanged since.
    Trusted,
    /// Never trusted (or revoked).
    Untrusted,
    /// Trusted once, but the config or `.ao/plugins/` changed since.
    Changed,
}

impl TrustState {
    /// Whether the file's grants, plugins and notifiers apply.
    pub fn applies(self) -> bool {
        matches!(self, TrustState::User | TrustState::Trusted)
    }
}

/// The files a trust decision covers: the config and its `.ao/plugins/*.wasm`.
pub fn covered_files(config_file: &Path) -> Vec<PathBuf> {
    let mut files = vec![config_file.to_path_buf()];
    if let Some(root) = config_file.parent()
        && let Ok(entries) = std::fs::read_dir(project_plugins(root))
    {
        let mut plugins: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
            .collect();
        plugins.sort();
        files.extend(plugins);
    }
    files
}

/// SHA-256 over every covered file's name and content.
pub fn fingerprint(config_file: &Path) -> io::Result<String> {
    let mut hash = Sha256::new();
    for (i, file) in covered_files(config_file).iter().enumerate() {
        let name = if i == 0 {
            "config".to_string()
        } else {
            file.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let content = std::fs::read(file)?;
        hash.update((name.len() as u64).to_le_bytes());
        hash.update(name.as_bytes());
        hash.update((content.len() as u64).to_le_bytes());
        hash.update(Sha256::digest(&content));
    }
    Ok(hex::encode(hash.finalize()))
}

/// One trusted config.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub sha256: String,
    pub trusted_at_ms: i64,
}

/// `<data>/trust.json`: trusted config paths and their fingerprints.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    path: PathBuf,
    pub entries: BTreeMap<PathBuf, Entry>,
}

#[derive(Serialize, Deserialize)]
struct OnDisk {
    version: u32,
    trusted: BTreeMap<PathBuf, Entry>,
}

/// The file the decisions live in.
pub fn store_path(data: &Path) -> PathBuf {
    data.join("trust.json")
}

/// A config's key in the store: its canonical path.
pub fn key(config_file: &Path) -> PathBuf {
    config_file
        .canonicalize()
        .unwrap_or_else(|_| config_file.to_path_buf())
}

impl TrustStore {
    /// Reads the store; a missing file is empty. A corrupt one trusts
    /// nothing (and is replaced on the next `ao trust`).
    pub fn open(data: &Path) -> TrustStore {
        let path = store_path(data);
        let entries = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<OnDisk>(&bytes).ok())
            .map(|d| d.trusted)
            .unwrap_or_default();
        TrustStore { path, entries }
    }

    /// The decision for a config file, given its origin.
    pub fn state(&self, config_file: &Path, origin: Origin) -> TrustState {
        if origin == Origin::User {
            return TrustState::User;
        }
        let Some(entry) = self.entries.get(&key(config_file)) else {
            return TrustState::Untrusted;
        };
        match fingerprint(config_file) {
            Ok(sha) if sha == entry.sha256 => TrustState::Trusted,
            _ => TrustState::Changed,
        }
    }

    /// Trusts the config as it is now; returns its fingerprint.
    pub fn trust(&mut self, config_file: &Path, now_ms: i64) -> io::Result<String> {
        let sha256 = fingerprint(config_file)?;
        self.entries.insert(
            key(config_file),
            Entry {
                sha256: sha256.clone(),
                trusted_at_ms: now_ms,
            },
        );
        self.save()?;
        Ok(sha256)
    }

    /// Forgets a config; false when it was not trusted.
    pub fn revoke(&mut self, config_file: &Path) -> io::Result<bool> {
        let removed = self.entries.remove(&key(config_file)).is_some();
        if removed {
            self.save()?;
        }
        Ok(removed)
    }

    fn save(&self) -> io::Result<()> {
        let disk = OnDisk {
            version: 1,
            trusted: self.entries.clone(),
        };
        let text = serde_json::to_vec_pretty(&disk).map_err(io::Error::other)?;
        private::write_atomic(&self.path, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(root: &Path) -> Paths {
        Paths::resolve(|k| (k == "AO_HOME").then(|| root.join("ao")))
    }

    #[test]
    fn a_repository_config_is_trusted_until_it_or_its_plugins_change() {
        let root = tempfile::tempdir().unwrap();
        let paths = paths(root.path());
        let repo = root.path().join("repo");
        std::fs::create_dir_all(repo.join(".ao/plugins")).unwrap();
        let config = repo.join("agent-orchestrator.yaml");
        std::fs::write(&config, "port: 3000\n").unwrap();

        assert_eq!(origin(&config, &paths), Origin::Repository);
        let mut store = TrustStore::open(&paths.data);
        assert_eq!(
            store.state(&config, Origin::Repository),
            TrustState::Untrusted
        );
        store.trust(&config, 1).unwrap();
        let reopened = TrustStore::open(&paths.data);
        assert_eq!(
            reopened.state(&config, Origin::Repository),
            TrustState::Trusted
        );

        // A plugin dropped into .ao/plugins/ asks again.
        std::fs::write(repo.join(".ao/plugins/x.wasm"), b"\0asm").unwrap();
        assert_eq!(
            reopened.state(&config, Origin::Repository),
            TrustState::Changed
        );
        store.trust(&config, 2).unwrap();
        // So does an edit of the config.
        std::fs::write(&config, "port: 3001\n").unwrap();
        assert_eq!(
            TrustStore::open(&paths.data).state(&config, Origin::Repository),
            TrustState::Changed
        );
        assert!(store.revoke(&config).unwrap());
        assert!(!store.revoke(&config).unwrap());
        assert_eq!(
            TrustStore::open(&paths.data).state(&config, Origin::Repository),
            TrustState::Untrusted
        );
    }

    #[test]
    fn the_users_own_config_needs_no_trust() {
        let root = tempfile::tempdir().unwrap();
        let paths = paths(root.path());
        std::fs::create_dir_all(root.path().join("ao")).unwrap();
        std::fs::write(&paths.user_config, "").unwrap();
        assert_eq!(origin(&paths.user_config, &paths), Origin::User);
        // A repository checked out under ao's home (a session's workspace,
        // with `AO_HOME`) is a repository.
        let workspace = root.path().join("ao/data/worktrees/web/web-1");
        std::fs::create_dir_all(&workspace).unwrap();
        std::fs::write(workspace.join("agent-orchestrator.yaml"), "").unwrap();
        assert_eq!(
            origin(&workspace.join("agent-orchestrator.yaml"), &paths),
            Origin::Repository
        );
        assert_eq!(
            TrustStore::open(&paths.data).state(&paths.user_config, Origin::User),
            TrustState::User
        );
    }
}
