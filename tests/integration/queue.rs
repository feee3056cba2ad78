//! Batch spawning under `maxConcurrentSessions`, duplicate refusal, and
//! cleanup, through the real `ao` binary.

use crate::session_fixture::{Fixture, eventually};
use ao_tests::ao_binary::describe;
use std::process::Command;

fn by_id(f: &Fixture, id: &str) -> serde_json::Value {
    f.sessions()
        .into_iter()
        .find(|s| s["id"] == id)
        .unwrap_or_default()
}

#[test]
fn batch_spawn_queues_over_the_limit_refuses_duplicates_and_starts_queued_tasks_as_slots_free() {
    let f = Fixture::new("maxConcurrentSessions: 2\n");
    let out = f.ao(&["batch-spawn", "1", "2", "3", "2"]);
    assert!(out.status.success(), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "issue 1: started web-1 on feat/issue-1",
        "issue 2: started web-2 on feat/issue-2",
        "issue 3: queued (position 1)",
        "issue 2: skipped (listed twice)",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }

    // A task already running, or already queued, is refused with who has it.
    let out = f.ao(&["spawn", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already being worked on by web-1"));
    let out = f.ao(&["spawn", "3"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("queue entry"));

    let status: serde_json::Value =
        serde_json::from_slice(&f.ao(&["status", "--json"]).stdout).unwrap();
    assert_eq!(status["sessions"].as_array().unwrap().len(), 2);
    assert_eq!(status["queued"][0]["issueId"], "3");

    // Ending a session frees a slot: the queued task starts at once.
    let out = f.ao(&["session", "kill", "web-1", "--force"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("started queued task as web-3"));
    let s = by_id(&f, "web-3");
    assert_eq!(
        (
            s["issueId"].as_str(),
            s["branch"].as_str(),
            s["alive"].as_bool()
        ),
        (Some("3"), Some("feat/issue-3"), Some(true))
    );
    assert!(s["prompt"].as_str().unwrap().contains("issue #3"));
    let status: serde_json::Value =
        serde_json::from_slice(&f.ao(&["status", "--json"]).stdout).unwrap();
    assert!(status["queued"].as_array().unwrap().is_empty());

    // Over the limit, a single spawn queues too.
    let out = f.ao(&["spawn", "--prompt", "tidy the docs"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("queued (position 1"));
}

#[test]
fn cleanup_ends_sessions_whose_agent_is_gone_and_keeps_the_rest() {
    let f = Fixture::new("");
    assert!(f.ao(&["batch-spawn", "7", "8"]).status.success());
    // web-2's agent dies with its tmux session.
    let _ = Command::new("tmux")
        .args(["-L", "ao-test", "kill-session", "-t", "=web-2"])
        .env("TMUX_TMPDIR", &f.tmux_dir)
        .output();
    eventually("web-2 to be seen as gone", || {
        by_id(&f, "web-2")["alive"] == false
    });

    let out = f.ao(&["session", "cleanup", "--dry-run"]);
    assert!(out.status.success(), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("would clean up web-2 (runtime_dead)"),
        "{stdout}"
    );
    assert!(!stdout.contains("web-1"), "{stdout}");
    assert_eq!(
        by_id(&f, "web-2")["status"],
        "working",
        "a dry run changes nothing"
    );

    let out = f.ao(&["session", "cleanup"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("cleaned up web-2 (runtime_dead)"));
    // The agent left uncommitted files: the workspace is kept, and the user told.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("kept the workspace") && stderr.contains("--force"),
        "{stderr}"
    );
    let s = by_id(&f, "web-2");
    assert_eq!(
        (s["status"].as_str(), s["reason"].as_str()),
        (Some("cleanup"), Some("runtime_dead"))
    );
    assert!(std::path::Path::new(s["workspacePath"].as_str().unwrap()).exists());
    assert_eq!(by_id(&f, "web-1")["status"], "working");
    // Its issue is free again, but the kept workspace still holds the
    // branch: a new spawn names it rather than clobbering the work.
    let out = f.ao(&["spawn", "8"]);
    assert!(!out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("branch `feat/issue-8` already exists"),
        "{}",
        describe(&out)
    );
    assert_eq!(by_id(&f, "web-3")["status"], "errored");
}
