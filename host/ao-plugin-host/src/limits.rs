//! Resource limits of one plugin instance.

use std::time::Duration;

/// What one plugin instance may consume. Defaults suit notifiers, trackers
/// and SCM plugins; each can be raised per plugin in `agent-orchestrator.yaml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory cap per instance.
    pub memory_bytes: usize,
    /// Wall-clock budget of one call, host calls included.
    pub call_timeout: Duration,
    /// Longest single HTTP request.
    pub http_timeout: Duration,
    /// Largest HTTP response body a plugin may receive.
    pub max_response_bytes: usize,
    /// Longest run of a granted program.
    pub process_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 64 << 20,
            call_timeout: Duration::from_secs(5),
            http_timeout: Duration::from_secs(10),
            max_response_bytes: 8 << 20,
            process_timeout: Duration::from_secs(10),
        }
    }
}
