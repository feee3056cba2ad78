//! Ending sessions: kill one, or clean up every session whose work is over
//! (PR merged or closed, or the agent gone). Workspaces with uncommitted or
//! unpushed work are kept unless forced, and the user is told why.

use crate::{SessionError, SessionManager};
use ao_core::state::{Session, Transition};
use std::path::Path;

/// Each cleaned-up session with its workspace note, or why it failed.
pub type CleanupResults = Vec<(CleanupCandidate, Result<Option<String>, SessionError>)>;

/// Why `cleanup` would end a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanupCandidate {
    pub id: String,
    pub reason: &'static str,
}

impl SessionManager {
    /// Ends the runtime; removes the workspace unless that would lose work.
    /// Returns a note about the workspace when it was kept.
    pub fn kill(
        &mut self,
        id: &str,
        force: bool,
    ) -> Result<(Session, Option<String>), SessionError> {
        self.end(id, force, "manually_killed", "killed")
    }

    /// Ends a session whose work is over with `status` (e.g. `merged`),
    /// removing its workspace (`force`: even with unsaved files).
    pub fn finish(
        &mut self,
        id: &str,
        status: &str,
        reason: &str,
        force: bool,
    ) -> Result<(Session, Option<String>), SessionError> {
        self.end(id, force, reason, status)
    }

    fn end(
        &mut self,
        id: &str,
        force: bool,
        reason: &str,
        status: &str,
    ) -> Result<(Session, Option<String>), SessionError> {
        let session = self.store.session(id)?;
        if let Ok(runtime) = self.runtimes.of(&session) {
            let _ = runtime.kill(id);
        }
        let mut note = None;
        if let (Some(path), Ok(project)) =
            (&session.workspace_path, self.project(&session.project_id))
            && Path::new(path).exists()
        {
            let kind = crate::spawn::workspace_kind(&project)?;
            match ao_workspace::remove(kind, &project.path, id, Path::new(path), force) {
                Ok(Ok(())) => {}
                Ok(Err(problems)) => {
                    let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
                    note = Some(format!(
                        "kept the workspace {path}: {} (use --force to remove it anyway)",
                        list.join("; ")
                    ));
                }
                Err(e) => note = Some(format!("could not remove the workspace {path}: {e}")),
            }
        }
        let session = self.store.transition(
            id,
            &Transition {
                status: Some(status.into()),
                reason: Some(reason.into()),
                event: format!("session.{status}"),
                data: note.as_ref().map(|n| serde_json::json!({ "note": n })),
                ..Transition::default()
            },
        )?;
        Ok((session, note))
    }

    /// Sessions whose work is over: their PR merged or closed, or their
    /// agent gone (the program exited or its runtime session vanished).
    pub fn cleanup_candidates(
        &self,
        project: Option<&str>,
    ) -> Result<Vec<CleanupCandidate>, SessionError> {
        let mut out = Vec::new();
        for (session, running) in self.list(project, false)? {
            let reason = match session.pr_state.as_deref() {
                Some("merged") => Some("pr_merged"),
                Some("closed") => Some("pr_closed"),
                _ if !running && session.status != "spawning" => Some("runtime_dead"),
                _ => None,
            };
            if let Some(reason) = reason {
                out.push(CleanupCandidate {
                    id: session.id,
                    reason,
                });
            }
        }
        Ok(out)
    }

    /// Ends every cleanup candidate; returns each with its workspace note.
    pub fn cleanup(
        &mut self,
        project: Option<&str>,
        force: bool,
    ) -> Result<CleanupResults, SessionError> {
        let candidates = self.cleanup_candidates(project)?;
        Ok(candidates
            .into_iter()
            .map(|c| {
                let status = if c.reason == "pr_merged" {
                    "merged"
                } else {
                    "cleanup"
                };
                let result = self
                    .end(&c.id, force, c.reason, status)
                    .map(|(_, note)| note);
                (c, result)
            })
            .collect())
    }
}
