//! Intent before effect. A multi-step operation on a session (spawn, kill)
//! records each step (and what it is about to make: branch, workspace,
//! runtime session) before doing it, together with the process doing it.
//! Should that process die, any other ao process sees a session in
//! `spawning` or `killing` whose owner is gone, takes the operation over
//! (one winner, by compare-and-set on the owner) and finishes or undoes it
//! from what was recorded.

use super::sessions::{COLUMNS, session_from_row};
use super::{Session, StateError, Store, now_ms};
use crate::process::ProcessId;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

/// The operations that record their steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Spawn,
    Kill,
}

impl Operation {
    /// The session status while it is under way.
    pub fn status(self) -> &'static str {
        match self {
            Operation::Spawn => "spawning",
            Operation::Kill => "killing",
        }
    }

    pub fn of_status(status: &str) -> Option<Operation> {
        match status {
            "spawning" => Some(Operation::Spawn),
            "killing" => Some(Operation::Kill),
            _ => None,
        }
    }
}

/// One recorded step: its name and the facts it is about to create.
#[derive(Debug, Clone, Default)]
pub struct Step {
    pub name: String,
    pub branch: Option<String>,
    pub workspace_path: Option<String>,
    pub runtime_handle: Option<String>,
    /// Facts merged into the operation's JSON data.
    pub data: Option<serde_json::Value>,
}

impl Step {
    pub fn named(name: &str) -> Step {
        Step {
            name: name.to_string(),
            ..Step::default()
        }
    }
}

impl Store {
    /// Records that the session's operation is about to do `step`, in one
    /// transaction with its history entry. Only the owner calls this.
    pub fn record_step(&mut self, id: &str, step: &Step) -> Result<Session, StateError> {
        Ok(self
            .write_step(id, step, None, None)?
            .expect("a step without a new owner is always written"))
    }

    /// Starts `op` on a session, owned by this process: its status, owner
    /// and first step, atomically. A session already under another live
    /// process's operation is left as it is (`false`).
    pub fn begin(
        &mut self,
        id: &str,
        op: Operation,
        step: &Step,
        reason: &str,
    ) -> Result<bool, StateError> {
        Ok(self.write_step(id, step, Some(op), Some(reason))?.is_some())
    }

    fn write_step(
        &mut self,
        id: &str,
        step: &Step,
        begin: Option<Operation>,
        reason: Option<&str>,
    ) -> Result<Option<Session>, StateError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (from, data, owner_pid, owner_start): (
            String,
            Option<String>,
            Option<i64>,
            Option<i64>,
        ) = tx
            .query_row(
                "SELECT status, op_data, owner_pid, owner_start FROM sessions WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?
            .ok_or_else(|| StateError::UnknownSession(id.to_string()))?;
        if begin.is_some() && Operation::of_status(&from).is_some() {
            let owner = owner_pid
                .and_then(|p| u32::try_from(p).ok())
                .map(|pid| ProcessId {
                    pid,
                    start: owner_start,
                });
            if owner.is_some_and(|o| o.is_running() && o != ProcessId::current()) {
                return Ok(None);
            }
        }
        let mut facts: serde_json::Value = data
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .filter(|_| begin.is_none())
            .unwrap_or_else(|| serde_json::json!({}));
        if let (Some(obj), Some(serde_json::Value::Object(more))) =
            (facts.as_object_mut(), step.data.clone())
        {
            obj.extend(more);
        }
        let now = now_ms();
        let owner = begin.map(|_| ProcessId::current());
        let status = begin.map(Operation::status);
        tx.execute(
            "UPDATE sessions SET
                op_step = ?2,
                branch = COALESCE(?3, branch),
                workspace_path = COALESCE(?4, workspace_path),
                runtime_handle = COALESCE(?5, runtime_handle),
                op_data = ?6,
                status = COALESCE(?7, status),
                reason = CASE WHEN ?7 IS NOT NULL THEN ?8 ELSE reason END,
                owner_pid = COALESCE(?9, owner_pid),
                owner_start = CASE WHEN ?9 IS NOT NULL THEN ?10 ELSE owner_start END,
                updated_at = ?11
             WHERE id = ?1",
            params![
                id,
                step.name,
                step.branch,
                step.workspace_path,
                step.runtime_handle,
                facts.to_string(),
                status,
                reason,
                owner.map(|o| o.pid),
                owner.and_then(|o| o.start),
                now
            ],
        )?;
        let event = serde_json::json!({
            "step": step.name,
            "branch": step.branch,
            "workspacePath": step.workspace_path,
            "runtimeHandle": step.runtime_handle,
        });
        tx.execute(
            "INSERT INTO events (session_id, at, kind, from_status, to_status, reason, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id,
                now,
                if begin.is_some() { "operation.started" } else { "operation.step" },
                from,
                status.unwrap_or(&from),
                reason,
                event.to_string()
            ],
        )?;
        tx.commit()?;
        Ok(Some(self.session(id)?))
    }

    /// Sessions in the middle of an operation (`spawning`, `killing`).
    pub fn in_operation(&self) -> Result<Vec<Session>, StateError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM sessions WHERE status IN ('spawning', 'killing') ORDER BY number"
        ))?;
        let rows = stmt.query_map([], session_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Takes over the operation of `session` (as read, with its dead owner)
    /// for this process: `false` if another process got there first.
    pub fn take_over(&mut self, session: &Session, why: &str) -> Result<bool, StateError> {
        let me = ProcessId::current();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let changed = tx.execute(
            "UPDATE sessions SET owner_pid = ?4, owner_start = ?5, updated_at = ?6
             WHERE id = ?1 AND status = ?2 AND owner_pid IS ?3 AND owner_start IS ?7",
            params![
                session.id,
                session.status,
                session.owner_pid,
                me.pid,
                me.start,
                now_ms(),
                session.owner_start
            ],
        )?;
        if changed == 1 {
            tx.execute(
                "INSERT INTO events (session_id, at, kind, from_status, to_status, reason, data) VALUES (?1, ?2, 'operation.taken_over', ?3, ?3, ?4, ?5)",
                params![
                    session.id,
                    now_ms(),
                    session.status,
                    why,
                    serde_json::json!({
                        "step": session.op_step,
                        "deadOwnerPid": session.owner_pid,
                        "ownerPid": me.pid,
                    })
                    .to_string()
                ],
            )?;
        }
        tx.commit()?;
        Ok(changed == 1)
    }
}
