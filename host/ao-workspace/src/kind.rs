//! The project's `workspace:` choice, and one entry point per step for
//! either kind.

use crate::worktree::RemoveError;
use crate::{Workspace, WorkspaceError, WorkspaceSpec, clone, worktree};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// How a session's checkout is made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum WorkspaceKind {
    /// A git worktree of the project's main checkout (shares its objects).
    #[default]
    Worktree,
    /// A full, independent clone of the project's remote.
    Clone,
}

impl WorkspaceKind {
    /// Every kind, as the config spells it.
    pub const ALL: [WorkspaceKind; 2] = [WorkspaceKind::Worktree, WorkspaceKind::Clone];

    pub fn as_str(self) -> &'static str {
        match self {
            WorkspaceKind::Worktree => "worktree",
            WorkspaceKind::Clone => "clone",
        }
    }
}

impl fmt::Display for WorkspaceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WorkspaceKind {
    type Err = WorkspaceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WorkspaceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| WorkspaceError::UnknownKind(s.to_string()))
    }
}

/// Makes a session's workspace: fetch (worktree) or clone, then the new
/// branch from `<remote>/<default_branch>`, checked out at `spec.path`.
pub fn create(
    kind: WorkspaceKind,
    spec: &WorkspaceSpec,
    progress: Option<&mut dyn FnMut(&str)>,
) -> Result<Workspace, WorkspaceError> {
    match kind {
        WorkspaceKind::Worktree => worktree::create_with_progress(spec, progress),
        WorkspaceKind::Clone => clone::create(spec, progress),
    }
}

/// Restores a session's workspace on its existing branch. A worktree is
/// re-added from the local branch (an existing directory is an error); a
/// clone is reused if present, else cloned again from the pushed branch.
pub fn attach(
    kind: WorkspaceKind,
    spec: &WorkspaceSpec,
    progress: Option<&mut dyn FnMut(&str)>,
) -> Result<Workspace, WorkspaceError> {
    match kind {
        WorkspaceKind::Worktree => worktree::attach(spec),
        WorkspaceKind::Clone => clone::attach(spec, progress),
    }
}

/// Removes a session's workspace, refusing (unless `force`) when that would
/// lose uncommitted or unpushed work. `repo` and `name` locate a worktree's
/// registration; a clone needs only its `path`.
pub fn remove(
    kind: WorkspaceKind,
    repo: &Path,
    name: &str,
    path: &Path,
    force: bool,
) -> Result<Result<(), Vec<RemoveError>>, WorkspaceError> {
    match kind {
        WorkspaceKind::Worktree => worktree::remove(repo, name, path, force),
        WorkspaceKind::Clone => clone::remove(path, force),
    }
}
