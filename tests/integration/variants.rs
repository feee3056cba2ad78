//! The other runtime and workspace kinds through the real `ao` binary: the
//! `process` runtime (a PTY per session under its own supervisor, re-adopted
//! by later commands and daemons) and the `clone` workspace.

use crate::session_fixture::{Fixture, eventually, git};
use ao_tests::ao_binary::describe;
use std::path::PathBuf;

fn only_session(f: &Fixture) -> serde_json::Value {
    f.sessions().into_iter().next().expect("a session")
}

#[test]
fn the_process_runtime_runs_agents_without_tmux_and_outlives_the_commands_that_started_them() {
    let f = Fixture::new("    runtime: process\n");
    let out = f.ao(&["spawn", "--prompt", "Fix the README typo"]);
    assert!(out.status.success(), "{}", describe(&out));
    let s = only_session(&f);
    assert_eq!(
        (s["runtime"].as_str(), s["alive"].as_bool()),
        (Some("process"), Some(true)),
        "{s}"
    );
    let worktree = PathBuf::from(s["workspacePath"].as_str().unwrap());
    // The task was typed into the PTY and the agent acted on it.
    eventually("the agent to commit", || {
        git(&worktree, &["log", "--format=%s"]).contains("agent: fix the README")
    });
    // Each `ao` command is a new process: the session was re-adopted by
    // `send`, which found the supervisor through its socket.
    let out = f.ao(&["send", "web-1", "please add tests"]);
    assert!(out.status.success(), "{}", describe(&out));
    eventually("the message to arrive", || {
        std::fs::read_to_string(worktree.join(".agent-input.txt"))
            .is_ok_and(|t| t.contains("please add tests"))
    });
    let status: serde_json::Value =
        serde_json::from_slice(&f.ao(&["status", "--json"]).stdout).unwrap();
    assert_eq!(status["sessions"][0]["alive"], true);

    // Killing it ends the supervisor and removes its socket.
    let socket = f.env.dir.path().join("data/ao/runtime/web-1.sock");
    assert!(socket.exists());
    let out = f.ao(&["session", "kill", "web-1", "--force"]);
    assert!(out.status.success(), "{}", describe(&out));
    eventually("the socket to go", || !socket.exists());
    assert_eq!(f.sessions()[0]["alive"], false);
    // Restore brings it back in the same runtime (an ended session only
    // when asked to reopen it).
    let out = f.ao(&["session", "restore", "web-1"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--reopen"));
    let out = f.ao(&["session", "restore", "web-1", "--reopen"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(only_session(&f)["alive"], true);
    assert!(
        f.ao(&["session", "kill", "web-1", "--force"])
            .status
            .success()
    );
}

#[test]
fn a_clone_workspace_is_an_independent_repository_on_its_own_branch() {
    let f = Fixture::new("    workspace: clone\n");
    let out = f.ao(&["spawn", "--prompt", "Fix the README typo"]);
    assert!(out.status.success(), "{}", describe(&out));
    let s = only_session(&f);
    let clone = PathBuf::from(s["workspacePath"].as_str().unwrap());
    // A full repository of its own (not a worktree's `.git` file).
    assert!(clone.join(".git").is_dir());
    assert_eq!(git(&clone, &["branch", "--show-current"]), "session/web-1");
    eventually("the agent to commit", || {
        git(&clone, &["log", "--format=%s"]).contains("agent: fix the README")
    });
    // The project's checkout knows nothing of it.
    assert!(!git(&f.clone, &["worktree", "list"]).contains("web-1"));
    // Unpushed work keeps the clone unless forced.
    let out = f.ao(&["session", "kill", "web-1"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kept the workspace"));
    assert!(clone.exists());
}

#[test]
fn config_schema_describes_the_file_and_config_check_names_the_bad_line() {
    let f = Fixture::new("");
    let out = f.ao(&["config", "schema"]);
    assert!(out.status.success(), "{}", describe(&out));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(schema["properties"]["projects"].is_object());
    assert!(schema["properties"]["maxConcurrentSessions"]["description"].is_string());

    let out = f.ao(&["config", "check"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid (1 project(s)"));

    let bad = Fixture::new("    runtime: screen\n");
    let out = bad.ao(&["config", "check"]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("agent-orchestrator.yaml:") && stderr.contains("runtime"),
        "{stderr}"
    );
}
