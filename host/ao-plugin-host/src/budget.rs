//! How much text a plugin can put in front of the user or into ao's log:
//! each string is capped, and log lines are rationed per instance (a
//! plugin that logs in a loop gets its budget, then one summary line).

use std::time::{Duration, Instant};

/// Longest string from a plugin that ao shows or logs (errors, log lines,
/// stderr); the rest is cut.
pub const MAX_PLUGIN_TEXT: usize = 4096;

/// Log lines one instance may write per window…
pub const LOG_LINES_PER_WINDOW: u32 = 100;
/// …and bytes.
pub const LOG_BYTES_PER_WINDOW: usize = 64 << 10;
/// The window.
pub const LOG_WINDOW: Duration = Duration::from_secs(10);

/// `text` cut to at most `max` bytes (at a character boundary), saying
/// how much was cut.
pub fn cap(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… ({} more bytes cut)", &text[..cut], text.len() - cut)
}

/// One instance's log ration.
#[derive(Debug)]
pub struct LogBudget {
    window_start: Instant,
    lines: u32,
    bytes: usize,
    dropped_lines: u64,
    dropped_bytes: u64,
}

impl Default for LogBudget {
    fn default() -> Self {
        LogBudget {
            window_start: Instant::now(),
            lines: 0,
            bytes: 0,
            dropped_lines: 0,
            dropped_bytes: 0,
        }
    }
}

/// What was dropped since the last summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    pub lines: u64,
    pub bytes: u64,
}

impl LogBudget {
    /// Whether a line of `len` bytes may be written now.
    pub fn admit(&mut self, len: usize) -> bool {
        if self.window_start.elapsed() >= LOG_WINDOW {
            self.window_start = Instant::now();
            self.lines = 0;
            self.bytes = 0;
        }
        if self.lines >= LOG_LINES_PER_WINDOW || self.bytes + len > LOG_BYTES_PER_WINDOW {
            self.dropped_lines += 1;
            self.dropped_bytes += len as u64;
            return false;
        }
        self.lines += 1;
        self.bytes += len;
        true
    }

    /// What was dropped since the last call, if anything (for one summary line).
    pub fn take_dropped(&mut self) -> Option<Dropped> {
        if self.dropped_lines == 0 {
            return None;
        }
        let dropped = Dropped {
            lines: self.dropped_lines,
            bytes: self.dropped_bytes,
        };
        self.dropped_lines = 0;
        self.dropped_bytes = 0;
        Some(dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_capped_at_a_character_boundary() {
        assert_eq!(cap("short", 10), "short");
        let capped = cap(&"é".repeat(10), 5);
        assert!(capped.starts_with("éé…"), "{capped}");
        assert!(capped.contains("16 more bytes cut"), "{capped}");
    }

    #[test]
    fn a_flood_gets_its_ration_then_one_summary() {
        let mut budget = LogBudget::default();
        let admitted = (0..1000).filter(|_| budget.admit(10)).count();
        assert_eq!(admitted, LOG_LINES_PER_WINDOW as usize);
        assert_eq!(
            budget.take_dropped(),
            Some(Dropped {
                lines: 900,
                bytes: 9000
            })
        );
        assert_eq!(budget.take_dropped(), None);
        // Bytes count too.
        let mut budget = LogBudget::default();
        assert!(budget.admit(LOG_BYTES_PER_WINDOW));
        assert!(!budget.admit(1));
    }
}
