//! `slack`: posts Block Kit messages through a Slack incoming webhook (or a
//! Slack-compatible one: Mattermost and Rocket.Chat accept the same payload).
//!
//! ```yaml
//! notifiers:
//!   team:
//!     plugin: slack
//!     webhookUrl: https://hooks.slack.com/services/T000/B000/XXXX
//!     # or keep the URL out of the file:  webhookUrlSecret: SLACK_WEBHOOK_URL
//!     channel: "#agents"     # optional override
//!     username: ao           # optional
//! ```

use ao_plugin_sdk::http::{self, RetryPolicy};
use ao_plugin_sdk::*;
use serde::Deserialize;
use serde_json::{Value, json};

struct Slack;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Settings {
    webhook_url: Option<String>,
    webhook_url_secret: Option<String>,
    channel: Option<String>,
    username: Option<String>,
    #[serde(default = "default_retries")]
    retries: u32,
    #[serde(default = "default_delay")]
    retry_delay_ms: u32,
}

fn default_retries() -> u32 {
    2
}
fn default_delay() -> u32 {
    1000
}

impl Settings {
    fn load() -> Result<Self, PluginError> {
        config::all()
    }

    fn url(&self) -> Result<String, PluginError> {
        match (&self.webhook_url, &self.webhook_url_secret) {
            (Some(url), _) => Ok(url.clone()),
            (None, Some(secret)) => secrets::get(secret),
            (None, None) => Err(PluginError::invalid_input(
                "set `webhookUrl` (or `webhookUrlSecret`) in this notifier's settings",
            )),
        }
    }
}

fn emoji(priority: Priority) -> &'static str {
    match priority {
        Priority::Urgent => ":rotating_light:",
        Priority::Action => ":point_right:",
        Priority::Warning => ":warning:",
        Priority::Info => ":information_source:",
    }
}

/// Slack's mrkdwn treats `&`, `<` and `>` as markup; agent text must not be able to forge links.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn blocks(event: &Event, actions: &[Action]) -> Vec<Value> {
    let mut blocks = vec![
        json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": format!("{} *{}*\n{}", emoji(event.priority), escape(&event.kind), escape(&event.message)) }
        }),
        json!({
            "type": "context",
            "elements": [{ "type": "mrkdwn", "text": format!("session `{}` · project `{}` · {}", escape(&event.session_id), escape(&event.project_id), event.priority.as_str()) }]
        }),
    ];
    let mut buttons = Vec::new();
    if let Some(url) = &event.pr_url {
        buttons.push(json!({ "type": "button", "text": { "type": "plain_text", "text": "Open PR" }, "url": url }));
    }
    if let Some(url) = &event.session_url {
        buttons.push(json!({ "type": "button", "text": { "type": "plain_text", "text": "Open session" }, "url": url }));
    }
    for action in actions {
        if let Some(url) = &action.url {
            buttons.push(json!({ "type": "button", "text": { "type": "plain_text", "text": action.label }, "url": url }));
        }
    }
    if !buttons.is_empty() {
        blocks.push(json!({ "type": "actions", "elements": buttons }));
    }
    blocks
}

fn send(settings: &Settings, mut payload: Value) -> Result<(), PluginError> {
    if let Some(channel) = &settings.channel {
        payload["channel"] = json!(channel);
    }
    if let Some(username) = &settings.username {
        payload["username"] = json!(username);
    }
    let policy = RetryPolicy {
        retries: settings.retries,
        base_delay_ms: settings.retry_delay_ms,
        ..RetryPolicy::default()
    };
    http::post(&settings.url()?)
        .json(&payload)?
        .send_with_retry(policy)
        .map(|_| ())
}

impl Plugin for Slack {
    fn manifest() -> Manifest {
        Manifest::new(
            "slack",
            env!("CARGO_PKG_VERSION"),
            "Posts Block Kit messages to a Slack incoming webhook",
        )
        .roles([Role::Notifier])
        .capabilities(
            Capabilities::default()
                .http_hosts(["hooks.slack.com", "*"])
                .secrets(["*"]),
        )
    }
}

impl Notifier for Slack {
    fn notify(event: Event) -> Result<(), PluginError> {
        Self::notify_with_actions(event, Vec::new())
    }

    fn notify_with_actions(event: Event, actions: Vec<Action>) -> Result<(), PluginError> {
        let settings = Settings::load()?;
        let text = format!("{} {}", event.title(), event.message);
        send(
            &settings,
            json!({ "text": text, "blocks": blocks(&event, &actions) }),
        )
    }

    fn post(message: String, context: MessageContext) -> Result<Option<String>, PluginError> {
        let mut settings = Settings::load()?;
        if context.channel.is_some() {
            settings.channel = context.channel.clone();
        }
        let mut text = escape(&message);
        if let Some(url) = &context.pr_url {
            text.push_str(&format!("\n<{url}|Pull request>"));
        }
        send(&settings, json!({ "text": text }))?;
        Ok(None)
    }
}

export!(Slack: notifier);
