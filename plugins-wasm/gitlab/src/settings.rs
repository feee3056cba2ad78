//! The plugin's settings and the GitLab project a call is about.

use ao_plugin_sdk::{PluginError, Project, config};
use serde::Deserialize;

/// GitLab.com's REST API.
pub const DEFAULT_API_URL: &str = "https://gitlab.com/api/v4";
/// The secret holding the token, unless `tokenSecret` names another.
pub const DEFAULT_TOKEN_SECRET: &str = "GITLAB_TOKEN";

/// Settings from this plugin's section of `agent-orchestrator.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// REST base: `https://gitlab.com/api/v4`, or `https://HOST/api/v4` on a
    /// self-managed instance (whose host must then be granted).
    #[serde(default = "default_api_url")]
    pub api_url: String,
    /// Name of the secret holding the token (sent by the host as `Authorization: Bearer`).
    #[serde(default = "default_token_secret")]
    pub token_secret: String,
    /// GraphQL endpoint; `https://HOST/api/graphql` by default.
    pub graphql_url: Option<String>,
    /// Web base for issue and merge request links; derived from `apiUrl`.
    pub web_url: Option<String>,
    /// Name of the secret holding the webhook's secret token (`X-Gitlab-Token`).
    pub webhook_secret: Option<String>,
    /// The label that marks an open issue as in progress (GitLab issues
    /// have no such state); none by default.
    pub in_progress_label: Option<String>,
    /// How long a fetched MR list or enrichment is reused within a cycle, ms.
    #[serde(default = "default_cache_ttl_ms")]
    pub cache_ttl_ms: u32,
    /// How much of a failed job's log goes into the agent's message, bytes.
    #[serde(default = "default_log_excerpt_bytes")]
    pub log_excerpt_bytes: u32,
}

fn default_api_url() -> String {
    DEFAULT_API_URL.to_string()
}
fn default_token_secret() -> String {
    DEFAULT_TOKEN_SECRET.to_string()
}
fn default_cache_ttl_ms() -> u32 {
    5_000
}
fn default_log_excerpt_bytes() -> u32 {
    3_000
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            api_url: default_api_url(),
            token_secret: default_token_secret(),
            graphql_url: None,
            web_url: None,
            webhook_secret: None,
            in_progress_label: None,
            cache_ttl_ms: default_cache_ttl_ms(),
            log_excerpt_bytes: default_log_excerpt_bytes(),
        }
    }
}

impl Settings {
    /// Reads and checks the settings.
    pub fn load() -> Result<Settings, PluginError> {
        let settings: Settings = config::all()?;
        settings.checked()
    }

    fn checked(mut self) -> Result<Settings, PluginError> {
        self.api_url = self.api_url.trim_end_matches('/').to_string();
        for (key, url) in [
            ("apiUrl", Some(&self.api_url)),
            ("graphqlUrl", self.graphql_url.as_ref()),
            ("webUrl", self.web_url.as_ref()),
        ] {
            if let Some(url) = url {
                ao_plugin_sdk::http::check_api_url(key, url)?;
            }
        }
        self.log_excerpt_bytes = self.log_excerpt_bytes.min(16 * 1024);
        Ok(self)
    }

    /// Settings for calls that cannot fail (URLs, labels): defaults on error.
    pub fn load_or_default() -> Settings {
        Settings::load().unwrap_or_default()
    }

    /// The instance's root: `apiUrl` without `/api/v4`.
    fn root(&self) -> &str {
        self.api_url
            .strip_suffix("/api/v4")
            .unwrap_or(&self.api_url)
    }

    /// The GraphQL endpoint.
    pub fn graphql_url(&self) -> String {
        match &self.graphql_url {
            Some(url) => url.clone(),
            None => format!("{}/api/graphql", self.root()),
        }
    }

    /// Where people open issues and merge requests in a browser.
    pub fn web_url(&self) -> String {
        match &self.web_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => self.root().to_string(),
        }
    }
}

/// A GitLab project by its full path: `group/repo` or `group/sub/repo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    pub path: String,
}

impl Repo {
    /// The project's repository; `project.repo` must be a GitLab path.
    pub fn of(project: &Project) -> Result<Repo, PluginError> {
        let Some(full) = project.repo.as_deref().filter(|r| !r.trim().is_empty()) else {
            return Err(PluginError::invalid_input(format!(
                "project `{}` has no `repo`; set it to the GitLab project's path (`group/name`, or `group/sub/name`)",
                project.id
            )));
        };
        Repo::parse(full).ok_or_else(|| {
            PluginError::invalid_input(format!(
                "project `{}`: repo `{full}` is not a GitLab path like `group/name` or `group/sub/name`",
                project.id
            ))
        })
    }

    /// Parses `group[/sub…]/name`.
    pub fn parse(full: &str) -> Option<Repo> {
        let full = full.trim().trim_matches('/');
        let full = full.strip_suffix(".git").unwrap_or(full);
        let segments: Vec<&str> = full.split('/').collect();
        let ok = |s: &str| {
            !s.is_empty()
                && !s.starts_with(['.', '-'])
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        (segments.len() >= 2 && segments.iter().all(|s| ok(s))).then(|| Repo {
            path: full.to_string(),
        })
    }

    /// The REST API's id for it: the URL-encoded path (`group%2Fsub%2Fname`).
    pub fn id(&self) -> String {
        encode(&self.path)
    }

    /// The namespace (`group/sub`) and the name.
    pub fn split(&self) -> (&str, &str) {
        self.path.rsplit_once('/').unwrap_or(("", &self.path))
    }

    /// Whether `other` (a path, any case) is this project.
    pub fn is(&self, other: &str) -> bool {
        other.trim_matches('/').eq_ignore_ascii_case(&self.path)
    }
}

/// An issue or MR number (`iid`) from `42`, `#42`, `!42` or a URL ending in `/42`.
pub fn iid(id: &str) -> Result<u32, PluginError> {
    let trimmed = id.trim().trim_end_matches('/');
    let last = trimmed.rsplit('/').next().unwrap_or(trimmed);
    last.trim_start_matches(['#', '!'])
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            PluginError::invalid_input(format!(
                "`{id}` is not a GitLab issue number (expected 42, #42 or an issue URL)"
            ))
        })
}

pub use ao_plugin_sdk::http::encode_component as encode;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_group_paths_are_projects() {
        let repo = Repo::parse("acme/platform/web.git").unwrap();
        assert_eq!(repo.path, "acme/platform/web");
        assert_eq!(repo.id(), "acme%2Fplatform%2Fweb");
        assert_eq!(repo.split(), ("acme/platform", "web"));
        assert!(repo.is("ACME/platform/web"));
        assert!(Repo::parse("web").is_none());
        assert!(Repo::parse("acme//web").is_none());
        assert!(Repo::parse("acme/../web").is_none());
    }

    #[test]
    fn iids_from_numbers_references_and_urls() {
        assert_eq!(iid("42").unwrap(), 42);
        assert_eq!(iid("#42").unwrap(), 42);
        assert_eq!(iid("!7").unwrap(), 7);
        assert_eq!(iid("https://gitlab.com/acme/web/-/issues/12").unwrap(), 12);
        assert!(iid("ENG-1").is_err());
        assert!(iid("0").is_err());
    }

    #[test]
    fn urls_follow_the_api_url() {
        let s = Settings {
            api_url: "https://git.example.com/api/v4".into(),
            ..Settings::default()
        }
        .checked()
        .unwrap();
        assert_eq!(s.graphql_url(), "https://git.example.com/api/graphql");
        assert_eq!(s.web_url(), "https://git.example.com");
        let d = Settings::default();
        assert_eq!(d.web_url(), "https://gitlab.com");
        let bad = Settings {
            api_url: "gitlab.com".into(),
            ..Settings::default()
        };
        assert!(bad.checked().is_err());
    }
}
