//! JSON forms and labels of notifier records, shared by notifier plugins so
//! every channel describes an event the same way.

use crate::ao::plugin::notifier_types::{Action, Event, MessageContext, Priority};
use serde_json::{Value, json};

impl Priority {
    /// `urgent`, `action`, `warning` or `info`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Priority::Urgent => "urgent",
            Priority::Action => "action",
            Priority::Warning => "warning",
            Priority::Info => "info",
        }
    }
}

impl Event {
    /// The event as a JSON object with camelCase keys; `data` is inlined as JSON.
    pub fn to_json(&self) -> Value {
        let data: Value = serde_json::from_str(&self.data).unwrap_or(Value::Null);
        json!({
            "id": self.id,
            "type": self.kind,
            "priority": self.priority.as_str(),
            "sessionId": self.session_id,
            "projectId": self.project_id,
            "timestamp": self.timestamp,
            "message": self.message,
            "prUrl": self.pr_url,
            "sessionUrl": self.session_url,
            "data": data,
        })
    }

    /// A short title: `[urgent] session.stuck · ao-7`.
    pub fn title(&self) -> String {
        format!(
            "[{}] {} · {}",
            self.priority.as_str(),
            self.kind,
            self.session_id
        )
    }
}

impl Action {
    /// The action as a JSON object.
    pub fn to_json(&self) -> Value {
        json!({ "label": self.label, "url": self.url, "callbackEndpoint": self.callback_endpoint })
    }
}

impl MessageContext {
    /// The context as a JSON object.
    pub fn to_json(&self) -> Value {
        json!({
            "sessionId": self.session_id,
            "projectId": self.project_id,
            "prUrl": self.pr_url,
            "channel": self.channel,
        })
    }
}
