//! `cursor`: Cursor's agent CLI (`cursor-agent`). The task is typed in after
//! launch; `--force` lets it run commands without asking when permissionless.

use ao_plugin_sdk::*;

struct Cursor;

impl Plugin for Cursor {
    fn manifest() -> Manifest {
        Manifest::new("cursor", env!("CARGO_PKG_VERSION"), "Cursor agent CLI")
            .roles([Role::Agent])
            // Its own keys, passed to cursor-agent when granted.
            .capabilities(Capabilities::default().secrets(["CURSOR_*"]))
    }
}

impl Agent for Cursor {
    fn process_name() -> String {
        "cursor-agent".into()
    }

    fn prompt_delivery() -> PromptDelivery {
        PromptDelivery::PostLaunch
    }

    fn launch_command(config: LaunchConfig) -> Result<CommandSpec, PluginError> {
        let mut argv = vec!["cursor-agent".to_string()];
        if matches!(config.permissions, PermissionMode::Permissionless) {
            argv.push("--force".into());
        }
        if let Some(model) = &config.model {
            argv.extend(["--model".into(), model.clone()]);
        }
        Ok(CommandSpec {
            argv,
            env: Vec::new(),
        })
    }

    fn activity_from_terminal(text: String) -> Option<ActivityReport> {
        let tail = terminal::last_lines(&text, 10);
        let has = |needles: &[&str]| terminal::any_contains(&tail, needles);
        let state = if has(&["Run this command?", "(y) (enter)"]) {
            Activity::WaitingInput
        } else if has(&["ctrl+c to stop", "Generating"]) {
            Activity::Active
        } else if has(&["/ commands", "→ Add a follow-up"]) {
            Activity::Ready
        } else {
            return None;
        };
        Some(ActivityReport::of(state))
    }
}

export!(Cursor: agent);
