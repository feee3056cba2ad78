//! The state store: an embedded SQLite database (WAL) in the data directory.
//!
//! Sessions and their lifecycle, an append-only history of every transition,
//! and the session-number counters. Every change is one transaction, so a
//! crash leaves either the old state or the new one, never a half-made
//! session. Schema changes are versioned migrations ([`migrations`]).

mod activity;
pub mod migrations;
mod pr_loop;
mod queue;
mod sessions;

pub use pr_loop::{CiRun, LocalPr, ReactionAttempt, Review};
pub use queue::QueuedSpawn;
pub use sessions::{NewSession, Session, SessionEvent, TERMINAL_STATUSES, Transition};

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Errors of the state store, each naming the database file.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{path}: cannot open the state database: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "{path}: this database was written by a newer ao (schema {found}, this ao knows up to {known}); update ao"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("no session `{0}`")]
    UnknownSession(String),
    #[error("state database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// A connection to the state database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// The state database in a data directory.
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("ao.db")
}

impl Store {
    /// Opens (creating) `ao.db` in `data_dir` and brings its schema up to date.
    pub fn open(data_dir: &Path) -> Result<Store, StateError> {
        let path = database_path(data_dir);
        let open_err = |source| StateError::Open {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(data_dir)
            .map_err(|e| open_err(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        // WAL: readers (status, dashboard) never block the writer (daemon).
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(open_err)?;
        let mut store = Store { conn, path };
        migrations::apply(&mut store.conn, &store.path)?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A number that changes whenever another connection commits a change
    /// (SQLite's `data_version`): how the daemon notices CLI changes at once.
    pub fn data_version(&self) -> Result<i64, StateError> {
        Ok(self
            .conn
            .pragma_query_value(None, "data_version", |r| r.get(0))?)
    }

    /// The schema version.
    pub fn schema_version(&self) -> Result<i64, StateError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
