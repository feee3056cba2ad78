//! `codex`: OpenAI's Codex CLI.
//!
//! - Launch: `codex -c check_for_update_on_startup=false -c 'projects={"<workspace>"={trust_level="trusted"}}'
//!   <approval flags> [-m MODEL] -- "<prompt>"` (the task is given inline; the
//!   workspace is trusted up front, so Codex never stops at its trust dialog).
//! - Transcript: `~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`, one JSON event per line
//!   (`session_meta`, `response_item`, `event_msg`); read for activity, cost and the
//!   session id that `codex resume <id>` continues. Every session of the day
//!   writes into the same directory: a file is this session's only when its
//!   `session_meta` names this workspace as its `cwd` (the host offers the
//!   day's newest files and keeps the one this plugin claims).

mod screen;

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
        // Codex 0.171 refuses `untrusted`: `on-request` asks before commands.
        PermissionMode::Suggest | PermissionMode::Default => {
            vec!["--ask-for-approval".into(), "on-request".into()]
        }
    }
}

/// A TOML basic string (the `-c` values are TOML).
fn toml_string(text: &str) -> String {
    let mut out = String::from('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn base_argv(config: &LaunchConfig) -> Vec<String> {
    let mut argv = vec![
        "codex".to_string(),
        // Without it Codex serves every session from one shared background
        // daemon, and `/exit` leaves the turn running there.
        "--no-daemon".into(),
        "-c".into(),
        "check_for_update_on_startup=false".into(),
        // The inline-table form: Codex does not split a dotted key at the
        // path's own dots and slashes.
        "-c".into(),
        format!(
            "projects={{{}={{trust_level=\"trusted\"}}}}",
            toml_string(&config.workspace_path)
        ),
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

/// Whether a transcript tail is this session's: its `session_meta` names
/// this workspace. A tail without one (a long file, read from its end) is
/// only trusted once the host has settled on the file (the agent session id
/// is known then).
fn is_this_session(events: &[Value], context: &SessionContext) -> bool {
    let cwd = events.iter().find_map(|e| {
        (kind(e).0 == "session_meta")
            .then(|| e.pointer("/payload/cwd")?.as_str())
            .flatten()
    });
    match cwd {
        Some(cwd) => same_path(cwd, &context.workspace_path),
        None => context.agent_session_id.is_some(),
    }
}

fn same_path(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// The person's words in a user message: `user_message` events, or (Codex
/// 0.169 and later, which write none) the user's `message` items, leaving
/// out the context Codex adds itself (`<environment_context>`, instructions).
fn user_text(e: &Value) -> Option<String> {
    match kind(e) {
        ("event_msg", "user_message") => e
            .pointer("/payload/message")
            .and_then(Value::as_str)
            .map(str::to_string),
        ("event_msg", "item_completed")
            if e.pointer("/payload/item/type").and_then(Value::as_str) == Some("UserMessage") =>
        {
            e.pointer("/payload/item/content")?
                .as_array()?
                .iter()
                .find_map(|c| c.get("text").and_then(Value::as_str))
                .map(str::to_string)
        }
        ("response_item", "message")
            if e.pointer("/payload/role").and_then(Value::as_str) == Some("user") =>
        {
            e.pointer("/payload/content")?
                .as_array()?
                .iter()
                .filter_map(|c| c.get("text").and_then(Value::as_str))
                .find(|t| !t.trim_start().starts_with('<') && !t.trim().is_empty())
                .map(str::to_string)
        }
        _ => None,
    }
}

impl Plugin for Codex {
    fn manifest() -> Manifest {
        Manifest::new("codex", env!("CARGO_PKG_VERSION"), "OpenAI Codex CLI")
            .roles([Role::Agent])
            // Its rollout transcripts, which the host reads for it (read-only).
            .capabilities(
                Capabilities::default()
                    .read_dirs(["~/.codex/sessions"])
                    // Its own keys, passed to the codex program when granted.
                    .secrets(["OPENAI_*", "CODEX_*"]),
            )
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
        // Codex names the day's directory in local time, which the plugin
        // does not know: the UTC day and its neighbours cover every zone
        // (the host only offers files written since the session began).
        const DAY_MS: i64 = 86_400_000;
        [0, -DAY_MS, DAY_MS]
            .iter()
            .map(|offset| {
                format!(
                    "{}/.codex/sessions/{}",
                    context.home_dir,
                    date_path(context.started_at + offset)
                )
            })
            .collect()
    }

    fn activity_from_transcript(context: SessionContext, tail: String) -> Option<ActivityReport> {
        let events = events(&tail);
        if !is_this_session(&events, &context) {
            return None;
        }
        let last = events
            .into_iter()
            .rev()
            .find(|e| !matches!(kind(e), ("event_msg", "token_count")))?;
        let state = match kind(&last) {
            ("event_msg", "task_complete") | ("event_msg", "agent_message") => Activity::Ready,
            ("event_msg", "turn_aborted") => Activity::Ready,
            ("event_msg", "exec_approval_request")
            | ("event_msg", "apply_patch_approval_request") => Activity::WaitingInput,
            ("event_msg", "error") | ("event_msg", "stream_error") => Activity::Blocked,
            _ => Activity::Active,
        };
        Some(ActivityReport::of(state))
    }

    fn session_info(
        context: SessionContext,
        transcript_tail: String,
    ) -> Result<Option<SessionInfo>, PluginError> {
        let events = events(&transcript_tail);
        if events.is_empty() || !is_this_session(&events, &context) {
            return Ok(None);
        }
        let id = events
            .iter()
            .find_map(|e| {
                (kind(e).0 == "session_meta")
                    .then(|| e.pointer("/payload/id")?.as_str())
                    .flatten()
            })
            .map(str::to_string)
            .or(context.agent_session_id);
        let first_prompt = events.iter().find_map(user_text);
        let usage = events
            .iter()
            .rev()
            .find_map(|e| e.pointer("/payload/info/total_token_usage"));
        let cost = usage.map(|u| {
            let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
            let (input, cached, output) = (
                n("input_tokens"),
                n("cached_input_tokens"),
                n("output_tokens"),
            );
            let fresh = input.saturating_sub(cached);
            Cost {
                input_tokens: input.min(u32::MAX as u64) as u32,
                output_tokens: output.min(u32::MAX as u64) as u32,
                estimated_cost_usd: (fresh as f64 + cached as f64 * 0.1) / 1e6 * 1.25
                    + output as f64 / 1e6 * 10.0,
            }
        });
        Ok(Some(SessionInfo {
            summary: first_prompt.map(|p| p.chars().take(120).collect()),
            summary_is_fallback: true,
            agent_session_id: id,
            cost,
        }))
    }

    fn activity_from_terminal(text: String) -> Option<ActivityReport> {
        screen::activity(&text)
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

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../../tests/fixtures/codex/rollout.jsonl");

    fn context(workspace: &str, agent_session: Option<&str>) -> SessionContext {
        SessionContext {
            session_id: "web-2".into(),
            workspace_path: workspace.into(),
            agent_session_id: agent_session.map(str::to_string),
            started_at: 0,
            home_dir: "/h".into(),
        }
    }

    #[test]
    fn another_workspaces_rollout_is_not_this_sessions() {
        let mine = Codex::session_info(context("/work/web-2", None), FIXTURE.into())
            .unwrap()
            .unwrap();
        assert_eq!(
            mine.agent_session_id.as_deref(),
            Some("0199b5c2-7f3e-7a41-9d2e-5b8c1f0a3e77")
        );
        assert_eq!(mine.summary.as_deref(), Some("Add a health check endpoint"));
        assert!(
            Codex::session_info(context("/work/web-3", None), FIXTURE.into())
                .unwrap()
                .is_none()
        );
        assert!(
            Codex::activity_from_transcript(context("/work/web-3", None), FIXTURE.into()).is_none()
        );
        // The end of a long file (no session_meta): trusted only once pinned.
        let end: String = FIXTURE.lines().skip(3).map(|l| format!("{l}\n")).collect();
        assert!(
            Codex::activity_from_transcript(context("/work/web-2", None), end.clone()).is_none()
        );
        let pinned = context("/work/web-2", Some("0199b5c2"));
        assert_eq!(
            Codex::activity_from_transcript(pinned, end).unwrap().state,
            Activity::Ready
        );
    }

    #[test]
    fn the_workspace_is_trusted_in_toml() {
        let config = LaunchConfig {
            session_id: "web-1".into(),
            project: Project {
                id: "web".into(),
                repo: None,
                path: "/r".into(),
                default_branch: "main".into(),
            },
            workspace_path: "/data/wt/web \"1\"".into(),
            issue_id: None,
            prompt: Some("do it".into()),
            permissions: PermissionMode::Permissionless,
            model: None,
            system_prompt: None,
            system_prompt_file: None,
            agent_config: "{}".into(),
        };
        let argv = Codex::launch_command(config).unwrap().argv;
        assert!(
            argv.contains(
                &r#"projects={"/data/wt/web \"1\""={trust_level="trusted"}}"#.to_string()
            )
        );
        assert_eq!(
            argv[argv.len() - 2..],
            ["--".to_string(), "do it".to_string()]
        );
    }
}
