//! Creating and removing a session's git worktree.

use crate::WorkspaceError;
use git2::{BranchType, Repository, StatusOptions, WorktreeAddOptions, WorktreePruneOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What to create.
#[derive(Debug, Clone)]
pub struct WorktreeSpec {
    /// The project's main checkout.
    pub repo: PathBuf,
    pub remote: String,
    pub default_branch: String,
    /// The session's new branch.
    pub branch: String,
    /// Where the worktree goes (outside the repository).
    pub path: PathBuf,
    /// A name for git's worktree metadata (the session id).
    pub name: String,
}

/// A created worktree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worktree {
    pub path: PathBuf,
    pub branch: String,
    pub base_commit: String,
}

fn open(repo: &Path) -> Result<Repository, WorkspaceError> {
    Repository::open(repo).map_err(|e| WorkspaceError::NotARepo {
        path: repo.display().to_string(),
        message: e.message().to_string(),
    })
}

/// Fetches `remote/branch` with the git command (credentials as the user has them).
pub fn fetch(repo: &Path, remote: &str, branch: &str) -> Result<(), WorkspaceError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["fetch", "--quiet", remote, branch])
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()?;
    if !out.status.success() {
        return Err(WorkspaceError::Fetch {
            repo: repo.display().to_string(),
            remote: remote.into(),
            branch: branch.into(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(())
}

/// Fetches, creates the branch from `remote/default_branch`, adds the worktree.
/// On failure nothing is left behind: the branch is deleted again.
pub fn create(spec: &WorktreeSpec) -> Result<Worktree, WorkspaceError> {
    if spec.path.exists() {
        return Err(WorkspaceError::PathExists(spec.path.display().to_string()));
    }
    fetch(&spec.repo, &spec.remote, &spec.default_branch)?;
    let repo = open(&spec.repo)?;
    let remote_ref = format!("refs/remotes/{}/{}", spec.remote, spec.default_branch);
    let base = repo
        .find_reference(&remote_ref)
        .and_then(|r| r.peel_to_commit())
        .map_err(|_| WorkspaceError::NoRemoteBranch {
            remote: spec.remote.clone(),
            branch: spec.default_branch.clone(),
        })?;
    if repo.find_branch(&spec.branch, BranchType::Local).is_ok() {
        return Err(WorkspaceError::BranchExists(spec.branch.clone()));
    }
    let branch = repo.branch(&spec.branch, &base, false)?;
    let result = (|| {
        if let Some(parent) = spec.path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut opts = WorktreeAddOptions::new();
        opts.reference(Some(branch.get()));
        repo.worktree(&spec.name, &spec.path, Some(&opts))?;
        Ok::<_, WorkspaceError>(())
    })();
    if let Err(e) = result {
        let _ = repo
            .find_branch(&spec.branch, BranchType::Local)
            .and_then(|mut b| b.delete());
        return Err(e);
    }
    Ok(Worktree {
        path: spec.path.clone(),
        branch: spec.branch.clone(),
        base_commit: base.id().to_string(),
    })
}

/// Re-creates a worktree for a branch that already exists (restoring a
/// session whose worktree was removed). Nothing is fetched.
pub fn attach(spec: &WorktreeSpec) -> Result<Worktree, WorkspaceError> {
    if spec.path.exists() {
        return Err(WorkspaceError::PathExists(spec.path.display().to_string()));
    }
    let repo = open(&spec.repo)?;
    // A stale registration (its directory is gone) would block the name.
    if let Ok(old) = repo.find_worktree(&spec.name) {
        let mut opts = WorktreePruneOptions::new();
        opts.valid(true);
        old.prune(Some(&mut opts))?;
    }
    let branch = repo.find_branch(&spec.branch, BranchType::Local)?;
    let head = branch.get().peel_to_commit()?;
    if let Some(parent) = spec.path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut opts = WorktreeAddOptions::new();
    opts.reference(Some(branch.get()));
    repo.worktree(&spec.name, &spec.path, Some(&opts))?;
    Ok(Worktree {
        path: spec.path.clone(),
        branch: spec.branch.clone(),
        base_commit: head.id().to_string(),
    })
}

/// Why a removal was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoveError {
    /// Files changed and not committed.
    Uncommitted(Vec<String>),
    /// Commits on the branch that are on no remote branch.
    Unpushed(usize),
}

impl std::fmt::Display for RemoveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RemoveError::Uncommitted(files) => write!(
                f,
                "{} uncommitted change(s): {}",
                files.len(),
                files.join(", ")
            ),
            RemoveError::Unpushed(n) => write!(f, "{n} commit(s) not pushed to any remote"),
        }
    }
}

/// Work that removing the worktree would lose; empty when it is safe.
pub fn unsaved_work(worktree_path: &Path) -> Result<Vec<RemoveError>, WorkspaceError> {
    let repo = open(worktree_path)?;
    let mut problems = Vec::new();
    let mut opts = StatusOptions::new();
    opts.include_untracked(true).recurse_untracked_dirs(true);
    let changed: Vec<String> = repo
        .statuses(Some(&mut opts))?
        .iter()
        .filter_map(|s| s.path().ok().map(str::to_string))
        .collect();
    if !changed.is_empty() {
        problems.push(RemoveError::Uncommitted(changed));
    }
    // Commits reachable from HEAD but from no remote-tracking branch.
    if let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) {
        let mut walk = repo.revwalk()?;
        walk.push(head.id())?;
        for reference in repo.references_glob("refs/remotes/*")? {
            if let Some(oid) = reference?.target() {
                walk.hide(oid)?;
            }
        }
        let unpushed = walk.count();
        if unpushed > 0 {
            problems.push(RemoveError::Unpushed(unpushed));
        }
    }
    Ok(problems)
}

/// Removes a session's worktree. Refuses to lose work unless `force`;
/// returns what was at risk in that case.
pub fn remove(
    repo: &Path,
    name: &str,
    worktree_path: &Path,
    force: bool,
) -> Result<Result<(), Vec<RemoveError>>, WorkspaceError> {
    if worktree_path.exists() && !force {
        let problems = unsaved_work(worktree_path)?;
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
    }
    if worktree_path.exists() {
        std::fs::remove_dir_all(worktree_path)?;
    }
    let repo = open(repo)?;
    if let Ok(wt) = repo.find_worktree(name) {
        let mut opts = WorktreePruneOptions::new();
        opts.valid(true).working_tree(true);
        wt.prune(Some(&mut opts))?;
    }
    Ok(Ok(()))
}

/// Deletes a local branch (rolling back a spawn); a missing branch is fine.
pub fn delete_branch(repo: &Path, branch: &str) -> Result<(), WorkspaceError> {
    let repo = open(repo)?;
    if let Ok(mut b) = repo.find_branch(branch, BranchType::Local) {
        b.delete()?;
    }
    Ok(())
}
