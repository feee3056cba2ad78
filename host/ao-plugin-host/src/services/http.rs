//! `ao:plugin/http`: requests made by the host on a plugin's behalf.
//!
//! Order of checks: scheme (http/https only) → host against the effective
//! grant → secret headers against the secret grant → timeout capped by both
//! the host limit and the call's remaining time → response body capped.
//! Redirects are not followed: a 3xx is returned to the plugin, whose next
//! request is checked again.

use super::HostState;
use crate::bindings::v0_1::{
    PluginError,
    ao::plugin::http::{Host, Method, Request, Response},
};
use std::time::Duration;
use ureq::http::Uri;

/// The agent every instance starts with: statuses are data, redirects are the plugin's business.
pub fn new_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .user_agent(concat!("ao/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

fn method(m: Method) -> ureq::http::Method {
    use ureq::http::Method as M;
    match m {
        Method::Get => M::GET,
        Method::Head => M::HEAD,
        Method::Post => M::POST,
        Method::Put => M::PUT,
        Method::Patch => M::PATCH,
        Method::Delete => M::DELETE,
    }
}

impl HostState {
    fn fetch_checked(&mut self, request: Request) -> Result<Response, PluginError> {
        let uri: Uri = request
            .url
            .parse()
            .map_err(|e| PluginError::InvalidInput(format!("bad URL `{}`: {e}", request.url)))?;
        let default_port = match uri.scheme_str() {
            Some("https") => 443,
            Some("http") => 80,
            other => {
                return Err(PluginError::InvalidInput(format!(
                    "URL scheme `{}` is not allowed; use http or https",
                    other.unwrap_or("")
                )));
            }
        };
        let host = uri.host().ok_or_else(|| {
            PluginError::InvalidInput(format!("URL `{}` has no host", request.url))
        })?;
        let port = uri.port_u16().unwrap_or(default_port);
        if !self.caps.allows_host(host, port) {
            let item = if uri.port_u16().is_some() {
                format!("{host}:{port}")
            } else {
                host.to_string()
            };
            return Err(self.deny(&format!("HTTP to `{item}`"), "http", &item));
        }

        let mut builder = ureq::http::Request::builder()
            .method(method(request.method))
            .uri(uri);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        for secret_header in &request.secret_headers {
            let value = self.secret(&secret_header.secret)?;
            builder = builder.header(
                secret_header.name.as_str(),
                format!("{}{value}", secret_header.prefix),
            );
        }
        let body = request.body.unwrap_or_default();
        let http_request = builder
            .body(body)
            .map_err(|e| PluginError::InvalidInput(format!("bad request: {e}")))?;

        let asked = request
            .timeout_ms
            .map(|ms| Duration::from_millis(ms.into()))
            .unwrap_or(self.limits.http_timeout);
        let timeout = asked.min(self.limits.http_timeout).min(self.remaining());
        if timeout.is_zero() {
            return Err(PluginError::Transient(
                "the call's deadline has passed; no time left for HTTP".into(),
            ));
        }
        let http_request = self
            .http_agent
            .configure_request(http_request)
            .timeout_global(Some(timeout))
            .build();
        let response = self
            .http_agent
            .run(http_request)
            .map_err(|e| self.map_error(e, timeout))?;

        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let limit = self.limits.max_response_bytes;
        let body = response
            .into_body()
            .with_config()
            .limit(limit as u64)
            .read_to_vec()
            .map_err(|e| self.map_error(e, timeout))?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    fn map_error(&self, e: ureq::Error, timeout: Duration) -> PluginError {
        match e {
            ureq::Error::Timeout(_) => PluginError::Transient(format!(
                "HTTP request timed out after {} ms",
                timeout.as_millis()
            )),
            ureq::Error::BodyExceedsLimit(_) => PluginError::Other(format!(
                "HTTP response body is larger than this plugin's limit of {} bytes",
                self.limits.max_response_bytes
            )),
            ureq::Error::Io(io) => PluginError::Transient(format!("network error: {io}")),
            ureq::Error::HostNotFound => PluginError::Transient("host not found (DNS)".into()),
            ureq::Error::ConnectionFailed => PluginError::Transient("connection failed".into()),
            other => PluginError::Other(format!("HTTP error: {other}")),
        }
    }
}

impl Host for HostState {
    fn fetch(&mut self, request: Request) -> Result<Response, PluginError> {
        // Paths and queries can carry tokens (Slack and Discord webhook URLs do): log the origin only.
        let origin = request
            .url
            .parse::<Uri>()
            .ok()
            .and_then(|u| Some(format!("{}://{}", u.scheme_str()?, u.authority()?)));
        let summary = format!(
            "{} {}/…",
            method(request.method),
            origin.unwrap_or_else(|| "<bad url>".into())
        );
        let started = std::time::Instant::now();
        let result = self.fetch_checked(request);
        match &result {
            Ok(r) => {
                tracing::debug!(plugin = %self.label, "{} -> {} in {} ms", self.redact(&summary), r.status, started.elapsed().as_millis())
            }
            Err(e) => {
                tracing::debug!(plugin = %self.label, "{} failed: {}", self.redact(&summary), crate::error::describe(e))
            }
        }
        result
    }
}
