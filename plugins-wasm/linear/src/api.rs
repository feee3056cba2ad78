//! Requests to Linear's GraphQL API: the key (filled by the host), errors
//! mapped to `plugin-error`, retries for queries only, and the last seen
//! request quota.

use crate::settings::Settings;
use ao_plugin_sdk::http::{Method, RequestBuilder, Response, RetryPolicy};
use ao_plugin_sdk::quota::{self, RateLimitRecord};
use ao_plugin_sdk::{PluginError, clock};
use serde::Deserialize;
use serde_json::Value;

/// Queries are retried on 5xx, network errors and short rate-limit waits; a
/// longer wait is returned to the host as `rate-limited`. Mutations never are.
const READ_RETRY: RetryPolicy = RetryPolicy {
    retries: 2,
    base_delay_ms: 300,
    max_delay_ms: 2_000,
};
/// Per-request timeout; the host also caps it by the call's remaining time.
const TIMEOUT_MS: u32 = 10_000;
/// A rate limit that says nothing about when it ends: Linear's window is an hour
/// with a steady refill, so a minute is a fair first wait.
const DEFAULT_RATE_LIMIT_WAIT_MS: u32 = 60_000;

/// The KV key of the last seen request quota (shown by `ao doctor`).
pub const RATELIMIT_KEY: &str = quota::MAIN_KEY;
/// The KV key of the last seen complexity quota, with the last query's cost.
pub const RATELIMIT_COMPLEXITY_KEY: &str = "ratelimit.complexity";

/// A Linear client for one call.
pub struct Api {
    pub settings: Settings,
}

impl Api {
    pub fn new() -> Result<Api, PluginError> {
        Ok(Api {
            settings: Settings::load()?,
        })
    }

    fn request(&self, query: &str, variables: &Value) -> Result<RequestBuilder, PluginError> {
        RequestBuilder::new(Method::Post, &self.settings.api_url)
            .secret_header(
                "Authorization",
                &self.settings.token_secret,
                &self.settings.token_prefix,
            )
            .timeout_ms(TIMEOUT_MS)
            .json(&serde_json::json!({ "query": query, "variables": variables }))
    }

    /// A query (a read): retried on transient failures. Returns `data`.
    pub fn query(&self, query: &str, variables: Value) -> Result<Value, PluginError> {
        let response = self
            .request(query, &variables)?
            .send_with_retry_checked(READ_RETRY, |r| self.check(r))?;
        data_of(&response)
    }

    /// A mutation (a write), sent once: a retry could apply it twice.
    pub fn mutate(&self, query: &str, variables: Value) -> Result<Value, PluginError> {
        let response = self
            .request(query, &variables)?
            .send()
            .and_then(|r| self.check(r))?;
        data_of(&response)
    }

    /// Records the quota and maps an error answer (HTTP or GraphQL) to a `plugin-error`.
    fn check(&self, response: Response) -> Result<Response, PluginError> {
        observe_rate_limit(&response);
        let errors = graphql_errors(response.bytes());
        if response.status() < 400 && errors.is_empty() {
            // A cut or garbled answer (a proxy's page, a truncated body) is
            // worth another try for a query, like a 5xx.
            if serde_json::from_slice::<serde::de::IgnoredAny>(response.bytes()).is_err() {
                let mut text = response.text();
                text.truncate(200);
                return Err(PluginError::transient(format!(
                    "Linear answered HTTP {} with something that is not JSON: {text}",
                    response.status()
                )));
            }
            return Ok(response);
        }
        let retry_after = response.retry_after_ms().or_else(|| reset_wait(&response));
        Err(map_error(
            response.status(),
            &errors,
            &response.text(),
            retry_after,
            &self.settings.token_secret,
        ))
    }
}

/// `data` of a successful answer.
fn data_of(response: &Response) -> Result<Value, PluginError> {
    let body: Value = serde_json::from_slice(response.bytes()).map_err(|e| {
        PluginError::transient(format!(
            "Linear answered with something that is not JSON: {e}"
        ))
    })?;
    match body.get("data") {
        Some(data) if data.is_object() => Ok(data.clone()),
        _ => Err(PluginError::other("Linear's answer has no data")),
    }
}

/// One entry of a GraphQL `errors` array.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GraphqlError {
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Extensions {
    pub code: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub user_presentable_message: Option<String>,
}

impl GraphqlError {
    /// Linear's words for people when it has some, else its message.
    fn text(&self) -> String {
        match &self.extensions.user_presentable_message {
            Some(m) if !m.is_empty() && *m != self.message => format!("{} ({m})", self.message),
            _ => self.message.clone(),
        }
    }
}

/// The `errors` of a GraphQL answer (none when the body is not one).
pub fn graphql_errors(body: &[u8]) -> Vec<GraphqlError> {
    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        errors: Vec<GraphqlError>,
    }
    serde_json::from_slice::<Body>(body)
        .map(|b| b.errors)
        .unwrap_or_default()
}

/// Maps an error answer to a `plugin-error`. Linear reports most errors in
/// `errors[].extensions.code`, often with HTTP 400, so the code decides
/// first and the status only when there is none.
pub fn map_error(
    status: u16,
    errors: &[GraphqlError],
    body: &str,
    retry_after_ms: Option<u32>,
    secret: &str,
) -> PluginError {
    let auth_hint = format!(
        "set the secret `{secret}` to a Linear personal API key (Linear: Settings → Security & access → API → \
         Personal API keys; export {secret}=lin_api_…), or name another secret with the setting `tokenSecret`"
    );
    let first = errors.first();
    let code = first
        .and_then(|e| e.extensions.code.as_deref())
        .unwrap_or("")
        .to_ascii_uppercase();
    let message = match first {
        Some(e) => e.text(),
        None => {
            let mut text = body.trim().to_string();
            text.truncate(300);
            if text.is_empty() {
                format!("HTTP {status}")
            } else {
                text
            }
        }
    };
    let lower = message.to_ascii_lowercase();
    if code == "RATELIMITED" || code == "RATE_LIMITED" || status == 429 {
        return PluginError::rate_limited(
            Some(retry_after_ms.unwrap_or(DEFAULT_RATE_LIMIT_WAIT_MS)),
            format!("Linear rate limit: {message}"),
        );
    }
    if code == "AUTHENTICATION_ERROR" || status == 401 {
        return PluginError::Auth(format!(
            "Linear rejected the API key: {message}; {auth_hint}"
        ));
    }
    if code == "FORBIDDEN" || status == 403 {
        return PluginError::Auth(format!(
            "Linear refused the request: {message}; the key in `{secret}` cannot do this \
             (its user may lack access to the team, or an OAuth token lacks the `write` scope)"
        ));
    }
    if code == "ENTITY_NOT_FOUND"
        || code == "NOT_FOUND"
        || lower.contains("entity not found")
        || lower.contains("could not find")
        || status == 404
    {
        return PluginError::NotFound(format!(
            "Linear says: {message}; it does not exist or the key in `{secret}` cannot see it"
        ));
    }
    if status >= 500 || code == "INTERNAL_SERVER_ERROR" || code == "INTERNAL_ERROR" {
        return PluginError::transient(format!("Linear HTTP {status}: {message}"));
    }
    PluginError::invalid_input(format!("Linear: {message}"))
}

/// Milliseconds until the request quota resets, when the answer says it is spent.
fn reset_wait(response: &Response) -> Option<u32> {
    let reset: i64 = response
        .header("x-ratelimit-requests-reset")?
        .trim()
        .parse()
        .ok()?;
    Some(quota::wait_until(reset))
}

/// The quotas in a response's headers: requests, then complexity.
pub fn rate_limits(
    header: impl Fn(&str) -> Option<String>,
    now_ms: i64,
) -> Vec<(&'static str, RateLimitRecord)> {
    let int = |name: &str| header(name).and_then(|v| v.trim().parse::<i64>().ok());
    let mut found = Vec::new();
    for (key, resource) in [
        (RATELIMIT_KEY, "requests"),
        (RATELIMIT_COMPLEXITY_KEY, "complexity"),
    ] {
        if let (Some(remaining), Some(limit), Some(reset_at)) = (
            int(&format!("x-ratelimit-{resource}-remaining")),
            int(&format!("x-ratelimit-{resource}-limit")),
            int(&format!("x-ratelimit-{resource}-reset")),
        ) {
            found.push((
                key,
                RateLimitRecord {
                    resource: resource.to_string(),
                    remaining,
                    limit,
                    reset_at,
                    observed_at: now_ms,
                    cost: (resource == "complexity")
                        .then(|| int("x-complexity"))
                        .flatten(),
                },
            ));
        }
    }
    found
}

fn observe_rate_limit(response: &Response) {
    for (key, record) in rate_limits(|n| response.header(n).map(str::to_string), clock::now_ms()) {
        quota::observe("Linear", key, record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(json: &str) -> Vec<GraphqlError> {
        graphql_errors(json.as_bytes())
    }

    #[test]
    fn graphql_error_codes_decide_before_the_status() {
        let auth = errors(
            r#"{"errors":[{"message":"Authentication required, not authenticated","extensions":{"type":"authentication error","code":"AUTHENTICATION_ERROR","userPresentableMessage":"You need to authenticate to access this operation."}}]}"#,
        );
        match map_error(400, &auth, "", None, "LINEAR_API_KEY") {
            PluginError::Auth(m) => {
                assert!(m.contains("LINEAR_API_KEY"), "{m}");
                assert!(m.contains("Security & access"), "{m}");
                assert!(m.contains("You need to authenticate"), "{m}");
            }
            other => panic!("{other:?}"),
        }
        let limited = errors(
            r#"{"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATELIMITED"}}]}"#,
        );
        assert!(matches!(
            map_error(400, &limited, "", Some(5_000), "K"),
            PluginError::RateLimited(r) if r.retry_after_ms == Some(5_000)
        ));
        assert!(matches!(
            map_error(400, &limited, "", None, "K"),
            PluginError::RateLimited(r) if r.retry_after_ms == Some(60_000)
        ));
        let missing = errors(
            r#"{"errors":[{"message":"Entity not found: Issue","extensions":{"type":"invalid input","code":"INVALID_INPUT","userPresentableMessage":"Could not find referenced Issue."}}],"data":null}"#,
        );
        assert!(matches!(
            map_error(400, &missing, "", None, "K"),
            PluginError::NotFound(m) if m.contains("Entity not found: Issue")
        ));
        let forbidden =
            errors(r#"{"errors":[{"message":"Forbidden","extensions":{"code":"FORBIDDEN"}}]}"#);
        assert!(matches!(
            map_error(400, &forbidden, "", None, "K"),
            PluginError::Auth(m) if m.contains("`K`")
        ));
        let invalid = errors(
            r#"{"errors":[{"message":"Argument Validation Error","extensions":{"code":"INVALID_INPUT"}}]}"#,
        );
        assert!(matches!(
            map_error(400, &invalid, "", None, "K"),
            PluginError::InvalidInput(m) if m.contains("Argument Validation Error")
        ));
    }

    #[test]
    fn http_statuses_map_without_a_graphql_body() {
        assert!(matches!(
            map_error(401, &[], "", None, "K"),
            PluginError::Auth(m) if m.contains("`K`")
        ));
        assert!(matches!(
            map_error(429, &[], "slow down", Some(2_000), "K"),
            PluginError::RateLimited(r) if r.retry_after_ms == Some(2_000)
        ));
        assert!(matches!(
            map_error(502, &[], "<html>bad gateway</html>", None, "K"),
            PluginError::Transient(m) if m.contains("502")
        ));
        assert!(matches!(
            map_error(404, &[], "", None, "K"),
            PluginError::NotFound(_)
        ));
        assert!(errors("<html>").is_empty());
    }

    #[test]
    fn quotas_are_read_from_the_headers() {
        let headers = [
            ("x-ratelimit-requests-remaining", "4990"),
            ("x-ratelimit-requests-limit", "5000"),
            ("x-ratelimit-requests-reset", "1764000000000"),
            ("x-ratelimit-complexity-remaining", "249000"),
            ("x-ratelimit-complexity-limit", "250000"),
            ("x-ratelimit-complexity-reset", "1764000000000"),
            ("x-complexity", "42"),
        ];
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        let found = rate_limits(header, 7);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, "ratelimit");
        assert_eq!(
            serde_json::to_value(&found[0].1).unwrap(),
            serde_json::json!({"resource":"requests","remaining":4990,"limit":5000,
                               "resetAt":1764000000000_i64,"observedAt":7})
        );
        assert_eq!(found[1].1.cost, Some(42));
        assert!(rate_limits(|_| None, 7).is_empty());
    }
}
