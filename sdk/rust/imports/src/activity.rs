//! Constructors for [`ActivityReport`].

use crate::ao::plugin::agent_types::{Activity, ActivityReport};

impl ActivityReport {
    /// A state with no time or detail.
    pub fn of(state: Activity) -> Self {
        ActivityReport {
            state,
            since: None,
            detail: None,
        }
    }

    /// A state with a short explanation.
    pub fn with_detail(state: Activity, detail: impl Into<String>) -> Self {
        ActivityReport {
            state,
            since: None,
            detail: Some(detail.into()),
        }
    }
}
