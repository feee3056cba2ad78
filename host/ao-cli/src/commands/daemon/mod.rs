//! `ao start` / `ao stop`: the daemon. One per data directory, held by an
//! OS file lock (released by the kernel if the daemon dies, so a crash never
//! leaves a stale lock). It runs the lifecycle loop on its own thread and
//! serves the HTTP API on 127.0.0.1. Stopping it leaves sessions running;
//! a new daemon re-adopts them, since all it needs is in the store and the
//! runtimes.

mod api;
mod conn;
pub(super) mod dashboard;
mod lifecycle;

use crate::context::Context;
use crate::error::{CommandError, Result};
use anstream::{eprintln, println};
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

fn lock_path(data: &Path) -> PathBuf {
    data.join("daemon.lock")
}

fn info_path(data: &Path) -> PathBuf {
    data.join("daemon.json")
}

fn log_path(data: &Path) -> PathBuf {
    data.join("logs").join("daemon.log")
}

fn open_lock(data: &Path) -> Result<File> {
    ao_core::private_fs::create_dir(data)?;
    Ok(ao_core::private::open_rw(&lock_path(data))?)
}

fn running_info(data: &Path) -> serde_json::Value {
    let info = std::fs::read_to_string(info_path(data)).unwrap_or_default();
    serde_json::from_str(&info).unwrap_or_default()
}

/// Takes the daemon lock, or says who holds it.
fn acquire(data: &Path) -> Result<File> {
    let file = open_lock(data)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(_) => {
            let v = running_info(data);
            Err(CommandError::user(format!(
                "ao is already running for {} (pid {}, http://127.0.0.1:{})",
                data.display(),
                v["pid"],
                v["port"]
            ))
            .hint("stop it with `ao stop`, or set AO_HOME to another directory to run a separate instance (its own data directory and tmux socket)"))
        }
    }
}

/// `ao start`'s options.
pub struct Options {
    pub port: Option<u16>,
    pub interval: u64,
    pub detach: bool,
    pub bind: std::net::IpAddr,
    pub token: Option<String>,
}

pub fn start(config: Option<PathBuf>, options: Options) -> Result<()> {
    let Options {
        port,
        interval,
        detach,
        bind,
        token,
    } = options;
    let ctx = Context::new(config.clone())?;
    let data = ctx.paths.data.clone();
    // Off loopback, anyone who can reach the port could drive the agents.
    let token = dashboard::token_for(bind, token)?;
    if detach {
        return start_detached(&data, token.as_deref());
    }
    let _lock = acquire(&data)?;
    // Left by a daemon that crashed: its address is no longer true.
    let _ = std::fs::remove_file(info_path(&data));
    let port = port.unwrap_or(ctx.config.port);
    let site = dashboard::Site::new(&ctx, config.clone());
    // Loud at start: a plugin running under a built-in's name.
    for warning in ctx
        .catalog()
        .plugins
        .iter()
        .filter_map(|d| d.shadow_warning())
    {
        tracing::warn!("{warning}");
        eprintln!("warning: {warning}");
    }
    drop(ctx);

    // The lifecycle loop, on its own thread (plugin calls and runtimes are
    // blocking). Its manager is built there; failures come back here.
    let shared: lifecycle::Shared = Arc::new(RwLock::new(lifecycle::Snapshot::default()));
    let interval = Duration::from_secs(interval.max(1));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<std::result::Result<(), CommandError>>();
    let loop_shared = shared.clone();
    let (deliveries_tx, deliveries_rx) = std::sync::mpsc::channel();
    let (published_tx, published_rx) = tokio::sync::watch::channel(0u64);
    std::thread::Builder::new()
        .name("ao-lifecycle".into())
        .spawn(move || match super::session::manager(config) {
            Ok(manager) => {
                let _ = ready_tx.send(Ok(()));
                lifecycle::run(manager, interval, loop_shared, deliveries_rx, published_tx);
            }
            Err(e) => {
                let _ = ready_tx.send(Err(e));
            }
        })?;
    ready_rx
        .recv()
        .map_err(|_| CommandError::external("the lifecycle loop failed to start"))??;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((bind, port))
            .await
            .map_err(|e| {
                CommandError::user(format!("cannot listen on {bind}:{port}: {e}"))
                    .hint("pick another with --port or `port:` in the config")
            })?;
        let port = listener.local_addr()?.port();
        let info = serde_json::json!({ "pid": std::process::id(), "port": port, "bind": bind });
        ao_core::private::write_atomic(&info_path(&data), info.to_string().as_bytes())?;
        // Detached, this goes to the log: never the token (the starting
        // command printed it to the user's terminal).
        let detached = std::env::var_os(crate::logfile::LOG_ENV).is_some();
        let shown_token = token.as_deref().filter(|_| !detached);
        println!(
            "ao is running: {}{} (pid {}); stop it with `ao stop`",
            dashboard::url(bind, port, shown_token),
            if detached && token.is_some() {
                " (token required)"
            } else {
                ""
            },
            std::process::id()
        );
        // Open event streams and terminals end at shutdown, so they do not
        // hold the graceful shutdown open.
        let (closing_tx, closing) = tokio::sync::watch::channel(false);
        let shutdown = async move {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("signal handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            closing_tx.send_replace(true);
        };
        let api = api::router(shared.clone(), data.clone(), deliveries_tx);
        let live = dashboard::Live {
            snapshot: shared,
            published: published_rx,
            closing,
        };
        let app = dashboard::router(api, site, live, data.clone(), bind, token);
        conn::serve(listener, app, shutdown).await?;
        let _ = std::fs::remove_file(info_path(&data));
        eprintln!("ao stopped; sessions keep running");
        Ok::<(), CommandError>(())
    })
}

/// Runs this same command without `--detach` in its own process group,
/// logging to the data directory, and returns once it serves (or failed).
fn start_detached(data: &Path, token: Option<&str>) -> Result<()> {
    // Refuse early, with the running daemon's address, if there is one.
    drop(acquire(data)?);
    let log = log_path(data);
    let out = ao_core::private::create(&log)?;
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--detach" && a != "-d")
        .collect();
    let _ = std::fs::remove_file(info_path(data));
    let mut command = std::process::Command::new(std::env::current_exe()?);
    // The daemon logs into `log` and rotates it there.
    command.env(crate::logfile::LOG_ENV, &log);
    if let Some(token) = token {
        // A token made here (off loopback) must be the one the daemon uses.
        command.env(dashboard::TOKEN_ENV, token);
    }
    let mut child = command
        .args(&args)
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        // Its own process group: a Ctrl-C in this terminal does not reach it.
        .process_group(0)
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait()? {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(CommandError::external(format!(
                "the daemon exited at start ({status}):\n{}",
                tail.trim()
            )));
        }
        let info = running_info(data);
        if info["pid"].as_u64() == Some(child.id() as u64) {
            let bind = info["bind"]
                .as_str()
                .and_then(|b| b.parse().ok())
                .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
            let port = info["port"].as_u64().unwrap_or_default() as u16;
            println!(
                "ao is running in the background: {} (pid {}); logs in {}",
                dashboard::url(bind, port, token),
                child.id(),
                log.display()
            );
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(CommandError::external(format!(
                "the daemon did not start within 15 s; see {}",
                log.display()
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn stop(config: Option<PathBuf>) -> Result<()> {
    let ctx = Context::new(config)?;
    let data = ctx.paths.data;
    let lock = open_lock(&data)?;
    if lock.try_lock().is_ok() {
        return Err(CommandError::user("ao is not running"));
    }
    let pid = running_info(&data)["pid"].as_u64().ok_or_else(|| {
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
