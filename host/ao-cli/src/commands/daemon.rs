//! `ao start` / `ao stop`: the daemon. One per data directory, held by an
//! OS file lock (released by the kernel if the daemon dies, so a crash never
//! leaves a stale lock). It runs the lifecycle loop on its own thread and
//! serves the HTTP API on 127.0.0.1. Stopping it leaves sessions running.

use crate::context::Context;
use crate::error::{CommandError, Result};
use anstream::{eprintln, println};
use ao_core::state::{Store, Transition};
use ao_runtime::Runtime;
use ao_runtime::tmux::Tmux;
use axum::Json;
use axum::routing::get;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn lock_path(data: &Path) -> PathBuf {
    data.join("daemon.lock")
}

fn info_path(data: &Path) -> PathBuf {
    data.join("daemon.json")
}

/// Takes the daemon lock, or says who holds it.
fn acquire(data: &Path) -> Result<File> {
    std::fs::create_dir_all(data)?;
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path(data))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(_) => {
            let info = std::fs::read_to_string(info_path(data)).unwrap_or_default();
            let v: serde_json::Value = serde_json::from_str(&info).unwrap_or_default();
            Err(CommandError::user(format!(
                "ao is already running for {} (pid {}, http://127.0.0.1:{})",
                data.display(),
                v["pid"],
                v["port"]
            ))
            .hint("stop it with `ao stop`, or set AO_HOME to run a separate instance"))
        }
    }
}

/// One lifecycle cycle: notice agents whose runtime has gone.
fn cycle(store: &mut Store, tmux: &Tmux) {
    let Ok(sessions) = store.sessions(None, false) else {
        return;
    };
    let live = tmux.list().unwrap_or_default();
    for s in sessions
        .iter()
        .filter(|s| s.status == "working" && s.activity.as_deref() != Some("exited"))
    {
        if !live.contains(&s.id) || !tmux.is_alive(&s.id) {
            let _ = store.transition(
                &s.id,
                &Transition {
                    activity: Some("exited".into()),
                    event: "runtime.exited".into(),
                    reason: Some("the agent's process ended".into()),
                    ..Default::default()
                },
            );
        }
    }
}

pub fn start(config: Option<PathBuf>, port: Option<u16>, interval: u64) -> Result<()> {
    let ctx = Context::new(config)?;
    let data = ctx.paths.data.clone();
    let _lock = acquire(&data)?;
    let port = port.unwrap_or(ctx.config.port);
    let socket = std::env::var("AO_TMUX_SOCKET")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "ao".into());
    let tmux = Tmux::new(&socket).map_err(CommandError::user)?;
    let mut store = Store::open(&data).map_err(CommandError::external)?;

    // The lifecycle loop, on its own thread (plugin calls and tmux are blocking).
    let interval = Duration::from_secs(interval.max(1));
    std::thread::Builder::new()
        .name("ao-lifecycle".into())
        .spawn(move || {
            loop {
                let started = Instant::now();
                cycle(&mut store, &tmux);
                std::thread::sleep(interval.saturating_sub(started.elapsed()));
            }
        })?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| {
                CommandError::user(format!("cannot listen on 127.0.0.1:{port}: {e}"))
                    .hint("pick another with --port or `port:` in the config")
            })?;
        let port = listener.local_addr()?.port();
        let info = serde_json::json!({ "pid": std::process::id(), "port": port });
        std::fs::write(info_path(&data), info.to_string())?;
        let api_data = data.clone();
        let app = axum::Router::new()
            .route(
                "/api/health",
                get(|| async {
                    Json(serde_json::json!({ "ok": true, "pid": std::process::id() }))
                }),
            )
            .route(
                "/api/sessions",
                get(move || {
                    let data = api_data.clone();
                    async move {
                        let sessions = tokio::task::spawn_blocking(move || {
                            Store::open(&data).and_then(|s| s.sessions(None, true))
                        })
                        .await
                        .ok()
                        .and_then(|r| r.ok())
                        .unwrap_or_default();
                        Json(serde_json::json!({ "sessions": sessions }))
                    }
                }),
            );
        println!(
            "ao is running: http://127.0.0.1:{port} (pid {}); stop it with `ao stop`",
            std::process::id()
        );
        let shutdown = async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("signal handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        };
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await?;
        let _ = std::fs::remove_file(info_path(&data));
        eprintln!("ao stopped; sessions keep running");
        Ok::<(), CommandError>(())
    })
}

pub fn stop(config: Option<PathBuf>) -> Result<()> {
    let ctx = Context::new(config)?;
    let data = ctx.paths.data;
    std::fs::create_dir_all(&data)?;
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path(&data))?;
    if lock.try_lock().is_ok() {
        return Err(CommandError::user("ao is not running"));
    }
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(info_path(&data)).unwrap_or_default())
            .unwrap_or_default();
    let pid = info["pid"].as_u64().ok_or_else(|| {
        CommandError::external("the daemon holds the lock but left no pid; is it still starting?")
    })?;
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()?;
    if !status.success() {
        return Err(CommandError::external(format!(
            "could not signal the daemon (pid {pid})"
        )));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while lock.try_lock().is_err() {
        if Instant::now() > deadline {
            return Err(CommandError::external(format!(
                "the daemon (pid {pid}) did not stop within 10 s"
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    println!("stopped ao (pid {pid}); sessions keep running");
    Ok(())
}
