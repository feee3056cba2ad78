//! The crash harness: `kill -9` at seeded random moments of `ao spawn`,
//! `ao session kill`, `ao send` and the daemon (draining the queue), then
//! the next ao commands, then an audit (`crash_audit`): nothing stuck,
//! nothing orphaned, every live session matching reality, no message
//! glued to another, the database intact. The counts are printed.
//!
//! `AO_CRASH_SEED` picks another seed; `AO_CRASH_ROUNDS` (default 1)
//! multiplies the number of kills for a longer run.

use crate::crash_audit::{Findings, Row, audit, events, kill9, rows, use_prefix};
use crate::session_fixture::Fixture;
use ao_tests::ao_binary::describe;
use std::process::{Child, Stdio};
use std::time::Duration;

/// The stand-in agent: records each line; `quit` makes it exit.
const AGENT: &str = r#"#!/bin/sh
printf 'agent> '
while IFS= read -r line; do
  printf '%s\n' "$line" >> .agent-input.txt
  case "$line" in quit) echo bye; exit 0;; esac
  printf 'agent> '
done
"#;

/// xorshift64*: small, seeded, the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Spawn,
    Kill,
    Send,
    Daemon,
}

struct Harness {
    f: Fixture,
    prefix: String,
    process: bool,
    rng: Rng,
    /// Problems found, with the iteration that found them.
    problems: Vec<String>,
    stuck: usize,
    orphans: usize,
    mismatches: usize,
    glued: usize,
    integrity: usize,
    /// Kills that found the command still running (the others came after
    /// it had finished).
    landed: usize,
}

impl Harness {
    fn new(prefix: &str, process: bool, seed: u64) -> Harness {
        let runtime = if process {
            "    runtime: process\n"
        } else {
            ""
        };
        let f = Fixture::new(runtime);
        std::fs::write(f.env.dir.path().join("fake-agent.sh"), AGENT).unwrap();
        // Unique to this run: supervisors are found among all processes.
        let prefix = format!("{prefix}{}", std::process::id());
        use_prefix(&f, &prefix);
        let config = f.env.work().join("agent-orchestrator.yaml");
        let yaml = std::fs::read_to_string(&config).unwrap();
        f.env
            .write_config(&format!("maxConcurrentSessions: 2\n{yaml}"));
        assert!(f.ao(&["status"]).status.success());
        Harness {
            f,
            prefix,
            process,
            rng: Rng(seed.max(1)),
            problems: Vec::new(),
            stuck: 0,
            orphans: 0,
            mismatches: 0,
            glued: 0,
            integrity: 0,
            landed: 0,
        }
    }

    fn live(&self) -> Vec<Row> {
        rows(&self.f)
            .into_iter()
            .filter(|r| !r.is_terminal() && r.status != "exited")
            .collect()
    }

    /// A clean command that must succeed.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.f.ao(args);
        assert!(out.status.success(), "{args:?}: {}", describe(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn ensure_live(&self, n: usize) {
        while self.live().len() < n {
            self.ok(&["spawn", "--prompt", "setup task"]);
        }
    }

    fn ensure_at_most(&self, n: usize) {
        let live = self.live();
        for r in live.iter().take(live.len().saturating_sub(n)) {
            self.ok(&["session", "kill", &r.id, "--force"]);
        }
    }

    fn start(&self, args: &[&str]) -> Child {
        self.f
            .command(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    fn kill_after(&mut self, mut child: Child, max_ms: u64) {
        std::thread::sleep(Duration::from_millis(self.rng.below(max_ms)));
        if child.try_wait().unwrap().is_none() {
            self.landed += 1;
        }
        kill9(&mut child);
    }

    fn round(&mut self, i: usize, kind: Kind) {
        match kind {
            Kind::Spawn => {
                self.ensure_at_most(1);
                let child = self.start(&["spawn", "--prompt", &format!("task {i}")]);
                // A spawn takes about 0.9 s.
                self.kill_after(child, 1100);
            }
            Kind::Kill => {
                self.ensure_live(1);
                let live = self.live();
                let victim = &live[self.rng.below(live.len() as u64) as usize];
                let child = self.start(&["session", "kill", &victim.id, "--force"]);
                // A kill takes 70-100 ms (longer with the process runtime).
                self.kill_after(child, if self.process { 300 } else { 120 });
            }
            Kind::Send => {
                self.ensure_live(1);
                let live = self.live();
                let to = &live[self.rng.below(live.len() as u64) as usize];
                let child = self.start(&["send", "--no-wait", &to.id, &format!("message {i}")]);
                // A send without waiting takes about 100 ms.
                self.kill_after(child, 150);
            }
            Kind::Daemon => {
                // A full house, a task queued behind it, then a slot freed
                // by an agent exiting: the daemon's cycle spawns the task.
                self.ensure_at_most(2);
                self.ensure_live(2);
                assert!(
                    self.ok(&["spawn", "--prompt", &format!("queued {i}")])
                        .contains("queued")
                );
                let oldest = self.live()[0].id.clone();
                self.ok(&["send", "--no-wait", &oldest, "quit"]);
                let child = self.start(&["start", "--port", "0", "--interval", "1"]);
                self.kill_after(child, 3000);
            }
        }
        // The next commands finish what was interrupted (a runtime session
        // a killed command had asked for can come up after the first one).
        self.ok(&["status"]);
        std::thread::sleep(Duration::from_millis(200));
        self.ok(&["status"]);
        if kind == Kind::Daemon {
            self.ok(&["session", "cleanup", "--force"]);
        }
        self.check(i, kind);
    }

    fn check(&mut self, i: usize, kind: Kind) {
        let Findings {
            stuck,
            orphans,
            mismatches,
            integrity,
        } = audit(&self.f, &self.prefix, self.process);
        self.stuck += stuck.len();
        self.orphans += orphans.len();
        self.mismatches += mismatches.len();
        self.integrity += integrity.len();
        for p in stuck
            .iter()
            .chain(&orphans)
            .chain(&mismatches)
            .chain(&integrity)
        {
            self.problems
                .push(format!("after kill {i} ({kind:?}): {p}"));
        }
        if std::env::var_os("AO_CRASH_DEBUG").is_some()
            && !(stuck.is_empty() && orphans.is_empty() && mismatches.is_empty())
        {
            eprintln!("kill {i} ({kind:?}): {stuck:?} {orphans:?} {mismatches:?}");
            eprintln!(
                "{}",
                String::from_utf8_lossy(&self.f.ao(&["session", "ls", "--all", "--json"]).stdout)
            );
            let db = rusqlite::Connection::open(self.f.data().join("ao.db")).unwrap();
            let mut stmt = db.prepare("SELECT session_id, kind, from_status, to_status, reason, data FROM events ORDER BY seq").unwrap();
            let rows = stmt
                .query_map([], |r| {
                    Ok(format!(
                        "{} {} {:?}->{:?} {:?} {}",
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, String>(5)?
                    ))
                })
                .unwrap();
            for row in rows.flatten() {
                eprintln!("  {row}");
            }
            panic!("stopping at the first problem (AO_CRASH_DEBUG)");
        }
        // A message arrives whole or not at all, never glued to another.
        for r in rows(&self.f) {
            let Some(ws) = r.workspace.as_deref() else {
                continue;
            };
            let text =
                std::fs::read_to_string(format!("{ws}/.agent-input.txt")).unwrap_or_default();
            for line in text.lines().filter(|l| l.contains("message")) {
                let whole = line
                    .strip_prefix("message ")
                    .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
                if !whole {
                    self.glued += 1;
                    self.problems
                        .push(format!("after kill {i}: {} got {line:?}", r.id));
                }
            }
        }
    }
}

fn run(prefix: &str, process: bool, plan: &[(Kind, usize)]) {
    let seed = std::env::var("AO_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let rounds: usize = std::env::var("AO_CRASH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut h = Harness::new(prefix, process, seed);
    let mut kinds: Vec<Kind> = plan
        .iter()
        .flat_map(|(k, n)| std::iter::repeat_n(*k, n * rounds))
        .collect();
    // Interleaved in a seeded order, so each kind meets every state.
    for i in (1..kinds.len()).rev() {
        let j = h.rng.below(i as u64 + 1) as usize;
        kinds.swap(i, j);
    }
    for (i, kind) in kinds.iter().enumerate() {
        h.round(i, *kind);
    }
    let count = |k: Kind| kinds.iter().filter(|x| **x == k).count();
    let runtime = if process { "process" } else { "tmux" };
    println!(
        "crash harness ({runtime}, seed {seed}): {} random kills (spawn {}, kill {}, send {}, daemon {}; \
         {} while the command ran): {} stuck, {} orphans, {} mismatches, {} glued messages, {} integrity problems; \
         recovered: {} spawns rolled back, {} adopted, {} kills finished",
        kinds.len(),
        count(Kind::Spawn),
        count(Kind::Kill),
        count(Kind::Send),
        count(Kind::Daemon),
        h.landed,
        h.stuck,
        h.orphans,
        h.mismatches,
        h.glued,
        h.integrity,
        events(&h.f, "session.rolled_back"),
        events(&h.f, "session.adopted"),
        events(&h.f, "operation.taken_over")
            - events(&h.f, "session.rolled_back")
            - events(&h.f, "session.adopted"),
    );
    // The agents still running end with the test (supervisors outlive it).
    for r in h.live() {
        h.ok(&["session", "kill", &r.id, "--force"]);
    }
    assert!(h.problems.is_empty(), "{:#?}", h.problems);
}

#[test]
fn random_kills_with_tmux_leave_nothing_stuck_or_orphaned() {
    run(
        "crt",
        false,
        &[
            (Kind::Spawn, 10),
            (Kind::Kill, 6),
            (Kind::Send, 6),
            (Kind::Daemon, 4),
        ],
    );
}

#[test]
fn random_kills_with_the_process_runtime_leave_nothing_stuck_or_orphaned() {
    run(
        "crp",
        true,
        &[
            (Kind::Spawn, 6),
            (Kind::Kill, 4),
            (Kind::Send, 3),
            (Kind::Daemon, 1),
        ],
    );
}
