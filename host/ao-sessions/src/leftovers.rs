//! What is left of a session's agent after its terminal died. Programs that
//! ignore the hangup (Gemini CLI's node processes) keep running without a
//! terminal, still talking to the model and writing the session file that a
//! restored agent resumes. They carry the session's identity in their
//! environment (`AO_SESSION_ID` and `AO_DATA_DIR`, which ao sets at
//! launch): that is how they are found, on Linux (`/proc`); elsewhere
//! nothing is found.

use ao_core::process::ProcessId;
use rustix::process::{Pid, Signal, kill_process};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long what is left of an agent gets to end on SIGTERM.
pub(crate) const GRACE: Duration = Duration::from_secs(2);

/// Ends the processes of session `id` of the ao whose data is in `data`:
/// SIGTERM, then SIGKILL for those still there after `grace`. Never this
/// process, its ancestors, or another `ao` (a hook's `ao report`, a daemon
/// started from the agent's pane): they do not act for the agent. Returns
/// how many there were.
pub(crate) fn end(id: &str, data: &Path, grace: Duration) -> usize {
    let found = find(Path::new("/proc"), id, data);
    for process in &found {
        signal(process.pid, Signal::TERM);
        signal(process.pid, Signal::CONT);
    }
    let deadline = Instant::now() + grace;
    while found.iter().any(ProcessId::is_running) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    for process in found.iter().filter(|p| p.is_running()) {
        signal(process.pid, Signal::KILL);
    }
    found.len()
}

fn signal(pid: u32, signal: Signal) {
    if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        let _ = kill_process(pid, signal);
    }
}

/// The processes under `proc` whose environment names session `id` and
/// data directory `data`, but for the ones [`end`] leaves alone.
fn find(proc: &Path, id: &str, data: &Path) -> Vec<ProcessId> {
    let Ok(entries) = std::fs::read_dir(proc) else {
        return Vec::new();
    };
    let spared = spared(proc);
    let ao = std::env::current_exe().ok();
    let wanted = [
        format!("AO_SESSION_ID={id}").into_bytes(),
        format!("AO_DATA_DIR={}", data.display()).into_bytes(),
    ];
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| !spared.contains(pid))
        .filter(|pid| {
            // Unreadable (another user's, or gone): not ours to end.
            let Ok(environ) = std::fs::read(proc.join(format!("{pid}/environ"))) else {
                return false;
            };
            let vars: Vec<&[u8]> = environ.split(|b| *b == 0).collect();
            wanted.iter().all(|w| vars.contains(&w.as_slice()))
        })
        .filter(|pid| ao.is_none() || exe(proc, *pid) != ao)
        .map(ProcessId::of)
        .collect()
}

fn exe(proc: &Path, pid: u32) -> Option<PathBuf> {
    std::fs::read_link(proc.join(format!("{pid}/exe"))).ok()
}

/// This process and its ancestors.
fn spared(proc: &Path) -> Vec<u32> {
    let mut chain = vec![std::process::id()];
    while let Some(parent) = parent(proc, *chain.last().expect("not empty"))
        && parent > 1
        && !chain.contains(&parent)
    {
        chain.push(parent);
    }
    chain
}

fn parent(proc: &Path, pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(proc.join(format!("{pid}/stat"))).ok()?;
    // After the command name, which is in parentheses and may hold spaces:
    // the state, then the parent's pid.
    stat[stat.rfind(')')? + 1..]
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Child, Command};

    /// A stand-in for an agent that outlived its terminal: it ignores
    /// SIGHUP and SIGTERM, as Gemini CLI's launcher does.
    fn stubborn(id: &str, data: &Path) -> Child {
        // Blocked on its stdin (a pipe held open): no children of its own.
        Command::new("sh")
            .args(["-c", "trap '' HUP TERM; read -r line"])
            .stdin(std::process::Stdio::piped())
            .env("AO_SESSION_ID", id)
            .env("AO_DATA_DIR", data)
            .spawn()
            .unwrap()
    }

    #[test]
    fn the_processes_of_the_session_end_and_no_others() {
        if !Path::new("/proc/self/environ").exists() {
            return; // no /proc: nothing is found, nothing to check
        }
        let data = tempfile::tempdir().unwrap();
        let mut left = stubborn("web-1", data.path());
        let mut other_session = stubborn("web-10", data.path());
        let elsewhere = tempfile::tempdir().unwrap();
        let mut other_ao = stubborn("web-1", elsewhere.path());
        // Its environment is readable once it has exec'd.
        let deadline = Instant::now() + Duration::from_secs(5);
        while find(Path::new("/proc"), "web-1", data.path()).is_empty() && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(end("web-1", data.path(), Duration::from_millis(300)), 1);
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut ended = left.try_wait().unwrap();
        while ended.is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            ended = left.try_wait().unwrap();
        }
        if ended.is_none() {
            left.kill().unwrap();
        }
        assert!(ended.is_some(), "the session's leftover still runs");
        for child in [&mut other_session, &mut other_ao] {
            assert!(child.try_wait().unwrap().is_none(), "another's process");
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    #[test]
    fn this_process_and_its_ancestors_are_spared() {
        let spared = spared(Path::new("/proc"));
        assert_eq!(spared[0], std::process::id());
        if Path::new("/proc/self/stat").exists() {
            assert!(spared.len() > 1, "the parent is found: {spared:?}");
        }
    }
}
