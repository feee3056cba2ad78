//! Aider — the real CLI from PyPI, pinned in tests/agent-clis.lock — driven
//! by the real `ao` binary through the whole story (`real_story.rs`), a
//! multi-line task arriving as one message, and its shell-command question
//! seen as needs_input.
//!
//! Aider commits its edits itself (with a message of its own) and never
//! runs a shell command unasked, so its story's task only writes the file,
//! and the branch is pushed with Aider's `/run`.

use crate::real_story::{FOLLOW_UP, Story};
use crate::session_fixture::{git, wait_for};
use ao_tests::agent_clis::Agent;
use ao_tests::model_server::{Script, Step};
use serde_json::Value;
use std::time::Duration;

fn aider(permissions: &str, script: Script) -> Story {
    Story::new(Agent::Aider, "aider", permissions, script)
}

fn story_script() -> Script {
    Script::new()
        .on(
            "TASK-HELLO",
            [
                Step::write_file("hello.txt", "hello from the agent\n"),
                Step::say("Added hello.txt."),
            ],
        )
        .on("FOLLOW-UP-7", [Step::say("Noted: follow-up 7.")])
        .on("AFTER-RESTORE", [Step::say("Back, with the history.")])
        .slow(40)
}

#[test]
fn aider_spawn_work_send_restore_kill() {
    let story = aider("bypass", story_script());
    let ws = story.spawn_and_work();
    // Aider has no session id: the history ao keeps for it stands for one.
    let s = story.observed("web-1");
    assert_eq!(
        s["agentSessionId"].as_str(),
        Some(".aider.ao/chat.history.md"),
        "{s}"
    );
    story.send_is_received("web-1", FOLLOW_UP, "FOLLOW-UP-7");
    story.restore_resumes_the_conversation("web-1");
    // Aider commits but does not push; its `/run` does, as a user would.
    story.ao_ok(&["send", "web-1", "/run git push -q -u origin HEAD"]);
    let head = git(&ws, &["rev-parse", "HEAD"]);
    wait_for("the branch pushed through Aider's /run", 60, || {
        git(&ws, &["ls-remote", "--heads", "origin"]).contains(&head)
    });
    story.wait_settled("web-1");
    story.exit_and_kill("web-1", "/exit", &ws);
}

#[test]
fn aider_takes_a_multi_line_task_as_one_message() {
    let story = aider(
        "bypass",
        Script::new().on("TASK-ML", [Step::say("All three lines read.")]),
    );
    story.ao_ok(&[
        "spawn",
        "--prompt",
        "TASK-ML: first line\nsecond line\nthird line",
    ]);
    let request = story.model_receives("TASK-ML");
    let text = request.user_text.unwrap_or_default();
    assert!(
        text.contains("second line") && text.contains("third line"),
        "one message with every line: {text:?}"
    );
    story.wait_settled("web-1");
    // No line of it went to the model as a turn of its own.
    for r in story.server.requests().into_iter().filter(|r| !r.side) {
        let turn = r.user_text.unwrap_or_default();
        assert!(turn.contains("TASK-ML"), "a turn of its own: {turn:?}");
    }
}

#[test]
fn aider_asks_before_a_shell_command_and_ao_says_it_needs_input() {
    let story = aider(
        "default",
        Script::new().on(
            "TASK-ASK",
            [Step::shell("touch asked-first.txt"), Step::say("Run it.")],
        ),
    );
    story.ao_ok(&["spawn", "--prompt", "TASK-ASK: run touch"]);
    let ws = story.workspace("web-1");
    let mut daemon = story.f.start_daemon(1);
    let mut last = Value::Null;
    let seen = (0..300).any(|_| {
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
        "not needs_input on Aider's question: {last}\n{}",
        story.server.summary()
    );
    assert!(!ws.join("asked-first.txt").exists(), "nothing ran unasked");
}
