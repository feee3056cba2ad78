//! The daemon through the real `ao` binary: one per data directory, the
//! HTTP API, noticing exits, picking up CLI changes at once, and sessions
//! that outlive a restart.

use crate::session_fixture::{Fixture, eventually};
use ao_tests::ao_binary::describe;
use std::process::Command;

#[test]
fn the_daemon_serves_sessions_notices_exits_and_stops_without_killing_sessions() {
    let f = Fixture::new("");
    assert!(
        f.ao(&["spawn", "--prompt", "Fix the README typo"])
            .status
            .success()
    );
    let mut daemon = {
        let mut cmd = f.env.command();
        cmd.env("AO_TMUX_SOCKET", "ao-test")
            .env("TMUX_TMPDIR", &f.tmux_dir)
            .args(["start", "--port", "0", "--interval", "1"]);
        cmd.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let info = f.env.dir.path().join("data/ao/daemon.json");
    eventually("the daemon to listen", || info.exists());
    let port = serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&info).unwrap())
        .unwrap()["port"]
        .as_u64()
        .unwrap();
    let get = |path: &str| -> serde_json::Value {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port as u16)).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap()
    };
    assert_eq!(get("/api/health")["ok"], true);
    // The address is written before the first cycle ends: under load the
    // first snapshot can still be empty.
    eventually("the first snapshot", || {
        get("/api/sessions")["sessions"][0]["id"] == "web-1"
    });

    // One daemon per data directory.
    let out = f.ao(&["start", "--port", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already running"),
        "{}",
        describe(&out)
    );

    // The agent's process ends: the lifecycle loop records it within a cycle or two.
    let _ = Command::new("tmux")
        .args(["-L", "ao-test", "send-keys", "-t", "=web-1:", "C-d"])
        .env("TMUX_TMPDIR", &f.tmux_dir)
        .output();
    eventually("the exit to be recorded", || {
        get("/api/sessions")["sessions"][0]["activity"] == "exited"
    });

    let out = f.ao(&["stop"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(daemon.wait().unwrap().success());
    assert!(!info.exists());
    // Stopping the daemon left the tmux server and its session in place.
    let sessions = Command::new("tmux")
        .args(["-L", "ao-test", "list-sessions", "-F", "#{session_name}"])
        .env("TMUX_TMPDIR", &f.tmux_dir)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&sessions.stdout).contains("web-1"));
    assert_eq!(
        f.ao(&["stop"]).status.code(),
        Some(1),
        "not running any more"
    );
}

/// GET a JSON document from the daemon's API.
fn get(port: u16, path: &str) -> serde_json::Value {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap()
}

/// The port of the daemon with `pid` (any daemon when `None`), once it listens.
fn daemon_port(f: &Fixture, pid: Option<u32>) -> u16 {
    let info = f.env.dir.path().join("data/ao/daemon.json");
    let mut port = 0;
    eventually("the daemon to listen", || {
        let Ok(text) = std::fs::read_to_string(&info) else {
            return false;
        };
        let v = serde_json::from_str::<serde_json::Value>(&text).unwrap_or_default();
        if pid.is_some_and(|pid| v["pid"].as_u64() != Some(pid.into())) {
            return false;
        }
        port = v["port"].as_u64().unwrap_or(0) as u16;
        port != 0
    });
    port
}

fn session_in(api: &serde_json::Value, id: &str) -> serde_json::Value {
    api["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
        .unwrap_or_default()
}

#[test]
fn cli_changes_reach_the_daemon_at_once_and_tmux_sessions_survive_a_daemon_crash() {
    changes_reach_the_daemon_and_sessions_survive_a_crash("");
}

#[test]
fn process_runtime_sessions_survive_a_daemon_crash_too() {
    changes_reach_the_daemon_and_sessions_survive_a_crash("    runtime: process\n");
}

fn changes_reach_the_daemon_and_sessions_survive_a_crash(project_yaml: &str) {
    let f = Fixture::new(project_yaml);
    assert!(
        f.ao(&["spawn", "--prompt", "Fix the README typo"])
            .status
            .success()
    );
    // A long interval: only the change feed can bring news quickly.
    let start = |f: &Fixture| {
        let mut cmd = f.env.command();
        cmd.env("AO_TMUX_SOCKET", "ao-test")
            .env("TMUX_TMPDIR", &f.tmux_dir)
            .args(["start", "--port", "0", "--interval", "60"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut daemon = start(&f);
    let port = daemon_port(&f, Some(daemon.id()));
    eventually("the first cycle", || {
        session_in(&get(port, "/api/sessions"), "web-1")["alive"] == true
    });

    // A report from the agent's hook reaches the daemon's view long before
    // the next 60 s cycle.
    let reported_at = std::time::Instant::now();
    assert!(
        f.ao(&[
            "report",
            "needs-input",
            "--session",
            "web-1",
            "--note",
            "which DB?"
        ])
        .status
        .success()
    );
    eventually("the report to reach the daemon", || {
        session_in(&get(port, "/api/sessions"), "web-1")["activity"] == "waiting_input"
    });
    assert!(reported_at.elapsed() < std::time::Duration::from_secs(10));
    // So does a new session.
    assert!(f.ao(&["spawn", "--prompt", "second task"]).status.success());
    eventually("the new session to reach the daemon", || {
        session_in(&get(port, "/api/sessions"), "web-2")["alive"] == true
    });

    // The daemon crashes. The kernel frees its lock; the agents never noticed.
    daemon.kill().unwrap();
    daemon.wait().unwrap();
    let mut daemon = start(&f);
    let port = daemon_port(&f, Some(daemon.id()));
    eventually("the restarted daemon to re-adopt both sessions", || {
        let api = get(port, "/api/sessions");
        session_in(&api, "web-1")["alive"] == true && session_in(&api, "web-2")["alive"] == true
    });
    // And they are still driven as before.
    let out = f.ao(&["send", "--no-wait", "web-1", "Fix the README now"]);
    assert!(out.status.success(), "{}", describe(&out));
    let worktree = f.env.dir.path().join("data/ao/worktrees/web/web-1");
    eventually("the agent to act on the message", || {
        std::fs::read_to_string(worktree.join("README.md")).is_ok_and(|r| r.contains("fixed"))
    });
    assert!(f.ao(&["stop"]).status.success());
    daemon.wait().unwrap();
}

#[test]
fn start_detach_runs_in_the_background_until_stopped() {
    let f = Fixture::new("");
    let out = f.ao(&["start", "--detach", "--port", "0"]);
    assert!(out.status.success(), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("running in the background"), "{stdout}");
    let port = daemon_port(&f, None);
    assert_eq!(get(port, "/api/health")["ok"], true);
    let again = f.ao(&["start", "--detach", "--port", "0"]);
    assert_eq!(again.status.code(), Some(1), "{}", describe(&again));
    let out = f.ao(&["stop"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(f.env.dir.path().join("data/ao/logs/daemon.log").exists());
}
