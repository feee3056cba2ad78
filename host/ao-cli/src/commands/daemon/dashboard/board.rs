//! The board: every session with its attention zone and title, rebuilt once
//! per new lifecycle snapshot (never per viewer) and pushed to every viewer
//! over SSE only when it changed. A viewer that (re)connects gets the whole
//! board first, so a reconnect needs no replay.

use super::{ApiError, ApiResult, Dashboard, Site, check_id};
use crate::commands::daemon::lifecycle::{Shared, Snapshot};
use ao_core::state::{Session, Store, TERMINAL_STATUSES, now_ms};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// Ended sessions stay on the board (in `done`) this long.
const DONE_FOR_MS: i64 = 24 * 3600 * 1000;

/// An SSE comment this often keeps proxies and the browser from timing out.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// Zones in the order the board shows them.
pub const ZONES: &[&str] = &["respond", "review", "merge", "pending", "working", "done"];

/// Zones where a person is needed (counted in the tab title).
const ATTENTION: &[&str] = &["respond", "review", "merge"];

#[derive(Debug, Clone)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub agent: String,
    pub path: PathBuf,
    pub local_tracker: bool,
    pub repo: Option<String>,
}

/// The facts a session's zone is decided on.
#[derive(Debug, Clone, Copy)]
pub struct ZoneFacts<'a> {
    pub status: &'a str,
    /// The PR's CI summary (`passing`, `failing`…), when there is a PR.
    pub ci: Option<&'a str>,
    /// The PR's review decision (`approved`…), when there is a PR.
    pub review: Option<&'a str>,
}

impl<'a> From<&'a Session> for ZoneFacts<'a> {
    fn from(s: &'a Session) -> Self {
        ZoneFacts {
            status: &s.status,
            ci: s.ci.as_deref(),
            review: s.review.as_deref(),
        }
    }
}

/// What a session needs from a person, from its status, its activity and
/// its PR's facts.
pub fn zone(s: ZoneFacts<'_>, activity: Option<&str>) -> &'static str {
    match s.status {
        "errored" | "stuck" | "needs_input" | "exited" | "workspace_lost" => return "respond",
        status if TERMINAL_STATUSES.contains(&status) => return "done",
        _ => {}
    }
    if matches!(activity, Some("waiting_input" | "blocked" | "exited")) {
        return "respond";
    }
    match s.status {
        "ci_failed" | "changes_requested" | "merge_conflicts" => "review",
        "mergeable" => "merge",
        _ if s.review == Some("approved") && s.ci == Some("passing") => "merge",
        "review_pending" => "pending",
        // A PR whose agent has stopped waits on CI or reviewers.
        "pr_open" if matches!(activity, Some("ready" | "idle")) => "pending",
        _ => "working",
    }
}

/// The board as last built: its JSON text (what is pushed) and value.
#[derive(Debug, Default)]
pub struct Board {
    pub json: String,
    pub value: Value,
}

#[derive(Clone)]
pub struct Boards {
    rx: watch::Receiver<Arc<Board>>,
}

impl Boards {
    /// Rebuilds the board after each lifecycle snapshot.
    pub fn start(
        site: Arc<Site>,
        snapshot: Shared,
        mut published: watch::Receiver<u64>,
        data: PathBuf,
    ) -> Boards {
        let (tx, rx) = watch::channel(Arc::new(Board::default()));
        let builder = Arc::new(Mutex::new(Builder {
            site,
            data,
            store: None,
            titles: HashMap::new(),
        }));
        tokio::spawn(async move {
            loop {
                let snap = snapshot.read().unwrap_or_else(|e| e.into_inner()).clone();
                let builder = builder.clone();
                let built = tokio::task::spawn_blocking(move || {
                    builder
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .build(&snap)
                })
                .await;
                if let Ok(board) = built {
                    tx.send_if_modified(|current| {
                        let changed = current.json != board.json;
                        if changed {
                            *current = Arc::new(board);
                        }
                        changed
                    });
                }
                if published.changed().await.is_err() {
                    break;
                }
            }
        });
        Boards { rx }
    }

    pub fn current(&self) -> Arc<Board> {
        self.rx.borrow().clone()
    }

    /// The live view of one session, if it is on the board.
    fn session(&self, id: &str) -> Option<Value> {
        self.current().value["sessions"]
            .as_array()?
            .iter()
            .find(|s| s["id"] == id)
            .cloned()
    }
}

struct Builder {
    site: Arc<Site>,
    data: PathBuf,
    store: Option<Store>,
    /// Issue titles by (project, issue); read once.
    titles: HashMap<(String, String), Option<String>>,
}

impl Builder {
    fn build(&mut self, snap: &Snapshot) -> Board {
        if self.store.is_none() {
            self.store = Store::open(&self.data)
                .inspect_err(|e| tracing::warn!("dashboard: cannot open the state store: {e}"))
                .ok();
        }
        let mut sessions: Vec<Value> = snap.sessions.clone();
        // Ended sessions are not in the lifecycle snapshot; the recent ones
        // stay visible in `done` (errored ones in `respond`).
        let since = now_ms() - DONE_FOR_MS;
        if let Some(store) = &self.store
            && let Ok(all) = store.sessions(None, true)
        {
            for s in all
                .iter()
                .filter(|s| s.is_terminal() && s.updated_at >= since)
            {
                let mut v = serde_json::to_value(s).unwrap_or_default();
                v["alive"] = json!(false);
                sessions.push(v);
            }
        }
        for v in &mut sessions {
            self.decorate(v);
        }
        let rank = |v: &Value| {
            ZONES
                .iter()
                .position(|z| v["zone"] == *z)
                .unwrap_or(ZONES.len())
        };
        sessions.sort_by_key(|v| (rank(v), -v["createdAt"].as_i64().unwrap_or(0)));
        let attention = sessions
            .iter()
            .filter(|v| ATTENTION.iter().any(|z| v["zone"] == *z))
            .count();
        let projects: Vec<Value> = self
            .site
            .projects
            .iter()
            .map(|p| json!({ "id": p.id, "name": p.name, "agent": p.agent }))
            .collect();
        let value = json!({
            "sessions": sessions,
            "queued": snap.queued,
            "attention": attention,
            "zones": ZONES,
            "projects": projects,
        });
        Board {
            json: value.to_string(),
            value,
        }
    }

    /// Adds `zone`, `title` and `issueUrl` to a session's JSON.
    fn decorate(&mut self, v: &mut Value) {
        let Ok(s) = serde_json::from_value::<SessionView>(v.clone()) else {
            return;
        };
        let activity = v["activity"].as_str().map(str::to_string);
        v["zone"] = json!(zone(s.facts(), activity.as_deref()));
        let project = self.site.projects.iter().find(|p| p.id == s.project_id);
        let mut title = None;
        if let (Some(issue), Some(project)) = (&s.issue_id, project) {
            if project.local_tracker {
                title = self
                    .titles
                    .entry((project.id.clone(), issue.clone()))
                    .or_insert_with(|| {
                        ao_lifecycle::local_tracker::get(&project.path, issue)
                            .ok()
                            .map(|i| i.title)
                    })
                    .clone();
            } else if let Some(repo) = &project.repo {
                v["issueUrl"] = json!(format!("https://github.com/{repo}/issues/{issue}"));
            }
        }
        let title = title
            .or_else(|| s.issue_id.as_ref().map(|i| format!("Issue #{i}")))
            .or_else(|| {
                s.prompt
                    .as_deref()
                    .and_then(|p| p.lines().find(|l| !l.trim().is_empty()))
                    .map(|l| l.chars().take(100).collect())
            })
            .or(s.branch.clone())
            .unwrap_or_else(|| s.id.clone());
        v["title"] = json!(title);
    }
}

/// The fields the zone and title need, read back from a session's JSON.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionView {
    id: String,
    project_id: String,
    status: String,
    issue_id: Option<String>,
    prompt: Option<String>,
    branch: Option<String>,
    ci: Option<String>,
    review: Option<String>,
}

impl SessionView {
    fn facts(&self) -> ZoneFacts<'_> {
        ZoneFacts {
            status: &self.status,
            ci: self.ci.as_deref(),
            review: self.review.as_deref(),
        }
    }
}

fn json_response(text: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response()
}

/// `GET /api/board`: the board as the stream would send it now.
pub async fn get_board(State(d): State<Dashboard>) -> Response {
    let mut rx = d.board.rx.clone();
    // Empty only until the first build, which follows the start at once.
    let _ = rx.wait_for(|b| !b.json.is_empty()).await;
    json_response(d.board.current().json.clone())
}

/// `GET /api/board/stream`: SSE. `event: board` with the whole board on
/// connect and on every change; a comment as heartbeat.
pub async fn stream(State(d): State<Dashboard>) -> Response {
    let mut rx = d.board.rx.clone();
    rx.mark_changed();
    let events =
        futures_util::stream::unfold((rx, d.closing), |(mut rx, mut closing)| async move {
            let event = loop {
                let next = tokio::select! {
                    next = tokio::time::timeout(HEARTBEAT, rx.changed()) => next,
                    _ = closing.changed() => return None,
                };
                match next {
                    Ok(Ok(())) => {
                        let board = rx.borrow_and_update().clone();
                        // Empty only until the first build, which follows at once.
                        if !board.json.is_empty() {
                            break format!("event: board\ndata: {}\n\n", board.json);
                        }
                    }
                    Ok(Err(_)) => return None,
                    Err(_) => break ": heartbeat\n\n".to_string(),
                }
            };
            Some((
                Ok::<_, std::convert::Infallible>(Bytes::from(event)),
                (rx, closing),
            ))
        });
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(events),
    )
        .into_response()
}

/// `GET /api/sessions/{id}`: one session with its history and PR.
pub async fn detail(State(d): State<Dashboard>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    check_id(&id)?;
    let live = d.board.session(&id);
    let data = d.data.clone();
    let value = tokio::task::spawn_blocking(move || -> ApiResult<Value> {
        let store = Store::open(&data).map_err(internal)?;
        let session = store.session(&id).map_err(|e| {
            ApiError(
                StatusCode::NOT_FOUND,
                format!("{e}; see the board for sessions"),
            )
        })?;
        let events = store.events(&id).map_err(internal)?;
        let mut view = serde_json::to_value(&session).map_err(internal)?;
        if let Some(Value::Object(live)) = live {
            // The board's view has the concluded activity, zone and title.
            for (k, v) in live {
                view[k] = v;
            }
        }
        let pr = session.pr_number.map(|number| {
            let mut checks = Vec::new();
            let mut reviews = Vec::new();
            if let Ok(Some(run)) = store.latest_ci_run(&session.project_id, number) {
                checks.push(json!({
                    "name": "ci",
                    "status": run.status,
                    "exitCode": run.exit_code,
                    "url": format!("/api/sessions/{id}/ci-log"),
                }));
            } else if let Some(url) = session.pr_url.as_deref().filter(|u| u.starts_with("http")) {
                checks.push(json!({
                    "name": "checks",
                    "status": session.ci,
                    "url": format!("{url}/checks"),
                }));
            }
            if let Ok(list) = store.reviews(&session.project_id, number) {
                reviews = list;
            }
            json!({
                "number": number,
                "url": session.pr_url,
                "state": session.pr_state,
                "ci": session.ci,
                "review": session.review,
                "conflicts": session.status == "merge_conflicts",
                "mergeable": session.status == "mergeable"
                    || (session.review.as_deref() == Some("approved")
                        && session.ci.as_deref() == Some("passing")
                        && session.pr_state.as_deref() == Some("open")),
                "checks": checks,
                "reviews": reviews,
            })
        });
        Ok(json!({ "session": view, "events": events, "pr": pr }))
    })
    .await
    .map_err(internal)??;
    Ok(Json(value))
}

/// `GET /api/sessions/{id}/ci-log`: the end of the latest CI log (local
/// SCM), as plain text.
pub async fn ci_log(State(d): State<Dashboard>, Path(id): Path<String>) -> ApiResult<Response> {
    check_id(&id)?;
    let data = d.data.clone();
    let text = tokio::task::spawn_blocking(move || -> ApiResult<String> {
        let store = Store::open(&data).map_err(internal)?;
        let session = store
            .session(&id)
            .map_err(|e| ApiError(StatusCode::NOT_FOUND, e.to_string()))?;
        let run = session
            .pr_number
            .and_then(|n| store.latest_ci_run(&session.project_id, n).ok().flatten())
            .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("{id} has no CI run")))?;
        let bytes = std::fs::read(&run.log_path).map_err(|e| {
            ApiError(
                StatusCode::NOT_FOUND,
                format!("cannot read {}: {e}", run.log_path),
            )
        })?;
        let tail = &bytes[bytes.len().saturating_sub(64 * 1024)..];
        Ok(String::from_utf8_lossy(tail).into_owned())
    })
    .await
    .map_err(internal)??;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response())
}

pub(super) fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(status: &str) -> ZoneFacts<'_> {
        ZoneFacts {
            status,
            ci: None,
            review: None,
        }
    }

    #[test]
    fn zones() {
        assert_eq!(zone(facts("working"), Some("active")), "working");
        assert_eq!(zone(facts("working"), Some("waiting_input")), "respond");
        assert_eq!(zone(facts("pr_open"), Some("exited")), "respond");
        assert_eq!(zone(facts("errored"), None), "respond");
        assert_eq!(zone(facts("workspace_lost"), Some("active")), "respond");
        assert_eq!(zone(facts("ci_failed"), Some("active")), "review");
        assert_eq!(zone(facts("changes_requested"), None), "review");
        assert_eq!(zone(facts("merge_conflicts"), None), "review");
        assert_eq!(zone(facts("mergeable"), Some("idle")), "merge");
        assert_eq!(zone(facts("review_pending"), Some("idle")), "pending");
        assert_eq!(zone(facts("pr_open"), Some("idle")), "pending");
        assert_eq!(zone(facts("pr_open"), Some("active")), "working");
        assert_eq!(zone(facts("killed"), Some("exited")), "done");
        assert_eq!(zone(facts("merged"), None), "done");
        let mut approved = facts("pr_open");
        approved.review = Some("approved");
        approved.ci = Some("passing");
        assert_eq!(zone(approved, Some("active")), "merge");
    }
}
