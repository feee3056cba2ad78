//! Sessions end to end through the real `ao` binary: real git (a bare origin
//! and a clone), real tmux on an isolated socket, and a scripted agent that
//! behaves like a coding CLI (shows a prompt, reads its task, edits, commits).

use ao_tests::AoEnv;
use ao_tests::ao_binary::describe;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The stand-in coding agent: prompt, read lines, act on the task, repeat.
const AGENT: &str = r#"#!/bin/sh
printf 'agent> '
while IFS= read -r line; do
  printf '%s\n' "$line" >> .agent-input.txt
  case "$line" in
    *"Fix the README"*) echo "fixed" >> README.md; git add README.md; git commit -qm "agent: fix the README"; echo "committed";;
  esac
  printf 'agent> '
done
"#;

struct Fixture {
    env: AoEnv,
    clone: PathBuf,
    tmux_dir: PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", "ao-test", "kill-server"])
            .env("TMUX_TMPDIR", &self.tmux_dir)
            .output();
    }
}

impl Fixture {
    fn new(extra_project_yaml: &str) -> Fixture {
        Fixture::with_agent(None, extra_project_yaml)
    }

    /// `agent_command`: a YAML list replacing the scripted agent.
    fn with_agent(agent_command: Option<&str>, extra_project_yaml: &str) -> Fixture {
        let env = AoEnv::new();
        let root = env.dir.path();
        let origin = root.join("origin.git");
        let clone = root.join("web");
        git(
            root,
            &[
                "init",
                "-q",
                "--bare",
                "-b",
                "main",
                origin.to_str().unwrap(),
            ],
        );
        git(
            root,
            &[
                "clone",
                "-q",
                origin.to_str().unwrap(),
                clone.to_str().unwrap(),
            ],
        );
        for (k, v) in [("user.name", "dev"), ("user.email", "dev@example.com")] {
            git(&clone, &["config", k, v]);
        }
        std::fs::write(clone.join("README.md"), "hello\n").unwrap();
        git(&clone, &["add", "."]);
        git(&clone, &["commit", "-q", "-m", "first"]);
        git(&clone, &["push", "-q", "origin", "main"]);
        let agent = root.join("fake-agent.sh");
        std::fs::write(&agent, AGENT).unwrap();
        let command = agent_command
            .map(str::to_string)
            .unwrap_or_else(|| format!("[sh, {}]", agent.display()));
        env.write_config(&format!(
            "projects:\n  web:\n    path: {}\n    sessionPrefix: web\n    agent: custom\n    agentConfig:\n      command: {command}\n{extra_project_yaml}",
            clone.display(),
        ));
        let tmux_dir = root.join("tmux");
        std::fs::create_dir_all(&tmux_dir).unwrap();
        Fixture {
            env,
            clone,
            tmux_dir,
        }
    }

    fn ao(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = self.env.command();
        // The worktree's commits need an identity; HOME is isolated.
        cmd.env("AO_TMUX_SOCKET", "ao-test")
            .env("TMUX_TMPDIR", &self.tmux_dir)
            .env("GIT_AUTHOR_NAME", "agent")
            .env("GIT_AUTHOR_EMAIL", "agent@example.com")
            .env("GIT_COMMITTER_NAME", "agent")
            .env("GIT_COMMITTER_EMAIL", "agent@example.com");
        cmd.args(args).output().unwrap()
    }

    fn sessions(&self) -> Vec<serde_json::Value> {
        let out = self.ao(&["session", "ls", "--all", "--json"]);
        assert!(out.status.success(), "{}", describe(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["sessions"].as_array().unwrap().clone()
    }
}

fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

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
fn the_daemon_serves_sessions_notices_exits_and_stops_without_killing_sessions() {
    let f = Fixture::new("");
    assert!(
        f.ao(&["spawn", "--prompt", "Fix the README typo"])
            .status
            .success()
    );
    let mut daemon = {
        let mut cmd = f.env.command();
        cmd.env("AO_TMUX_SOCKET", "ao-test")
            .env("TMUX_TMPDIR", &f.tmux_dir)
            .args(["start", "--port", "0", "--interval", "1"]);
        cmd.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let info = f.env.dir.path().join("data/ao/daemon.json");
    eventually("the daemon to listen", || info.exists());
    let port = serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&info).unwrap())
        .unwrap()["port"]
        .as_u64()
        .unwrap();
    let get = |path: &str| -> serde_json::Value {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port as u16)).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap()
    };
    assert_eq!(get("/api/health")["ok"], true);
    assert_eq!(get("/api/sessions")["sessions"][0]["id"], "web-1");

    // One daemon per data directory.
    let out = f.ao(&["start", "--port", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already running"),
        "{}",
        describe(&out)
    );

    // The agent's process ends: the lifecycle loop records it within a cycle or two.
    let _ = Command::new("tmux")
        .args(["-L", "ao-test", "send-keys", "-t", "=web-1:", "C-d"])
        .env("TMUX_TMPDIR", &f.tmux_dir)
        .output();
    eventually("the exit to be recorded", || {
        get("/api/sessions")["sessions"][0]["activity"] == "exited"
    });

    let out = f.ao(&["stop"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(daemon.wait().unwrap().success());
    assert!(!info.exists());
    // Stopping the daemon left the tmux server and its session in place.
    let sessions = Command::new("tmux")
        .args(["-L", "ao-test", "list-sessions", "-F", "#{session_name}"])
        .env("TMUX_TMPDIR", &f.tmux_dir)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&sessions.stdout).contains("web-1"));
    assert_eq!(
        f.ao(&["stop"]).status.code(),
        Some(1),
        "not running any more"
    );
}
