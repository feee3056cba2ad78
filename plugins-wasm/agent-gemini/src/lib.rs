//! `gemini`: Google's Gemini CLI (0.61).
//!
//! - Launch: `gemini --skip-trust --session-id <uuid> <approval flags>
//!   [-m MODEL] --prompt-interactive=<task>`: the task runs at once and the
//!   UI stays interactive; `--skip-trust` trusts the worktree for this run
//!   only, so its trust dialog never shows and nothing is written outside it.
//! - Session id: chosen by ao ([`ids::agent_session_uuid`]), so the session
//!   file is known to be this session's; `--resume <uuid>` continues it.
//! - Transcript: `~/.gemini/tmp/<project>/chats/session-*.jsonl`, for the
//!   session id, summary and cost. Gemini writes a message only when it is
//!   complete, and an answer waiting for approval looks like one that is
//!   still streaming: activity comes from the screen, which shows both.
//! - Send: ao pastes, waits for the screen to settle, then presses Enter
//!   (Gemini takes an Enter within 40 ms of a paste as a newline).

mod screen;
mod transcript;

use ao_plugin_sdk::*;

struct Gemini;

/// Gemini's approval modes for ao's permission modes.
fn approval_flags(mode: PermissionMode) -> Vec<String> {
    let mode = match mode {
        PermissionMode::Permissionless => return vec!["--yolo".into()],
        PermissionMode::AutoEdit => "auto_edit",
        PermissionMode::Suggest => "plan",
        PermissionMode::Default => "default",
    };
    vec!["--approval-mode".into(), mode.into()]
}

fn base_argv(config: &LaunchConfig) -> Vec<String> {
    let mut argv = vec!["gemini".to_string(), "--skip-trust".into()];
    argv.extend(approval_flags(config.permissions));
    if let Some(model) = &config.model {
        argv.extend(["--model".into(), model.clone()]);
    }
    argv
}

/// This session's Gemini id: the one found before, else the one ao gave it.
fn session_id(context: &SessionContext) -> String {
    context
        .agent_session_id
        .clone()
        .unwrap_or_else(|| ids::agent_session_uuid(&context.workspace_path, &context.session_id))
}

/// Gemini's project directory name: the folder's name in lower case, every
/// run of other characters as one `-` (`slugify` in the CLI).
fn project_slug(workspace: &str) -> String {
    let base = workspace
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    let mut slug = String::new();
    for c in base.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-');
    if slug.is_empty() {
        "project".into()
    } else {
        slug.into()
    }
}

/// How many numbered neighbours (`web-1-1`, `web-1-2`…) of a taken project
/// name are looked at: Gemini numbers a name another folder already has.
const SLUG_NEIGHBOURS: usize = 3;

fn env() -> Vec<(String, String)> {
    // The same as `--skip-trust`, for the commands Gemini starts itself.
    vec![("GEMINI_CLI_TRUST_WORKSPACE".into(), "true".into())]
}

impl Plugin for Gemini {
    fn manifest() -> Manifest {
        Manifest::new("gemini", env!("CARGO_PKG_VERSION"), "Gemini CLI (Google)")
            .roles([Role::Agent])
            // Its session files, which the host reads for it (read-only).
            .capabilities(
                Capabilities::default()
                    .read_dirs(["~/.gemini/tmp"])
                    // Its own keys and endpoints, passed to gemini when granted.
                    .secrets(["GEMINI_*", "GOOGLE_*"]),
            )
    }
}

impl Agent for Gemini {
    fn process_name() -> String {
        "gemini".into()
    }

    fn prompt_delivery() -> PromptDelivery {
        PromptDelivery::Inline
    }

    fn launch_command(config: LaunchConfig) -> Result<CommandSpec, PluginError> {
        let mut argv = base_argv(&config);
        argv.extend([
            "--session-id".into(),
            ids::agent_session_uuid(&config.workspace_path, &config.session_id),
        ]);
        if let Some(prompt) = &config.prompt {
            // The `=` form: a task that starts with `-` is not an option.
            argv.push(format!("--prompt-interactive={prompt}"));
        }
        Ok(CommandSpec { argv, env: env() })
    }

    fn transcript_paths(context: SessionContext) -> Vec<String> {
        let slug = project_slug(&context.workspace_path);
        std::iter::once(slug.clone())
            .chain((1..=SLUG_NEIGHBOURS).map(|n| format!("{slug}-{n}")))
            .map(|name| format!("{}/.gemini/tmp/{name}/chats", context.home_dir))
            .collect()
    }

    fn session_info(
        context: SessionContext,
        transcript_tail: String,
    ) -> Result<Option<SessionInfo>, PluginError> {
        let pinned = context.agent_session_id.is_some();
        Ok(transcript::session_info(
            &transcript_tail,
            &session_id(&context),
            pinned,
        ))
    }

    fn activity_from_terminal(text: String) -> Option<ActivityReport> {
        screen::activity(&text)
    }

    fn restore_command(
        context: SessionContext,
        config: LaunchConfig,
    ) -> Result<Option<CommandSpec>, PluginError> {
        // Only a session Gemini has written can be resumed.
        let Some(id) = context.agent_session_id else {
            return Ok(None);
        };
        let mut argv = base_argv(&config);
        argv.extend(["--resume".into(), id]);
        Ok(Some(CommandSpec { argv, env: env() }))
    }
}

export!(Gemini: agent);

#[cfg(test)]
mod tests {
    use super::*;

    fn config(permissions: PermissionMode, prompt: &str) -> LaunchConfig {
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
            prompt: Some(prompt.into()),
            permissions,
            model: None,
            system_prompt: None,
            system_prompt_file: None,
            agent_config: "{}".into(),
        }
    }

    #[test]
    fn the_task_is_inline_and_the_id_is_ao_s() {
        let argv = Gemini::launch_command(config(PermissionMode::Default, "-fix it"))
            .unwrap()
            .argv;
        let id = ids::agent_session_uuid("/data/wt/web/web-1", "web-1");
        assert_eq!(
            argv,
            [
                "gemini",
                "--skip-trust",
                "--approval-mode",
                "default",
                "--session-id",
                &id,
                "--prompt-interactive=-fix it"
            ]
        );
        let bypass = Gemini::launch_command(config(PermissionMode::Permissionless, "x"))
            .unwrap()
            .argv;
        assert!(bypass.contains(&"--yolo".to_string()));
        let edits = Gemini::launch_command(config(PermissionMode::AutoEdit, "x"))
            .unwrap()
            .argv;
        assert!(
            edits
                .windows(2)
                .any(|w| w == ["--approval-mode", "auto_edit"])
        );
    }

    #[test]
    fn transcripts_are_looked_for_under_gemini_s_project_names() {
        assert_eq!(project_slug("/data/wt/My Web_App/"), "my-web-app");
        assert_eq!(project_slug("/"), "project");
        let context = SessionContext {
            session_id: "web-1".into(),
            workspace_path: "/data/wt/web/web-1".into(),
            agent_session_id: None,
            started_at: 0,
            home_dir: "/h".into(),
        };
        let paths = Gemini::transcript_paths(context);
        assert_eq!(paths[0], "/h/.gemini/tmp/web-1/chats");
        assert_eq!(paths[1], "/h/.gemini/tmp/web-1-1/chats");
    }

    #[test]
    fn restore_resumes_only_a_known_session() {
        let mut context = SessionContext {
            session_id: "web-1".into(),
            workspace_path: "/data/wt/web/web-1".into(),
            agent_session_id: None,
            started_at: 0,
            home_dir: "/h".into(),
        };
        let launch = config(PermissionMode::Permissionless, "x");
        assert!(
            Gemini::restore_command(context.clone(), launch.clone())
                .unwrap()
                .is_none()
        );
        context.agent_session_id = Some("abc".into());
        let argv = Gemini::restore_command(context, launch)
            .unwrap()
            .unwrap()
            .argv;
        assert_eq!(argv[argv.len() - 2..], ["--resume", "abc"]);
        assert!(!argv.iter().any(|a| a.starts_with("--prompt")));
    }
}
