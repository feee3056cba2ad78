//! Versioned schema migrations. `PRAGMA user_version` holds the version; each
//! migration runs in its own transaction together with the version bump.
//! Released migrations are never edited: add a new one at the end.

use super::{StateError, file, now_ms};
use crate::private_fs;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

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
    // 5: what the agent says of its own work (from its transcript): a
    // summary or title, and the tokens and estimated cost so far; and which
    // transcript file is this session's (in a directory sessions share).
    "
    ALTER TABLE sessions ADD COLUMN transcript_path TEXT;
    ALTER TABLE sessions ADD COLUMN summary TEXT;
    ALTER TABLE sessions ADD COLUMN summary_is_fallback INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN input_tokens INTEGER;
    ALTER TABLE sessions ADD COLUMN output_tokens INTEGER;
    ALTER TABLE sessions ADD COLUMN cost_usd REAL;
    ",
    // 6: intent before effect. A multi-step operation on a session (spawn,
    // kill) records its owner process and the step it is at, so another
    // process can finish or undo it if the owner dies; sessions and queue
    // entries remember the config file they came from (projects are keyed
    // by it: two repositories may both call a project `web`).
    "
    ALTER TABLE sessions ADD COLUMN owner_pid INTEGER;
    ALTER TABLE sessions ADD COLUMN owner_start INTEGER;
    ALTER TABLE sessions ADD COLUMN op_step TEXT;
    ALTER TABLE sessions ADD COLUMN op_data TEXT;
    ALTER TABLE sessions ADD COLUMN config_path TEXT;
    ALTER TABLE spawn_queue ADD COLUMN config_path TEXT;
    CREATE INDEX sessions_by_status ON sessions (status);
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

/// Brings an existing database up to date, first copying it to
/// `backups/` when a migration is due (the way back if one goes wrong).
/// Callers hold the setup lock.
pub(crate) fn upgrade(
    conn: &mut Connection,
    path: &Path,
    data_dir: &Path,
) -> Result<(), StateError> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > 0 && current < MIGRATIONS.len() as i64 {
        backup(conn, data_dir, current)?;
    }
    apply(conn, path)
}

/// A consistent copy of the database (`VACUUM INTO`) in `backups/`, 0600;
/// the oldest beyond [`file::BACKUPS_KEPT`] are removed.
pub fn backup(conn: &Connection, data_dir: &Path, schema: i64) -> Result<PathBuf, StateError> {
    let dir = file::backups_dir(data_dir);
    let io = |source| StateError::Io {
        path: dir.clone(),
        source,
    };
    private_fs::create_dir(&dir).map_err(io)?;
    let target = dir.join(format!("ao-schema{schema}-{}.db", now_ms()));
    let _ = std::fs::remove_file(&target);
    conn.execute("VACUUM INTO ?1", [target.to_string_lossy()])?;
    private_fs::restrict(&target).map_err(io)?;
    for old in file::backups(data_dir).into_iter().skip(file::BACKUPS_KEPT) {
        let _ = std::fs::remove_file(old);
    }
    Ok(target)
}
