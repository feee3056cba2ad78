//! Turning an issue id into the agent's task, through the project's
//! tracker: the local one (`.ao/issues/<id>.md`) or a plugin (GitHub…).

use crate::local_tracker;
use crate::plugin_scm::wit_project;
use ao_core::config::ProjectConfig;
use ao_plugin_host::bindings::v0_1::ao::plugin::tracker_types::IssueState;
use ao_sessions::SessionManager;

/// The task text for `issue`, or `None` when the project keeps no issues
/// ao can read (a local tracker without `.ao/issues/`): the id alone is the task.
pub fn task_for_issue(
    manager: &SessionManager,
    project: &ProjectConfig,
    issue: &str,
) -> Result<Option<String>, String> {
    if project.tracker.is_local() {
        if !local_tracker::issues_dir(&project.path).is_dir() {
            return Ok(None);
        }
        let found = local_tracker::get(&project.path, issue)?;
        if found.state == "closed" {
            return Err(format!(
                "issue {issue} is closed ({})",
                found.path.display()
            ));
        }
        return Ok(Some(local_tracker::prompt(&found)));
    }
    let mut tracker = manager.tracker(project).map_err(|e| e.to_string())?;
    let p = wit_project(project);
    tracker
        .with_tracker("generate-prompt", |store, g| {
            g.call_generate_prompt(store, &p, issue)
        })
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Closes the issue a merged PR resolved, when the tracker can.
pub fn close_issue(
    manager: &SessionManager,
    project: &ProjectConfig,
    issue: &str,
) -> Result<(), String> {
    if project.tracker.is_local() {
        if !local_tracker::issues_dir(&project.path).is_dir() {
            return Ok(());
        }
        return local_tracker::close(&project.path, issue);
    }
    manager.move_issue(
        project,
        issue,
        IssueState::Closed,
        Some("Resolved by the merged pull request (ao)."),
    )
}
