//! Codex — the real CLI from npm, pinned in tests/agent-clis.lock — driven
//! by the real `ao` binary through the whole story (`real_story.rs`), and
//! two sessions at once that must not read each other's rollout.

use crate::real_story::{Story, script};
use crate::session_fixture::wait_for;
use ao_tests::agent_clis::Agent;
use ao_tests::model_server::{Script, Step};
use std::path::PathBuf;

fn codex(permissions: &str, script: Script) -> Story {
    Story::new(Agent::Codex, "codex", permissions, script)
}

#[test]
fn codex_spawn_work_send_restore_kill() {
    let story = codex("bypass", script(40));
    let ws = story.spawn_and_work();
    // The rollout ao pinned is this session's, and names Codex's own id.
    let s = story.observed("web-1");
    let id = s["agentSessionId"].as_str().expect("Codex's session id");
    let rollout = s["transcriptPath"].as_str().expect("the pinned rollout");
    assert!(rollout.contains(id), "{rollout} is the rollout of {id}");
    story.send_is_received("web-1", crate::real_story::FOLLOW_UP, "FOLLOW-UP-7");
    story.restore_resumes_the_conversation("web-1");
    story.exit_and_kill("web-1", "/exit", &ws);
}

#[test]
fn codex_asks_before_an_escalated_command_and_ao_says_it_needs_input() {
    let story = codex(
        "default",
        Script::new().on(
            "TASK-ASK",
            [
                Step::ask_permission("touch asked-first.txt"),
                Step::say("Created it."),
            ],
        ),
    );
    story.ao_ok(&["spawn", "--prompt", "TASK-ASK: run touch"]);
    let ws = story.workspace("web-1");
    let mut daemon = story.f.start_daemon(1);
    let mut last = serde_json::Value::Null;
    let seen = (0..300).any(|_| {
        last = story.observed("web-1");
        let asking = last["activity"] == "waiting_input" && last["status"] == "needs_input";
        if !asking {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        asking
    });
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert!(
        seen,
        "not needs_input on Codex's approval prompt: {last}\n{}",
        story.server.summary()
    );
    assert!(!ws.join("asked-first.txt").exists(), "nothing ran unasked");
}

#[test]
fn two_codex_sessions_never_read_each_others_rollout() {
    let story = codex(
        "bypass",
        Script::new()
            .on("TASK-ONE", [Step::say("One done.")])
            .on("TASK-TWO", [Step::say("Two done.")]),
    );
    for task in ["TASK-ONE: first", "TASK-TWO: second"] {
        story.ao_ok(&["spawn", "--prompt", task]);
    }
    story.model_receives("TASK-ONE");
    story.model_receives("TASK-TWO");
    wait_for("both sessions settled with their own ids", 90, || {
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
        let rollout = PathBuf::from(s["transcriptPath"].as_str().unwrap());
        let text = std::fs::read_to_string(&rollout).unwrap();
        let (own, other) = if s["id"] == "web-1" {
            ("TASK-ONE", "TASK-TWO")
        } else {
            ("TASK-TWO", "TASK-ONE")
        };
        assert!(text.contains(own) && !text.contains(other), "{}", s["id"]);
    }
}
