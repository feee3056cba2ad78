//! `copilot`: GitHub Copilot CLI (1.0).
//!
//! - Launch: `copilot --no-auto-update --session-id <uuid> <permission flags>
//!   [--model M] --interactive=<task>`: the task runs at once and the UI stays
//!   interactive.
//! - Trust: a git worktree counts as trusted when its repository is (Copilot
//!   resolves worktrees to their main checkout), so a checkout the user
//!   trusted once covers every ao worktree of it; `bypass` also sets
//!   `COPILOT_ALLOW_ALL=true`, which trusts the folder for this run. An
//!   untrusted one shows the trust dialog, read as waiting for input; ao
//!   never writes Copilot's config.
//! - Session id: chosen by ao ([`ids::agent_session_uuid`]); the transcript is
//!   `~/.copilot/session-state/<uuid>/events.jsonl`, this session's by its
//!   path; `--resume=<uuid>` continues it.
//! - Activity: the events file says when a turn runs, when an approval is
//!   pending and when the program ended; the screen backs it up.

mod screen;
mod transcript;

use ao_plugin_sdk::*;

struct Copilot;

fn permission_flags(mode: PermissionMode) -> Vec<String> {
    match mode {
        // Tools, paths and URLs.
        PermissionMode::Permissionless => vec!["--allow-all".into()],
        PermissionMode::AutoEdit => vec!["--allow-tool=write".into()],
        PermissionMode::Suggest => vec!["--plan".into()],
        PermissionMode::Default => Vec::new(),
    }
}

fn base_argv(config: &LaunchConfig) -> Vec<String> {
    let mut argv = vec!["copilot".to_string(), "--no-auto-update".into()];
    argv.extend(permission_flags(config.permissions));
    if let Some(model) = &config.model {
        argv.push(format!("--model={model}"));
    }
    argv
}

fn env(config: &LaunchConfig) -> Vec<(String, String)> {
    match config.permissions {
        // Exactly `true` also trusts the working directory (without it the
        // folder-trust dialog would stop an unattended session).
        PermissionMode::Permissionless => vec![("COPILOT_ALLOW_ALL".into(), "true".into())],
        _ => Vec::new(),
    }
}

fn session_id(context: &SessionContext) -> String {
    context
        .agent_session_id
        .clone()
        .unwrap_or_else(|| ids::agent_session_uuid(&context.workspace_path, &context.session_id))
}

impl Plugin for Copilot {
    fn manifest() -> Manifest {
        Manifest::new("copilot", env!("CARGO_PKG_VERSION"), "GitHub Copilot CLI")
            .roles([Role::Agent])
            // Its session state, which the host reads for it (read-only).
            .capabilities(
                Capabilities::default()
                    .read_dirs(["~/.copilot/session-state"])
                    // Its settings, provider keys and token (COPILOT_GITHUB_TOKEN,
                    // else GH_TOKEN); GITHUB_TOKEN stays the GitHub plugin's.
                    .secrets(["COPILOT_*", "GH_TOKEN"]),
            )
    }
}

impl Agent for Copilot {
    fn process_name() -> String {
        "copilot".into()
    }

    fn prompt_delivery() -> PromptDelivery {
        PromptDelivery::Inline
    }

    fn launch_command(config: LaunchConfig) -> Result<CommandSpec, PluginError> {
        let mut argv = base_argv(&config);
        argv.push(format!(
            "--session-id={}",
            ids::agent_session_uuid(&config.workspace_path, &config.session_id)
        ));
        if let Some(prompt) = &config.prompt {
            // The `=` form: a task that starts with `-` is not an option.
            argv.push(format!("--interactive={prompt}"));
        }
        Ok(CommandSpec {
            argv,
            env: env(&config),
        })
    }

    fn transcript_paths(context: SessionContext) -> Vec<String> {
        vec![format!(
            "{}/.copilot/session-state/{}/events.jsonl",
            context.home_dir,
            session_id(&context)
        )]
    }

    fn activity_from_transcript(_context: SessionContext, tail: String) -> Option<ActivityReport> {
        transcript::activity(&tail)
    }

    fn session_info(
        context: SessionContext,
        transcript_tail: String,
    ) -> Result<Option<SessionInfo>, PluginError> {
        Ok(transcript::session_info(
            &transcript_tail,
            &session_id(&context),
        ))
    }

    fn activity_from_terminal(text: String) -> Option<ActivityReport> {
        screen::activity(&text)
    }

    fn restore_command(
        context: SessionContext,
        config: LaunchConfig,
    ) -> Result<Option<CommandSpec>, PluginError> {
        // Only a session Copilot has written can be resumed.
        let Some(id) = context.agent_session_id else {
            return Ok(None);
        };
        let mut argv = base_argv(&config);
        argv.push(format!("--resume={id}"));
        Ok(Some(CommandSpec {
            argv,
            env: env(&config),
        }))
    }
}

export!(Copilot: agent);

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
            workspace_path: "/data/wt/web/web-1".into(),
            issue_id: None,
            prompt: Some("-fix it".into()),
            permissions,
            model: None,
            system_prompt: None,
            system_prompt_file: None,
            agent_config: "{}".into(),
        }
    }

    #[test]
    fn launch_and_restore() {
        let id = ids::agent_session_uuid("/data/wt/web/web-1", "web-1");
        let spec = Copilot::launch_command(config(PermissionMode::Default)).unwrap();
        assert_eq!(
            spec.argv,
            [
                "copilot".to_string(),
                "--no-auto-update".into(),
                format!("--session-id={id}"),
                "--interactive=-fix it".into()
            ]
        );
        assert!(spec.env.is_empty());
        let bypass = Copilot::launch_command(config(PermissionMode::Permissionless)).unwrap();
        assert!(bypass.argv.contains(&"--allow-all".to_string()));
        assert_eq!(bypass.env, [("COPILOT_ALLOW_ALL".into(), "true".into())]);

        let mut context = SessionContext {
            session_id: "web-1".into(),
            workspace_path: "/data/wt/web/web-1".into(),
            agent_session_id: None,
            started_at: 0,
            home_dir: "/h".into(),
        };
        assert_eq!(
            Copilot::transcript_paths(context.clone()),
            [format!("/h/.copilot/session-state/{id}/events.jsonl")]
        );
        assert!(
            Copilot::restore_command(context.clone(), config(PermissionMode::Default))
                .unwrap()
                .is_none()
        );
        context.agent_session_id = Some(id.clone());
        let resumed = Copilot::restore_command(context, config(PermissionMode::Default))
            .unwrap()
            .unwrap();
        assert_eq!(resumed.argv.last().unwrap(), &format!("--resume={id}"));
    }
}
