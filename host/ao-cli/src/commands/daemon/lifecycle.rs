//! The lifecycle loop: each cycle lists every session (one liveness query
//! per runtime), concludes activities (one screen capture per runtime),
//! follows PRs and reacts (the PR loop), starts queued tasks when slots
//! free up, and publishes a snapshot for the HTTP API. Between cycles it watches the database's `data_version`, so a
//! change made by any `ao` command is picked up within a fraction of a
//! second instead of at the next cycle.

use ao_lifecycle::{PrLoop, WebhookError, WebhookRequest};
use ao_sessions::SessionManager;
use ao_sessions::reconcile::AgeLimits;
use serde::Serialize;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// What the daemon last saw; served by the API.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub cycles: u64,
    pub at_ms: i64,
    /// How long the last cycle took.
    pub cycle_ms: u64,
    pub sessions: Vec<serde_json::Value>,
    pub queued: usize,
    /// What is wrong with the state database, if anything (checked every
    /// cycle: the file's header and a query; SQLite's quick_check hourly).
    pub database_error: Option<String>,
}

pub type Shared = Arc<RwLock<Snapshot>>;

/// A webhook delivery handed from the HTTP API to the loop, which owns the
/// SCM plugins; the answer goes back as (HTTP status, text).
pub struct Delivery {
    pub project: String,
    pub request: WebhookRequest,
    pub reply: tokio::sync::oneshot::Sender<(u16, String)>,
}

/// How often the database is checked for changes made by other commands.
const CHANGE_POLL: Duration = Duration::from_millis(200);

pub fn run(
    mut manager: SessionManager,
    interval: Duration,
    shared: Shared,
    deliveries: std::sync::mpsc::Receiver<Delivery>,
    // Bumped after each new snapshot: the dashboard pushes from it.
    published: tokio::sync::watch::Sender<u64>,
) {
    let limits = AgeLimits::default();
    let mut pr_loop = PrLoop::new();
    let mut seen_version = None;
    let mut last_cycle: Option<Instant> = None;
    let mut woken = false;
    let mut last_quick_check: Option<Instant> = None;
    loop {
        let version = manager.store.data_version().ok();
        let due = woken || last_cycle.is_none_or(|t| t.elapsed() >= interval);
        woken = false;
        if due || version != seen_version {
            let started = Instant::now();
            let database_error = database_health(&manager, &mut last_quick_check);
            let snapshot = match &database_error {
                // A damaged database is reported, not written to.
                Some(e) => {
                    tracing::error!("state database: {e}");
                    Snapshot::default()
                }
                None => cycle(&mut manager, &mut pr_loop, &limits),
            };
            let mut guard = shared.write().unwrap_or_else(|e| e.into_inner());
            let cycles = guard.cycles + 1;
            *guard = Snapshot {
                cycles,
                cycle_ms: started.elapsed().as_millis() as u64,
                database_error,
                ..snapshot
            };
            drop(guard);
            tracing::debug!("cycle {cycles} in {} ms", started.elapsed().as_millis());
            published.send_replace(cycles);
            // Our own writes do not move our connection's data_version.
            seen_version = manager.store.data_version().ok();
            last_cycle = Some(started);
        }
        // Wait for the next change poll, or a webhook (which wakes a cycle).
        if let Ok(delivery) = deliveries.recv_timeout(CHANGE_POLL) {
            let answer = match pr_loop.webhook(&manager, &delivery.project, &delivery.request) {
                Ok(Some(kind)) => {
                    woken = true;
                    (202, format!("accepted: {kind}"))
                }
                Ok(None) => (204, String::new()),
                Err(e @ WebhookError::UnknownProject(_)) => (404, e.to_string()),
                Err(e @ WebhookError::NoWebhooks(_)) => (400, e.to_string()),
                Err(e @ WebhookError::Duplicate(_)) => (200, e.to_string()),
                Err(WebhookError::Rejected(why)) => {
                    tracing::warn!("webhook for {} refused: {why}", delivery.project);
                    (401, why)
                }
            };
            let _ = delivery.reply.send(answer);
        }
    }
}

/// How often the daemon runs SQLite's full `quick_check`.
const QUICK_CHECK_EVERY: Duration = Duration::from_secs(3600);

/// The database's health: its file and a query every cycle, SQLite's
/// `quick_check` at start and then hourly.
fn database_health(manager: &SessionManager, last: &mut Option<Instant>) -> Option<String> {
    if let Err(e) = manager.store.health() {
        return Some(e);
    }
    if last.is_none_or(|t| t.elapsed() >= QUICK_CHECK_EVERY) {
        *last = Some(Instant::now());
        match manager.store.quick_check() {
            Ok(problems) if problems.is_empty() => {}
            Ok(problems) => return Some(format!("quick_check: {}", problems.join("; "))),
            Err(e) => return Some(e.to_string()),
        }
    }
    None
}

fn cycle(manager: &mut SessionManager, pr_loop: &mut PrLoop, limits: &AgeLimits) -> Snapshot {
    // First what a killed ao left half-done, then what changed under ao.
    manager.recover();
    for drift in manager.check_reality() {
        tracing::info!("{}: {}", drift.id, drift.what);
    }
    if let Ok(started) = manager.drain_queue() {
        for result in started {
            match result {
                Ok(s) => tracing::info!("started queued task as {}", s.id),
                Err(e) => tracing::warn!("a queued task failed to start: {e}"),
            }
        }
    }
    let sessions = match manager.list(None, false) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("cannot list sessions: {e}");
            return Snapshot::default();
        }
    };
    let observed = manager.observe(&sessions, limits);
    for (session, action) in pr_loop.cycle(manager, &observed).actions {
        tracing::info!("{session}: {action}");
    }
    let items = sessions
        .iter()
        .zip(&observed)
        .map(|((s, alive), o)| {
            // The stored row may have just changed; read it back fresh.
            let s = manager.store.session(&s.id).unwrap_or_else(|_| s.clone());
            let mut v = serde_json::to_value(&s).unwrap_or_default();
            v["alive"] = serde_json::json!(alive);
            v["activity"] = serde_json::json!(o.activity_name());
            v["activitySource"] = serde_json::json!(o.source_name());
            v
        })
        .collect();
    Snapshot {
        cycles: 0,
        at_ms: ao_core::state::now_ms(),
        cycle_ms: 0,
        sessions: items,
        queued: manager.store.queued_spawns().map(|q| q.len()).unwrap_or(0),
        database_error: None,
    }
}
