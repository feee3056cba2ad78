//! The session manager for commands, and `ao session ls | kill | restore |
//! attach | cleanup` and `ao report`.

use crate::cli::SessionCommand;
use crate::context::Context;
use crate::error::{CommandError, Result};
use crate::ui;
use anstream::{eprintln, print, println};
use ao_core::state::Store;
use ao_runtime::process::ProcessRuntime;
use ao_runtime::tmux::Tmux;
use ao_runtime::{Runtime, RuntimeError};
use ao_sessions::{Runtimes, SessionError, SessionManager};
use std::io::IsTerminal;
use std::path::PathBuf;

/// ao's tmux socket: one per data directory, so two data directories
/// (`AO_HOME`) never share session names. The default data directory uses
/// `tmux -L ao`; any other `ao-<hash of its path>`. `AO_TMUX_SOCKET` picks one.
pub fn tmux_socket(paths: &ao_core::Paths) -> String {
    let explicit = std::env::var("AO_TMUX_SOCKET")
        .ok()
        .filter(|s| !s.is_empty());
    let default = ao_core::Paths::resolve(|k| match k {
        "AO_HOME" | "XDG_DATA_HOME" => None,
        _ => std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
    });
    socket_name(&paths.data, &default.data, explicit)
}

/// The socket of data directory `data` (`default_data`: where data goes
/// when nothing moves it).
fn socket_name(
    data: &std::path::Path,
    default_data: &std::path::Path,
    explicit: Option<String>,
) -> String {
    if let Some(socket) = explicit {
        return socket;
    }
    if data == default_data {
        return "ao".into();
    }
    format!(
        "ao-{:08x}",
        fnv1a(data.as_os_str().as_encoded_bytes()) as u32
    )
}

/// A stable hash (FNV-1a), so a data directory keeps its socket name
/// across ao versions and machines' hashers.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The runtimes this machine has; one that is missing fails only the
/// sessions that use it.
pub fn runtimes(paths: &ao_core::Paths) -> Runtimes {
    let process = std::env::current_exe().map(|exe| {
        let supervisor = vec![
            exe.display().to_string(),
            crate::SUPERVISOR_COMMAND.to_string(),
        ];
        Box::new(ProcessRuntime::new(paths.data.join("runtime"), supervisor)) as Box<dyn Runtime>
    });
    Runtimes::new()
        .with(
            "tmux",
            Tmux::new(&tmux_socket(paths)).map(|t| Box::new(t) as Box<dyn Runtime>),
        )
        .with("process", process.map_err(RuntimeError::Io))
}

pub fn manager(config: Option<PathBuf>) -> Result<SessionManager> {
    let ctx = Context::new(config)?;
    let store = Store::open(&ctx.paths.data).map_err(CommandError::external)?;
    crate::context::secure_directories(&ctx.paths);
    let catalog = ctx.catalog();
    let Context { paths, config, .. } = ctx;
    let settings_paths = paths.clone();
    let settings_config = config.clone();
    let settings_for: ao_sessions::SettingsFor = Box::new(move |plugin, label, settings| {
        crate::context::instance_settings_for(
            &settings_config,
            &settings_paths,
            plugin,
            label,
            settings,
        )
    });
    let runtimes = runtimes(&paths);
    let mut manager = SessionManager::new(config, paths, store, runtimes, catalog, settings_for);
    // Whatever a killed ao left half-done is finished or undone first.
    for r in manager.recover() {
        eprintln!("{}: {} ({})", r.id, r.outcome.replace('_', " "), r.reason);
    }
    // Progress on slow steps, like git: only when a person is watching.
    Ok(if std::io::stderr().is_terminal() {
        let s = ui::styles();
        manager.with_progress(Box::new(move |message| {
            eprintln!("{}…{} {message}", s.hint.render(), s.hint.render_reset());
        }))
    } else {
        manager
    })
}

pub fn session_error(e: SessionError) -> CommandError {
    match e {
        SessionError::UnknownProject(_) => CommandError::user(e)
            .hint("the projects are listed under `projects:` in agent-orchestrator.yaml"),
        SessionError::UnknownAgent(_) => {
            CommandError::user(e).hint("`ao plugin ls` lists the agent plugins")
        }
        SessionError::Duplicate { ref existing, .. } if !existing.starts_with("queue") => {
            let hint = format!("see it with `ao status`, or talk to it with `ao send {existing}`");
            CommandError::user(e).hint(hint)
        }
        SessionError::Duplicate { .. } | SessionError::Other(_) => CommandError::user(e),
        SessionError::Busy { .. } => {
            CommandError::user(e).hint("send anyway with --no-wait, or wait longer with --timeout")
        }
        SessionError::State(ao_core::state::StateError::UnknownSession(_)) => {
            CommandError::user(e).hint("see `ao session ls --all`")
        }
        SessionError::State(ao_core::state::StateError::Damaged { .. }) => {
            CommandError::external(e)
        }
        _ => CommandError::external(e),
    }
}

pub fn run(config: Option<PathBuf>, cmd: SessionCommand) -> Result<()> {
    match cmd {
        SessionCommand::Ls { all, json } => ls(config, all, json),
        SessionCommand::Kill { session, force } => {
            let mut manager = manager(config)?;
            let (s, note) = manager.kill(&session, force).map_err(session_error)?;
            println!("killed {}", s.id);
            if let Some(note) = note {
                eprintln!("{note}");
            }
            start_queued(&mut manager);
            Ok(())
        }
        SessionCommand::Restore { session, reopen } => {
            let mut manager = manager(config)?;
            let s = manager
                .restore_with(&session, ao_sessions::RestoreOptions { reopen })
                .map_err(session_error)?;
            println!("restored {} ({})", s.id, s.reason.as_deref().unwrap_or(""));
            Ok(())
        }
        SessionCommand::Attach { session } => attach(config, &session),
        SessionCommand::ClaimPr {
            pr,
            session,
            takeover,
        } => {
            let mut manager = manager(config)?;
            let claimed = ao_lifecycle::claim::claim_pr(&mut manager, &session, &pr, takeover)
                .map_err(|e| {
                    let hint = e.hint.clone();
                    let error = CommandError::user(e);
                    match hint {
                        Some(h) => error.hint(h),
                        None => error,
                    }
                })?;
            println!(
                "{session} now follows PR #{} ({}) on branch {}",
                claimed.number, claimed.url, claimed.branch
            );
            if let Some(from) = claimed.taken_from {
                println!("taken over from {from}");
            }
            Ok(())
        }
        SessionCommand::Cleanup {
            project,
            dry_run,
            force,
        } => cleanup(config, project.as_deref(), dry_run, force),
    }
}

fn ls(config: Option<PathBuf>, all: bool, json: bool) -> Result<()> {
    let manager = manager(config)?;
    let sessions = manager.list(None, all).map_err(session_error)?;
    if json {
        let items: Vec<serde_json::Value> = sessions
            .iter()
            .map(|(s, alive)| {
                let mut v = serde_json::to_value(s).unwrap();
                v["alive"] = serde_json::json!(alive);
                v
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "sessions": items })).unwrap()
        );
        return Ok(());
    }
    let rows: Vec<Vec<String>> = sessions
        .iter()
        .map(|(s, alive)| {
            vec![
                s.id.clone(),
                s.project_id.clone(),
                s.status.clone(),
                format!(
                    "{} ({})",
                    if *alive { "running" } else { "stopped" },
                    s.runtime.as_deref().unwrap_or("tmux")
                ),
                s.agent.clone().unwrap_or_default(),
                s.branch.clone().unwrap_or_default(),
            ]
        })
        .collect();
    print!(
        "{}",
        ui::table(
            &["SESSION", "PROJECT", "STATUS", "RUNTIME", "AGENT", "BRANCH"],
            &rows
        )
    );
    Ok(())
}

fn attach(config: Option<PathBuf>, id: &str) -> Result<()> {
    let manager = manager(config)?;
    let session = manager
        .store
        .session(id)
        .map_err(|e| session_error(e.into()))?;
    let runtime = manager.runtimes.of(&session).map_err(session_error)?;
    let argv = runtime.attach_command(id);
    let status = std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .status()?;
    if !status.success() {
        return Err(CommandError::external(format!(
            "{} attach exited with {status}",
            runtime.kind()
        )));
    }
    Ok(())
}

fn cleanup(
    config: Option<PathBuf>,
    project: Option<&str>,
    dry_run: bool,
    force: bool,
) -> Result<()> {
    let mut manager = manager(config)?;
    if dry_run {
        let candidates = manager.cleanup_candidates(project).map_err(session_error)?;
        if candidates.is_empty() {
            println!("nothing to clean up");
        }
        for c in candidates {
            println!("would clean up {} ({})", c.id, c.reason);
        }
        return Ok(());
    }
    let results = manager.cleanup(project, force).map_err(session_error)?;
    if results.is_empty() {
        println!("nothing to clean up");
    }
    let mut failed = 0;
    for (candidate, result) in results {
        match result {
            Ok(note) => {
                println!("cleaned up {} ({})", candidate.id, candidate.reason);
                if let Some(note) = note {
                    eprintln!("  {note}");
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("could not clean up {}: {e}", candidate.id);
            }
        }
    }
    start_queued(&mut manager);
    if failed > 0 {
        return Err(CommandError::external(format!(
            "{failed} session(s) could not be cleaned up"
        )));
    }
    Ok(())
}

/// Freed slots go to queued tasks at once, daemon or not.
pub fn start_queued(manager: &mut SessionManager) {
    match manager.drain_queue() {
        Ok(results) => {
            for result in results {
                match result {
                    Ok(s) => println!("started queued task as {}", s.id),
                    Err(e) => eprintln!("a queued task failed to start: {e}"),
                }
            }
        }
        Err(e) => eprintln!("cannot read the spawn queue: {e}"),
    }
}

/// The activity names ao stores, from the phases agents report.
fn normalize_state(state: &str) -> &'static str {
    match state.replace('_', "-").as_str() {
        "working" | "pr-created" | "started" => "active",
        "ready" | "completed" => "ready",
        "idle" => "idle",
        "needs-input" | "waiting" => "waiting_input",
        "blocked" => "blocked",
        _ => "exited",
    }
}

pub fn report(
    config: Option<PathBuf>,
    session: &str,
    state: &str,
    note: Option<String>,
) -> Result<()> {
    // No plugins or runtimes needed: just the store.
    let ctx = Context::new(config)?;
    let mut store = Store::open(&ctx.paths.data).map_err(CommandError::external)?;
    store
        .record_report(session, normalize_state(state), note.as_deref(), state)
        .map_err(|e| session_error(e.into()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_data_directory_has_its_own_tmux_socket() {
        let default = std::path::Path::new("/home/u/.local/share/ao");
        assert_eq!(socket_name(default, default, None), "ao");
        let a = socket_name("/tmp/a/data".as_ref(), default, None);
        let b = socket_name("/tmp/b/data".as_ref(), default, None);
        assert!(a.starts_with("ao-") && b.starts_with("ao-"), "{a} {b}");
        assert_ne!(a, b);
        assert_eq!(
            a,
            socket_name("/tmp/a/data".as_ref(), default, None),
            "stable"
        );
        assert_eq!(socket_name(default, default, Some("mine".into())), "mine");
    }
}
