//! A scripted model server on 127.0.0.1 for the real agent CLIs: it speaks
//! enough of the Anthropic Messages API, OpenAI's Responses and Chat
//! Completions APIs and the Gemini API for Claude Code, Codex, OpenCode,
//! Aider, Gemini CLI and Copilot CLI to run turns that use their own tools.
//! What the model does comes from a [`Script`]; every request is logged
//! (without auth headers) for tests to assert on.

mod anthropic;
mod gemini;
mod openai_chat;
mod openai_responses;
mod schema;
mod script;
mod tools;
mod turn;

pub use script::{Answer, GENERIC_ANSWER, Rule, Script, Step};
pub use tools::{CallInput, Dialect, ToolCall};
pub use turn::{Api, Turn};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Token counts reported for every answer, so tests can check cost sums.
pub const INPUT_TOKENS: u64 = 100;
pub const OUTPUT_TOKENS: u64 = 20;

/// One request as the server understood it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Logged {
    pub method: String,
    /// Path and query (an API key in the query is cut out).
    pub path: String,
    pub api: Api,
    pub model: String,
    /// The user-visible text of the latest human message, if any.
    pub user_text: Option<String>,
    /// Outputs of the tool calls answered since that message.
    pub tool_results: Vec<String>,
    /// A side request: titles, summaries, commit messages, routing (no
    /// tools offered, or structured output asked for).
    pub side: bool,
    /// What the server answered: the text, then `→ tool(arguments)`.
    pub answered: String,
    /// Request headers without credentials.
    pub headers: Vec<(String, String)>,
    /// The whole JSON body (Null when it was not JSON).
    pub body: Value,
    #[serde(skip)]
    pub at: Option<Instant>,
}

/// An answer on the wire: one JSON body, or a stream of server-sent events.
#[derive(Debug)]
enum Reply {
    Json(StatusCode, Value),
    /// Each item is one complete SSE event (`event: …\ndata: …\n\n`).
    Events(Vec<String>),
}

/// One SSE event; `event` is None for data-only streams.
fn sse(event: Option<&str>, data: &Value) -> String {
    match event {
        Some(name) => format!("event: {name}\ndata: {data}\n\n"),
        None => format!("data: {data}\n\n"),
    }
}

/// Text cut into small chunks (at spaces) so streaming is visible.
fn chunks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for piece in text.split_inclusive(' ') {
        current.push_str(piece);
        if current.len() >= 12 {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out
}

struct Shared {
    script: Mutex<Script>,
    log: Mutex<Vec<Logged>>,
    log_file: Option<PathBuf>,
    /// Makes ids unique across requests (tool calls, messages).
    counter: AtomicU64,
}

/// A running model server; stops when dropped.
pub struct ModelServer {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    _runtime: tokio::runtime::Runtime,
}

impl ModelServer {
    /// Serves `script` on an ephemeral port of 127.0.0.1.
    pub fn start(script: Script) -> ModelServer {
        ModelServer::bind(0, script, None).expect("bind 127.0.0.1:0")
    }

    /// Serves `script` on 127.0.0.1:`port` (0: any free port), appending
    /// every logged request as a JSON line to `log_file` when given.
    pub fn bind(port: u16, script: Script, log_file: Option<PathBuf>) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(("127.0.0.1", port)))
            .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            script: Mutex::new(script),
            log: Mutex::new(Vec::new()),
            log_file,
            counter: AtomicU64::new(0),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        runtime.spawn(async move { axum::serve(listener, app).await });
        Ok(ModelServer {
            addr,
            shared,
            _runtime: runtime,
        })
    }

    /// `http://127.0.0.1:PORT`: the base URL for Anthropic and Gemini clients.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/v1`: the base URL for OpenAI-style clients.
    pub fn openai_url(&self) -> String {
        format!("{}/v1", self.url())
    }

    /// Replaces the script (requests already answered keep their answers).
    pub fn set_script(&self, script: Script) {
        *self.shared.script.lock().unwrap() = script;
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Logged> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Requests whose latest human message contains `text`.
    pub fn requests_containing(&self, text: &str) -> Vec<Logged> {
        self.requests()
            .into_iter()
            .filter(|r| r.user_text.as_deref().is_some_and(|t| t.contains(text)))
            .collect()
    }

    /// Waits until a request whose latest human message contains `text`
    /// arrives; the error lists what did arrive.
    pub fn wait_for_user_message(&self, text: &str, timeout: Duration) -> anyhow::Result<Logged> {
        self.wait_for(timeout, |r| {
            r.user_text.as_deref().is_some_and(|t| t.contains(text))
        })
        .map_err(|e| anyhow::anyhow!("no request with a user message containing {text:?}: {e}"))
    }

    /// Waits for the first request that satisfies `matches`.
    pub fn wait_for(
        &self,
        timeout: Duration,
        matches: impl Fn(&Logged) -> bool,
    ) -> anyhow::Result<Logged> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = self.requests().into_iter().find(|r| matches(r)) {
                return Ok(found);
            }
            if Instant::now() >= deadline {
                anyhow::bail!(
                    "timed out after {timeout:?}; requests so far:\n{}",
                    self.summary()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// One line per request (for failure messages).
    pub fn summary(&self) -> String {
        self.requests()
            .iter()
            .map(|r| {
                format!(
                    "  {} {} [{:?} {}{}] user={:?} tool_results={} → {}",
                    r.method,
                    r.path,
                    r.api,
                    r.model,
                    if r.side { " side" } else { "" },
                    r.user_text.as_deref().map(|t| shorten(t, 80)),
                    r.tool_results.len(),
                    shorten(&r.answered, 120)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// At most `max` characters of `text`, on one line.
pub fn shorten(text: &str, max: usize) -> String {
    let flat: String = text.replace('\n', "⏎");
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}…", flat.chars().take(max).collect::<String>())
    }
}

const SECRET_HEADERS: [&str; 6] = [
    "authorization",
    "x-api-key",
    "x-goog-api-key",
    "api-key",
    "cookie",
    "proxy-authorization",
];

fn loggable_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(k, _)| !SECRET_HEADERS.contains(&k.as_str()))
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect()
}

/// The path and query with any `key=` parameter (Gemini's API key) removed.
fn loggable_path(uri: &Uri) -> String {
    let path = uri.path().to_string();
    match uri.query() {
        None => path,
        Some(query) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|p| !p.starts_with("key="))
                .collect();
            if kept.is_empty() {
                path
            } else {
                format!("{path}?{}", kept.join("&"))
            }
        }
    }
}

/// Which API a request is for, by its method and path (clients differ in
/// whether their base URL ends in /v1, so only the end is matched).
fn route(method: &Method, path: &str) -> Route {
    match *method {
        Method::POST
            if path.ends_with("/messages/count_tokens") || path.ends_with(":countTokens") =>
        {
            Route::CountTokens
        }
        Method::POST if path.ends_with("/messages") => Route::Api(Api::Anthropic),
        Method::POST if path.ends_with("/responses") => Route::Api(Api::OpenAiResponses),
        Method::POST if path.ends_with("/chat/completions") => Route::Api(Api::OpenAiChat),
        Method::POST if path.contains("/models/") && path.contains(":") => Route::Api(Api::Gemini),
        Method::GET if path.ends_with("/models") => Route::Models,
        _ => Route::Other,
    }
}

enum Route {
    Api(Api),
    CountTokens,
    Models,
    Other,
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let json_body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let n = shared.counter.fetch_add(1, Ordering::Relaxed);
    let (turn, reply) = match route(&method, uri.path()) {
        Route::Api(api) => {
            let turn = parse(api, &uri, &json_body);
            let script = shared.script.lock().unwrap().clone();
            let answer = script.answer(&turn);
            let reply = render(&turn, &answer, n);
            (Some((turn, answer)), reply)
        }
        Route::CountTokens => (
            None,
            // Anthropic's and Gemini's shapes at once.
            Reply::Json(
                StatusCode::OK,
                json!({"input_tokens": INPUT_TOKENS, "totalTokens": INPUT_TOKENS}),
            ),
        ),
        Route::Models => (None, Reply::Json(StatusCode::OK, models_list())),
        // Probes (`HEAD /`, `/api/hello`) and anything else: a plain 200.
        Route::Other => (None, Reply::Json(StatusCode::OK, json!({}))),
    };
    let logged = Logged {
        method: method.to_string(),
        path: loggable_path(&uri),
        api: turn.as_ref().map_or(Api::Other, |(t, _)| t.api),
        model: turn
            .as_ref()
            .map(|(t, _)| t.model.clone())
            .unwrap_or_default(),
        user_text: turn.as_ref().and_then(|(t, _)| t.human.clone()),
        tool_results: turn
            .as_ref()
            .map(|(t, _)| t.tool_results.clone())
            .unwrap_or_default(),
        side: turn
            .as_ref()
            .is_none_or(|(t, _)| t.answer_schema.is_some() || Dialect::of(t) == Dialect::Side),
        answered: turn.as_ref().map(|(_, a)| describe(a)).unwrap_or_default(),
        headers: loggable_headers(&headers),
        body: json_body,
        at: Some(Instant::now()),
    };
    if let Some(file) = &shared.log_file {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file)
        {
            let _ = writeln!(f, "{}", serde_json::to_string(&logged).unwrap_or_default());
        }
    }
    shared.log.lock().unwrap().push(logged);
    let delay = shared.script.lock().unwrap().chunk_delay();
    respond(reply, delay)
}

fn parse(api: Api, uri: &Uri, body: &Value) -> Turn {
    match api {
        Api::Anthropic => anthropic::parse(body),
        Api::OpenAiResponses => openai_responses::parse(body),
        Api::OpenAiChat => openai_chat::parse(body),
        Api::Gemini => gemini::parse(uri, body),
        Api::Other => Turn::empty(Api::Other),
    }
}

fn render(turn: &Turn, answer: &Answer, n: u64) -> Reply {
    match turn.api {
        Api::Anthropic => anthropic::render(turn, answer, n),
        Api::OpenAiResponses => openai_responses::render(turn, answer, n),
        Api::OpenAiChat => openai_chat::render(turn, answer, n),
        Api::Gemini => gemini::render(turn, answer, n),
        Api::Other => Reply::Json(StatusCode::OK, json!({})),
    }
}

fn describe(answer: &Answer) -> String {
    let mut out = answer.text.clone();
    if let Some(call) = &answer.call {
        let args = match &call.input {
            CallInput::Json(v) => v.to_string(),
            CallInput::Freeform(s) => s.clone(),
        };
        out.push_str(&format!(" → {}({args})", call.name));
    }
    out
}

fn models_list() -> Value {
    // OpenAI's shape, which is what clients that list models ask for.
    json!({"object": "list", "data": [
        {"id": "test-model", "object": "model", "created": 0, "owned_by": "ao-tests"}
    ]})
}

fn respond(reply: Reply, delay: Duration) -> Response {
    match reply {
        Reply::Json(status, value) => (status, axum::Json(value)).into_response(),
        Reply::Events(events) => {
            let stream = futures_util::stream::unfold(
                (events.into_iter(), delay),
                |(mut events, delay)| async move {
                    let event = events.next()?;
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    Some((
                        Ok::<_, std::convert::Infallible>(Bytes::from(event)),
                        (events, delay),
                    ))
                },
            );
            Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "text/event-stream")
                .header("cache-control", "no-cache")
                .body(Body::from_stream(stream))
                .unwrap()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_streams_in_small_chunks() {
        assert_eq!(chunks(""), vec![String::new()]);
        let parts = chunks("one two three four five six seven");
        assert!(parts.len() > 1);
        assert_eq!(parts.concat(), "one two three four five six seven");
    }

    #[test]
    fn keys_never_reach_the_log() {
        let uri: Uri = "/v1beta/models/m:generateContent?key=SECRET&alt=sse"
            .parse()
            .unwrap();
        assert_eq!(
            loggable_path(&uri),
            "/v1beta/models/m:generateContent?alt=sse"
        );
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", "SECRET".parse().unwrap());
        headers.insert("authorization", "Bearer SECRET".parse().unwrap());
        headers.insert("user-agent", "cli".parse().unwrap());
        assert_eq!(
            loggable_headers(&headers),
            vec![("user-agent".to_string(), "cli".to_string())]
        );
    }
}
