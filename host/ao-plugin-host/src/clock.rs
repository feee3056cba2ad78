//! The time plugins and the lifecycle loop see: the system's, or a manual
//! clock that a benchmark moves forward (a simulated hour of polling runs
//! in seconds, through the same code).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// `None`: the system clock.
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that starts at the system's time and moves only by [`Clock::advance`].
    pub fn manual() -> Clock {
        Clock {
            manual: Some(Arc::new(AtomicI64::new(system_ms()))),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        match &self.manual {
            Some(t) => t.load(Ordering::SeqCst),
            None => system_ms(),
        }
    }

    /// Moves a manual clock forward (shared by every clone); a no-op on the system clock.
    pub fn advance(&self, ms: i64) {
        if let Some(t) = &self.manual {
            t.fetch_add(ms, Ordering::SeqCst);
        }
    }
}

fn system_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::Clock;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = Clock::manual();
        let twin = clock.clone();
        let start = clock.now_ms();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(clock.now_ms(), start);
        twin.advance(3_600_000);
        assert_eq!(clock.now_ms(), start + 3_600_000);
        assert!(Clock::system().now_ms() >= start);
    }
}
