//! The database file itself: what is on disk before SQLite is trusted with
//! it. ao never takes an existing file it cannot read for a new
//! installation: an empty, truncated or foreign `ao.db` is refused with the
//! way out, and a new database is built aside and renamed into place, so a
//! process killed while creating it leaves no half-made file behind.

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// What `ao.db` looks like on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    Missing,
    /// A SQLite database, as far as SQLite can tell without a full check.
    Sqlite,
    /// Damaged: the problem, in words.
    Damaged(String),
}

/// The smallest SQLite database: one page of the smallest page size.
const MIN_DATABASE: u64 = 512;

/// Looks at the database file at `path`: its size, then SQLite's reading
/// of its header (`page_size` × `page_count` against the size).
///
/// The file is never opened outside SQLite: closing any descriptor of a
/// database file drops every POSIX lock this process holds on it, which
/// would let another process delete the write-ahead log from under this
/// process's own connections (SQLite's documented "how to corrupt" case).
pub fn inspect(path: &Path) -> std::io::Result<FileState> {
    let len = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileState::Missing),
        Err(e) => return Err(e),
    };
    if len == 0 {
        return Ok(FileState::Damaged("the file is empty (0 bytes)".into()));
    }
    if len < MIN_DATABASE {
        return Ok(FileState::Damaged(format!(
            "it is not a SQLite database or is truncated ({len} bytes, less than one page)"
        )));
    }
    let probe = || -> rusqlite::Result<(u64, u64)> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })?;
        let page_size: u64 = conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
        let pages: u64 = conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
        Ok((page_size, pages))
    };
    match probe() {
        Ok((page_size, pages)) => {
            // With a write-ahead log present the log may hold the rest.
            let wal_len = std::fs::metadata(wal_path(path)).map_or(0, |m| m.len());
            if wal_len == 0 && len < pages * page_size {
                return Ok(FileState::Damaged(format!(
                    "it is truncated ({len} bytes; SQLite expects {})",
                    pages * page_size
                )));
            }
            Ok(FileState::Sqlite)
        }
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) => {
            Ok(FileState::Damaged(format!(
                "it is not a SQLite database ({len} bytes, no SQLite header)"
            )))
        }
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseCorrupt) => {
            Ok(FileState::Damaged(format!("SQLite cannot read it: {e}")))
        }
        // Busy or locked: a healthy database in use; opening decides.
        Err(_) => Ok(FileState::Sqlite),
    }
}

/// SQLite's write-ahead log next to the database.
pub fn wal_path(path: &Path) -> PathBuf {
    sibling(path, "-wal")
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The files that make up the database (the file, its log and shared memory).
pub fn database_files(path: &Path) -> [PathBuf; 3] {
    [path.to_path_buf(), wal_path(path), sibling(path, "-shm")]
}

/// The directory of the automatic backups.
pub fn backups_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("backups")
}

/// The automatic backups, newest first.
pub fn backups(data_dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(backups_dir(data_dir))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "db"))
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(&a.1)));
    found.into_iter().map(|(_, p)| p).collect()
}

/// Backups kept; older ones are removed after a new one is made.
pub const BACKUPS_KEPT: usize = 10;

/// Signs that a data directory held a database before: a missing `ao.db`
/// then is not a new installation.
pub fn traces_of_a_database(data_dir: &Path, path: &Path) -> Option<String> {
    if wal_path(path).exists() {
        return Some(format!("{} exists", wal_path(path).display()));
    }
    if let Some(newest) = backups(data_dir).first() {
        return Some(format!("backups exist (newest {})", newest.display()));
    }
    None
}

/// How a damaged or missing database is explained: what is wrong and
/// the ways out, naming the newest backup.
pub fn way_out(data_dir: &Path) -> String {
    let restore = match backups(data_dir).first() {
        Some(b) => format!(
            "or restore the automatic backup with `ao doctor --repair --from {}`",
            b.display()
        ),
        None => "(no automatic backup exists yet)".into(),
    };
    format!(
        "run `ao doctor --repair` (it keeps this file aside, salvages what it can or restores the newest backup, and never reuses a session id) {restore}"
    )
}

/// Where a new or restored database is built before it is moved into place.
pub fn fresh_path(path: &Path) -> PathBuf {
    sibling(path, ".new")
}

/// Removes a half-built database (and its journal) left by a killed process.
pub fn remove_leftovers(fresh: &Path) {
    for file in [fresh.to_path_buf(), sibling(fresh, "-journal")]
        .into_iter()
        .chain(database_files(fresh))
    {
        let _ = std::fs::remove_file(file);
    }
}
