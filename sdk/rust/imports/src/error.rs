//! Constructors and conversions for [`PluginError`], the error that crosses
//! the WIT boundary.

use crate::ao::plugin::types::{PluginError, RateLimit};

impl PluginError {
    /// Anything else, with a message.
    pub fn other(message: impl Into<String>) -> Self {
        PluginError::Other(message.into())
    }

    /// The input or the plugin's configuration is not acceptable.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        PluginError::InvalidInput(message.into())
    }

    /// A failure worth retrying later.
    pub fn transient(message: impl Into<String>) -> Self {
        PluginError::Transient(message.into())
    }

    /// The call is not implemented by this plugin.
    pub fn unsupported(call: &str) -> Self {
        PluginError::Unsupported(format!("{call} is not implemented by this plugin"))
    }

    /// Rate limited, optionally with the time to wait.
    pub fn rate_limited(retry_after_ms: Option<u32>, message: impl Into<String>) -> Self {
        PluginError::RateLimited(RateLimit {
            retry_after_ms,
            message: message.into(),
        })
    }

    /// A one-line description for logs and people.
    pub fn describe(&self) -> String {
        match self {
            PluginError::Auth(m) => format!("authentication failed: {m}"),
            PluginError::NotFound(m) => format!("not found: {m}"),
            PluginError::RateLimited(r) => match r.retry_after_ms {
                Some(ms) => format!("rate limited (retry after {ms} ms): {}", r.message),
                None => format!("rate limited: {}", r.message),
            },
            PluginError::Transient(m) => format!("transient failure: {m}"),
            PluginError::InvalidInput(m) => format!("invalid input: {m}"),
            PluginError::Denied(m) => format!("denied: {m}"),
            PluginError::Unsupported(m) => format!("unsupported: {m}"),
            PluginError::Other(m) => m.clone(),
        }
    }

    /// True for errors that may pass on retry (transient and rate limits).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            PluginError::Transient(_) | PluginError::RateLimited(_)
        )
    }
}

impl From<serde_json::Error> for PluginError {
    fn from(e: serde_json::Error) -> Self {
        PluginError::InvalidInput(format!("JSON: {e}"))
    }
}
