//! The daemon's HTTP API on 127.0.0.1 (the dashboard will be served here).

use super::lifecycle::Shared;
use axum::Json;
use axum::extract::{Query, State};
use axum::routing::get;
use std::path::PathBuf;

#[derive(Clone)]
struct Api {
    snapshot: Shared,
    data: PathBuf,
}

pub fn router(snapshot: Shared, data: PathBuf) -> axum::Router {
    axum::Router::new()
        .route("/api/health", get(health))
        .route("/api/sessions", get(sessions))
        .route("/api/events", get(events))
        .with_state(Api { snapshot, data })
}

async fn health(State(api): State<Api>) -> Json<serde_json::Value> {
    let s = api.snapshot.read().unwrap_or_else(|e| e.into_inner());
    Json(serde_json::json!({
        "ok": true,
        "pid": std::process::id(),
        "cycles": s.cycles,
        "lastCycleMs": s.cycle_ms,
    }))
}

/// Sessions as the lifecycle loop last saw them (with their activity).
async fn sessions(State(api): State<Api>) -> Json<serde_json::Value> {
    let s = api.snapshot.read().unwrap_or_else(|e| e.into_inner());
    Json(serde_json::json!({
        "sessions": s.sessions,
        "queued": s.queued,
        "atMs": s.at_ms,
        "cycles": s.cycles,
    }))
}

#[derive(serde::Deserialize)]
struct Since {
    #[serde(default)]
    since: i64,
}

/// The event history after `since` (a sequence number), oldest first.
async fn events(State(api): State<Api>, Query(q): Query<Since>) -> Json<serde_json::Value> {
    let data = api.data.clone();
    let events = tokio::task::spawn_blocking(move || {
        ao_core::state::Store::open(&data).and_then(|s| s.events_since(q.since))
    })
    .await
    .ok()
    .and_then(|r| r.ok())
    .unwrap_or_default();
    Json(serde_json::json!({ "events": events }))
}
