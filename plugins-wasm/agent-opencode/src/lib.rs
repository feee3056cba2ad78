//! `opencode`: the OpenCode terminal agent (fullscreen TUI; seen with 1.18).
//!
//! - Launch: `opencode [--auto] [--model M] --prompt=<task>`: 1.18 submits
//!   the `--prompt` text in a new session once it is up, so nothing is typed.
//!   Permissions are config: `OPENCODE_PERMISSION` (JSON) makes it ask.
//! - A bridge: `OPENCODE_CONFIG_CONTENT` (merged over the user's own
//!   config) names ao's OpenCode plugin, `.ao-opencode/ao-bridge.js` in the
//!   workspace, which appends the session's id, busy/idle, permission
//!   questions, title and cost to `.ao-opencode/events.jsonl`, read here as
//!   the transcript (OpenCode's own store is SQLite, out of a plugin's
//!   reach). Not `OPENCODE_CONFIG_DIR`: OpenCode npm-installs its plugin
//!   package into every config dir before it starts (25 s online, 70 s
//!   offline). The directory is kept out of git.
//! - Restore: `opencode -s <id>` (its `--prompt` is ignored with `-s`; the
//!   next message is typed).
//! - The screen is the fallback (see [`screen`]).

mod events;
mod screen;

use ao_plugin_sdk::*;

struct OpenCode;

/// ao's files for OpenCode, inside the workspace.
const CONFIG_DIR: &str = ".ao-opencode";
const BRIDGE: &str = include_str!("ao-bridge.js");

fn base_argv(config: &LaunchConfig) -> Vec<String> {
    let mut argv = vec!["opencode".to_string()];
    if config.permissions == PermissionMode::Permissionless {
        argv.push("--auto".into());
    }
    if let Some(model) = &config.model {
        argv.extend(["--model".into(), model.clone()]);
    }
    argv
}

/// What OpenCode may do unasked, per ao's permission mode (its own default
/// lets every tool run unasked). `None`: `--auto` approves everything.
fn permission_rules(mode: PermissionMode) -> Option<&'static str> {
    match mode {
        PermissionMode::Permissionless => None,
        PermissionMode::AutoEdit => Some(r#"{"edit":"allow","bash":"ask","webfetch":"ask"}"#),
        PermissionMode::Default => Some(r#"{"edit":"ask","bash":"ask","webfetch":"ask"}"#),
        PermissionMode::Suggest => Some(r#"{"edit":"deny","bash":"ask","webfetch":"ask"}"#),
    }
}

/// `path` as a `file://` URL (bytes other than unreserved ones and `/`
/// percent-encoded).
fn file_url(path: &str) -> String {
    let mut url = String::from("file://");
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

fn env(config: &LaunchConfig) -> Vec<(String, String)> {
    let ws = &config.workspace_path;
    let bridge = file_url(&format!("{ws}/{CONFIG_DIR}/ao-bridge.js"));
    let mut env = vec![
        (
            "OPENCODE_CONFIG_CONTENT".into(),
            serde_json::json!({ "plugin": [bridge] }).to_string(),
        ),
        (
            "AO_OPENCODE_EVENTS".into(),
            format!("{ws}/{}", events::FILE),
        ),
        // No self-updates of a CLI under a running session.
        ("OPENCODE_DISABLE_AUTOUPDATE".into(), "1".into()),
    ];
    if let Some(rules) = permission_rules(config.permissions) {
        env.push(("OPENCODE_PERMISSION".into(), rules.into()));
    }
    env
}

impl Plugin for OpenCode {
    fn manifest() -> Manifest {
        Manifest::new(
            "opencode",
            env!("CARGO_PKG_VERSION"),
            "OpenCode terminal agent",
        )
        .roles([Role::Agent])
        .capabilities(
            Capabilities::default()
                // The bridge's record, in the workspace.
                .read_dirs(["$WORKSPACE"])
                // Its own keys, passed to the opencode program when granted.
                .secrets([
                    "OPENCODE_*",
                    "ANTHROPIC_*",
                    "OPENAI_*",
                    "GEMINI_*",
                    "GOOGLE_*",
                ]),
        )
    }
}

impl Agent for OpenCode {
    fn process_name() -> String {
        "opencode".into()
    }

    fn prompt_delivery() -> PromptDelivery {
        PromptDelivery::Inline
    }

    fn launch_command(config: LaunchConfig) -> Result<CommandSpec, PluginError> {
        let mut argv = base_argv(&config);
        if let Some(prompt) = &config.prompt {
            // `=`: a task that starts with `-` is still the prompt.
            argv.push(format!("--prompt={prompt}"));
        }
        Ok(CommandSpec {
            argv,
            env: env(&config),
        })
    }

    fn workspace_hooks(_context: SessionContext) -> Result<Vec<HookFile>, PluginError> {
        Ok(vec![
            HookFile {
                path: format!("{CONFIG_DIR}/ao-bridge.js"),
                content: BRIDGE.into(),
                executable: false,
            },
            // The record stays out of git too.
            HookFile {
                path: format!("{CONFIG_DIR}/.gitignore"),
                content: "*\n".into(),
                executable: false,
            },
        ])
    }

    fn transcript_paths(context: SessionContext) -> Vec<String> {
        vec![format!("{}/{}", context.workspace_path, events::FILE)]
    }

    fn activity_from_transcript(_context: SessionContext, tail: String) -> Option<ActivityReport> {
        events::activity(&tail)
    }

    fn session_info(
        _context: SessionContext,
        transcript_tail: String,
    ) -> Result<Option<SessionInfo>, PluginError> {
        Ok(events::session_info(&transcript_tail))
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
        argv.extend(["--session".into(), id]);
        Ok(Some(CommandSpec {
            argv,
            env: env(&config),
        }))
    }
}

export!(OpenCode: agent);

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
            prompt: Some("-x: fix it\nplease".into()),
            permissions,
            model: None,
            system_prompt: None,
            system_prompt_file: None,
            agent_config: "{}".into(),
        }
    }

    #[test]
    fn the_task_is_the_prompt_and_permissions_are_asked_by_default() {
        let spec = OpenCode::launch_command(config(PermissionMode::Default)).unwrap();
        assert_eq!(spec.argv, ["opencode", "--prompt=-x: fix it\nplease"]);
        let get = |k: &str| {
            spec.env
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            get("OPENCODE_CONFIG_CONTENT"),
            Some(r#"{"plugin":["file:///data/wt/web-1/.ao-opencode/ao-bridge.js"]}"#)
        );
        assert_eq!(file_url("/a b/%"), "file:///a%20b/%25");
        assert!(
            get("OPENCODE_PERMISSION")
                .unwrap()
                .contains(r#""bash":"ask""#)
        );
        let bypass = OpenCode::launch_command(config(PermissionMode::Permissionless)).unwrap();
        assert!(bypass.argv.contains(&"--auto".to_string()));
        assert!(!bypass.env.iter().any(|(k, _)| k == "OPENCODE_PERMISSION"));
    }

    #[test]
    fn restore_continues_the_recorded_session() {
        let context = |id: Option<&str>| SessionContext {
            session_id: "web-1".into(),
            workspace_path: "/data/wt/web-1".into(),
            agent_session_id: id.map(str::to_string),
            started_at: 0,
            home_dir: "/h".into(),
        };
        let cfg = || config(PermissionMode::Default);
        assert!(
            OpenCode::restore_command(context(None), cfg())
                .unwrap()
                .is_none()
        );
        let spec = OpenCode::restore_command(context(Some("ses_1")), cfg())
            .unwrap()
            .unwrap();
        assert_eq!(spec.argv, ["opencode", "--session", "ses_1"]);
        assert_eq!(
            OpenCode::transcript_paths(context(None)),
            ["/data/wt/web-1/.ao-opencode/events.jsonl"]
        );
    }
}
