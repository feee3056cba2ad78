//! An example notifier in Rust: POSTs each event as a small JSON message to
//! the URL in its settings. Its twins: `examples/notifier-go`, `examples/notifier-js`.
//!
//! ```yaml
//! notifiers:
//!   hook: { plugin: notifier-rust, url: https://hooks.example.com/ao }
//! plugins:
//!   notifier-rust:
//!     grant: { http: [hooks.example.com] }
//! ```

use ao_plugin_sdk::*;
use serde_json::{Value, json};

struct Hook;

fn deliver(body: Value) -> Result<(), PluginError> {
    let url: String = config::require("url")?;
    let response = http::post(&url)
        .header("x-ao-plugin", "notifier-rust")
        .json(&body)?
        .send()?
        .error_for_status()?;
    log::debug(&format!("delivered to {url}: {}", response.status()));
    Ok(())
}

fn text(event: &Event) -> String {
    format!(
        "[{}] {}: {}",
        event.priority.as_str(),
        event.kind,
        event.message
    )
}

impl Plugin for Hook {
    fn manifest() -> Manifest {
        Manifest::new(
            "notifier-rust",
            env!("CARGO_PKG_VERSION"),
            "Posts events as JSON (a notifier written in Rust)",
        )
        .roles([Role::Notifier])
        .capabilities(Capabilities {
            http_hosts: vec!["*".into()],
            secrets: vec![],
            programs: vec![],
            read_dirs: vec![],
            kv: false,
        })
    }
}

impl Notifier for Hook {
    fn notify(event: Event) -> Result<(), PluginError> {
        deliver(json!({ "text": text(&event), "session": event.session_id, "prUrl": event.pr_url }))
    }

    fn notify_with_actions(event: Event, actions: Vec<Action>) -> Result<(), PluginError> {
        let labels: Vec<String> = actions.into_iter().map(|a| a.label).collect();
        deliver(json!({ "text": text(&event), "session": event.session_id, "actions": labels }))
    }

    fn post(message: String, context: MessageContext) -> Result<Option<String>, PluginError> {
        deliver(json!({ "text": message, "session": context.session_id }))?;
        Ok(None)
    }
}

export!(Hook: notifier);
