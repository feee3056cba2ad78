//! Against a real tmux server on an isolated socket.

use super::*;
use std::time::{Duration, Instant};

/// A private tmux server, killed when the test ends.
struct Server {
    tmux: Tmux,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.tmux.kill_server();
    }
}

fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let tmux = Tmux::new("ao-test")
        .unwrap()
        .with_tmpdir(dir.path())
        .with_locale("C");
    Server { tmux, dir }
}

/// A stand-in agent: echoes each line it reads.
fn echo_agent(name: &str, cwd: &std::path::Path) -> LaunchSpec {
    LaunchSpec {
        name: name.into(),
        cwd: cwd.to_path_buf(),
        argv: vec![
            "sh".into(),
            "-c".into(),
            "echo ready:$AO_SESSION; while IFS= read -r line; do echo \"got: $line\"; done".into(),
        ],
        env: vec![("AO_SESSION".into(), name.into())],
    }
}

fn wait_for(tmux: &Tmux, name: &str, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let screen = tmux.capture(name, 200).unwrap_or_default();
        if screen.contains(needle) || Instant::now() > deadline {
            return screen;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_session_starts_in_its_directory_with_its_environment() {
    let s = server();
    s.tmux.create(&echo_agent("web-1", s.dir.path())).unwrap();
    assert!(s.tmux.is_alive("web-1"));
    assert_eq!(s.tmux.list().unwrap(), ["web-1"]);
    let screen = wait_for(&s.tmux, "web-1", "ready:web-1");
    assert!(screen.contains("ready:web-1"), "{screen}");
}

#[test]
fn short_text_is_typed_and_long_text_is_pasted() {
    let s = server();
    s.tmux.create(&echo_agent("web-1", s.dir.path())).unwrap();
    wait_for(&s.tmux, "web-1", "ready");
    s.tmux.send_text("web-1", "hello agent").unwrap();
    let screen = wait_for(&s.tmux, "web-1", "got: hello agent");
    assert!(screen.contains("got: hello agent"), "{screen}");

    let long = format!("first line\nsecond {}\nthird line", "x".repeat(300));
    s.tmux.send_text("web-1", &long).unwrap();
    let screen = wait_for(&s.tmux, "web-1", "got: third line");
    for line in ["got: first line", "got: second xxx", "got: third line"] {
        assert!(screen.contains(line), "missing {line:?} in:\n{screen}");
    }
}

#[test]
fn all_screens_are_captured_in_one_invocation_and_split_correctly() {
    let s = server();
    for name in ["a-1", "a-10", "b-2"] {
        s.tmux.create(&echo_agent(name, s.dir.path())).unwrap();
    }
    for name in ["a-1", "a-10", "b-2"] {
        wait_for(&s.tmux, name, "ready");
    }
    let names: Vec<String> = ["a-1", "a-10", "b-2", "gone-3"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let screens = s.tmux.capture_all(&names, 50).unwrap();
    assert_eq!(screens.keys().collect::<Vec<_>>(), ["a-1", "a-10", "b-2"]);
    for (name, screen) in &screens {
        assert!(
            screen.contains(&format!("ready:{name}")),
            "{name}: {screen}"
        );
        let others = screens.keys().filter(|n| *n != name);
        for other in others {
            assert!(
                !screen.contains(&format!("ready:{other}\n")),
                "{name} contains {other}'s screen"
            );
        }
    }
}

#[test]
fn kill_is_exact_and_dead_programs_are_noticed() {
    let s = server();
    s.tmux.create(&echo_agent("t-1", s.dir.path())).unwrap();
    s.tmux.create(&echo_agent("t-10", s.dir.path())).unwrap();
    s.tmux.kill("t-1").unwrap();
    assert!(!s.tmux.is_alive("t-1"));
    assert!(s.tmux.is_alive("t-10"), "killing t-1 must not touch t-10");
    assert!(matches!(
        s.tmux.kill("t-1"),
        Err(RuntimeError::NoSession(_))
    ));

    let exits = LaunchSpec {
        name: "quick-1".into(),
        cwd: s.dir.path().into(),
        // A moment after the last words: tmux may close a pane before draining a
        // program that exits at once.
        argv: vec!["sh".into(), "-c".into(), "echo bye; sleep 0.2".into()],
        env: vec![],
    };
    s.tmux.create(&exits).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while s.tmux.is_alive("quick-1") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !s.tmux.is_alive("quick-1"),
        "an exited program is not alive"
    );
    let all = s.tmux.sessions().unwrap();
    assert_eq!(all.get("quick-1"), Some(&Liveness::Exited));
    assert_eq!(all.get("t-10"), Some(&Liveness::Running));
    assert_eq!(all.get("t-1"), None);
    // Its last words are still readable (tmux may draw them a moment after the exit).
    let screen = wait_for(&s.tmux, "quick-1", "bye");
    assert!(screen.contains("bye"), "{screen}");
    assert_eq!(
        s.tmux.attach_command("t-10"),
        ["tmux", "-L", "ao-test", "attach-session", "-t", "=t-10"]
    );
}

#[test]
fn an_empty_server_has_no_sessions() {
    let s = server();
    assert!(s.tmux.list().unwrap().is_empty());
    assert!(s.tmux.sessions().unwrap().is_empty());
    assert!(
        s.tmux
            .capture_all(&["x-1".to_string()], 10)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn batches_stay_within_tmuxs_command_limit() {
    let names: Vec<String> = (0..500)
        .map(|i| format!("project-with-a-long-name-{i:05}"))
        .collect();
    let batches = batches(&names, |n| capture_cost(n, 50));
    assert!(batches.len() > 1);
    assert_eq!(batches.iter().map(|b| b.len()).sum::<usize>(), 500);
    for batch in &batches {
        let bytes: usize = batch.iter().map(|n| capture_cost(n, 50)).sum();
        assert!(bytes <= COMMAND_BUDGET, "{bytes}");
    }
}

#[test]
fn hundreds_of_screens_with_long_names_are_all_read() {
    // Over tmux's 16 KiB command limit in one invocation (it failed above
    // ~165 sessions), so this needs batches.
    let s = server();
    let names: Vec<String> = (0..300)
        .map(|i| format!("a-rather-long-project-{i:05}-x"))
        .collect();
    for name in &names {
        s.tmux
            .create(&LaunchSpec {
                name: name.clone(),
                cwd: s.dir.path().to_path_buf(),
                argv: vec![
                    "sh".into(),
                    "-c".into(),
                    "echo up:$AO_SESSION; exec sleep 600".into(),
                ],
                env: vec![("AO_SESSION".into(), name.clone())],
            })
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let screens = loop {
        let screens = s.tmux.capture_all(&names, 5).unwrap();
        let all_up = screens.len() == names.len()
            && names
                .iter()
                .all(|n| screens[n].contains(&format!("up:{n}")));
        if all_up || Instant::now() > deadline {
            break screens;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(screens.len(), names.len());
    for name in &names {
        assert!(screens[name].contains(&format!("up:{name}")), "{name}");
    }
}

/// Whether process `pid` has ended (a zombie nobody reaped has ended too).
fn ended(pid: i32) -> bool {
    let Some(p) = rustix::process::Pid::from_raw(pid) else {
        return true;
    };
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rfind(')')
                .map(|i| s[i + 1..].trim_start().starts_with('Z'))
        })
        .unwrap_or(false);
    rustix::process::test_kill_process(p).is_err() || zombie
}

#[test]
fn kill_ends_the_processes_of_the_pane_that_ignore_the_hangup() {
    let s = server();
    let pid_file = s.dir.path().join("child.pid");
    // Like Gemini CLI's node processes: SIGHUP (and here SIGTERM) ignored,
    // a child in the same process group.
    let spec = LaunchSpec {
        name: "stubborn-1".into(),
        cwd: s.dir.path().into(),
        argv: vec![
            "sh".into(),
            "-c".into(),
            format!(
                "trap '' HUP TERM; sleep 1000 & echo $! > {}; wait",
                pid_file.display()
            ),
        ],
        env: vec![],
    };
    s.tmux.create(&spec).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let child = loop {
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|t| t.trim().parse::<i32>().ok())
        {
            break pid;
        }
        assert!(
            Instant::now() < deadline,
            "the pane never started its child"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    s.tmux.kill("stubborn-1").unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !ended(child) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let gone = ended(child);
    if !gone {
        let _ = rustix::process::kill_process(
            rustix::process::Pid::from_raw(child).unwrap(),
            rustix::process::Signal::KILL,
        );
    }
    assert!(gone, "the pane's child {child} outlived the kill");
}

/// Killing the last session makes tmux shut its server down; a session
/// created in that moment reached the dying server ("server exited
/// unexpectedly") — `ao session kill` then `ao spawn` failed on CI. The
/// window is narrow (about 1 in 300 here), hence the many rounds.
#[test]
fn a_session_created_as_the_last_one_is_killed_still_starts() {
    let s = server();
    for n in 0..400 {
        let name = format!("web-{n}");
        s.tmux
            .create(&echo_agent(&name, s.dir.path()))
            .unwrap_or_else(|e| panic!("create {name} after the last session was killed: {e}"));
        // tmux's own kill, without ao's wait for the process group, to
        // meet the server while it shuts down.
        s.tmux
            .run(&["kill-session", "-t", &Tmux::target(&name)], None)
            .unwrap();
    }
}

#[test]
fn the_server_gets_only_what_tmux_needs_from_aos_environment() {
    let ambient = [
        ("PATH", "/usr/bin"),
        ("LC_MESSAGES", "C"),
        ("TMUX_TMPDIR", "/tmp/x"),
        ("GITHUB_TOKEN", "ghp_secret"),
        ("ANTHROPIC_API_KEY", "sk-secret"),
    ]
    .map(|(k, v)| (k.into(), v.into()));
    let kept: Vec<String> = server_env(ambient)
        .into_iter()
        .map(|(k, _)| k.into_string().unwrap())
        .collect();
    assert_eq!(kept, ["PATH", "LC_MESSAGES", "TMUX_TMPDIR"]);
}
