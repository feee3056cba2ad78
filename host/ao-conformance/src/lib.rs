//! # ao-conformance
//!
//! The plugin conformance suite: what `ao plugin test FILE.wasm` runs, and what
//! the integration tests hold every example plugin to. Each role a plugin's
//! manifest declares is checked against fake services on 127.0.0.1 with the
//! real host (sandbox, grants, secrets), so the same checks apply to a plugin
//! whatever language it was written in.
//!
//! Every check records what it *observed* (a JSON value), so two plugins can
//! be compared: the Rust, Go and JS tracker examples give the same transcript.

pub mod fake_issues;
mod notifier;
mod tracker;

use ao_plugin_host::LoadedPlugin;
use serde_json::Value;

/// The result of one check.
#[derive(Debug, Clone)]
pub struct Check {
    /// `tracker.get-issue`, `notifier.denied`…
    pub name: String,
    /// Whether the plugin did what the contract asks.
    pub passed: bool,
    /// Why it failed (empty when it passed).
    pub detail: String,
    /// What the plugin returned, for comparing plugins.
    pub observed: Value,
}

/// The checks run on one plugin.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub plugin: String,
    pub checks: Vec<Check>,
    /// Roles the manifest declares that this suite does not cover yet.
    pub not_covered: Vec<String>,
}

impl Report {
    /// Number of passed and failed checks.
    pub fn counts(&self) -> (usize, usize) {
        let passed = self.checks.iter().filter(|c| c.passed).count();
        (passed, self.checks.len() - passed)
    }

    /// True when every check passed (and there was at least one).
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.counts().1 == 0
    }

    /// `name → observed` for every check: equal for plugins that behave alike.
    pub fn transcript(&self) -> Value {
        Value::Object(
            self.checks
                .iter()
                .map(|c| (c.name.clone(), c.observed.clone()))
                .collect(),
        )
    }

    /// The human-readable report, ending with `N passed, N failed`.
    pub fn render(&self) -> String {
        let mut out = format!("conformance: {}\n", self.plugin);
        for c in &self.checks {
            if c.passed {
                out.push_str(&format!("  ok    {}\n", c.name));
            } else {
                out.push_str(&format!("  FAIL  {}: {}\n", c.name, c.detail));
            }
        }
        for role in &self.not_covered {
            out.push_str(&format!(
                "  (the {role} role has no conformance checks yet: only its manifest was checked)\n"
            ));
        }
        let (p, f) = self.counts();
        out.push_str(&format!("{p} passed, {f} failed\n"));
        out
    }
}

/// Collects checks.
pub(crate) struct Recorder {
    pub checks: Vec<Check>,
}

impl Recorder {
    /// Records a check: `outcome` is the observed value, or why it failed
    /// (with what was observed).
    pub fn check(&mut self, name: &str, outcome: Result<Value, (String, Value)>) {
        let (passed, detail, observed) = match outcome {
            Ok(v) => (true, String::new(), v),
            Err((why, v)) => (false, why, v),
        };
        self.checks.push(Check {
            name: name.to_string(),
            passed,
            detail,
            observed,
        });
    }
}

/// Runs the suite for every role `plugin` declares.
pub fn run(plugin: &LoadedPlugin) -> Report {
    let manifest = plugin.manifest();
    let mut rec = Recorder { checks: Vec::new() };
    let mut not_covered = Vec::new();
    rec.check(
        "plugin.manifest",
        if manifest.roles.is_empty() {
            Err(("the manifest declares no role".into(), Value::Null))
        } else if !manifest
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            Err((
                format!("name `{}` must match [a-z0-9-]+", manifest.name),
                Value::Null,
            ))
        } else {
            Ok(serde_json::json!({ "roles": manifest.roles }))
        },
    );
    for role in &manifest.roles {
        match role.as_str() {
            "tracker" => tracker::run(plugin, &mut rec),
            "notifier" => notifier::run(plugin, &mut rec),
            other => not_covered.push(other.to_string()),
        }
    }
    Report {
        plugin: format!("{} {}", manifest.name, manifest.version),
        checks: rec.checks,
        not_covered,
    }
}
