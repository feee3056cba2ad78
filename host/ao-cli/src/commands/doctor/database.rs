//! The state database in `ao doctor`: its header and SQLite's
//! `quick_check`, and `ao doctor --repair`.

use super::Check;
use crate::context::Context;
use crate::error::{CommandError, Result};
use anstream::println;
use ao_core::Paths;
use ao_core::state::{self, Repaired, file};
use std::path::PathBuf;

/// The database check: healthy (schema, size, backups), not made yet, or
/// damaged with the way out.
pub fn check(paths: &Paths) -> Check {
    let path = state::database_path(&paths.data);
    let backups = file::backups(&paths.data).len();
    let (ok, detail, fix) = match state::repair::check(&paths.data) {
        state::repair::Health::Missing => (
            true,
            format!("{} (made on first use)", path.display()),
            None,
        ),
        state::repair::Health::Healthy { schema, bytes } => (
            true,
            format!(
                "{} (schema {schema}, {} KiB, quick_check ok, {backups} backup(s))",
                path.display(),
                bytes / 1024
            ),
            None,
        ),
        state::repair::Health::Damaged(problem) => (
            false,
            format!("{}: {problem}", path.display()),
            Some(file::way_out(&paths.data)),
        ),
    };
    Check {
        name: "state database".into(),
        ok,
        detail,
        fix,
        required: true,
    }
}

/// `ao doctor --repair [--from BACKUP]`.
pub fn repair(config: Option<PathBuf>, from: Option<PathBuf>) -> Result<()> {
    let ctx = Context::new(config)?;
    // A running daemon would go on writing to the file being replaced.
    let daemon_lock = ctx.paths.data.join("daemon.lock");
    if let Ok(file) = std::fs::OpenOptions::new().write(true).open(&daemon_lock)
        && matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock))
    {
        return Err(CommandError::user(
            "the daemon is running on this data directory; it must not write to the database while it is repaired",
        )
        .hint("stop it with `ao stop`, repair, then `ao start` again"));
    }
    // Ids still alive in a runtime are never handed out again.
    let in_use: Vec<String> = crate::commands::session::runtimes(&ctx.paths)
        .liveness()
        .into_keys()
        .collect();
    let Repaired {
        source,
        kept_aside,
        counters,
    } = state::repair(&ctx.paths.data, from.as_deref(), &in_use).map_err(|e| {
        CommandError::external(e).hint(format!(
            "the backups are in {}",
            file::backups_dir(&ctx.paths.data).display()
        ))
    })?;
    let path = state::database_path(&ctx.paths.data);
    match source {
        state::repair::Source::Healthy => {
            println!("{}: quick_check ok; nothing to repair", path.display());
            return Ok(());
        }
        state::repair::Source::Salvaged => {
            println!("{}: salvaged what SQLite could still read", path.display())
        }
        state::repair::Source::Backup(b) => {
            println!("{}: restored from {}", path.display(), b.display());
            println!(
                "  sessions started after that backup are not in it; `ao status` shows what it knows"
            );
        }
        state::repair::Source::New => println!(
            "{}: no readable data and no backup; made a new database",
            path.display()
        ),
    }
    if let Some(aside) = kept_aside {
        println!("  the previous file is kept as {}", aside.display());
    }
    for (prefix, next) in counters {
        println!(
            "  new sessions of `{prefix}` start at {prefix}-{next} (lower ids are still in use)"
        );
    }
    Ok(())
}
