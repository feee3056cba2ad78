//! The web dashboard, served by the daemon next to its API: the board of
//! sessions (pushed over SSE from the lifecycle loop's snapshot), a session
//! page with actions, and a live terminal over a WebSocket. The front end is
//! static files built into the binary (`assets/dashboard/`); no Node at run
//! time. The API is documented in docs/api.md.
//!
//! Security: loopback by default, with the Host header checked (so a DNS
//! rebinding page cannot talk to it); any other address requires a token.
//! State-changing requests need the `X-AO-CSRF` header (which a cross-site
//! form cannot send) and a same-origin `Origin`; WebSockets a same-origin
//! `Origin`. Pages build their DOM with `textContent` only, under a CSP that
//! allows no inline script.

mod actions;
mod assets;
pub mod board;
mod security;
mod terminal;

use super::lifecycle::Shared;
use crate::context::Context;
use axum::routing::{get, post};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub use security::{TOKEN_ENV, token_for};

/// What the dashboard knows about the configuration, read once at start.
#[derive(Debug, Clone)]
pub struct Site {
    pub config: Option<PathBuf>,
    pub paths: ao_core::Paths,
    pub projects: Vec<board::Project>,
}

impl Site {
    pub fn new(ctx: &Context, config: Option<PathBuf>) -> Site {
        let projects = ctx
            .config
            .projects
            .values()
            .map(|p| board::Project {
                id: p.id.clone(),
                name: p.name.clone(),
                agent: p.agent.clone(),
                path: p.path.clone(),
                local_tracker: p.tracker.is_local(),
                repo: p.repo.clone(),
            })
            .collect();
        Site {
            config,
            paths: ctx.paths.clone(),
            projects,
        }
    }
}

/// The address to open, with the token when one is needed.
pub fn url(bind: IpAddr, port: u16, token: Option<&str>) -> String {
    let host = if bind.is_unspecified() || bind.is_loopback() {
        "127.0.0.1".to_string()
    } else if bind.is_ipv6() {
        format!("[{bind}]")
    } else {
        bind.to_string()
    };
    match token {
        Some(t) => format!("http://{host}:{port}/?token={t}"),
        None => format!("http://{host}:{port}"),
    }
}

/// What the dashboard follows: the lifecycle loop's snapshot, its "new
/// snapshot" signal, and the daemon's shutdown.
pub struct Live {
    pub snapshot: Shared,
    pub published: tokio::sync::watch::Receiver<u64>,
    pub closing: tokio::sync::watch::Receiver<bool>,
}

#[derive(Clone)]
pub(crate) struct Dashboard {
    site: Arc<Site>,
    board: board::Boards,
    data: PathBuf,
    /// Becomes true when the daemon stops: long-lived responses end.
    closing: tokio::sync::watch::Receiver<bool>,
}

/// The dashboard's routes merged with `api`'s, all behind the security
/// guard.
pub fn router(
    api: axum::Router,
    site: Site,
    live: Live,
    data: PathBuf,
    bind: IpAddr,
    token: Option<String>,
) -> axum::Router {
    let site = Arc::new(site);
    let boards = board::Boards::start(site.clone(), live.snapshot, live.published, data.clone());
    let state = Dashboard {
        site,
        board: boards,
        data,
        closing: live.closing,
    };
    axum::Router::new()
        .route("/", get(assets::index))
        .route("/assets/{name}", get(assets::file))
        .route("/api/board", get(board::get_board))
        .route("/api/board/stream", get(board::stream))
        .route("/api/sessions/{id}", get(board::detail))
        .route("/api/sessions/{id}/ci-log", get(board::ci_log))
        .route("/api/sessions/{id}/terminal", get(terminal::upgrade))
        .route("/api/sessions/{id}/{action}", post(actions::session_action))
        .route("/api/spawn", post(actions::spawn))
        .with_state(state)
        .merge(api)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(security::Security::new(bind, token)),
            security::guard,
        ))
}

/// A session id as ao makes them (`{prefix}-{N}`); anything else is refused
/// before it reaches a command line or a file name.
pub(crate) fn check_id(id: &str) -> ApiResult<()> {
    if !id.is_empty()
        && id.len() <= 100
        && !id.starts_with(['-', '.'])
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Ok(())
    } else {
        Err(ApiError(
            axum::http::StatusCode::BAD_REQUEST,
            format!("`{id}` is not a session id"),
        ))
    }
}

pub(crate) type ApiResult<T> = std::result::Result<T, ApiError>;

/// An error answered as `{ "error": text }` with a status.
pub(crate) struct ApiError(pub axum::http::StatusCode, pub String);

impl axum::response::IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        (self.0, axum::Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}
