//! Who may talk to the daemon: the token, the Host check and CSRF rules.

use crate::error::{CommandError, Result};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;
use std::sync::Arc;

/// The environment variable (and `--token`) that sets the token.
pub const TOKEN_ENV: &str = "AO_DASHBOARD_TOKEN";

/// The header every state-changing request must carry. Browsers let a page
/// send a custom header only to its own origin (cross-site, it takes a CORS
/// preflight, which this server never grants), so it proves same-origin.
pub const CSRF_HEADER: &str = "x-ao-csrf";

const COOKIE: &str = "ao_token";

/// The token to require: the given one, or on a non-loopback address a new
/// random one (printed by `ao start`); loopback without one needs none.
pub fn token_for(bind: IpAddr, given: Option<String>) -> Result<Option<String>> {
    if let Some(t) = given.filter(|t| !t.is_empty()) {
        if t.len() < 16 || !t.chars().all(|c| c.is_ascii_graphic()) {
            return Err(CommandError::user(
                "the dashboard token must be at least 16 printable characters without spaces",
            )
            .hint(format!("unset {TOKEN_ENV} to have one made for you")));
        }
        return Ok(Some(t));
    }
    if bind.is_loopback() {
        return Ok(None);
    }
    let mut bytes = [0u8; 24];
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(Some(hex::encode(bytes)))
}

pub struct Security {
    token: Option<String>,
    /// Bound to loopback: only loopback host names are answered.
    loopback: bool,
}

impl Security {
    pub fn new(bind: IpAddr, token: Option<String>) -> Security {
        Security {
            token,
            loopback: bind.is_loopback(),
        }
    }
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

/// Every request but SCM webhooks (which their plugin verifies by HMAC)
/// passes here.
pub async fn guard(State(sec): State<Arc<Security>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/api/webhooks/") {
        return next.run(request).await;
    }
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_string();
    if sec.loopback && !is_loopback_host(&host) {
        // A DNS-rebinding page reaches 127.0.0.1 under its own host name.
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "this daemon answers only as 127.0.0.1 or localhost; open http://127.0.0.1:<port>",
        );
    }
    let mut set_cookie = None;
    if let Some(token) = &sec.token {
        // The address `ao start` prints is traded for a cookie on `/` only:
        // a token in any other URL would end up in logs and histories.
        let on_front_page = request.method() == Method::GET && path == "/";
        let query_token = query_token(request.uri().query()).filter(|_| on_front_page);
        let presented = bearer(headers)
            .or_else(|| cookie(headers))
            .or(query_token.clone());
        if !presented.is_some_and(|p| constant_time_eq(p.as_bytes(), token.as_bytes())) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "this daemon needs its token: open the address `ao start` printed (…/?token=…, \
                 accepted on `/` only), or send `Authorization: Bearer <token>`",
            );
        }
        if query_token.is_some() {
            // Trade the token in the address for a cookie the page's own
            // requests carry, and drop it from the address bar and history.
            set_cookie = Some(format!(
                "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
            ));
        }
    }
    let safe = matches!(*request.method(), Method::GET | Method::HEAD);
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok())
        && origin_host(origin) != Some(host.as_str())
        && (!safe || is_websocket(headers))
    {
        return refuse(
            StatusCode::FORBIDDEN,
            "cross-origin request refused: the dashboard acts only on requests from its own pages",
        );
    }
    if !safe && headers.get(CSRF_HEADER).is_none() {
        return refuse(
            StatusCode::FORBIDDEN,
            "a state-changing request needs the header `X-AO-CSRF: 1` (proof it is not cross-site)",
        );
    }
    if let Some(cookie) = set_cookie {
        return (
            StatusCode::SEE_OTHER,
            [(header::SET_COOKIE, cookie), (header::LOCATION, "/".into())],
        )
            .into_response();
    }
    next.run(request).await
}

fn is_websocket(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|u| u.to_str().ok())
        .is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
}

/// `localhost`, `127.x.y.z` or `[::1]`, with any port.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The `host[:port]` of an `Origin` like `http://127.0.0.1:3000`.
fn origin_host(origin: &str) -> Option<&str> {
    origin.split_once("://").map(|(_, rest)| rest)
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("ao_token=").map(str::to_string))
}

fn query_token(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix("token=").map(str::to_string))
}

/// Compares without stopping at the first difference, so response times do
/// not tell how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback_host("127.0.0.1:3000"));
        assert!(is_loopback_host("localhost:3000"));
        assert!(is_loopback_host("[::1]:3000"));
        assert!(is_loopback_host("localhost"));
        assert!(!is_loopback_host("evil.example:3000"));
        assert!(!is_loopback_host("127.0.0.1.evil.example:3000"));
        assert!(!is_loopback_host(""));
    }

    #[test]
    fn tokens() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let any: IpAddr = "0.0.0.0".parse().unwrap();
        assert_eq!(token_for(lo, None).unwrap(), None);
        let made = token_for(any, None).unwrap().unwrap();
        assert_eq!(made.len(), 48);
        assert!(token_for(any, Some("short".into())).is_err());
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert_eq!(origin_host("http://127.0.0.1:3000"), Some("127.0.0.1:3000"));
    }
}
