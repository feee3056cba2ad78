//! Telling people: an event goes to the notifiers routed for its priority
//! (`notificationRouting`, else `defaults.notifiers`, else all). Each
//! notifier runs on its own thread with its own queue, so a slow or stuck
//! one never delays another, nor the lifecycle loop. A notifier that fails
//! is logged; the loop goes on.

use ao_plugin_host::PluginInstance;
use ao_plugin_host::bindings::v0_1::{Event, Priority};
use ao_sessions::SessionManager;
use std::collections::HashMap;
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};

/// Events waiting for one notifier; more are dropped (and logged) rather
/// than piling up behind a notifier that does not answer.
const QUEUE: usize = 64;

/// Notifier workers, started on first use and reused.
#[derive(Default)]
pub struct Notifiers {
    workers: HashMap<String, SyncSender<Event>>,
}

/// Runs one notifier's instance on its own thread until the loop ends.
fn start_worker(name: &str, mut instance: PluginInstance) -> Option<SyncSender<Event>> {
    let (tx, rx) = sync_channel::<Event>(QUEUE);
    let label = name.to_string();
    std::thread::Builder::new()
        .name(format!("ao-notify-{name}"))
        .spawn(move || {
            for event in rx {
                if let Err(e) = instance.notify(&event) {
                    tracing::warn!("notifier {label} failed: {e}");
                }
            }
        })
        .map_err(|e| tracing::warn!("notifier {name}: cannot start its thread: {e}"))
        .ok()?;
    Some(tx)
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
    /// Queues `notice` for its notifiers; returns how many took it.
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
            if !self.workers.contains_key(&target.name) {
                let instance = match manager.instantiate(
                    &target.plugin,
                    "notifier",
                    &target.name,
                    target.settings.clone(),
                ) {
                    Ok(i) => i,
                    Err(e) => {
                        tracing::warn!("notifier {}: {e}", target.name);
                        continue;
                    }
                };
                let Some(worker) = start_worker(&target.name, instance) else {
                    continue;
                };
                self.workers.insert(target.name.clone(), worker);
            }
            let worker = &self.workers[&target.name];
            match worker.try_send(event.clone()) {
                Ok(()) => delivered += 1,
                Err(TrySendError::Full(_)) => tracing::warn!(
                    "notifier {} is {QUEUE} events behind; dropped {} for {}",
                    target.name,
                    notice.kind,
                    notice.session
                ),
                Err(TrySendError::Disconnected(_)) => {
                    tracing::warn!("notifier {} stopped; starting it again", target.name);
                    self.workers.remove(&target.name);
                }
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
