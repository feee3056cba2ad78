//! The story every real agent CLI must get through when ao drives it: the
//! real `ao` binary, real tmux and git, the CLI pinned in
//! tests/agent-clis.lock, and the scripted model server on 127.0.0.1 as the
//! only stand-in.
//!
//! spawn with a task → the model receives it → the agent edits a file with
//! its own tool and commits → ao sees it settle (ready/idle) → `ao send` is
//! received by the model (submitted, not just typed) → the terminal dies →
//! `ao session restore` resumes the agent's own session (the next request
//! carries the earlier conversation) → the agent exits and ao sees it →
//! `ao session kill` removes the workspace.
//!
//! Each agent's file (`real_claude.rs`, `real_codex.rs`, …) runs the steps
//! in this order and adds what only that agent has.

use crate::session_fixture::{Fixture, git, wait_for};
use ao_tests::agent_clis::{Agent, bin_dir, offline_env};
use ao_tests::ao_binary::describe;
use ao_tests::model_server::{ModelServer, Script, Step};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The task of the story: the markers the model server answers to.
pub const TASK: &str = "TASK-HELLO: add hello.txt";
pub const FOLLOW_UP: &str = "FOLLOW-UP-7: also mention it in the README";
pub const AFTER_RESTORE: &str = "AFTER-RESTORE: where were we?";

/// The model's side of the story: write and commit on the task, a short
/// answer to the follow-ups. `slow_ms` paces the stream so ao can watch the
/// agent work.
pub fn script(slow_ms: u64) -> Script {
    Script::new()
        .on(
            "TASK-HELLO",
            [
                Step::write_file("hello.txt", "hello from the agent\n"),
                Step::shell(
                    "git add hello.txt && git commit -qm 'Add hello.txt' && git push -q -u origin HEAD",
                ),
                Step::say("Added hello.txt, committed and pushed."),
            ],
        )
        .on("FOLLOW-UP-7", [Step::say("Noted: follow-up 7.")])
        .on("AFTER-RESTORE", [Step::say("Back, with the history.")])
        .slow(slow_ms)
}

/// One project on a real agent CLI, and the model server it talks to.
pub struct Story {
    pub f: Fixture,
    pub server: ModelServer,
    pub agent: Agent,
    /// Held for the story's life (dropped last, after the fixture's
    /// sessions are gone): see [`one_real_agent_at_a_time`].
    _turn: MutexGuard<'static, ()>,
}

/// Real agent CLIs are heavy (a Node or Python runtime each, a TUI redrawn
/// at 60 fps): on a 2-core CI machine two stories at once starve each
/// other's screens and model turns. One runs at a time; the lighter tests
/// keep the other test thread busy.
pub fn one_real_agent_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    // A story that failed poisons the lock; the next one may still run.
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How long a real agent gets for one step (OpenCode takes 15–18 s a turn).
const STEP_S: u64 = 90;

impl Story {
    /// A project whose agent is `plugin` (ao's name) running the real
    /// `agent`, with `permissions` as given. The temporary HOME is set up as
    /// a user's would be after their first run of the CLI (onboarding done,
    /// the key accepted, the checkout trusted); everything a new worktree
    /// needs beyond that is ao's job.
    pub fn new(agent: Agent, plugin: &str, permissions: &str, script: Script) -> Story {
        let turn = one_real_agent_at_a_time();
        let server = ModelServer::start(script);
        let mut f = Fixture::new("");
        agent.binary(); // fails, naming the install script, when missing
        f.path_prefix = Some(bin_dir());
        f.env.write_config(&format!(
            "projects:\n  web:\n    path: {}\n    sessionPrefix: web\n    agent: {plugin}\n    permissions: {permissions}\n",
            f.clone.display()
        ));
        let home = f.env.home();
        // The agent's own variables; HOME, PATH and the XDG dirs stay ao's.
        let env = offline_env(agent, &home, &[f.clone.as_path()], &server);
        // ao hands its XDG dirs to the agent (so hooks find ao's data): a
        // CLI that follows XDG (OpenCode) looks for its config there.
        copy_tree(&home.join(".config"), &f.env.xdg_config());
        f.extra_env.extend(
            env.into_iter()
                .filter(|(k, _)| k != "HOME" && k != "PATH" && !k.starts_with("XDG_")),
        );
        Story {
            f,
            server,
            agent,
            _turn: turn,
        }
    }

    /// `ao status --json --all`'s sessions.
    pub fn status(&self) -> Vec<Value> {
        let out = self.f.ao(&["status", "--json", "--all"]);
        assert!(out.status.success(), "{}", describe(&out));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["sessions"].as_array().unwrap().clone()
    }

    /// What `ao status` says of one session.
    pub fn observed(&self, id: &str) -> Value {
        self.status()
            .into_iter()
            .find(|s| s["id"] == id)
            .unwrap_or_default()
    }

    pub fn workspace(&self, id: &str) -> PathBuf {
        let stored = self.f.sessions().into_iter().find(|s| s["id"] == id);
        PathBuf::from(
            stored.unwrap_or_default()["workspacePath"]
                .as_str()
                .expect("a workspace"),
        )
    }

    /// Runs `ao` and asserts it succeeded; its stdout.
    pub fn ao_ok(&self, args: &[&str]) -> String {
        let out = self.f.ao(args);
        assert!(out.status.success(), "{}", describe(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// What the agent's terminal shows now (for failure messages).
    pub fn screen(&self, id: &str) -> String {
        let out = std::process::Command::new("tmux")
            .args([
                "-L",
                "ao-test",
                "capture-pane",
                "-p",
                "-t",
                &format!("={id}:"),
            ])
            .env("TMUX_TMPDIR", &self.f.tmux_dir)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    /// Waits for the model to receive a user message containing `marker`;
    /// the logged request.
    pub fn model_receives(&self, marker: &str) -> ao_tests::model_server::Logged {
        self.server
            .wait_for_user_message(marker, Duration::from_secs(STEP_S))
            .unwrap_or_else(|e| {
                panic!(
                    "{e}\n{}\nweb-1's screen:\n{}",
                    self.server.summary(),
                    self.screen("web-1")
                )
            })
    }

    /// Waits until ao sees the agent settled after a turn.
    pub fn wait_settled(&self, id: &str) -> Value {
        let mut last = Value::Null;
        let settled = (0..STEP_S * 5).any(|_| {
            last = self.observed(id);
            let done = matches!(last["activity"].as_str(), Some("ready" | "idle"));
            if !done {
                std::thread::sleep(Duration::from_millis(200));
            }
            done
        });
        assert!(
            settled,
            "{id} not ready or idle after its turn: {last}\nscreen:\n{}",
            self.screen(id)
        );
        last
    }

    /// spawn → task received → hello.txt written and committed → settled.
    pub fn spawn_and_work(&self) -> PathBuf {
        self.ao_ok(&["spawn", "--prompt", TASK]);
        let ws = self.workspace("web-1");
        self.model_receives("TASK-HELLO");
        wait_for(
            &format!("hello.txt written and committed by {:?}", self.agent),
            STEP_S,
            || {
                // Committed, whatever the message: Aider commits its edits
                // itself, with a message of its own.
                ws.join("hello.txt").exists()
                    && !git(&ws, &["log", "--format=%H", "--", "hello.txt"])
                        .trim()
                        .is_empty()
            },
        );
        self.wait_settled("web-1");
        assert_eq!(
            git(&ws, &["status", "--porcelain", "--untracked-files=all"]),
            "",
            "ao's own files stay out of git's sight in the worktree"
        );
        ws
    }

    /// `ao send` delivered and submitted: the model gets the message.
    pub fn send_is_received(&self, id: &str, message: &str, marker: &str) {
        self.ao_ok(&["send", id, message]);
        self.model_receives(marker);
        self.wait_settled(id);
    }

    /// The terminal dies under the agent; restore resumes the agent's own
    /// session: the next message reaches the model with the first task in
    /// the conversation.
    pub fn restore_resumes_the_conversation(&self, id: &str) {
        let _ = std::process::Command::new("tmux")
            .args(["-L", "ao-test", "kill-session", "-t", &format!("={id}")])
            .env("TMUX_TMPDIR", &self.f.tmux_dir)
            .output();
        let out = self.ao_ok(&["session", "restore", id]);
        assert!(out.contains("resumed the agent's session"), "{out}");
        let sent = self.ao_ok(&["send", id, AFTER_RESTORE]);
        eprintln!("restore: {out}\nsend: {sent}");
        let request = self.model_receives("AFTER-RESTORE");
        assert!(
            request.body.to_string().contains("TASK-HELLO"),
            "the resumed conversation holds the first task: {}",
            request.body
        );
        self.wait_settled(id);
    }

    /// The agent is told to quit (`exit_command`, typed as a user would) and
    /// ao sees it gone; then `ao session kill` removes the workspace.
    pub fn exit_and_kill(&self, id: &str, exit_command: &str, ws: &std::path::Path) {
        self.ao_ok(&["send", id, exit_command]);
        wait_for(&format!("{id}'s exit seen"), 30, || {
            let s = self.observed(id);
            s["activity"] == "exited" || s["alive"] == false
        });
        let out = self.f.ao(&["session", "kill", id]);
        assert!(out.status.success(), "{}", describe(&out));
        assert!(!ws.exists(), "workspace removed: {}", describe(&out));
    }

    /// The whole story, in order.
    pub fn run(&self, exit_command: &str) {
        let ws = self.spawn_and_work();
        self.send_is_received("web-1", FOLLOW_UP, "FOLLOW-UP-7");
        self.restore_resumes_the_conversation("web-1");
        self.exit_and_kill("web-1", exit_command, &ws);
    }
}

/// Copies the files under `from` into `to` (directories made as needed).
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(from) else {
        return;
    };
    std::fs::create_dir_all(to).unwrap();
    for entry in entries {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
