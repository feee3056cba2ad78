//! Sessions end to end through the real `ao` binary (see [`crate::session_fixture`]).

use crate::session_fixture::{Fixture, eventually, git};
use ao_tests::AoEnv;
use ao_tests::ao_binary::describe;
use std::path::PathBuf;
use std::process::Command;

#[test]
fn spawn_work_send_and_kill() {
    let f = Fixture::new("");
    let out = f.ao(&["spawn", "--prompt", "Fix the README typo"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("spawned web-1 on session/web-1"),
        "{}",
        describe(&out)
    );

    let sessions = f.sessions();
    let s = &sessions[0];
    assert_eq!(
        (s["id"].as_str(), s["status"].as_str(), s["alive"].as_bool()),
        (Some("web-1"), Some("working"), Some(true))
    );
    let worktree = PathBuf::from(s["workspacePath"].as_str().unwrap());
    assert!(
        worktree.starts_with(f.env.dir.path().join("data/ao/worktrees/web")),
        "{}",
        worktree.display()
    );

    // The agent got the composed prompt and did the work in its worktree.
    eventually("the agent's commit", || {
        Command::new("git")
            .arg("-C")
            .arg(&worktree)
            .args(["log", "--oneline"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("agent: fix the README"))
            .unwrap_or(false)
    });
    let input = std::fs::read_to_string(worktree.join(".agent-input.txt")).unwrap();
    assert!(
        input.contains("Task:") && input.contains("Fix the README typo"),
        "{input}"
    );
    assert_eq!(
        git(&f.clone, &["rev-parse", "--abbrev-ref", "HEAD"]),
        "main",
        "the main checkout is untouched"
    );

    let out = f.ao(&["send", "web-1", "please", "add", "tests"]);
    assert!(out.status.success(), "{}", describe(&out));
    eventually("the message in the agent's input", || {
        std::fs::read_to_string(worktree.join(".agent-input.txt"))
            .unwrap_or_default()
            .contains("please add tests")
    });

    // The commit is not pushed: kill stops the agent but keeps the worktree.
    let out = f.ao(&["session", "kill", "web-1"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not pushed"),
        "{}",
        describe(&out)
    );
    assert!(worktree.exists());
    let s = &f.sessions()[0];
    assert_eq!(
        (s["status"].as_str(), s["alive"].as_bool()),
        (Some("killed"), Some(false))
    );
    assert!(
        f.ao(&["session", "ls", "--json"])
            .stdout
            .windows(5)
            .all(|w| w != b"web-1"),
        "killed sessions are hidden by default"
    );
}

#[test]
fn a_failing_post_create_rolls_back_and_is_recorded() {
    let f = Fixture::new("    postCreate: [\"echo setting up\", \"echo broken >&2; exit 7\"]\n");
    let out = f.ao(&["spawn", "--prompt", "anything"]);
    assert_eq!(out.status.code(), Some(4), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("postCreate") && stderr.contains("exit 7") && stderr.contains("broken"),
        "{stderr}"
    );
    let s = &f.sessions()[0];
    assert_eq!(s["status"], "errored");
    assert!(s["reason"].as_str().unwrap().contains("postCreate"));
    // Nothing half-made is left: no worktree, no branch, no tmux session.
    assert!(
        !f.env
            .dir
            .path()
            .join("data/ao/worktrees/web/web-1")
            .exists()
    );
    assert!(!git(&f.clone, &["branch", "--list"]).contains("session/web-1"));
    assert_eq!(s["alive"], false);
    // The next spawn gets a new id.
    let f2_out = f.ao(&["spawn", "--prompt", "again"]);
    assert!(
        String::from_utf8_lossy(&f2_out.stderr).contains("web-2"),
        "{}",
        describe(&f2_out)
    );
}

#[test]
fn bad_input_is_refused_before_anything_is_made() {
    let f = Fixture::new("");
    let out = f.ao(&["spawn", "--prompt", "x", "--agent", "no-such-agent"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no agent plugin named `no-such-agent`"));
    let out = f.ao(&["spawn", "--prompt", "x", "--project", "nope"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(f.sessions().is_empty(), "nothing was recorded");
    let out = f.ao(&["send", "web-9", "hi"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no session `web-9`"),
        "{}",
        describe(&out)
    );
}

#[test]
fn init_writes_a_config_that_loads_and_detects_the_default_branch() {
    let env = AoEnv::new();
    let root = env.dir.path();
    let origin = root.join("origin.git");
    git(
        root,
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "trunk",
            origin.to_str().unwrap(),
        ],
    );
    let clone = env.work().join("My_App");
    git(
        root,
        &[
            "clone",
            "-q",
            origin.to_str().unwrap(),
            clone.to_str().unwrap(),
        ],
    );
    git(
        &clone,
        &[
            "remote",
            "set-url",
            "origin",
            "git@github.com:acme/my-app.git",
        ],
    );
    let out = env
        .command()
        .current_dir(&clone)
        .args(["init"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let text = std::fs::read_to_string(clone.join("agent-orchestrator.yaml")).unwrap();
    for needle in [
        "  My_App:",
        "repo: acme/my-app",
        "defaultBranch: trunk",
        "sessionPrefix: ma",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    // A second run refuses to overwrite.
    let out = env
        .command()
        .current_dir(&clone)
        .args(["init"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    // Outside a repository: a clear error.
    let out = env
        .command()
        .current_dir(root)
        .args(["init"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not inside a git repository"),
        "{}",
        describe(&out)
    );
}

#[test]
fn reports_from_agents_show_in_status_and_the_screen_is_the_fallback() {
    // This agent reads its task, then asks a question; the custom plugin reads it off the screen.
    let f = Fixture::with_agent(
        Some(
            "[sh, -c, \"printf 'agent> '; read task; sleep 1; printf 'Overwrite? (y/n) '; sleep 30\"]",
        ),
        "",
    );
    let out = f.ao(&["spawn", "--prompt", "anything"]);
    assert!(out.status.success(), "{}", describe(&out));
    let status = |f: &Fixture| -> serde_json::Value {
        let out = f.ao(&["status", "--json"]);
        assert!(out.status.success(), "{}", describe(&out));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["sessions"][0].clone()
    };
    eventually("the question on screen", || {
        status(&f)["activity"] == "waiting_input"
    });
    assert_eq!(status(&f)["activitySource"], "terminal");
    // A hook report wins while it is fresh.
    let out = f.ao(&[
        "report",
        "ready",
        "--session",
        "web-1",
        "--note",
        "done for now",
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    let s = status(&f);
    assert_eq!(
        (s["activity"].as_str(), s["activitySource"].as_str()),
        (Some("ready"), Some("hook")),
        "{s}"
    );
    // From a hook, a report for an unknown session never fails the agent.
    assert!(
        f.ao(&["report", "ready", "--session", "web-77", "--from-hook"])
            .status
            .success()
    );
    assert_eq!(
        f.ao(&["report", "ready", "--session", "web-77"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn restore_after_the_tmux_session_is_killed_and_the_worktree_removed() {
    let f = Fixture::new("");
    assert!(
        f.ao(&["spawn", "--prompt", "Fix the README typo"])
            .status
            .success()
    );
    let worktree = PathBuf::from(
        f.sessions()[0]["workspacePath"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    eventually("the agent's commit", || {
        Command::new("git")
            .arg("-C")
            .arg(&worktree)
            .args(["log", "--oneline"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("agent: fix"))
            .unwrap_or(false)
    });
    // Running sessions are not restored.
    assert_eq!(
        f.ao(&["session", "restore", "web-1"]).status.code(),
        Some(1)
    );
    // The agent's tmux session dies and, worse, the worktree is deleted.
    let _ = Command::new("tmux")
        .args(["-L", "ao-test", "kill-session", "-t", "=web-1"])
        .env("TMUX_TMPDIR", &f.tmux_dir)
        .output();
    std::fs::remove_dir_all(&worktree).unwrap();
    let out = f.ao(&["session", "restore", "web-1"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("restored web-1 (restored with a fresh agent)"),
        "{}",
        describe(&out)
    );
    // The worktree is back on the session's branch, with the agent's commit, and the agent got its task again.
    assert_eq!(
        git(&worktree, &["rev-parse", "--abbrev-ref", "HEAD"]),
        "session/web-1"
    );
    assert!(git(&worktree, &["log", "--oneline"]).contains("agent: fix"));
    eventually("the task delivered again", || {
        std::fs::read_to_string(worktree.join(".agent-input.txt"))
            .unwrap_or_default()
            .contains("Resumed after an interruption")
    });
    let s = &f.sessions()[0];
    assert_eq!(
        (s["status"].as_str(), s["alive"].as_bool()),
        (Some("working"), Some(true))
    );
}

#[test]
fn send_waits_while_the_agent_is_busy_and_restores_a_dead_session_first() {
    let f = Fixture::new("");
    assert!(f.ao(&["spawn", "--prompt", "first task"]).status.success());
    let worktree = PathBuf::from(
        f.sessions()[0]["workspacePath"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    let input = || std::fs::read_to_string(worktree.join(".agent-input.txt")).unwrap_or_default();

    // The agent's hook says it is working: a send waits, and gives up with advice.
    assert!(
        f.ao(&["report", "working", "--session", "web-1"])
            .status
            .success()
    );
    let out = f.ao(&["send", "--timeout", "1", "web-1", "too early"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("still busy") && stderr.contains("--no-wait"),
        "{stderr}"
    );
    assert!(!input().contains("too early"), "nothing was typed");

    // It finishes its turn while a send waits: the message goes in then.
    let reporter = {
        let mut cmd = f.env.command();
        cmd.env("AO_TMUX_SOCKET", "ao-test")
            .env("TMUX_TMPDIR", &f.tmux_dir);
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(1500));
            cmd.args(["report", "ready", "--session", "web-1"])
                .output()
                .unwrap()
        })
    };
    let out = f.ao(&["send", "--timeout", "30", "web-1", "after the turn"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(reporter.join().unwrap().status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("waited"),
        "{}",
        describe(&out)
    );
    eventually("the message to arrive", || {
        input().contains("after the turn")
    });

    // The agent's session is gone: send restores it, then delivers.
    let _ = Command::new("tmux")
        .args(["-L", "ao-test", "kill-session", "-t", "=web-1"])
        .env("TMUX_TMPDIR", &f.tmux_dir)
        .output();
    let out = f.ao(&["send", "web-1", "are you back?"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("restored web-1 first"));
    eventually("the message to reach the restored agent", || {
        input().contains("are you back?")
    });
}

#[test]
fn a_missing_tmux_is_named_with_the_install_command_and_nothing_is_made() {
    let f = Fixture::new("");
    let mut cmd = f.env.command();
    // Only the shell utilities git2 does not need: no tmux anywhere.
    let empty = f.env.dir.path().join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    cmd.env("PATH", &empty)
        .args(["spawn", "--prompt", "anything"]);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("tmux is not installed") && stderr.contains("apt-get install tmux"),
        "{stderr}"
    );
    assert!(f.sessions().is_empty(), "no session recorded");
    assert!(!f.env.dir.path().join("data/ao/worktrees/web").exists());
}

#[test]
fn status_watch_redraws_until_interrupted() {
    let f = Fixture::new("");
    assert!(f.ao(&["spawn", "--prompt", "first task"]).status.success());
    let mut cmd = f.env.command();
    cmd.env("AO_TMUX_SOCKET", "ao-test")
        .env("TMUX_TMPDIR", &f.tmux_dir)
        .args(["status", "--watch", "--interval", "1"])
        .stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
        text
    });
    std::thread::sleep(std::time::Duration::from_millis(2500));
    child.kill().unwrap();
    child.wait().unwrap();
    let text = reader.join().unwrap();
    assert!(text.matches("web-1").count() >= 2, "redrawn:\n{text}");
    // Not a terminal: no screen-clearing escapes in the output.
    assert!(!text.contains("\x1b[2J"), "{text:?}");
}
