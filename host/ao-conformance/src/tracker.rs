//! The tracker role against the fake issue service (see [`crate::fake_issues`]).
//!
//! The contract a tracker for that service keeps, in every language:
//! settings `{ "url": BASE }`; the token from the secret `ISSUES_TOKEN`, sent
//! as `Authorization: Bearer` by the host (a secret header); issue URL
//! `BASE/issues/ID`; branch `feat/issue-ID`; label `#ID`; the prompt
//!
//! ```text
//! Issue #ID: TITLE
//! BASE/issues/ID
//!
//! DESCRIPTION            (this paragraph only when there is one)
//!
//! Labels: a, b           (only when there are labels)
//! ```
//!
//! and HTTP errors mapped as every SDK's `error_for_status` does.

use crate::Recorder;
use crate::fake_issues::{FakeIssues, TOKEN};
use ao_plugin_host::bindings::v0_1::ao::plugin::tracker_types::{
    Issue, IssueFilter, IssueState, IssueUpdate, NewIssue,
};
use ao_plugin_host::bindings::v0_1::{PluginError, Project};
use ao_plugin_host::services::MapSecrets;
use ao_plugin_host::{CallError, Grant, InstanceSettings, LoadedPlugin, PluginInstance};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

const SECRET: &str = "ISSUES_TOKEN";

fn project() -> Project {
    Project {
        id: "web".into(),
        repo: Some("acme/web".into()),
        path: "/tmp/web".into(),
        default_branch: "main".into(),
    }
}

fn state_name(s: IssueState) -> &'static str {
    match s {
        IssueState::Open => "open",
        IssueState::InProgress => "in-progress",
        IssueState::Closed => "closed",
        IssueState::Cancelled => "cancelled",
    }
}

/// An issue as JSON, with the server's port replaced by `BASE` so that runs compare.
fn issue_json(i: &Issue, base: &str) -> Value {
    json!({
        "id": i.id, "title": i.title, "description": i.description,
        "url": i.url.replace(base, "BASE"), "state": state_name(i.state), "labels": i.labels,
        "assignee": i.assignee, "priority": i.priority, "branchName": i.branch_name,
    })
}

/// The error variant's tag and, for rate limits, the wait.
fn error_json(e: &CallError) -> Value {
    match e.plugin_error() {
        Some(PluginError::Auth(_)) => json!({"error": "auth"}),
        Some(PluginError::NotFound(_)) => json!({"error": "not-found"}),
        Some(PluginError::RateLimited(r)) => {
            json!({"error": "rate-limited", "retryAfterMs": r.retry_after_ms})
        }
        Some(PluginError::Transient(_)) => json!({"error": "transient"}),
        Some(PluginError::InvalidInput(_)) => json!({"error": "invalid-input"}),
        Some(PluginError::Denied(_)) => json!({"error": "denied"}),
        Some(PluginError::Unsupported(_)) => json!({"error": "unsupported"}),
        Some(PluginError::Other(_)) => json!({"error": "other"}),
        None => json!({"error": "crash", "detail": e.to_string()}),
    }
}

fn expect_eq(observed: Value, expected: Value) -> Result<Value, (String, Value)> {
    if observed == expected {
        Ok(observed)
    } else {
        Err((format!("expected {expected}, got {observed}"), observed))
    }
}

fn instance(
    plugin: &LoadedPlugin,
    url: Option<&str>,
    host: Option<&str>,
    token: &str,
) -> PluginInstance {
    let mut settings = serde_json::Map::new();
    if let Some(url) = url {
        settings.insert("url".into(), json!(url));
    }
    plugin.instantiate(InstanceSettings {
        label: Some(format!("{} (conformance)", plugin.manifest().name)),
        settings,
        grant: Grant {
            http: host.into_iter().map(str::to_string).collect(),
            secrets: vec![SECRET.into()],
            ..Grant::default()
        },
        secrets: Arc::new(MapSecrets(HashMap::from([(
            SECRET.to_string(),
            token.to_string(),
        )]))),
        ..InstanceSettings::default()
    })
}

fn get(t: &mut PluginInstance, id: &str) -> Result<Issue, CallError> {
    let p = project();
    t.with_tracker("get-issue", |store, g| g.call_get_issue(store, &p, id))
}

pub(crate) fn run(plugin: &LoadedPlugin, rec: &mut Recorder) {
    let server = FakeIssues::start();
    let base = server.base();
    let host = server.host();
    let requested = &plugin.manifest().requested;
    rec.check(
        "tracker.manifest-requests",
        if requested.secrets.iter().any(|s| s == SECRET) && !requested.http.is_empty() {
            Ok(json!({"secrets": requested.secrets}))
        } else {
            Err((
                format!("the manifest must request the secret {SECRET} and the service's host (it requests {requested:?})"),
                Value::Null,
            ))
        },
    );
    let mut t = instance(plugin, Some(&base), Some(&host), TOKEN);
    let p = project();

    // Reading.
    let one = get(&mut t, "1");
    rec.check(
        "tracker.get-issue",
        match &one {
            Ok(i) => expect_eq(
                issue_json(i, &base),
                json!({"id": "1", "title": "Login button does nothing",
                       "description": "Clicking **Log in** on Safari does nothing.\nSteps: open /login, click.",
                       "url": "BASE/issues/1", "state": "open", "labels": ["bug", "ui"], "assignee": "ana",
                       "priority": 2, "branchName": "feat/issue-1"}),
            ),
            Err(e) => Err((e.to_string(), error_json(e))),
        },
    );
    rec.check(
        "tracker.secret-header",
        match server.seen().first() {
            Some(s) if s.authorization.as_deref() == Some(&format!("Bearer {TOKEN}")) => {
                Ok(json!("Bearer <ISSUES_TOKEN>"))
            }
            other => Err((
                format!("the request must carry `Authorization: Bearer` + the secret ISSUES_TOKEN; saw {other:?}"),
                Value::Null,
            )),
        },
    );
    rec.check(
        "tracker.get-issue-unicode-and-empty-fields",
        match get(&mut t, "2") {
            Ok(i) => expect_eq(
                issue_json(&i, &base),
                json!({"id": "2", "title": "Crash on empty config",
                       "description": "ao panics when the file is empty — ünïcödé ✓",
                       "url": "BASE/issues/2", "state": "in-progress", "labels": ["bug"], "assignee": null,
                       "priority": null, "branchName": "feat/issue-2"}),
            ),
            Err(e) => Err((e.to_string(), error_json(&e))),
        },
    );
    let list = |t: &mut PluginInstance, filter: IssueFilter| -> Result<Value, (String, Value)> {
        let p = project();
        match t.with_tracker("list-issues", |store, g| {
            g.call_list_issues(store, &p, &filter)
        }) {
            Ok(issues) => Ok(json!(
                issues.iter().map(|i| i.id.clone()).collect::<Vec<_>>()
            )),
            Err(e) => Err((e.to_string(), error_json(&e))),
        }
    };
    let filter = |state, labels: &[&str], assignee: Option<&str>, limit| IssueFilter {
        state,
        labels: labels.iter().map(|s| s.to_string()).collect(),
        assignee: assignee.map(str::to_string),
        limit,
    };
    rec.check(
        "tracker.list-open",
        list(&mut t, filter(Some(IssueState::Open), &[], None, None))
            .and_then(|v| expect_eq(v, json!(["1", "3"]))),
    );
    rec.check(
        "tracker.list-any-state-by-label",
        list(&mut t, filter(None, &["bug"], None, None))
            .and_then(|v| expect_eq(v, json!(["1", "2"]))),
    );
    rec.check(
        "tracker.list-by-assignee-and-limit",
        list(&mut t, filter(None, &[], Some("bo"), Some(1)))
            .and_then(|v| expect_eq(v, json!(["3"]))),
    );
    rec.check(
        "tracker.list-limit",
        list(&mut t, filter(None, &[], None, Some(2)))
            .and_then(|v| expect_eq(v, json!(["1", "2"]))),
    );

    // Pure functions.
    let url = t.with_tracker("issue-url", |store, g| {
        g.call_issue_url(store, &p, "7").map(Ok)
    });
    rec.check(
        "tracker.issue-url",
        match url {
            Ok(u) => expect_eq(json!(u.replace(&base, "BASE")), json!("BASE/issues/7")),
            Err(e) => Err((e.to_string(), error_json(&e))),
        },
    );
    let ours = format!("{base}/issues/42");
    let label = t.with_tracker("issue-label", |store, g| {
        Ok(Ok((
            g.call_issue_label(&mut *store, &p, &ours)?,
            g.call_issue_label(store, &p, "https://elsewhere.example/issues/42")?,
        )))
    });
    rec.check(
        "tracker.issue-label",
        match label {
            Ok((a, b)) => expect_eq(json!([a, b]), json!(["#42", null])),
            Err(e) => Err((e.to_string(), error_json(&e))),
        },
    );
    let branch = t.with_tracker("branch-name", |store, g| {
        g.call_branch_name(store, &p, "42").map(Ok)
    });
    rec.check(
        "tracker.branch-name",
        match branch {
            Ok(b) => expect_eq(json!(b), json!("feat/issue-42")),
            Err(e) => Err((e.to_string(), error_json(&e))),
        },
    );
    let prompt = |t: &mut PluginInstance, id: &str| {
        let p = project();
        t.with_tracker("generate-prompt", |store, g| {
            g.call_generate_prompt(store, &p, id)
        })
    };
    rec.check(
        "tracker.generate-prompt",
        match prompt(&mut t, "1") {
            Ok(text) => expect_eq(
                json!(text.replace(&base, "BASE")),
                json!("Issue #1: Login button does nothing\nBASE/issues/1\n\nClicking **Log in** on Safari does nothing.\nSteps: open /login, click.\n\nLabels: bug, ui"),
            ),
            Err(e) => Err((e.to_string(), error_json(&e))),
        },
    );
    rec.check(
        "tracker.generate-prompt-no-description",
        match prompt(&mut t, "3") {
            Ok(text) => expect_eq(
                json!(text.replace(&base, "BASE")),
                json!("Issue #3: Document the API\nBASE/issues/3\n\nLabels: docs"),
            ),
            Err(e) => Err((e.to_string(), error_json(&e))),
        },
    );

    // Writing.
    let new = NewIssue {
        title: "Add dark mode".into(),
        description: "Themes — ünïcödé ✓".into(),
        labels: vec!["feature".into()],
        assignee: Some("cy".into()),
        priority: Some(1),
    };
    let created = t.with_tracker("create-issue", |store, g| {
        g.call_create_issue(store, &p, &new)
    });
    rec.check(
        "tracker.create-issue",
        match created {
            Ok(i) => {
                let stored = server.issue(&i.id);
                let observed = issue_json(&i, &base);
                match stored {
                    Some(s) if s["body"] == "Themes — ünïcödé ✓" && s["assignee"] == "cy" && s["priority"] == 1 => {
                        expect_eq(
                            observed,
                            json!({"id": "10", "title": "Add dark mode", "description": "Themes — ünïcödé ✓",
                                   "url": "BASE/issues/10", "state": "open", "labels": ["feature"],
                                   "assignee": "cy", "priority": 1, "branchName": "feat/issue-10"}),
                        )
                    }
                    other => Err((format!("the service holds {other:?}"), observed)),
                }
            }
            Err(e) => Err((e.to_string(), error_json(&e))),
        },
    );
    let update = IssueUpdate {
        state: Some(IssueState::Closed),
        add_labels: vec!["done".into()],
        remove_labels: vec!["ui".into()],
        assignee: Some("dee".into()),
        comment: Some("Fixed in #12 ✓".into()),
    };
    let updated = t.with_tracker("update-issue", |store, g| {
        g.call_update_issue(store, &p, "1", &update)
    });
    rec.check(
        "tracker.update-issue",
        match updated {
            Ok(()) => {
                let s = server.issue("1").unwrap_or(Value::Null);
                expect_eq(
                    json!({"state": s["state"], "labels": s["labels"], "assignee": s["assignee"], "comments": server.comments()}),
                    json!({"state": "closed", "labels": ["bug", "done"], "assignee": "dee", "comments": [["1", "Fixed in #12 ✓"]]}),
                )
            }
            Err(e) => Err((e.to_string(), error_json(&e))),
        },
    );
    let completed = |t: &mut PluginInstance, id: &str| {
        let p = project();
        t.with_tracker("is-completed", |store, g| {
            g.call_is_completed(store, &p, id)
        })
    };
    rec.check(
        "tracker.is-completed",
        match (
            completed(&mut t, "1"),
            completed(&mut t, "3"),
            completed(&mut t, "9"),
        ) {
            (Ok(a), Ok(b), Ok(c)) => expect_eq(json!([a, b, c]), json!([true, false, true])),
            (a, b, c) => Err((format!("{a:?} {b:?} {c:?}"), Value::Null)),
        },
    );

    // Errors, each mapped to its variant.
    let mut err = |name: &str, t: &mut PluginInstance, id: &str, expected: Value| {
        rec.check(
            name,
            match get(t, id) {
                Ok(i) => Err((
                    format!("expected an error, got issue {}", i.id),
                    json!("ok"),
                )),
                Err(e) => expect_eq(error_json(&e), expected),
            },
        );
    };
    err(
        "tracker.error-not-found",
        &mut t,
        "404",
        json!({"error": "not-found"}),
    );
    err(
        "tracker.error-rate-limited",
        &mut t,
        "limited",
        json!({"error": "rate-limited", "retryAfterMs": 7000}),
    );
    err(
        "tracker.error-transient",
        &mut t,
        "broken",
        json!({"error": "transient"}),
    );
    err(
        "tracker.error-forbidden",
        &mut t,
        "forbidden",
        json!({"error": "auth"}),
    );
    let mut wrong_token = instance(plugin, Some(&base), Some(&host), "wrong-token");
    err(
        "tracker.error-auth",
        &mut wrong_token,
        "1",
        json!({"error": "auth"}),
    );
    let mut no_url = instance(plugin, None, Some(&host), TOKEN);
    err(
        "tracker.error-missing-setting",
        &mut no_url,
        "1",
        json!({"error": "invalid-input"}),
    );
    let mut not_granted = instance(plugin, Some(&base), None, TOKEN);
    err(
        "tracker.error-denied-capability",
        &mut not_granted,
        "1",
        json!({"error": "denied"}),
    );
    let missing_update = IssueUpdate {
        state: Some(IssueState::Closed),
        add_labels: vec![],
        remove_labels: vec![],
        assignee: None,
        comment: None,
    };
    rec.check(
        "tracker.update-missing-issue",
        match t.with_tracker("update-issue", |store, g| {
            g.call_update_issue(store, &p, "404", &missing_update)
        }) {
            Ok(()) => Err(("expected not-found".into(), json!("ok"))),
            Err(e) => expect_eq(error_json(&e), json!({"error": "not-found"})),
        },
    );
}
