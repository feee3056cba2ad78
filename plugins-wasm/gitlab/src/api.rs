//! Requests to GitLab: the token (filled by the host), errors mapped to
//! `plugin-error` with the fix in words, retries for reads only,
//! conditional GETs, and the last seen rate-limit quota.

use crate::settings::Settings;
use ao_plugin_sdk::http::{Method, RequestBuilder, Response, RetryPolicy};
use ao_plugin_sdk::quota::{self, RateLimitRecord};
use ao_plugin_sdk::{PluginError, clock, etag};
use serde::Deserialize;
use serde_json::Value;
use std::rc::Rc;

/// Reads (GETs, GraphQL queries) are retried on 5xx, network errors and
/// short rate-limit waits; a longer wait goes back to the host as `rate-limited`.
const READ_RETRY: RetryPolicy = RetryPolicy {
    retries: 2,
    base_delay_ms: 300,
    max_delay_ms: 2_000,
};
/// Per-request timeout; the host also caps it by the call's remaining time.
const TIMEOUT_MS: u32 = 10_000;
/// Timeout of a job log request.
const LOG_TIMEOUT_MS: u32 = 3_000;
/// A 429 without `Retry-After` or `RateLimit-Reset`: GitLab's window is a minute.
const DEFAULT_WAIT_MS: u32 = 60_000;

/// A GitLab client for one call.
pub struct Api {
    pub settings: Settings,
}

/// The answer to a conditional GET.
pub enum Conditional {
    /// 304: what the caller kept is still current.
    NotModified,
    /// A new body, with its ETag when GitLab sent one.
    Fresh(Response),
}

impl Api {
    pub fn new() -> Result<Api, PluginError> {
        Ok(Api {
            settings: Settings::load()?,
        })
    }

    /// `apiUrl` + path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.settings.api_url)
    }

    fn request(&self, method: Method, url: &str) -> RequestBuilder {
        RequestBuilder::new(method, url)
            .header("Accept", "application/json")
            .bearer_secret(&self.settings.token_secret)
            .timeout_ms(TIMEOUT_MS)
    }

    /// Records the quota and maps an error status to a `plugin-error`.
    fn check(&self, response: Response) -> Result<Response, PluginError> {
        observe_rate_limit(&response);
        let status = response.status();
        if status < 400 {
            return Ok(response);
        }
        let message = gitlab_message(response.bytes());
        if status == 429 {
            let wait = response
                .retry_after_ms()
                .or_else(|| reset_at_ms(&response).map(quota::wait_until))
                .unwrap_or(DEFAULT_WAIT_MS);
            return Err(PluginError::rate_limited(
                Some(wait),
                format!("GitLab rate limit (HTTP 429): {message}"),
            ));
        }
        Err(status_error(status, &message, &self.settings.token_secret))
    }

    /// A GET remembered in memory with its ETag: the next identical GET
    /// sends `If-None-Match` and a 304 reuses the body.
    pub fn get(&self, path: &str) -> Result<Vec<u8>, PluginError> {
        let url = self.url(path);
        let cached = etag::get(&url);
        match self.get_conditional_url(&url, cached.as_ref().map(|(tag, _)| tag.as_str()))? {
            Conditional::NotModified => {
                Ok(cached.map(|(_, body)| body.to_vec()).unwrap_or_default())
            }
            Conditional::Fresh(response) => {
                let tag = response.header("etag").map(str::to_string);
                let body = response.0.body;
                if let Some(tag) = tag {
                    etag::put(url, tag, Rc::new(body.clone()));
                }
                Ok(body)
            }
        }
    }

    /// [`Api::get`], parsed as JSON.
    pub fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, PluginError> {
        let body = self.get(path)?;
        serde_json::from_slice(&body).map_err(|e| {
            PluginError::other(format!("GitLab answered {path} with unexpected JSON: {e}"))
        })
    }

    /// A GET sent with `If-None-Match: etag` when an ETag is given.
    pub fn get_conditional(
        &self,
        path: &str,
        etag: Option<&str>,
    ) -> Result<Conditional, PluginError> {
        self.get_conditional_url(&self.url(path), etag)
    }

    fn get_conditional_url(
        &self,
        url: &str,
        etag: Option<&str>,
    ) -> Result<Conditional, PluginError> {
        let mut request = self.request(Method::Get, url);
        if let Some(etag) = etag {
            request = request.header("If-None-Match", etag);
        }
        let response = request.send_with_retry_checked(READ_RETRY, |r| self.check(r))?;
        Ok(if response.status() == 304 {
            Conditional::NotModified
        } else {
            Conditional::Fresh(response)
        })
    }

    /// A GET of plain text (job logs): sent once, not cached, with a short
    /// timeout, since a log is a nicety next to the facts of the cycle.
    pub fn get_text(&self, path: &str) -> Result<String, PluginError> {
        let response = self
            .request(Method::Get, &self.url(path))
            .header("Accept", "text/plain")
            .timeout_ms(LOG_TIMEOUT_MS)
            .send()
            .and_then(|r| self.check(r))?;
        Ok(response.text())
    }

    /// A write (POST, PUT, DELETE), sent once: writes are not retried.
    pub fn write(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Response, PluginError> {
        let mut request = self.request(method, &self.url(path));
        if let Some(body) = body {
            request = request.json(body)?;
        }
        request.send().and_then(|r| self.check(r))
    }

    /// A GraphQL query (a read, so retried). Returns `data`; errors GitLab
    /// reports in the body become `plugin-error`s.
    pub fn graphql(&self, query: &str, variables: Value) -> Result<Value, PluginError> {
        let body = serde_json::json!({ "query": query, "variables": variables });
        let response = self
            .request(Method::Post, &self.settings.graphql_url())
            .json(&body)?
            .send_with_retry_checked(READ_RETRY, |r| self.check(r))?;
        let answer: GraphqlResponse = response.json()?;
        if let Some(error) = answer.errors.as_ref().and_then(|e| e.first()) {
            return Err(graphql_error(&error.message, &self.settings.token_secret));
        }
        match answer.data {
            Some(data) if !data.is_null() => Ok(data),
            _ => Err(PluginError::other("GitLab's GraphQL answer has no data")),
        }
    }
}

#[derive(Deserialize)]
struct GraphqlResponse {
    data: Option<Value>,
    errors: Option<Vec<GraphqlError>>,
}

#[derive(Deserialize)]
struct GraphqlError {
    #[serde(default)]
    message: String,
}

/// An HTTP error status as a `plugin-error` whose message says what to do.
pub fn status_error(status: u16, message: &str, secret: &str) -> PluginError {
    match status {
        401 => PluginError::Auth(format!(
            "GitLab rejected the token (HTTP 401: {message}); set the secret `{secret}` to a valid \
             personal, project or group access token (export {secret}=…, or name another secret \
             with the setting `tokenSecret`)"
        )),
        403 => PluginError::Auth(format!(
            "GitLab refused the request (HTTP 403: {message}); the token in `{secret}` needs the \
             `api` scope and at least the Developer role on the project"
        )),
        404 | 410 => PluginError::NotFound(format!(
            "GitLab says {message} (HTTP {status}); it does not exist or the token in `{secret}` cannot see it"
        )),
        500..=599 => PluginError::transient(format!("GitLab HTTP {status}: {message}")),
        _ => PluginError::invalid_input(format!("GitLab HTTP {status}: {message}")),
    }
}

fn graphql_error(message: &str, secret: &str) -> PluginError {
    let lower = message.to_ascii_lowercase();
    let message = format!("GitLab GraphQL: {message}");
    if lower.contains("authentication") || lower.contains("not authorized") {
        PluginError::Auth(format!(
            "{message}; the token in `{secret}` needs the `api` (or `read_api`) scope"
        ))
    } else if lower.contains("rate limit") {
        PluginError::rate_limited(Some(DEFAULT_WAIT_MS), message)
    } else {
        PluginError::other(message)
    }
}

/// GitLab's `message` or `error` (a string, a list or a map of field errors)
/// from an error body, else the start of the text.
pub fn gitlab_message(body: &[u8]) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let text = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Array(items) => Some(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Value::Object(fields) => Some(
                fields
                    .iter()
                    .map(|(k, v)| match v {
                        Value::Array(items) => format!(
                            "{k} {}",
                            items
                                .iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        other => format!("{k} {other}"),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            _ => None,
        }
    };
    let found = parsed.as_ref().and_then(|v| {
        v.get("message")
            .and_then(text)
            .or_else(|| v.get("error").and_then(text))
    });
    match found.filter(|m| !m.trim().is_empty()) {
        Some(m) => m,
        None => {
            let mut m = String::from_utf8_lossy(body).into_owned();
            m.truncate(300);
            m
        }
    }
}

/// `RateLimit-Reset` (epoch seconds) as milliseconds.
fn reset_at_ms(response: &Response) -> Option<i64> {
    response
        .header("ratelimit-reset")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .map(|s| s * 1000)
}

/// Keeps GitLab's `RateLimit-*` headers as the `ratelimit` record.
fn observe_rate_limit(response: &Response) {
    let int = |name: &str| {
        response
            .header(name)
            .and_then(|v| v.trim().parse::<i64>().ok())
    };
    let (Some(remaining), Some(limit), Some(reset_at)) = (
        int("ratelimit-remaining"),
        int("ratelimit-limit"),
        reset_at_ms(response),
    ) else {
        return;
    };
    quota::observe(
        "GitLab",
        quota::MAIN_KEY,
        RateLimitRecord {
            resource: "rest".into(),
            remaining,
            limit,
            reset_at,
            observed_at: clock::now_ms(),
            cost: None,
        },
    );
}

/// Drops everything remembered about URLs containing `fragment` (after a write).
pub fn forget(fragment: &str) {
    etag::forget(fragment);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_in_gitlabs_shapes() {
        assert_eq!(
            gitlab_message(br#"{"message":"404 Project Not Found"}"#),
            "404 Project Not Found"
        );
        assert_eq!(
            gitlab_message(br#"{"message":{"title":["can't be blank"]}}"#),
            "title can't be blank"
        );
        assert_eq!(
            gitlab_message(br#"{"error":"invalid_token"}"#),
            "invalid_token"
        );
        assert_eq!(gitlab_message(b"<html>502</html>"), "<html>502</html>");
    }

    #[test]
    fn statuses_map_to_what_the_host_can_act_on() {
        assert!(
            matches!(status_error(401, "x", "GITLAB_TOKEN"), PluginError::Auth(m) if m.contains("GITLAB_TOKEN"))
        );
        assert!(
            matches!(status_error(403, "x", "T"), PluginError::Auth(m) if m.contains("`api` scope"))
        );
        assert!(matches!(
            status_error(404, "x", "T"),
            PluginError::NotFound(_)
        ));
        assert!(matches!(
            status_error(502, "x", "T"),
            PluginError::Transient(_)
        ));
        assert!(matches!(
            status_error(422, "x", "T"),
            PluginError::InvalidInput(_)
        ));
    }
}
