//! What the PR loop keeps: the local SCM's pull requests, CI runs, reviews
//! given through ao, and reaction attempts (so retries and escalation
//! survive restarts).

use super::{StateError, Store, now_ms};
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

/// Where a reaction stands on its current trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReactionAttempt {
    /// Distinct triggers reacted to since the last reset.
    pub attempts: u32,
    /// When the first of them was seen (ms).
    pub first_at: i64,
    /// People were already told it is not getting resolved.
    pub escalated: bool,
    /// This fingerprint was not seen before: something new to react to.
    pub new_trigger: bool,
}

/// A pull request of the local SCM: a pushed branch that ao recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalPr {
    pub number: i64,
    pub project_id: String,
    pub branch: String,
    /// `open`, `merged`, `closed`.
    pub state: String,
    pub head_sha: Option<String>,
    pub created_at: i64,
}

/// One CI run of a commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CiRun {
    pub id: i64,
    pub pr_number: i64,
    pub sha: String,
    /// `running`, `passed`, `failed`.
    pub status: String,
    pub exit_code: Option<i64>,
    pub log_path: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

/// A review given with `ao review` (or the dashboard).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    pub id: i64,
    pub pr_number: i64,
    /// `approve`, `request-changes`, `comment`.
    pub verdict: String,
    pub body: String,
    pub author: String,
    pub at: i64,
}

fn pr_from_row(r: &Row<'_>) -> rusqlite::Result<LocalPr> {
    Ok(LocalPr {
        number: r.get(0)?,
        project_id: r.get(1)?,
        branch: r.get(2)?,
        state: r.get(3)?,
        head_sha: r.get(4)?,
        created_at: r.get(5)?,
    })
}

fn ci_from_row(r: &Row<'_>) -> rusqlite::Result<CiRun> {
    Ok(CiRun {
        id: r.get(0)?,
        pr_number: r.get(1)?,
        sha: r.get(2)?,
        status: r.get(3)?,
        exit_code: r.get(4)?,
        log_path: r.get(5)?,
        started_at: r.get(6)?,
        finished_at: r.get(7)?,
    })
}

const PR_COLUMNS: &str = "number, project_id, branch, state, head_sha, created_at";
const CI_COLUMNS: &str = "id, pr_number, sha, status, exit_code, log_path, started_at, finished_at";

impl Store {
    /// The newest local PR of `branch`.
    pub fn local_pr_for_branch(
        &self,
        project: &str,
        branch: &str,
    ) -> Result<Option<LocalPr>, StateError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {PR_COLUMNS} FROM local_prs WHERE project_id = ?1 AND branch = ?2 ORDER BY number DESC LIMIT 1"),
                params![project, branch],
                pr_from_row,
            )
            .optional()?)
    }

    pub fn local_pr(&self, project: &str, number: i64) -> Result<Option<LocalPr>, StateError> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {PR_COLUMNS} FROM local_prs WHERE project_id = ?1 AND number = ?2"
                ),
                params![project, number],
                pr_from_row,
            )
            .optional()?)
    }

    /// Records a pushed branch as an open PR.
    pub fn open_local_pr(
        &mut self,
        project: &str,
        branch: &str,
        sha: &str,
    ) -> Result<LocalPr, StateError> {
        self.conn.execute(
            "INSERT INTO local_prs (project_id, branch, state, head_sha, created_at) VALUES (?1, ?2, 'open', ?3, ?4)",
            params![project, branch, sha, now_ms()],
        )?;
        let number = self.conn.last_insert_rowid();
        Ok(self.local_pr(project, number)?.expect("just inserted"))
    }

    pub fn set_local_pr(
        &mut self,
        number: i64,
        state: &str,
        head_sha: Option<&str>,
    ) -> Result<(), StateError> {
        self.conn.execute(
            "UPDATE local_prs SET state = ?2, head_sha = COALESCE(?3, head_sha),
                closed_at = CASE WHEN ?2 = 'open' THEN NULL ELSE ?4 END
             WHERE number = ?1",
            params![number, state, head_sha, now_ms()],
        )?;
        Ok(())
    }

    pub fn start_ci_run(
        &mut self,
        project: &str,
        pr: i64,
        sha: &str,
        log: &str,
    ) -> Result<CiRun, StateError> {
        self.conn.execute(
            "INSERT INTO ci_runs (project_id, pr_number, sha, status, log_path, started_at) VALUES (?1, ?2, ?3, 'running', ?4, ?5)",
            params![project, pr, sha, log, now_ms()],
        )?;
        let id = self.conn.last_insert_rowid();
        Ok(self.conn.query_row(
            &format!("SELECT {CI_COLUMNS} FROM ci_runs WHERE id = ?1"),
            [id],
            ci_from_row,
        )?)
    }

    pub fn finish_ci_run(&mut self, id: i64, exit_code: i64) -> Result<(), StateError> {
        let status = if exit_code == 0 { "passed" } else { "failed" };
        self.conn.execute(
            "UPDATE ci_runs SET status = ?2, exit_code = ?3, finished_at = ?4 WHERE id = ?1",
            params![id, status, exit_code, now_ms()],
        )?;
        Ok(())
    }

    /// The newest CI run of a PR.
    pub fn latest_ci_run(&self, project: &str, pr: i64) -> Result<Option<CiRun>, StateError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {CI_COLUMNS} FROM ci_runs WHERE project_id = ?1 AND pr_number = ?2 ORDER BY id DESC LIMIT 1"),
                params![project, pr],
                ci_from_row,
            )
            .optional()?)
    }

    pub fn add_review(
        &mut self,
        project: &str,
        pr: i64,
        verdict: &str,
        body: &str,
        author: &str,
    ) -> Result<Review, StateError> {
        let at = now_ms();
        self.conn.execute(
            "INSERT INTO reviews (project_id, pr_number, verdict, body, author, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![project, pr, verdict, body, author, at],
        )?;
        Ok(Review {
            id: self.conn.last_insert_rowid(),
            pr_number: pr,
            verdict: verdict.into(),
            body: body.into(),
            author: author.into(),
            at,
        })
    }

    /// Reviews of a PR, oldest first.
    pub fn reviews(&self, project: &str, pr: i64) -> Result<Vec<Review>, StateError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, pr_number, verdict, body, author, at FROM reviews WHERE project_id = ?1 AND pr_number = ?2 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![project, pr], |r| {
            Ok(Review {
                id: r.get(0)?,
                pr_number: r.get(1)?,
                verdict: r.get(2)?,
                body: r.get(3)?,
                author: r.get(4)?,
                at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records that `reaction` for `session` saw the trigger identified by
    /// `fingerprint`: a fingerprint not seen before counts one more attempt
    /// (`new_trigger`); the one already handled counts nothing.
    pub fn reaction_attempt(
        &mut self,
        session: &str,
        reaction: &str,
        fingerprint: &str,
    ) -> Result<ReactionAttempt, StateError> {
        let existing: Option<(i64, Option<String>, i64, Option<i64>)> = self
            .conn
            .query_row(
                "SELECT attempts, fingerprint, first_at, escalated_at FROM reaction_attempts WHERE session_id = ?1 AND reaction = ?2",
                params![session, reaction],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let now = now_ms();
        match existing {
            Some((attempts, seen, first_at, escalated_at)) => {
                let new_trigger = seen.as_deref() != Some(fingerprint);
                let attempts = attempts + i64::from(new_trigger);
                if new_trigger {
                    self.conn.execute(
                        "UPDATE reaction_attempts SET attempts = ?3, fingerprint = ?4, last_at = ?5 WHERE session_id = ?1 AND reaction = ?2",
                        params![session, reaction, attempts, fingerprint, now],
                    )?;
                }
                Ok(ReactionAttempt {
                    attempts: attempts as u32,
                    first_at,
                    escalated: escalated_at.is_some(),
                    new_trigger,
                })
            }
            None => {
                self.conn.execute(
                    "INSERT INTO reaction_attempts (session_id, reaction, attempts, fingerprint, first_at, last_at) VALUES (?1, ?2, 1, ?3, ?4, ?4)",
                    params![session, reaction, fingerprint, now],
                )?;
                Ok(ReactionAttempt {
                    attempts: 1,
                    first_at: now,
                    escalated: false,
                    new_trigger: true,
                })
            }
        }
    }

    /// Takes back the last attempt (it did not get through), so the same
    /// trigger is tried again next time.
    pub fn retract_attempt(&mut self, session: &str, reaction: &str) -> Result<(), StateError> {
        self.conn.execute(
            "UPDATE reaction_attempts SET attempts = MAX(attempts - 1, 0), fingerprint = NULL WHERE session_id = ?1 AND reaction = ?2",
            params![session, reaction],
        )?;
        Ok(())
    }

    /// Records that people were told `reaction` is not getting resolved.
    pub fn mark_escalated(&mut self, session: &str, reaction: &str) -> Result<(), StateError> {
        self.conn.execute(
            "UPDATE reaction_attempts SET escalated_at = ?3 WHERE session_id = ?1 AND reaction = ?2",
            params![session, reaction, now_ms()],
        )?;
        Ok(())
    }

    /// Forgets the attempts of a reaction whose trigger was resolved.
    pub fn reset_reaction(&mut self, session: &str, reaction: &str) -> Result<(), StateError> {
        self.conn.execute(
            "DELETE FROM reaction_attempts WHERE session_id = ?1 AND reaction = ?2",
            params![session, reaction],
        )?;
        Ok(())
    }
}
