//! `ao:plugin/clock`: wall-clock time and a deadline-bounded sleep.

use super::HostState;
use crate::bindings::v0_1::ao::plugin::clock::Host;
use std::time::Duration;

impl Host for HostState {
    fn now_ms(&mut self) -> i64 {
        self.clock.now_ms()
    }

    fn sleep_ms(&mut self, ms: u32) {
        // Never sleep past the call's deadline: the plugin would only be
        // interrupted on waking.
        std::thread::sleep(Duration::from_millis(ms.into()).min(self.remaining()));
    }
}
