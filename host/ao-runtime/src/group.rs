//! Ending what is left of a process group: SIGTERM, a grace period, then
//! SIGKILL for anything that ignored it.

use rustix::process::{Pid, Signal, kill_process_group, test_kill_process_group};
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(50);

/// Ends process group `group`: SIGTERM (and SIGCONT, so a stopped member
/// can act on it), then SIGKILL once `grace` has passed with any member
/// left. Returns at once when the group is already gone.
pub(crate) fn end(group: u32, grace: Duration) {
    let Some(group) = i32::try_from(group).ok().and_then(Pid::from_raw) else {
        return;
    };
    let alive = || test_kill_process_group(group).is_ok();
    if !alive() {
        return;
    }
    let _ = kill_process_group(group, Signal::TERM);
    let _ = kill_process_group(group, Signal::CONT);
    let deadline = Instant::now() + grace;
    while alive() {
        if Instant::now() >= deadline {
            let _ = kill_process_group(group, Signal::KILL);
            return;
        }
        std::thread::sleep(POLL);
    }
}
