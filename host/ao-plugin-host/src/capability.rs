//! Capabilities: what a plugin requests (manifest), what the user grants
//! (`plugins.<name>.grant` in `agent-orchestrator.yaml`, or the first-party
//! defaults), and what it effectively gets — the intersection.
//!
//! `*` in a request means "whatever the user grants"; `*` in a grant means
//! "whatever the plugin requests". A plugin never gets something it did not
//! request, however broad the grant.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `read-dirs` entry that stands for the session's workspace (agent
/// plugins): requested and granted like a directory, opened by the host
/// only for the session a call is about.
pub const WORKSPACE_DIR: &str = "$WORKSPACE";

/// How the host may use one granted secret.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretUse {
    /// Hosts the host may send it to, in a header it fills itself (over
    /// https; plain http only to loopback). `None` in a grant: the grant's
    /// own `http` hosts. Always concrete in effective capabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosts: Option<Vec<String>>,
    /// Whether the plugin may read the value itself (`secrets.get`), e.g.
    /// to check a webhook's HMAC. Off unless granted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read: bool,
}

/// A set of capabilities (requested, granted or effective).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Capabilities {
    /// Host patterns: `api.github.com`, `*.slack.com`, `127.0.0.1:8080`, `*`.
    #[serde(default)]
    pub http: Vec<String>,
    /// Secret names (environment variables of ao); `PREFIX_*` covers a
    /// family (agents' own keys, passed to the agent program).
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Program names, looked up on PATH.
    #[serde(default)]
    pub programs: Vec<String>,
    /// Directories readable (read-only) by the plugin.
    #[serde(default)]
    pub read_dirs: Vec<String>,
    /// A private key-value store.
    #[serde(default)]
    pub kv: bool,
    /// Per secret: where it may go and whether it may be read (grants and
    /// effective capabilities; a manifest has none).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secret_use: BTreeMap<String, SecretUse>,
}

/// What the user granted a plugin.
pub type Grant = Capabilities;

impl Capabilities {
    /// The intersection of a request with a grant.
    pub fn effective(requested: &Capabilities, granted: &Grant) -> Capabilities {
        let http = intersect(&requested.http, &granted.http, host_pattern_covers);
        let secrets = intersect(&requested.secrets, &granted.secrets, secret_covers);
        let secret_use = secrets
            .iter()
            .map(|name| {
                let grant = granted.use_of(name);
                let hosts = grant.hosts.clone().unwrap_or_else(|| granted.http.clone());
                let usable = SecretUse {
                    hosts: Some(hosts),
                    read: grant.read,
                };
                (name.clone(), usable)
            })
            .collect();
        Capabilities {
            http,
            secrets,
            programs: intersect(&requested.programs, &granted.programs, |a, b| a == b),
            read_dirs: intersect(&requested.read_dirs, &granted.read_dirs, dir_covers),
            kv: requested.kv && granted.kv,
            secret_use,
        }
    }

    /// How a granted secret may be used: its own entry, else that of a
    /// `PREFIX_*` entry covering it, else the defaults (the grant's hosts,
    /// not readable).
    pub fn use_of(&self, name: &str) -> SecretUse {
        self.secret_use
            .get(name)
            .or_else(|| {
                self.secret_use
                    .iter()
                    .find(|(pattern, _)| secret_covers(pattern, name))
                    .map(|(_, u)| u)
            })
            .cloned()
            .unwrap_or_default()
    }

    /// Marks a granted secret readable by the plugin (`secrets.get`).
    pub fn readable(mut self, name: &str) -> Self {
        if !self.secrets.iter().any(|s| s == name) {
            self.secrets.push(name.to_string());
        }
        self.secret_use.entry(name.to_string()).or_default().read = true;
        self
    }

    /// Binds a granted secret to `hosts`.
    pub fn secret_for_hosts(mut self, name: &str, hosts: &[&str]) -> Self {
        if !self.secrets.iter().any(|s| s == name) {
            self.secrets.push(name.to_string());
        }
        self.secret_use.entry(name.to_string()).or_default().hosts =
            Some(hosts.iter().map(|h| h.to_string()).collect());
        self
    }

    /// Whether a request to `scheme://host:port` may carry the secret
    /// `name` in a header the host fills: a granted host of the secret, over
    /// https (or plain http to a loopback address).
    pub fn secret_may_go_to(&self, name: &str, scheme: &str, host: &str, port: u16) -> bool {
        let secure = scheme == "https" || (scheme == "http" && is_loopback_host(host));
        secure
            && self
                .use_of(name)
                .hosts
                .unwrap_or_default()
                .iter()
                .any(|p| host_matches(p, host, port))
    }

    /// Whether the workspace of the session is readable.
    pub fn reads_workspace(&self) -> bool {
        self.read_dirs.iter().any(|d| d == WORKSPACE_DIR)
    }

    /// Whether a request to `host` (and `port`) is allowed.
    pub fn allows_host(&self, host: &str, port: u16) -> bool {
        self.http.iter().any(|p| host_matches(p, host, port))
    }

    /// Whether the secret `name` is allowed.
    pub fn allows_secret(&self, name: &str) -> bool {
        self.secrets.iter().any(|s| secret_covers(s, name))
    }

    /// Whether the program `name` is allowed.
    pub fn allows_program(&self, name: &str) -> bool {
        self.programs.iter().any(|p| p == name)
    }

    /// Read-only directories, with `~` expanded against `home` (the
    /// workspace stand-in is not a path and is left out).
    pub fn read_dir_paths(&self, home: Option<&Path>) -> Vec<PathBuf> {
        self.read_dirs
            .iter()
            .filter(|d| *d != WORKSPACE_DIR)
            .filter_map(|d| expand_home(d, home))
            .collect()
    }

    /// True when nothing is granted.
    pub fn is_empty(&self) -> bool {
        self.http.is_empty()
            && self.secrets.is_empty()
            && self.programs.is_empty()
            && self.read_dirs.is_empty()
            && !self.kv
    }
}

/// Items of `granted` covered by `requested`, plus requested items when the grant is `*`.
fn intersect(
    requested: &[String],
    granted: &[String],
    covers: impl Fn(&str, &str) -> bool,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |item: &str| {
        if item != "*" && !out.iter().any(|o| o == item) {
            out.push(item.to_string());
        }
    };
    let request_any = requested.iter().any(|r| r == "*");
    let grant_any = granted.iter().any(|g| g == "*");
    for g in granted {
        if request_any || requested.iter().any(|r| covers(r, g)) {
            push(g);
        }
    }
    if grant_any {
        for r in requested {
            push(r);
        }
    }
    out
}

/// Whether the secret name or `PREFIX_*` pattern `outer` covers `inner`.
pub fn secret_covers(outer: &str, inner: &str) -> bool {
    if outer == inner {
        return true;
    }
    match outer.strip_suffix('*') {
        Some(prefix) if !prefix.is_empty() => {
            inner.starts_with(prefix) && inner.len() > prefix.len()
        }
        _ => false,
    }
}

/// `localhost`, `127.x.y.z`, `::1`.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether the requested pattern `outer` covers the granted pattern `inner`.
fn host_pattern_covers(outer: &str, inner: &str) -> bool {
    if outer == "*" || outer.eq_ignore_ascii_case(inner) {
        return true;
    }
    let (outer_host, outer_port) = split_port(outer);
    let (inner_host, inner_port) = split_port(inner);
    let port_ok = outer_port.is_none() || outer_port == inner_port;
    let host_ok = match outer_host.strip_prefix("*.") {
        Some(suffix) => {
            let inner_base = inner_host.strip_prefix("*.").unwrap_or(inner_host);
            inner_base.len() > suffix.len()
                && inner_base
                    .to_ascii_lowercase()
                    .ends_with(&format!(".{}", suffix.to_ascii_lowercase()))
        }
        None => outer_host.eq_ignore_ascii_case(inner_host),
    };
    port_ok && host_ok
}

/// Whether `pattern` allows a request to `host:port`.
pub fn host_matches(pattern: &str, host: &str, port: u16) -> bool {
    if pattern == "*" {
        return true;
    }
    let (p_host, p_port) = split_port(pattern);
    if p_port.is_some_and(|p| p != port) {
        return false;
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let p_host = p_host.trim_start_matches('[').trim_end_matches(']');
    match p_host.strip_prefix("*.") {
        Some(suffix) => {
            host.len() > suffix.len()
                && host
                    .to_ascii_lowercase()
                    .ends_with(&format!(".{}", suffix.to_ascii_lowercase()))
        }
        None => p_host.eq_ignore_ascii_case(host),
    }
}

fn split_port(pattern: &str) -> (&str, Option<u16>) {
    if pattern.starts_with('[') {
        // [::1]:8080
        if let Some(end) = pattern.find(']') {
            let port = pattern[end + 1..]
                .strip_prefix(':')
                .and_then(|p| p.parse().ok());
            return (&pattern[..=end], port);
        }
        return (pattern, None);
    }
    match pattern.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => match port.parse() {
            Ok(port) => (host, Some(port)),
            Err(_) => (pattern, None),
        },
        _ => (pattern, None),
    }
}

/// `*`, `*.example.com`, `example.com`, `10.0.0.1:8080`, `[::1]:80`.
pub fn is_valid_host_pattern(pattern: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    if pattern.contains(':') && !pattern.starts_with('[') && pattern.matches(':').count() > 1 {
        return false;
    }
    let (host, _) = split_port(pattern);
    if pattern
        .rsplit_once(':')
        .is_some_and(|(_, p)| !pattern.ends_with(']') && p.parse::<u16>().is_err())
        && !pattern.starts_with('[')
    {
        return false;
    }
    if let Some(inner) = host.strip_prefix('[') {
        return inner
            .strip_suffix(']')
            .is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok());
    }
    let host = host.strip_prefix("*.").unwrap_or(host);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
        })
}

fn dir_covers(outer: &str, inner: &str) -> bool {
    let outer = outer.trim_end_matches('/');
    outer.is_empty() || inner == outer || inner.starts_with(&format!("{outer}/"))
}

fn expand_home(dir: &str, home: Option<&Path>) -> Option<PathBuf> {
    match dir.strip_prefix('~') {
        Some(rest) => Some(home?.join(rest.trim_start_matches('/'))),
        None => Some(PathBuf::from(dir)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(http: &[&str]) -> Capabilities {
        Capabilities {
            http: http.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn host_matching() {
        assert!(host_matches("api.github.com", "api.github.com", 443));
        assert!(host_matches("API.github.com", "api.GITHUB.com", 443));
        assert!(!host_matches("api.github.com", "evil.com", 443));
        assert!(host_matches("*.slack.com", "hooks.slack.com", 443));
        assert!(!host_matches("*.slack.com", "slack.com", 443));
        assert!(!host_matches("*.slack.com", "hooks.slack.com.evil.io", 443));
        assert!(host_matches("127.0.0.1:8080", "127.0.0.1", 8080));
        assert!(!host_matches("127.0.0.1:8080", "127.0.0.1", 8081));
        assert!(host_matches("127.0.0.1", "127.0.0.1", 9999));
        assert!(host_matches("[::1]:80", "[::1]", 80));
    }

    #[test]
    fn effective_is_the_intersection() {
        // A wildcard request takes exactly what is granted.
        let e = Capabilities::effective(&caps(&["*"]), &caps(&["127.0.0.1:9000"]));
        assert_eq!(e.http, vec!["127.0.0.1:9000"]);
        // A grant wider than the request gives only what was requested.
        let e = Capabilities::effective(&caps(&["hooks.slack.com"]), &caps(&["*"]));
        assert_eq!(e.http, vec!["hooks.slack.com"]);
        // A grant the plugin did not request gives nothing.
        let e = Capabilities::effective(&caps(&["hooks.slack.com"]), &caps(&["evil.com"]));
        assert!(e.http.is_empty());
        // A subdomain pattern in the request covers a concrete grant.
        let e = Capabilities::effective(&caps(&["*.slack.com"]), &caps(&["hooks.slack.com"]));
        assert_eq!(e.http, vec!["hooks.slack.com"]);
        let requested = Capabilities {
            secrets: vec!["A".into()],
            kv: true,
            ..Default::default()
        };
        let granted = Capabilities {
            secrets: vec!["A".into(), "B".into()],
            kv: false,
            ..Default::default()
        };
        let e = Capabilities::effective(&requested, &granted);
        assert_eq!(e.secrets, vec!["A"]);
        assert!(!e.kv);
    }

    #[test]
    fn read_dirs_must_be_inside_the_request() {
        let requested = Capabilities {
            read_dirs: vec!["/srv/docs".into()],
            ..Default::default()
        };
        let granted = Capabilities {
            read_dirs: vec!["/srv/docs/a".into(), "/srv/docsevil".into(), "/etc".into()],
            ..Default::default()
        };
        assert_eq!(
            Capabilities::effective(&requested, &granted).read_dirs,
            vec!["/srv/docs/a"]
        );
    }

    #[test]
    fn host_pattern_validation() {
        for ok in [
            "*",
            "api.github.com",
            "*.slack.com",
            "127.0.0.1:8080",
            "[::1]:80",
            "localhost",
        ] {
            assert!(is_valid_host_pattern(ok), "{ok}");
        }
        for bad in [
            "http://[::1",
            "exa mple.com",
            "",
            "a..b",
            "host:notaport",
            "https://x.com",
        ] {
            assert!(!is_valid_host_pattern(bad), "{bad}");
        }
    }
}
