//! The plugin's settings, and the issue identifiers and URLs it accepts.

use ao_plugin_sdk::{PluginError, config};
use serde::Deserialize;

/// Linear's GraphQL endpoint.
pub const DEFAULT_API_URL: &str = "https://api.linear.app/graphql";
/// The secret holding the API key, unless `tokenSecret` names another.
pub const DEFAULT_TOKEN_SECRET: &str = "LINEAR_API_KEY";
/// Where people open issues: `https://linear.app/<workspace>/issue/ENG-123`.
pub const WEB_URL: &str = "https://linear.app";

/// Settings from the tracker's section of `agent-orchestrator.yaml`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// The GraphQL endpoint; its host must be granted when it is not Linear's.
    #[serde(default = "default_api_url")]
    pub api_url: String,
    /// Name of the secret holding the key (sent by the host as `Authorization`).
    #[serde(default = "default_token_secret")]
    pub token_secret: String,
    /// Put before the secret in `Authorization`: empty for a personal API
    /// key, `"Bearer "` for an OAuth access token.
    #[serde(default)]
    pub token_prefix: String,
    /// The team issues are listed from and created in (`ENG`).
    pub team_key: Option<String>,
    /// The workspace's URL key (`acme` in `linear.app/acme`), for issue URLs.
    pub workspace: Option<String>,
    /// The workflow state (by name) "in progress" moves an issue to, instead
    /// of the team's first `started` state.
    pub in_progress_state: Option<String>,
    /// The workflow state (by name) "closed" moves an issue to, instead of
    /// the team's first `completed` state.
    pub done_state: Option<String>,
}

fn default_api_url() -> String {
    DEFAULT_API_URL.to_string()
}
fn default_token_secret() -> String {
    DEFAULT_TOKEN_SECRET.to_string()
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            api_url: default_api_url(),
            token_secret: default_token_secret(),
            token_prefix: String::new(),
            team_key: None,
            workspace: None,
            in_progress_state: None,
            done_state: None,
        }
    }
}

impl Settings {
    /// Reads and checks the settings.
    pub fn load() -> Result<Settings, PluginError> {
        Settings::checked(config::all()?)
    }

    /// Normalises and validates settings as read.
    pub fn checked(mut settings: Settings) -> Result<Settings, PluginError> {
        settings.api_url = settings.api_url.trim().trim_end_matches('/').to_string();
        ao_plugin_sdk::http::check_api_url("apiUrl", &settings.api_url)?;
        if let Some(key) = &settings.team_key {
            let key = key.trim().to_ascii_uppercase();
            if !is_team_key(&key) {
                return Err(PluginError::invalid_input(format!(
                    "setting `teamKey` must be a Linear team key such as `ENG`, got `{key}`"
                )));
            }
            settings.team_key = Some(key);
        }
        if let Some(workspace) = &settings.workspace {
            let workspace = workspace.trim().trim_matches('/').to_string();
            if workspace.is_empty() || workspace.contains('/') {
                return Err(PluginError::invalid_input(format!(
                    "setting `workspace` must be the workspace's URL key (`acme` in linear.app/acme), got `{workspace}`"
                )));
            }
            settings.workspace = Some(workspace);
        }
        Ok(settings)
    }

    /// Settings for calls that cannot fail (URLs, labels): defaults on error.
    pub fn load_or_default() -> Settings {
        Settings::load().unwrap_or_default()
    }

    /// The team key, required by calls that work on a team.
    pub fn require_team(&self, call: &str) -> Result<&str, PluginError> {
        self.team_key.as_deref().ok_or_else(|| {
            PluginError::invalid_input(format!(
                "{call} needs the setting `teamKey` (the key of the Linear team, such as `ENG`) in the tracker's section of agent-orchestrator.yaml"
            ))
        })
    }

    /// `https://linear.app/<workspace>/issue/<ID>`, when `workspace` is set.
    pub fn issue_url(&self, identifier: &str) -> Option<String> {
        let workspace = self.workspace.as_deref()?;
        Some(format!("{WEB_URL}/{workspace}/issue/{identifier}"))
    }
}

/// A team key: a letter, then letters, digits or `_` (Linear allows up to 7).
fn is_team_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && key.len() <= 16
}

/// `ENG-123` from `ENG-123`, `eng-123` or a Linear issue URL; a bare number
/// (`123`, `#123`) is taken in `team_key`'s team.
pub fn identifier(id: &str, team_key: Option<&str>) -> Result<String, PluginError> {
    let trimmed = id.trim();
    let candidate = match url_parts(trimmed) {
        Some((_, ident)) => ident.to_string(),
        None => trimmed.to_string(),
    };
    if let Some(ident) = parse_identifier(&candidate) {
        return Ok(ident);
    }
    let number = candidate.trim_start_matches('#');
    if let (Some(team), Ok(n)) = (team_key, number.parse::<u32>())
        && n > 0
    {
        return Ok(format!("{team}-{n}"));
    }
    Err(PluginError::invalid_input(format!(
        "`{id}` is not a Linear issue (expected an identifier such as ENG-123, or its linear.app URL)"
    )))
}

/// `ENG-123` (upper-cased) when `text` is exactly a team key, `-` and a number.
pub fn parse_identifier(text: &str) -> Option<String> {
    let (team, number) = text.trim().rsplit_once('-')?;
    let team = team.to_ascii_uppercase();
    let n: u64 = number.parse().ok().filter(|n| *n > 0)?;
    (is_team_key(&team) && number.chars().all(|c| c.is_ascii_digit()))
        .then(|| format!("{team}-{n}"))
}

/// `(workspace, "ENG-123")` from `https://linear.app/<workspace>/issue/ENG-123[/slug][?…|#…]`.
pub fn url_parts(url: &str) -> Option<(&str, String)> {
    let rest = url
        .trim()
        .strip_prefix("https://linear.app/")
        .or_else(|| url.trim().strip_prefix("http://linear.app/"))?;
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let mut parts = rest.split('/');
    let workspace = parts.next().filter(|w| !w.is_empty())?;
    if parts.next()? != "issue" {
        return None;
    }
    let ident = parse_identifier(parts.next()?)?;
    Some((workspace, ident))
}

/// The branch to use when Linear cannot be asked: `feat/eng-123`.
pub fn fallback_branch(id: &str) -> String {
    let ident = identifier(id, None).unwrap_or_else(|_| id.trim().to_string());
    ao_plugin_sdk::issue_branch_name(&ident, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_read_from_keys_urls_and_numbers() {
        assert_eq!(identifier("ENG-123", None).unwrap(), "ENG-123");
        assert_eq!(identifier(" eng-7 ", None).unwrap(), "ENG-7");
        assert_eq!(
            identifier("https://linear.app/acme/issue/ENG-42/fix-the-login", None).unwrap(),
            "ENG-42"
        );
        assert_eq!(
            identifier("https://linear.app/acme/issue/ENG-42#comment-1", None).unwrap(),
            "ENG-42"
        );
        assert_eq!(identifier("#12", Some("OPS")).unwrap(), "OPS-12");
        assert_eq!(identifier("12", Some("OPS")).unwrap(), "OPS-12");
        for bad in ["12", "ENG-", "ENG-0", "-3", "ENG 3", "1-2", "ENG-1x", ""] {
            assert!(
                matches!(identifier(bad, None), Err(PluginError::InvalidInput(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn issue_urls_name_the_workspace() {
        assert_eq!(
            url_parts("https://linear.app/acme/issue/ENG-9/slug"),
            Some(("acme", "ENG-9".to_string()))
        );
        assert_eq!(url_parts("https://linear.app/acme/project/x-1"), None);
        assert_eq!(url_parts("https://github.com/acme/web/issues/1"), None);
        let settings = Settings {
            workspace: Some("acme".into()),
            ..Settings::default()
        };
        assert_eq!(
            settings.issue_url("ENG-9").as_deref(),
            Some("https://linear.app/acme/issue/ENG-9")
        );
        assert_eq!(Settings::default().issue_url("ENG-9"), None);
    }

    #[test]
    fn settings_are_checked_with_clear_errors() {
        let parsed: Settings = serde_json::from_str(
            r#"{"apiUrl":"http://127.0.0.1:9/graphql/","teamKey":"eng","workspace":"/acme/"}"#,
        )
        .unwrap();
        let s = Settings::checked(parsed).unwrap();
        assert_eq!(s.api_url, "http://127.0.0.1:9/graphql");
        assert_eq!(s.team_key.as_deref(), Some("ENG"));
        assert_eq!(s.workspace.as_deref(), Some("acme"));
        assert_eq!(s.token_secret, "LINEAR_API_KEY");
        let unknown = serde_json::from_str::<Settings>(r#"{"team":"ENG"}"#).unwrap_err();
        assert!(
            unknown.to_string().contains("unknown field `team`"),
            "{unknown}"
        );
        let bad = Settings::checked(Settings {
            api_url: "api.linear.app".into(),
            ..Settings::default()
        });
        assert!(matches!(bad, Err(PluginError::InvalidInput(m)) if m.contains("apiUrl")));
        let bad = Settings::checked(Settings {
            team_key: Some("E NG".into()),
            ..Settings::default()
        });
        assert!(matches!(bad, Err(PluginError::InvalidInput(m)) if m.contains("teamKey")));
        assert!(matches!(
            Settings::default().require_team("list-issues"),
            Err(PluginError::InvalidInput(m)) if m.contains("teamKey")
        ));
    }

    #[test]
    fn the_fallback_branch_is_a_slug() {
        assert_eq!(fallback_branch("ENG-123"), "feat/eng-123");
        assert_eq!(
            fallback_branch("https://linear.app/acme/issue/ENG-5/x"),
            "feat/eng-5"
        );
        assert_eq!(fallback_branch("weird id!"), "feat/weird-id");
    }
}
