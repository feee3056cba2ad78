//! The daemon's HTTP API on 127.0.0.1 (the dashboard will be served here).

use super::lifecycle::{Delivery, Shared};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{get, post};
use std::path::PathBuf;
use std::sync::mpsc::Sender;

/// Webhook bodies larger than this are refused (GitHub caps payloads at 25 MB;
/// the events ao reads are far smaller).
const WEBHOOK_LIMIT: usize = 1 << 20;

#[derive(Clone)]
struct Api {
    snapshot: Shared,
    data: PathBuf,
    deliveries: Sender<Delivery>,
}

pub fn router(snapshot: Shared, data: PathBuf, deliveries: Sender<Delivery>) -> axum::Router {
    axum::Router::new()
        .route("/api/health", get(health))
        .route("/api/sessions", get(sessions))
        .route("/api/events", get(events))
        .route(
            "/api/webhooks/{project}",
            post(webhook).layer(DefaultBodyLimit::max(WEBHOOK_LIMIT)),
        )
        .with_state(Api {
            snapshot,
            data,
            deliveries,
        })
}

/// An SCM's webhook for `project`: handed to the lifecycle loop, whose SCM
/// plugin verifies and parses it; the PRs it concerns are looked at at once.
async fn webhook(
    State(api): State<Api>,
    Path(project): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let request = ao_lifecycle::WebhookRequest {
        method: "POST".into(),
        path: uri.path().to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    };
    if api
        .deliveries
        .send(Delivery {
            project,
            request,
            reply,
        })
        .is_err()
    {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the lifecycle loop is not running".into(),
        );
    }
    match tokio::time::timeout(std::time::Duration::from_secs(15), answer).await {
        Ok(Ok((status, text))) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            text,
        ),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the lifecycle loop is busy".into(),
        ),
    }
}

/// 200 when all is well; 503 with the problem when the state database is
/// damaged (the daemon then stops writing to it).
async fn health(State(api): State<Api>) -> (StatusCode, Json<serde_json::Value>) {
    let s = api.snapshot.read().unwrap_or_else(|e| e.into_inner());
    let status = match s.database_error {
        Some(_) => StatusCode::SERVICE_UNAVAILABLE,
        None => StatusCode::OK,
    };
    (
        status,
        Json(serde_json::json!({
            "ok": s.database_error.is_none(),
            "pid": std::process::id(),
            "cycles": s.cycles,
            "lastCycleMs": s.cycle_ms,
            "database": match &s.database_error {
                Some(e) => serde_json::json!({ "ok": false, "error": e, "fix": "ao doctor --repair (stop the daemon first)" }),
                None => serde_json::json!({ "ok": true }),
            },
        })),
    )
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
