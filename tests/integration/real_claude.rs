//! Claude Code — the real CLI from npm, pinned in tests/agent-clis.lock —
//! driven by the real `ao` binary in real tmux and git, talking to the
//! scripted model server on 127.0.0.1. Nothing here is a stand-in but the
//! model.
//!
//! The temporary HOME is set up as a user's would be after their first
//! Claude Code run (onboarding done, their API key accepted, their checkout
//! trusted): ao must get every session past the rest by itself — the trust
//! of a new worktree, the bypass-permissions warning, the root check.

use crate::real_story::{FOLLOW_UP, Story, script};
use crate::session_fixture::wait_for;
use ao_tests::agent_clis::Agent;
use ao_tests::model_server::{Script, Step};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn claude(permissions: &str, script: Script) -> Story {
    Story::new(Agent::Claude, "claude-code", permissions, script)
}

fn transcripts(home: &Path) -> Vec<PathBuf> {
    let root = home.join(".claude/projects");
    std::fs::read_dir(&root)
        .into_iter()
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).into_iter().flatten())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect()
}

#[test]
fn claude_code_spawn_work_send_restore_kill() {
    let story = claude("bypass", script(40));
    let ws = story.spawn_and_work();

    // The settled state came from Claude Code's Stop hook.
    wait_for("ready from the Stop hook", 30, || {
        let s = story.observed("web-1");
        s["activity"] == "ready" && s["activitySource"] == "hook"
    });
    // ao chose Claude Code's session id: its transcript is this session's.
    let s = story.observed("web-1");
    let agent_session = s["agentSessionId"]
        .as_str()
        .expect("the agent's session id");
    let files = transcripts(&story.f.env.home());
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].file_stem().unwrap(), agent_session);
    assert!(
        s["costUsd"].as_f64().is_some_and(|c| c > 0.0),
        "cost kept: {s}"
    );
    assert!(
        s["summary"].as_str().is_some_and(|t| !t.is_empty()),
        "summary kept: {s}"
    );
    // ao's hook settings are there, and git does not see them.
    assert!(ws.join(".claude/settings.local.json").exists());

    story.send_is_received("web-1", FOLLOW_UP, "FOLLOW-UP-7");
    story.restore_resumes_the_conversation("web-1");
    story.exit_and_kill("web-1", "/exit", &ws);
}

#[test]
fn claude_code_asks_permission_and_ao_says_it_needs_input() {
    let story = claude(
        "default",
        Script::new().on(
            "TASK-ASK",
            [
                Step::shell("touch asked-first.txt"),
                Step::say("Created it."),
            ],
        ),
    );
    let f = &story.f;
    story.ao_ok(&["spawn", "--prompt", "TASK-ASK: run touch"]);
    let ws = story.workspace("web-1");
    // The daemon turns the activity into the session's status.
    let mut daemon = f.start_daemon(1);
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
        "not needs_input on the permission prompt: {last}\n{}",
        story.server.summary()
    );
    assert!(
        !ws.join("asked-first.txt").exists(),
        "nothing ran before the answer"
    );
}

#[test]
fn two_claude_sessions_never_read_each_others_transcript() {
    let story = claude(
        "bypass",
        Script::new()
            .on("TASK-ONE", [Step::say("One done.")])
            .on("TASK-TWO", [Step::say("Two done.")]),
    );
    for task in ["TASK-ONE: first", "TASK-TWO: second"] {
        story.ao_ok(&["spawn", "--prompt", task]);
    }
    wait_for("both sessions ready with their own ids", 60, || {
        let all = story.status();
        all.len() == 2
            && all
                .iter()
                .all(|s| s["activity"] == "ready" && s["agentSessionId"].is_string())
    });
    let all = story.status();
    assert_ne!(all[0]["agentSessionId"], all[1]["agentSessionId"]);
    for s in &all {
        let transcript = PathBuf::from(s["transcriptPath"].as_str().expect("pinned"));
        let text = std::fs::read_to_string(&transcript).unwrap();
        let own = if s["id"] == "web-1" {
            "TASK-ONE"
        } else {
            "TASK-TWO"
        };
        let other = if own == "TASK-ONE" {
            "TASK-TWO"
        } else {
            "TASK-ONE"
        };
        assert!(text.contains(own) && !text.contains(other), "{}", s["id"]);
        assert!(
            transcript
                .to_string_lossy()
                .contains(s["agentSessionId"].as_str().unwrap())
        );
    }
}
