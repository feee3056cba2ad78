//! The API quota a plugin last saw, kept in its key-value store so that
//! `ao doctor` can show it and the plugin can wait for a reset.
//!
//! Keys: `ratelimit` for the main resource (GitHub's REST `core`, GitLab's
//! REST, Linear's requests) and `ratelimit.<resource>` for others
//! (`ratelimit.graphql`). The value is a JSON [`RateLimitRecord`].

use crate::{clock, kv, log};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;

/// The key of the main resource's record.
pub const MAIN_KEY: &str = "ratelimit";

/// The last seen quota of one rate-limit resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitRecord {
    /// `core`, `graphql`, `requests`…
    pub resource: String,
    /// Requests (or points) left in the window.
    pub remaining: i64,
    /// The window's size.
    pub limit: i64,
    /// When the window resets, ms since the epoch.
    pub reset_at: i64,
    /// When this was seen, ms since the epoch.
    pub observed_at: i64,
    /// Points the last query cost, when known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cost: Option<i64>,
}

impl RateLimitRecord {
    /// Whether less than a tenth of the quota is left.
    pub fn is_low(&self) -> bool {
        self.remaining * 10 < self.limit
    }
}

/// The KV key of a resource: `main` resources share [`MAIN_KEY`].
pub fn key_for(resource: &str, main: &str) -> String {
    if resource == main {
        MAIN_KEY.to_string()
    } else {
        format!("{MAIN_KEY}.{resource}")
    }
}

thread_local! {
    /// Last record written per key, to skip writes that change nothing.
    static WRITTEN: RefCell<Vec<(String, RateLimitRecord)>> = const { RefCell::new(Vec::new()) };
}

/// Keeps `record` under `key` unless it is what was last written; warns once
/// per descent below a tenth of the quota. `service` names the API in the
/// warning ("GitHub", "GitLab"). Without a key-value grant nothing is kept.
pub fn observe(service: &str, key: &str, record: RateLimitRecord) {
    let previous = WRITTEN.with(|w| {
        w.borrow()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, r)| r.clone())
    });
    if let Some(previous) = &previous
        && previous.remaining == record.remaining
        && previous.limit == record.limit
        && previous.reset_at == record.reset_at
        && previous.cost == record.cost
    {
        return;
    }
    if record.is_low() && !previous.as_ref().is_some_and(RateLimitRecord::is_low) {
        log::warn(&format!(
            "{service} {} quota is low: {} of {} left; it resets in {} min",
            record.resource,
            record.remaining,
            record.limit,
            (record.reset_at - record.observed_at).max(0) / 60_000
        ));
    }
    let Ok(json) = serde_json::to_string(&record) else {
        return;
    };
    if kv::set(key, &json).is_ok() {
        WRITTEN.with(|w| {
            let mut w = w.borrow_mut();
            w.retain(|(k, _)| k != key);
            w.push((key.to_string(), record));
        });
    }
}

/// The record kept under `key`, if any.
pub fn read(key: &str) -> Option<RateLimitRecord> {
    serde_json::from_str(&kv::get(key).ok()??).ok()
}

/// Milliseconds from now until `at_ms`, at least one second.
pub fn wait_until(at_ms: i64) -> u32 {
    wait_between(clock::now_ms(), at_ms)
}

/// Milliseconds from `now_ms` until `at_ms`, at least one second.
pub fn wait_between(now_ms: i64, at_ms: i64) -> u32 {
    (at_ms - now_ms).clamp(1_000, u32::MAX as i64) as u32
}

#[cfg(test)]
mod tests {
    use super::wait_between;

    #[test]
    fn waits_are_at_least_a_second() {
        assert_eq!(wait_between(9_900, 10_000), 1_000);
        assert_eq!(wait_between(10_000, 70_000), 60_000);
        assert_eq!(wait_between(10_000, 5_000), 1_000);
    }
}
