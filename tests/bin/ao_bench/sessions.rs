//! Session costs through the real `ao` binary, against real git and tmux
//! in an isolated environment (own HOME, data directory and tmux socket).

use crate::{fmt, median};
use ao_core::state::{NewSession, Store, Transition};
use ao_tests::AoEnv;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// An isolated ao with one project and agents that wait for input.
pub(crate) struct Bench {
    env: AoEnv,
    tmux_dir: PathBuf,
    /// When set, `tmux` resolves to a shim that counts its invocations.
    shim: Option<PathBuf>,
    /// More environment for `ao` (a real agent CLI's variables and PATH).
    extra_env: Vec<(String, String)>,
}

impl Drop for Bench {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").output();
    }
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(ok, "git {args:?} failed");
}

impl Bench {
    pub(crate) fn new() -> Bench {
        let env = AoEnv::new();
        let root = env.dir.path().to_path_buf();
        let origin = root.join("origin.git");
        let clone = root.join("web");
        git(
            &root,
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
            &root,
            &[
                "clone",
                "-q",
                origin.to_str().unwrap(),
                clone.to_str().unwrap(),
            ],
        );
        std::fs::write(clone.join("README.md"), "hello\n").unwrap();
        git(&clone, &["add", "."]);
        git(
            &clone,
            &[
                "-c",
                "user.name=b",
                "-c",
                "user.email=b@example.com",
                "commit",
                "-q",
                "-m",
                "first",
            ],
        );
        git(&clone, &["push", "-q", "origin", "main"]);
        env.write_config(&format!(
            "projects:\n  web:\n    path: {}\n    sessionPrefix: web\n    agent: custom\n    agentConfig:\n      command: [sh, -c, \"printf 'agent> '; read task; echo working; sleep 3600\"]\n",
            clone.display()
        ));
        let tmux_dir = root.join("tmux");
        std::fs::create_dir_all(&tmux_dir).unwrap();
        Bench {
            env,
            tmux_dir,
            shim: None,
            extra_env: Vec::new(),
        }
    }

    /// The project's checkout.
    pub(crate) fn clone_path(&self) -> PathBuf {
        self.env.dir.path().join("web")
    }

    pub(crate) fn home(&self) -> PathBuf {
        self.env.home()
    }

    /// Replaces the project's agent lines (`agent: …` and what follows).
    pub(crate) fn set_agent(&mut self, agent_yaml: &str, env: Vec<(String, String)>) {
        self.env.write_config(&format!(
            "projects:\n  web:\n    path: {}\n    sessionPrefix: web\n{agent_yaml}",
            self.clone_path().display()
        ));
        self.extra_env = env;
    }

    /// `tmux` on the bench's own server (for an agent started by hand).
    pub(crate) fn tmux_command(&self) -> Command {
        self.tmux()
    }

    pub(crate) fn data(&self) -> PathBuf {
        self.env.dir.path().join("data/ao")
    }

    pub(crate) fn ao(&self) -> Command {
        let mut cmd = self.env.command();
        cmd.env("AO_TMUX_SOCKET", "ao-bench")
            .env("TMUX_TMPDIR", &self.tmux_dir)
            .envs(self.extra_env.iter().map(|(k, v)| (k, v)));
        if let Some(shim) = &self.shim {
            let path = std::env::var("PATH").unwrap_or_default();
            cmd.env("PATH", format!("{}:{path}", shim.display()));
        }
        cmd
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        let out = self.ao().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "ao {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn tmux(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", "ao-bench"])
            .env("TMUX_TMPDIR", &self.tmux_dir);
        cmd
    }

    /// `stored` sessions in the store, the first `running` of them with a
    /// live tmux session (an agent waiting at its prompt).
    pub(crate) fn fill(&self, stored: usize, running: usize) {
        let mut store = Store::open(&self.data()).unwrap();
        for n in 0..stored {
            let s = store
                .create_session(&NewSession {
                    project_id: "web".into(),
                    prefix: "web".into(),
                    agent: Some("custom".into()),
                    runtime: Some("tmux".into()),
                    prompt: Some(format!("task {n}")),
                    config_path: None,
                    ..NewSession::default()
                })
                .unwrap();
            store
                .transition(
                    &s.id,
                    &Transition {
                        status: Some("working".into()),
                        branch: Some(format!("session/{}", s.id)),
                        event: "session.working".into(),
                        ..Transition::default()
                    },
                )
                .unwrap();
            if n < running {
                let ok = self
                    .tmux()
                    .args(["new-session", "-d", "-s", &s.id, "-x", "200", "-y", "50"])
                    .args(["sh", "-c", "printf 'agent> '; sleep 3600"])
                    .status()
                    .is_ok_and(|s| s.success());
                assert!(ok, "tmux new-session failed");
            }
        }
    }

    /// Starts the daemon (default 2 s interval) and returns it and its port
    /// once it has finished two cycles.
    pub(crate) fn start_daemon(&self) -> (std::process::Child, u16) {
        let daemon = self
            .ao()
            .args(["start", "--port", "0"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let info = self.data().join("daemon.json");
        let deadline = Instant::now() + Duration::from_secs(20);
        let port = loop {
            let v: serde_json::Value = std::fs::read_to_string(&info)
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default();
            if let Some(p) = v["port"].as_u64() {
                break p as u16;
            }
            assert!(Instant::now() < deadline, "the daemon did not start");
            std::thread::sleep(Duration::from_millis(50));
        };
        while http_get(port, "/api/health")["cycles"]
            .as_u64()
            .unwrap_or(0)
            < 2
        {
            std::thread::sleep(Duration::from_millis(100));
        }
        (daemon, port)
    }

    /// Makes `tmux` resolve to a script that logs each invocation.
    fn count_tmux(&mut self) -> PathBuf {
        let real = String::from_utf8(
            Command::new("sh")
                .args(["-c", "command -v tmux"])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        let dir = self.env.dir.path().join("shim");
        std::fs::create_dir_all(&dir).unwrap();
        let log = self.env.dir.path().join("tmux-calls.log");
        let script = format!(
            "#!/bin/sh\necho \"$1 $2\" >> {}\nexec {} \"$@\"\n",
            log.display(),
            real.trim()
        );
        let shim = dir.join("tmux");
        std::fs::write(&shim, script).unwrap();
        Command::new("chmod").arg("+x").arg(&shim).status().unwrap();
        self.shim = Some(dir);
        log
    }
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

fn time_status(bench: &Bench, runs: usize) -> Duration {
    bench.run(&["status", "--json"]); // warm the plugin cache and settle activities
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                bench.run(&["status", "--json"]);
                t.elapsed()
            })
            .collect(),
    )
}

pub(crate) fn http_get(port: u16, path: &str) -> serde_json::Value {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap_or("{}")).unwrap_or_default()
}

/// (user + system CPU ticks, resident KiB) of a process, from /proc.
pub(crate) fn proc_usage(pid: u32) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields
        .get(11)
        .and_then(|u| u.parse::<u64>().ok())
        .unwrap_or(0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    (ticks, rss)
}

pub fn run(quick: bool) {
    let runs = if quick { 3 } else { 7 };
    println!("| measurement | result |");
    println!("|---|---|");

    for stored in [100, 500] {
        let bench = Bench::new();
        bench.fill(stored, 50);
        let t = time_status(&bench, runs);
        println!(
            "| `ao status --json`, {stored} sessions stored (50 running) | {} |",
            fmt(t)
        );
    }

    {
        let bench = Bench::new();
        let spawns: Vec<Duration> = (0..runs)
            .map(|n| {
                let t = Instant::now();
                bench.run(&["spawn", "--prompt", &format!("task {n}")]);
                t.elapsed()
            })
            .collect();
        println!(
            "| spawn to agent running and prompted (worktree, tmux, no postCreate) | {} |",
            fmt(median(spawns))
        );
    }

    {
        let mut bench = Bench::new();
        bench.fill(50, 50);
        let log = bench.count_tmux();
        let before = lines(&log);
        bench.run(&["status", "--json"]);
        println!(
            "| tmux processes per `ao status`, 50 running sessions | {} |",
            lines(&log) - before
        );

        // The daemon at its default 2 s interval.
        let (mut daemon, port) = bench.start_daemon();
        let window = Duration::from_secs(if quick { 6 } else { 20 });
        let cycles_now = || {
            http_get(port, "/api/health")["cycles"]
                .as_u64()
                .unwrap_or(0)
        };
        // Both ends just after a cycle completes, so no cycle is half counted.
        let at_cycle_end = || {
            let start = cycles_now();
            while cycles_now() == start {
                std::thread::sleep(Duration::from_millis(20));
            }
            (cycles_now(), lines(&log))
        };
        let (cycles_before, calls_before) = at_cycle_end();
        let (ticks_before, _) = proc_usage(daemon.id());
        let started = Instant::now();
        std::thread::sleep(window);
        let (cycles_after, calls_after) = at_cycle_end();
        let elapsed = started.elapsed();
        let cycles = cycles_after - cycles_before;
        let calls = calls_after - calls_before;
        let (ticks_after, rss_kib) = proc_usage(daemon.id());
        let last_cycle_ms = http_get(port, "/api/health")["lastCycleMs"]
            .as_u64()
            .unwrap_or(0);
        bench.run(&["stop"]);
        let _ = daemon.wait();
        // Linux reports CPU time in clock ticks of 1/100 s.
        let cpu = (ticks_after - ticks_before) as f64 / 100.0 / elapsed.as_secs_f64() * 100.0;
        println!(
            "| tmux processes per lifecycle cycle, 50 running sessions | {:.1} ({calls} in {cycles} cycles) |",
            calls as f64 / cycles.max(1) as f64
        );
        println!("| daemon lifecycle cycle, 50 running sessions | {last_cycle_ms} ms |");
        println!(
            "| daemon RSS, 50 running sessions | {:.1} MiB |",
            rss_kib as f64 / 1024.0
        );
        println!("| daemon CPU, 50 running idle agents, 2 s cycles | {cpu:.1} % of one core |");
    }
}
