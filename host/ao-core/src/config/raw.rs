//! The raw layer: the file's shape, checked by serde. Unknown keys are
//! errors (a typo should not silently do nothing). Sections owned by later
//! subsystems (projects, reactions, lifecycle…) are accepted as YAML values
//! here and validated by their owners.

use super::{ConfigError, PERMISSIONS, PRIORITIES, RUNTIMES, Source, WORKSPACES};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde_yaml::{Mapping, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// `agent-orchestrator.yaml`: ao's configuration, found in the repository (or above it); every key is optional.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(rename = "Config")]
pub struct RawConfig {
    /// The JSON Schema of this file, for editors' completion and checks; ao ignores it.
    #[serde(rename = "$schema")]
    pub schema: Option<String>,
    /// Port of the daemon's HTTP API on 127.0.0.1 (`ao start`); default 3000.
    pub port: Option<u16>,
    /// Reserved for the dashboard's terminal server: accepted, not used yet.
    pub terminal_port: Option<u16>,
    /// Most sessions running at once across all projects (1 or more); no limit when absent.
    #[schemars(range(min = 1))]
    pub max_concurrent_sessions: Option<u32>,
    /// Reserved (milliseconds an agent must stay idle to count as ready): accepted, not used yet.
    pub ready_threshold_ms: Option<u64>,
    /// Defaults for every project: runtime, agent, workspace kind and notifiers.
    pub defaults: Option<RawDefaults>,
    /// The repositories ao runs agents in, by project id (letters, digits, `-`, `_`).
    #[schemars(extend("propertyNames" = { "pattern": IDENTIFIER }))]
    pub projects: Option<BTreeMap<String, RawProject>>,
    /// Notifier instances by name (letters, digits, `-`, `_`): a notifier plugin and its settings.
    #[schemars(extend("propertyNames" = { "pattern": IDENTIFIER }))]
    pub notifiers: Option<BTreeMap<String, RawNotifier>>,
    /// Which notifiers get events of each priority (urgent, action, warning, info); a priority not listed goes to `defaults.notifiers`, else to every notifier.
    #[schemars(with = "Option<Routing>")]
    pub notification_routing: Option<BTreeMap<String, Vec<String>>>,
    /// What ao does on each trigger (ci-failed, changes-requested, bot-comments, merge-conflicts, approved-and-green, agent-needs-input, agent-stuck, agent-exited, pr-merged, pr-closed, all-complete): `{ action: send-to-agent | notify | auto-merge | cleanup | none, auto, retries, escalateAfter: 2 | 30m, threshold: 10m, priority, message }`; unset keys keep their defaults.
    #[schemars(with = "Option<JsonMap>")]
    pub reactions: Option<Value>,
    /// Per-plugin switches, capability grants and resource limits, by plugin name.
    pub plugins: Option<BTreeMap<String, RawPluginEntry>>,
    /// Reserved (the daemon's polling and session lifecycle settings): a mapping, accepted, not used yet.
    #[schemars(with = "Option<JsonMap>")]
    pub lifecycle: Option<Value>,
    /// Reserved (the web dashboard's settings): a mapping, accepted, not used yet.
    #[schemars(with = "Option<JsonMap>")]
    pub dashboard: Option<Value>,
    /// Reserved (keeping the machine awake while agents work): a mapping, accepted, not used yet.
    #[schemars(with = "Option<JsonMap>")]
    pub power: Option<Value>,
}

/// `defaults`: what a project gets when it does not say.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(rename = "Defaults")]
pub struct RawDefaults {
    /// Where agents run: `tmux` (default) or `process`.
    #[schemars(with = "Option<Runtime>")]
    pub runtime: Option<String>,
    /// The agent plugin: `claude-code` (default), `codex`, `aider`, `opencode`, `cursor`, `custom`, or the name of an installed agent plugin.
    #[schemars(extend("examples" = AGENTS))]
    pub agent: Option<String>,
    /// How each session's checkout is made: `worktree` (default, a git worktree of the project's checkout) or `clone` (a full, independent clone of its remote).
    #[schemars(with = "Option<WorkspaceKind>")]
    pub workspace: Option<String>,
    /// Notifiers (names under `notifiers`) for priorities that `notificationRouting` does not list; default: every notifier.
    pub notifiers: Option<Vec<String>>,
    /// What agents may do without asking: `bypass` (default: everything, the agent's skip-permissions mode; it runs with your rights), `accept-edits` (file edits without asking, commands ask), `default` (the agent asks before edits and commands; a question makes the session `needs_input`).
    #[schemars(with = "Option<PermissionPolicy>")]
    pub permissions: Option<String>,
    /// Reserved (settings of the orchestrator agent): a mapping, accepted, not used yet.
    #[schemars(with = "Option<JsonMap>")]
    pub orchestrator: Option<Value>,
    /// Reserved (settings of worker agents): a mapping, accepted, not used yet.
    #[schemars(with = "Option<JsonMap>")]
    pub worker: Option<Value>,
}

/// `projects.<id>`: a repository ao runs agents in; only `path` is required.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(rename = "Project")]
pub struct RawProject {
    /// Display name; default: the project id.
    pub name: Option<String>,
    /// The repository on its code host as `owner/name` (or `group/sub/name`), for tracker and SCM plugins.
    pub repo: Option<String>,
    #[schemars(required)]
    /// Required: the project's main checkout; `~/` is the home directory, a relative path is relative to this file.
    pub path: Option<String>,
    /// The branch sessions start from, as the remote has it (`<remote>/<defaultBranch>`); default `main`.
    pub default_branch: Option<String>,
    /// Sessions are named `<prefix>-1`, `<prefix>-2`…; letters, digits, `-` and `_`, unique across projects; default: derived from the checkout's directory name.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub session_prefix: Option<String>,
    /// The git remote sessions fetch from (or clone) and push to; default `origin`.
    pub remote: Option<String>,
    /// Where this project's agents run: `tmux` or `process`; default `defaults.runtime`.
    #[schemars(with = "Option<Runtime>")]
    pub runtime: Option<String>,
    /// The agent plugin (`claude-code`, `codex`, `aider`, `opencode`, `cursor`, `custom`, or an installed one); default `defaults.agent`.
    #[schemars(extend("examples" = AGENTS))]
    pub agent: Option<String>,
    /// What this project's agents may do without asking: `bypass`, `accept-edits` or `default`; default `defaults.permissions`.
    #[schemars(with = "Option<PermissionPolicy>")]
    pub permissions: Option<String>,
    /// How each session's checkout is made: `worktree` or `clone`; default `defaults.workspace`.
    #[schemars(with = "Option<WorkspaceKind>")]
    pub workspace: Option<String>,
    /// Where issues come from: `local` (default: `.ao/issues/<id>.md`), a tracker plugin name (`github`), or `{ plugin: NAME, …settings }`.
    #[schemars(with = "Option<serde_json::Value>")]
    pub tracker: Option<Value>,
    /// Where PRs, CI and reviews live: `local` (default: pushed branches, the `ci` command, `ao review`), an SCM plugin name (`github`), or `{ plugin: NAME, ci: \"make test\", …settings }`.
    #[schemars(with = "Option<serde_json::Value>")]
    pub scm: Option<Value>,
    /// Relative paths in the checkout linked into each workspace instead of copied (e.g. `node_modules`); no `..`, no absolute paths.
    #[serde(default)]
    pub symlinks: Vec<String>,
    /// Untracked files copied into each workspace (`.env`, `*.pem`…): relative paths, `*` allowed in the last component; no `..`, no absolute paths.
    #[serde(default)]
    pub include: Vec<String>,
    /// Shell commands run in each new workspace, in order (e.g. `npm ci`); output kept in `<data>/logs/<session>-post-create.log`; a failure stops the spawn.
    #[serde(default)]
    pub post_create: Vec<String>,
    /// Settings handed to the agent plugin as JSON (e.g. `command` for `custom`, `model`).
    #[schemars(with = "Option<JsonMap>")]
    pub agent_config: Option<Mapping>,
    /// Project rules added to every session's prompt.
    pub agent_rules: Option<String>,
    /// A file of project rules (relative to `path`) added to the prompt after `agentRules`.
    pub agent_rules_file: Option<String>,
    /// This project's overrides of the top-level `reactions`.
    #[schemars(with = "Option<JsonMap>")]
    pub reactions: Option<Value>,
    /// Reserved (`false` to switch the project off without deleting it): accepted, not used yet.
    pub enabled: Option<bool>,
}

/// `notifiers.<name>`: the plugin (defaults to the name) and its settings, every other key (e.g. `webhookUrl`).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(rename = "Notifier")]
pub struct RawNotifier {
    /// The notifier plugin (`desktop`, `slack`, `discord`, `webhook` or an installed one); default: the notifier's name.
    #[schemars(extend("examples" = ["desktop", "slack", "discord", "webhook"]))]
    pub plugin: Option<String>,
    /// The plugin's own settings: every key but `plugin`.
    #[serde(flatten)]
    #[schemars(with = "JsonMap")]
    pub settings: Mapping,
}

/// `plugins.<name>`: whether an installed plugin is used, what it may use, and how much.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(rename = "Plugin")]
pub struct RawPluginEntry {
    /// `false` keeps the plugin installed but unused; default `true`.
    pub enabled: Option<bool>,
    /// What the plugin may use; replaces the default grant (a plugin never gets more than it requests).
    pub grant: Option<RawGrant>,
    /// Resource limits of each of the plugin's instances.
    pub limits: Option<RawLimits>,
}

/// `plugins.<name>.grant`: what the user allows. Replaces the default grant.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(rename = "Grant")]
pub struct RawGrant {
    /// Hosts it may send HTTP requests to: `api.github.com`, `*.slack.com`, `127.0.0.1:8080`, or `*` for whatever it requests; default none.
    #[serde(default)]
    pub http: Vec<String>,
    /// Secrets it may use (names of ao's environment variables; default none): a list sends each only in headers ao fills on https requests to this grant's `http` hosts, never readable by the plugin; a mapping says per secret where it may go and whether the plugin may read it, e.g. `{ GITHUB_TOKEN: { hosts: [api.github.com] }, GITHUB_WEBHOOK_SECRET: { read: true } }`.
    #[serde(default)]
    pub secrets: RawSecrets,
    /// Programs it may run, looked up on PATH (e.g. `gh`, `git`); default none.
    #[serde(default)]
    pub programs: Vec<String>,
    /// Directories it may read (read-only; `~/` is the home directory); default none.
    #[serde(default)]
    pub read_dirs: Vec<String>,
    /// Whether it gets a private key-value store; default `false`.
    #[serde(default)]
    pub kv: bool,
}

/// `grant.secrets`: a list of names, or per name where it may go.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "SecretGrants")]
pub enum RawSecrets {
    /// `[GITHUB_TOKEN]`: each to the grant's `http` hosts only, never readable by the plugin.
    Names(Vec<String>),
    /// `{ GITHUB_TOKEN: { hosts: [api.github.com] } }`.
    Uses(BTreeMap<String, RawSecretUse>),
}

impl Default for RawSecrets {
    fn default() -> Self {
        RawSecrets::Names(Vec::new())
    }
}

impl RawSecrets {
    /// The secret names granted.
    pub fn names(&self) -> Vec<String> {
        match self {
            RawSecrets::Names(names) => names.clone(),
            RawSecrets::Uses(uses) => uses.keys().cloned().collect(),
        }
    }

    /// Each name with its use (defaults for the list form).
    pub fn uses(&self) -> Vec<(String, RawSecretUse)> {
        match self {
            RawSecrets::Names(names) => names
                .iter()
                .map(|n| (n.clone(), RawSecretUse::default()))
                .collect(),
            RawSecrets::Uses(uses) => uses.iter().map(|(n, u)| (n.clone(), u.clone())).collect(),
        }
    }
}

/// `grant.secrets.<NAME>`: where one secret may go.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(rename = "SecretUse")]
pub struct RawSecretUse {
    /// Hosts ao may send it to, in a header it fills (https; plain http only to localhost); default: the grant's `http` hosts.
    pub hosts: Option<Vec<String>>,
    /// Whether the plugin may read the value itself (e.g. to check a webhook's signature); default `false`.
    #[serde(default)]
    pub read: bool,
}

/// `plugins.<name>.limits`: resource limits of each of the plugin's instances.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(rename = "Limits")]
pub struct RawLimits {
    /// Memory cap of each instance in MiB, 1 to 4096; default 64.
    #[serde(rename = "memoryMiB")]
    #[schemars(range(min = 1, max = 4096))]
    pub memory_mib: Option<u32>,
    /// Time budget of one call in milliseconds (host calls included), 100 to 600000; default 5000.
    #[schemars(range(min = 100, max = 600_000))]
    pub timeout_ms: Option<u32>,
    /// Longest single HTTP request in milliseconds; default 10000.
    pub http_timeout_ms: Option<u32>,
    /// Largest HTTP response body the plugin may receive, in MiB; default 8.
    #[serde(rename = "maxResponseMiB")]
    pub max_response_mib: Option<u32>,
}

/// A JSON object, the schema of sections kept as YAML mappings.
type JsonMap = serde_json::Map<String, serde_json::Value>;

/// Project and notifier names.
const IDENTIFIER: &str = "^[A-Za-z0-9_-]+$";

/// The agents ao ships, offered as examples (an installed plugin may add others).
const AGENTS: [&str; 8] = [
    "claude-code",
    "codex",
    "aider",
    "opencode",
    "cursor",
    "gemini",
    "copilot",
    "custom",
];

/// Schemas for values that are plain strings in the raw layer but one of a
/// fixed set (kept in step with the validation's lists), inlined.
macro_rules! schema_only {
    ($name:ident, $schema:expr) => {
        struct $name;

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn inline_schema() -> bool {
                true
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                $schema
            }
        }
    };
}

schema_only!(
    Runtime,
    json_schema!({ "type": "string", "enum": RUNTIMES })
);
schema_only!(
    WorkspaceKind,
    json_schema!({ "type": "string", "enum": WORKSPACES })
);
schema_only!(
    PermissionPolicy,
    json_schema!({ "type": "string", "enum": PERMISSIONS })
);
schema_only!(
    Routing,
    json_schema!({
        "type": "object",
        "propertyNames": { "enum": PRIORITIES },
        "additionalProperties": { "type": "array", "items": { "type": "string" } }
    })
);

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
