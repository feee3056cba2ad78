//! The spawn queue: tasks waiting for a free slot under
//! `maxConcurrentSessions`. Kept in the database so a queue outlives the
//! command that filled it; whoever frees a slot (the daemon, the next
//! `ao batch-spawn`) starts the oldest entry.

use super::sessions::{COLUMNS, session_from_row};
use super::{Session, StateError, Store, now_ms};
use rusqlite::{OptionalExtension, Row, params};
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
}

fn queued_from_row(r: &Row<'_>) -> rusqlite::Result<QueuedSpawn> {
    Ok(QueuedSpawn {
        seq: r.get(0)?,
        project_id: r.get(1)?,
        issue_id: r.get(2)?,
        prompt: r.get(3)?,
        agent: r.get(4)?,
        queued_at: r.get(5)?,
    })
}

impl Store {
    /// Adds a task to the end of the queue.
    pub fn enqueue_spawn(
        &mut self,
        project_id: &str,
        issue_id: Option<&str>,
        prompt: &str,
        agent: Option<&str>,
    ) -> Result<QueuedSpawn, StateError> {
        self.conn.execute(
            "INSERT INTO spawn_queue (project_id, issue_id, prompt, agent, queued_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![project_id, issue_id, prompt, agent, now_ms()],
        )?;
        let seq = self.conn.last_insert_rowid();
        Ok(self
            .conn
            .query_row(
                "SELECT seq, project_id, issue_id, prompt, agent, queued_at FROM spawn_queue WHERE seq = ?1",
                [seq],
                queued_from_row,
            )?)
    }

    /// The queue, oldest first.
    pub fn queued_spawns(&self) -> Result<Vec<QueuedSpawn>, StateError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, project_id, issue_id, prompt, agent, queued_at FROM spawn_queue ORDER BY seq",
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

    /// Sessions that count against `maxConcurrentSessions`: not ended.
    pub fn active_session_count(&self) -> Result<usize, StateError> {
        Ok(self.sessions(None, false)?.len())
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
                "SELECT seq, project_id, issue_id, prompt, agent, queued_at FROM spawn_queue WHERE project_id = ?1 AND issue_id = ?2",
                params![project_id, issue],
                queued_from_row,
            )
            .optional()?)
    }
}
