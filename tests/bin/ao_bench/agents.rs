//! Spawn → first prompt with the real Claude Code (pinned in
//! tests/agent-clis.lock, installed by scripts/install-agent-clis) talking
//! to the scripted model server. The agent's own start-up is the same CLI
//! started by hand in tmux with the task on its command line; ao's is
//! `ao spawn` (worktree, hooks, tmux, the inline task). Both end when the
//! model server receives the task, so the difference is what ao adds.

use crate::sessions::Bench;
use crate::{fmt, median};
use ao_tests::agent_clis::{Agent, offline_env};
use ao_tests::model_server::{ModelServer, Script, Step};
use std::time::{Duration, Instant};

/// How long one start may take before the bench gives up on it.
const START_LIMIT: Duration = Duration::from_secs(60);

pub fn run(quick: bool) {
    let runs = if quick { 2 } else { 5 };
    let binary = Agent::Claude.binary(); // names the install script when missing
    let server = ModelServer::start(Script::new().on("BENCH-TASK", [Step::say("Done.")]));
    let mut bench = Bench::new();
    let clone = bench.clone_path();
    let env: Vec<(String, String)> = offline_env(Agent::Claude, &bench.home(), &[&clone], &server)
        .into_iter()
        // HOME and the XDG dirs stay the bench's own (the same home).
        .filter(|(k, _)| k != "HOME" && !k.starts_with("XDG_"))
        .collect();
    bench.set_agent(
        "    agent: claude-code\n    permissions: bypass\n",
        env.clone(),
    );

    // The agent alone: its CLI in a tmux session, the task as its argument.
    // Run 0 of each is a warm-up (the CLI's first start, ao's first compile
    // of its plugins into the cache), shown on its own line.
    let own: Vec<Duration> = (0..=runs)
        .map(|n| {
            let marker = format!("BENCH-TASK by hand {n}");
            let name = format!("by-hand-{n}");
            let started = Instant::now();
            // As a person would: once more if tmux was still shutting down
            // the server the last run's session had (its "server exited
            // unexpectedly"; ao's own runtime does the same).
            let ok = (0..5).any(|attempt| {
                if attempt > 0 {
                    std::thread::sleep(Duration::from_millis(50));
                }
                bench
                    .tmux_command()
                    .args(["new-session", "-d", "-x", "200", "-y", "50", "-s", &name])
                    .arg("-c")
                    .arg(&clone)
                    .arg("--")
                    .arg("env")
                    .arg(format!("HOME={}", bench.home().display()))
                    .args(env.iter().map(|(k, v)| format!("{k}={v}")))
                    .arg(&binary)
                    .args(["--dangerously-skip-permissions", "--", &marker])
                    .status()
                    .is_ok_and(|s| s.success())
            });
            assert!(ok, "tmux new-session for Claude Code by hand");
            server
                .wait_for_user_message(&marker, START_LIMIT)
                .unwrap_or_else(|e| panic!("Claude Code started by hand: {e}"));
            let took = started.elapsed();
            let _ = bench
                .tmux_command()
                .args(["kill-session", "-t", &name])
                .status();
            took
        })
        .collect();

    // Through ao: `ao spawn`, until the model has the task.
    let mut returned = Vec::new();
    let received: Vec<Duration> = (0..=runs)
        .map(|n| {
            let marker = format!("BENCH-TASK through ao {n}");
            let started = Instant::now();
            bench.run(&["spawn", "--prompt", &marker]);
            returned.push(started.elapsed());
            server
                .wait_for_user_message(&marker, START_LIMIT)
                .unwrap_or_else(|e| panic!("Claude Code spawned by ao: {e}"));
            let took = started.elapsed();
            bench.run(&["session", "kill", &format!("web-{}", n + 1), "--force"]);
            took
        })
        .collect();

    let first_spawn = received[0];
    let (own, received) = (median(own[1..].to_vec()), median(received[1..].to_vec()));
    let returned = returned[1..].to_vec();
    println!(
        "| real Claude Code {} ({runs} runs, medians) | result |",
        Agent::Claude.pinned_version()
    );
    println!("|---|---|");
    println!(
        "| its own start-up: launched by hand in tmux → the model has the task | {} |",
        fmt(own)
    );
    println!(
        "| `ao spawn` → the model has the task | {} |",
        fmt(received)
    );
    println!(
        "| what ao adds (worktree, hooks, tmux, confirmation) | {} |",
        if received >= own {
            format!("+{}", fmt(received - own))
        } else {
            format!("−{} (within the noise)", fmt(own - received))
        }
    );
    println!(
        "| `ao spawn` returns (start confirmed) | {} |",
        fmt(median(returned))
    );
    println!(
        "| the first `ao spawn` of a new data directory (plugins compiled into the cache) | {} |",
        fmt(first_spawn)
    );
}
