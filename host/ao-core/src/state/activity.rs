//! Activity: what the agent reports about itself, and what ao concludes
//! from all its sources. Only changes reach the event history, so a
//! session polled every few seconds does not flood it.

use super::{AgentInfo, StateError, Store, now_ms};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

impl Store {
    /// Records what the agent reported about itself (`ao report`, its hooks).
    /// Hooks rank first among activity sources, so the report also becomes
    /// the session's activity at once.
    pub fn record_report(
        &mut self,
        id: &str,
        activity: &str,
        note: Option<&str>,
        reported_as: &str,
    ) -> Result<(), StateError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (status, previous): (String, Option<String>) = tx
            .query_row(
                "SELECT status, activity FROM sessions WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| StateError::UnknownSession(id.to_string()))?;
        let now = now_ms();
        tx.execute(
            "UPDATE sessions SET reported_activity = ?2, reported_at = ?3,
                activity = ?2, activity_source = 'hook',
                activity_at = CASE WHEN activity IS ?2 THEN activity_at ELSE ?3 END,
                updated_at = ?3
             WHERE id = ?1",
            params![id, activity, now],
        )?;
        let data = serde_json::json!({
            "reported": reported_as,
            "activity": activity,
            "from": previous,
            "note": note,
        });
        tx.execute(
            "INSERT INTO events (session_id, at, kind, from_status, to_status, reason, data)
             VALUES (?1, ?2, 'activity.reported', ?3, ?3, ?4, ?5)",
            params![id, now, status, note, data.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Sets the activity ao concluded. Writes (and records an
    /// `activity.changed` event) only when the activity or its source
    /// changes; returns whether it did.
    pub fn set_activity(
        &mut self,
        id: &str,
        activity: &str,
        source: &str,
    ) -> Result<bool, StateError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (status, previous, previous_source): (String, Option<String>, Option<String>) = tx
            .query_row(
                "SELECT status, activity, activity_source FROM sessions WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or_else(|| StateError::UnknownSession(id.to_string()))?;
        let same_activity = previous.as_deref() == Some(activity);
        if same_activity && previous_source.as_deref() == Some(source) {
            return Ok(false);
        }
        let now = now_ms();
        tx.execute(
            "UPDATE sessions SET activity = ?2, activity_source = ?3,
                activity_at = CASE WHEN ?4 THEN activity_at ELSE ?5 END
             WHERE id = ?1",
            params![id, activity, source, same_activity, now],
        )?;
        if !same_activity {
            let data = serde_json::json!({ "from": previous, "to": activity, "source": source });
            tx.execute(
                "INSERT INTO events (session_id, at, kind, from_status, to_status, data)
                 VALUES (?1, ?2, 'activity.changed', ?3, ?3, ?4)",
                params![id, now, status, data.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(true)
    }

    /// Remembers the agent's own session id (learned from its transcript).
    pub fn set_agent_session_id(
        &mut self,
        id: &str,
        agent_session_id: &str,
    ) -> Result<(), StateError> {
        self.conn.execute(
            "UPDATE sessions SET agent_session_id = ?2 WHERE id = ?1 AND agent_session_id IS NOT ?2",
            params![id, agent_session_id],
        )?;
        Ok(())
    }

    /// Remembers (or, with `None`, forgets) which transcript file is the
    /// session's: a restored agent may start a new one.
    pub fn set_transcript_path(&mut self, id: &str, path: Option<&str>) -> Result<(), StateError> {
        self.conn.execute(
            "UPDATE sessions SET transcript_path = ?2 WHERE id = ?1 AND transcript_path IS NOT ?2",
            params![id, path],
        )?;
        Ok(())
    }

    /// Records the agent's account of its work; `true` when it changed.
    pub fn set_agent_info(&mut self, id: &str, info: &AgentInfo) -> Result<bool, StateError> {
        let changed = self.conn.execute(
            "UPDATE sessions SET summary = ?2, summary_is_fallback = ?3, input_tokens = ?4,
                    output_tokens = ?5, cost_usd = ?6
             WHERE id = ?1 AND (summary IS NOT ?2 OR summary_is_fallback IS NOT ?3
                    OR input_tokens IS NOT ?4 OR output_tokens IS NOT ?5 OR cost_usd IS NOT ?6)",
            params![
                id,
                info.summary,
                info.summary_is_fallback,
                info.input_tokens,
                info.output_tokens,
                info.cost_usd
            ],
        )?;
        Ok(changed > 0)
    }
}
