//! OpenCode — the real CLI from npm, pinned in tests/agent-clis.lock —
//! driven by the real `ao` binary through the whole story (`real_story.rs`),
//! and its permission question seen as needs_input.

use crate::real_story::{Story, script};
use ao_tests::agent_clis::Agent;
use ao_tests::model_server::{Script, Step};
use serde_json::Value;
use std::time::Duration;

fn opencode(permissions: &str, script: Script) -> Story {
    Story::new(Agent::OpenCode, "opencode", permissions, script)
}

#[test]
fn opencode_spawn_work_send_restore_kill() {
    opencode("bypass", script(40)).run("/exit");
}

#[test]
fn opencode_asks_permission_and_ao_says_it_needs_input() {
    let story = opencode(
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
    let mut last = Value::Null;
    // OpenCode's first turn takes a while (start-up, snapshot, title).
    let seen = (0..600).any(|_| {
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
        "not needs_input on OpenCode's permission question: {last}\n{}",
        story.server.summary()
    );
    assert!(!ws.join("asked-first.txt").exists(), "nothing ran unasked");
    // ao's bridge plugin inside OpenCode named this session's own id (what
    // a restore continues with `-s`).
    let s = story.observed("web-1");
    let id = s["agentSessionId"].as_str().expect("OpenCode's session id");
    assert!(id.starts_with("ses_"), "{s}");
    let record = std::fs::read_to_string(ws.join(".ao-opencode/events.jsonl")).unwrap();
    assert!(record.contains(id), "{record}");
}
