//! A session's full, independent clone of the project's remote: its own
//! objects, refs and config, sharing nothing with the main checkout. Slower
//! to make than a worktree, but nothing the agent does in it (hooks, config,
//! `git gc`, other branches) can touch the user's checkout.

use crate::git::{self, Throttle};
use crate::worktree::{RemoveError, open, unsaved_work_in};
use crate::{Workspace, WorkspaceError, WorkspaceSpec};
use git2::build::CheckoutBuilder;
use git2::{BranchType, Commit, Repository};
use std::ffi::OsStr;
use std::path::Path;

/// Where to clone from: the URL of `spec.remote` in the project's checkout,
/// or, when it has no such remote, the checkout itself.
pub fn source_url(spec: &WorkspaceSpec) -> Result<String, WorkspaceError> {
    let repo = open(&spec.repo)?;
    let workdir = repo
        .workdir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| spec.repo.clone());
    let url = match repo.find_remote(&spec.remote) {
        Ok(remote) => remote.url().map(str::to_string).ok(),
        Err(_) => None,
    };
    Ok(match url {
        Some(url) if is_relative_path(&url) => workdir.join(&url).display().to_string(),
        Some(url) => url,
        None => workdir
            .canonicalize()
            .unwrap_or(workdir)
            .display()
            .to_string(),
    })
}

/// A remote URL that is a path relative to the checkout (`../origin.git`),
/// as opposed to `https://…`, `file://…`, `host:path` or an absolute path.
fn is_relative_path(url: &str) -> bool {
    if url.contains("://") || Path::new(url).is_absolute() {
        return false;
    }
    // scp-like `host:path`: a colon before any slash.
    match (url.find(':'), url.find('/')) {
        (Some(colon), Some(slash)) => colon > slash,
        (Some(_), None) => false,
        _ => true,
    }
}

/// `git clone --no-checkout` of the project's remote into `spec.path`, its
/// remote named `spec.remote`. On failure the directory is removed again.
fn clone_into(
    spec: &WorkspaceSpec,
    progress: Option<&mut dyn FnMut(&str)>,
) -> Result<Repository, WorkspaceError> {
    if spec.path.exists() {
        return Err(WorkspaceError::PathExists(spec.path.display().to_string()));
    }
    let url = source_url(spec)?;
    if let Some(parent) = spec.path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut ignore = |_: &str| {};
    let mut throttle = Throttle::new(
        format!("cloning {}", spec.remote),
        git::sink(progress, &mut ignore),
    );
    let args: [&OsStr; 8] = [
        "clone".as_ref(),
        "--progress".as_ref(),
        "--no-checkout".as_ref(),
        "--origin".as_ref(),
        spec.remote.as_ref(),
        "--".as_ref(),
        url.as_ref(),
        spec.path.as_os_str(),
    ];
    let out = git::run(&args, &mut throttle);
    let failed = |stderr: String| WorkspaceError::Clone {
        url: url.clone(),
        path: spec.path.display().to_string(),
        stderr,
    };
    let result = match out {
        Ok(out) if out.success => open(&spec.path),
        Ok(out) => Err(failed(out.stderr)),
        Err(e) => Err(e.into()),
    };
    if result.is_err() {
        discard(&spec.path);
    }
    result
}

fn discard(path: &Path) {
    if path.exists() {
        let _ = std::fs::remove_dir_all(path);
    }
}

/// Makes local `branch` at `commit` (unless it exists), pushing to and
/// pulling from the same branch name on `remote`.
fn make_branch(
    repo: &Repository,
    remote: &str,
    branch: &str,
    commit: &Commit<'_>,
) -> Result<(), WorkspaceError> {
    if repo.find_branch(branch, BranchType::Local).is_err() {
        repo.branch(branch, commit, false)?;
    }
    // Written directly: `set_upstream` wants `remote/branch` to exist
    // already, and a new session's branch is not on the remote yet.
    let mut config = repo.config()?;
    config.set_str(&format!("branch.{branch}.remote"), remote)?;
    config.set_str(
        &format!("branch.{branch}.merge"),
        &format!("refs/heads/{branch}"),
    )?;
    Ok(())
}

/// Checks `branch` out. `force` for a fresh clone (nothing to lose; nothing
/// is on disk yet); a reused clone gets a safe checkout.
fn switch_to(
    repo: &Repository,
    branch: &str,
    force: bool,
    progress: &mut dyn FnMut(&str),
) -> Result<(), WorkspaceError> {
    let reference = format!("refs/heads/{branch}");
    let commit = repo.find_reference(&reference)?.peel_to_commit()?;
    let mut throttle = Throttle::new(format!("checking out {branch}"), progress);
    throttle.start();
    let mut opts = CheckoutBuilder::new();
    if force {
        opts.force();
    } else {
        opts.safe();
    }
    opts.progress(|_, done, total| throttle.update("files", done as u64, total as u64));
    repo.checkout_tree(commit.as_object(), Some(&mut opts))?;
    repo.set_head(&reference)?;
    Ok(())
}

fn remote_commit<'r>(repo: &'r Repository, remote: &str, branch: &str) -> Option<Commit<'r>> {
    repo.find_reference(&format!("refs/remotes/{remote}/{branch}"))
        .and_then(|r| r.peel_to_commit())
        .ok()
}

/// Clones the project's remote into `spec.path` (parents created), then
/// creates `spec.branch` from `<remote>/<default_branch>` as the remote has
/// it (not the main checkout's HEAD) and checks it out; a plain `git push`
/// sends it to the same branch on `spec.remote`. On failure nothing is left
/// behind.
pub fn create(
    spec: &WorkspaceSpec,
    progress: Option<&mut dyn FnMut(&str)>,
) -> Result<Workspace, WorkspaceError> {
    let mut ignore = |_: &str| {};
    let progress = git::sink(progress, &mut ignore);
    let repo = clone_into(spec, Some(&mut *progress))?;
    let made = (|| {
        let base = remote_commit(&repo, &spec.remote, &spec.default_branch).ok_or_else(|| {
            WorkspaceError::NoRemoteBranch {
                remote: spec.remote.clone(),
                branch: spec.default_branch.clone(),
            }
        })?;
        // A fresh clone has one local branch, the remote HEAD's; taking it
        // over is fine only where it already is the base.
        if let Ok(existing) = repo.find_branch(&spec.branch, BranchType::Local)
            && existing.get().target() != Some(base.id())
        {
            return Err(WorkspaceError::BranchExists(spec.branch.clone()));
        }
        make_branch(&repo, &spec.remote, &spec.branch, &base)?;
        switch_to(&repo, &spec.branch, true, progress)?;
        Ok(base.id().to_string())
    })();
    kept_or_discarded(spec, repo, made)
}

/// The workspace a fresh clone became, or, when setting it up failed,
/// nothing left behind.
fn kept_or_discarded(
    spec: &WorkspaceSpec,
    repo: Repository,
    made: Result<String, WorkspaceError>,
) -> Result<Workspace, WorkspaceError> {
    match made {
        Ok(base_commit) => Ok(Workspace {
            path: spec.path.clone(),
            branch: spec.branch.clone(),
            base_commit,
        }),
        Err(e) => {
            drop(repo);
            discard(&spec.path);
            Err(e)
        }
    }
}

/// Restores a session's clone. If `spec.path` still holds it, it is reused
/// (switched to `spec.branch` if it is elsewhere); if it is gone, the remote
/// is cloned again and the branch checked out as it was pushed.
pub fn attach(
    spec: &WorkspaceSpec,
    progress: Option<&mut dyn FnMut(&str)>,
) -> Result<Workspace, WorkspaceError> {
    let mut ignore = |_: &str| {};
    let progress = git::sink(progress, &mut ignore);
    let not_pushed = || WorkspaceError::BranchNotPushed {
        remote: spec.remote.clone(),
        branch: spec.branch.clone(),
    };
    if spec.path.exists() {
        let repo = open(&spec.path)?;
        let on_branch = repo
            .head()
            .ok()
            .and_then(|h| h.shorthand().map(str::to_string).ok())
            .is_some_and(|name| name == spec.branch);
        if !on_branch {
            if repo.find_branch(&spec.branch, BranchType::Local).is_err() {
                let tip =
                    remote_commit(&repo, &spec.remote, &spec.branch).ok_or_else(not_pushed)?;
                make_branch(&repo, &spec.remote, &spec.branch, &tip)?;
            }
            switch_to(&repo, &spec.branch, false, progress)?;
        }
        let head = repo.head()?.peel_to_commit()?;
        return Ok(Workspace {
            path: spec.path.clone(),
            branch: spec.branch.clone(),
            base_commit: head.id().to_string(),
        });
    }
    let repo = clone_into(spec, Some(&mut *progress))?;
    let made = (|| {
        let tip = remote_commit(&repo, &spec.remote, &spec.branch).ok_or_else(not_pushed)?;
        make_branch(&repo, &spec.remote, &spec.branch, &tip)?;
        switch_to(&repo, &spec.branch, true, progress)?;
        Ok(tip.id().to_string())
    })();
    kept_or_discarded(spec, repo, made)
}

/// Work that deleting the clone would lose: uncommitted changes, and
/// commits on any of its branches (or its stash) that no remote has.
pub fn unsaved_work(path: &Path) -> Result<Vec<RemoveError>, WorkspaceError> {
    unsaved_work_in(path, true)
}

/// Deletes a session's clone. Refuses to lose work unless `force`; returns
/// what was at risk in that case. A clone already gone is fine.
pub fn remove(path: &Path, force: bool) -> Result<Result<(), Vec<RemoveError>>, WorkspaceError> {
    if !path.exists() {
        return Ok(Ok(()));
    }
    if !force {
        let problems = unsaved_work(path)?;
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
    }
    std::fs::remove_dir_all(path)?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::is_relative_path;

    #[test]
    fn relative_remote_paths_are_told_from_urls() {
        assert!(is_relative_path("../origin.git"));
        assert!(is_relative_path("origin.git"));
        assert!(is_relative_path("./a:b/origin.git"));
        assert!(!is_relative_path("/srv/git/origin.git"));
        assert!(!is_relative_path("https://example.com/o/r.git"));
        assert!(!is_relative_path("file:///srv/git/origin.git"));
        assert!(!is_relative_path("git@example.com:o/r.git"));
        assert!(!is_relative_path("host:repo"));
    }
}
