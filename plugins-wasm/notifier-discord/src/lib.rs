//! `discord`: posts embeds through a Discord webhook, with retries.
//!
//! ```yaml
//! notifiers:
//!   discord:
//!     plugin: discord
//!     webhookUrl: https://discord.com/api/webhooks/ID/TOKEN   # or webhookUrlSecret: NAME
//!     username: ao          # optional
//!     avatarUrl: https://…  # optional
//!     threadId: "123"       # optional: post into a thread
//!     retries: 3
//!     retryDelayMs: 1000
//! ```

use ao_plugin_sdk::http::{self, RetryPolicy};
use ao_plugin_sdk::*;
use serde::Deserialize;
use serde_json::{Value, json};

struct Discord;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Settings {
    webhook_url: Option<String>,
    webhook_url_secret: Option<String>,
    username: Option<String>,
    avatar_url: Option<String>,
    thread_id: Option<String>,
    #[serde(default = "default_retries")]
    retries: u32,
    #[serde(default = "default_delay")]
    retry_delay_ms: u32,
}

fn default_retries() -> u32 {
    3
}
fn default_delay() -> u32 {
    1000
}

fn color(priority: Priority) -> u32 {
    match priority {
        Priority::Urgent => 0xE0_3E_3E,
        Priority::Action => 0xF5_A6_23,
        Priority::Warning => 0xF8_E7_1C,
        Priority::Info => 0x4A_90_E2,
    }
}

/// Discord caps embed descriptions at 4096 characters.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn embed(event: &Event, actions: &[Action]) -> Value {
    let mut fields = vec![
        json!({ "name": "Session", "value": event.session_id, "inline": true }),
        json!({ "name": "Project", "value": event.project_id, "inline": true }),
        json!({ "name": "Priority", "value": event.priority.as_str(), "inline": true }),
    ];
    let links: Vec<String> = event
        .pr_url
        .iter()
        .map(|u| format!("[Pull request]({u})"))
        .chain(event.session_url.iter().map(|u| format!("[Session]({u})")))
        .chain(
            actions
                .iter()
                .filter_map(|a| a.url.as_ref().map(|u| format!("[{}]({u})", a.label))),
        )
        .collect();
    if !links.is_empty() {
        fields.push(json!({ "name": "Links", "value": links.join(" · "), "inline": false }));
    }
    let mut embed = json!({
        "title": clip(&event.kind, 256),
        "description": clip(&event.message, 4096),
        "color": color(event.priority),
        "fields": fields,
        "footer": { "text": "ao" },
    });
    if let Some(url) = event.pr_url.as_ref().or(event.session_url.as_ref()) {
        embed["url"] = json!(url);
    }
    embed
}

fn send(mut payload: Value) -> Result<(), PluginError> {
    let settings: Settings = config::all()?;
    let mut url = match (&settings.webhook_url, &settings.webhook_url_secret) {
        (Some(url), _) => url.clone(),
        (None, Some(secret)) => secrets::get(secret)?,
        (None, None) => {
            return Err(PluginError::invalid_input(
                "set `webhookUrl` (or `webhookUrlSecret`) in this notifier's settings",
            ));
        }
    };
    if let Some(thread) = &settings.thread_id {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&format!("thread_id={thread}"));
    }
    if let Some(name) = &settings.username {
        payload["username"] = json!(name);
    }
    if let Some(avatar) = &settings.avatar_url {
        payload["avatar_url"] = json!(avatar);
    }
    let policy = RetryPolicy {
        retries: settings.retries,
        base_delay_ms: settings.retry_delay_ms,
        ..RetryPolicy::default()
    };
    http::post(&url)
        .json(&payload)?
        .send_with_retry(policy)
        .map(|_| ())
}

impl Plugin for Discord {
    fn manifest() -> Manifest {
        Manifest::new(
            "discord",
            env!("CARGO_PKG_VERSION"),
            "Posts embeds to a Discord webhook",
        )
        .roles([Role::Notifier])
        .capabilities(
            Capabilities::default()
                .http_hosts(["discord.com", "discordapp.com", "*"])
                .secrets(["*"]),
        )
    }
}

impl Notifier for Discord {
    fn notify(event: Event) -> Result<(), PluginError> {
        Self::notify_with_actions(event, Vec::new())
    }

    fn notify_with_actions(event: Event, actions: Vec<Action>) -> Result<(), PluginError> {
        send(json!({ "embeds": [embed(&event, &actions)], "allowed_mentions": { "parse": [] } }))
    }

    fn post(message: String, _context: MessageContext) -> Result<Option<String>, PluginError> {
        send(json!({ "content": clip(&message, 2000), "allowed_mentions": { "parse": [] } }))?;
        Ok(None)
    }
}

export!(Discord: notifier);
