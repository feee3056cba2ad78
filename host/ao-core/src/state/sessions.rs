//! Sessions and their transitions. Every write appends to the event history
//! in the same transaction.

use super::{StateError, Store, now_ms};
use crate::process::ProcessId;
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: String,
    pub project_id: String,
    pub number: i64,
    pub status: String,
    pub reason: Option<String>,
    /// The activity ao concluded (see `activity_source`).
    pub activity: Option<String>,
    /// Where `activity` came from: `hook`, `transcript`, `terminal`, `runtime`.
    pub activity_source: Option<String>,
    /// When `activity` last changed.
    pub activity_at: Option<i64>,
    /// What the agent itself last reported (`ao report`, its hooks), and when.
    pub reported_activity: Option<String>,
    pub reported_at: Option<i64>,
    /// The agent's own session id, for resuming it.
    pub agent_session_id: Option<String>,
    /// The agent's transcript file for this session, once its plugin has
    /// recognised it.
    pub transcript_path: Option<String>,
    pub branch: Option<String>,
    pub workspace_path: Option<String>,
    pub agent: Option<String>,
    pub runtime: Option<String>,
    pub runtime_handle: Option<String>,
    pub issue_id: Option<String>,
    pub prompt: Option<String>,
    pub pr_number: Option<i64>,
    pub pr_url: Option<String>,
    /// `open`, `draft`, `merged`, `closed`.
    pub pr_state: Option<String>,
    /// CI summary: `pending`, `passing`, `failing`.
    pub ci: Option<String>,
    /// Review decision: `approved`, `changes_requested`, `pending`.
    pub review: Option<String>,
    /// The status the PR alone implies (`ci_failed`, `mergeable`…); the
    /// session's `status` may say more urgent things about its agent.
    pub pr_status: Option<String>,
    /// What the agent says of its work, from its transcript.
    #[serde(flatten)]
    pub agent_info: AgentInfo,
    pub created_at: i64,
    pub updated_at: i64,
    /// The process doing a multi-step operation on it (spawn, kill), while
    /// one is under way: pid and start time (see [`ProcessId`]).
    pub owner_pid: Option<i64>,
    pub owner_start: Option<i64>,
    /// The step that operation recorded last, before doing it.
    pub op_step: Option<String>,
    /// Facts the operation needs to be finished or undone by another
    /// process (JSON: the repository, the workspace kind…).
    pub op_data: Option<String>,
    /// The config file its project came from (projects are keyed by it).
    pub config_path: Option<String>,
}

/// The agent's own account of a session: its title or summary (or, as a
/// fallback, the start of the task) and what it has cost so far.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentInfo {
    pub summary: Option<String>,
    /// The summary is ao's guess (the first prompt), not the agent's words.
    pub summary_is_fallback: bool,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    /// Estimated from the tokens at the plugin's list prices.
    pub cost_usd: Option<f64>,
}

/// Statuses after which a session does nothing more.
pub const TERMINAL_STATUSES: &[&str] = &[
    "merged",
    "killed",
    "done",
    "errored",
    "terminated",
    "cleanup",
];

/// Statuses the PR loop leaves alone: an operation is under way
/// (`spawning`, `killing`), or the workspace is gone until it is restored.
pub const HELD_STATUSES: &[&str] = &["spawning", "killing", "workspace_lost"];

impl Session {
    pub fn is_terminal(&self) -> bool {
        TERMINAL_STATUSES.contains(&self.status.as_str())
    }

    /// Whether only its operation (or a restore) may move its status.
    pub fn is_held(&self) -> bool {
        HELD_STATUSES.contains(&self.status.as_str())
    }

    /// The process running its operation, if one is recorded.
    pub fn owner(&self) -> Option<ProcessId> {
        Some(ProcessId {
            pid: u32::try_from(self.owner_pid?).ok()?,
            start: self.owner_start,
        })
    }

    /// The operation's recorded facts (`{}` when none).
    pub fn op_facts(&self) -> serde_json::Value {
        self.op_data
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or_else(|| serde_json::json!({}))
    }
}

/// What is known when a session is first recorded.
#[derive(Debug, Clone, Default)]
pub struct NewSession {
    pub project_id: String,
    /// Session ids are `{prefix}-{N}`.
    pub prefix: String,
    pub agent: Option<String>,
    pub runtime: Option<String>,
    pub issue_id: Option<String>,
    pub prompt: Option<String>,
    /// The config file the project came from.
    pub config_path: Option<String>,
}

/// A change of status (and optionally of other facts), recorded with a reason.
#[derive(Debug, Clone, Default)]
pub struct Transition {
    pub status: Option<String>,
    pub reason: Option<String>,
    pub activity: Option<String>,
    pub branch: Option<String>,
    pub workspace_path: Option<String>,
    pub runtime_handle: Option<String>,
    pub pr_number: Option<i64>,
    pub pr_url: Option<String>,
    pub pr_state: Option<String>,
    pub ci: Option<String>,
    pub review: Option<String>,
    pub pr_status: Option<String>,
    /// The event kind for the history (`session.working`, `pr.created`…).
    pub event: String,
    /// Extra facts for the history, as JSON.
    pub data: Option<serde_json::Value>,
}

/// One entry of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionEvent {
    pub seq: i64,
    pub session_id: String,
    pub at: i64,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub reason: Option<String>,
    pub data: String,
}

pub(super) const COLUMNS: &str = "id, project_id, number, status, reason, activity, branch, workspace_path, agent, runtime, \
                       runtime_handle, issue_id, prompt, pr_number, pr_url, created_at, updated_at, \
                       activity_source, activity_at, reported_activity, reported_at, agent_session_id, pr_state, ci, review, pr_status, \
                       summary, summary_is_fallback, input_tokens, output_tokens, cost_usd, transcript_path, \
                       owner_pid, owner_start, op_step, op_data, config_path";

pub(super) fn session_from_row(r: &Row<'_>) -> rusqlite::Result<Session> {
    Ok(Session {
        id: r.get(0)?,
        project_id: r.get(1)?,
        number: r.get(2)?,
        status: r.get(3)?,
        reason: r.get(4)?,
        activity: r.get(5)?,
        branch: r.get(6)?,
        workspace_path: r.get(7)?,
        agent: r.get(8)?,
        runtime: r.get(9)?,
        runtime_handle: r.get(10)?,
        issue_id: r.get(11)?,
        prompt: r.get(12)?,
        pr_number: r.get(13)?,
        pr_url: r.get(14)?,
        created_at: r.get(15)?,
        updated_at: r.get(16)?,
        activity_source: r.get(17)?,
        activity_at: r.get(18)?,
        reported_activity: r.get(19)?,
        reported_at: r.get(20)?,
        agent_session_id: r.get(21)?,
        pr_state: r.get(22)?,
        ci: r.get(23)?,
        review: r.get(24)?,
        pr_status: r.get(25)?,
        agent_info: AgentInfo {
            summary: r.get(26)?,
            summary_is_fallback: r.get(27)?,
            input_tokens: r.get(28)?,
            output_tokens: r.get(29)?,
            cost_usd: r.get(30)?,
        },
        transcript_path: r.get(31)?,
        owner_pid: r.get(32)?,
        owner_start: r.get(33)?,
        op_step: r.get(34)?,
        op_data: r.get(35)?,
        config_path: r.get(36)?,
    })
}

fn event_from_row(r: &Row<'_>) -> rusqlite::Result<SessionEvent> {
    Ok(SessionEvent {
        seq: r.get(0)?,
        session_id: r.get(1)?,
        at: r.get(2)?,
        kind: r.get(3)?,
        from_status: r.get(4)?,
        to_status: r.get(5)?,
        reason: r.get(6)?,
        data: r.get(7)?,
    })
}

impl Store {
    /// Reserves the next `{prefix}-{N}` and records the session as
    /// `spawning`, owned by this process, atomically: two concurrent spawns
    /// never get the same id, and of two for the same issue (live session or
    /// queue entry) only one gets through.
    pub fn create_session(&mut self, new: &NewSession) -> Result<Session, StateError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(issue) = &new.issue_id
            && let Some(existing) = issue_taken(&tx, &new.project_id, issue)?
        {
            return Err(StateError::DuplicateIssue {
                issue: issue.clone(),
                existing,
            });
        }
        let next: i64 = tx
            .query_row(
                "SELECT next FROM session_counters WHERE prefix = ?1",
                [&new.prefix],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(1);
        tx.execute(
            "INSERT INTO session_counters (prefix, next) VALUES (?1, ?2)
             ON CONFLICT (prefix) DO UPDATE SET next = excluded.next",
            params![new.prefix, next + 1],
        )?;
        let id = format!("{}-{next}", new.prefix);
        let now = now_ms();
        let owner = ProcessId::current();
        tx.execute(
            "INSERT INTO sessions (id, project_id, prefix, number, status, agent, runtime, issue_id, prompt, created_at, updated_at,
                                   owner_pid, owner_start, op_step, config_path)
             VALUES (?1, ?2, ?3, ?4, 'spawning', ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, 'reserved', ?12)",
            params![id, new.project_id, new.prefix, next, new.agent, new.runtime, new.issue_id, new.prompt, now,
                    owner.pid, owner.start, new.config_path],
        )?;
        tx.execute(
            "INSERT INTO events (session_id, at, kind, to_status, data) VALUES (?1, ?2, 'session.created', 'spawning', ?3)",
            params![id, now, serde_json::json!({ "ownerPid": owner.pid }).to_string()],
        )?;
        tx.commit()?;
        self.session(&id)
    }

    /// One session.
    pub fn session(&self, id: &str) -> Result<Session, StateError> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM sessions WHERE id = ?1"),
                [id],
                session_from_row,
            )
            .optional()?
            .ok_or_else(|| StateError::UnknownSession(id.to_string()))
    }

    /// Sessions, oldest first; terminal ones only when asked.
    pub fn sessions(
        &self,
        project: Option<&str>,
        include_terminal: bool,
    ) -> Result<Vec<Session>, StateError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM sessions WHERE (?1 IS NULL OR project_id = ?1) ORDER BY created_at, number"
        ))?;
        let rows = stmt.query_map([project], session_from_row)?;
        let mut out = Vec::new();
        for row in rows {
            let s = row?;
            if include_terminal || !s.is_terminal() {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// Applies a transition and appends it to the history, in one transaction.
    pub fn transition(&mut self, id: &str, t: &Transition) -> Result<Session, StateError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let from: String = tx
            .query_row("SELECT status FROM sessions WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| StateError::UnknownSession(id.to_string()))?;
        let now = now_ms();
        tx.execute(
            "UPDATE sessions SET
                status = COALESCE(?2, status),
                reason = CASE WHEN ?2 IS NOT NULL THEN ?3 ELSE COALESCE(?3, reason) END,
                activity = COALESCE(?4, activity),
                branch = COALESCE(?5, branch),
                workspace_path = COALESCE(?6, workspace_path),
                runtime_handle = COALESCE(?7, runtime_handle),
                pr_number = COALESCE(?8, pr_number),
                pr_url = COALESCE(?9, pr_url),
                updated_at = ?10,
                pr_state = COALESCE(?11, pr_state),
                ci = COALESCE(?12, ci),
                review = COALESCE(?13, review),
                pr_status = COALESCE(?14, pr_status),
                owner_pid = CASE WHEN ?2 IS NOT NULL AND ?2 NOT IN ('spawning', 'killing') THEN NULL ELSE owner_pid END,
                owner_start = CASE WHEN ?2 IS NOT NULL AND ?2 NOT IN ('spawning', 'killing') THEN NULL ELSE owner_start END
             WHERE id = ?1",
            params![
                id,
                t.status,
                t.reason,
                t.activity,
                t.branch,
                t.workspace_path,
                t.runtime_handle,
                t.pr_number,
                t.pr_url,
                now,
                t.pr_state,
                t.ci,
                t.review,
                t.pr_status
            ],
        )?;
        let data = t
            .data
            .as_ref()
            .map(|d| d.to_string())
            .unwrap_or_else(|| "{}".into());
        tx.execute(
            "INSERT INTO events (session_id, at, kind, from_status, to_status, reason, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![id, now, t.event, from, t.status.as_deref().unwrap_or(&from), t.reason, data],
        )?;
        tx.commit()?;
        self.session(id)
    }

    /// Stops `id` following its PR and branch (another session took them
    /// over; its workspace has left the branch).
    pub fn release_pr(&mut self, id: &str) -> Result<(), StateError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let status: String = tx
            .query_row("SELECT status FROM sessions WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| StateError::UnknownSession(id.to_string()))?;
        tx.execute(
            "UPDATE sessions SET pr_number = NULL, pr_url = NULL, pr_state = NULL, ci = NULL,
                review = NULL, pr_status = NULL, branch = NULL, updated_at = ?2 WHERE id = ?1",
            params![id, now_ms()],
        )?;
        tx.execute(
            "INSERT INTO events (session_id, at, kind, from_status, to_status, reason, data) VALUES (?1, ?2, 'pr.released', ?3, ?3, 'pr_taken_over', '{}')",
            params![id, now_ms(), status],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The history of one session, oldest first.
    pub fn events(&self, id: &str) -> Result<Vec<SessionEvent>, StateError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, session_id, at, kind, from_status, to_status, reason, data FROM events WHERE session_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([id], event_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Events after `seq` across all sessions (for the daemon's change feed).
    pub fn events_since(&self, seq: i64) -> Result<Vec<SessionEvent>, StateError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, session_id, at, kind, from_status, to_status, reason, data FROM events WHERE seq > ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([seq], event_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// The live session or queue entry that already has `issue`, if any.
pub(super) fn issue_taken(
    conn: &rusqlite::Connection,
    project: &str,
    issue: &str,
) -> Result<Option<String>, StateError> {
    let placeholders = TERMINAL_STATUSES
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let live: Option<String> = conn
        .query_row(
            &format!(
                "SELECT id FROM sessions WHERE project_id = ?1 AND issue_id = ?2 AND status NOT IN ({placeholders}) ORDER BY number DESC LIMIT 1"
            ),
            params![project, issue],
            |r| r.get(0),
        )
        .optional()?;
    if live.is_some() {
        return Ok(live);
    }
    let queued: Option<i64> = conn
        .query_row(
            "SELECT seq FROM spawn_queue WHERE project_id = ?1 AND issue_id = ?2",
            params![project, issue],
            |r| r.get(0),
        )
        .optional()?;
    Ok(queued.map(|seq| format!("queue entry {seq}")))
}
