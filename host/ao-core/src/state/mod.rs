//! The state store: an embedded SQLite database (WAL) in the data directory.
//!
//! Sessions and their lifecycle, an append-only history of every transition,
//! and the session-number counters. Every change is one transaction, so a
//! crash leaves either the old state or the new one, never a half-made
//! session. Schema changes are versioned migrations ([`migrations`]).

mod activity;
pub mod file;
pub mod migrations;
mod operations;
mod pr_loop;
mod queue;
pub mod repair;
mod sessions;

pub use operations::{Operation, Step};
pub use pr_loop::{CiRun, LocalPr, ReactionAttempt, Review};
pub use queue::QueuedSpawn;
pub use repair::{Repaired, check, repair};
pub use sessions::{
    AgentInfo, HELD_STATUSES, NewSession, Session, SessionEvent, TERMINAL_STATUSES, Transition,
};

use crate::lock::{FileLock, lock_path};
use crate::private_fs;
use file::FileState;
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
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}: this database was written by a newer ao (schema {found}, this ao knows up to {known}); update ao"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    /// The file is there but unusable: never replaced silently, since a
    /// new database would forget every session (and reuse their ids).
    #[error(
        "{path}: the state database is damaged: {problem}. ao will not start a new one over it; {way_out}"
    )]
    Damaged {
        path: PathBuf,
        problem: String,
        way_out: String,
    },
    #[error("the state database is busy: {0}; another ao is creating or upgrading it")]
    Locked(#[from] crate::lock::LockError),
    #[error("no session `{0}`")]
    UnknownSession(String),
    #[error("issue {issue} is already being worked on by {existing}")]
    DuplicateIssue { issue: String, existing: String },
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

/// How long opening waits for another process creating or migrating the
/// database (the others wait and then see its result).
const SETUP_WAIT: Duration = Duration::from_secs(60);

/// The lock held while the database is checked, created or migrated.
pub(crate) fn setup_lock(data_dir: &Path) -> Result<FileLock, StateError> {
    Ok(FileLock::exclusive(
        &lock_path(data_dir, "database"),
        SETUP_WAIT,
    )?)
}

impl Store {
    /// Opens `ao.db` in `data_dir` and brings its schema up to date: creates
    /// it when the data directory never had one; refuses a damaged file.
    /// Creation and migration happen under an exclusive lock: one process
    /// does them, the others wait and open the result.
    pub fn open(data_dir: &Path) -> Result<Store, StateError> {
        let path = database_path(data_dir);
        let io = |source| StateError::Io {
            path: data_dir.to_path_buf(),
            source,
        };
        private_fs::create_dir(data_dir).map_err(io)?;
        let _setup = setup_lock(data_dir)?;
        let damaged = |problem: String| StateError::Damaged {
            path: path.clone(),
            problem,
            way_out: file::way_out(data_dir),
        };
        match file::inspect(&path).map_err(io)? {
            FileState::Missing => {
                if let Some(trace) = file::traces_of_a_database(data_dir, &path) {
                    return Err(damaged(format!("the file is missing but {trace}")));
                }
                create_new(&path)?;
            }
            FileState::Sqlite => {}
            FileState::Damaged(problem) => return Err(damaged(problem)),
        }
        let mut conn = connect(&path)?;
        // Reading the schema is where SQLite notices a corrupt file.
        if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        }) {
            return Err(if is_corruption(&e) {
                damaged(e.to_string())
            } else {
                StateError::Open { path, source: e }
            });
        }
        migrations::upgrade(&mut conn, &path, data_dir)?;
        Ok(Store { conn, path })
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

    /// SQLite's `quick_check`: the problems it finds (none: healthy).
    pub fn quick_check(&self) -> Result<Vec<String>, StateError> {
        check_pragma(&self.conn, "quick_check")
    }

    /// Whether the database still looks right on disk and answers: cheap
    /// enough for every daemon cycle (a `stat` and one query; the file is
    /// never opened outside SQLite, see [`file::inspect`]).
    pub fn health(&self) -> Result<(), String> {
        let at = self.path.display();
        match std::fs::metadata(&self.path) {
            Ok(m) if m.len() == 0 => return Err(format!("{at}: the file is empty (0 bytes)")),
            Ok(_) => {}
            Err(e) => return Err(format!("{at}: {e}")),
        }
        self.conn
            .query_row("SELECT count(*) FROM sessions", [], |r| r.get::<_, i64>(0))
            .map(|_| ())
            .map_err(|e| format!("{at}: {e}"))
    }
}

/// Runs an integrity pragma; its rows other than `ok` are the problems.
pub(crate) fn check_pragma(conn: &Connection, pragma: &str) -> Result<Vec<String>, StateError> {
    let mut stmt = conn.prepare(&format!("PRAGMA {pragma}"))?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut problems = Vec::new();
    for row in rows {
        let row = row?;
        if row != "ok" {
            problems.push(row);
        }
    }
    Ok(problems)
}

/// SQLite's ways of saying a file is not (or no longer) a database.
pub(crate) fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

/// A connection to an existing database file (never creating one).
pub(crate) fn connect(path: &Path) -> Result<Connection, StateError> {
    let open_err = |source| StateError::Open {
        path: path.to_path_buf(),
        source,
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(open_err)?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(open_err)?;
    // WAL: readers (status, dashboard) never block the writer (daemon).
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| {
            if is_corruption(&e) {
                StateError::Damaged {
                    path: path.to_path_buf(),
                    problem: e.to_string(),
                    way_out: path.parent().map(file::way_out).unwrap_or_default(),
                }
            } else {
                open_err(e)
            }
        })?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(open_err)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(open_err)?;
    Ok(conn)
}

/// Builds a new database aside (`ao.db.new`) and renames it into place, so
/// `ao.db` is either absent or complete. Callers hold the setup lock.
pub(crate) fn create_new(path: &Path) -> Result<(), StateError> {
    let fresh = file::fresh_path(path);
    build_fresh(&fresh, path)?;
    install(&fresh, path)
}

/// An empty database with the current schema at `fresh`.
fn build_fresh(fresh: &Path, path: &Path) -> Result<(), StateError> {
    file::remove_leftovers(fresh);
    let mut conn = Connection::open_with_flags(
        fresh,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
    )
    .map_err(|source| StateError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    migrations::apply(&mut conn, path)?;
    Ok(())
}

/// Moves a complete database file into place as `path` (0600, synced).
pub(crate) fn install(fresh: &Path, path: &Path) -> Result<(), StateError> {
    let io = |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    };
    private_fs::restrict(fresh).map_err(io)?;
    std::fs::File::open(fresh)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    std::fs::rename(fresh, path).map_err(io)?;
    if let Some(dir) = path.parent() {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
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
#[cfg(test)]
mod tests_integrity;
#[cfg(test)]
mod tests_operations;
