//! `aider`: Aider, the terminal pair programmer (seen with 0.86).
//!
//! - Launch: `aider` with every first-run question pre-empted
//!   (`--no-gitignore`, `--no-check-update`, `--no-show-release-notes`,
//!   `--no-show-model-warnings`, `--no-analytics`) and its history files in
//!   `.aider.ao/` in the workspace (kept out of git). The task is typed in
//!   once its prompt shows: `--message` would make Aider exit after one
//!   reply, and text pasted before the prompt is up is taken line by line.
//! - Permissions: bypass and accept-edits add `--yes-always` (edits and new
//!   files unasked; Aider still never runs a shell command unasked).
//! - State from the screen ([`screen`]); task and cost from the history
//!   ([`history`]). No hooks.
//! - Restore: the same command with `--restore-chat-history`, which sends
//!   the earlier conversation again. Aider has no session ids: the history
//!   file is the session.
//! - Exit: `/exit`.

mod history;
mod screen;

use ao_plugin_sdk::*;

struct Aider;

fn base_argv(config: &LaunchConfig) -> Vec<String> {
    let ws = &config.workspace_path;
    let mut argv: Vec<String> = [
        "aider",
        // ao keeps `.aider*` out of git itself: the user's .gitignore stays.
        "--no-gitignore",
        "--no-check-update",
        "--no-show-release-notes",
        "--no-show-model-warnings",
        // For this run only (`--analytics-disable` writes to ~/.aider).
        "--no-analytics",
    ]
    .map(String::from)
    .into();
    argv.extend([
        "--chat-history-file".into(),
        format!("{ws}/{}", history::CHAT),
        "--input-history-file".into(),
        format!("{ws}/{}", history::INPUT),
    ]);
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
    argv
}

/// Keeps a directory Aider writes into out of git (`*` ignores itself too).
fn ignored_dir(dir: &str) -> HookFile {
    HookFile {
        path: format!("{dir}/.gitignore"),
        content: "*\n".into(),
        executable: false,
    }
}

impl Plugin for Aider {
    fn manifest() -> Manifest {
        Manifest::new(
            "aider",
            env!("CARGO_PKG_VERSION"),
            "Aider (terminal pair programmer)",
        )
        .roles([Role::Agent])
        .capabilities(
            Capabilities::default()
                // Its chat history, which ao keeps in the workspace.
                .read_dirs(["$WORKSPACE"])
                // Its own keys, passed to the aider program when granted.
                .secrets([
                    "AIDER_*",
                    "OPENAI_*",
                    "ANTHROPIC_*",
                    "GEMINI_*",
                    "OPENROUTER_*",
                ]),
        )
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
        Ok(CommandSpec {
            argv: base_argv(&config),
            env: Vec::new(),
        })
    }

    fn workspace_hooks(_context: SessionContext) -> Result<Vec<HookFile>, PluginError> {
        Ok(vec![
            ignored_dir(history::DIR),
            // Its repo-map cache, made in the workspace's top directory.
            ignored_dir(".aider.tags.cache.v4"),
        ])
    }

    fn transcript_paths(context: SessionContext) -> Vec<String> {
        vec![format!("{}/{}", context.workspace_path, history::CHAT)]
    }

    fn session_info(
        _context: SessionContext,
        transcript_tail: String,
    ) -> Result<Option<SessionInfo>, PluginError> {
        Ok(history::session_info(&transcript_tail))
    }

    fn activity_from_terminal(text: String) -> Option<ActivityReport> {
        screen::activity(&text)
    }

    fn restore_command(
        context: SessionContext,
        config: LaunchConfig,
    ) -> Result<Option<CommandSpec>, PluginError> {
        // No history yet: nothing to continue, a fresh start gets the task.
        if context.agent_session_id.is_none() {
            return Ok(None);
        }
        let mut argv = base_argv(&config);
        argv.push("--restore-chat-history".into());
        Ok(Some(CommandSpec {
            argv,
            env: Vec::new(),
        }))
    }
}

export!(Aider: agent);

#[cfg(test)]
mod tests {
    use super::*;

    fn config(permissions: PermissionMode) -> LaunchConfig {
        LaunchConfig {
            session_id: "web-1".into(),
            project: Project {
                id: "web".into(),
                repo: None,
                path: "/r".into(),
                default_branch: "main".into(),
            },
            workspace_path: "/data/wt/web-1".into(),
            issue_id: None,
            prompt: None,
            permissions,
            model: None,
            system_prompt: None,
            system_prompt_file: None,
            agent_config: "{}".into(),
        }
    }

    #[test]
    fn history_in_the_workspace_and_restore_continues_it() {
        let argv = Aider::launch_command(config(PermissionMode::Default))
            .unwrap()
            .argv;
        let joined = argv.join(" ");
        assert!(joined.contains("--chat-history-file /data/wt/web-1/.aider.ao/chat.history.md"));
        assert!(!joined.contains("--yes-always"));
        let context = |id: Option<&str>| SessionContext {
            session_id: "web-1".into(),
            workspace_path: "/data/wt/web-1".into(),
            agent_session_id: id.map(str::to_string),
            started_at: 0,
            home_dir: "/h".into(),
        };
        let cfg = || config(PermissionMode::Permissionless);
        assert!(
            Aider::restore_command(context(None), cfg())
                .unwrap()
                .is_none()
        );
        let restored = Aider::restore_command(context(Some(history::CHAT)), cfg())
            .unwrap()
            .unwrap()
            .argv;
        assert!(restored.contains(&"--yes-always".to_string()));
        assert_eq!(restored.last().unwrap(), "--restore-chat-history");
    }
}
