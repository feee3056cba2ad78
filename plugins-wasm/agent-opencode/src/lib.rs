//! `opencode`: the OpenCode terminal agent. Interactive TUI; the task is
//! typed in after launch. Resumes with `opencode --session <id>`.

use ao_plugin_sdk::*;

struct OpenCode;

fn base_argv(config: &LaunchConfig) -> Vec<String> {
    let mut argv = vec!["opencode".to_string()];
    if let Some(model) = &config.model {
        argv.extend(["--model".into(), model.clone()]);
    }
    argv
}

impl Plugin for OpenCode {
    fn manifest() -> Manifest {
        Manifest::new(
            "opencode",
            env!("CARGO_PKG_VERSION"),
            "OpenCode terminal agent",
        )
        .roles([Role::Agent])
        // Its own keys, passed to the opencode program when granted.
        .capabilities(Capabilities::default().secrets([
            "OPENCODE_*",
            "ANTHROPIC_*",
            "OPENAI_*",
            "GEMINI_*",
            "GOOGLE_*",
        ]))
    }
}

impl Agent for OpenCode {
    fn process_name() -> String {
        "opencode".into()
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

    fn activity_from_terminal(text: String) -> Option<ActivityReport> {
        let tail = terminal::last_lines(&text, 10);
        let has = |needles: &[&str]| terminal::any_contains(&tail, needles);
        let state = if has(&["Permission required", "Allow once"]) {
            Activity::WaitingInput
        } else if has(&["esc interrupt", "Working"]) {
            Activity::Active
        } else if has(&["enter send"]) {
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
        argv.extend(["--session".into(), id]);
        Ok(Some(CommandSpec {
            argv,
            env: Vec::new(),
        }))
    }
}

export!(OpenCode: agent);
