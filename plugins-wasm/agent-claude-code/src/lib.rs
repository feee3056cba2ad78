//! `claude-code`: Anthropic's Claude Code CLI.
//!
//! - Launch: `claude [--dangerously-skip-permissions | --permission-mode M]
//!   [--model M] [--append-system-prompt TEXT] --session-id <uuid> -- "<task>"`.
//!   The task goes on the command line: Claude Code holds it through its own
//!   start-up and dialogs, so nothing is ever typed into a dialog.
//! - Session id: chosen by ao ([`ids::for_session`]), so the transcript is
//!   `~/.claude/projects/<dir>/<uuid>.jsonl` from the first moment, never a
//!   neighbour's; `--resume <uuid>` continues it after a crash.
//! - Hooks: `.claude/settings.local.json` makes Claude Code report its state
//!   to ao (`ao report`): a prompt or tool use is work, `Stop` is ready, a
//!   `permission_prompt` or `elicitation_dialog` notification needs a person,
//!   and the `idle_prompt` reminder (sent a minute after a turn ends) is only
//!   "ready" again. The host keeps the file out of git.
//! - Transcript: read for activity, title, cost and the session id.
//! - Terminal text is the last resort.

mod ids;
mod screen;
mod transcript;

use ao_plugin_sdk::*;
use serde_json::{Value, json};

struct ClaudeCode;

fn base_argv(config: &LaunchConfig) -> Vec<String> {
    let mut argv = vec!["claude".to_string()];
    match config.permissions {
        PermissionMode::Permissionless => argv.push("--dangerously-skip-permissions".into()),
        PermissionMode::AutoEdit => argv.extend(["--permission-mode".into(), "acceptEdits".into()]),
        PermissionMode::Suggest => argv.extend(["--permission-mode".into(), "plan".into()]),
        // Without a flag Claude Code 2.1 starts in `auto` mode, where a
        // classifier answers instead of a person.
        PermissionMode::Default => argv.extend(["--permission-mode".into(), "default".into()]),
    }
    if let Some(model) = &config.model {
        argv.extend(["--model".into(), model.clone()]);
    }
    if let Some(system) = &config.system_prompt {
        argv.extend(["--append-system-prompt".into(), system.clone()]);
    }
    argv
}

fn report(state: Activity, detail: Option<String>) -> Option<ActivityReport> {
    Some(ActivityReport {
        state,
        since: None,
        detail,
    })
}

/// The hook settings: each event runs `ao report` with the state it means.
fn hook_settings(session_id: &str) -> Value {
    let command = |state: &str| {
        format!("\"${{AO_BIN:-ao}}\" report --session {session_id} {state} --from-hook")
    };
    let on = |matcher: Option<&str>, state: &str| {
        let mut group = json!({ "hooks": [{ "type": "command", "command": command(state) }] });
        if let Some(matcher) = matcher {
            group["matcher"] = json!(matcher);
        }
        group
    };
    json!({
        // `permissions: bypass` is the user's consent, given in ao's config:
        // Claude Code's own warning dialog (default "No, exit") is skipped.
        "skipDangerousModePermissionPrompt": true,
        "hooks": {
            "UserPromptSubmit": [on(None, "working")],
            "PreToolUse": [on(None, "working")],
            "PostToolUse": [on(None, "working")],
            // Fires as the permission dialog opens (the notification comes
            // seconds later).
            "PermissionRequest": [on(None, "needs-input")],
            "Notification": [
                on(Some("permission_prompt|elicitation_dialog"), "needs-input"),
                on(Some("idle_prompt"), "ready"),
            ],
            "Stop": [on(None, "ready")],
            "SessionEnd": [on(None, "exited")],
        }
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
        .capabilities(
            Capabilities::default()
                .read_dirs(["~/.claude/projects"])
                // Its own keys, passed to the claude program when granted.
                .secrets(["ANTHROPIC_*", "CLAUDE_*", "IS_SANDBOX", "DISABLE_*"]),
        )
    }
}

impl Agent for ClaudeCode {
    fn process_name() -> String {
        "claude".into()
    }

    fn prompt_delivery() -> PromptDelivery {
        PromptDelivery::Inline
    }

    fn launch_command(config: LaunchConfig) -> Result<CommandSpec, PluginError> {
        let mut argv = base_argv(&config);
        argv.extend([
            "--session-id".into(),
            ids::for_session(&config.workspace_path, &config.session_id),
        ]);
        if let Some(prompt) = &config.prompt {
            argv.extend(["--".into(), prompt.clone()]);
        }
        Ok(CommandSpec {
            argv,
            env: Vec::new(),
        })
    }

    fn environment(_config: LaunchConfig) -> Result<Vec<(String, String)>, PluginError> {
        Ok(vec![
            // Claude Code refuses to start inside another Claude Code session.
            ("CLAUDECODE".into(), String::new()),
            // No self-updates of a CLI under a running session.
            ("DISABLE_AUTOUPDATER".into(), "1".into()),
        ])
    }

    fn workspace_hooks(context: SessionContext) -> Result<Vec<HookFile>, PluginError> {
        Ok(vec![HookFile {
            path: ".claude/settings.local.json".into(),
            content: serde_json::to_string_pretty(&hook_settings(&context.session_id))
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
            "UserPromptSubmit" | "PreToolUse" | "PostToolUse" => report(Activity::Active, None),
            "PermissionRequest" => report(
                Activity::WaitingInput,
                v.get("tool_name")
                    .and_then(Value::as_str)
                    .map(|tool| format!("asks to use {tool}")),
            ),
            "Notification" => match v.get("notification_type").and_then(Value::as_str) {
                Some("idle_prompt") => report(Activity::Ready, None),
                Some("auth_success") => None,
                _ => report(
                    Activity::WaitingInput,
                    v.get("message").and_then(Value::as_str).map(str::to_string),
                ),
            },
            "Stop" | "SubagentStop" => report(Activity::Ready, None),
            "SessionEnd" => report(Activity::Exited, None),
            _ => None,
        }
    }

    fn transcript_paths(context: SessionContext) -> Vec<String> {
        let id = context
            .agent_session_id
            .clone()
            .unwrap_or_else(|| ids::for_session(&context.workspace_path, &context.session_id));
        vec![format!(
            "{}/.claude/projects/{}/{id}.jsonl",
            context.home_dir,
            ids::project_dir(&context.workspace_path)
        )]
    }

    fn activity_from_transcript(_context: SessionContext, tail: String) -> Option<ActivityReport> {
        transcript::activity(&tail)
    }

    fn session_info(
        _context: SessionContext,
        transcript_tail: String,
    ) -> Result<Option<SessionInfo>, PluginError> {
        Ok(transcript::session_info(&transcript_tail))
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
        argv.extend(["--resume".into(), id]);
        Ok(Some(CommandSpec {
            argv,
            env: Vec::new(),
        }))
    }
}

export!(ClaudeCode: agent);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_idle_reminder_is_not_a_question() {
        let context = || SessionContext {
            session_id: "web-1".into(),
            workspace_path: "/w".into(),
            agent_session_id: None,
            started_at: 0,
            home_dir: "/h".into(),
        };
        let event = |kind: &str| {
            json!({"hook_event_name": "Notification", "notification_type": kind, "message": "Claude needs your permission to use Bash"}).to_string()
        };
        let idle = ClaudeCode::activity_from_hook_event(context(), event("idle_prompt")).unwrap();
        assert_eq!(idle.state, Activity::Ready);
        let asks =
            ClaudeCode::activity_from_hook_event(context(), event("permission_prompt")).unwrap();
        assert_eq!(asks.state, Activity::WaitingInput);
        let settings = hook_settings("web-1");
        let groups = settings["hooks"]["Notification"].as_array().unwrap();
        assert_eq!(groups[1]["matcher"], "idle_prompt");
        assert!(
            groups[1]["hooks"][0]["command"]
                .as_str()
                .unwrap()
                .contains(" ready ")
        );
    }
}
