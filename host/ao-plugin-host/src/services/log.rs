//! `ao:plugin/log`: plugin messages into ao's log, tagged, redacted,
//! capped, and rationed (see [`crate::budget`]).

use super::HostState;
use crate::bindings::v0_1::ao::plugin::log::{Host, Level};
use crate::budget::MAX_PLUGIN_TEXT;

impl Host for HostState {
    fn log(&mut self, level: Level, message: String) {
        if !self.log_budget.admit(message.len().min(MAX_PLUGIN_TEXT)) {
            return;
        }
        let message = self.sanitize(&message);
        let plugin = self.label.as_str();
        match level {
            Level::Trace => tracing::trace!(target: "ao::plugin", plugin, "{message}"),
            Level::Debug => tracing::debug!(target: "ao::plugin", plugin, "{message}"),
            Level::Info => tracing::info!(target: "ao::plugin", plugin, "{message}"),
            Level::Warn => tracing::warn!(target: "ao::plugin", plugin, "{message}"),
            Level::Error => tracing::error!(target: "ao::plugin", plugin, "{message}"),
        }
    }
}

impl HostState {
    /// One line for what the log budget dropped since the last one.
    pub fn log_dropped_summary(&mut self) {
        if let Some(d) = self.log_budget.take_dropped() {
            tracing::warn!(
                target: "ao::plugin",
                plugin = %self.label,
                "dropped {} log line(s) ({} bytes) over the plugin's budget of {} lines / {} KiB per {} s",
                d.lines,
                d.bytes,
                crate::budget::LOG_LINES_PER_WINDOW,
                crate::budget::LOG_BYTES_PER_WINDOW >> 10,
                crate::budget::LOG_WINDOW.as_secs()
            );
        }
    }
}
