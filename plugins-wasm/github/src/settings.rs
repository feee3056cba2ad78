//! The plugin's settings and the repository a call is about.

use ao_plugin_sdk::{PluginError, Project, config};
use serde::Deserialize;

/// The public GitHub API.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// The secret holding the token, unless `tokenSecret` names another.
pub const DEFAULT_TOKEN_SECRET: &str = "GITHUB_TOKEN";

/// Settings from this plugin's section of `agent-orchestrator.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// REST base URL: `https://api.github.com`, or `https://HOST/api/v3` for
    /// GitHub Enterprise Server. Its host must be granted.
    #[serde(default = "default_api_url")]
    pub api_url: String,
    /// Name of the secret holding the token (sent by the host as `Authorization: Bearer`).
    #[serde(default = "default_token_secret")]
    pub token_secret: String,
    /// GraphQL endpoint; `<apiUrl>/graphql` (or `https://HOST/api/graphql` for `…/api/v3`).
    pub graphql_url: Option<String>,
    /// Web base for issue and PR links; derived from `apiUrl` when absent.
    pub web_url: Option<String>,
    /// Name of the secret holding the webhook secret (for `verify-webhook`).
    pub webhook_secret: Option<String>,
    /// How long a fetched PR list or PR enrichment is reused by later calls
    /// of the same lifecycle cycle, in milliseconds.
    #[serde(default = "default_cache_ttl_ms")]
    pub cache_ttl_ms: u32,
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

impl Default for Settings {
    fn default() -> Self {
        Settings {
            api_url: default_api_url(),
            token_secret: default_token_secret(),
            graphql_url: None,
            web_url: None,
            webhook_secret: None,
            cache_ttl_ms: default_cache_ttl_ms(),
        }
    }
}

impl Settings {
    /// Reads and checks the settings.
    pub fn load() -> Result<Settings, PluginError> {
        let mut settings: Settings = config::all()?;
        settings.api_url = settings.api_url.trim_end_matches('/').to_string();
        for (key, url) in [
            ("apiUrl", Some(&settings.api_url)),
            ("graphqlUrl", settings.graphql_url.as_ref()),
            ("webUrl", settings.web_url.as_ref()),
        ] {
            if let Some(url) = url {
                ao_plugin_sdk::http::check_api_url(key, url)?;
            }
        }
        Ok(settings)
    }

    /// Settings for calls that cannot fail (URLs, labels): defaults on error.
    pub fn load_or_default() -> Settings {
        Settings::load().unwrap_or_default()
    }

    /// The GraphQL endpoint.
    pub fn graphql_url(&self) -> String {
        if let Some(url) = &self.graphql_url {
            return url.clone();
        }
        match self.api_url.strip_suffix("/api/v3") {
            Some(base) => format!("{base}/api/graphql"),
            None => format!("{}/graphql", self.api_url),
        }
    }

    /// Where people open issues and PRs in a browser.
    pub fn web_url(&self) -> String {
        if let Some(url) = &self.web_url {
            return url.trim_end_matches('/').to_string();
        }
        if self.api_url.eq_ignore_ascii_case(DEFAULT_API_URL) {
            return "https://github.com".to_string();
        }
        match self.api_url.strip_suffix("/api/v3") {
            Some(base) => base.to_string(),
            None => self.api_url.clone(),
        }
    }
}

/// `owner/name` of the project's repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    pub owner: String,
    pub name: String,
}

impl Repo {
    /// The project's repository; `project.repo` must be `owner/name`.
    pub fn of(project: &Project) -> Result<Repo, PluginError> {
        let Some(full) = project.repo.as_deref().filter(|r| !r.trim().is_empty()) else {
            return Err(PluginError::invalid_input(format!(
                "project `{}` has no `repo`; set it to `owner/name` of its GitHub repository",
                project.id
            )));
        };
        Repo::parse(full).ok_or_else(|| {
            PluginError::invalid_input(format!(
                "project `{}`: repo `{full}` is not `owner/name`",
                project.id
            ))
        })
    }

    /// Parses `owner/name`.
    pub fn parse(full: &str) -> Option<Repo> {
        let (owner, name) = full.trim().split_once('/')?;
        let ok = |s: &str| {
            !s.is_empty()
                && !s.starts_with('.')
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        (ok(owner) && ok(name)).then(|| Repo {
            owner: owner.to_string(),
            name: name.trim_end_matches(".git").to_string(),
        })
    }

    /// `owner/name`.
    pub fn full(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// Whether `other` (`owner/name`, any case) is this repository.
    pub fn is(&self, other: &str) -> bool {
        other.eq_ignore_ascii_case(&self.full())
    }
}

/// An issue or PR number from `42`, `#42` or a URL ending in `/42`.
pub fn number(id: &str) -> Result<u32, PluginError> {
    let trimmed = id.trim().trim_end_matches('/');
    let last = trimmed.rsplit('/').next().unwrap_or(trimmed);
    last.trim_start_matches('#')
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            PluginError::invalid_input(format!(
                "`{id}` is not a GitHub issue number (expected 42, #42 or an issue URL)"
            ))
        })
}

pub use ao_plugin_sdk::http::encode_component as encode;
