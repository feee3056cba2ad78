//! The parts of a project that talk to the outside world: its tracker and
//! SCM (a plugin and its settings, `local` by default) and its reactions
//! (what ao does when CI fails, a review asks for changes, a PR merges…).

use super::{ConfigError, PRIORITIES, Source};
use serde_json::{Map, Value as Json};
use serde_yaml::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// A tracker or SCM: which plugin (`local` is built into ao), with what settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginRef {
    pub plugin: String,
    pub settings: Map<String, Json>,
}

impl PluginRef {
    pub fn local() -> PluginRef {
        PluginRef {
            plugin: "local".into(),
            settings: Map::new(),
        }
    }

    pub fn is_local(&self) -> bool {
        self.plugin == "local"
    }

    /// A string setting.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings.get(key).and_then(Json::as_str)
    }
}

/// `tracker: github` or `tracker: { plugin: github, … settings }`.
pub fn plugin_ref(
    source: &Source,
    path: &[&str],
    value: Option<Value>,
) -> Result<PluginRef, ConfigError> {
    match value {
        None | Some(Value::Null) => Ok(PluginRef::local()),
        Some(Value::String(plugin)) => Ok(PluginRef {
            plugin,
            settings: Map::new(),
        }),
        Some(v @ Value::Mapping(_)) => {
            let Ok(Json::Object(mut settings)) = serde_json::to_value(&v) else {
                return Err(source.error_at(path, "must be a mapping of settings", None));
            };
            let plugin = match settings.remove("plugin") {
                Some(Json::String(p)) => p,
                None => "local".into(),
                Some(_) => {
                    return Err(source.error_at(path, "`plugin` must be a plugin name", None));
                }
            };
            Ok(PluginRef { plugin, settings })
        }
        Some(_) => Err(source.error_at(
            path,
            "must be a plugin name or a mapping with `plugin:` and its settings",
            Some("e.g. `scm: { plugin: local, ci: \"make test\" }` or `tracker: github`".into()),
        )),
    }
}

/// What a reaction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Type a message into the session's agent (the failure, the comments).
    SendToAgent,
    /// Tell people through the notifiers.
    Notify,
    /// Merge the PR (only when CI passes and it is approved).
    AutoMerge,
    /// End the session and remove its workspace.
    Cleanup,
    /// Do nothing.
    None,
}

pub const ACTIONS: &[&str] = &["send-to-agent", "notify", "auto-merge", "cleanup", "none"];

impl Action {
    fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "send-to-agent" => Action::SendToAgent,
            "notify" => Action::Notify,
            "auto-merge" => Action::AutoMerge,
            "cleanup" => Action::Cleanup,
            "none" => Action::None,
            _ => return None,
        })
    }
}

/// One reaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Reaction {
    pub action: Action,
    /// `false`: people are told instead of ao acting (the action becomes notify).
    pub auto: bool,
    /// Times `send-to-agent` is tried for one trigger before people are
    /// told instead (escalation).
    pub retries: u32,
    /// The priority of its notifications.
    pub priority: String,
    /// Text put before the details ao adds.
    pub message: Option<String>,
    /// When people are told a `send-to-agent` reaction is not getting
    /// resolved, besides running out of `retries`.
    pub escalate_after: Option<EscalateAfter>,
    /// How long a condition must last before it triggers (`agent-stuck`:
    /// how long the agent sits idle).
    pub threshold: Option<Duration>,
}

/// `escalateAfter`: a number of attempts, or a time since the first one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscalateAfter {
    Attempts(u32),
    Elapsed(Duration),
}

impl Reaction {
    /// Whether a trigger first seen at `first_at_ms` and reacted to
    /// `attempts` times should now go to people.
    pub fn overdue(&self, attempts: u32, first_at_ms: i64, now_ms: i64) -> bool {
        let elapsed = Duration::from_millis(now_ms.saturating_sub(first_at_ms).max(0) as u64);
        attempts > self.retries.max(1)
            || match self.escalate_after {
                Some(EscalateAfter::Attempts(n)) => attempts > n,
                Some(EscalateAfter::Elapsed(d)) => elapsed >= d,
                None => false,
            }
    }
}

/// What can trigger a reaction, with its default.
pub const REACTION_KEYS: &[&str] = &[
    "ci-failed",
    "changes-requested",
    "merge-conflicts",
    "approved-and-green",
    "agent-needs-input",
    "agent-exited",
    "pr-merged",
    "pr-closed",
    "bot-comments",
    "agent-stuck",
    "all-complete",
];

fn default_reaction(key: &str) -> Reaction {
    let minutes = |m: u64| Some(Duration::from_secs(m * 60));
    let escalate_after = match key {
        "changes-requested" | "bot-comments" => minutes(30).map(EscalateAfter::Elapsed),
        "merge-conflicts" => minutes(15).map(EscalateAfter::Elapsed),
        _ => None,
    };
    let threshold = if key == "agent-stuck" {
        minutes(10)
    } else {
        None
    };
    let (action, retries, priority) = match key {
        "ci-failed" => (Action::SendToAgent, 3, "action"),
        "changes-requested" | "bot-comments" => (Action::SendToAgent, 3, "action"),
        "merge-conflicts" => (Action::SendToAgent, 2, "action"),
        "agent-stuck" => (Action::Notify, 0, "urgent"),
        "approved-and-green" => (Action::Notify, 0, "action"),
        "agent-needs-input" => (Action::Notify, 0, "urgent"),
        "agent-exited" => (Action::Notify, 0, "warning"),
        "pr-merged" => (Action::Cleanup, 0, "info"),
        _ => (Action::Notify, 0, "info"),
    };
    Reaction {
        action,
        auto: true,
        retries,
        priority: priority.into(),
        message: None,
        escalate_after,
        threshold,
    }
}

/// The reactions in force: defaults, then the top level's, then the project's.
pub type Reactions = BTreeMap<String, Reaction>;

pub fn default_reactions() -> Reactions {
    REACTION_KEYS
        .iter()
        .map(|k| (k.to_string(), default_reaction(k)))
        .collect()
}

/// Applies a `reactions:` section (at `path`) over `base`.
pub fn apply_reactions(
    source: &Source,
    path: &[&str],
    value: Option<Value>,
    mut base: Reactions,
) -> Result<Reactions, ConfigError> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(base);
    };
    let Value::Mapping(map) = value else {
        return Err(source.error_at(
            path,
            "must be a mapping of reaction names to settings",
            None,
        ));
    };
    for (key, entry) in map {
        let key = key.as_str().unwrap_or_default().to_string();
        let here: Vec<&str> = path.iter().copied().chain([key.as_str()]).collect();
        let Some(current) = base.get_mut(&key) else {
            return Err(source.error_at(
                &here,
                format!("`{key}` is not a reaction ao has"),
                Some(format!("use one of: {}", REACTION_KEYS.join(", "))),
            ));
        };
        let Value::Mapping(fields) = entry else {
            return Err(source.error_at(
                &here,
                "must be a mapping, e.g. `{ action: notify }`",
                None,
            ));
        };
        for (field, v) in fields {
            let field = field.as_str().unwrap_or_default().to_string();
            let at: Vec<&str> = here.iter().copied().chain([field.as_str()]).collect();
            match (field.as_str(), &v) {
                ("action", Value::String(a)) => {
                    current.action = Action::parse(a).ok_or_else(|| {
                        source.error_at(
                            &at,
                            format!("`{a}` is not an action"),
                            Some(format!("use one of: {}", ACTIONS.join(", "))),
                        )
                    })?;
                }
                ("retries", Value::Number(n)) if n.as_u64().is_some_and(|n| n <= 20) => {
                    current.retries = n.as_u64().unwrap_or(0) as u32;
                }
                ("priority", Value::String(p)) if PRIORITIES.contains(&p.as_str()) => {
                    current.priority = p.clone();
                }
                ("message", Value::String(m)) => current.message = Some(m.clone()),
                ("auto", Value::Bool(b)) => current.auto = *b,
                ("escalateAfter", Value::Number(n)) if n.as_u64().is_some_and(|n| n <= 20) => {
                    current.escalate_after =
                        Some(EscalateAfter::Attempts(n.as_u64().unwrap_or(0) as u32));
                }
                ("escalateAfter", Value::String(d)) => {
                    let d = duration(d).map_err(|why| source.error_at(&at, why, None))?;
                    current.escalate_after = Some(EscalateAfter::Elapsed(d));
                }
                ("threshold", Value::String(d)) if key == "agent-stuck" => {
                    current.threshold =
                        Some(duration(d).map_err(|why| source.error_at(&at, why, None))?);
                }
                ("threshold", _) if key != "agent-stuck" => {
                    return Err(source.error_at(
                        &at,
                        "`threshold` only applies to `agent-stuck`",
                        None,
                    ));
                }
                (
                    "action" | "retries" | "priority" | "message" | "auto" | "escalateAfter"
                    | "threshold",
                    _,
                ) => {
                    let valid = match field.as_str() {
                        "retries" => "a number from 0 to 20".to_string(),
                        "escalateAfter" => {
                            "a number of attempts (0 to 20) or a duration such as `30m`".to_string()
                        }
                        "threshold" => "a duration such as `10m`".to_string(),
                        "priority" => format!("one of: {}", PRIORITIES.join(", ")),
                        "auto" => "true or false".to_string(),
                        _ => "a string".to_string(),
                    };
                    return Err(source.error_at(&at, format!("`{field}` must be {valid}"), None));
                }
                _ => {
                    return Err(source.error_at(
                        &at,
                        format!("`{field}` is not a reaction setting"),
                        Some(
                            "use action, auto, retries, escalateAfter, threshold, priority, message"
                                .into(),
                        ),
                    ));
                }
            }
        }
        if current.action == Action::AutoMerge && key != "approved-and-green" {
            return Err(source.error_at(
                &here,
                "auto-merge is only for `approved-and-green`",
                None,
            ));
        }
    }
    for reaction in base.values_mut() {
        if !reaction.auto && reaction.action != Action::None {
            reaction.action = Action::Notify;
        }
    }
    Ok(base)
}

/// A duration as people write it in the config: `90s`, `10m`, `1h 30m`.
fn duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|e| format!("`{text}` is not a duration ({e}); write e.g. `90s`, `10m` or `1h`"))
}
