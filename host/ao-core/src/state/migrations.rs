//! Versioned schema migrations. `PRAGMA user_version` holds the version; each
//! migration runs in its own transaction together with the version bump.
//! Released migrations are never edited: add a new one at the end.

use super::StateError;
use rusqlite::Connection;
use std::path::Path;

/// The migrations, in order; index + 1 is the schema version they produce.
pub const MIGRATIONS: &[&str] = &[
    // 1: sessions, counters, the event history.
    "
    CREATE TABLE sessions (
        id              TEXT PRIMARY KEY,
        project_id      TEXT NOT NULL,
        prefix          TEXT NOT NULL,
        number          INTEGER NOT NULL,
        status          TEXT NOT NULL,
        reason          TEXT,
        activity        TEXT,
        branch          TEXT,
        workspace_path  TEXT,
        agent           TEXT,
        runtime         TEXT,
        runtime_handle  TEXT,
        issue_id        TEXT,
        prompt          TEXT,
        pr_number       INTEGER,
        pr_url          TEXT,
        pr_state        TEXT,
        ci              TEXT,
        review          TEXT,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        UNIQUE (prefix, number)
    );
    CREATE INDEX sessions_by_project ON sessions (project_id, status);
    CREATE TABLE session_counters (
        prefix  TEXT PRIMARY KEY,
        next    INTEGER NOT NULL
    );
    CREATE TABLE events (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id  TEXT NOT NULL,
        at          INTEGER NOT NULL,
        kind        TEXT NOT NULL,
        from_status TEXT,
        to_status   TEXT,
        reason      TEXT,
        data        TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX events_by_session ON events (session_id, seq);
    ",
    // 2: activity by source (what the agent reported vs what ao concluded),
    // the agent's own session id (for resume), and the spawn queue.
    "
    ALTER TABLE sessions ADD COLUMN reported_activity TEXT;
    ALTER TABLE sessions ADD COLUMN reported_at INTEGER;
    ALTER TABLE sessions ADD COLUMN activity_source TEXT;
    ALTER TABLE sessions ADD COLUMN activity_at INTEGER;
    ALTER TABLE sessions ADD COLUMN agent_session_id TEXT;
    CREATE INDEX sessions_by_issue ON sessions (project_id, issue_id);
    CREATE TABLE spawn_queue (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        project_id  TEXT NOT NULL,
        issue_id    TEXT,
        prompt      TEXT NOT NULL,
        agent       TEXT,
        queued_at   INTEGER NOT NULL
    );
    ",
    // 3: the PR loop: ao's own PRs for the local SCM, CI runs, reviews given
    // through ao, and reaction attempts (for retries and escalation).
    "
    CREATE TABLE local_prs (
        number      INTEGER PRIMARY KEY AUTOINCREMENT,
        project_id  TEXT NOT NULL,
        branch      TEXT NOT NULL,
        state       TEXT NOT NULL,
        head_sha    TEXT,
        created_at  INTEGER NOT NULL,
        closed_at   INTEGER
    );
    CREATE INDEX local_prs_by_branch ON local_prs (project_id, branch);
    CREATE TABLE ci_runs (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        project_id  TEXT NOT NULL,
        pr_number   INTEGER NOT NULL,
        sha         TEXT NOT NULL,
        status      TEXT NOT NULL,
        exit_code   INTEGER,
        log_path    TEXT NOT NULL,
        started_at  INTEGER NOT NULL,
        finished_at INTEGER
    );
    CREATE INDEX ci_runs_by_pr ON ci_runs (project_id, pr_number, id);
    CREATE TABLE reviews (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        project_id  TEXT NOT NULL,
        pr_number   INTEGER NOT NULL,
        verdict     TEXT NOT NULL,
        body        TEXT NOT NULL,
        author      TEXT NOT NULL,
        at          INTEGER NOT NULL
    );
    CREATE INDEX reviews_by_pr ON reviews (project_id, pr_number, id);
    CREATE TABLE reaction_attempts (
        session_id  TEXT NOT NULL,
        reaction    TEXT NOT NULL,
        attempts    INTEGER NOT NULL,
        fingerprint TEXT,
        first_at    INTEGER NOT NULL,
        last_at     INTEGER NOT NULL,
        PRIMARY KEY (session_id, reaction)
    );
    ",
    // 4: what the PR alone says of a session (the SCM rung of the status
    // precedence, kept apart from the status the agent rungs may override),
    // and when a reaction was escalated to people (once per trigger).
    "
    ALTER TABLE sessions ADD COLUMN pr_status TEXT;
    ALTER TABLE reaction_attempts ADD COLUMN escalated_at INTEGER;
    ",
];

/// Brings the schema to the newest version, refusing a newer database.
pub fn apply(conn: &mut Connection, path: &Path) -> Result<(), StateError> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if current > known {
        return Err(StateError::TooNew {
            path: path.to_path_buf(),
            found: current,
            known,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
