//! `ao:plugin/clock`: wall-clock time and a deadline-bounded sleep.

use super::HostState;
use crate::bindings::v0_1::ao::plugin::clock::Host;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

impl Host for HostState {
    fn now_ms(&mut self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }

    fn sleep_ms(&mut self, ms: u32) {
        // Never sleep past the call's deadline: the plugin would only be
        // interrupted on waking.
        std::thread::sleep(Duration::from_millis(ms.into()).min(self.remaining()));
    }
}
