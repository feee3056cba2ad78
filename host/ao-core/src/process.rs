//! Which process is doing something, told apart from a later process that
//! got the same pid: the pid with its start time (Linux: `/proc/<pid>/stat`).
//! A multi-step operation records its owner so that, should the owner die,
//! any other ao process can tell and finish or undo the operation.

use std::fmt;

/// A process, identified across pid reuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessId {
    pub pid: u32,
    /// Start time in clock ticks since boot, where the system tells it.
    pub start: Option<i64>,
}

impl ProcessId {
    /// This process.
    pub fn current() -> ProcessId {
        let pid = std::process::id();
        ProcessId {
            pid,
            start: start_time(pid),
        }
    }

    /// The process running as `pid` now.
    pub fn of(pid: u32) -> ProcessId {
        ProcessId {
            pid,
            start: start_time(pid),
        }
    }

    /// Whether this very process still runs (a zombie does not count).
    pub fn is_running(&self) -> bool {
        if !exists(self.pid) {
            return false;
        }
        match (self.start, stat(self.pid)) {
            (_, Some((state, _))) if state == 'Z' || state == 'X' => false,
            (Some(start), Some((_, now))) => start == now,
            _ => true,
        }
    }
}

impl fmt::Display for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pid {}", self.pid)
    }
}

fn exists(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        // Someone else's process: it exists.
        Err(e) => e == rustix::io::Errno::PERM,
    }
}

fn start_time(pid: u32) -> Option<i64> {
    stat(pid).map(|(_, start)| start)
}

/// (state, start time) from `/proc/<pid>/stat`; `None` where there is no /proc.
fn stat(pid: u32) -> Option<(char, i64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: split after it.
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // Field 22 of the whole line is the 20th after the name.
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_runs_and_a_reaped_child_does_not() {
        assert!(ProcessId::current().is_running());
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let id = ProcessId {
            pid: child.id(),
            start: start_time(child.id()),
        };
        child.wait().unwrap();
        assert!(!id.is_running());
        // Same pid, another start time: another process.
        let me = ProcessId::current();
        if me.start.is_some() {
            let other = ProcessId {
                start: me.start.map(|s| s + 1),
                ..me
            };
            assert!(!other.is_running());
        }
    }
}
