//! The host's view of a plugin manifest, and its validation.

use crate::bindings::v0_1 as wit;
use crate::capability::{Capabilities, is_valid_host_pattern};
use serde::Serialize;

/// A plugin's manifest, as read from its `plugin.get-manifest` export.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    pub description: String,
    pub roles: Vec<String>,
    pub requested: Capabilities,
}

impl Manifest {
    /// Converts the WIT record.
    pub fn from_wit(m: wit::Manifest) -> Self {
        let roles = m
            .roles
            .iter()
            .map(|r| match r {
                wit::Role::Tracker => "tracker",
                wit::Role::Scm => "scm",
                wit::Role::Notifier => "notifier",
                wit::Role::Agent => "agent",
            })
            .map(String::from)
            .collect();
        let c = m.capabilities;
        Manifest {
            name: m.name,
            version: m.version,
            description: m.description,
            roles,
            requested: Capabilities {
                http: c.http_hosts,
                secrets: c.secrets,
                programs: c.programs,
                read_dirs: c.read_dirs,
                kv: c.kv,
                secret_use: Default::default(),
            },
        }
    }

    /// Every problem with this manifest, given the roles the component
    /// actually exports. Empty when it is valid.
    pub fn problems(&self, exported_roles: &[String]) -> Vec<String> {
        let mut problems = Vec::new();
        if !is_valid_name(&self.name) {
            problems.push(format!(
                "name `{}` must be 1-64 characters of a-z, 0-9 and `-`, starting with a letter or digit",
                self.name
            ));
        }
        if !is_semver(&self.version) {
            problems.push(format!(
                "version `{}` is not a semantic version like 1.2.3",
                self.version
            ));
        }
        if self.roles.is_empty() {
            problems.push("roles: names no role; list the roles this component implements".into());
        }
        for role in &self.roles {
            if !exported_roles.contains(role) {
                problems.push(format!(
                    "roles: claims `{role}` but the component does not export `ao:plugin/{role}` (it exports: {})",
                    exported_roles.join(", ")
                ));
            }
        }
        for role in exported_roles {
            if !self.roles.contains(role) {
                problems.push(format!(
                    "roles: exports `ao:plugin/{role}` but does not list `{role}`"
                ));
            }
        }
        for host in &self.requested.http {
            if !is_valid_host_pattern(host) {
                problems.push(format!(
                    "capabilities.http-hosts: `{host}` is not a host pattern (use `api.example.com`, `*.example.com`, `127.0.0.1:8080` or `*`)"
                ));
            }
        }
        for secret in &self.requested.secrets {
            // `NAME`, `PREFIX_*` (a family, e.g. an agent's own keys) or `*`.
            let name = secret.strip_suffix('*').unwrap_or(secret);
            if secret != "*"
                && (name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            {
                problems.push(format!("capabilities.secrets: `{secret}` is not a secret name (letters, digits and `_`, or `PREFIX_*`)"));
            }
        }
        for program in &self.requested.programs {
            let ok = !program.is_empty()
                && program
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
                && !program.starts_with('.');
            if !ok {
                problems.push(format!(
                    "capabilities.programs: `{program}` must be a bare program name looked up on PATH (no `/`, no leading `.`)"
                ));
            }
        }
        for dir in &self.requested.read_dirs {
            if dir == crate::capability::WORKSPACE_DIR {
                continue;
            }
            if !(dir.starts_with('/') || dir.starts_with("~/") || dir == "~")
                || dir.split('/').any(|p| p == "..")
            {
                problems.push(format!("capabilities.read-dirs: `{dir}` must be an absolute path, start with `~/` (without `..`), or be `$WORKSPACE`"));
            }
        }
        problems
    }
}

fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
}

fn is_semver(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            name: "slack".into(),
            version: "0.1.0".into(),
            description: String::new(),
            roles: vec!["notifier".into()],
            requested: Capabilities {
                http: vec!["hooks.slack.com".into()],
                ..Capabilities::default()
            },
        }
    }

    #[test]
    fn a_good_manifest_has_no_problems() {
        assert_eq!(
            manifest().problems(&["notifier".into()]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn every_problem_is_named() {
        let mut m = manifest();
        m.name = "Bad Name".into();
        m.version = "1".into();
        m.requested.programs = vec!["../sh".into()];
        m.requested.read_dirs = vec!["rel".into()];
        let problems = m.problems(&["tracker".into()]);
        assert_eq!(problems.len(), 6, "{problems:#?}");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("does not export `ao:plugin/notifier`"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("exports `ao:plugin/tracker`"))
        );
    }
}
