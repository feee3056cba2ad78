//! `ao doctor`'s view of the database (`check`) and its way out of a damaged
//! one (`repair`): the damaged file is kept aside, never deleted; the new
//! database is what SQLite can salvage from it, else the newest automatic
//! backup (or one named), else a new one; and session numbers continue past
//! every id still in use (worktrees, runtime sessions), so none is reused.

use super::file::{self, FileState};
use super::{StateError, Store, connect, database_path, install, setup_lock};
use rusqlite::{Connection, OpenFlags, params};
use std::path::{Path, PathBuf};

/// What `check` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// No database yet (made on first use).
    Missing,
    Healthy {
        schema: i64,
        bytes: u64,
    },
    /// Why it is not usable.
    Damaged(String),
}

/// Checks the database without creating or changing it: the header, then
/// SQLite's `quick_check`.
pub fn check(data_dir: &Path) -> Health {
    let path = database_path(data_dir);
    match file::inspect(&path) {
        Ok(FileState::Missing) => {
            return match file::traces_of_a_database(data_dir, &path) {
                Some(trace) => Health::Damaged(format!("the file is missing but {trace}")),
                None => Health::Missing,
            };
        }
        Ok(FileState::Damaged(problem)) => return Health::Damaged(problem),
        Err(e) => return Health::Damaged(e.to_string()),
        Ok(FileState::Sqlite) => {}
    }
    let verdict = (|| {
        let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let problems = super::check_pragma(&conn, "quick_check")?;
        let schema: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        Ok::<_, StateError>((problems, schema))
    })();
    match verdict {
        Ok((problems, schema)) if problems.is_empty() => Health::Healthy {
            schema,
            bytes: std::fs::metadata(&path).map_or(0, |m| m.len()),
        },
        Ok((problems, _)) => Health::Damaged(format!(
            "quick_check found {} problem(s): {}",
            problems.len(),
            problems.into_iter().take(3).collect::<Vec<_>>().join("; ")
        )),
        Err(e) => Health::Damaged(e.to_string()),
    }
}

/// Where the repaired database came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Nothing was wrong; nothing was changed.
    Healthy,
    /// SQLite copied out what it could still read of the damaged file.
    Salvaged,
    Backup(PathBuf),
    /// A new, empty database (no readable data and no backup).
    New,
}

/// What `repair` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repaired {
    pub source: Source,
    /// Where the damaged (or replaced) files were moved.
    pub kept_aside: Option<PathBuf>,
    /// Session counters moved past ids still in use: (prefix, next).
    pub counters: Vec<(String, i64)>,
}

/// Repairs the database in `data_dir`, or replaces it with `from` (a
/// backup). `names_in_use`: session ids still alive somewhere (runtime
/// sessions), besides the workspaces under the data directory.
pub fn repair(
    data_dir: &Path,
    from: Option<&Path>,
    names_in_use: &[String],
) -> Result<Repaired, StateError> {
    let path = database_path(data_dir);
    let io = |source| StateError::Io {
        path: path.clone(),
        source,
    };
    let setup = setup_lock(data_dir)?;
    let state = file::inspect(&path).map_err(io)?;
    if from.is_none()
        && state == FileState::Sqlite
        && matches!(check(data_dir), Health::Healthy { .. })
    {
        return Ok(Repaired {
            source: Source::Healthy,
            kept_aside: None,
            counters: Vec::new(),
        });
    }
    if let Some(from) = from {
        verify_backup(from)?;
    }
    let kept_aside = match state {
        FileState::Missing => None,
        _ => Some(move_aside(
            &path,
            if from.is_some() {
                "replaced"
            } else {
                "damaged"
            },
        )?),
    };
    let fresh = file::fresh_path(&path);
    file::remove_leftovers(&fresh);
    let source = match from {
        Some(from) => {
            std::fs::copy(from, &fresh).map_err(io)?;
            Source::Backup(from.to_path_buf())
        }
        None => match kept_aside.as_deref().filter(|_| state == FileState::Sqlite) {
            Some(damaged) if salvage(damaged, &fresh).is_ok() => Source::Salvaged,
            _ => {
                file::remove_leftovers(&fresh);
                match file::backups(data_dir)
                    .into_iter()
                    .find(|b| verify_backup(b).is_ok())
                {
                    Some(backup) => {
                        std::fs::copy(&backup, &fresh).map_err(io)?;
                        Source::Backup(backup)
                    }
                    None => {
                        super::create_new(&path)?;
                        Source::New
                    }
                }
            }
        },
    };
    if source != Source::New {
        install(&fresh, &path)?;
    }
    drop(setup);
    // Opening migrates a restored older backup as usual.
    let mut store = Store::open(data_dir)?;
    let mut names: Vec<String> = names_in_use.to_vec();
    names.extend(workspace_names(data_dir));
    let counters = store.continue_past(&names)?;
    Ok(Repaired {
        source,
        kept_aside,
        counters,
    })
}

/// A backup is usable if it is a healthy SQLite file with ao's tables.
fn verify_backup(backup: &Path) -> Result<(), StateError> {
    let damaged = |problem: String| StateError::Damaged {
        path: backup.to_path_buf(),
        problem,
        way_out: "choose another backup".into(),
    };
    match file::inspect(backup) {
        Ok(FileState::Sqlite) => {}
        Ok(FileState::Missing) => return Err(damaged("no such file".into())),
        Ok(FileState::Damaged(p)) => return Err(damaged(p)),
        Err(e) => return Err(damaged(e.to_string())),
    }
    let conn = Connection::open_with_flags(backup, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| damaged(e.to_string()))?;
    let problems = super::check_pragma(&conn, "quick_check").map_err(|e| damaged(e.to_string()))?;
    if !problems.is_empty() {
        return Err(damaged(problems.join("; ")));
    }
    conn.query_row("SELECT count(*) FROM sessions", [], |r| r.get::<_, i64>(0))
        .map_err(|e| damaged(format!("not an ao database: {e}")))?;
    Ok(())
}

/// Renames the database's files to `ao.db.<why>-<ms>`; returns the new name.
fn move_aside(path: &Path, why: &str) -> Result<PathBuf, StateError> {
    let stamp = super::now_ms();
    let mut target = None;
    for file in file::database_files(path) {
        if !file.exists() {
            continue;
        }
        let mut name = file.as_os_str().to_owned();
        name.push(format!(".{why}-{stamp}"));
        let aside = PathBuf::from(name);
        std::fs::rename(&file, &aside).map_err(|source| StateError::Io {
            path: file.clone(),
            source,
        })?;
        if file == path {
            target = Some(aside);
        }
    }
    Ok(target.unwrap_or_else(|| path.to_path_buf()))
}

/// What SQLite can still read of `damaged`, copied into `fresh`.
fn salvage(damaged: &Path, fresh: &Path) -> Result<(), StateError> {
    let conn = Connection::open_with_flags(damaged, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    conn.execute("VACUUM INTO ?1", [fresh.to_string_lossy()])?;
    drop(conn);
    let copy = connect(fresh)?;
    let problems = super::check_pragma(&copy, "quick_check")?;
    copy.query_row("SELECT count(*) FROM sessions", [], |r| r.get::<_, i64>(0))?;
    if !problems.is_empty() {
        return Err(StateError::Damaged {
            path: fresh.to_path_buf(),
            problem: problems.join("; "),
            way_out: String::new(),
        });
    }
    drop(copy);
    // The salvaged copy is self-contained: fold its log back in.
    for leftover in file::database_files(fresh).into_iter().skip(1) {
        let _ = std::fs::remove_file(leftover);
    }
    Ok(())
}

/// Session ids of the workspaces under the data directory.
fn workspace_names(data_dir: &Path) -> Vec<String> {
    std::fs::read_dir(data_dir.join("worktrees"))
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|project| {
            std::fs::read_dir(project.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .filter_map(|e| e.file_name().into_string().ok())
        .collect()
}

impl Store {
    /// Moves each prefix's counter past the numbers of `names`
    /// (`{prefix}-{N}`), so a new session never takes an id still in use.
    pub fn continue_past(&mut self, names: &[String]) -> Result<Vec<(String, i64)>, StateError> {
        let mut highest: std::collections::BTreeMap<String, i64> = Default::default();
        for name in names {
            if let Some((prefix, number)) = name.rsplit_once('-')
                && let Ok(n) = number.parse::<i64>()
                && !prefix.is_empty()
            {
                let entry = highest.entry(prefix.to_string()).or_insert(n);
                *entry = (*entry).max(n);
            }
        }
        let mut moved = Vec::new();
        for (prefix, n) in highest {
            let changed = self.conn.execute(
                "INSERT INTO session_counters (prefix, next) VALUES (?1, ?2)
                 ON CONFLICT (prefix) DO UPDATE SET next = excluded.next WHERE next < excluded.next",
                params![prefix, n + 1],
            )?;
            if changed > 0 {
                moved.push((prefix, n + 1));
            }
        }
        Ok(moved)
    }
}
