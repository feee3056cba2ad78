//! The session manager: the store, the runtimes, the plugin catalog and the
//! config, and the lookups every session operation shares.

use crate::{Runtimes, SessionError};
use ao_core::Paths;
use ao_core::config::{Config, ProjectConfig};
use ao_core::state::{Session, Store};
use ao_plugin_host::discovery::{Catalog, Discovered};
use ao_plugin_host::{InstanceSettings, PluginInstance};
use ao_runtime::Liveness;
use std::collections::HashMap;
use std::time::Duration;

/// Makes the instance settings of a plugin (grants, limits, secrets).
pub type SettingsFor =
    Box<dyn Fn(&Discovered, &str, serde_json::Map<String, serde_json::Value>) -> InstanceSettings>;

/// Receives one-line progress messages of slow steps (fetch, postCreate…).
pub type Progress = Box<dyn Fn(&str)>;

/// Owns the store, the runtimes and the plugin catalog for session work.
pub struct SessionManager {
    pub config: Config,
    pub paths: Paths,
    pub store: Store,
    pub runtimes: Runtimes,
    catalog: Catalog,
    settings_for: SettingsFor,
    /// Agent plugin instances, one per (project, agent), reused across calls.
    agents: HashMap<(String, String), PluginInstance>,
    pub(crate) progress: Progress,
    /// How long to wait for a post-launch agent to be ready for its prompt.
    pub ready_timeout: Duration,
    /// How long `send` waits for a busy agent before typing anyway.
    pub busy_timeout: Duration,
}

impl SessionManager {
    pub fn new(
        config: Config,
        paths: Paths,
        store: Store,
        runtimes: Runtimes,
        catalog: Catalog,
        settings_for: SettingsFor,
    ) -> Self {
        SessionManager {
            config,
            paths,
            store,
            runtimes,
            catalog,
            settings_for,
            agents: HashMap::new(),
            progress: Box::new(|_| {}),
            ready_timeout: Duration::from_secs(15),
            busy_timeout: Duration::from_secs(600),
        }
    }

    /// Reports slow steps to `progress`.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    pub(crate) fn project(&self, id: &str) -> Result<ProjectConfig, SessionError> {
        self.config
            .projects
            .get(id)
            .cloned()
            .ok_or_else(|| SessionError::UnknownProject(id.to_string()))
    }

    /// A configured instance of the project's agent plugin, created on first
    /// use and then reused. Taken out of the cache while in use (put it back
    /// with [`SessionManager::return_agent`]) so the borrow of `self` ends.
    pub(crate) fn take_agent(
        &mut self,
        project: &ProjectConfig,
        name: &str,
    ) -> Result<PluginInstance, SessionError> {
        if let Some(instance) = self.agents.remove(&(project.id.clone(), name.to_string())) {
            return Ok(instance);
        }
        let plugin = self
            .catalog
            .get(name)
            .filter(|d| d.plugin.manifest().roles.iter().any(|r| r == "agent"))
            .ok_or_else(|| SessionError::UnknownAgent(name.to_string()))?;
        let label = format!("{name} ({})", project.id);
        Ok(plugin.plugin.instantiate((self.settings_for)(
            plugin,
            &label,
            project.agent_config.clone(),
        )))
    }

    /// A configured instance of plugin `name`, which must have `role`.
    pub fn instantiate(
        &self,
        name: &str,
        role: &str,
        label: &str,
        settings: serde_json::Map<String, serde_json::Value>,
    ) -> Result<PluginInstance, SessionError> {
        let plugin = self
            .catalog
            .get(name)
            .filter(|d| d.plugin.manifest().roles.iter().any(|r| r == role))
            .ok_or_else(|| {
                SessionError::Other(format!(
                    "no {role} plugin named `{name}` (see `ao plugin ls`)"
                ))
            })?;
        Ok(plugin
            .plugin
            .instantiate((self.settings_for)(plugin, label, settings)))
    }

    pub(crate) fn return_agent(
        &mut self,
        project: &ProjectConfig,
        name: &str,
        instance: PluginInstance,
    ) {
        self.agents
            .insert((project.id.clone(), name.to_string()), instance);
    }

    /// The agent a session uses.
    pub(crate) fn agent_name(session: &Session, project: &ProjectConfig) -> String {
        session
            .agent
            .clone()
            .unwrap_or_else(|| project.agent.clone())
    }

    /// Sessions with whether their program is running, from one liveness
    /// query per runtime (not one per session).
    pub fn list(
        &self,
        project: Option<&str>,
        include_terminal: bool,
    ) -> Result<Vec<(Session, bool)>, SessionError> {
        let live = self.runtimes.liveness();
        Ok(self
            .store
            .sessions(project, include_terminal)?
            .into_iter()
            .map(|s| {
                let kind = s.runtime.as_deref().unwrap_or("tmux");
                let alive = matches!(live.get(&s.id), Some((k, Liveness::Running)) if k == kind);
                (s, alive)
            })
            .collect())
    }

    /// Whether one session's program is running.
    pub fn is_alive(&self, session: &Session) -> bool {
        self.runtimes
            .of(session)
            .map(|r| r.is_alive(&session.id))
            .unwrap_or(false)
    }

    pub(crate) fn progress(&self, message: &str) {
        (self.progress)(message);
    }
}
