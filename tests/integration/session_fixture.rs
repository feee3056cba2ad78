//! The session fixture: an isolated HOME with a real git project (a bare
//! origin and a clone), real tmux on an isolated socket, and a scripted agent
//! that behaves like a coding CLI (shows a prompt, reads its task, edits, commits).

use ao_tests::AoEnv;
use ao_tests::ao_binary::describe;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The stand-in coding agent: prompt, read lines, act on the task, repeat.
pub const AGENT: &str = r#"#!/bin/sh
printf 'agent> '
while IFS= read -r line; do
  printf '%s\n' "$line" >> .agent-input.txt
  case "$line" in
    *"Fix the README"*) echo "fixed" >> README.md; git add README.md; git commit -qm "agent: fix the README"; echo "committed";;
  esac
  printf 'agent> '
done
"#;

/// The PR loop's agent stand-in: does its task when a line of the prompt
/// contains `task_marker` (commit, push), makes CI pass when told it
/// failed, adds docs when asked for changes; records all it is told in
/// `.agent-input.txt`.
pub fn pushing_agent(task_marker: &str) -> String {
    format!(
        r#"#!/bin/sh
printf 'agent> '
while IFS= read -r line; do
  printf '%s\n' "$line" >> .agent-input.txt
  case "$line" in
    *"{task_marker}"*) echo "work" >> README.md; git add README.md; git commit -qm "agent: redirect fix"; git push -q -u origin HEAD 2>/dev/null; echo pushed;;
    *"CI failed"*) echo ok > fixed.txt; git add fixed.txt; git commit -qm "agent: make CI pass"; git push -q origin HEAD 2>/dev/null; echo fixed;;
    *"asked for changes"*) echo docs > docs.txt; git add docs.txt; git commit -qm "agent: add docs"; git push -q origin HEAD 2>/dev/null; echo addressed;;
  esac
  printf 'agent> '
done
"#
    )
}

pub struct Fixture {
    pub env: AoEnv,
    pub clone: PathBuf,
    pub tmux_dir: PathBuf,
    /// Put first on `ao`'s PATH (stand-in agent CLIs).
    pub path_prefix: Option<PathBuf>,
    /// More environment for `ao` (secrets such as GITHUB_TOKEN).
    pub extra_env: Vec<(String, String)>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // Agents that ignore the hangup (Gemini CLI's node processes) outlive
        // the server: their process groups (a pane's pid) are ended too.
        let panes = Command::new("tmux")
            .args(["-L", "ao-test", "list-panes", "-a", "-F"])
            .arg("#{pane_dead} #{pane_pid}")
            .env("TMUX_TMPDIR", &self.tmux_dir)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let _ = Command::new("tmux")
            .args(["-L", "ao-test", "kill-server"])
            .env("TMUX_TMPDIR", &self.tmux_dir)
            .output();
        for pid in panes.lines().filter_map(|l| l.strip_prefix("0 ")) {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .output();
        }
        // PTY supervisors outlive every command by design: end this
        // fixture's (by the pids they recorded, if still theirs).
        let runtime = self.env.dir.path().join("data/ao/runtime");
        for entry in std::fs::read_dir(runtime).into_iter().flatten().flatten() {
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            let Ok(state) = serde_json::from_str::<serde_json::Value>(&text) else {
                continue;
            };
            if let Some(pid) = state["supervisor_pid"].as_u64()
                && std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).contains("runtime-supervisor"))
            {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
                if let Some(program) = state["pid"].as_u64() {
                    let _ = Command::new("kill")
                        .args(["-KILL", "--", &format!("-{program}")])
                        .status();
                }
            }
        }
    }
}

impl Fixture {
    /// Commit subjects on `origin/<branch>` (after a fetch): what the agent pushed.
    pub fn origin_log(&self, branch: &str) -> String {
        let _ = Command::new("git")
            .arg("-C")
            .arg(&self.clone)
            .args(["fetch", "-q", "origin"])
            .output();
        Command::new("git")
            .arg("-C")
            .arg(&self.clone)
            .args(["log", "--format=%s", &format!("origin/{branch}")])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    pub fn new(extra_project_yaml: &str) -> Fixture {
        Fixture::with_agent(None, extra_project_yaml)
    }

    /// `agent_command`: a YAML list replacing the scripted agent.
    pub fn with_agent(agent_command: Option<&str>, extra_project_yaml: &str) -> Fixture {
        let env = AoEnv::new();
        let root = env.dir.path();
        let origin = root.join("origin.git");
        let clone = root.join("web");
        git(
            root,
            &[
                "init",
                "-q",
                "--bare",
                "-b",
                "main",
                origin.to_str().unwrap(),
            ],
        );
        git(
            root,
            &[
                "clone",
                "-q",
                origin.to_str().unwrap(),
                clone.to_str().unwrap(),
            ],
        );
        for (k, v) in [("user.name", "dev"), ("user.email", "dev@example.com")] {
            git(&clone, &["config", k, v]);
        }
        std::fs::write(clone.join("README.md"), "hello\n").unwrap();
        git(&clone, &["add", "."]);
        git(&clone, &["commit", "-q", "-m", "first"]);
        git(&clone, &["push", "-q", "origin", "main"]);
        let agent = root.join("fake-agent.sh");
        std::fs::write(&agent, AGENT).unwrap();
        let command = agent_command
            .map(str::to_string)
            .unwrap_or_else(|| format!("[sh, {}]", agent.display()));
        env.write_config(&format!(
            "projects:\n  web:\n    path: {}\n    sessionPrefix: web\n    agent: custom\n    agentConfig:\n      command: {command}\n{extra_project_yaml}",
            clone.display(),
        ));
        let tmux_dir = root.join("tmux");
        std::fs::create_dir_all(&tmux_dir).unwrap();
        Fixture {
            env,
            clone,
            tmux_dir,
            path_prefix: None,
            extra_env: Vec::new(),
        }
    }

    pub fn ao(&self, args: &[&str]) -> std::process::Output {
        self.command(args).output().unwrap()
    }

    /// `ao ARGS` in this fixture's environment, not yet started (for
    /// commands run in parallel or killed midway).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = self.env.command();
        // The worktree's commits need an identity; HOME is isolated.
        cmd.env("AO_TMUX_SOCKET", "ao-test")
            .env("TMUX_TMPDIR", &self.tmux_dir)
            .env("GIT_AUTHOR_NAME", "agent")
            .env("GIT_AUTHOR_EMAIL", "agent@example.com")
            .env("GIT_COMMITTER_NAME", "agent")
            .env("GIT_COMMITTER_EMAIL", "agent@example.com");
        cmd.envs(self.extra_env.iter().map(|(k, v)| (k, v)));
        if let Some(prefix) = &self.path_prefix {
            let path = std::env::var("PATH").unwrap_or_default();
            cmd.env("PATH", format!("{}:{path}", prefix.display()));
        }
        cmd.args(args);
        cmd
    }

    /// ao's data directory in this fixture.
    pub fn data(&self) -> PathBuf {
        self.env.dir.path().join("data/ao")
    }

    /// `ao start` in this fixture's environment, a cycle every
    /// `interval_s` seconds, its log in `daemon.log` (see [`Fixture::daemon_log`]).
    pub fn start_daemon(&self, interval_s: u64) -> std::process::Child {
        let mut cmd = self.env.command();
        cmd.env("AO_TMUX_SOCKET", "ao-test")
            .env("TMUX_TMPDIR", &self.tmux_dir)
            .env("AO_LOG", "warn,ao=info")
            .envs(self.extra_env.iter().map(|(k, v)| (k, v)))
            .args([
                "start",
                "--port",
                "0",
                "--interval",
                &interval_s.to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(self.env.dir.path().join("daemon.log")).unwrap());
        cmd.spawn().unwrap()
    }

    pub fn daemon_log(&self) -> String {
        std::fs::read_to_string(self.env.dir.path().join("daemon.log")).unwrap_or_default()
    }

    pub fn sessions(&self) -> Vec<serde_json::Value> {
        let out = self.ao(&["session", "ls", "--all", "--json"]);
        assert!(out.status.success(), "{}", describe(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["sessions"].as_array().unwrap().clone()
    }
}

pub fn eventually(what: &str, check: impl FnMut() -> bool) {
    wait_for(what, 10, check);
}

/// Polls `check` until it holds, failing the test after `secs` seconds.
pub fn wait_for(what: &str, secs: u64, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
