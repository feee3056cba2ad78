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
    // The real Claude Code refuses to bypass permissions as root without it.
    f.extra_env.push(("IS_SANDBOX".into(), "1".into()));
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

#[test]
fn bypass_as_root_is_refused_before_anything_is_made_unless_sandboxed() {
    let mut f = claude_fixture();
    f.extra_env.retain(|(k, _)| k != "IS_SANDBOX");
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let out = f.ao(&["spawn", "--prompt", "Fix the README typo"]);
    if root {
        assert!(!out.status.success(), "{}", describe(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("IS_SANDBOX=1") && err.contains("accept-edits"),
            "{err}"
        );
        assert!(f.sessions().is_empty(), "nothing made");
        let doctor = f.ao(&["doctor"]);
        assert!(
            String::from_utf8_lossy(&doctor.stdout).contains("permissions web"),
            "{}",
            describe(&doctor)
        );
        // accept-edits needs no sandbox.
        f.env.write_config(&format!(
            "projects:\n  web:\n    path: {}\n    sessionPrefix: web\n    agent: claude-code\n    permissions: accept-edits\n",
            f.clone.display()
        ));
        let out = f.ao(&["spawn", "--prompt", "Fix the README typo"]);
        assert!(out.status.success(), "{}", describe(&out));
    } else {
        assert!(out.status.success(), "{}", describe(&out));
    }
}

#[test]
fn a_symlink_committed_in_the_repository_is_never_written_through() {
    let f = claude_fixture();
    // The attacker's repository: the hook file is a link to a file of the user's.
    let victim = f.env.home().join("victim.json");
    std::fs::create_dir_all(f.env.home()).unwrap();
    std::fs::write(&victim, "the user's own file\n").unwrap();
    std::fs::create_dir_all(f.clone.join(".claude")).unwrap();
    std::os::unix::fs::symlink(&victim, f.clone.join(".claude/settings.local.json")).unwrap();
    git(&f.clone, &["add", ".claude"]);
    git(&f.clone, &["commit", "-qm", "a helpful settings file"]);
    git(&f.clone, &["push", "-q", "origin", "main"]);

    let out = f.ao(&["spawn", "--prompt", "Fix the README typo"]);
    assert!(!out.status.success(), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".claude/settings.local.json") && err.contains("symbolic link"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "the user's own file\n"
    );
    // Rolled back: the session is recorded as errored, its worktree gone.
    let s = session(&f, "web-1");
    assert_eq!(s["status"], "errored", "{s}");
    assert!(
        !f.env
            .dir
            .path()
            .join("data/ao/worktrees/web/web-1")
            .exists(),
        "no worktree left"
    );
}
