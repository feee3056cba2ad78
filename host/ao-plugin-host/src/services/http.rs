//! `ao:plugin/http`: requests made by the host on a plugin's behalf.
//!
//! Order of checks: scheme (http/https only) → host against the effective
//! grant → headers only the host may set (`Authorization`, `Host`,
//! cookies) refused → each secret header against the secret's own hosts
//! (over https, or plain http to loopback) → timeout capped by both the host
//! limit and the call's remaining time → response body capped, and the
//! secret values the host put in stripped from what the plugin gets back.
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

/// Headers a plugin may not set itself: credentials go in only as secret
/// headers the host fills, and the host names the server it connects to.
const HOST_ONLY_HEADERS: &[&str] = &["authorization", "proxy-authorization", "cookie", "host"];

/// Headers that change how a response's bytes relate to what the server
/// sent (compressed, a slice): with them, a server echoing an injected
/// secret would hand it back in a form the stripping below does not see.
/// Refused on requests that carry a secret.
const REPRESENTATION_HEADERS: &[&str] = &["accept-encoding", "range", "if-range", "te"];

/// Secret values shorter than this are not stripped from responses (they
/// would match ordinary text); real tokens are far longer.
const MIN_STRIPPED: usize = 4;

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

        let scheme = uri.scheme_str().unwrap_or("").to_string();
        let host = host.to_string();
        for (name, _) in &request.headers {
            if HOST_ONLY_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                return Err(self.refuse_header(name));
            }
        }
        let mut injected: Vec<String> = Vec::new();
        let mut secret_values: Vec<(String, String)> = Vec::new();
        for secret_header in &request.secret_headers {
            if secret_header.name.eq_ignore_ascii_case("host") {
                return Err(self.refuse_header(&secret_header.name));
            }
            let name = &secret_header.secret;
            let value = self.secret(name)?;
            if !self.caps.secret_may_go_to(name, &scheme, &host, port) {
                return Err(self.deny_destination(name, &scheme, &host));
            }
            secret_values.push((
                secret_header.name.clone(),
                format!("{}{value}", secret_header.prefix),
            ));
            injected.push(value);
        }
        if !injected.is_empty()
            && let Some((name, _)) = request
                .headers
                .iter()
                .find(|(n, _)| REPRESENTATION_HEADERS.contains(&n.to_ascii_lowercase().as_str()))
        {
            let message = format!(
                "the header `{name}` is not allowed on a request that carries a secret \
                 (the response must come back whole and uncompressed, so ao can keep the \
                 secret out of it); send the request without it"
            );
            tracing::warn!(plugin = %self.label, "denied: {message}");
            return Err(PluginError::Denied(format!(
                "plugin `{}`: {message}",
                self.plugin
            )));
        }
        let mut builder = ureq::http::Request::builder()
            .method(method(request.method))
            .uri(uri);
        // The host's own values last, so nothing the plugin set comes first.
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        for (name, value) in &secret_values {
            builder = builder.header(name.as_str(), value.as_str());
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
                let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (k.as_str().to_string(), strip_text(value, &injected))
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
            body: strip_bytes(body, &injected),
        })
    }

    fn refuse_header(&self, name: &str) -> PluginError {
        let message = format!(
            "the header `{name}` is set by ao only; send credentials as a secret header \
             (the host fills it with a granted secret), and no Host or Cookie header"
        );
        tracing::warn!(plugin = %self.label, "denied: {message}");
        PluginError::Denied(format!("plugin `{}`: {message}", self.plugin))
    }

    fn deny_destination(&self, name: &str, scheme: &str, host: &str) -> PluginError {
        let hosts = self.caps.use_of(name).hosts.unwrap_or_default();
        let why = if scheme != "https" {
            format!("{scheme}:// to a host that is not loopback (secrets go over https only)")
        } else {
            format!(
                "`{host}`, which is not among its hosts ({})",
                if hosts.is_empty() {
                    "none".to_string()
                } else {
                    hosts.join(", ")
                }
            )
        };
        let hint = format!(
            "to send it there, add `{host}` to plugins.{}.grant.secrets.{name}.hosts in agent-orchestrator.yaml",
            self.plugin
        );
        tracing::warn!(plugin = %self.label, "denied secret `{name}` to {why}: {hint}");
        PluginError::Denied(format!(
            "secret `{name}` may not be sent by plugin `{}` to {why}; {hint}",
            self.plugin
        ))
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

/// `text` with every injected value replaced by `***`.
fn strip_text(text: String, injected: &[String]) -> String {
    injected
        .iter()
        .filter(|v| v.len() >= MIN_STRIPPED)
        .fold(text, |t, v| {
            if t.contains(v.as_str()) {
                t.replace(v.as_str(), "***")
            } else {
                t
            }
        })
}

/// `body` with every injected value replaced by `***` (an echo server
/// cannot hand the plugin the token the host sent).
fn strip_bytes(body: Vec<u8>, injected: &[String]) -> Vec<u8> {
    let mut body = body;
    for value in injected.iter().filter(|v| v.len() >= MIN_STRIPPED) {
        let needle = value.as_bytes();
        if !body.windows(needle.len()).any(|w| w == needle) {
            continue;
        }
        let mut out = Vec::with_capacity(body.len());
        let mut i = 0;
        while i < body.len() {
            if body[i..].starts_with(needle) {
                out.extend_from_slice(b"***");
                i += needle.len();
            } else {
                out.push(body[i]);
                i += 1;
            }
        }
        body = out;
    }
    body
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injected_values_are_stripped_from_responses() {
        let injected = vec!["tok-secret-123".to_string(), "ab".to_string()];
        assert_eq!(
            strip_bytes(
                b"{\"echo\":\"Bearer tok-secret-123\",\"ab\":1}".to_vec(),
                &injected
            ),
            b"{\"echo\":\"Bearer ***\",\"ab\":1}".to_vec()
        );
        assert_eq!(
            strip_text("x tok-secret-123 y tok-secret-123".into(), &injected),
            "x *** y ***"
        );
    }
}
