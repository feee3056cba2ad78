//! `ao session claim-pr`: attach an existing PR to a session — its branch
//! checked out in the session's workspace, and the PR followed from then on
//! (a fresh agent taking over a dead session's PR, or a person's PR handed
//! to an agent).

use crate::local_scm::{self, git};
use crate::plugin_scm;
use ao_core::config::ProjectConfig;
use ao_core::state::{Session, Transition};
use ao_sessions::SessionManager;
use std::path::Path;

/// Why a claim was refused, and what to do about it.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ClaimError {
    pub message: String,
    pub hint: Option<String>,
}

fn refuse(message: impl Into<String>, hint: Option<&str>) -> ClaimError {
    ClaimError {
        message: message.into(),
        hint: hint.map(str::to_string),
    }
}

/// What was claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub number: i64,
    pub url: String,
    pub branch: String,
    /// The session that had it before (`--takeover`).
    pub taken_from: Option<String>,
}

/// A PR number from `42`, `#42` or a PR URL (`…/pull/42`, `…/merge_requests/42`).
pub fn pr_number(reference: &str) -> Option<i64> {
    let tail = reference
        .trim()
        .trim_end_matches('/')
        .rsplit(['/', '#'])
        .next()?;
    tail.parse().ok().filter(|n| *n > 0)
}

/// Attaches PR `reference` to `session_id`. Another live session that has
/// the PR keeps it unless `takeover`, which releases it there.
pub fn claim_pr(
    manager: &mut SessionManager,
    session_id: &str,
    reference: &str,
    takeover: bool,
) -> Result<Claimed, ClaimError> {
    let session = manager
        .store
        .session(session_id)
        .map_err(|e| refuse(e.to_string(), Some("`ao status` lists the sessions")))?;
    if session.is_terminal() {
        return Err(refuse(
            format!("{session_id} has ended ({})", session.status),
            Some("restore it first with `ao session restore`, or claim the PR from a live session"),
        ));
    }
    let project = manager
        .config
        .projects
        .get(&session.project_id)
        .cloned()
        .ok_or_else(|| refuse(format!("no project `{}`", session.project_id), None))?;
    let number = pr_number(reference).ok_or_else(|| {
        refuse(
            format!("`{reference}` is not a PR number or URL"),
            Some("e.g. `ao session claim-pr 42 web-3` or a PR's URL"),
        )
    })?;
    let (branch, url) = find_pr(manager, &project, number)?;
    let owner = manager
        .store
        .sessions(Some(&project.id), false)
        .map_err(|e| refuse(e.to_string(), None))?
        .into_iter()
        .find(|s| s.id != session.id && s.pr_number == Some(number));
    if let Some(other) = &owner
        && !takeover
    {
        return Err(refuse(
            format!("PR #{number} belongs to {}", other.id),
            Some("pass --takeover to move it to this session"),
        ));
    }
    let workspace = session
        .workspace_path
        .as_deref()
        .map(Path::new)
        .filter(|p| p.exists())
        .ok_or_else(|| {
            refuse(
                format!("{session_id} has no workspace"),
                Some("restore it with `ao session restore`"),
            )
        })?;
    let dirty = git(
        workspace,
        &["status", "--porcelain", "--untracked-files=no"],
    )
    .map_err(|e| refuse(e, None))?;
    if !dirty.is_empty() {
        return Err(refuse(
            format!("{session_id}'s workspace has uncommitted changes"),
            Some("commit or stash them in the workspace first"),
        ));
    }
    if let Some(other) = &owner {
        release(manager, other, &branch)?;
    }
    let remote = project.remote.as_str();
    git(workspace, &["fetch", "-q", remote, &branch]).map_err(|e| refuse(e, None))?;
    let upstream = format!("{remote}/{branch}");
    git(
        workspace,
        &["checkout", "-q", "-B", &branch, "--track", &upstream],
    )
    .map_err(|e| {
        refuse(
            e,
            Some("a branch can be checked out in one worktree at a time; `git worktree list` shows where it is"),
        )
    })?;
    manager
        .store
        .transition(
            session_id,
            &Transition {
                branch: Some(branch.clone()),
                pr_number: Some(number),
                pr_url: Some(url.clone()),
                pr_state: Some("open".into()),
                event: "pr.claimed".into(),
                data: Some(serde_json::json!({ "takenFrom": owner.as_ref().map(|o| &o.id) })),
                ..Transition::default()
            },
        )
        .map_err(|e| refuse(e.to_string(), None))?;
    Ok(Claimed {
        number,
        url,
        branch,
        taken_from: owner.map(|o| o.id),
    })
}

/// The open PR's branch and URL. Local PRs are ao's own records; an SCM
/// plugin's are found through the remote's `refs/pull/N/head` (GitHub) or
/// `refs/merge-requests/N/head` (GitLab) — the branch with that head — and
/// confirmed by the plugin.
fn find_pr(
    manager: &mut SessionManager,
    project: &ProjectConfig,
    number: i64,
) -> Result<(String, String), ClaimError> {
    if project.scm.is_local() {
        let pr = manager
            .store
            .local_pr(&project.id, number)
            .map_err(|e| refuse(e.to_string(), None))?
            .ok_or_else(|| {
                refuse(
                    format!("{} has no PR #{number}", project.id),
                    Some("`ao status --all` shows the sessions and their PRs"),
                )
            })?;
        if pr.state != "open" {
            return Err(refuse(format!("PR #{number} is {}", pr.state), None));
        }
        return Ok((pr.branch, local_scm::url(project, number)));
    }
    let refs = git(&project.path, &["ls-remote", &project.remote])
        .map_err(|e| refuse(e, Some("check that the project's remote is reachable")))?;
    let sha_of = |name: &str| {
        refs.lines()
            .filter_map(|l| l.split_once('\t'))
            .find(|(_, r)| *r == name)
            .map(|(sha, _)| sha.to_string())
    };
    let head = sha_of(&format!("refs/pull/{number}/head"))
        .or_else(|| sha_of(&format!("refs/merge-requests/{number}/head")))
        .ok_or_else(|| refuse(format!("{} has no PR #{number}", project.remote), None))?;
    let branch = refs
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .find(|(sha, r)| *sha == head && r.starts_with("refs/heads/"))
        .map(|(_, r)| r.trim_start_matches("refs/heads/").to_string())
        .ok_or_else(|| {
            refuse(
                format!(
                    "PR #{number}'s branch is not on {} (a fork?)",
                    project.remote
                ),
                Some("claim PRs whose branch lives in the project's own repository"),
            )
        })?;
    let info = plugin_scm::Instances::default()
        .detect(manager, project, &branch)
        .map_err(|e| refuse(e, None))?
        .filter(|info| i64::from(info.number) == number)
        .ok_or_else(|| refuse(format!("PR #{number} is not open"), None))?;
    Ok((branch, info.url))
}

/// Takes the PR away from `other`: its workspace leaves the branch (so the
/// claiming worktree can check it out) and it no longer follows the PR.
fn release(manager: &mut SessionManager, other: &Session, branch: &str) -> Result<(), ClaimError> {
    if let Some(workspace) = other.workspace_path.as_deref().map(Path::new)
        && workspace.exists()
        && git(workspace, &["branch", "--show-current"]).is_ok_and(|b| b == branch)
    {
        git(workspace, &["checkout", "-q", "--detach"]).map_err(|e| refuse(e, None))?;
    }
    manager
        .store
        .release_pr(&other.id)
        .map_err(|e| refuse(e.to_string(), None))
}

#[cfg(test)]
mod tests {
    use super::pr_number;

    #[test]
    fn pr_references_are_numbers_or_urls() {
        assert_eq!(pr_number("42"), Some(42));
        assert_eq!(pr_number("#42"), Some(42));
        assert_eq!(pr_number("https://github.com/o/r/pull/42"), Some(42));
        assert_eq!(
            pr_number("https://gitlab.com/o/r/-/merge_requests/7/"),
            Some(7)
        );
        assert_eq!(pr_number("local:web#3"), Some(3));
        assert_eq!(pr_number("feat/x"), None);
        assert_eq!(pr_number("0"), None);
    }
}
