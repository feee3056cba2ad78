//! `claude-code`: Anthropic's Claude Code CLI.
//!
//! - Launch: `claude [--dangerously-skip-permissions | --permission-mode M] [--model M]
//!   [--append-system-prompt TEXT]`; the task is typed in after launch.
//! - Hooks: `.claude/settings.local.json` makes Claude Code report its state to ao
//!   (`ao report`) on every prompt, tool use, notification and stop: the most
//!   reliable activity source.
//! - Transcript: `~/.claude/projects/<workspace path with / and . as ->/*.jsonl`,
//!   one JSON object per line; read for activity, summary, cost and the session
//!   id used to resume (`claude --resume <id>`).
//! - Terminal text is the last resort.

use ao_plugin_sdk::*;
use serde_json::{Value, json};

struct ClaudeCode;

/// USD per million tokens (input, output), an estimate for the default model.
const PRICE_PER_MTOK: (f64, f64) = (3.0, 15.0);

fn encoded_project_dir(workspace: &str) -> String {
    workspace
        .chars()
        .map(|c| if c == '/' || c == '.' { '-' } else { c })
        .collect()
}

fn base_argv(config: &LaunchConfig) -> Vec<String> {
    let mut argv = vec!["claude".to_string()];
    match config.permissions {
        PermissionMode::Permissionless => argv.push("--dangerously-skip-permissions".into()),
        PermissionMode::AutoEdit => argv.extend(["--permission-mode".into(), "acceptEdits".into()]),
        PermissionMode::Suggest => argv.extend(["--permission-mode".into(), "plan".into()]),
        PermissionMode::Default => {}
    }
    if let Some(model) = &config.model {
        argv.extend(["--model".into(), model.clone()]);
    }
    if let Some(system) = &config.system_prompt {
        argv.extend(["--append-system-prompt".into(), system.clone()]);
    }
    argv
}

/// The parsed lines of a transcript tail (broken lines are skipped: the tail
/// may start mid-line).
fn entries(tail: &str) -> Vec<Value> {
    tail.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect()
}

fn timestamp_ms(entry: &Value) -> Option<i64> {
    // RFC 3339 like 2026-11-27T04:12:33.123Z → milliseconds, without a date library.
    let ts = entry.get("timestamp")?.as_str()?;
    let (date, time) = ts.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.trim_end_matches('Z');
    let mut t = time.split(':');
    let (h, min) = (
        t.next()?.parse::<i64>().ok()?,
        t.next()?.parse::<i64>().ok()?,
    );
    let sec: f64 = t.next()?.parse().ok()?;
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + h * 3600 + min * 60) as f64 * 1000.0 + sec * 1000.0) as i64)
}

fn report(state: Activity, since: Option<i64>, detail: Option<String>) -> Option<ActivityReport> {
    Some(ActivityReport {
        state,
        since,
        detail,
    })
}

impl Plugin for ClaudeCode {
    fn manifest() -> Manifest {
        Manifest::new(
            "claude-code",
            env!("CARGO_PKG_VERSION"),
            "Claude Code (Anthropic's coding CLI)",
        )
        .roles([Role::Agent])
        // Its transcripts, which the host reads for it (read-only).
        .capabilities(Capabilities::default().read_dirs(["~/.claude/projects"]))
    }
}

impl Agent for ClaudeCode {
    fn process_name() -> String {
        "claude".into()
    }

    fn prompt_delivery() -> PromptDelivery {
        PromptDelivery::PostLaunch
    }

    fn launch_command(config: LaunchConfig) -> Result<CommandSpec, PluginError> {
        Ok(CommandSpec {
            argv: base_argv(&config),
            env: Vec::new(),
        })
    }

    fn environment(_config: LaunchConfig) -> Result<Vec<(String, String)>, PluginError> {
        // Claude Code refuses to start inside another Claude Code session.
        Ok(vec![("CLAUDECODE".into(), String::new())])
    }

    fn workspace_hooks(context: SessionContext) -> Result<Vec<HookFile>, PluginError> {
        let report = |state: &str| json!([{ "hooks": [{ "type": "command", "command": format!("\"${{AO_BIN:-ao}}\" report --session {} {state} --from-hook", context.session_id) }] }]);
        let settings = json!({
            "hooks": {
                "UserPromptSubmit": report("working"),
                "PreToolUse": report("working"),
                "Notification": report("needs-input"),
                "Stop": report("ready"),
                "SessionEnd": report("exited"),
            }
        });
        Ok(vec![HookFile {
            path: ".claude/settings.local.json".into(),
            content: serde_json::to_string_pretty(&settings)
                .map_err(|e| PluginError::other(e.to_string()))?,
            executable: false,
        }])
    }

    fn activity_from_hook_event(_context: SessionContext, event: String) -> Option<ActivityReport> {
        let v: Value = serde_json::from_str(&event).ok()?;
        let name = v
            .get("hook_event_name")
            .or_else(|| v.get("event"))
            .and_then(Value::as_str)?;
        match name {
            "UserPromptSubmit" | "PreToolUse" | "PostToolUse" => {
                report(Activity::Active, None, None)
            }
            "Notification" => report(
                Activity::WaitingInput,
                None,
                v.get("message").and_then(Value::as_str).map(str::to_string),
            ),
            "Stop" | "SubagentStop" => report(Activity::Ready, None, None),
            "SessionEnd" => report(Activity::Exited, None, None),
            _ => None,
        }
    }

    fn transcript_paths(context: SessionContext) -> Vec<String> {
        vec![format!(
            "{}/.claude/projects/{}",
            context.home_dir,
            encoded_project_dir(&context.workspace_path)
        )]
    }

    fn activity_from_transcript(_context: SessionContext, tail: String) -> Option<ActivityReport> {
        let last = entries(&tail).into_iter().rev().find(|e| {
            matches!(
                e.get("type").and_then(Value::as_str),
                Some("user" | "assistant")
            )
        })?;
        let since = timestamp_ms(&last);
        let message = last.get("message")?;
        match last.get("type").and_then(Value::as_str)? {
            "assistant" => match message.get("stop_reason").and_then(Value::as_str) {
                Some("end_turn") | Some("stop_sequence") => report(Activity::Ready, since, None),
                // tool_use, or still streaming (no stop reason yet)
                _ => report(Activity::Active, since, None),
            },
            // A prompt or a tool result: the agent is working on it.
            _ => report(Activity::Active, since, None),
        }
    }

    fn session_info(
        _context: SessionContext,
        transcript_tail: String,
    ) -> Result<Option<SessionInfo>, PluginError> {
        let entries = entries(&transcript_tail);
        if entries.is_empty() {
            return Ok(None);
        }
        let session_id = entries
            .iter()
            .rev()
            .find_map(|e| e.get("sessionId").and_then(Value::as_str))
            .map(str::to_string);
        let summary = entries.iter().rev().find_map(|e| {
            (e.get("type")?.as_str()? == "summary")
                .then(|| e.get("summary")?.as_str())
                .flatten()
        });
        let first_prompt = entries.iter().find_map(|e| {
            if e.get("type")?.as_str()? != "user" {
                return None;
            }
            e.pointer("/message/content")
                .and_then(Value::as_str)
                .map(|s| s.chars().take(120).collect::<String>())
        });
        let (mut input, mut output) = (0u64, 0u64);
        for e in &entries {
            if let Some(usage) = e.pointer("/message/usage") {
                let n = |k: &str| usage.get(k).and_then(Value::as_u64).unwrap_or(0);
                input += n("input_tokens")
                    + n("cache_creation_input_tokens")
                    + n("cache_read_input_tokens");
                output += n("output_tokens");
            }
        }
        let cost = (input + output > 0).then(|| Cost {
            input_tokens: input.min(u32::MAX as u64) as u32,
            output_tokens: output.min(u32::MAX as u64) as u32,
            estimated_cost_usd: input as f64 / 1e6 * PRICE_PER_MTOK.0
                + output as f64 / 1e6 * PRICE_PER_MTOK.1,
        });
        Ok(Some(SessionInfo {
            summary_is_fallback: summary.is_none() && first_prompt.is_some(),
            summary: summary.map(str::to_string).or(first_prompt),
            agent_session_id: session_id,
            cost,
        }))
    }

    fn activity_from_terminal(text: String) -> Option<ActivityReport> {
        let tail = terminal::last_lines(&text, 12);
        if terminal::any_contains(&tail, &["Do you want to", "❯ 1. Yes", "(y/n)"]) {
            return Some(ActivityReport::with_detail(
                Activity::WaitingInput,
                "asks for permission",
            ));
        }
        if terminal::any_contains(&tail, &["esc to interrupt"]) {
            return Some(ActivityReport::of(Activity::Active));
        }
        if tail
            .first()
            .is_some_and(|l| l.trim_start().starts_with('>') || l.contains("? for shortcuts"))
        {
            return Some(ActivityReport::of(Activity::Ready));
        }
        None
    }

    fn restore_command(
        context: SessionContext,
        config: LaunchConfig,
    ) -> Result<Option<CommandSpec>, PluginError> {
        let Some(id) = context.agent_session_id else {
            return Ok(None);
        };
        let mut argv = base_argv(&config);
        argv.extend(["--resume".into(), id]);
        Ok(Some(CommandSpec {
            argv,
            env: Vec::new(),
        }))
    }
}

export!(ClaudeCode: agent);
