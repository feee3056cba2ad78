//! The spawn queue: tasks waiting for a free slot under
//! `maxConcurrentSessions`. Kept in the database so a queue outlives the
//! command that filled it; whoever frees a slot (the daemon, the next
//! `ao batch-spawn`) starts the oldest entry.

use super::sessions::{COLUMNS, issue_taken, session_from_row};
use super::{Session, StateError, Store, now_ms};
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;

/// A task waiting to be spawned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedSpawn {
    pub seq: i64,
    pub project_id: String,
    pub issue_id: Option<String>,
    pub prompt: String,
    pub agent: Option<String>,
    pub queued_at: i64,
    /// The config file its project came from.
    pub config_path: Option<String>,
}

fn queued_from_row(r: &Row<'_>) -> rusqlite::Result<QueuedSpawn> {
    Ok(QueuedSpawn {
        seq: r.get(0)?,
        project_id: r.get(1)?,
        issue_id: r.get(2)?,
        prompt: r.get(3)?,
        agent: r.get(4)?,
        queued_at: r.get(5)?,
        config_path: r.get(6)?,
    })
}

impl Store {
    /// Adds a task to the end of the queue; a task for an issue that a live
    /// session or another entry already has is refused, atomically.
    pub fn enqueue_spawn(
        &mut self,
        project_id: &str,
        issue_id: Option<&str>,
        prompt: &str,
        agent: Option<&str>,
        config_path: Option<&str>,
    ) -> Result<QueuedSpawn, StateError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(issue) = issue_id
            && let Some(existing) = issue_taken(&tx, project_id, issue)?
        {
            return Err(StateError::DuplicateIssue {
                issue: issue.to_string(),
                existing,
            });
        }
        tx.execute(
            "INSERT INTO spawn_queue (project_id, issue_id, prompt, agent, queued_at, config_path) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![project_id, issue_id, prompt, agent, now_ms(), config_path],
        )?;
        let seq = tx.last_insert_rowid();
        let entry = tx.query_row(
            "SELECT seq, project_id, issue_id, prompt, agent, queued_at, config_path FROM spawn_queue WHERE seq = ?1",
            [seq],
            queued_from_row,
        )?;
        tx.commit()?;
        Ok(entry)
    }

    /// The queue, oldest first.
    pub fn queued_spawns(&self) -> Result<Vec<QueuedSpawn>, StateError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, project_id, issue_id, prompt, agent, queued_at, config_path FROM spawn_queue ORDER BY seq",
        )?;
        let rows = stmt.query_map([], queued_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Takes an entry off the queue; false if someone else already did.
    pub fn dequeue_spawn(&mut self, seq: i64) -> Result<bool, StateError> {
        Ok(self
            .conn
            .execute("DELETE FROM spawn_queue WHERE seq = ?1", [seq])?
            == 1)
    }

    /// The live (not ended) session already working on `issue`, if any.
    pub fn active_session_for_issue(
        &self,
        project_id: &str,
        issue: &str,
    ) -> Result<Option<Session>, StateError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM sessions WHERE project_id = ?1 AND issue_id = ?2 ORDER BY number DESC"
        ))?;
        let rows = stmt.query_map(params![project_id, issue], session_from_row)?;
        for row in rows {
            let session = row?;
            if !session.is_terminal() {
                return Ok(Some(session));
            }
        }
        Ok(None)
    }

    /// The queued entry for `issue`, if one is waiting.
    pub fn queued_for_issue(
        &self,
        project_id: &str,
        issue: &str,
    ) -> Result<Option<QueuedSpawn>, StateError> {
        Ok(self
            .conn
            .query_row(
                "SELECT seq, project_id, issue_id, prompt, agent, queued_at, config_path FROM spawn_queue WHERE project_id = ?1 AND issue_id = ?2",
                params![project_id, issue],
                queued_from_row,
            )
            .optional()?)
    }
}
