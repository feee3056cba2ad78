//! Creating and removing a session's git worktree.

use crate::WorkspaceError;
use crate::git::{self, Throttle};
use git2::{BranchType, Repository, StatusOptions, WorktreeAddOptions, WorktreePruneOptions};
use std::ffi::OsStr;
use std::path::Path;

/// The spec and result are shared with clones; these are their old names.
pub use crate::{Workspace as Worktree, WorkspaceSpec as WorktreeSpec};

pub(crate) fn open(repo: &Path) -> Result<Repository, WorkspaceError> {
    Repository::open(repo).map_err(|e| WorkspaceError::NotARepo {
        path: repo.display().to_string(),
        message: e.message().to_string(),
    })
}

/// Fetches `remote/branch` with the git command (credentials as the user has them).
pub fn fetch(repo: &Path, remote: &str, branch: &str) -> Result<(), WorkspaceError> {
    fetch_with_progress(repo, remote, branch, None)
}

/// [`fetch`], reporting progress (`fetching origin/main (42/120 objects)`).
pub fn fetch_with_progress(
    repo: &Path,
    remote: &str,
    branch: &str,
    progress: Option<&mut dyn FnMut(&str)>,
) -> Result<(), WorkspaceError> {
    let mut ignore = |_: &str| {};
    let mut throttle = Throttle::new(
        format!("fetching {remote}/{branch}"),
        git::sink(progress, &mut ignore),
    );
    // `--`: a remote or branch is never read as an option.
    let args: [&OsStr; 7] = [
        "-C".as_ref(),
        repo.as_os_str(),
        "fetch".as_ref(),
        "--progress".as_ref(),
        "--".as_ref(),
        remote.as_ref(),
        branch.as_ref(),
    ];
    let out = git::run(&args, &mut throttle)?;
    if !out.success {
        return Err(WorkspaceError::Fetch {
            repo: repo.display().to_string(),
            remote: remote.into(),
            branch: branch.into(),
            stderr: out.stderr,
        });
    }
    Ok(())
}

/// Fetches, creates the branch from `remote/default_branch`, adds the worktree.
/// On failure nothing is left behind: the branch is deleted again.
pub fn create(spec: &WorktreeSpec) -> Result<Worktree, WorkspaceError> {
    create_with_progress(spec, None)
}

/// [`create`], reporting the fetch's progress.
pub fn create_with_progress(
    spec: &WorktreeSpec,
    progress: Option<&mut dyn FnMut(&str)>,
) -> Result<Worktree, WorkspaceError> {
    if spec.path.exists() {
        return Err(WorkspaceError::PathExists(spec.path.display().to_string()));
    }
    fetch_with_progress(&spec.repo, &spec.remote, &spec.default_branch, progress)?;
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
    let branch = match repo.find_branch(&spec.branch, BranchType::Local) {
        Ok(b) => b,
        // Ending a session deletes its branch only when every commit of it
        // is on the remote: it comes back from there (or from the default
        // branch, if it never had a commit of its own).
        Err(_) => {
            let start = [
                format!("refs/remotes/{}/{}", spec.remote, spec.branch),
                format!("refs/remotes/{}/{}", spec.remote, spec.default_branch),
            ]
            .iter()
            .find_map(|r| repo.find_reference(r).and_then(|r| r.peel_to_commit()).ok())
            .ok_or_else(|| WorkspaceError::BranchNotPushed {
                remote: spec.remote.clone(),
                branch: spec.branch.clone(),
            })?;
            repo.branch(&spec.branch, &start, false)?
        }
    };
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
    unsaved_work_in(worktree_path, false)
}

/// [`unsaved_work`]; with `every_branch`, commits on any local branch (and
/// the stash) count, not only those of HEAD: a clone's removal loses them all.
pub(crate) fn unsaved_work_in(
    worktree_path: &Path,
    every_branch: bool,
) -> Result<Vec<RemoveError>, WorkspaceError> {
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
    // Commits reachable from HEAD (or any branch) but from no remote-tracking branch.
    let mut walk = repo.revwalk()?;
    let mut tips = 0;
    if let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) {
        walk.push(head.id())?;
        tips += 1;
    }
    if every_branch {
        for glob in ["refs/heads/*", "refs/stash"] {
            for reference in repo.references_glob(glob)? {
                if let Ok(commit) = reference?.peel_to_commit() {
                    walk.push(commit.id())?;
                    tips += 1;
                }
            }
        }
    }
    if tips > 0 {
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

/// Whether the local branch exists.
pub fn branch_exists(repo: &Path, branch: &str) -> Result<bool, WorkspaceError> {
    let repo = open(repo)?;
    Ok(repo.find_branch(branch, BranchType::Local).is_ok())
}

/// Deletes a local branch whose every commit is also on a remote-tracking
/// branch (nothing would be lost: a branch that never got a commit of its
/// own, or one fully pushed). `Ok(false)`: kept, it holds unpushed commits.
pub fn delete_branch_if_pushed(repo: &Path, branch: &str) -> Result<bool, WorkspaceError> {
    let repo = open(repo)?;
    let Ok(mut local) = repo.find_branch(branch, BranchType::Local) else {
        return Ok(true);
    };
    if local.is_head() {
        return Ok(false);
    }
    let Some(tip) = local.get().target() else {
        return Ok(false);
    };
    let mut walk = repo.revwalk()?;
    walk.push(tip)?;
    for reference in repo.references_glob("refs/remotes/*")? {
        if let Some(oid) = reference?.target() {
            walk.hide(oid)?;
        }
    }
    if walk.count() > 0 {
        return Ok(false);
    }
    local.delete()?;
    Ok(true)
}

/// Forgets worktree registrations whose directory is gone (`git worktree
/// prune`), e.g. of a worktree whose creation was interrupted before git
/// wrote all of its metadata (git2 cannot open those).
pub fn prune_stale(repo: &Path) -> Result<(), WorkspaceError> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["worktree", "prune"])
        .output()?;
    if !out.status.success() {
        return Err(WorkspaceError::Prepare(format!(
            "`git worktree prune` in {}: {}",
            repo.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// Removes the lock file git keeps while it changes `branch`
/// (`refs/heads/<branch>.lock`). Only for a branch whose owner is known to
/// be dead (a session's own branch, its ao process killed midway): a lock
/// left by a killed process blocks every later change of that branch.
pub fn clear_branch_lock(repo: &Path, branch: &str) -> Result<bool, WorkspaceError> {
    let repo = open(repo)?;
    let lock = repo
        .commondir()
        .join("refs/heads")
        .join(format!("{branch}.lock"));
    match std::fs::remove_file(&lock) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e.into()),
    }
}
