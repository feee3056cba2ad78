//! What a session asks of its project's tracker plugin when it starts: the
//! branch name the tracker suggests for the issue (Linear's `branchName`,
//! `feat/issue-N` on GitHub and GitLab), and moving the issue to in progress.
//! Both are best effort: a tracker that is down does not stop a spawn.

use crate::{SessionError, SessionManager};
use ao_core::config::ProjectConfig;
use ao_plugin_host::PluginInstance;
use ao_plugin_host::bindings::v0_1::Project;
use ao_plugin_host::bindings::v0_1::ao::plugin::tracker_types::{IssueState, IssueUpdate};

/// The project as plugins see it.
pub fn wit_project(project: &ProjectConfig) -> Project {
    Project {
        id: project.id.clone(),
        repo: project.repo.clone(),
        path: project.path.display().to_string(),
        default_branch: project.default_branch.clone(),
    }
}

/// The branch for an issue when the tracker suggests none (or the local tracker).
pub fn default_issue_branch(issue: &str) -> String {
    format!("feat/issue-{issue}")
}

/// Whether git accepts `name` as a branch (the rules of `git check-ref-format`
/// that a tracker's suggestion could break).
pub fn is_valid_branch(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with(['-', '/', '.'])
        && !name.ends_with(['/', '.'])
        && !name.ends_with(".lock")
        && !name.contains("..")
        && !name.contains("//")
        && !name.contains("@{")
        && !name.contains("/.")
        && !name
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || "~^:?*[\\".contains(c))
}

impl SessionManager {
    /// An instance of the project's tracker plugin.
    pub fn tracker(&self, project: &ProjectConfig) -> Result<PluginInstance, SessionError> {
        let label = format!("{} ({})", project.tracker.plugin, project.id);
        self.instantiate(
            &project.tracker.plugin,
            "tracker",
            &label,
            project.tracker.settings.clone(),
        )
    }

    /// The branch a session for `issue` works on.
    pub(crate) fn issue_branch(&self, project: &ProjectConfig, issue: &str) -> String {
        let fallback = default_issue_branch(issue);
        if project.tracker.is_local() {
            return fallback;
        }
        let p = wit_project(project);
        let suggested = self.tracker(project).ok().and_then(|mut tracker| {
            tracker
                .with_tracker("branch-name", |store, g| {
                    g.call_branch_name(store, &p, issue).map(Ok)
                })
                .ok()
        });
        match suggested {
            Some(name) if is_valid_branch(name.trim()) => name.trim().to_string(),
            Some(name) => {
                tracing::warn!(project = %project.id, issue, suggested = %name, "the tracker's branch name is not a valid git branch; using {fallback}");
                fallback
            }
            None => fallback,
        }
    }

    /// Moves an issue of the project's plugin tracker to `state`, with an
    /// optional comment.
    pub fn move_issue(
        &self,
        project: &ProjectConfig,
        issue: &str,
        state: IssueState,
        comment: Option<&str>,
    ) -> Result<(), String> {
        let p = wit_project(project);
        let update = IssueUpdate {
            state: Some(state),
            add_labels: Vec::new(),
            remove_labels: Vec::new(),
            assignee: None,
            comment: comment.map(str::to_string),
        };
        let mut tracker = self.tracker(project).map_err(|e| e.to_string())?;
        tracker
            .with_tracker("update-issue", |store, g| {
                g.call_update_issue(store, &p, issue, &update)
            })
            .map_err(|e| e.to_string())
    }

    /// Moves the issue to in progress in a plugin tracker; failures are logged.
    pub(crate) fn mark_issue_started(&self, project: &ProjectConfig, issue: &str) {
        if project.tracker.is_local() {
            return;
        }
        if let Err(e) = self.move_issue(project, issue, IssueState::InProgress, None) {
            self.progress(&format!(
                "note: could not mark issue {issue} in progress in {}: {e}",
                project.tracker.plugin
            ));
            tracing::warn!(project = %project.id, issue, error = %e, "could not mark the issue in progress");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_branch_names_are_checked_against_gits_rules() {
        for good in ["feat/issue-1", "ana/eng-123-fix-login", "eng-7"] {
            assert!(is_valid_branch(good), "{good}");
        }
        for bad in [
            "", "-x", "a..b", "a b", "a~1", "x.lock", "a/", "/a", "a:b", "a@{1}", "a/.b",
        ] {
            assert!(!is_valid_branch(bad), "{bad:?}");
        }
    }
}
