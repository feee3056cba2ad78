//! The JavaScript example notifier (QuickJS, built by componentize-qjs)
//! loads in the same host and delivers through the same contract.

use crate::helpers::*;
use ao_plugin_host::bindings::v0_1::PluginError;
use ao_tests::{FakeServer, Reply};
use serde_json::json;

fn js_plugin() -> ao_plugin_host::LoadedPlugin {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/notifier-js/notifier-js.wasm"
    );
    assert!(
        std::path::Path::new(path).exists(),
        "{path} is missing: run ./scripts/test, which builds the JS example (`npm ci && npm run build` in examples/notifier-js)"
    );
    load_file(path)
}

#[test]
fn the_js_notifier_loads_and_delivers() {
    let plugin = js_plugin();
    assert_eq!(plugin.manifest().name, "notifier-js");
    assert_eq!(plugin.surface().roles, ["notifier"]);
    let server = FakeServer::start();
    let mut js = instance(
        &plugin,
        json!({ "url": server.url("/js") }),
        http_grant(&[&server.host()]),
    );
    js.notify(&event("ci.failing", "CI failed — ünïcödé ✓"))
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.header("x-ao-plugin"), Some("notifier-js"));
    assert_eq!(
        r.json()["text"],
        "[urgent] ci.failing: CI failed — ünïcödé ✓"
    );
    assert_eq!(r.json()["prUrl"], "https://github.com/acme/web/pull/42");
}

#[test]
fn the_js_notifier_maps_errors_to_the_contract() {
    let plugin = js_plugin();
    let server = FakeServer::start();
    server.script([Reply::status(503)]);
    let mut js = instance(
        &plugin,
        json!({ "url": server.url("/js") }),
        http_grant(&[&server.host()]),
    );
    let err = js.notify(&event("x", "y")).unwrap_err();
    assert!(
        matches!(err.plugin_error(), Some(PluginError::Transient(m)) if m == "HTTP 503"),
        "{err}"
    );
    // Not granted: the host's denial reaches JS as a thrown error and comes back out.
    let mut js = instance(
        &plugin,
        json!({ "url": server.url("/js") }),
        http_grant(&[]),
    );
    let err = js.notify(&event("x", "y")).unwrap_err();
    assert!(
        matches!(err.plugin_error(), Some(PluginError::Denied(_))),
        "{err}"
    );
    let mut js = instance(&plugin, json!({}), http_grant(&[]));
    let err = js.notify(&event("x", "y")).unwrap_err();
    assert!(
        matches!(err.plugin_error(), Some(PluginError::InvalidInput(m)) if m.contains("url")),
        "{err}"
    );
}
