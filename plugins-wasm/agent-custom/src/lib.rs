//! `custom`: any coding CLI, described in the project's `agentConfig`.
//!
//! ```yaml
//! projects:
//!   web:
//!     agent: custom
//!     agentConfig:
//!       command: [my-agent, --auto]      # required
//!       promptArg: --message             # pass the prompt inline after this flag;
//!                                        # without it the prompt is typed after launch
//!       processName: my-agent            # default: the command's program
//!       env: { MY_AGENT_QUIET: "1" }
//!       waitingPatterns: ["(y/n)", "Press Enter"]
//!       readyPatterns: ["> $"]
//!       activePatterns: ["Thinking", "Running"]
//!       blockedPatterns: ["Error:"]
//! ```
//!
//! Terminal classification looks at the last non-empty lines only, so old
//! output does not decide the current state.

use ao_plugin_sdk::*;
use serde::Deserialize;
use std::collections::BTreeMap;

struct Custom;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Settings {
    #[serde(default)]
    command: Vec<String>,
    prompt_arg: Option<String>,
    process_name: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    waiting_patterns: Vec<String>,
    #[serde(default)]
    ready_patterns: Vec<String>,
    #[serde(default)]
    active_patterns: Vec<String>,
    #[serde(default)]
    blocked_patterns: Vec<String>,
}

fn settings_from(agent_config: &str) -> Result<Settings, PluginError> {
    let s: Settings = serde_json::from_str(agent_config)
        .map_err(|e| PluginError::invalid_input(format!("agentConfig: {e}")))?;
    if s.command.is_empty() {
        return Err(PluginError::invalid_input(
            "agentConfig.command is required for the custom agent, e.g. `command: [my-agent, --auto]`",
        ));
    }
    Ok(s)
}

/// A pattern ending in `$` must match the end of the line; others match anywhere.
fn line_matches(line: &str, pattern: &str) -> bool {
    match pattern.strip_suffix('$') {
        Some(end) => line.trim_end().ends_with(end.trim_end()),
        None => line.contains(pattern),
    }
}

/// Classifies the last lines of a screen with the given patterns.
fn classify(text: &str, s: &Settings) -> Option<ActivityReport> {
    let tail = terminal::last_lines(text, 5);
    let last = *tail.first()?;
    let any = |patterns: &[String], lines: &[&str]| {
        patterns
            .iter()
            .find(|p| lines.iter().any(|l| line_matches(l, p)))
            .cloned()
    };
    let report = |state, detail: Option<String>| {
        Some(ActivityReport {
            state,
            since: None,
            detail,
        })
    };
    if let Some(p) = any(&s.waiting_patterns, &tail) {
        return report(Activity::WaitingInput, Some(format!("matched `{p}`")));
    }
    if let Some(p) = any(&s.blocked_patterns, &tail) {
        return report(Activity::Blocked, Some(format!("matched `{p}`")));
    }
    if any(&s.ready_patterns, &[last]).is_some() {
        return report(Activity::Ready, None);
    }
    if any(&s.active_patterns, &tail).is_some() {
        return report(Activity::Active, None);
    }
    None
}

impl Plugin for Custom {
    fn manifest() -> Manifest {
        Manifest::new(
            "custom",
            env!("CARGO_PKG_VERSION"),
            "Any coding CLI, described in agentConfig",
        )
        .roles([Role::Agent])
        // Whatever keys the user grants it, passed to the program.
        .capabilities(Capabilities::default().secrets(["*"]))
    }
}

impl Agent for Custom {
    fn process_name() -> String {
        // Known only per project; the host falls back to the command's program.
        String::new()
    }

    fn prompt_delivery() -> PromptDelivery {
        // The host gives each project's instance its agentConfig as settings.
        match config::all::<Settings>() {
            Ok(s) if s.prompt_arg.is_some() => PromptDelivery::Inline,
            _ => PromptDelivery::PostLaunch,
        }
    }

    fn launch_command(config: LaunchConfig) -> Result<CommandSpec, PluginError> {
        let s = settings_from(&config.agent_config)?;
        let mut argv = s.command.clone();
        if let (Some(flag), Some(prompt)) = (&s.prompt_arg, &config.prompt) {
            argv.push(flag.clone());
            argv.push(prompt.clone());
        }
        Ok(CommandSpec {
            argv,
            env: s.env.into_iter().collect(),
        })
    }

    fn activity_from_terminal(text: String) -> Option<ActivityReport> {
        // The host gives each project's instance its agentConfig as settings.
        let mut s: Settings = config::all().unwrap_or_default();
        if s.waiting_patterns.is_empty() {
            s.waiting_patterns = vec![
                "(y/n)".into(),
                "[y/N]".into(),
                "[Y/n]".into(),
                "Press Enter".into(),
            ];
        }
        classify(&text, &s)
    }

    fn environment(config: LaunchConfig) -> Result<Vec<(String, String)>, PluginError> {
        let s = settings_from(&config.agent_config)?;
        let name = s
            .process_name
            .or_else(|| s.command.first().cloned())
            .unwrap_or_default();
        Ok(vec![("AO_AGENT_PROCESS".into(), name)])
    }
}

export!(Custom: agent);
