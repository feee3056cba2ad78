//! `codex`: OpenAI's Codex CLI.
//!
//! - Launch: `codex -c check_for_update_on_startup=false <approval flags> [-m MODEL] -- "<prompt>"`
//!   (the task is given inline).
//! - Transcript: `~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`, one JSON event per line
//!   (`session_meta`, `response_item`, `event_msg`); read for activity, cost and the
//!   session id that `codex resume <id>` continues.

use ao_plugin_sdk::*;
use serde_json::Value;

struct Codex;

fn approval_flags(mode: PermissionMode) -> Vec<String> {
    match mode {
        PermissionMode::Permissionless => vec!["--dangerously-bypass-approvals-and-sandbox".into()],
        PermissionMode::AutoEdit => vec![
            "--ask-for-approval".into(),
            "never".into(),
            "--sandbox".into(),
            "workspace-write".into(),
        ],
        PermissionMode::Suggest | PermissionMode::Default => {
            vec!["--ask-for-approval".into(), "untrusted".into()]
        }
    }
}

fn base_argv(config: &LaunchConfig) -> Vec<String> {
    let mut argv = vec![
        "codex".to_string(),
        "-c".into(),
        "check_for_update_on_startup=false".into(),
    ];
    argv.extend(approval_flags(config.permissions));
    if let Some(model) = &config.model {
        argv.extend(["-m".into(), model.clone()]);
    }
    if let Some(file) = &config.system_prompt_file {
        argv.extend(["-c".into(), format!("model_instructions_file={file}")]);
    }
    argv
}

/// `YYYY/MM/DD` (UTC) of a millisecond timestamp.
fn date_path(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}/{m:02}/{d:02}")
}

fn events(tail: &str) -> Vec<Value> {
    tail.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn kind(e: &Value) -> (&str, &str) {
    let outer = e.get("type").and_then(Value::as_str).unwrap_or("");
    let inner = e
        .pointer("/payload/type")
        .and_then(Value::as_str)
        .unwrap_or("");
    (outer, inner)
}

impl Plugin for Codex {
    fn manifest() -> Manifest {
        Manifest::new("codex", env!("CARGO_PKG_VERSION"), "OpenAI Codex CLI")
            .roles([Role::Agent])
            // Its rollout transcripts, which the host reads for it (read-only).
            .capabilities(Capabilities::default().read_dirs(["~/.codex/sessions"]))
    }
}

impl Agent for Codex {
    fn process_name() -> String {
        "codex".into()
    }

    fn prompt_delivery() -> PromptDelivery {
        PromptDelivery::Inline
    }

    fn launch_command(config: LaunchConfig) -> Result<CommandSpec, PluginError> {
        let mut argv = base_argv(&config);
        if let Some(prompt) = &config.prompt {
            argv.extend(["--".into(), prompt.clone()]);
        }
        Ok(CommandSpec {
            argv,
            env: vec![("CODEX_DISABLE_UPDATE_CHECK".into(), "1".into())],
        })
    }

    fn transcript_paths(context: SessionContext) -> Vec<String> {
        vec![format!(
            "{}/.codex/sessions/{}",
            context.home_dir,
            date_path(context.started_at)
        )]
    }

    fn activity_from_transcript(_context: SessionContext, tail: String) -> Option<ActivityReport> {
        let last = events(&tail)
            .into_iter()
            .rev()
            .find(|e| !matches!(kind(e), ("event_msg", "token_count")))?;
        let state = match kind(&last) {
            ("event_msg", "task_complete") | ("event_msg", "agent_message") => Activity::Ready,
            ("event_msg", "exec_approval_request")
            | ("event_msg", "apply_patch_approval_request") => Activity::WaitingInput,
            ("event_msg", "error") | ("event_msg", "stream_error") => Activity::Blocked,
            _ => Activity::Active,
        };
        Some(ActivityReport::of(state))
    }

    fn session_info(
        _context: SessionContext,
        transcript_tail: String,
    ) -> Result<Option<SessionInfo>, PluginError> {
        let events = events(&transcript_tail);
        if events.is_empty() {
            return Ok(None);
        }
        let id = events.iter().find_map(|e| {
            (kind(e).0 == "session_meta")
                .then(|| e.pointer("/payload/id")?.as_str())
                .flatten()
        });
        let first_prompt = events.iter().find_map(|e| {
            (kind(e) == ("event_msg", "user_message"))
                .then(|| e.pointer("/payload/message")?.as_str())
                .flatten()
        });
        let usage = events
            .iter()
            .rev()
            .find_map(|e| e.pointer("/payload/info/total_token_usage"));
        let cost = usage.map(|u| {
            let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
            let (input, output) = (n("input_tokens"), n("output_tokens"));
            Cost {
                input_tokens: input.min(u32::MAX as u64) as u32,
                output_tokens: output.min(u32::MAX as u64) as u32,
                estimated_cost_usd: input as f64 / 1e6 * 1.25 + output as f64 / 1e6 * 10.0,
            }
        });
        Ok(Some(SessionInfo {
            summary: first_prompt.map(|p| p.chars().take(120).collect()),
            summary_is_fallback: true,
            agent_session_id: id.map(str::to_string),
            cost,
        }))
    }

    fn activity_from_terminal(text: String) -> Option<ActivityReport> {
        let tail = terminal::last_lines(&text, 10);
        let has = |needles: &[&str]| terminal::any_contains(&tail, needles);
        let state = if has(&["Allow command?", "[y/N]", "Approve"]) {
            Activity::WaitingInput
        } else if has(&["esc to interrupt", "Working"]) {
            Activity::Active
        } else if tail
            .first()
            .is_some_and(|l| l.trim_start().starts_with('▌') || l.trim_start().starts_with('›'))
        {
            Activity::Ready
        } else {
            return None;
        };
        Some(ActivityReport::of(state))
    }

    fn restore_command(
        context: SessionContext,
        config: LaunchConfig,
    ) -> Result<Option<CommandSpec>, PluginError> {
        let Some(id) = context.agent_session_id else {
            return Ok(None);
        };
        let mut argv = base_argv(&config);
        argv.extend(["resume".into(), id]);
        Ok(Some(CommandSpec {
            argv,
            env: vec![("CODEX_DISABLE_UPDATE_CHECK".into(), "1".into())],
        }))
    }
}

export!(Codex: agent);
