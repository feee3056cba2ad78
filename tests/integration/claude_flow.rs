//! The claude-code agent plugin end to end, with a stand-in `claude`
//! (tests/fixtures/bin/claude) that behaves like the real CLI: it runs the
//! hooks ao installs in the workspace, writes its transcript under
//! ~/.claude/projects, commits, and resumes with `--resume <id>`.

use crate::session_fixture::{Fixture, eventually, git};
use ao_tests::ao_binary::describe;
use std::path::{Path, PathBuf};
use std::process::Command;

fn claude_fixture() -> Fixture {
    let mut f = Fixture::new("");
    f.path_prefix = Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bin"));
    f.env.write_config(&format!(
        "projects:\n  web:\n    path: {}\n    sessionPrefix: web\n    agent: claude-code\n",
        f.clone.display()
    ));
    f
}

fn session(f: &Fixture, id: &str) -> serde_json::Value {
    let out = f.ao(&["status", "--json", "--all"]);
    assert!(out.status.success(), "{}", describe(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
        .unwrap_or_default()
}

#[test]
fn hooks_report_the_agents_state_and_the_transcript_gives_its_session_for_resume() {
    let f = claude_fixture();
    let out = f.ao(&["spawn", "--prompt", "Fix the README typo"]);
    assert!(out.status.success(), "{}", describe(&out));
    let s = session(&f, "web-1");
    let worktree = PathBuf::from(s["workspacePath"].as_str().unwrap());
    assert!(
        worktree.join(".claude/settings.local.json").exists(),
        "hooks installed"
    );

    // The Stop hook ran `ao report ready`: the hook is the source.
    eventually("the Stop hook's report", || {
        let s = session(&f, "web-1");
        s["activity"] == "ready" && s["activitySource"] == "hook"
    });
    assert!(git(&worktree, &["log", "--format=%s"]).contains("claude: "));
    // The transcript named the agent's own session, kept for resuming it.
    let transcripts = f.env.home().join(".claude/projects");
    let agent_session = std::fs::read_dir(&transcripts)
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .and_then(|p| Some(p.file_stem()?.to_string_lossy().into_owned()))
        .expect("a transcript");
    eventually("the agent's session id", || {
        session(&f, "web-1")["agentSessionId"] == agent_session.as_str()
    });

    // Its terminal is killed: restore resumes the agent's own session.
    let _ = Command::new("tmux")
        .args(["-L", "ao-test", "kill-session", "-t", "=web-1"])
        .env("TMUX_TMPDIR", &f.tmux_dir)
        .output();
    let out = f.ao(&["session", "restore", "web-1"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("resumed the agent's session"));
    eventually("claude --resume", || {
        std::fs::read_to_string(worktree.join(".resumed-with")).is_ok_and(|id| id == agent_session)
    });
}

#[test]
fn without_hooks_the_transcript_tells_the_state() {
    let f = claude_fixture();
    let out = f.ao(&["spawn", "--prompt", "Fix the README typo (no-hooks)"]);
    assert!(out.status.success(), "{}", describe(&out));
    eventually("the transcript's end of turn", || {
        let s = session(&f, "web-1");
        s["activity"] == "ready" && s["activitySource"] == "transcript"
    });
    assert!(session(&f, "web-1")["reportedActivity"].is_null());
}
