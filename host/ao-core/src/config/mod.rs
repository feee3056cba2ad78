//! `agent-orchestrator.yaml`: found ([`locate`]), parsed into the raw
//! layer ([`raw`]), then validated into a resolved [`Config`]. Every error
//! names the file, the line and the field and says what would be valid;
//! nothing else runs until the config is valid.

pub mod locate;
pub mod raw;
mod source;

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

    Ok(Config {
        port: raw.port.unwrap_or(3000),
        source: Some(source),
        notifiers,
        routing,
        default_notifiers,
        plugins,
    })
}

#[cfg(test)]
mod tests;
