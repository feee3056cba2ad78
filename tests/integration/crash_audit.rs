//! What must hold after any crash, once the next ao command has run: every
//! session final or live and matching reality (its workspace there, its
//! agent running), nothing half-done (`spawning`, `killing`), nothing left
//! behind that no live session owns (worktree, branch, tmux session, PTY
//! supervisor), and a database SQLite finds intact.

use crate::session_fixture::Fixture;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One session as the audit reads it from the database.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub status: String,
    pub reason: Option<String>,
    pub branch: Option<String>,
    pub workspace: Option<String>,
}

const TERMINAL: &[&str] = &[
    "merged",
    "killed",
    "done",
    "errored",
    "terminated",
    "cleanup",
];

impl Row {
    pub fn is_terminal(&self) -> bool {
        TERMINAL.contains(&self.status.as_str())
    }
}

/// What the audit found wrong.
#[derive(Debug, Default)]
pub struct Findings {
    /// Sessions left `spawning` or `killing`.
    pub stuck: Vec<String>,
    /// Things no live session owns.
    pub orphans: Vec<String>,
    /// Live sessions whose status does not match reality.
    pub mismatches: Vec<String>,
    /// `PRAGMA integrity_check` rows other than `ok`.
    pub integrity: Vec<String>,
}

impl Findings {
    pub fn is_clean(&self) -> bool {
        self.stuck.is_empty()
            && self.orphans.is_empty()
            && self.mismatches.is_empty()
            && self.integrity.is_empty()
    }
}

/// The sessions in the fixture's database (read-only; no ao command runs).
pub fn rows(f: &Fixture) -> Vec<Row> {
    let conn = open(f);
    let mut stmt = conn
        .prepare("SELECT id, status, reason, branch, workspace_path FROM sessions ORDER BY number")
        .unwrap();
    stmt.query_map([], |r| {
        Ok(Row {
            id: r.get(0)?,
            status: r.get(1)?,
            reason: r.get(2)?,
            branch: r.get(3)?,
            workspace: r.get(4)?,
        })
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// How many history events of `kind` the database holds.
pub fn events(f: &Fixture, kind: &str) -> usize {
    open(f)
        .query_row("SELECT count(*) FROM events WHERE kind = ?1", [kind], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap() as usize
}

fn open(f: &Fixture) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open_with_flags(
        f.data().join("ao.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    conn
}

/// The tmux sessions on the fixture's socket.
pub fn tmux_sessions(f: &Fixture) -> BTreeSet<String> {
    let out = Command::new("tmux")
        .args(["-L", "ao-test", "list-sessions", "-F", "#{session_name}"])
        .env("TMUX_TMPDIR", &f.tmux_dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Whether tmux session `name`'s program runs.
fn tmux_alive(f: &Fixture, name: &str) -> bool {
    let out = Command::new("tmux")
        .args([
            "-L",
            "ao-test",
            "display-message",
            "-p",
            "-t",
            &format!("={name}:"),
            "#{pane_dead}",
        ])
        .env("TMUX_TMPDIR", &f.tmux_dir)
        .output()
        .unwrap();
    out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// PTY supervisors (`ao runtime-supervisor serve <name>`) of sessions
/// named `{prefix}-N`, found among all processes.
pub fn supervisors(prefix: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if let Some(at) = args.iter().position(|a| a == "runtime-supervisor")
            && args.get(at + 1).map(String::as_str) == Some("serve")
            && let Some(name) = args.get(at + 2)
            && name.starts_with(&format!("{prefix}-"))
            && !is_zombie(&entry.path())
        {
            found.insert(name.clone());
        }
    }
    found
}

fn is_zombie(proc_dir: &Path) -> bool {
    std::fs::read_to_string(proc_dir.join("stat"))
        .ok()
        .and_then(|s| {
            s.rsplit(')')
                .next()
                .map(|r| r.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

fn git_lines(repo: &Path, args: &[&str]) -> Vec<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Checks every invariant; `prefix` is the fixture's session prefix,
/// `process` whether it uses the process runtime.
pub fn audit(f: &Fixture, prefix: &str, process: bool) -> Findings {
    let mut found = Findings::default();
    let rows = rows(f);
    let live: Vec<&Row> = rows.iter().filter(|r| !r.is_terminal()).collect();
    for r in &rows {
        if matches!(r.status.as_str(), "spawning" | "killing") {
            found.stuck.push(format!("{} is {}", r.id, r.status));
        }
    }
    // The agents that run, by session name.
    let running: BTreeSet<String> = if process {
        supervisors(prefix)
    } else {
        tmux_sessions(f)
            .into_iter()
            .filter(|n| tmux_alive(f, n))
            .collect()
    };
    for r in &live {
        let workspace_there = r
            .workspace
            .as_deref()
            .is_some_and(|w| Path::new(w).exists());
        if r.status != "workspace_lost" && !workspace_there {
            found.mismatches.push(format!(
                "{} is {} but its workspace is missing",
                r.id, r.status
            ));
        }
        if !running.contains(&r.id) && r.status != "exited" {
            found.mismatches.push(format!(
                "{} is {} but its agent is not running",
                r.id, r.status
            ));
        }
    }
    let live_ids: BTreeSet<&str> = live.iter().map(|r| r.id.as_str()).collect();
    // Runtime sessions (tmux sessions, supervisors, their sockets).
    let mut runtime_names: BTreeSet<String> = if process {
        supervisors(prefix)
    } else {
        tmux_sessions(f)
    };
    if process {
        for entry in std::fs::read_dir(f.data().join("runtime"))
            .into_iter()
            .flatten()
            .flatten()
        {
            if let Some(name) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".sock"))
            {
                runtime_names.insert(name.to_string());
            }
        }
    }
    for name in runtime_names {
        if !live_ids.contains(name.as_str()) {
            found.orphans.push(format!("runtime session {name}"));
        }
    }
    // Workspaces, git's worktree registrations, branches.
    let live_workspaces: BTreeSet<PathBuf> = live
        .iter()
        .filter_map(|r| r.workspace.as_deref().map(PathBuf::from))
        .collect();
    for entry in std::fs::read_dir(f.data().join("worktrees/web"))
        .into_iter()
        .flatten()
        .flatten()
    {
        if !live_workspaces.contains(&entry.path()) {
            found
                .orphans
                .push(format!("workspace {}", entry.path().display()));
        }
    }
    let main = f.clone.canonicalize().unwrap();
    for line in git_lines(&f.clone, &["worktree", "list", "--porcelain"]) {
        if let Some(path) = line.strip_prefix("worktree ") {
            let path = PathBuf::from(path);
            if path != main && !live_workspaces.contains(&path) {
                found
                    .orphans
                    .push(format!("git worktree {}", path.display()));
            }
        }
        if line.starts_with("prunable") {
            found
                .orphans
                .push(format!("stale git worktree registration ({line})"));
        }
    }
    let live_branches: BTreeSet<&str> = live.iter().filter_map(|r| r.branch.as_deref()).collect();
    for branch in git_lines(
        &f.clone,
        &["for-each-ref", "--format=%(refname:short)", "refs/heads"],
    ) {
        if branch != "main" && !live_branches.contains(branch.as_str()) {
            found.orphans.push(format!("branch {branch}"));
        }
    }
    let integrity: Vec<String> = {
        let conn = open(f);
        let mut stmt = conn.prepare("PRAGMA integrity_check").unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .filter(|row| row != "ok")
            .collect()
    };
    found.integrity = integrity;
    found
}

/// Gives the fixture's sessions their own prefix (`{prefix}-N`), so its
/// PTY supervisors are told apart from other tests' among all processes.
pub fn use_prefix(f: &Fixture, prefix: &str) {
    let path = f.env.work().join("agent-orchestrator.yaml");
    let yaml = std::fs::read_to_string(&path).unwrap();
    assert!(path.exists());
    f.env
        .write_config(&yaml.replace("sessionPrefix: web", &format!("sessionPrefix: {prefix}")));
}

/// Kills `child` with SIGKILL (as `kill -9`) and reaps it.
pub fn kill9(child: &mut std::process::Child) {
    let _ = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status();
    let _ = child.wait();
}
