//! The raw layer: the file's shape, checked by serde. Unknown keys are
//! errors (a typo should not silently do nothing). Sections owned by later
//! subsystems (projects, reactions, lifecycle…) are accepted as YAML values
//! here and validated by their owners.

use super::{ConfigError, Source};
use serde::Deserialize;
use serde_yaml::{Mapping, Value};
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawConfig {
    #[serde(rename = "$schema")]
    pub schema: Option<String>,
    pub port: Option<u16>,
    pub terminal_port: Option<u16>,
    pub max_concurrent_sessions: Option<u32>,
    pub ready_threshold_ms: Option<u64>,
    pub defaults: Option<RawDefaults>,
    pub projects: Option<BTreeMap<String, RawProject>>,
    pub notifiers: Option<BTreeMap<String, RawNotifier>>,
    pub notification_routing: Option<BTreeMap<String, Vec<String>>>,
    pub reactions: Option<Value>,
    pub plugins: Option<BTreeMap<String, RawPluginEntry>>,
    pub lifecycle: Option<Value>,
    pub dashboard: Option<Value>,
    pub power: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawDefaults {
    pub runtime: Option<String>,
    pub agent: Option<String>,
    pub workspace: Option<String>,
    pub notifiers: Option<Vec<String>>,
    pub orchestrator: Option<Value>,
    pub worker: Option<Value>,
}

/// `projects.<id>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawProject {
    pub name: Option<String>,
    /// `owner/name` (or `group/sub/name`).
    pub repo: Option<String>,
    /// The main checkout; `~` is expanded; relative to the config file.
    pub path: Option<String>,
    pub default_branch: Option<String>,
    pub session_prefix: Option<String>,
    pub remote: Option<String>,
    pub runtime: Option<String>,
    pub agent: Option<String>,
    pub workspace: Option<String>,
    pub tracker: Option<Value>,
    pub scm: Option<Value>,
    #[serde(default)]
    pub symlinks: Vec<String>,
    /// Untracked files copied into each workspace (`.env`, `*.pem`…).
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub post_create: Vec<String>,
    pub agent_config: Option<Mapping>,
    pub agent_rules: Option<String>,
    pub agent_rules_file: Option<String>,
    pub reactions: Option<Value>,
    pub enabled: Option<bool>,
}

/// `notifiers.<name>`: the plugin (defaults to the name) and its settings.
#[derive(Debug, Default, Deserialize)]
pub struct RawNotifier {
    pub plugin: Option<String>,
    #[serde(flatten)]
    pub settings: Mapping,
}

/// `plugins.<name>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawPluginEntry {
    pub enabled: Option<bool>,
    pub grant: Option<RawGrant>,
    pub limits: Option<RawLimits>,
}

/// `plugins.<name>.grant`: what the user allows. Replaces the default grant.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawGrant {
    #[serde(default)]
    pub http: Vec<String>,
    #[serde(default)]
    pub secrets: Vec<String>,
    #[serde(default)]
    pub programs: Vec<String>,
    #[serde(default)]
    pub read_dirs: Vec<String>,
    #[serde(default)]
    pub kv: bool,
}

/// `plugins.<name>.limits`.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawLimits {
    #[serde(rename = "memoryMiB")]
    pub memory_mib: Option<u32>,
    pub timeout_ms: Option<u32>,
    pub http_timeout_ms: Option<u32>,
    #[serde(rename = "maxResponseMiB")]
    pub max_response_mib: Option<u32>,
}

/// Parses the text; serde's message carries the field path and the line.
pub fn parse(source: &Source) -> Result<RawConfig, ConfigError> {
    if source.text.trim().is_empty() {
        return Ok(RawConfig::default());
    }
    let de = serde_yaml::Deserializer::from_str(&source.text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let line = inner.location().map(|l| l.line());
        // serde_yaml appends "at line X column Y"; the line is reported separately.
        let mut message = inner.to_string();
        if let Some(cut) = message.find(" at line ") {
            message.truncate(cut);
        }
        let message = message
            .trim_start_matches(&format!("{field}: "))
            .to_string();
        let hint = message
            .contains("unknown field")
            .then(|| "check the spelling; keys are camelCase".to_string());
        ConfigError {
            file: source.file.clone(),
            line,
            field: if field == "." { String::new() } else { field },
            message,
            hint,
        }
    })
}
