//! The front end, built into the binary: the page, its script and styles,
//! and xterm.js (vendored from npm under assets/dashboard/vendor/).

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

macro_rules! asset {
    ($file:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/dashboard/",
            $file
        ))
    };
}

/// No inline script and nothing from elsewhere: even text that slipped into
/// the DOM as markup could not run. xterm.js sets inline styles.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
                   base-uri 'none'; form-action 'self'";

fn serve(body: &'static [u8], content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
            // The first address may carry the token.
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

pub async fn index() -> Response {
    serve(asset!("index.html"), "text/html; charset=utf-8")
}

pub async fn file(Path(name): Path<String>) -> Response {
    let (body, kind): (&'static [u8], &'static str) = match name.as_str() {
        "app.js" => (asset!("app.js"), "text/javascript; charset=utf-8"),
        "app.css" => (asset!("app.css"), "text/css; charset=utf-8"),
        "xterm.js" => (asset!("vendor/xterm.js"), "text/javascript; charset=utf-8"),
        "xterm.css" => (asset!("vendor/xterm.css"), "text/css; charset=utf-8"),
        "addon-fit.js" => (
            asset!("vendor/addon-fit.js"),
            "text/javascript; charset=utf-8",
        ),
        "favicon.svg" => (asset!("favicon.svg"), "image/svg+xml"),
        _ => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    serve(body, kind)
}
