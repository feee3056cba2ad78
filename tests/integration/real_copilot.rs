//! Copilot CLI — the real CLI from npm, pinned in tests/agent-clis.lock —
//! driven by the real `ao` binary through the whole story
//! (`real_story.rs`), an approval question read as needing input, and two
//! sessions that must not read each other's events.
//!
//! The temporary HOME is a user's after their first Copilot run with a
//! model provider of their own (BYOK, offline) and their checkout trusted;
//! ao's worktrees are git worktrees of it, which Copilot trusts with it.

use crate::real_story::{FOLLOW_UP, Story, script};
use crate::session_fixture::wait_for;
use ao_tests::agent_clis::Agent;
use ao_tests::model_server::{Script, Step};
use std::path::PathBuf;
use std::time::Duration;

fn copilot(permissions: &str, script: Script) -> Story {
    Story::new(Agent::Copilot, "copilot", permissions, script)
}

#[test]
fn copilot_spawn_work_send_restore_kill() {
    let story = copilot("bypass", script(40));
    let ws = story.spawn_and_work();
    // The settled state came from Copilot's own events file, which lives
    // in a directory named by the id ao chose.
    wait_for("ready from the events file", 30, || {
        let s = story.observed("web-1");
        s["activity"] == "ready" && s["activitySource"] == "transcript"
    });
    let s = story.observed("web-1");
    let id = s["agentSessionId"].as_str().expect("Copilot's session id");
    let events = s["transcriptPath"].as_str().expect("the events file");
    assert!(
        events.ends_with(&format!("/.copilot/session-state/{id}/events.jsonl")),
        "{events} is the events file of {id}"
    );
    assert!(
        s["costUsd"].as_f64().is_some_and(|c| c > 0.0),
        "cost kept: {s}"
    );
    assert!(
        s["summary"].as_str().is_some_and(|t| !t.is_empty()),
        "summary kept: {s}"
    );
    story.send_is_received("web-1", FOLLOW_UP, "FOLLOW-UP-7");
    story.restore_resumes_the_conversation("web-1");
    story.exit_and_kill("web-1", "/exit", &ws);
}

#[test]
fn copilot_asks_before_a_command_and_ao_says_it_needs_input() {
    let story = copilot(
        "default",
        Script::new().on(
            "TASK-ASK",
            [
                Step::shell("touch asked-first.txt"),
                Step::say("Created it."),
            ],
        ),
    );
    story.ao_ok(&["spawn", "--prompt", "TASK-ASK: run touch"]);
    let ws = story.workspace("web-1");
    let mut daemon = story.f.start_daemon(1);
    let mut last = serde_json::Value::Null;
    let seen = (0..450).any(|_| {
        last = story.observed("web-1");
        let asking = last["activity"] == "waiting_input" && last["status"] == "needs_input";
        if !asking {
            std::thread::sleep(Duration::from_millis(200));
        }
        asking
    });
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert!(
        seen,
        "not needs_input on Copilot's approval question: {last}\n{}",
        story.server.summary()
    );
    assert!(!ws.join("asked-first.txt").exists(), "nothing ran unasked");
}

#[test]
fn two_copilot_sessions_never_read_each_others_events() {
    let story = copilot(
        "bypass",
        Script::new()
            .on("TASK-ONE", [Step::say("One done.")])
            .on("TASK-TWO", [Step::say("Two done.")]),
    );
    for task in ["TASK-ONE: first", "TASK-TWO: second"] {
        story.ao_ok(&["spawn", "--prompt", task]);
    }
    wait_for("both sessions settled with their own events", 90, || {
        let all = story.status();
        all.len() == 2
            && all.iter().all(|s| {
                matches!(s["activity"].as_str(), Some("ready" | "idle"))
                    && s["agentSessionId"].is_string()
                    && s["transcriptPath"].is_string()
            })
    });
    let all = story.status();
    assert_ne!(all[0]["agentSessionId"], all[1]["agentSessionId"]);
    for s in &all {
        let file = PathBuf::from(s["transcriptPath"].as_str().unwrap());
        let text = std::fs::read_to_string(&file).unwrap();
        let (own, other) = if s["id"] == "web-1" {
            ("TASK-ONE", "TASK-TWO")
        } else {
            ("TASK-TWO", "TASK-ONE")
        };
        assert!(text.contains(own) && !text.contains(other), "{}", s["id"]);
    }
}
