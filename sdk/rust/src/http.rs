//! HTTP through the host. The host checks the destination against the hosts
//! this plugin was granted, applies timeouts and size limits, and fills
//! [`RequestBuilder::secret_header`]s itself so tokens never enter the plugin.
//!
//! ```ignore
//! let issues: Vec<Issue> = http::get("https://api.example.com/issues")
//!     .bearer_secret("EXAMPLE_TOKEN")
//!     .send()?
//!     .error_for_status()?
//!     .json()?;
//! ```

use crate::{PluginError, clock};
use ao_plugin_imports::ao::plugin::http as host;
pub use host::Method;
use serde::{Serialize, de::DeserializeOwned};

/// A request being built.
#[derive(Debug, Clone)]
pub struct RequestBuilder {
    request: host::Request,
}

/// Starts a GET request.
pub fn get(url: &str) -> RequestBuilder {
    RequestBuilder::new(Method::Get, url)
}
/// Starts a POST request.
pub fn post(url: &str) -> RequestBuilder {
    RequestBuilder::new(Method::Post, url)
}
/// Starts a PATCH request.
pub fn patch(url: &str) -> RequestBuilder {
    RequestBuilder::new(Method::Patch, url)
}
/// Starts a PUT request.
pub fn put(url: &str) -> RequestBuilder {
    RequestBuilder::new(Method::Put, url)
}
/// Starts a DELETE request.
pub fn delete(url: &str) -> RequestBuilder {
    RequestBuilder::new(Method::Delete, url)
}

impl RequestBuilder {
    /// A request with the given method and URL.
    pub fn new(method: Method, url: &str) -> Self {
        RequestBuilder {
            request: host::Request {
                method,
                url: url.to_string(),
                headers: Vec::new(),
                secret_headers: Vec::new(),
                body: None,
                timeout_ms: None,
            },
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request
            .headers
            .push((name.to_string(), value.to_string()));
        self
    }

    /// Adds a header whose value is `prefix` followed by the secret `secret`;
    /// the host fills it in, so the secret never reaches the plugin.
    pub fn secret_header(mut self, name: &str, secret: &str, prefix: &str) -> Self {
        self.request.secret_headers.push(host::SecretHeader {
            name: name.to_string(),
            secret: secret.to_string(),
            prefix: prefix.to_string(),
        });
        self
    }

    /// `Authorization: Bearer <secret>`.
    pub fn bearer_secret(self, secret: &str) -> Self {
        self.secret_header("Authorization", secret, "Bearer ")
    }

    /// A raw body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.request.body = Some(body.into());
        self
    }

    /// A JSON body, with `Content-Type: application/json`.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Result<Self, PluginError> {
        let body = serde_json::to_vec(value)?;
        Ok(self.header("Content-Type", "application/json").body(body))
    }

    /// A timeout for this request (the host caps it).
    pub fn timeout_ms(mut self, ms: u32) -> Self {
        self.request.timeout_ms = Some(ms);
        self
    }

    /// Sends the request once. Any HTTP status is `Ok`; see [`Response::error_for_status`].
    pub fn send(&self) -> Result<Response, PluginError> {
        host::fetch(&self.request).map(Response)
    }

    /// Sends the request, retrying transient failures (network errors, 429
    /// and 5xx) up to `policy.retries` times with exponential backoff. A
    /// `Retry-After` header from the server replaces the computed delay; a
    /// rate limit that asks for a longer wait than `policy.max_delay_ms` is
    /// returned at once (retrying earlier than asked would only fail again).
    pub fn send_with_retry(&self, policy: RetryPolicy) -> Result<Response, PluginError> {
        self.send_with_retry_checked(policy, Response::error_for_status)
    }

    /// Like [`RequestBuilder::send_with_retry`], but `check` decides what each
    /// response means: it sees every response (to read headers such as rate
    /// limits, or to map errors the service's own way) and returns the
    /// response or the [`PluginError`] it stands for. Retryable errors
    /// ([`PluginError::is_retryable`]) are retried as in `send_with_retry`.
    pub fn send_with_retry_checked(
        &self,
        policy: RetryPolicy,
        mut check: impl FnMut(Response) -> Result<Response, PluginError>,
    ) -> Result<Response, PluginError> {
        let mut attempt = 0;
        loop {
            let outcome = self.send().and_then(&mut check);
            match outcome {
                Ok(response) => return Ok(response),
                Err(err) if err.is_retryable() && attempt < policy.retries => {
                    let backoff = policy.base_delay_ms.saturating_mul(1 << attempt.min(16));
                    let delay = match &err {
                        PluginError::RateLimited(r) => match r.retry_after_ms {
                            Some(ms) if ms > policy.max_delay_ms => return Err(err),
                            Some(ms) => ms,
                            None => backoff,
                        },
                        _ => backoff,
                    };
                    crate::log::debug(&format!(
                        "attempt {} failed ({err}); retrying in {delay} ms",
                        attempt + 1,
                        err = err.describe()
                    ));
                    clock::sleep_ms(delay.min(policy.max_delay_ms));
                    attempt += 1;
                }
                Err(err) => return Err(err),
            }
        }
    }
}

/// How [`RequestBuilder::send_with_retry`] retries.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// Delay before the first retry; doubled for each further one.
    pub base_delay_ms: u32,
    /// No single wait is longer than this.
    pub max_delay_ms: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 3,
            base_delay_ms: 1000,
            max_delay_ms: 30_000,
        }
    }
}

/// A response from the host.
#[derive(Debug, Clone)]
pub struct Response(pub host::Response);

impl Response {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.0
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body.
    pub fn bytes(&self) -> &[u8] {
        &self.0.body
    }

    /// The body as text (invalid UTF-8 is replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, PluginError> {
        serde_json::from_slice(&self.0.body)
            .map_err(|e| PluginError::Other(format!("response is not the JSON expected: {e}")))
    }

    /// `Retry-After` in milliseconds (delta-seconds form).
    pub fn retry_after_ms(&self) -> Option<u32> {
        let secs: f64 = self.header("retry-after")?.trim().parse().ok()?;
        Some((secs * 1000.0).clamp(0.0, u32::MAX as f64) as u32)
    }

    /// Maps an error status to the matching [`PluginError`] variant:
    /// 401 → auth, 403 → auth or rate-limited, 404 → not-found,
    /// 429 → rate-limited, 5xx → transient, other 4xx → invalid-input.
    pub fn error_for_status(self) -> Result<Response, PluginError> {
        let status = self.status();
        if status < 400 {
            return Ok(self);
        }
        let mut detail = self.text();
        detail.truncate(300);
        let message = format!("HTTP {status}: {detail}");
        let rate_limited = status == 429
            || (status == 403
                && (self.header("retry-after").is_some()
                    || self.header("x-ratelimit-remaining") == Some("0")));
        Err(if rate_limited {
            PluginError::rate_limited(self.retry_after_ms(), message)
        } else {
            match status {
                401 | 403 => PluginError::Auth(message),
                404 | 410 => PluginError::NotFound(message),
                500..=599 => PluginError::Transient(message),
                _ => PluginError::InvalidInput(message),
            }
        })
    }
}

/// Percent-encodes a URL path segment or query value (everything but
/// unreserved characters, so `/` in a GitLab project path is encoded too).
pub fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Checks an API base URL from a plugin's settings: `https://`, or plain
/// `http://` only to this machine (a local proxy or test server), so a token
/// the host adds is never sent unencrypted over a network. `key` names the
/// setting in the error.
pub fn check_api_url(key: &str, url: &str) -> Result<(), PluginError> {
    if url.starts_with("https://") {
        return Ok(());
    }
    if let Some(rest) = url.strip_prefix("http://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => authority.split(':').next().unwrap_or(""),
        };
        if matches!(host, "127.0.0.1" | "localhost" | "::1") {
            return Ok(());
        }
        return Err(PluginError::invalid_input(format!(
            "setting `{key}` is `{url}`: tokens are only sent over https (plain http is allowed to localhost only)"
        )));
    }
    Err(PluginError::invalid_input(format!(
        "setting `{key}` must be an https URL, got `{url}`"
    )))
}

#[cfg(test)]
mod tests {
    use super::check_api_url;

    #[test]
    fn components_are_percent_encoded() {
        assert_eq!(
            super::encode_component("acme/sub web+1"),
            "acme%2Fsub%20web%2B1"
        );
        assert_eq!(super::encode_component("feat-1_a.b~"), "feat-1_a.b~");
    }

    #[test]
    fn tokens_go_over_https_or_stay_on_this_machine() {
        assert!(check_api_url("apiUrl", "https://gitlab.example.com/api/v4").is_ok());
        assert!(check_api_url("apiUrl", "http://127.0.0.1:8080/api/v4").is_ok());
        assert!(check_api_url("apiUrl", "http://localhost/graphql").is_ok());
        assert!(check_api_url("apiUrl", "http://[::1]:9/x").is_ok());
        assert!(check_api_url("apiUrl", "http://gitlab.example.com/api/v4").is_err());
        assert!(check_api_url("apiUrl", "http://127.0.0.1.evil.com/").is_err());
        assert!(check_api_url("apiUrl", "gitlab.com").is_err());
    }
}
