//! `desktop`: a desktop notification through `notify-send` (Linux) or
//! `osascript` (macOS), run by the host's process capability.
//!
//! ```yaml
//! notifiers:
//!   desktop:
//!     plugin: desktop
//!     sound: true        # macOS: play a sound for urgent events (default true)
//! ```

use ao_plugin_sdk::*;
use serde::Deserialize;

struct Desktop;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    #[serde(default = "yes")]
    sound: bool,
}

fn yes() -> bool {
    true
}

fn urgency(priority: Priority) -> &'static str {
    match priority {
        Priority::Urgent => "critical",
        Priority::Action | Priority::Warning => "normal",
        Priority::Info => "low",
    }
}

/// An AppleScript string literal: quotes and backslashes escaped.
fn applescript_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn show(title: &str, body: &str, priority: Priority) -> Result<(), PluginError> {
    let settings: Settings = config::all()?;
    let linux = process::run(
        "notify-send",
        &["--app-name=ao", "-u", urgency(priority), "--", title, body],
    );
    let output = match linux {
        // Not on PATH (or not granted): try macOS.
        Err(PluginError::NotFound(_)) | Err(PluginError::Denied(_)) => {
            let mut script = format!(
                "display notification {} with title {}",
                applescript_string(body),
                applescript_string(title)
            );
            if settings.sound && priority == Priority::Urgent {
                script.push_str(" sound name \"Ping\"");
            }
            process::run("osascript", &["-e", &script])?
        }
        other => other?,
    };
    if output.status != 0 {
        return Err(PluginError::other(format!(
            "notification program exited with {}: {}",
            output.status,
            output.stderr.trim()
        )));
    }
    Ok(())
}

impl Plugin for Desktop {
    fn manifest() -> Manifest {
        Manifest::new(
            "desktop",
            env!("CARGO_PKG_VERSION"),
            "Desktop notifications via notify-send or osascript",
        )
        .roles([Role::Notifier])
        .capabilities(Capabilities::default().programs(["notify-send", "osascript"]))
    }
}

impl Notifier for Desktop {
    fn notify(event: Event) -> Result<(), PluginError> {
        let title = format!("ao · {} · {}", event.session_id, event.kind);
        show(&title, &event.message, event.priority)
    }

    fn post(message: String, context: MessageContext) -> Result<Option<String>, PluginError> {
        let title = match &context.session_id {
            Some(id) => format!("ao · {id}"),
            None => "ao".to_string(),
        };
        show(&title, &message, Priority::Info)?;
        Ok(None)
    }
}

export!(Desktop: notifier);
