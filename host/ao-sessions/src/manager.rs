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
    /// The transcript version (its mtime) whose session info was last read,
    /// per session: the info is read again only when the transcript moved.
    pub(crate) info_read_at: HashMap<String, i64>,
    pub(crate) progress: Progress,
    /// How long to wait for a post-launch agent to be ready for its prompt.
    pub ready_timeout: Duration,
    /// How long `send` waits for a busy agent before typing anyway.
    pub busy_timeout: Duration,
    /// The config file, canonical: projects are keyed by it.
    config_key: Option<String>,
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
        let config_key = config
            .source
            .as_ref()
            .and_then(|s| s.file.as_ref())
            .map(|f| {
                f.canonicalize()
                    .unwrap_or_else(|_| f.clone())
                    .display()
                    .to_string()
            });
        SessionManager {
            config_key,
            config,
            paths,
            store,
            runtimes,
            catalog,
            settings_for,
            agents: HashMap::new(),
            info_read_at: HashMap::new(),
            progress: Box::new(|_| {}),
            // Aider takes ~10 s to show its prompt on an idle machine and
            // over 15 s on a busy one; OpenCode ~12 s.
            ready_timeout: Duration::from_secs(60),
            busy_timeout: Duration::from_secs(600),
        }
    }

    /// Reports slow steps to `progress`.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// The config file sessions and queue entries made here are keyed by.
    pub fn config_key(&self) -> Option<String> {
        self.config_key.clone()
    }

    /// Whether a session (or queue entry) of `project` made with the config
    /// at `config_path` belongs to this config: the project is configured
    /// here and it came from this same file (or from before files were
    /// recorded). Others belong to another repository's config: they are
    /// kept and shown, never driven from here.
    pub fn owns_project(&self, project: &str, config_path: Option<&str>) -> bool {
        self.config.projects.contains_key(project)
            && (config_path.is_none() || config_path == self.config_key.as_deref())
    }

    /// [`SessionManager::owns_project`] for a session.
    pub fn owns(&self, session: &Session) -> bool {
        self.owns_project(&session.project_id, session.config_path.as_deref())
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
