//! `ao spawn`, `ao send`, `ao session ls | kill | attach`.

use crate::cli::{SessionCommand, SpawnArgs};
use crate::context::Context;
use crate::error::{CommandError, Result};
use crate::ui;
use anstream::{eprintln, print, println};
use ao_core::state::Store;
use ao_runtime::Runtime;
use ao_runtime::tmux::Tmux;
use ao_sessions::{SessionError, SessionManager, SpawnRequest};
use std::path::PathBuf;

/// ao's tmux socket (`tmux -L ao`); `AO_TMUX_SOCKET` picks another.
fn tmux_socket() -> String {
    std::env::var("AO_TMUX_SOCKET")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "ao".into())
}

fn manager(config: Option<PathBuf>) -> Result<SessionManager> {
    let ctx = Context::new(config)?;
    let tmux = Tmux::new(&tmux_socket()).map_err(CommandError::user)?;
    let store = Store::open(&ctx.paths.data).map_err(CommandError::external)?;
    let catalog = ctx.catalog();
    let Context { paths, config, .. } = ctx;
    let settings_paths = paths.clone();
    let settings_config = config.clone();
    let settings_for: ao_sessions::spawn_settings::SettingsFor =
        Box::new(move |plugin, label, settings| {
            crate::context::instance_settings_for(
                &settings_config,
                &settings_paths,
                plugin,
                label,
                settings,
            )
        });
    Ok(SessionManager::new(
        config,
        paths,
        store,
        tmux,
        catalog,
        settings_for,
    ))
}

fn session_error(e: SessionError) -> CommandError {
    match e {
        SessionError::UnknownProject(_)
        | SessionError::UnknownAgent(_)
        | SessionError::Other(_) => CommandError::user(e),
        SessionError::State(ao_core::state::StateError::UnknownSession(_)) => {
            CommandError::user(e).hint("see `ao session ls --all`")
        }
        _ => CommandError::external(e),
    }
}

pub fn spawn(config: Option<PathBuf>, args: SpawnArgs) -> Result<()> {
    let mut manager = manager(config)?;
    let project = match args.project {
        Some(p) => p,
        None => {
            let ids: Vec<&String> = manager.config.projects.keys().collect();
            match ids.as_slice() {
                [only] => (*only).clone(),
                [] => {
                    return Err(CommandError::user("no projects are configured")
                        .hint("add one under `projects:` in agent-orchestrator.yaml"));
                }
                many => {
                    let list: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
                    return Err(CommandError::user(
                        "several projects are configured; choose one with --project",
                    )
                    .hint(format!("projects: {}", list.join(", "))));
                }
            }
        }
    };
    if args.prompt.trim().is_empty() {
        return Err(CommandError::user(
            "--prompt is empty; say what the agent should do",
        ));
    }
    eprintln!("spawning a session for project `{project}`…");
    let request = SpawnRequest {
        project,
        prompt: args.prompt,
        issue: args.issue,
        agent: args.agent,
    };
    let session = manager.spawn(&request).map_err(session_error)?;
    let s = ui::styles();
    println!(
        "{}spawned{} {} on {}",
        s.ok.render(),
        s.ok.render_reset(),
        session.id,
        session.branch.as_deref().unwrap_or("?")
    );
    println!(
        "  worktree: {}",
        session.workspace_path.as_deref().unwrap_or("?")
    );
    println!("  attach:   ao session attach {}", session.id);
    Ok(())
}

pub fn send(
    config: Option<PathBuf>,
    id: &str,
    words: Vec<String>,
    file: Option<PathBuf>,
) -> Result<()> {
    let message = match file {
        Some(path) => std::fs::read_to_string(&path)
            .map_err(|e| CommandError::user(format!("{}: {e}", path.display())))?,
        None => words.join(" "),
    };
    if message.trim().is_empty() {
        return Err(CommandError::user("the message is empty"));
    }
    let mut manager = manager(config)?;
    manager.send(id, &message).map_err(session_error)?;
    println!("sent {} characters to {id}", message.chars().count());
    Ok(())
}

pub fn run(config: Option<PathBuf>, cmd: SessionCommand) -> Result<()> {
    match cmd {
        SessionCommand::Ls { all, json } => {
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
                    serde_json::to_string_pretty(&serde_json::json!({ "sessions": items }))
                        .unwrap()
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
                        if *alive {
                            "running".into()
                        } else {
                            "stopped".into()
                        },
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
        SessionCommand::Kill { session, force } => {
            let mut manager = manager(config)?;
            let (s, note) = manager.kill(&session, force).map_err(session_error)?;
            println!("killed {}", s.id);
            if let Some(note) = note {
                eprintln!("{note}");
            }
            Ok(())
        }
        SessionCommand::Restore { session } => {
            let mut manager = manager(config)?;
            let s = manager.restore(&session).map_err(session_error)?;
            println!("restored {} ({})", s.id, s.reason.as_deref().unwrap_or(""));
            Ok(())
        }
        SessionCommand::Attach { session } => {
            let manager = manager(config)?;
            manager
                .store
                .session(&session)
                .map_err(|e| session_error(e.into()))?;
            let argv = manager.tmux.attach_command(&session);
            let status = std::process::Command::new(&argv[0])
                .args(&argv[1..])
                .status()?;
            if !status.success() {
                return Err(CommandError::external(format!(
                    "tmux attach exited with {status}"
                )));
            }
            Ok(())
        }
    }
}

/// The activity names ao stores, from what agents report.
fn normalize_state(state: &str) -> &'static str {
    match state.replace('_', "-").as_str() {
        "working" | "pr-created" => "active",
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
    // No plugins or tmux needed: just the store.
    let ctx = Context::new(config)?;
    let mut store = Store::open(&ctx.paths.data).map_err(CommandError::external)?;
    let activity = normalize_state(state);
    store
        .transition(
            session,
            &ao_core::state::Transition {
                activity: Some(activity.into()),
                event: "activity.reported".into(),
                reason: note.clone(),
                data: Some(serde_json::json!({ "reported": state, "note": note })),
                ..Default::default()
            },
        )
        .map_err(|e| session_error(e.into()))?;
    Ok(())
}

/// How long a reported activity is trusted before the screen decides again.
const REPORT_FRESH_MS: i64 = 10 * 60 * 1000;

pub fn status(config: Option<PathBuf>, json: bool, all: bool) -> Result<()> {
    let mut manager = manager(config)?;
    let sessions = manager.list(None, all).map_err(session_error)?;
    let activities = manager.activities(&sessions, REPORT_FRESH_MS);
    if json {
        let items: Vec<serde_json::Value> = sessions
            .iter()
            .zip(&activities)
            .map(|((s, alive), (activity, source))| {
                let mut v = serde_json::to_value(s).unwrap();
                v["alive"] = serde_json::json!(alive);
                v["activity"] = serde_json::json!(activity);
                v["activitySource"] = serde_json::json!(source);
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
        .zip(&activities)
        .map(|((s, _), (activity, source))| {
            vec![
                s.id.clone(),
                s.status.clone(),
                format!("{activity} ({source})"),
                s.branch.clone().unwrap_or_default(),
                s.pr_url.clone().unwrap_or_default(),
            ]
        })
        .collect();
    print!(
        "{}",
        ui::table(&["SESSION", "STATUS", "ACTIVITY", "BRANCH", "PR"], &rows)
    );
    Ok(())
}
