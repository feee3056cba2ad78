//! `webhook`: POSTs each notification as JSON to a URL you choose.
//!
//! ```yaml
//! notifiers:
//!   ops:
//!     plugin: webhook
//!     url: https://ops.example.com/ao
//!     headers: { X-Team: agents }
//!     secretHeaders: { Authorization: { secret: OPS_TOKEN, prefix: "Bearer " } }
//!     retries: 3          # after the first attempt
//!     retryDelayMs: 1000  # doubled each retry; Retry-After wins
//! ```
//!
//! Body: `{"type": "notification" | "notification_with_actions" | "message", ...}`.

use ao_plugin_sdk::http::{self, RetryPolicy};
use ao_plugin_sdk::*;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

struct Webhook;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Settings {
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    secret_headers: BTreeMap<String, SecretHeader>,
    #[serde(default = "default_retries")]
    retries: u32,
    #[serde(default = "default_delay")]
    retry_delay_ms: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretHeader {
    secret: String,
    #[serde(default)]
    prefix: String,
}

fn default_retries() -> u32 {
    3
}
fn default_delay() -> u32 {
    1000
}

fn deliver(body: Value) -> Result<(), PluginError> {
    let settings: Settings = config::all()?;
    let mut request = http::post(&settings.url).json(&body)?;
    for (name, value) in &settings.headers {
        request = request.header(name, value);
    }
    for (name, secret) in &settings.secret_headers {
        request = request.secret_header(name, &secret.secret, &secret.prefix);
    }
    let policy = RetryPolicy {
        retries: settings.retries,
        base_delay_ms: settings.retry_delay_ms,
        ..RetryPolicy::default()
    };
    request.send_with_retry(policy).map(|_| ())
}

impl Plugin for Webhook {
    fn manifest() -> Manifest {
        Manifest::new(
            "webhook",
            env!("CARGO_PKG_VERSION"),
            "POSTs notifications as JSON to any URL",
        )
        .roles([Role::Notifier])
        // Any host: the user grants the one their URL points at.
        .capabilities(Capabilities::default().http_hosts(["*"]).secrets(["*"]))
    }
}

impl Notifier for Webhook {
    fn notify(event: Event) -> Result<(), PluginError> {
        deliver(json!({ "type": "notification", "event": event.to_json() }))
    }

    fn notify_with_actions(event: Event, actions: Vec<Action>) -> Result<(), PluginError> {
        let actions: Vec<Value> = actions.iter().map(Action::to_json).collect();
        deliver(
            json!({ "type": "notification_with_actions", "event": event.to_json(), "actions": actions }),
        )
    }

    fn post(message: String, context: MessageContext) -> Result<Option<String>, PluginError> {
        deliver(json!({ "type": "message", "message": message, "context": context.to_json() }))?;
        Ok(None)
    }
}

export!(Webhook: notifier);
