//! The fake issue service the tracker examples are written for: a small JSON
//! REST API (the shape of many trackers' APIs), served on 127.0.0.1.
//!
//! ```text
//! GET   /issues/{id}            → 200 issue | 404
//! GET   /issues?state=&labels=a,b&assignee=&limit=   → 200 [issue]
//! POST  /issues                 {title, body, labels, assignee, priority} → 201 issue
//! PATCH /issues/{id}            {state?, addLabels, removeLabels, assignee?} → 200 issue
//! POST  /issues/{id}/comments   {body} → 201
//! issue = {id, title, body, state: open|in_progress|closed|cancelled, labels, assignee, priority}
//! ```
//!
//! Every request needs `Authorization: Bearer <TOKEN>` (401 otherwise). Three
//! ids misbehave on purpose: `limited` (429, `Retry-After: 7`), `broken` (503)
//! and `forbidden` (403).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// The token the service accepts.
pub const TOKEN: &str = "conformance-token";

/// One request as received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path_and_query: String,
    pub authorization: Option<String>,
}

#[derive(Default)]
struct Shared {
    issues: Vec<Value>,
    comments: Vec<(String, String)>,
    seen: Vec<Seen>,
}

/// A running fake issue service; stops when dropped.
pub struct FakeIssues {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    _runtime: tokio::runtime::Runtime,
}

fn seed() -> Vec<Value> {
    vec![
        json!({"id": "1", "title": "Login button does nothing", "body": "Clicking **Log in** on Safari does nothing.\nSteps: open /login, click.", "state": "open", "labels": ["bug", "ui"], "assignee": "ana", "priority": 2}),
        json!({"id": "2", "title": "Crash on empty config", "body": "ao panics when the file is empty — ünïcödé ✓", "state": "in_progress", "labels": ["bug"], "assignee": null, "priority": null}),
        json!({"id": "3", "title": "Document the API", "body": "", "state": "open", "labels": ["docs"], "assignee": "bo", "priority": 5}),
        json!({"id": "9", "title": "Old idea", "body": "Never mind.", "state": "cancelled", "labels": [], "assignee": null, "priority": null}),
    ]
}

fn reply(status: StatusCode, body: Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn handle(
    State(shared): State<Arc<Mutex<Shared>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut s = shared.lock().unwrap();
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    s.seen.push(Seen {
        method: method.to_string(),
        path_and_query: uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        authorization: authorization.clone(),
    });
    if authorization.as_deref() != Some(&format!("Bearer {TOKEN}")) {
        return reply(
            StatusCode::UNAUTHORIZED,
            json!({"error": "bad or missing token"}),
        );
    }
    let path: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    let query: Vec<(String, String)> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), decode(v))
        })
        .collect();
    let q = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let input: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match (method.as_str(), path.as_slice()) {
        (_, ["issues", "limited", ..]) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "7")],
            "slow down",
        )
            .into_response(),
        (_, ["issues", "broken", ..]) => reply(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error": "maintenance"}),
        ),
        (_, ["issues", "forbidden", ..]) => {
            reply(StatusCode::FORBIDDEN, json!({"error": "not yours"}))
        }
        ("GET", ["issues"]) => {
            let labels: Vec<String> = q("labels")
                .map(|l| {
                    l.split(',')
                        .filter(|x| !x.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let limit: usize = q("limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(usize::MAX);
            let list: Vec<Value> = s
                .issues
                .iter()
                .filter(|i| q("state").is_none_or(|st| i["state"] == st.as_str()))
                .filter(|i| q("assignee").is_none_or(|a| i["assignee"] == a.as_str()))
                .filter(|i| {
                    labels.iter().all(|l| {
                        i["labels"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|x| x == l.as_str())
                    })
                })
                .take(limit)
                .cloned()
                .collect();
            reply(StatusCode::OK, Value::Array(list))
        }
        ("GET", ["issues", id]) => match s.issues.iter().find(|i| i["id"] == *id) {
            Some(i) => reply(StatusCode::OK, i.clone()),
            None => reply(
                StatusCode::NOT_FOUND,
                json!({"error": format!("no issue {id}")}),
            ),
        },
        ("POST", ["issues"]) => {
            let Some(title) = input["title"].as_str().filter(|t| !t.is_empty()) else {
                return reply(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!({"error": "title is required"}),
                );
            };
            let id = (s.issues.len() + 1).max(10).to_string();
            let issue = json!({
                "id": id, "title": title, "body": input["body"].as_str().unwrap_or(""),
                "state": "open", "labels": input["labels"].clone(), "assignee": input["assignee"].clone(),
                "priority": input["priority"].clone(),
            });
            s.issues.push(issue.clone());
            reply(StatusCode::CREATED, issue)
        }
        ("PATCH", ["issues", id]) => {
            let Some(issue) = s.issues.iter_mut().find(|i| i["id"] == *id) else {
                return reply(
                    StatusCode::NOT_FOUND,
                    json!({"error": format!("no issue {id}")}),
                );
            };
            if let Some(state) = input["state"].as_str() {
                if !["open", "in_progress", "closed", "cancelled"].contains(&state) {
                    return reply(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        json!({"error": format!("bad state {state}")}),
                    );
                }
                issue["state"] = json!(state);
            }
            if let Some(a) = input["assignee"].as_str() {
                issue["assignee"] = json!(a);
            }
            let mut labels: Vec<String> = issue["labels"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|l| l.as_str().map(str::to_string))
                .collect();
            for r in input["removeLabels"].as_array().into_iter().flatten() {
                labels.retain(|l| r != l.as_str());
            }
            for a in input["addLabels"].as_array().into_iter().flatten() {
                if let Some(a) = a.as_str()
                    && !labels.iter().any(|l| l == a)
                {
                    labels.push(a.to_string());
                }
            }
            issue["labels"] = json!(labels);
            reply(StatusCode::OK, issue.clone())
        }
        ("POST", ["issues", id, "comments"]) => {
            if !s.issues.iter().any(|i| i["id"] == *id) {
                return reply(
                    StatusCode::NOT_FOUND,
                    json!({"error": format!("no issue {id}")}),
                );
            }
            let body = input["body"].as_str().unwrap_or("").to_string();
            s.comments.push((id.to_string(), body));
            reply(StatusCode::CREATED, json!({"ok": true}))
        }
        _ => reply(
            StatusCode::NOT_FOUND,
            json!({"error": format!("no route {method} {uri}")}),
        ),
    }
}

/// `%XX` and `+` decoding for query values.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl FakeIssues {
    /// Starts the service on an ephemeral port of 127.0.0.1, with its seed issues.
    pub fn start() -> FakeIssues {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime for the fake service");
        let shared = Arc::new(Mutex::new(Shared {
            issues: seed(),
            ..Shared::default()
        }));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("binding 127.0.0.1:0");
        let addr = listener.local_addr().expect("a local address");
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeIssues {
            addr,
            shared,
            _runtime: runtime,
        }
    }

    /// `http://127.0.0.1:PORT`: the plugin's `url` setting.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `127.0.0.1:PORT`, as a host grant.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The issue with this id as the service holds it.
    pub fn issue(&self, id: &str) -> Option<Value> {
        self.shared
            .lock()
            .unwrap()
            .issues
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
    }

    /// Comments posted so far, as `(issue id, body)`.
    pub fn comments(&self) -> Vec<(String, String)> {
        self.shared.lock().unwrap().comments.clone()
    }

    /// Requests received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.lock().unwrap().seen.clone()
    }
}
