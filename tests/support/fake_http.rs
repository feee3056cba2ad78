//! A fake HTTP service: it records every request and answers from a script
//! (then 200 `ok`), like Slack's, Discord's or any webhook receiver would.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Recorded {
    /// A request as received.
    pub fn of(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Recorded {
        Recorded {
            method: method.to_string(),
            path_and_query: uri
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect(),
            body: body.to_vec(),
            at: Instant::now(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// The state of a fake service: it answers each request (and usually
/// records it). Served by [`serve`].
pub trait Respond: Send + 'static {
    fn answer(&mut self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Reply;
}

/// A fake being served: stops when dropped (its runtime is dropped).
pub struct Serving<S> {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<S>>,
    _runtime: tokio::runtime::Runtime,
}

/// Serves the state `make` builds (it is told the address first, for the
/// URLs it writes into its answers) on an ephemeral port of 127.0.0.1.
pub fn serve<S: Respond>(make: impl FnOnce(SocketAddr) -> S) -> Serving<S> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let state = Arc::new(Mutex::new(make(addr)));
    let app = axum::Router::new()
        .fallback(handle::<S>)
        .with_state(state.clone());
    runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
    Serving {
        addr,
        state,
        _runtime: runtime,
    }
}

async fn handle<S: Respond>(
    State(state): State<Arc<Mutex<S>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let reply = state.lock().unwrap().answer(&method, &uri, &headers, &body);
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
    // Replace, not append: the body's default `application/octet-stream`
    // must not sit beside the content type a reply names.
    for (k, v) in reply.headers {
        response.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    response
}

#[derive(Default)]
struct Shared {
    requests: Vec<Recorded>,
    script: VecDeque<Reply>,
}

impl Respond for Shared {
    fn answer(&mut self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Reply {
        self.requests.push(Recorded::of(method, uri, headers, body));
        self.script
            .pop_front()
            .unwrap_or_else(|| Reply::status(200).body("ok"))
    }
}

/// A running fake service; stops when dropped.
pub struct FakeServer {
    pub addr: SocketAddr,
    served: Serving<Shared>,
}

impl FakeServer {
    /// Starts a server on an ephemeral port of 127.0.0.1.
    pub fn start() -> FakeServer {
        let served = serve(|_| Shared::default());
        FakeServer {
            addr: served.addr,
            served,
        }
    }

    /// `http://127.0.0.1:PORT` + path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// `127.0.0.1:PORT`, as a host grant.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Queues answers for the next requests.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.served.state.lock().unwrap().script.extend(replies);
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.served.state.lock().unwrap().requests.clone()
    }
}
