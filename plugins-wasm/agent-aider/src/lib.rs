//! `aider`: Aider, the terminal pair programmer. It keeps no machine-readable
//! transcript, so its state comes from the terminal; the task is typed in
//! after launch (`--message` would make aider exit after one reply).

use ao_plugin_sdk::*;

struct Aider;

impl Plugin for Aider {
    fn manifest() -> Manifest {
        Manifest::new(
            "aider",
            env!("CARGO_PKG_VERSION"),
            "Aider (terminal pair programmer)",
        )
        .roles([Role::Agent])
        // Its own keys, passed to the aider program when granted.
        .capabilities(Capabilities::default().secrets([
            "AIDER_*",
            "OPENAI_*",
            "ANTHROPIC_*",
            "GEMINI_*",
            "OPENROUTER_*",
        ]))
    }
}

impl Agent for Aider {
    fn process_name() -> String {
        "aider".into()
    }

    fn prompt_delivery() -> PromptDelivery {
        PromptDelivery::PostLaunch
    }

    fn launch_command(config: LaunchConfig) -> Result<CommandSpec, PluginError> {
        let mut argv = vec![
            "aider".to_string(),
            "--no-check-update".into(),
            "--no-show-release-notes".into(),
        ];
        if matches!(
            config.permissions,
            PermissionMode::Permissionless | PermissionMode::AutoEdit
        ) {
            argv.push("--yes-always".into());
        }
        if let Some(model) = &config.model {
            argv.extend(["--model".into(), model.clone()]);
        }
        if let Some(file) = &config.system_prompt_file {
            argv.extend(["--read".into(), file.clone()]);
        }
        Ok(CommandSpec {
            argv,
            env: Vec::new(),
        })
    }

    fn activity_from_terminal(text: String) -> Option<ActivityReport> {
        let tail = terminal::last_lines(&text, 6);
        let last = tail.first()?.trim_end();
        let state = if last.contains("(Y)es/(N)o") || last.ends_with("[Yes]:") {
            Activity::WaitingInput
        } else if last.ends_with('>') || last.ends_with("> ") || last == ">" {
            Activity::Ready
        } else if terminal::any_contains(&tail, &["Waiting for", "Tokens:", "Applied edit"]) {
            Activity::Active
        } else {
            return None;
        };
        Some(ActivityReport::of(state))
    }
}

export!(Aider: agent);
