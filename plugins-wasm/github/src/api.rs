//! Requests to GitHub: headers and the token (filled by the host), errors
//! mapped to `plugin-error`, retries for reads only, conditional GETs and the
//! last seen rate-limit quota.

use crate::settings::Settings;
use ao_plugin_sdk::http::{Method, RequestBuilder, Response, RetryPolicy};
use ao_plugin_sdk::quota::{self, RateLimitRecord, wait_until};
use ao_plugin_sdk::{PluginError, clock, etag};
use serde::Deserialize;
use serde_json::Value;
use std::rc::Rc;

/// Reads (GET, GraphQL queries) are retried on 5xx, network errors and short
/// rate-limit waits; a longer wait is returned to the host as `rate-limited`.
const READ_RETRY: RetryPolicy = RetryPolicy {
    retries: 2,
    base_delay_ms: 300,
    max_delay_ms: 2_000,
};
/// Per-request timeout; the host also caps it by the call's remaining time.
const TIMEOUT_MS: u32 = 10_000;
/// A secondary rate limit without a `Retry-After`: GitHub asks for at least a minute.
const SECONDARY_WAIT_MS: u32 = 60_000;

/// The KV key of the last seen GraphQL quota.
pub const RATELIMIT_GRAPHQL_KEY: &str = "ratelimit.graphql";

/// A GitHub client for one call.
pub struct Api {
    pub settings: Settings,
}

/// The answer to a conditional GET.
pub enum Conditional {
    /// 304: what the caller cached is still current (this did not cost quota).
    NotModified,
    /// A new body, with its ETag when GitHub sent one.
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
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
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
        let message = github_message(&response);
        if let Some(wait) = rate_limit_wait(&response, &message) {
            return Err(PluginError::rate_limited(
                Some(wait),
                format!("GitHub rate limit (HTTP {status}): {message}"),
            ));
        }
        let secret = &self.settings.token_secret;
        Err(match status {
            401 => PluginError::Auth(format!(
                "GitHub rejected the token (HTTP 401: {message}); set the secret `{secret}` to a valid token \
                 (export {secret}=…, or name another secret with the setting `tokenSecret`)"
            )),
            403 => PluginError::Auth(format!(
                "GitHub refused the request (HTTP 403: {message}); the token in `{secret}` may lack a scope \
                 (repo, or Issues/Pull requests/Checks read-write for a fine-grained token)"
            )),
            404 | 410 => PluginError::NotFound(format!(
                "GitHub says {message} (HTTP {status}); it does not exist or the token in `{secret}` cannot see it"
            )),
            500..=599 => PluginError::transient(format!("GitHub HTTP {status}: {message}")),
            _ => PluginError::invalid_input(format!("GitHub HTTP {status}: {message}")),
        })
    }

    /// A GET whose answer is remembered in memory with its ETag: the next
    /// identical GET sends `If-None-Match` and a 304 reuses the body.
    pub fn get(&self, path: &str) -> Result<Vec<u8>, PluginError> {
        let url = self.url(path);
        let cached = etag::get(&url);
        let etag = cached.as_ref().map(|(etag, _)| etag.as_str());
        match self.get_conditional_url(&url, etag)? {
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
            PluginError::other(format!("GitHub answered {path} with unexpected JSON: {e}"))
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

    /// A write (POST, PATCH, PUT, DELETE), sent once: writes are not retried.
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

    /// A GraphQL query (a read, so retried like GETs). Returns `data`;
    /// errors GitHub reports in the body are mapped like HTTP errors, except
    /// NOT_FOUND errors under `data`, which callers read as missing nodes.
    pub fn graphql(&self, query: &str, variables: Value) -> Result<GraphqlAnswer, PluginError> {
        let body = serde_json::json!({ "query": query, "variables": variables });
        let response = self
            .request(Method::Post, &self.settings.graphql_url())
            .json(&body)?
            .send_with_retry_checked(READ_RETRY, |r| self.check(r))?;
        let answer: GraphqlResponse = response.json()?;
        if let Some(rate) = answer.data.as_ref().and_then(|d| d.get("rateLimit")) {
            observe_graphql_rate_limit(rate);
        }
        let errors = answer.errors.unwrap_or_default();
        let secret = &self.settings.token_secret;
        if let Some(fatal) = errors
            .iter()
            .find(|e| e.kind.as_deref() != Some("NOT_FOUND"))
        {
            return Err(graphql_error(fatal, secret));
        }
        match answer.data {
            Some(data) if !data.is_null() => Ok(GraphqlAnswer { data, errors }),
            _ => Err(match errors.first() {
                Some(error) => graphql_error(error, secret),
                None => PluginError::other("GitHub's GraphQL answer has no data"),
            }),
        }
    }
}

fn graphql_error(error: &GraphqlError, secret: &str) -> PluginError {
    let message = format!("GitHub GraphQL: {}", error.message);
    match error.kind.as_deref() {
        Some("NOT_FOUND") => PluginError::NotFound(message),
        Some("RATE_LIMITED") => {
            let wait = quota::read(RATELIMIT_GRAPHQL_KEY)
                .map(|r| wait_until(r.reset_at))
                .unwrap_or(SECONDARY_WAIT_MS);
            PluginError::rate_limited(Some(wait), message)
        }
        Some("FORBIDDEN") => PluginError::Auth(format!(
            "{message}; the token in `{secret}` may lack a scope"
        )),
        _ => PluginError::other(message),
    }
}

/// `data` of a GraphQL answer, plus NOT_FOUND errors (missing PRs).
pub struct GraphqlAnswer {
    pub data: Value,
    pub errors: Vec<GraphqlError>,
}

impl GraphqlAnswer {
    /// Whether a NOT_FOUND error points at `alias` (`["repository", "pr3"]`).
    pub fn not_found(&self, alias: &str) -> bool {
        self.errors.iter().any(|e| {
            e.kind.as_deref() == Some("NOT_FOUND")
                && e.path.iter().any(|p| p.as_str() == Some(alias))
        })
    }
}

#[derive(Deserialize)]
struct GraphqlResponse {
    data: Option<Value>,
    errors: Option<Vec<GraphqlError>>,
}

#[derive(Debug, Deserialize)]
pub struct GraphqlError {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub path: Vec<Value>,
}

/// GitHub's `message` (and `errors[].message`) from an error body, else the text.
fn github_message(response: &Response) -> String {
    let parsed: Option<Value> = serde_json::from_slice(response.bytes()).ok();
    let mut message = match &parsed {
        Some(v) => v["message"].as_str().unwrap_or("").to_string(),
        None => String::new(),
    };
    if let Some(errors) = parsed.as_ref().and_then(|v| v["errors"].as_array()) {
        let details: Vec<String> = errors
            .iter()
            .filter_map(|e| match e {
                Value::String(s) => Some(s.clone()),
                Value::Object(_) => e["message"].as_str().map(str::to_string).or_else(|| {
                    let field = e["field"].as_str()?;
                    let code = e["code"].as_str().unwrap_or("invalid");
                    Some(format!("{field} {code}"))
                }),
                _ => None,
            })
            .collect();
        if !details.is_empty() {
            message = format!("{message} ({})", details.join("; "));
        }
    }
    if message.trim().is_empty() {
        message = response.text();
        message.truncate(300);
    }
    message
}

/// How long to wait, when the response is a rate limit (primary or secondary).
fn rate_limit_wait(response: &Response, message: &str) -> Option<u32> {
    let status = response.status();
    if status != 403 && status != 429 {
        return None;
    }
    if let Some(ms) = response.retry_after_ms() {
        return Some(ms);
    }
    if response.header("x-ratelimit-remaining") == Some("0")
        && let Some(reset) = response
            .header("x-ratelimit-reset")
            .and_then(|v| v.trim().parse::<i64>().ok())
    {
        return Some(wait_until(reset * 1000));
    }
    let lower = message.to_ascii_lowercase();
    (status == 429 || lower.contains("rate limit") || lower.contains("abuse"))
        .then_some(SECONDARY_WAIT_MS)
}

fn observe_rate_limit(response: &Response) {
    let int = |name: &str| {
        response
            .header(name)
            .and_then(|v| v.trim().parse::<i64>().ok())
    };
    let (Some(remaining), Some(limit), Some(reset)) = (
        int("x-ratelimit-remaining"),
        int("x-ratelimit-limit"),
        int("x-ratelimit-reset"),
    ) else {
        return;
    };
    let resource = response
        .header("x-ratelimit-resource")
        .unwrap_or("core")
        .to_string();
    store_rate_limit(RateLimitRecord {
        resource,
        remaining,
        limit,
        reset_at: reset * 1000,
        observed_at: clock::now_ms(),
        cost: None,
    });
}

fn observe_graphql_rate_limit(rate: &Value) {
    let (Some(remaining), Some(limit)) = (rate["remaining"].as_i64(), rate["limit"].as_i64())
    else {
        return;
    };
    let reset_at = rate["resetAt"]
        .as_str()
        .and_then(ao_plugin_sdk::time::parse_ms)
        .unwrap_or(0);
    store_rate_limit(RateLimitRecord {
        resource: "graphql".into(),
        remaining,
        limit,
        reset_at,
        observed_at: clock::now_ms(),
        cost: rate["cost"].as_i64(),
    });
}

fn store_rate_limit(record: RateLimitRecord) {
    let key = quota::key_for(&record.resource, "core");
    quota::observe("GitHub", &key, record);
}

/// Drops everything remembered about URLs containing `fragment` (after a write).
pub fn forget(fragment: &str) {
    etag::forget(fragment);
}
