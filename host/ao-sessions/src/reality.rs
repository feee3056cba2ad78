//! Reality, checked every cycle: the store says what should be; the file
//! system and the runtimes say what is. A live session whose workspace is
//! gone becomes `workspace_lost` (with the fix: `ao session restore`), and
//! a runtime session still running for an ended session is ended.

use crate::{SessionError, SessionManager};
use ao_core::state::{Session, Transition};
use ao_runtime::Liveness;
use std::path::Path;

/// One difference found and what was done about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub id: String,
    pub what: String,
}

impl SessionManager {
    /// Compares the live sessions of this config with the file system and
    /// the runtimes; records what changed.
    pub fn check_reality(&mut self) -> Vec<Drift> {
        let mut drifts = Vec::new();
        let sessions = match self.store.sessions(None, false) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("reality check: cannot list sessions: {e}");
                return drifts;
            }
        };
        let owned: Vec<Session> = sessions.into_iter().filter(|s| self.owns(s)).collect();
        for session in &owned {
            if let Some(drift) = self.check_workspace(session) {
                drifts.push(drift);
            }
        }
        drifts.extend(self.end_orphan_runtimes());
        drifts
    }

    fn check_workspace(&mut self, session: &Session) -> Option<Drift> {
        if matches!(session.status.as_str(), "spawning" | "killing") {
            return None;
        }
        let path = session.workspace_path.as_deref()?;
        let exists = Path::new(path).exists();
        let (status, reason, event) = match (session.status.as_str(), exists) {
            ("workspace_lost", true) => (
                "working",
                "the workspace is back".to_string(),
                "session.workspace_found",
            ),
            ("workspace_lost", false) | (_, true) => return None,
            (_, false) => (
                "workspace_lost",
                lost_reason(session, path),
                "session.workspace_lost",
            ),
        };
        match self.store.transition(
            &session.id,
            &Transition {
                status: Some(status.into()),
                reason: Some(reason.clone()),
                event: event.into(),
                ..Transition::default()
            },
        ) {
            Ok(_) => Some(Drift {
                id: session.id.clone(),
                what: reason,
            }),
            Err(e) => {
                tracing::warn!("{}: cannot record its workspace: {e}", session.id);
                None
            }
        }
    }

    /// Runtime sessions named after a session that has ended (a spawn or
    /// kill whose runtime came up after it was undone): ended. Names the
    /// store does not know are left alone.
    fn end_orphan_runtimes(&self) -> Vec<Drift> {
        let mut drifts = Vec::new();
        for (name, (kind, state)) in self.runtimes.liveness() {
            let Ok(session) = self.store.session(&name) else {
                continue;
            };
            if !session.is_terminal() || !self.owns(&session) {
                continue;
            }
            if session.runtime.as_deref().unwrap_or("tmux") != kind {
                continue;
            }
            if let Ok(runtime) = self.runtimes.get(&kind)
                && runtime.kill(&name).is_ok()
            {
                let was = if state == Liveness::Running {
                    "running"
                } else {
                    "left over"
                };
                drifts.push(Drift {
                    id: name.clone(),
                    what: format!(
                        "ended its {kind} session, {was} after the session ended ({})",
                        session.status
                    ),
                });
            }
        }
        drifts
    }

    /// A session ao cannot type into: ended, or its workspace gone.
    pub(crate) fn refuse_unreachable(&self, session: &Session) -> Result<(), SessionError> {
        let id = &session.id;
        if session.status == "workspace_lost"
            || session
                .workspace_path
                .as_deref()
                .is_some_and(|p| !Path::new(p).exists())
        {
            let path = session.workspace_path.as_deref().unwrap_or("?");
            return Err(SessionError::Other(format!(
                "session {id}'s workspace {path} is missing; re-create it with `ao session restore {id}`"
            )));
        }
        if session.is_terminal() {
            return Err(SessionError::Other(format!(
                "session {id} has ended ({}); start it again with `ao session restore {id} --reopen`",
                session.status
            )));
        }
        Ok(())
    }
}

fn lost_reason(session: &Session, path: &str) -> String {
    let id = &session.id;
    match &session.branch {
        Some(branch) => format!(
            "its workspace {path} is missing; `ao session restore {id}` re-creates it from branch {branch}"
        ),
        None => format!("its workspace {path} is missing; `ao session restore {id}` re-creates it"),
    }
}
