//! The first-party notifier plugins deliver to fake Slack, Discord and
//! webhook receivers (real HTTP on 127.0.0.1) through the host, retrying
//! with exponential backoff and honouring Retry-After.

use crate::helpers::*;
use ao_plugin_host::bindings::v0_1::{Action, MessageContext, PluginError};
use ao_plugin_host::services::MapSecrets;
use ao_plugin_host::{Grant, InstanceSettings};
use ao_tests::{FakeServer, Reply};
use serde_json::json;
use std::time::Duration;

#[test]
fn webhook_posts_the_event_as_json_with_headers_and_a_secret_header() {
    let server = FakeServer::start();
    let plugin = load_builtin("webhook.wasm");
    let mut webhook = plugin.instantiate(InstanceSettings {
        settings: json!({
            "url": server.url("/ao"),
            "headers": { "X-Team": "agents" },
            "secretHeaders": { "Authorization": { "secret": "OPS_TOKEN", "prefix": "Bearer " } }
        })
        .as_object()
        .cloned()
        .unwrap(),
        grant: Grant {
            http: vec![server.host()],
            secrets: vec!["OPS_TOKEN".into()],
            ..Grant::default()
        },
        secrets: arc(MapSecrets(
            [("OPS_TOKEN".to_string(), "tok-123".to_string())].into(),
        )),
        ..InstanceSettings::default()
    });
    webhook
        .notify(&event("ci.failing", "CI failed on #42"))
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(
        (r.method.as_str(), r.path_and_query.as_str()),
        ("POST", "/ao")
    );
    assert_eq!(r.header("x-team"), Some("agents"));
    assert_eq!(r.header("authorization"), Some("Bearer tok-123"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.json();
    assert_eq!(body["type"], "notification");
    assert_eq!(body["event"]["type"], "ci.failing");
    assert_eq!(body["event"]["priority"], "urgent");
    assert_eq!(body["event"]["message"], "CI failed on #42");
    assert_eq!(body["event"]["data"]["ci"], "failing");

    let actions = [Action {
        label: "Merge".into(),
        url: Some("https://x/merge".into()),
        callback_endpoint: None,
    }];
    webhook
        .notify_with_actions(&event("merge.ready", "ready"), &actions)
        .unwrap();
    let body = server.requests()[1].json();
    assert_eq!(body["type"], "notification_with_actions");
    assert_eq!(body["actions"][0]["label"], "Merge");

    let context = MessageContext {
        session_id: Some("ao-7".into()),
        project_id: None,
        pr_url: None,
        channel: None,
    };
    webhook.post("hello", &context).unwrap();
    let body = server.requests()[2].json();
    assert_eq!(
        (body["type"].as_str(), body["message"].as_str()),
        (Some("message"), Some("hello"))
    );
}

#[test]
fn webhook_retries_server_errors_with_exponential_backoff() {
    let server = FakeServer::start();
    server.script([Reply::status(500), Reply::status(502)]);
    let mut webhook = instance(
        &load_builtin("webhook.wasm"),
        json!({ "url": server.url("/ao"), "retries": 3, "retryDelayMs": 100 }),
        http_grant(&[&server.host()]),
    );
    webhook.notify(&event("ci.failing", "x")).unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "two failures then a success");
    let first_gap = requests[1].at - requests[0].at;
    let second_gap = requests[2].at - requests[1].at;
    assert!(
        first_gap >= Duration::from_millis(95),
        "first retry after {first_gap:?}"
    );
    assert!(
        second_gap >= Duration::from_millis(195),
        "second retry waits twice as long: {second_gap:?}"
    );
}

#[test]
fn webhook_honours_retry_after_and_gives_up_after_its_retries() {
    let server = FakeServer::start();
    server.script([Reply::status(429).header("Retry-After", "1")]);
    let mut webhook = instance(
        &load_builtin("webhook.wasm"),
        json!({ "url": server.url("/ao"), "retries": 1, "retryDelayMs": 10 }),
        http_grant(&[&server.host()]),
    );
    webhook.notify(&event("ci.failing", "x")).unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let gap = requests[1].at - requests[0].at;
    assert!(
        gap >= Duration::from_millis(950),
        "Retry-After: 1 must beat the 10 ms backoff, waited {gap:?}"
    );

    server.script([Reply::status(503), Reply::status(503)]);
    let err = webhook.notify(&event("ci.failing", "x")).unwrap_err();
    assert!(
        matches!(err.plugin_error(), Some(PluginError::Transient(m)) if m.contains("503")),
        "{err}"
    );
    // A client error is not retried.
    server.script([Reply::status(400).body("bad payload")]);
    let before = server.requests().len();
    let err = webhook.notify(&event("ci.failing", "x")).unwrap_err();
    assert!(
        matches!(err.plugin_error(), Some(PluginError::InvalidInput(_))),
        "{err}"
    );
    assert_eq!(server.requests().len(), before + 1);
}

#[test]
fn slack_sends_block_kit_with_links_to_the_pr_and_session() {
    let server = FakeServer::start();
    let mut slack = instance(
        &load_builtin("slack.wasm"),
        json!({ "webhookUrl": server.url("/services/T/B/X"), "channel": "#agents", "username": "ao" }),
        http_grant(&[&server.host()]),
    );
    slack
        .notify(&event(
            "session.needs_input",
            "Agent asks: <b>which DB?</b>",
        ))
        .unwrap();
    let body = server.requests()[0].json();
    assert_eq!(body["channel"], "#agents");
    assert_eq!(body["username"], "ao");
    let blocks = body["blocks"].as_array().unwrap();
    let section = blocks[0]["text"]["text"].as_str().unwrap();
    assert!(section.contains("session.needs_input"), "{section}");
    assert!(
        section.contains("&lt;b&gt;which DB?&lt;/b&gt;"),
        "agent text is escaped: {section}"
    );
    let buttons = blocks.iter().find(|b| b["type"] == "actions").unwrap()["elements"]
        .as_array()
        .unwrap();
    let urls: Vec<&str> = buttons.iter().map(|b| b["url"].as_str().unwrap()).collect();
    assert_eq!(
        urls,
        [
            "https://github.com/acme/web/pull/42",
            "http://127.0.0.1:3000/sessions/ao-7"
        ]
    );
}

#[test]
fn slack_without_a_url_says_which_setting_is_missing() {
    let mut slack = instance(&load_builtin("slack.wasm"), json!({}), Grant::default());
    let err = slack.notify(&event("x", "y")).unwrap_err();
    assert!(
        matches!(err.plugin_error(), Some(PluginError::InvalidInput(m)) if m.contains("webhookUrl")),
        "{err}"
    );
    // A typo in a setting is named.
    let mut slack = instance(
        &load_builtin("slack.wasm"),
        json!({ "webhookURL": "http://x" }),
        Grant::default(),
    );
    let err = slack.notify(&event("x", "y")).unwrap_err();
    assert!(err.to_string().contains("webhookURL"), "{err}");
}

#[test]
fn discord_sends_embeds_into_a_thread_and_retries() {
    let server = FakeServer::start();
    server.script([Reply::status(429).header("Retry-After", "0.2")]);
    let mut discord = instance(
        &load_builtin("discord.wasm"),
        json!({ "webhookUrl": server.url("/api/webhooks/1/abc"), "threadId": "99", "username": "ao", "retryDelayMs": 10 }),
        http_grant(&[&server.host()]),
    );
    discord.notify(&event("ci.failing", "CI failed")).unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[1].at - requests[0].at >= Duration::from_millis(190));
    assert_eq!(
        requests[1].path_and_query,
        "/api/webhooks/1/abc?thread_id=99"
    );
    let body = requests[1].json();
    let embed = &body["embeds"][0];
    assert_eq!(embed["title"], "ci.failing");
    assert_eq!(embed["description"], "CI failed");
    assert_eq!(embed["color"], 0xE03E3E);
    assert_eq!(embed["url"], "https://github.com/acme/web/pull/42");
    assert_eq!(body["allowed_mentions"]["parse"], json!([]));
}
