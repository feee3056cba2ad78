//! Webhook deliveries already acted on, by the id the SCM gives each one
//! (GitHub's `X-GitHub-Delivery`, GitLab's event UUID): a replayed
//! delivery, even a genuinely signed one, is acknowledged and ignored for
//! 24 hours (while the daemon runs).

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long an id is remembered.
pub const REMEMBER: Duration = Duration::from_secs(24 * 60 * 60);
/// At most this many ids are kept (the oldest go first).
const MAX_IDS: usize = 100_000;

#[derive(Debug, Default)]
pub struct Deliveries {
    seen: HashMap<(String, String), Instant>,
}

impl Deliveries {
    /// Records `id` for `project`; false when it was seen in the last 24 h.
    pub fn first_time(&mut self, project: &str, id: &str) -> bool {
        self.first_time_at(project, id, Instant::now())
    }

    fn first_time_at(&mut self, project: &str, id: &str, now: Instant) -> bool {
        self.seen
            .retain(|_, at| now.saturating_duration_since(*at) < REMEMBER);
        let key = (project.to_string(), id.to_string());
        if self.seen.contains_key(&key) {
            return false;
        }
        if self.seen.len() >= MAX_IDS
            && let Some(oldest) = self
                .seen
                .iter()
                .min_by_key(|(_, at)| **at)
                .map(|(k, _)| k.clone())
        {
            self.seen.remove(&oldest);
        }
        self.seen.insert(key, now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_counts_once_a_day_per_project() {
        let mut d = Deliveries::default();
        let t0 = Instant::now();
        assert!(d.first_time_at("web", "abc", t0));
        assert!(!d.first_time_at("web", "abc", t0 + Duration::from_secs(3600)));
        assert!(d.first_time_at("api", "abc", t0));
        assert!(d.first_time_at("web", "abc", t0 + REMEMBER + Duration::from_secs(1)));
    }
}
