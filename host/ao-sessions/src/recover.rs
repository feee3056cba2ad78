//! Finishing what a dead process started. A spawn or kill records each step
//! before taking it, with its owner process; a session found `spawning` or
//! `killing` whose owner is gone is taken over (one process wins) and
//! either adopted (the agent already runs with its task), rolled back (what
//! the recorded steps may have made is removed), or its kill finished. The
//! history says which and why.

use crate::steps::{KillStep, SpawnStep};
use crate::{SessionError, SessionManager, default_issue_branch};
use ao_core::state::{Operation, Session, Transition};
use ao_runtime::RuntimeError;
use ao_workspace::WorkspaceKind;
use std::path::{Path, PathBuf};

/// One interrupted operation and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    pub id: String,
    /// `adopted`, `rolled_back` or `killed` (the kill finished).
    pub outcome: &'static str,
    pub reason: String,
}

/// Where a session's workspace lives and how to remove it.
pub(crate) struct WorkspaceFacts {
    pub repo: Option<PathBuf>,
    pub kind: WorkspaceKind,
    pub path: Option<PathBuf>,
    pub branch: Option<String>,
}

impl SessionManager {
    /// Finds operations whose owner died and finishes or undoes them. Cheap
    /// when there are none (one query); every command and daemon cycle
    /// calls it, so nothing stays `spawning` or `killing`.
    pub fn recover(&mut self) -> Vec<Recovered> {
        let pending = match self.store.in_operation() {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!("cannot look for interrupted operations: {e}");
                return Vec::new();
            }
        };
        let mut done = Vec::new();
        for session in pending {
            if session.owner().is_some_and(|o| o.is_running()) {
                continue;
            }
            let Some(op) = Operation::of_status(&session.status) else {
                continue;
            };
            let owner = session
                .owner_pid
                .map_or("an older ao".to_string(), |p| format!("pid {p}"));
            let step = session.op_step.clone().unwrap_or_else(|| "unknown".into());
            let why = format!("the process doing it ({owner}) died at step `{step}`");
            match self.store.take_over(&session, &why) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!("{}: cannot take over its operation: {e}", session.id);
                    continue;
                }
            }
            let result = match op {
                Operation::Spawn => self.finish_spawn(&session, &why),
                Operation::Kill => self.finish_kill(&session, &why),
            };
            match result {
                Ok(r) => {
                    tracing::info!("{}: {} ({})", r.id, r.outcome, r.reason);
                    done.push(r);
                }
                Err(e) => tracing::warn!(
                    "{}: cannot finish its interrupted operation: {e}",
                    session.id
                ),
            }
        }
        done
    }

    /// Adopts a spawn that got as far as a running agent with its task;
    /// rolls back any other.
    fn finish_spawn(&mut self, session: &Session, why: &str) -> Result<Recovered, SessionError> {
        let step = SpawnStep::parse(session.op_step.as_deref());
        let inline = session.op_facts()["inlinePrompt"].as_bool() == Some(true);
        let alive = step >= SpawnStep::Runtime && self.is_alive(session);
        let got_task = step == SpawnStep::Running || (inline && step >= SpawnStep::Runtime);
        if alive && got_task {
            let reason = format!("adopted: {why}, after its agent was running with its task");
            self.store.transition(
                &session.id,
                &Transition {
                    status: Some("working".into()),
                    reason: Some(reason.clone()),
                    event: "session.adopted".into(),
                    ..Transition::default()
                },
            )?;
            return Ok(Recovered {
                id: session.id.clone(),
                outcome: "adopted",
                reason,
            });
        }
        let notes = self.undo_spawn(session);
        let mut reason = format!("spawn interrupted: {why}; rolled back");
        if !notes.is_empty() {
            reason.push_str(&format!(" ({})", notes.join("; ")));
        }
        self.store.transition(
            &session.id,
            &Transition {
                status: Some("errored".into()),
                reason: Some(reason.clone()),
                event: "session.rolled_back".into(),
                ..Transition::default()
            },
        )?;
        Ok(Recovered {
            id: session.id.clone(),
            outcome: "rolled_back",
            reason,
        })
    }

    /// Ends what was being killed, as the kill asked.
    fn finish_kill(&mut self, session: &Session, why: &str) -> Result<Recovered, SessionError> {
        let facts = session.op_facts();
        let status = facts["endStatus"].as_str().unwrap_or("killed").to_string();
        let reason = facts["endReason"]
            .as_str()
            .unwrap_or("manually_killed")
            .to_string();
        let force = facts["force"].as_bool() == Some(true);
        let (ended, note) = self.end(&session.id, force, &reason, &status)?;
        Ok(Recovered {
            id: ended.id,
            outcome: "killed",
            reason: match note {
                Some(n) => format!("kill finished after {why}; {n}"),
                None => format!("kill finished after {why}"),
            },
        })
    }

    /// Removes what a spawn's recorded steps may have made: its runtime
    /// session, its workspace, and its branch (unless the branch holds
    /// commits on no remote). Returns notes on what could not be undone.
    pub(crate) fn undo_spawn(&self, session: &Session) -> Vec<String> {
        let step = SpawnStep::parse(session.op_step.as_deref());
        let mut notes = Vec::new();
        if step >= SpawnStep::Runtime
            && let Ok(runtime) = self.runtimes.of(session)
        {
            match runtime.kill(&session.id) {
                Ok(()) | Err(RuntimeError::NoSession(_)) => {}
                Err(e) => notes.push(format!("runtime: {e}")),
            }
        }
        if step < SpawnStep::Workspace {
            return notes;
        }
        let ws = self.workspace_facts(session);
        let Some(repo) = ws.repo else {
            notes.push(format!(
                "project `{}` is not in this config: its workspace and branch are left",
                session.project_id
            ));
            return notes;
        };
        if let Some(path) = &ws.path
            && let Err(e) = ao_workspace::remove(ws.kind, &repo, &session.id, path, true)
        {
            notes.push(format!("workspace {}: {e}", path.display()));
        }
        if ws.kind == WorkspaceKind::Worktree {
            let _ = ao_workspace::worktree::prune_stale(&repo);
            if let Some(branch) = &ws.branch {
                // The spawn that held it is over (failed, or its process died).
                let _ = ao_workspace::worktree::clear_branch_lock(&repo, branch);
                match ao_workspace::worktree::delete_branch_if_pushed(&repo, branch) {
                    Ok(true) => {}
                    Ok(false) => {
                        notes.push(format!("kept branch {branch}: it has unpushed commits"))
                    }
                    Err(e) => notes.push(format!("branch {branch}: {e}")),
                }
            }
        }
        notes
    }

    /// A session's workspace and branch: as recorded, else where ao puts
    /// them (sessions from before steps were recorded).
    pub(crate) fn workspace_facts(&self, session: &Session) -> WorkspaceFacts {
        let facts = session.op_facts();
        let project = self
            .project(&session.project_id)
            .ok()
            .filter(|_| self.owns(session));
        let repo = facts["repo"]
            .as_str()
            .map(PathBuf::from)
            .or_else(|| project.as_ref().map(|p| p.path.clone()));
        let kind = facts["workspace"]
            .as_str()
            .or(project.as_ref().map(|p| p.workspace.as_str()))
            .and_then(|k| k.parse().ok())
            .unwrap_or(WorkspaceKind::Worktree);
        let path = session
            .workspace_path
            .as_ref()
            .map(PathBuf::from)
            .or_else(|| {
                Some(self.workspace_path(&session.project_id, &session.id)).filter(|p| p.exists())
            });
        let branch = session.branch.clone().or_else(|| {
            // Only a spawn from before steps were recorded lacks it.
            session.op_step.is_none().then(|| match &session.issue_id {
                Some(issue) => default_issue_branch(issue),
                None => format!("session/{}", session.id),
            })
        });
        WorkspaceFacts {
            repo,
            kind,
            path,
            branch,
        }
    }
}

/// Whether removing the workspace would lose work (uncommitted or
/// unpushed changes).
pub(crate) fn unsaved_work(kind: WorkspaceKind, path: &Path) -> Vec<String> {
    let problems = match kind {
        WorkspaceKind::Worktree => ao_workspace::worktree::unsaved_work(path),
        WorkspaceKind::Clone => ao_workspace::clone::unsaved_work(path),
    };
    match problems {
        Ok(p) => p.iter().map(ToString::to_string).collect(),
        Err(e) => vec![format!("cannot check it: {e}")],
    }
}

/// The kill step on record, for a kill that is finished by another process.
pub(crate) fn kill_step(session: &Session) -> Option<KillStep> {
    (session.status == "killing").then(|| KillStep::parse(session.op_step.as_deref()))
}
