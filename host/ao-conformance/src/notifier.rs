//! The notifier role against a fake web hook receiver. The contract every
//! notifier keeps here: settings `{ "url": URL }`; `notify` sends one request
//! to that URL whose body holds the event's message (UTF-8); a 5xx answer is
//! `transient`; without a grant for the host, the host's `denied` comes back;
//! without `url`, `invalid-input`.

use crate::Recorder;
use ao_plugin_host::bindings::v0_1::{Event, PluginError, Priority};
use ao_plugin_host::{CallError, Grant, InstanceSettings, LoadedPlugin, PluginInstance};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Shared {
    /// `(method, path, body)`.
    seen: Vec<(String, String, Vec<u8>)>,
    status: u16,
}

struct Receiver {
    addr: std::net::SocketAddr,
    shared: Arc<Mutex<Shared>>,
    _runtime: tokio::runtime::Runtime,
}

async fn handle(
    State(s): State<Arc<Mutex<Shared>>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> StatusCode {
    let mut s = s.lock().unwrap();
    s.seen
        .push((method.to_string(), uri.path().to_string(), body.to_vec()));
    StatusCode::from_u16(s.status).unwrap_or(StatusCode::OK)
}

impl Receiver {
    fn start() -> Receiver {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime for the fake receiver");
        let shared = Arc::new(Mutex::new(Shared {
            seen: Vec::new(),
            status: 200,
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
        Receiver {
            addr,
            shared,
            _runtime: runtime,
        }
    }
}

fn event() -> Event {
    Event {
        id: "evt-1".into(),
        kind: "ci.failing".into(),
        priority: Priority::Urgent,
        session_id: "web-7".into(),
        project_id: "web".into(),
        timestamp: 1_764_000_000_000,
        message: "CI failed — ünïcödé ✓".into(),
        pr_url: Some("https://github.com/acme/web/pull/42".into()),
        session_url: None,
        data: "{}".into(),
    }
}

fn error_json(e: &CallError) -> Value {
    match e.plugin_error() {
        Some(PluginError::Transient(_)) => json!({"error": "transient"}),
        Some(PluginError::InvalidInput(_)) => json!({"error": "invalid-input"}),
        Some(PluginError::Denied(_)) => json!({"error": "denied"}),
        Some(other) => json!({"error": format!("{other:?}")}),
        None => json!({"error": "crash", "detail": e.to_string()}),
    }
}

fn instance(plugin: &LoadedPlugin, url: Option<String>, host: Option<String>) -> PluginInstance {
    let mut settings = serde_json::Map::new();
    if let Some(url) = url {
        settings.insert("url".into(), json!(url));
    }
    plugin.instantiate(InstanceSettings {
        settings,
        grant: Grant {
            http: host.into_iter().collect(),
            ..Grant::default()
        },
        ..InstanceSettings::default()
    })
}

pub(crate) fn run(plugin: &LoadedPlugin, rec: &mut Recorder) {
    let r = Receiver::start();
    let url = format!("http://{}/hook", r.addr);
    let host = r.addr.to_string();
    let mut n = instance(plugin, Some(url.clone()), Some(host.clone()));
    let message = event().message;
    rec.check(
        "notifier.notify",
        match n.notify(&event()) {
            Ok(()) => {
                let seen = r.shared.lock().unwrap().seen.clone();
                let observed = json!(seen.iter().map(|(m, p, b)| json!({
                    "method": m, "path": p, "holdsMessage": String::from_utf8_lossy(b).contains(&message),
                })).collect::<Vec<_>>());
                let ok = seen.len() == 1 && seen[0].1 == "/hook" && String::from_utf8_lossy(&seen[0].2).contains(&message);
                if ok {
                    Ok(observed)
                } else {
                    Err(("expected one request to the url whose body holds the message (UTF-8)".into(), observed))
                }
            }
            Err(e) => Err((e.to_string(), error_json(&e))),
        },
    );
    r.shared.lock().unwrap().status = 503;
    let mut check_err = |name: &str, n: &mut PluginInstance, expected: Value| {
        rec.check(
            name,
            match n.notify(&event()) {
                Ok(()) => Err(("expected an error".into(), json!("ok"))),
                Err(e) => {
                    let got = error_json(&e);
                    if got == expected {
                        Ok(got)
                    } else {
                        Err((format!("expected {expected}, got {got}"), got))
                    }
                }
            },
        );
    };
    check_err(
        "notifier.error-transient",
        &mut n,
        json!({"error": "transient"}),
    );
    let mut not_granted = instance(plugin, Some(url), None);
    check_err(
        "notifier.error-denied-capability",
        &mut not_granted,
        json!({"error": "denied"}),
    );
    let mut no_url = instance(plugin, None, Some(host));
    check_err(
        "notifier.error-missing-setting",
        &mut no_url,
        json!({"error": "invalid-input"}),
    );
}
