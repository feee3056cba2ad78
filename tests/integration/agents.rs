//! The agent plugins, held to fixtures written in the formats the agents
//! document: Claude Code's JSONL transcript and hook events, and its screens.

use crate::helpers::*;
use ao_plugin_host::bindings::v0_1::{
    Activity, LaunchConfig, PermissionMode, Project, PromptDelivery, SessionContext,
};
use ao_plugin_host::{CallErrorKind, InstanceSettings, PluginInstance};
use serde_json::json;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/fixtures/claude-code/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn claude() -> PluginInstance {
    load_builtin("claude-code.wasm").instantiate(InstanceSettings::default())
}

fn launch(agent_config: serde_json::Value) -> LaunchConfig {
    LaunchConfig {
        session_id: "web-1".into(),
        project: Project {
            id: "web".into(),
            repo: Some("acme/web".into()),
            path: "/code/web".into(),
            default_branch: "main".into(),
        },
        workspace_path: "/work/web-1".into(),
        issue_id: Some("42".into()),
        prompt: Some("Fix the redirect after login".into()),
        permissions: PermissionMode::Permissionless,
        model: Some("opus".into()),
        system_prompt: Some("Run the tests before pushing.".into()),
        system_prompt_file: None,
        agent_config: agent_config.to_string(),
    }
}

fn context(agent_session_id: Option<&str>) -> SessionContext {
    SessionContext {
        session_id: "web-1".into(),
        workspace_path: "/work/web-1".into(),
        agent_session_id: agent_session_id.map(str::to_string),
        started_at: 0,
        home_dir: "/home/dev".into(),
    }
}

#[test]
fn claude_code_builds_its_launch_and_resume_commands() {
    let mut agent = claude();
    let spec = agent.launch_command(&launch(json!({}))).unwrap();
    // ao chooses Claude Code's session id (stable for the session, so its
    // transcript's name is known) and gives the task on the command line.
    let session_id = spec.argv[7].clone();
    assert_eq!(
        spec.argv,
        [
            "claude",
            "--dangerously-skip-permissions",
            "--model",
            "opus",
            "--append-system-prompt",
            "Run the tests before pushing.",
            "--session-id",
            session_id.as_str(),
            "--",
            "Fix the redirect after login",
        ]
    );
    assert_eq!(session_id.len(), 36);
    assert_eq!(
        agent.launch_command(&launch(json!({}))).unwrap().argv[7],
        session_id,
        "the same session gets the same id"
    );
    assert!(matches!(
        agent.prompt_delivery().unwrap(),
        PromptDelivery::Inline
    ));
    assert_eq!(
        agent.agent_environment(&launch(json!({}))).unwrap(),
        [
            ("CLAUDECODE".to_string(), String::new()),
            ("DISABLE_AUTOUPDATER".to_string(), "1".to_string())
        ]
    );
    assert!(
        agent
            .restore_command(&context(None), &launch(json!({})))
            .unwrap()
            .is_none()
    );
    let resume = agent
        .restore_command(&context(Some("5f2c")), &launch(json!({})))
        .unwrap()
        .unwrap();
    assert_eq!(resume.argv[resume.argv.len() - 2..], ["--resume", "5f2c"]);
}

#[test]
fn claude_code_hooks_report_to_ao_and_hook_events_are_classified() {
    let mut agent = claude();
    let hooks = agent.workspace_hooks(&context(None)).unwrap();
    assert_eq!(hooks[0].path, ".claude/settings.local.json");
    let settings: serde_json::Value = serde_json::from_str(&hooks[0].content).unwrap();
    assert_eq!(
        settings["hooks"]["Stop"][0]["hooks"][0]["command"],
        "\"${AO_BIN:-ao}\" report --session web-1 ready --from-hook"
    );
    let waiting = agent
        .activity_from_hook_event(&context(None), &fixture("hook-notification.json"))
        .unwrap()
        .unwrap();
    assert!(matches!(waiting.state, Activity::WaitingInput));
    assert_eq!(
        waiting.detail.as_deref(),
        Some("Claude needs your permission to use Bash")
    );
    let ready = agent
        .activity_from_hook_event(&context(None), &fixture("hook-stop.json"))
        .unwrap()
        .unwrap();
    assert!(matches!(ready.state, Activity::Ready));
    assert!(
        agent
            .activity_from_hook_event(&context(None), "not json")
            .unwrap()
            .is_none()
    );
}

#[test]
fn claude_code_reads_its_transcript() {
    let mut agent = claude();
    // The one file of this session: ao chose its id; once the transcript
    // named one, that one.
    let launched = agent.launch_command(&launch(json!({}))).unwrap().argv[7].clone();
    assert_eq!(
        agent.transcript_paths(&context(None)).unwrap(),
        [format!(
            "/home/dev/.claude/projects/-work-web-1/{launched}.jsonl"
        )]
    );
    assert_eq!(
        agent.transcript_paths(&context(Some("5f2c"))).unwrap(),
        ["/home/dev/.claude/projects/-work-web-1/5f2c.jsonl"]
    );
    let full = fixture("transcript.jsonl");
    let ready = agent
        .activity_from_transcript(&context(None), &full)
        .unwrap()
        .unwrap();
    assert!(matches!(ready.state, Activity::Ready));
    assert_eq!(
        ready.since,
        Some(1_795_752_060_000),
        "the time of the last assistant message"
    );
    // Cut after the tool call: still working. A tail starting mid-line is fine.
    let lines: Vec<&str> = full.lines().collect();
    let partial = format!("{}\n{}\n", &lines[1][40..], lines[2]);
    let active = agent
        .activity_from_transcript(&context(None), &partial)
        .unwrap()
        .unwrap();
    assert!(matches!(active.state, Activity::Active));

    let info = agent.session_info(&context(None), &full).unwrap().unwrap();
    assert_eq!(info.summary.as_deref(), Some("Fix the login redirect"));
    assert!(!info.summary_is_fallback);
    assert_eq!(
        info.agent_session_id.as_deref(),
        Some("5f2c7a1e-0b7d-4a55-9e3c-2f1d8c9b6a10")
    );
    let cost = info.cost.unwrap();
    assert_eq!((cost.input_tokens, cost.output_tokens), (5700, 280));
    assert!(
        // Cache reads at a tenth of the input price.
        (cost.estimated_cost_usd - 0.0132).abs() < 1e-9,
        "{}",
        cost.estimated_cost_usd
    );
    // Without a summary line, the first prompt stands in, marked as a fallback.
    let no_summary: String = full.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let info = agent
        .session_info(&context(None), &no_summary)
        .unwrap()
        .unwrap();
    assert_eq!(
        info.summary.as_deref(),
        Some("Fix the redirect after login (#42)")
    );
    assert!(info.summary_is_fallback);
}

#[test]
fn claude_code_classifies_its_screens() {
    let mut agent = claude();
    let state = |agent: &mut PluginInstance, screen: &str| {
        agent
            .activity_from_terminal(&fixture(screen))
            .unwrap()
            .map(|r| r.state)
    };
    assert!(matches!(
        state(&mut agent, "screen-permission.txt"),
        Some(Activity::WaitingInput)
    ));
    assert!(matches!(
        state(&mut agent, "screen-working.txt"),
        Some(Activity::Active)
    ));
    assert!(matches!(
        state(&mut agent, "screen-ready.txt"),
        Some(Activity::Ready)
    ));
    assert!(agent.activity_from_terminal("").unwrap().is_none());
}

#[test]
fn the_custom_agent_runs_any_command_from_the_config() {
    let plugin = load_builtin("custom.wasm");
    let config = json!({ "command": ["my-agent", "--auto"], "promptArg": "--message", "env": { "QUIET": "1" }, "readyPatterns": ["my-agent> $"], "blockedPatterns": ["FATAL"] });
    let mut agent = plugin.instantiate(InstanceSettings {
        settings: config.as_object().cloned().unwrap(),
        ..InstanceSettings::default()
    });
    let spec = agent.launch_command(&launch(config.clone())).unwrap();
    assert_eq!(
        spec.argv,
        [
            "my-agent",
            "--auto",
            "--message",
            "Fix the redirect after login"
        ]
    );
    assert_eq!(spec.env, [("QUIET".to_string(), "1".to_string())]);
    let state = |agent: &mut PluginInstance, text: &str| {
        agent.activity_from_terminal(text).unwrap().map(|r| r.state)
    };
    assert!(matches!(
        state(&mut agent, "working...\nmy-agent> "),
        Some(Activity::Ready)
    ));
    assert!(matches!(
        state(&mut agent, "FATAL: no API key\n"),
        Some(Activity::Blocked)
    ));
    assert!(matches!(
        state(&mut agent, "Overwrite file? (y/n)"),
        Some(Activity::WaitingInput)
    ));
    assert!(state(&mut agent, "compiling\n").is_none());
    // A missing command is an error that says what to write.
    let err = agent.launch_command(&launch(json!({}))).unwrap_err();
    assert!(
        matches!(&err.kind, CallErrorKind::Plugin(_))
            && err.to_string().contains("agentConfig.command"),
        "{err}"
    );
}

fn codex_fixture() -> String {
    std::fs::read_to_string(format!(
        "{}/fixtures/codex/rollout.jsonl",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn codex_takes_its_task_inline_and_reads_its_rollout() {
    let mut agent = load_builtin("codex.wasm").instantiate(InstanceSettings::default());
    assert!(matches!(
        agent.prompt_delivery().unwrap(),
        PromptDelivery::Inline
    ));
    let spec = agent.launch_command(&launch(json!({}))).unwrap();
    assert_eq!(
        spec.argv,
        [
            "codex",
            "--no-daemon",
            "-c",
            "check_for_update_on_startup=false",
            "-c",
            r#"projects={"/work/web-1"={trust_level="trusted"}}"#,
            "--dangerously-bypass-approvals-and-sandbox",
            "-m",
            "opus",
            "--",
            "Fix the redirect after login"
        ]
    );
    assert_eq!(
        spec.env,
        [("CODEX_DISABLE_UPDATE_CHECK".to_string(), "1".to_string())]
    );
    let mut ctx = context(None);
    ctx.started_at = 1_795_752_060_000; // 2026-11-27T04:01:00Z
    // The fixture's rollout is web-2's: its session_meta names that workspace.
    ctx.workspace_path = "/work/web-2".into();
    assert_eq!(
        agent.transcript_paths(&ctx).unwrap(),
        [
            "/home/dev/.codex/sessions/2026/11/27",
            "/home/dev/.codex/sessions/2026/11/26",
            "/home/dev/.codex/sessions/2026/11/28"
        ]
    );

    let rollout = codex_fixture();
    let ready = agent
        .activity_from_transcript(&ctx, &rollout)
        .unwrap()
        .unwrap();
    assert!(
        matches!(ready.state, Activity::Ready),
        "task_complete, then only a token count"
    );
    let working: String = rollout.lines().take(5).map(|l| format!("{l}\n")).collect();
    assert!(matches!(
        agent
            .activity_from_transcript(&ctx, &working)
            .unwrap()
            .unwrap()
            .state,
        Activity::Active
    ));

    let info = agent.session_info(&ctx, &rollout).unwrap().unwrap();
    assert_eq!(
        info.agent_session_id.as_deref(),
        Some("0199b5c2-7f3e-7a41-9d2e-5b8c1f0a3e77")
    );
    assert_eq!(info.summary.as_deref(), Some("Add a health check endpoint"));
    let cost = info.cost.unwrap();
    assert_eq!(
        (cost.input_tokens, cost.output_tokens),
        (12000, 900),
        "the last cumulative count"
    );
    let resume = agent
        .restore_command(
            &context(info.agent_session_id.as_deref()),
            &launch(json!({})),
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        resume.argv[resume.argv.len() - 2..],
        ["resume", "0199b5c2-7f3e-7a41-9d2e-5b8c1f0a3e77"]
    );
}

#[test]
fn aider_opencode_and_cursor_build_their_commands_and_read_their_screens() {
    // (plugin, launch argv, whether the task goes on the command line,
    // a waiting screen, a ready screen)
    let cases: [(&str, &[&str], bool, &str, &str); 3] = [
        (
            "aider.wasm",
            &[
                "aider",
                "--no-gitignore",
                "--no-check-update",
                "--no-show-release-notes",
                "--no-show-model-warnings",
                "--no-analytics",
                // History inside the workspace, out of the repository's own
                // files, so `--restore-chat-history` finds this session's.
                "--chat-history-file",
                "/work/web-1/.aider.ao/chat.history.md",
                "--input-history-file",
                "/work/web-1/.aider.ao/input.history",
                "--yes-always",
                "--model",
                "opus",
            ],
            false,
            "Add file to the chat? (Y)es/(N)o [Yes]:",
            // Aider's prompt: a full-width rule, the files in the chat, `> `.
            "─────────────────────────────────────────\nsrc/app.py\n> ",
        ),
        (
            "opencode.wasm",
            // 1.18 submits a `--prompt=` task by itself; permissionless is `--auto`.
            &[
                "opencode",
                "--auto",
                "--model",
                "opus",
                "--prompt=Fix the redirect after login",
            ],
            true,
            "Permission required: run `npm test`?",
            "  enter send   ctrl+p commands",
        ),
        (
            "cursor.wasm",
            &["cursor-agent", "--force", "--model", "opus"],
            false,
            "Run this command?\n  npm test\n (y) (enter)",
            "→ Add a follow-up\n / commands",
        ),
    ];
    for (file, argv, inline, waiting, ready) in cases {
        let mut agent = load_builtin(file).instantiate(InstanceSettings::default());
        assert_eq!(
            agent.launch_command(&launch(json!({}))).unwrap().argv,
            argv,
            "{file}"
        );
        let delivery = agent.prompt_delivery().unwrap();
        if inline {
            assert!(matches!(delivery, PromptDelivery::Inline), "{file}");
        } else {
            assert!(matches!(delivery, PromptDelivery::PostLaunch), "{file}");
        }
        let state = |agent: &mut PluginInstance, text: &str| {
            agent.activity_from_terminal(text).unwrap().map(|r| r.state)
        };
        assert!(
            matches!(state(&mut agent, waiting), Some(Activity::WaitingInput)),
            "{file}: {waiting}"
        );
        assert!(
            matches!(state(&mut agent, ready), Some(Activity::Ready)),
            "{file}: {ready}"
        );
    }
}
