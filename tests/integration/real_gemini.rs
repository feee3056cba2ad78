//! Gemini CLI — the real CLI from npm, pinned in tests/agent-clis.lock —
//! driven by the real `ao` binary through the whole story
//! (`real_story.rs`), its approval box read as needing input, and two
//! sessions of one project that must not read each other's session file.
//!
//! The temporary HOME is a user's after their first Gemini run (API-key
//! auth chosen, the checkout trusted): the trust of each new worktree is
//! ao's job (`--skip-trust`).

use crate::real_story::{FOLLOW_UP, Story, script};
use crate::session_fixture::wait_for;
use ao_tests::agent_clis::Agent;
use ao_tests::model_server::{Script, Step};
use std::path::PathBuf;
use std::time::Duration;

fn gemini(permissions: &str, script: Script) -> Story {
    Story::new(Agent::Gemini, "gemini", permissions, script)
}

#[test]
fn gemini_spawn_work_send_restore_kill() {
    let story = gemini("bypass", script(40));
    let ws = story.spawn_and_work();
    // The session file ao settled on is this session's: Gemini names it by
    // the first 8 characters of the id ao chose.
    wait_for("Gemini's session file pinned", 30, || {
        story.observed("web-1")["transcriptPath"].is_string()
    });
    let s = story.observed("web-1");
    let id = s["agentSessionId"].as_str().expect("Gemini's session id");
    let file = s["transcriptPath"].as_str().unwrap();
    assert!(
        file.contains("/.gemini/tmp/web-1/chats/session-")
            && file.ends_with(&format!("-{}.jsonl", &id[..8])),
        "{file} is the session file of {id}"
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
    story.exit_and_kill("web-1", "/quit", &ws);
}

#[test]
fn gemini_asks_before_a_command_and_ao_says_it_needs_input() {
    let story = gemini(
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
        "not needs_input on Gemini's approval box: {last}\n{}",
        story.server.summary()
    );
    assert!(!ws.join("asked-first.txt").exists(), "nothing ran unasked");
}

#[test]
fn two_gemini_sessions_never_read_each_others_session_file() {
    let story = gemini(
        "bypass",
        Script::new()
            .on("TASK-ONE", [Step::say("One done.")])
            .on("TASK-TWO", [Step::say("Two done.")]),
    );
    for task in ["TASK-ONE: first", "TASK-TWO: second"] {
        story.ao_ok(&["spawn", "--prompt", task]);
    }
    wait_for("both sessions settled with their own files", 90, || {
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
        assert!(text.contains(s["agentSessionId"].as_str().unwrap()));
    }
}
