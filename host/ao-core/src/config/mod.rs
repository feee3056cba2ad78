//! `agent-orchestrator.yaml`: found ([`locate`]), parsed into the raw
//! layer ([`raw`]), then validated into a resolved [`Config`]. Every error
//! names the file, the line and the field and says what would be valid;
//! nothing else runs until the config is valid.

pub mod integrations;
mod layers;
pub mod locate;
pub mod raw;
mod schema;
mod source;

pub use schema::{SCHEMA_ID, json_schema};
pub use source::Source;

use raw::{RawConfig, RawPluginEntry};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The priorities events carry, most urgent first.
pub const PRIORITIES: &[&str] = &["urgent", "action", "warning", "info"];

/// A config problem, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: Option<PathBuf>,
    pub line: Option<usize>,
    /// Dotted path of the field, e.g. `notifiers.team.plugin`.
    pub field: String,
    pub message: String,
    /// What would be valid, or what to do.
    pub hint: Option<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{}:{line}: ", file.display())?,
            (Some(file), None) => write!(f, "{}: ", file.display())?,
            _ => {}
        }
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// A notifier instance: a plugin plus its settings.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifierConfig {
    pub name: String,
    pub plugin: String,
    pub settings: Map<String, Json>,
}

/// What the user grants a plugin, and its limits.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PluginConfig {
    pub enabled: bool,
    /// `None` means "use the plugin's default grant".
    pub grant: Option<raw::RawGrant>,
    pub limits: raw::RawLimits,
}

/// Runtimes ao has.
pub const RUNTIMES: &[&str] = &["tmux", "process"];
/// Workspace kinds ao has.
pub const WORKSPACES: &[&str] = &["worktree", "clone"];
/// Permission policies an agent can be launched with.
pub const PERMISSIONS: &[&str] = &["bypass", "accept-edits", "default"];

/// How much an agent may do without asking a person (`permissions:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Permissions {
    /// Everything, without asking: the agent's "skip permissions" / "yolo"
    /// mode. Unattended work needs it; the agent runs with the user's rights.
    #[default]
    Bypass,
    /// File edits inside the workspace without asking; commands ask.
    AcceptEdits,
    /// The agent's own default: it asks before edits and commands.
    Default,
}

impl Permissions {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "bypass" => Some(Self::Bypass),
            "accept-edits" => Some(Self::AcceptEdits),
            "default" => Some(Self::Default),
            _ => None,
        }
    }

    /// Whether an agent under `self` asks less than under `other`.
    pub fn looser_than(self, other: Permissions) -> bool {
        let rank = |p: Permissions| match p {
            Self::Default => 0,
            Self::AcceptEdits => 1,
            Self::Bypass => 2,
        };
        rank(self) > rank(other)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bypass => "bypass",
            Self::AcceptEdits => "accept-edits",
            Self::Default => "default",
        }
    }
}

/// A validated project.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectConfig {
    pub id: String,
    pub name: String,
    pub repo: Option<String>,
    /// Absolute path of the main checkout.
    pub path: PathBuf,
    pub default_branch: String,
    pub remote: String,
    pub session_prefix: String,
    pub runtime: String,
    pub agent: String,
    /// What the agent may do without asking (`permissions:`).
    pub permissions: Permissions,
    /// Whether this file set it (the project's key or `defaults`); if not,
    /// the user's own default applies under a repository's config.
    pub permissions_set: bool,
    pub workspace: String,
    pub symlinks: Vec<String>,
    pub include: Vec<String>,
    pub post_create: Vec<String>,
    /// `agentConfig` as JSON, for the agent plugin.
    pub agent_config: Map<String, Json>,
    /// `agentRules`, inline.
    pub agent_rules: Option<String>,
    /// The text of `agentRulesFile` (read when the config is loaded).
    pub agent_rules_file: Option<String>,
    /// Where issues come from (`local`: `.ao/issues/*.md` in the repository).
    pub tracker: integrations::PluginRef,
    /// Where PRs, CI and reviews live (`local`: pushed branches, a CI command, `ao review`).
    pub scm: integrations::PluginRef,
    /// Defaults, then the top level's `reactions`, then the project's.
    pub reactions: integrations::Reactions,
}

impl ProjectConfig {
    /// The rules added to every prompt: `agentRules`, then the file's text.
    pub fn rules(&self) -> Option<String> {
        match (&self.agent_rules, &self.agent_rules_file) {
            (Some(inline), Some(text)) => Some(format!("{inline}\n\n{text}")),
            (Some(inline), None) => Some(inline.clone()),
            (None, Some(text)) => Some(text.clone()),
            (None, None) => None,
        }
    }
}

/// The session prefix derived from a directory name, as the reference does:
/// short names as they are, CamelCase → capitals, kebab/snake → initials,
/// else the first three letters.
pub fn derive_prefix(dir_name: &str) -> String {
    let clean: String = dir_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    if clean.len() <= 4 {
        return clean.to_lowercase();
    }
    let capitals: String = clean.chars().filter(|c| c.is_ascii_uppercase()).collect();
    if capitals.len() >= 2 {
        return capitals.to_lowercase();
    }
    if clean.contains(['-', '_']) {
        return clean
            .split(['-', '_'])
            .filter_map(|w| w.chars().next())
            .collect::<String>()
            .to_lowercase();
    }
    clean.chars().take(3).collect::<String>().to_lowercase()
}

/// The validated configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where it came from (`None`: no file, built-in defaults).
    pub source: Option<Source>,
    pub port: u16,
    pub notifiers: BTreeMap<String, NotifierConfig>,
    /// priority → notifier names.
    pub routing: BTreeMap<String, Vec<String>>,
    /// Notifiers used when no routing entry matches.
    pub default_notifiers: Vec<String>,
    pub plugins: BTreeMap<String, PluginConfig>,
    pub projects: BTreeMap<String, ProjectConfig>,
    pub max_concurrent_sessions: Option<u32>,
    /// `defaults.permissions`, when the file sets it.
    pub default_permissions: Option<Permissions>,
    pub default_agent: String,
    pub default_runtime: String,
    pub default_workspace: String,
}

impl Config {
    /// Parses and validates a config text.
    pub fn parse(text: &str, file: Option<&Path>) -> Result<Config, ConfigError> {
        let source = Source::new(text, file);
        let raw: RawConfig = raw::parse(&source)?;
        resolve(raw, source)
    }

    /// Reads and validates a file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: Some(path.to_path_buf()),
            line: None,
            field: String::new(),
            message: format!("cannot read: {e}"),
            hint: None,
        })?;
        Config::parse(&text, Some(path))
    }

    /// An error located at a field of this config.
    pub fn error_at(
        &self,
        path: &[&str],
        message: impl Into<String>,
        hint: Option<String>,
    ) -> ConfigError {
        match &self.source {
            Some(source) => source.error_at(path, message, hint),
            None => ConfigError {
                file: None,
                line: None,
                field: path.join("."),
                message: message.into(),
                hint,
            },
        }
    }

    /// The directory holding the config file (a project's root).
    pub fn root(&self) -> Option<PathBuf> {
        self.source
            .as_ref()?
            .file
            .as_ref()?
            .parent()
            .map(Path::to_path_buf)
    }

    /// Notifiers for an event priority: its routing entry, else the defaults,
    /// else every configured notifier.
    pub fn notifiers_for(&self, priority: &str) -> Vec<&NotifierConfig> {
        let names: Vec<&String> = match self.routing.get(priority) {
            Some(names) => names.iter().collect(),
            None if !self.default_notifiers.is_empty() => self.default_notifiers.iter().collect(),
            None => self.notifiers.keys().collect(),
        };
        names
            .into_iter()
            .filter_map(|n| self.notifiers.get(n))
            .collect()
    }
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn resolve(raw: RawConfig, source: Source) -> Result<Config, ConfigError> {
    let mut notifiers = BTreeMap::new();
    for (name, entry) in raw.notifiers.unwrap_or_default() {
        if !is_identifier(&name) {
            return Err(source.error_at(
                &["notifiers", &name],
                "a notifier name may use letters, digits, `-` and `_` only",
                None,
            ));
        }
        let plugin = entry.plugin.clone().unwrap_or_else(|| name.clone());
        if !is_identifier(&plugin) {
            return Err(source.error_at(
                &["notifiers", &name, "plugin"],
                format!("`{plugin}` is not a plugin name"),
                None,
            ));
        }
        let settings = match serde_json::to_value(&entry.settings) {
            Ok(Json::Object(map)) => map,
            _ => {
                return Err(source.error_at(
                    &["notifiers", &name],
                    "settings must be a mapping of keys to values",
                    None,
                ));
            }
        };
        notifiers.insert(
            name.clone(),
            NotifierConfig {
                name,
                plugin,
                settings,
            },
        );
    }

    let known = |n: &str| notifiers.contains_key(n);
    let known_list = || notifiers.keys().cloned().collect::<Vec<_>>().join(", ");
    let mut routing = BTreeMap::new();
    for (priority, names) in raw.notification_routing.unwrap_or_default() {
        if !PRIORITIES.contains(&priority.as_str()) {
            return Err(source.error_at(
                &["notificationRouting", &priority],
                format!("`{priority}` is not a priority"),
                Some(format!("use one of: {}", PRIORITIES.join(", "))),
            ));
        }
        for name in &names {
            if !known(name) {
                return Err(source.error_at(
                    &["notificationRouting", &priority],
                    format!("no notifier named `{name}`"),
                    Some(format!(
                        "define it under `notifiers:` (defined: {})",
                        if notifiers.is_empty() {
                            "none".into()
                        } else {
                            known_list()
                        }
                    )),
                ));
            }
        }
        routing.insert(priority, names);
    }

    let default_notifiers = raw
        .defaults
        .as_ref()
        .and_then(|d| d.notifiers.clone())
        .unwrap_or_default();
    for name in &default_notifiers {
        if !known(name) {
            return Err(source.error_at(
                &["defaults", "notifiers"],
                format!("no notifier named `{name}`"),
                Some(format!(
                    "define it under `notifiers:` (defined: {})",
                    if notifiers.is_empty() {
                        "none".into()
                    } else {
                        known_list()
                    }
                )),
            ));
        }
    }

    let mut plugins = BTreeMap::new();
    for (name, entry) in raw.plugins.unwrap_or_default() {
        let RawPluginEntry {
            enabled,
            grant,
            limits,
        } = entry;
        let limits = limits.unwrap_or_default();
        if let Some(mib) = limits.memory_mib
            && !(1..=4096).contains(&mib)
        {
            return Err(source.error_at(
                &["plugins", &name, "limits", "memoryMiB"],
                format!("{mib} is out of range"),
                Some("use 1 to 4096 (MiB)".into()),
            ));
        }
        if let Some(ms) = limits.timeout_ms
            && !(100..=600_000).contains(&ms)
        {
            return Err(source.error_at(
                &["plugins", &name, "limits", "timeoutMs"],
                format!("{ms} is out of range"),
                Some("use 100 to 600000 (milliseconds)".into()),
            ));
        }
        plugins.insert(
            name,
            PluginConfig {
                enabled: enabled.unwrap_or(true),
                grant,
                limits,
            },
        );
    }

    let defaults = raw.defaults.as_ref();
    let default_agent = defaults
        .and_then(|d| d.agent.clone())
        .unwrap_or_else(|| "claude-code".into());
    let default_runtime = defaults
        .and_then(|d| d.runtime.clone())
        .unwrap_or_else(|| "tmux".into());
    let default_workspace = defaults
        .and_then(|d| d.workspace.clone())
        .unwrap_or_else(|| "worktree".into());
    check_choice(
        &source,
        &["defaults", "runtime"],
        &default_runtime,
        RUNTIMES,
    )?;
    check_choice(
        &source,
        &["defaults", "workspace"],
        &default_workspace,
        WORKSPACES,
    )?;
    let default_permissions = match defaults.and_then(|d| d.permissions.as_deref()) {
        None => None,
        Some(text) => Some(permissions(&source, &["defaults", "permissions"], text)?),
    };
    if raw.max_concurrent_sessions == Some(0) {
        return Err(source.error_at(
            &["maxConcurrentSessions"],
            "0 would never run a session",
            Some("use 1 or more, or remove the key for no limit".into()),
        ));
    }

    let top_reactions = integrations::apply_reactions(
        &source,
        &["reactions"],
        raw.reactions.clone(),
        integrations::default_reactions(),
    )?;
    let mut projects = BTreeMap::new();
    let mut prefixes: BTreeMap<String, String> = BTreeMap::new();
    for (id, p) in raw.projects.unwrap_or_default() {
        if !is_identifier(&id) {
            return Err(source.error_at(
                &["projects", &id],
                "a project id may use letters, digits, `-` and `_` only",
                None,
            ));
        }
        let project = resolve_project(
            &source,
            &id,
            p,
            &default_agent,
            &default_runtime,
            &default_workspace,
            default_permissions,
            &top_reactions,
        )?;
        if let Some(other) = prefixes.insert(project.session_prefix.clone(), id.clone()) {
            return Err(source.error_at(
                &["projects", &id, "sessionPrefix"],
                format!(
                    "session prefix `{}` is also used by project `{other}`",
                    project.session_prefix
                ),
                Some("set a distinct `sessionPrefix` for one of them".into()),
            ));
        }
        projects.insert(id, project);
    }

    Ok(Config {
        projects,
        max_concurrent_sessions: raw.max_concurrent_sessions,
        default_permissions,
        default_agent,
        default_runtime,
        default_workspace,
        port: raw.port.unwrap_or(3000),
        source: Some(source),
        notifiers,
        routing,
        default_notifiers,
        plugins,
    })
}

fn check_choice(
    source: &Source,
    path: &[&str],
    value: &str,
    choices: &[&str],
) -> Result<(), ConfigError> {
    if choices.contains(&value) {
        return Ok(());
    }
    Err(source.error_at(
        path,
        format!("`{value}` is not one of ao's choices"),
        Some(format!("use one of: {}", choices.join(", "))),
    ))
}

fn permissions(source: &Source, path: &[&str], text: &str) -> Result<Permissions, ConfigError> {
    check_choice(source, path, text, PERMISSIONS)?;
    Ok(Permissions::parse(text).unwrap_or_default())
}

#[allow(clippy::too_many_arguments)]
fn resolve_project(
    source: &Source,
    id: &str,
    p: raw::RawProject,
    default_agent: &str,
    default_runtime: &str,
    default_workspace: &str,
    default_permissions: Option<Permissions>,
    top_reactions: &integrations::Reactions,
) -> Result<ProjectConfig, ConfigError> {
    let base = source
        .file
        .as_ref()
        .and_then(|f| f.parent())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let raw_path = p.path.clone().ok_or_else(|| {
        source.error_at(
            &["projects", id],
            "`path` is missing",
            Some("set `path:` to the project's local checkout, e.g. `path: ~/code/web`".into()),
        )
    })?;
    let path = match raw_path.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default()
            .join(rest),
        None => base.join(&raw_path),
    };
    let path = path.canonicalize().map_err(|e| {
        source.error_at(
            &["projects", id, "path"],
            format!("`{raw_path}` cannot be used: {e}"),
            Some("point it at an existing git checkout".into()),
        )
    })?;
    let session_prefix = match p.session_prefix {
        Some(prefix) if is_identifier(&prefix) => prefix,
        Some(prefix) => {
            return Err(source.error_at(
                &["projects", id, "sessionPrefix"],
                format!("`{prefix}` may use letters, digits, `-` and `_` only"),
                None,
            ));
        }
        None => derive_prefix(
            &path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| id.to_string()),
        ),
    };
    let runtime = p.runtime.unwrap_or_else(|| default_runtime.to_string());
    check_choice(source, &["projects", id, "runtime"], &runtime, RUNTIMES)?;
    let permissions_set = p.permissions.is_some() || default_permissions.is_some();
    let permissions = match p.permissions.as_deref() {
        None => default_permissions.unwrap_or_default(),
        Some(text) => permissions(source, &["projects", id, "permissions"], text)?,
    };
    let workspace = p.workspace.unwrap_or_else(|| default_workspace.to_string());
    check_choice(
        source,
        &["projects", id, "workspace"],
        &workspace,
        WORKSPACES,
    )?;
    for (key, list) in [("symlinks", &p.symlinks), ("include", &p.include)] {
        for entry in list.iter() {
            if entry.starts_with('/') || entry.split('/').any(|c| c == "..") {
                return Err(source.error_at(
                    &["projects", id, key],
                    format!("`{entry}` must be a relative path inside the repository"),
                    None,
                ));
            }
        }
    }
    // Both go on git's command line: a value git would read as an option
    // (`--upload-pack=…`) runs commands, so such values are refused.
    for (key, value, example) in [
        ("remote", &p.remote, "origin"),
        ("defaultBranch", &p.default_branch, "main"),
    ] {
        if let Some(value) = value
            && (value.is_empty() || value.starts_with('-') || value.chars().any(char::is_control))
        {
            return Err(source.error_at(
                &["projects", id, key],
                format!("`{value}` is not a git remote or branch name (it must not be empty or start with `-`)"),
                Some(format!("write the {key} by name, e.g. `{example}`")),
            ));
        }
    }
    // Inside the project, through no link: its text goes to the model.
    let rules_file = p
        .agent_rules_file
        .as_ref()
        .map(|file| {
            crate::no_follow::read(&path, file)
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .map_err(|e| {
                    source.error_at(
                        &["projects", id, "agentRulesFile"],
                        format!("cannot read `{file}` (relative to the project path): {e}"),
                        Some("name a file inside the project, e.g. `AGENTS.md`".into()),
                    )
                })
        })
        .transpose()?;
    let agent_config = match p.agent_config.map(serde_json::to_value) {
        None => Map::new(),
        Some(Ok(Json::Object(m))) => m,
        Some(_) => {
            return Err(source.error_at(
                &["projects", id, "agentConfig"],
                "must be a mapping",
                None,
            ));
        }
    };
    let tracker = integrations::plugin_ref(source, &["projects", id, "tracker"], p.tracker)?;
    let scm = integrations::plugin_ref(source, &["projects", id, "scm"], p.scm)?;
    let reactions = integrations::apply_reactions(
        source,
        &["projects", id, "reactions"],
        p.reactions,
        top_reactions.clone(),
    )?;
    Ok(ProjectConfig {
        id: id.to_string(),
        name: p.name.unwrap_or_else(|| id.to_string()),
        repo: p.repo,
        path,
        default_branch: p.default_branch.unwrap_or_else(|| "main".into()),
        remote: p.remote.unwrap_or_else(|| "origin".into()),
        session_prefix,
        runtime,
        agent: p.agent.unwrap_or_else(|| default_agent.to_string()),
        permissions,
        permissions_set,
        workspace,
        symlinks: p.symlinks,
        include: p.include,
        post_create: p.post_create,
        agent_config,
        agent_rules: p.agent_rules,
        agent_rules_file: rules_file,
        tracker,
        scm,
        reactions,
    })
}

#[cfg(test)]
mod tests;
