//! `ao:plugin/log`: plugin messages into ao's log, tagged and redacted.

use super::HostState;
use crate::bindings::v0_1::ao::plugin::log::{Host, Level};

/// Longest message kept; the rest is cut so a plugin cannot flood the log.
const MAX_MESSAGE: usize = 4096;

impl Host for HostState {
    fn log(&mut self, level: Level, message: String) {
        let mut message = self.redact(&message);
        if message.len() > MAX_MESSAGE {
            let mut cut = MAX_MESSAGE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push('…');
        }
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
