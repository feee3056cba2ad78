//! Each failure of issue 15, reproduced: a process killed at a chosen
//! moment, or the same command many times at once. Each test failed before
//! ao recorded intent before effect, locked what must be done once, and
//! checked reality.

use crate::crash_audit::{self, audit, kill9, rows, use_prefix};
use crate::session_fixture::{Fixture, eventually, wait_for};
use ao_tests::ao_binary::describe;
use std::process::{Command, Output, Stdio};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs the same command `n` times at once; their outputs.
fn at_once(f: &Fixture, n: usize, args: impl Fn(usize) -> Vec<String>) -> Vec<Output> {
    let children: Vec<_> = (0..n)
        .map(|i| {
            let args = args(i);
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            f.command(&refs)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

fn assert_clean(f: &Fixture, prefix: &str, process: bool) {
    let found = audit(f, prefix, process);
    assert!(found.is_clean(), "{found:#?}");
}

/// Failure 1: A spawn killed while its workspace is being prepared is rolled back
/// by the next command, which then gets the issue (and its branch) afresh.
#[test]
fn a_spawn_killed_midway_is_rolled_back_and_the_issue_can_be_spawned_again() {
    let f = Fixture::new("    postCreate: [\"sleep 3\"]\n");
    let mut spawn = f
        .command(&["spawn", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed while postCreate runs: the worktree and branch exist.
    let worktree = f.data().join("worktrees/web/web-1");
    wait_for("the workspace", 20, || worktree.join(".git").exists());
    std::thread::sleep(std::time::Duration::from_millis(500));
    kill9(&mut spawn);

    // Any later command finishes the job: here the same spawn again.
    let out = f.ao(&["spawn", "1"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stderr(&out).contains("web-1: rolled back"),
        "{}",
        describe(&out)
    );
    let sessions = rows(&f);
    assert_eq!(sessions[0].status, "errored");
    let reason = sessions[0].reason.clone().unwrap();
    assert!(
        reason.contains("spawn interrupted") && reason.contains("`prepare`"),
        "{reason}"
    );
    assert_eq!(sessions[1].status, "working");
    assert_eq!(sessions[1].branch.as_deref(), Some("feat/issue-1"));
    assert!(!worktree.exists());
    assert_eq!(crash_audit::events(&f, "session.rolled_back"), 1);
    // The postCreate shell the killed spawn left finishes on its own.
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_clean(&f, "web", false);
}

/// Failure 1: With the process runtime, a spawn killed while waiting to type the
/// task leaves a running agent and its supervisor: the next command ends
/// both and removes the worktree and the branch.
#[test]
fn a_spawn_killed_before_the_prompt_leaves_no_supervisor_agent_or_worktree() {
    let f = Fixture::with_agent(Some("[sh, -c, \"sleep 60\"]"), "    runtime: process\n");
    // Unique to this run: supervisors are found among all processes.
    let prefix = format!("rcp{}", std::process::id());
    let id = format!("{prefix}-1");
    use_prefix(&f, &prefix);
    let mut spawn = f
        .command(&["spawn", "--prompt", "never typed"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed while it waits for the agent (which never shows a prompt).
    wait_for("the agent's supervisor", 20, || {
        crash_audit::supervisors(&prefix).contains(&id)
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    kill9(&mut spawn);

    let out = f.ao(&["status"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stderr(&out).contains(&format!("{id}: rolled back")),
        "{}",
        describe(&out)
    );
    eventually("the supervisor to end", || {
        crash_audit::supervisors(&prefix).is_empty()
    });
    assert_eq!(rows(&f)[0].status, "errored");
    assert_clean(&f, &prefix, true);
}

/// Failure 1: A spawn killed after its agent got the task on its command
/// line (while ao waits to see it start) is adopted, not rolled back: the
/// agent runs with its task, so the session is live.
#[test]
fn a_spawn_killed_after_the_agent_got_its_task_is_adopted() {
    let f = Fixture::new("      promptArg: --message\n");
    // Silent for 3 s, then it records its task and shows a prompt.
    std::fs::write(
        f.env.dir.path().join("fake-agent.sh"),
        "#!/bin/sh\nsleep 3\nprintf '%s\\n' \"$2\" > .agent-task.txt\nprintf 'agent> '\nwhile IFS= read -r l; do printf 'agent> '; done\n",
    )
    .unwrap();
    let mut spawn = f
        .command(&["spawn", "--prompt", "inline task"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the agent's tmux session", 20, || {
        crash_audit::tmux_sessions(&f).contains("web-1")
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(spawn.try_wait().unwrap().is_none(), "the spawn still waits");
    kill9(&mut spawn);

    let out = f.ao(&["status"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stderr(&out).contains("web-1: adopted"),
        "{}",
        describe(&out)
    );
    let session = &rows(&f)[0];
    assert_eq!(session.status, "working");
    assert!(
        session.reason.as_deref().unwrap().starts_with("adopted"),
        "{session:?}"
    );
    let task = f.data().join("worktrees/web/web-1/.agent-task.txt");
    eventually("the agent to show its task", || {
        std::fs::read_to_string(&task).is_ok_and(|t| t.contains("inline task"))
    });
    assert_clean(&f, "web", false);
}

/// Failure 1: A kill killed while ending the agent is finished by the next command,
/// which knows the workspace and the branch from what the spawn recorded.
#[test]
fn a_kill_killed_midway_is_finished_by_the_next_command() {
    // The agent ignores SIGHUP, so ending it takes the supervisor's grace.
    let f = Fixture::with_agent(
        Some(
            "[sh, -c, \"trap '' HUP; printf 'agent> '; while read l; do printf 'agent> '; done\"]",
        ),
        "    runtime: process\n",
    );
    // Unique to this run: supervisors are found among all processes.
    let prefix = format!("rck{}", std::process::id());
    let id = format!("{prefix}-1");
    use_prefix(&f, &prefix);
    let out = f.ao(&["spawn", "--prompt", "task"]);
    assert!(out.status.success(), "{}", describe(&out));
    let mut kill = f
        .command(&["session", "kill", &id, "--force"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Killed while the agent gets its 2 s to end.
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert!(
        kill.try_wait().unwrap().is_none(),
        "the kill is still running"
    );
    kill9(&mut kill);

    let out = f.ao(&["session", "ls", "--all"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stderr(&out).contains(&format!("{id}: killed")),
        "{}",
        describe(&out)
    );
    eventually("the supervisor to end", || {
        crash_audit::supervisors(&prefix).is_empty()
    });
    assert_eq!(rows(&f)[0].status, "killed");
    assert_clean(&f, &prefix, true);
    assert!(crash_audit::supervisors(&prefix).is_empty());
}

/// Failure 2: An empty `ao.db` is not a new installation: refused with the way out;
/// `ao doctor` says so; the daemon's health reports it; `ao doctor --repair`
/// makes a database that never reuses a live session's id.
#[test]
fn an_empty_database_is_refused_reported_and_repaired_without_reusing_ids() {
    let f = Fixture::new("");
    assert!(f.ao(&["spawn", "--prompt", "first"]).status.success());
    let mut daemon = f.start_daemon(1);
    let info = f.data().join("daemon.json");
    eventually("the daemon to listen", || info.exists());
    let port = serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&info).unwrap())
        .unwrap()["port"]
        .as_u64()
        .unwrap() as u16;
    let health = || {
        ureq::get(&format!("http://127.0.0.1:{port}/api/health"))
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .map(|mut r| {
                (
                    r.status().as_u16(),
                    r.body_mut().read_to_string().unwrap_or_default(),
                )
            })
            .unwrap_or((0, String::new()))
    };
    eventually("a healthy daemon", || health().0 == 200);

    std::fs::write(f.data().join("ao.db"), b"").unwrap();
    wait_for("the daemon to report the database", 15, || {
        let (code, body) = health();
        code == 503 && body.contains("empty")
    });
    kill9(&mut daemon);

    let out = f.ao(&["status"]);
    assert_eq!(out.status.code(), Some(4), "{}", describe(&out));
    let err = stderr(&out);
    assert!(
        err.contains("empty") && err.contains("ao doctor --repair"),
        "{err}"
    );
    let out = f.ao(&["spawn", "--prompt", "second"]);
    assert_ne!(
        out.status.code(),
        Some(0),
        "no spawn on a damaged database: {}",
        describe(&out)
    );
    let out = f.ao(&["doctor"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("✗ state database"),
        "{}",
        describe(&out)
    );

    let out = f.ao(&["doctor", "--repair"]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("kept as") && text.contains("web-2"), "{text}");
    let out = f.ao(&["spawn", "--prompt", "second"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("spawned web-2"),
        "{}",
        describe(&out)
    );
}

/// Failure 3: Eight commands on a new data directory at once, five times: every one
/// succeeds (one creates the database, the others wait for it); and `ao
/// start` with `ao spawn` at the same moment.
#[test]
fn first_use_of_a_data_directory_by_many_commands_at_once_always_succeeds() {
    let f = Fixture::new("");
    // Plugins compiled once, so the rounds race on the database alone.
    assert!(f.ao(&["plugin", "ls"]).status.success());
    let mut failed = Vec::new();
    for round in 0..10 {
        let _ = std::fs::remove_dir_all(f.data());
        let outs = at_once(&f, 8, |_| vec!["status".into()]);
        failed.extend(
            outs.iter()
                .filter(|o| !o.status.success())
                .map(|o| format!("round {round}: {}", describe(o))),
        );
    }
    assert!(
        failed.is_empty(),
        "{} of 80 failed: {failed:#?}",
        failed.len()
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&f.data().join("ao.db")), 0o600);
    assert_eq!(mode(&f.data()), 0o700);
    let f = Fixture::new("");
    let mut daemon = f.start_daemon(1);
    let out = f.ao(&["spawn", "--prompt", "at once"]);
    assert!(out.status.success(), "{}", describe(&out));
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        daemon.try_wait().unwrap().is_none(),
        "the daemon runs: {}",
        f.daemon_log()
    );
    kill9(&mut daemon);
}

/// Failure 4: Ten `ao send` to one session at once: each message arrives whole, on
/// its own line, none glued to another, no empty submissions.
#[test]
fn parallel_sends_to_one_session_arrive_whole_one_after_another() {
    let f = Fixture::new("");
    assert!(f.ao(&["spawn", "--prompt", "listen"]).status.success());
    let input = f.data().join("worktrees/web/web-1/.agent-input.txt");
    eventually("the task", || input.exists());
    std::thread::sleep(std::time::Duration::from_millis(500));
    let before = std::fs::read_to_string(&input).unwrap().lines().count();
    let outs = at_once(&f, 10, |i| {
        vec![
            "send".into(),
            "--timeout".into(),
            "60".into(),
            "web-1".into(),
            format!("msg{i}"),
        ]
    });
    for out in &outs {
        assert!(out.status.success(), "{}", describe(out));
    }
    eventually("all ten messages", || {
        std::fs::read_to_string(&input).is_ok_and(|t| t.lines().count() >= before + 10)
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    let text = std::fs::read_to_string(&input).unwrap();
    let mut got: Vec<&str> = text.lines().skip(before).collect();
    got.sort();
    let mut want: Vec<String> = (0..10).map(|i| format!("msg{i}")).collect();
    want.sort();
    assert_eq!(
        got, want,
        "every message once, whole, nothing else:\n{text}"
    );
}

/// Failure 5: A worktree deleted by hand is noticed: the session is
/// `workspace_lost` with the fix, `send` refuses, and `restore` re-creates
/// the worktree from the branch and starts the agent in it.
#[test]
fn a_worktree_deleted_by_hand_is_noticed_and_restored_from_the_branch() {
    let f = Fixture::new("");
    assert!(
        f.ao(&["spawn", "--prompt", "Fix the README"])
            .status
            .success()
    );
    let worktree = f.data().join("worktrees/web/web-1");
    eventually("the agent's commit", || {
        crate::session_fixture::git(&worktree, &["log", "--format=%s"]).contains("agent: fix")
    });
    std::fs::remove_dir_all(&worktree).unwrap();

    let out = f.ao(&["status"]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("workspace_lost"), "{text}");
    assert!(
        text.contains("ao session restore web-1"),
        "the fix is shown: {text}"
    );
    let out = f.ao(&["send", "web-1", "hello?"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(stderr(&out).contains("restore"), "{}", describe(&out));

    let out = f.ao(&["session", "restore", "web-1"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(crate::session_fixture::git(&worktree, &["log", "--format=%s"]).contains("agent: fix"));
    assert_eq!(rows(&f)[0].status, "working");
    eventually("the agent running in the new worktree", || {
        worktree.join(".agent-input.txt").exists()
    });
    assert_clean(&f, "web", false);
}

/// Failure 6: Twelve spawns of one issue at once: one wins, the other eleven are
/// refused naming the winner, and no errored session is left behind.
#[test]
fn twelve_parallel_spawns_of_one_issue_have_one_winner() {
    let f = Fixture::new("");
    assert!(f.ao(&["status"]).status.success());
    let outs = at_once(&f, 12, |_| vec!["spawn".into(), "1".into()]);
    let won = outs.iter().filter(|o| o.status.success()).count();
    assert_eq!(
        won,
        1,
        "{:#?}",
        outs.iter().map(describe).collect::<Vec<_>>()
    );
    for out in outs.iter().filter(|o| !o.status.success()) {
        assert_eq!(out.status.code(), Some(1), "{}", describe(out));
        let err = stderr(out);
        assert!(err.contains("already being worked on by web-1"), "{err}");
        assert!(
            err.contains("ao send web-1"),
            "the hint names the winner: {err}"
        );
    }
    let sessions = rows(&f);
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0].status, "working");
    assert_clean(&f, "web", false);
}

/// Failure 7: Two repositories share the data directory: a task queued in one is
/// kept (and shown) when ao runs in the other, and the other's limit counts
/// only agents that really run.
#[test]
fn another_repositorys_queue_is_kept_and_the_limit_counts_what_runs() {
    let f = Fixture::new("");
    let a = f.env.work().join("agent-orchestrator.yaml");
    let yaml = std::fs::read_to_string(&a).unwrap();
    f.env
        .write_config(&format!("maxConcurrentSessions: 1\n{yaml}"));
    assert!(f.ao(&["spawn", "--prompt", "a running"]).status.success());
    let out = f.ao(&["spawn", "--prompt", "a queued"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("queued"),
        "{}",
        describe(&out)
    );
    // A dead agent of repository A: its session still open, its slot free.
    let _ = Command::new("tmux")
        .args(["-L", "ao-test", "kill-session", "-t", "=web-1"])
        .env("TMUX_TMPDIR", &f.tmux_dir)
        .output();

    // Repository B: its own config (same project name), the same data dir.
    let b_dir = f.env.dir.path().join("repo-b");
    std::fs::create_dir_all(&b_dir).unwrap();
    let b = b_dir.join("agent-orchestrator.yaml");
    std::fs::write(
        &b,
        format!(
            "maxConcurrentSessions: 1\n{}",
            yaml.replace("sessionPrefix: web", "sessionPrefix: bb")
        ),
    )
    .unwrap();
    assert!(f.ao(&["trust", b.to_str().unwrap()]).status.success());
    let in_b = |args: &[&str]| {
        let mut full = vec!["--config", b.to_str().unwrap()];
        full.extend_from_slice(args);
        f.ao(&full)
    };
    // B's commands (which drain the queue) never drop A's entry.
    let out = in_b(&["session", "cleanup"]);
    assert!(out.status.success(), "{}", describe(&out));
    let out = in_b(&["spawn", "--prompt", "b task"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("spawned bb-"),
        "A's dead agent does not count against the limit: {}",
        describe(&out)
    );
    let status = |args: &[&str]| -> serde_json::Value {
        serde_json::from_slice(&in_b(args).stdout).unwrap()
    };
    let own = status(&["status", "--json"]);
    assert_eq!(own["queued"].as_array().unwrap().len(), 0);
    assert_eq!(own["otherProjects"]["queued"], 1);
    let all = status(&["status", "--json", "--all-projects"]);
    assert_eq!(all["queued"][0]["prompt"], "a queued");
    let out = in_b(&["status", "--all-projects"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("a queued"),
        "{}",
        describe(&out)
    );
    // In A, the entry is still there and starts once A has a free slot.
    let out = f.ao(&["session", "cleanup", "--force"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("started queued task"),
        "{}",
        describe(&out)
    );
}

/// Failure 8: An ended session is restored only when asked (`--reopen`), and only
/// under `maxConcurrentSessions`.
#[test]
fn restore_refuses_ended_sessions_unless_reopened_and_respects_the_limit() {
    let f = Fixture::new("maxConcurrentSessions: 1\n");
    assert!(f.ao(&["spawn", "--prompt", "one"]).status.success());
    assert!(
        f.ao(&["session", "kill", "web-1", "--force"])
            .status
            .success()
    );
    let out = f.ao(&["session", "restore", "web-1"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(stderr(&out).contains("--reopen"), "{}", describe(&out));
    assert!(f.ao(&["spawn", "--prompt", "two"]).status.success());
    let out = f.ao(&["session", "restore", "web-1", "--reopen"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        stderr(&out).contains("maxConcurrentSessions"),
        "{}",
        describe(&out)
    );
    assert!(
        f.ao(&["session", "kill", "web-2", "--force"])
            .status
            .success()
    );
    let out = f.ao(&["session", "restore", "web-1", "--reopen"]);
    assert!(out.status.success(), "{}", describe(&out));
    let status: serde_json::Value =
        serde_json::from_slice(&f.ao(&["status", "--json"]).stdout).unwrap();
    assert_eq!(
        status["sessions"][0]["id"], "web-1",
        "a reopened session is shown"
    );
    assert_eq!(status["sessions"][0]["alive"], true);
}

/// Failure 8: an agent whose screen never holds still (a clock, a spinner)
/// and that ao cannot read is still given its task, after a bounded wait,
/// instead of every spawn failing at the ready timeout.
#[test]
fn an_agent_that_never_stops_printing_still_gets_its_task() {
    let scratch = tempfile::tempdir().unwrap();
    let agent = scratch.path().join("ticking-agent.sh");
    std::fs::write(
        &agent,
        "( i=0; while :; do i=$((i+1)); echo \"tick $i\"; sleep 0.1; done ) &\n\
         while read -r line; do printf '%s\\n' \"$line\" >> .agent-input.txt; done\n",
    )
    .unwrap();
    let f = Fixture::with_agent(Some(&format!("[sh, {}]", agent.display())), "");
    let out = f.ao(&["spawn", "--prompt", "TICK-TASK: carry on"]);
    assert!(out.status.success(), "{}", describe(&out));
    let input = f.data().join("worktrees/web/web-1/.agent-input.txt");
    wait_for("the task in the ticking agent", 20, || {
        std::fs::read_to_string(&input).is_ok_and(|t| t.contains("TICK-TASK: carry on"))
    });
}
