//! # ao-workspace
//!
//! Each session works in its own checkout: a git worktree of the project
//! (default) on a new branch made from the remote default branch, outside
//! the repository, under ao's data directory.
//!
//! git2 does the local work (branches, worktrees, and the checks that keep a
//! removal from throwing work away); network fetches go through the `git`
//! command so the user's credential helpers and SSH configuration apply.

pub mod prepare;
pub mod worktree;

pub use worktree::{RemoveError, Worktree, WorktreeSpec};

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
    #[error("{0} already exists; remove it or choose another session")]
    PathExists(String),
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Prepare(String),
}
