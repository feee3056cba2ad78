//! Ending sessions: kill one, or clean up every session whose work is over
//! (PR merged or closed, or the agent gone). Workspaces with uncommitted or
//! unpushed work are kept unless forced, and the user is told why.

use crate::recover::{kill_step, unsaved_work};
use crate::steps::KillStep;
use crate::{SessionError, SessionManager};
use ao_core::state::{Operation, Session, Step, Transition};
use ao_workspace::WorkspaceKind;

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

    /// Ends a session, recording each step first (status `killing`), so
    /// a kill interrupted midway is finished by the next ao process.
    pub(crate) fn end(
        &mut self,
        id: &str,
        force: bool,
        reason: &str,
        status: &str,
    ) -> Result<(Session, Option<String>), SessionError> {
        let session = self.store.session(id)?;
        // A kill taken over from a dead process resumes where it was.
        let resumed = kill_step(&session);
        let ws = self.workspace_facts(&session);
        let began = self.store.begin(
            id,
            Operation::Kill,
            &Step {
                name: KillStep::Runtime.as_str().into(),
                workspace_path: ws.path.as_ref().map(|p| p.display().to_string()),
                data: Some(serde_json::json!({
                    "endStatus": status,
                    "endReason": reason,
                    "force": force,
                    "repo": ws.repo.as_ref().map(|r| r.display().to_string()),
                    "workspace": ws.kind.as_str(),
                })),
                ..Step::default()
            },
            reason,
        )?;
        if !began {
            let owner = session.owner_pid.unwrap_or_default();
            return Err(SessionError::Other(format!(
                "session {id} is {} by another ao process (pid {owner}); try again when it is done",
                if session.status == "spawning" {
                    "being spawned"
                } else {
                    "being ended"
                }
            )));
        }
        if let Ok(runtime) = self.runtimes.of(&session) {
            let _ = runtime.kill(id);
        }
        // An agent that outlived its terminal is ended too.
        crate::leftovers::end(id, &self.paths.data, crate::leftovers::GRACE);
        let mut note = None;
        if let (Some(path), Some(repo)) = (&ws.path, &ws.repo)
            && path.exists()
        {
            // Found safe (or forced) before: finish removing it unchecked.
            let safe = force || resumed == Some(KillStep::Removing);
            let problems = if safe {
                Vec::new()
            } else {
                self.store
                    .record_step(id, &Step::named(KillStep::Checking.as_str()))?;
                unsaved_work(ws.kind, path)
            };
            if problems.is_empty() {
                self.store
                    .record_step(id, &Step::named(KillStep::Removing.as_str()))?;
                if let Err(e) = ao_workspace::remove(ws.kind, repo, id, path, true) {
                    note = Some(format!(
                        "could not remove the workspace {}: {e}",
                        path.display()
                    ));
                }
            } else {
                note = Some(format!(
                    "kept the workspace {}: {} (use --force to remove it anyway)",
                    path.display(),
                    problems.join("; ")
                ));
            }
        }
        // Its branch goes too when nothing would be lost, so a new session
        // for the same issue can start afresh.
        let mut branch_note = None;
        if note.is_none()
            && ws.kind == WorkspaceKind::Worktree
            && let (Some(repo), Some(branch)) = (&ws.repo, &ws.branch)
        {
            let _ = ao_workspace::worktree::prune_stale(repo);
            if resumed.is_some() {
                // Its killed predecessor may have been changing the branch.
                let _ = ao_workspace::worktree::clear_branch_lock(repo, branch);
            }
            branch_note = match ao_workspace::worktree::delete_branch_if_pushed(repo, branch) {
                Ok(true) => None,
                Ok(false) => Some(format!("kept branch {branch}: it has unpushed commits")),
                Err(e) => Some(format!("could not delete branch {branch}: {e}")),
            };
        }
        let session = self.store.transition(
            id,
            &Transition {
                status: Some(status.into()),
                reason: Some(reason.into()),
                event: format!("session.{status}"),
                data: Some(serde_json::json!({ "note": note, "branch": branch_note })),
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
            if !self.owns(&session) || session.is_held() {
                continue;
            }
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
