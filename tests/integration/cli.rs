//! The real `ao` binary in an isolated home: plugin listing, checking,
//! installing, test notifications, config errors, completions.

use ao_builtin_plugins::fixtures;
use ao_tests::ao_binary::describe;
use ao_tests::{AoEnv, FakeServer};

#[test]
fn plugin_ls_lists_the_builtins_with_their_grants() {
    let env = AoEnv::new();
    let out = env.run(&["plugin", "ls", "--json"]);
    assert!(out.status.success(), "{}", describe(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "webhook",
            "slack",
            "discord",
            "desktop",
            "claude-code",
            "custom",
            "codex",
            "aider",
            "opencode",
            "cursor",
            "gemini",
            "copilot",
            "github",
            "gitlab",
            "linear"
        ]
    );
    let slack = &v["plugins"][1];
    assert_eq!(slack["roles"], serde_json::json!(["notifier"]));
    assert_eq!(slack["witVersion"], "0.1.0");
    assert_eq!(
        slack["granted"]["http"],
        serde_json::json!(["hooks.slack.com"])
    );
    assert_eq!(slack["source"]["kind"], "builtin");
}

#[test]
fn install_checks_copies_and_refuses_bad_files() {
    let env = AoEnv::new();
    let out = env.run(&["plugin", "install", fixtures::HOSTILE]);
    assert!(out.status.success(), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("installed hostile") && stdout.contains("secrets: [\"DECLARED_SECRET\"]"),
        "{stdout}"
    );
    assert!(env.user_plugins().join("hostile.wasm").exists());
    // Now listed, from the user directory, with nothing granted.
    let v: serde_json::Value =
        serde_json::from_slice(&env.run(&["plugin", "ls", "--json"]).stdout).unwrap();
    let hostile = v["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "hostile")
        .unwrap()
        .clone();
    assert_eq!(hostile["source"]["kind"], "user");
    assert_eq!(hostile["granted"]["http"], serde_json::json!([]));
    // Installing again needs --force.
    let out = env.run(&["plugin", "install", fixtures::HOSTILE]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        env.run(&["plugin", "install", "--force", fixtures::HOSTILE])
            .status
            .success()
    );
    // A plugin of an unsupported version is refused and not copied.
    let out = env.run(&["plugin", "install", fixtures::FUTURE_VERSION]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ao:plugin@0.2.0"),
        "{}",
        describe(&out)
    );
    assert_eq!(std::fs::read_dir(env.user_plugins()).unwrap().count(), 1);
}

#[test]
fn check_prints_the_manifest_or_a_clear_error() {
    let env = AoEnv::new();
    let out = env.run(&["plugin", "check", "--json", fixtures::HOSTILE]);
    assert!(out.status.success(), "{}", describe(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["name"], "hostile");
    assert_eq!(
        v["requested"]["secrets"],
        serde_json::json!(["DECLARED_SECRET"])
    );
    let junk = env.work().join("junk.wasm");
    std::fs::write(&junk, "not wasm").unwrap();
    let out = env.run(&["plugin", "check", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("junk.wasm: not a WebAssembly file"),
        "{}",
        describe(&out)
    );
}

#[test]
fn notify_test_delivers_through_a_configured_webhook() {
    let env = AoEnv::new();
    let server = FakeServer::start();
    env.write_config(&format!(
        "notifiers:\n  ops:\n    plugin: webhook\n    url: {}\nplugins:\n  webhook:\n    grant:\n      http: [\"{}\"]\n",
        server.url("/hook"),
        server.host()
    ));
    let out = env.run(&[
        "notify",
        "test",
        "ops",
        "--message",
        "hello from the test",
        "--priority",
        "urgent",
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("✓ ops (webhook)"),
        "{}",
        describe(&out)
    );
    let body = server.requests()[0].json();
    assert_eq!(body["event"]["message"], "hello from the test");
    assert_eq!(body["event"]["priority"], "urgent");
}

#[test]
fn notify_test_reports_a_denied_host_with_the_grant_to_add() {
    let env = AoEnv::new();
    let server = FakeServer::start();
    env.write_config(&format!(
        "notifiers:\n  ops:\n    plugin: webhook\n    url: {}\n",
        server.url("/hook")
    ));
    let out = env.run(&["notify", "test"]);
    assert_eq!(out.status.code(), Some(4), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("✗ ops (webhook)") && stdout.contains("plugins.webhook.grant.http"),
        "{stdout}"
    );
    assert!(server.requests().is_empty());
}

#[cfg(unix)]
#[test]
fn the_desktop_notifier_runs_notify_send() {
    use std::os::unix::fs::PermissionsExt;
    let env = AoEnv::new();
    let bin = env.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = env.dir.path().join("notify-send.log");
    let script = bin.join("notify-send");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n", log.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.write_config("notifiers:\n  desktop: {}\n");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = env
        .command()
        .env("PATH", path)
        .args([
            "notify",
            "test",
            "--message",
            "look \"here\"",
            "--priority",
            "urgent",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let args = std::fs::read_to_string(&log).unwrap();
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(
        args,
        [
            "--app-name=ao",
            "-u",
            "critical",
            "--",
            "ao · test · notify.test",
            "look \"here\""
        ]
    );
}

#[test]
fn a_config_error_names_file_line_and_field_and_exits_3() {
    let env = AoEnv::new();
    env.write_config(
        "notifiers:\n  ops:\n    plugin: webhook\nnotificationRouting:\n  urgent: [ops, pager]\n",
    );
    let out = env.run(&["notify", "test"]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "agent-orchestrator.yaml:5: notificationRouting.urgent: no notifier named `pager`"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: define it under `notifiers:`"),
        "{stderr}"
    );
}

#[test]
fn completions_and_help_work() {
    let env = AoEnv::new();
    let out = env.run(&["completions", "bash"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("plugin"));
    let out = env.run(&["plugin", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for cmd in ["ls", "info", "check", "install"] {
        assert!(help.contains(cmd), "{help}");
    }
}

#[test]
fn secrets_and_webhook_tokens_stay_out_of_the_log() {
    let env = AoEnv::new();
    let server = FakeServer::start();
    env.write_config(&format!(
        "notifiers:\n  ops:\n    plugin: webhook\n    url: {}\n    secretHeaders: {{ Authorization: {{ secret: OPS_TOKEN, prefix: \"Bearer \" }} }}\nplugins:\n  webhook:\n    grant:\n      http: [\"{}\"]\n      secrets: [OPS_TOKEN]\n",
        server.url("/hooks/T000/SECRETPATH"),
        server.host()
    ));
    let out = env
        .command()
        .env("OPS_TOKEN", "tok-very-secret")
        .args(["-vvv", "notify", "test"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some("Bearer tok-very-secret")
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        all.contains("POST http://127.0.0.1"),
        "the request is logged at -vvv: {all}"
    );
    assert!(
        !all.contains("tok-very-secret") && !all.contains("SECRETPATH"),
        "{all}"
    );
}

#[test]
fn doctor_checks_tools_config_and_agents_with_fixes() {
    let env = AoEnv::new();
    let repo = env.work().join("web");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    env.write_config("projects:\n  web:\n    path: web\n    agent: codex\n");
    // An empty PATH but for git and tmux: codex is missing, and it is required because a project uses it.
    let bin = env.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["git", "tmux"] {
        let real = String::from_utf8(
            std::process::Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        std::os::unix::fs::symlink(real.trim(), bin.join(tool)).unwrap();
    }
    let out = env
        .command()
        .env("PATH", &bin)
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", describe(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let check = |name: &str| {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(check("git")["ok"], true);
    assert_eq!(check("tmux")["ok"], true);
    assert_eq!(check("plugins")["ok"], true);
    assert_eq!(check("project web")["ok"], true);
    let codex = check("agent codex");
    assert_eq!(
        (codex["ok"].as_bool(), codex["required"].as_bool()),
        (Some(false), Some(true))
    );
    assert!(
        codex["fix"]
            .as_str()
            .unwrap()
            .contains("npm install -g @openai/codex")
    );
    // Claude Code is not used by any project: only a warning.
    assert_eq!(check("agent claude-code")["required"], false);
}
