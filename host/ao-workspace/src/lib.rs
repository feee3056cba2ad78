//! # ao-workspace
//!
//! Each session works in its own checkout on a new branch made from the
//! remote default branch, outside the repository, under ao's data
//! directory. A project chooses the kind ([`WorkspaceKind`]): a git
//! [`worktree`] of its main checkout (default), or a full independent
//! [`clone`] of its remote.
//!
//! git2 does the local work (branches, worktrees, checkouts, and the checks
//! that keep a removal from throwing work away); network clones and fetches
//! go through the `git` command so the user's credential helpers and SSH
//! configuration apply. Their progress can be followed through a callback
//! that gets short, throttled messages like `cloning origin (42/120 objects)`.

pub mod clone;
mod git;
pub mod host_files;
pub mod kind;
pub mod prepare;
pub mod worktree;

use std::path::PathBuf;

pub use kind::{WorkspaceKind, attach, create, remove};
pub use worktree::{RemoveError, Worktree, WorktreeSpec};

/// What to create, for either kind.
#[derive(Debug, Clone)]
pub struct WorkspaceSpec {
    /// The project's main checkout.
    pub repo: PathBuf,
    /// The remote to start from and push to (`origin`).
    pub remote: String,
    pub default_branch: String,
    /// The session's new branch.
    pub branch: String,
    /// Where the workspace goes (outside the repository).
    pub path: PathBuf,
    /// A name for git's worktree metadata (the session id); clones ignore it.
    pub name: String,
}

/// A created (or re-attached) workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub path: PathBuf,
    pub branch: String,
    /// The commit the branch started from (on attach: the branch's tip).
    pub base_commit: String,
}

/// Workspace failures, each saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("{path}: not a git repository ({message})")]
    NotARepo { path: String, message: String },
    #[error("`git fetch {remote} {branch}` failed in {repo}: {stderr}")]
    Fetch {
        repo: String,
        remote: String,
        branch: String,
        stderr: String,
    },
    #[error(
        "the remote branch `{remote}/{branch}` does not exist; check `defaultBranch` for this project"
    )]
    NoRemoteBranch { remote: String, branch: String },
    #[error("branch `{0}` already exists; pick another branch name or remove the old session")]
    BranchExists(String),
    #[error("`git clone {url}` into {path} failed: {stderr}")]
    Clone {
        url: String,
        path: String,
        stderr: String,
    },
    #[error(
        "the branch `{branch}` is not on `{remote}`; it was never pushed, so there is nothing to restore the workspace from"
    )]
    BranchNotPushed { remote: String, branch: String },
    #[error("`{0}` is not a workspace kind; use `worktree` or `clone`")]
    UnknownKind(String),
    #[error("{0} already exists; remove it or choose another session")]
    PathExists(String),
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Prepare(String),
}
