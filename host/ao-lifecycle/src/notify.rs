//! Telling people: an event goes to the notifiers routed for its priority
//! (`notificationRouting`, else `defaults.notifiers`, else all). A notifier
//! that fails is logged; the loop goes on.

use ao_plugin_host::PluginInstance;
use ao_plugin_host::bindings::v0_1::{Event, Priority};
use ao_sessions::SessionManager;
use std::collections::HashMap;

/// Notifier instances, made on first use and reused.
#[derive(Default)]
pub struct Notifiers {
    instances: HashMap<String, PluginInstance>,
}

/// One thing to tell people.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: String,
    pub priority: String,
    pub session: String,
    pub project: String,
    pub message: String,
    pub pr_url: Option<String>,
}

fn priority(name: &str) -> Priority {
    match name {
        "urgent" => Priority::Urgent,
        "action" => Priority::Action,
        "warning" => Priority::Warning,
        _ => Priority::Info,
    }
}

impl Notifiers {
    /// Sends `notice`; returns how many notifiers took it.
    pub fn send(&mut self, manager: &SessionManager, notice: &Notice) -> usize {
        let event = Event {
            id: format!(
                "{}-{}-{}",
                notice.session,
                notice.kind,
                ao_core::state::now_ms()
            ),
            kind: notice.kind.clone(),
            priority: priority(&notice.priority),
            session_id: notice.session.clone(),
            project_id: notice.project.clone(),
            timestamp: ao_core::state::now_ms(),
            message: notice.message.clone(),
            pr_url: notice.pr_url.clone(),
            session_url: None,
            data: "{}".into(),
        };
        let targets: Vec<_> = manager
            .config
            .notifiers_for(&notice.priority)
            .into_iter()
            .cloned()
            .collect();
        let mut delivered = 0;
        for target in targets {
            if !self.instances.contains_key(&target.name) {
                match manager.instantiate(
                    &target.plugin,
                    "notifier",
                    &target.name,
                    target.settings.clone(),
                ) {
                    Ok(i) => {
                        self.instances.insert(target.name.clone(), i);
                    }
                    Err(e) => {
                        tracing::warn!("notifier {}: {e}", target.name);
                        continue;
                    }
                }
            }
            let instance = self
                .instances
                .get_mut(&target.name)
                .expect("inserted above");
            match instance.notify(&event) {
                Ok(()) => delivered += 1,
                Err(e) => tracing::warn!("notifier {} failed: {e}", target.name),
            }
        }
        tracing::info!(
            "{} [{}] {}: {}",
            notice.kind,
            notice.priority,
            notice.session,
            notice.message
        );
        delivered
    }
}
