//! The first-party `linear` tracker plugin against a fake Linear on
//! 127.0.0.1, through the real host: issues by identifier and URL, lists by
//! team, state, label and assignee, creation, workflow-state transitions,
//! labels and comments, branch names and URLs, errors mapped to the
//! contract, and the key kept out of the plugin.

use crate::helpers::*;
use ao_plugin_host::bindings::v0_1::ao::plugin::tracker_types::{
    Issue, IssueFilter, IssueState, IssueUpdate, NewIssue,
};
use ao_plugin_host::bindings::v0_1::{PluginError, Project};
use ao_plugin_host::services::MapSecrets;
use ao_plugin_host::{CallError, Grant, InstanceSettings, Limits, PluginInstance};
use ao_tests::fake_linear::{API_KEY, OAUTH_TOKEN};
use ao_tests::{FakeLinear, Reply};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

fn project() -> Project {
    Project {
        id: "web".into(),
        repo: Some("acme/web".into()),
        path: "/tmp/web".into(),
        default_branch: "main".into(),
    }
}

struct Lin {
    instance: PluginInstance,
    project: Project,
}

/// The plugin, configured for `server` (plus `extra` settings), the key in
/// `LINEAR_API_KEY` (or `secret`), with the default grant plus the fake's host.
fn linear_with(
    server: &FakeLinear,
    kv_dir: &Path,
    extra: Value,
    secret: &str,
    limits: Limits,
) -> Lin {
    let mut settings = server.settings().as_object().cloned().unwrap();
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        if v.is_null() {
            settings.remove(&k);
        } else {
            settings.insert(k, v);
        }
    }
    let instance = load_builtin("linear.wasm").instantiate(InstanceSettings {
        settings,
        grant: Grant {
            http: vec![server.host()],
            secrets: vec!["LINEAR_API_KEY".into()],
            kv: true,
            ..Grant::default()
        },
        secrets: arc(MapSecrets(
            [("LINEAR_API_KEY".to_string(), secret.to_string())].into(),
        )),
        kv_database: Some(kv_dir.join("ao.db")),
        limits,
        ..InstanceSettings::default()
    });
    Lin {
        instance,
        project: project(),
    }
}

fn linear(server: &FakeLinear, kv_dir: &Path, extra: Value) -> Lin {
    linear_with(server, kv_dir, extra, API_KEY, Limits::default())
}

fn plugin_error(result: Result<impl std::fmt::Debug, CallError>) -> PluginError {
    let err = result.expect_err("expected an error");
    err.plugin_error()
        .cloned()
        .unwrap_or_else(|| panic!("not a plugin error: {err}"))
}

impl Lin {
    fn get_issue(&mut self, id: &str) -> Result<Issue, CallError> {
        let p = &self.project;
        self.instance
            .with_tracker("get-issue", |s, g| g.call_get_issue(s, p, id))
    }
    fn list_issues(&mut self, filter: IssueFilter) -> Result<Vec<Issue>, CallError> {
        let p = &self.project;
        self.instance
            .with_tracker("list-issues", |s, g| g.call_list_issues(s, p, &filter))
    }
    fn create_issue(&mut self, issue: NewIssue) -> Result<Issue, CallError> {
        let p = &self.project;
        self.instance
            .with_tracker("create-issue", |s, g| g.call_create_issue(s, p, &issue))
    }
    fn update_issue(&mut self, id: &str, update: IssueUpdate) -> Result<(), CallError> {
        let p = &self.project;
        self.instance.with_tracker("update-issue", |s, g| {
            g.call_update_issue(s, p, id, &update)
        })
    }
    fn move_to(&mut self, id: &str, state: IssueState) -> Result<(), CallError> {
        self.update_issue(
            id,
            IssueUpdate {
                state: Some(state),
                ..no_update()
            },
        )
    }
    fn is_completed(&mut self, id: &str) -> Result<bool, CallError> {
        let p = &self.project;
        self.instance
            .with_tracker("is-completed", |s, g| g.call_is_completed(s, p, id))
    }
    fn issue_url(&mut self, id: &str) -> String {
        let p = &self.project;
        self.instance
            .with_tracker("issue-url", |s, g| g.call_issue_url(s, p, id).map(Ok))
            .unwrap()
    }
    fn issue_label(&mut self, url: &str) -> Option<String> {
        let p = &self.project;
        self.instance
            .with_tracker("issue-label", |s, g| g.call_issue_label(s, p, url).map(Ok))
            .unwrap()
    }
    fn branch_name(&mut self, id: &str) -> String {
        let p = &self.project;
        self.instance
            .with_tracker("branch-name", |s, g| g.call_branch_name(s, p, id).map(Ok))
            .unwrap()
    }
    fn generate_prompt(&mut self, id: &str) -> Result<String, CallError> {
        let p = &self.project;
        self.instance
            .with_tracker("generate-prompt", |s, g| g.call_generate_prompt(s, p, id))
    }
}

fn no_filter() -> IssueFilter {
    IssueFilter {
        state: None,
        labels: Vec::new(),
        assignee: None,
        limit: None,
    }
}

fn no_update() -> IssueUpdate {
    IssueUpdate {
        state: None,
        add_labels: Vec::new(),
        remove_labels: Vec::new(),
        assignee: None,
        comment: None,
    }
}

fn ids(issues: &[Issue]) -> Vec<String> {
    let mut ids: Vec<String> = issues.iter().map(|i| i.id.clone()).collect();
    ids.sort();
    ids
}

/// The plugin's key-value data, as stored in the state database.
fn kv(dir: &Path) -> serde_json::Map<String, Value> {
    let mut store = ao_plugin_host::kv_store::KvStore::open(&dir.join("ao.db"), "linear").unwrap();
    store
        .entries()
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}

#[test]
fn linear_tracker_reads_lists_creates_and_moves_issues_through_workflow_states() {
    let server = FakeLinear::start();
    let dir = tempfile::tempdir().unwrap();
    let login = server.add_issue(
        "Fix the login redirect",
        "Users land on / after login.",
        &["bug"],
    );
    let docs = server.add_issue("Write the setup guide", "", &["docs"]);
    let mut lin = linear(&server, dir.path(), json!({}));

    let started = Instant::now();
    let issue = lin.get_issue(&login).unwrap();
    eprintln!("first get-issue against the fake: {:?}", started.elapsed());
    let mut times: Vec<Duration> = (0..20)
        .map(|_| {
            let t = Instant::now();
            lin.get_issue(&login).unwrap();
            t.elapsed()
        })
        .collect();
    times.sort();
    eprintln!(
        "get-issue against the fake, median of 20: {:?} (max {:?})",
        times[10], times[19]
    );
    assert_eq!(issue.id, "ENG-1");
    assert_eq!(issue.title, "Fix the login redirect");
    assert_eq!(issue.description, "Users land on / after login.");
    assert_eq!(issue.state, IssueState::Open);
    assert_eq!(issue.labels, ["bug"]);
    assert_eq!(issue.assignee, None);
    assert_eq!(issue.priority, None);
    assert_eq!(
        issue.url,
        "https://linear.app/acme/issue/ENG-1/fix-the-login-redirect"
    );
    assert_eq!(
        issue.branch_name.as_deref(),
        Some("ao-bot/eng-1-fix-the-login-redirect")
    );
    // The same issue by URL, in lower case, and by number in the `teamKey` team.
    for alias in [
        "https://linear.app/acme/issue/ENG-1/fix-the-login-redirect",
        "eng-1",
        "1",
    ] {
        assert_eq!(lin.get_issue(alias).unwrap().id, "ENG-1", "{alias}");
    }

    assert_eq!(
        ids(&lin.list_issues(no_filter()).unwrap()),
        ["ENG-1", "ENG-2"]
    );
    let bugs = lin
        .list_issues(IssueFilter {
            labels: vec!["Bug".into()],
            state: Some(IssueState::Open),
            ..no_filter()
        })
        .unwrap();
    assert_eq!(ids(&bugs), ["ENG-1"]);
    let one = lin
        .list_issues(IssueFilter {
            limit: Some(1),
            ..no_filter()
        })
        .unwrap();
    assert_eq!(one.len(), 1);

    // Created in the team, with label ids (names in any case, as Linear
    // matches them), the assignee's id and a priority.
    let created = lin
        .create_issue(NewIssue {
            title: "Add dark mode".into(),
            description: "Users ask for it.".into(),
            labels: vec!["Feature".into(), "docs".into()],
            assignee: Some("ana".into()),
            priority: Some(2),
        })
        .unwrap();
    assert_eq!(created.id, "ENG-3");
    assert_eq!(created.assignee.as_deref(), Some("ana"));
    let stored = server.issue("ENG-3").unwrap();
    assert_eq!(
        (stored.title.as_str(), stored.description.as_str()),
        ("Add dark mode", "Users ask for it.")
    );
    assert_eq!(stored.labels, ["feature", "docs"]);
    assert_eq!(stored.priority, 2);
    assert_eq!(
        (stored.state_name.as_str(), stored.state_type.as_str()),
        ("Todo", "unstarted")
    );
    let mine = lin
        .list_issues(IssueFilter {
            assignee: Some("ana".into()),
            ..no_filter()
        })
        .unwrap();
    assert_eq!(ids(&mine), ["ENG-3"]);

    // In progress: the team's first `started` state by position.
    lin.move_to(&login, IssueState::InProgress).unwrap();
    let stored = server.issue(&login).unwrap();
    assert_eq!(stored.state_name, "In Progress");
    assert_eq!(lin.get_issue(&login).unwrap().state, IssueState::InProgress);
    let in_progress = lin
        .list_issues(IssueFilter {
            state: Some(IssueState::InProgress),
            ..no_filter()
        })
        .unwrap();
    assert_eq!(ids(&in_progress), ["ENG-1"]);

    // Closed with labels changed and a comment, as ao does after a merge.
    server.clear_requests();
    lin.update_issue(
        &login,
        IssueUpdate {
            state: Some(IssueState::Closed),
            add_labels: vec!["feature".into()],
            remove_labels: vec!["bug".into(), "not-there".into()],
            assignee: Some("ana".into()),
            comment: Some("Resolved by the merged pull request (ao).".into()),
        },
    )
    .unwrap();
    let stored = server.issue(&login).unwrap();
    assert_eq!(
        (stored.state_name.as_str(), stored.state_type.as_str()),
        ("Done", "completed")
    );
    assert_eq!(stored.labels, ["feature"]);
    assert_eq!(stored.assignee.as_deref(), Some("ana"));
    assert_eq!(
        stored.comments,
        ["Resolved by the merged pull request (ao)."]
    );
    // The team's states were remembered from the first transition.
    let ops = server.operations();
    assert_eq!(
        ops,
        [
            "issue",
            "issueLabels",
            "users",
            "issueUpdate",
            "commentCreate"
        ],
        "one update, one comment, no state lookup again"
    );
    assert!(lin.is_completed(&login).unwrap());
    assert!(!lin.is_completed(&docs).unwrap());
    // Closing again leaves it in its completed state.
    lin.move_to(&login, IssueState::Closed).unwrap();
    assert_eq!(server.issue(&login).unwrap().state_name, "Done");

    lin.move_to(&docs, IssueState::Cancelled).unwrap();
    assert_eq!(server.issue(&docs).unwrap().state_name, "Canceled");
    assert_eq!(lin.get_issue(&docs).unwrap().state, IssueState::Cancelled);
    assert!(lin.is_completed(&docs).unwrap());
    lin.move_to(&docs, IssueState::Open).unwrap();
    assert_eq!(server.issue(&docs).unwrap().state_name, "Todo");
    let closed = lin
        .list_issues(IssueFilter {
            state: Some(IssueState::Closed),
            ..no_filter()
        })
        .unwrap();
    assert_eq!(ids(&closed), ["ENG-1"]);

    // A state named in the settings wins over the default choice.
    let mut named = linear(
        &server,
        dir.path(),
        json!({ "inProgressState": "In Review" }),
    );
    named.move_to(&docs, IssueState::InProgress).unwrap();
    assert_eq!(server.issue(&docs).unwrap().state_name, "In Review");
    let mut wrong = linear(&server, dir.path(), json!({ "doneState": "Shipped" }));
    match plugin_error(wrong.move_to(&docs, IssueState::Closed)) {
        PluginError::InvalidInput(m) => {
            assert!(
                m.contains("doneState") && m.contains("Done (completed)"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }

    assert_eq!(
        lin.issue_url("ENG-7"),
        "https://linear.app/acme/issue/ENG-7"
    );
    assert_eq!(
        lin.issue_label("https://linear.app/acme/issue/ENG-7/some-title")
            .as_deref(),
        Some("ENG-7")
    );
    assert_eq!(
        lin.issue_label("https://linear.app/other/issue/ENG-7"),
        None
    );
    assert_eq!(
        lin.issue_label("https://github.com/acme/web/issues/7"),
        None
    );
    assert_eq!(
        lin.branch_name(&login),
        "ao-bot/eng-1-fix-the-login-redirect"
    );
    // Linear cannot say (no such issue): a slug of the identifier.
    assert_eq!(lin.branch_name("ENG-999"), "feat/eng-999");
    // Without `workspace`, the URL is the one Linear returns.
    let mut bare = linear(&server, dir.path(), json!({ "workspace": null }));
    assert_eq!(
        bare.issue_url(&login),
        "https://linear.app/acme/issue/ENG-1/fix-the-login-redirect"
    );

    let prompt = lin.generate_prompt(&created.id).unwrap();
    for needle in [
        "Linear issue ENG-3: Add dark mode",
        "Users ask for it.",
        "Labels: feature, docs",
        "https://linear.app/acme/issue/ENG-3",
        "Fixes ENG-3",
    ] {
        assert!(prompt.contains(needle), "missing {needle:?} in:\n{prompt}");
    }

    // The request quota Linear reported is kept where `ao doctor` reads it.
    let store = kv(dir.path());
    let quota: Value = serde_json::from_str(store["ratelimit"].as_str().unwrap()).unwrap();
    assert_eq!(quota["resource"], "requests");
    assert_eq!(quota["limit"], 1500);
    assert_eq!(
        quota["remaining"].as_u64().unwrap(),
        u64::from(server.rate_limit_remaining())
    );
    assert_eq!(quota["resetAt"], server.rate_limit_reset_ms());
    assert!(store.contains_key("ratelimit.complexity"));

    // Every request carried the key as Linear wants it (no `Bearer`), set by
    // the host; nothing the plugin returned or stored holds it.
    for request in server.requests() {
        assert_eq!(request.header("authorization"), Some(API_KEY));
        assert_eq!(request.header("content-type"), Some("application/json"));
    }
    assert!(!prompt.contains(API_KEY));
    assert!(!serde_json::to_string(&store).unwrap().contains(API_KEY));
}

#[test]
fn linear_errors_map_to_the_contract_and_reads_survive_failures() {
    let server = FakeLinear::start();
    let dir = tempfile::tempdir().unwrap();
    let id = server.add_issue("An issue", "", &[]);
    let mut lin = linear(&server, dir.path(), json!({}));

    // A missing issue.
    match plugin_error(lin.get_issue("ENG-999")) {
        PluginError::NotFound(m) => assert!(m.contains("Entity not found"), "{m}"),
        other => panic!("{other:?}"),
    }
    // Not an identifier at all.
    assert!(matches!(
        plugin_error(lin.get_issue("login bug")),
        PluginError::InvalidInput(m) if m.contains("ENG-123")
    ));
    // A wrong key: Linear's AUTHENTICATION_ERROR (HTTP 400) is `auth`, and
    // the message says which secret to set and where keys are made.
    let mut wrong = linear_with(
        &server,
        dir.path(),
        json!({}),
        "lin_api_wrong",
        Limits::default(),
    );
    match plugin_error(wrong.get_issue(&id)) {
        PluginError::Auth(m) => {
            assert!(m.contains("LINEAR_API_KEY"), "{m}");
            assert!(m.contains("Security & access"), "{m}");
            assert!(!m.contains(API_KEY) && !m.contains("lin_api_wrong"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    // An OAuth token works with `tokenPrefix: "Bearer "`.
    let mut oauth = linear_with(
        &server,
        dir.path(),
        json!({ "tokenPrefix": "Bearer " }),
        OAUTH_TOKEN,
        Limits::default(),
    );
    assert_eq!(oauth.get_issue(&id).unwrap().title, "An issue");

    // 429 with a short Retry-After: a read waits and retries.
    server.fail_next(Reply::status(429).header("retry-after", "1"));
    let before = server.requests().len();
    let started = Instant::now();
    assert_eq!(lin.get_issue(&id).unwrap().title, "An issue");
    assert_eq!(server.requests().len(), before + 2);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    // A long Retry-After comes back as rate-limited with that wait, at once.
    server.fail_next(Reply::status(429).header("retry-after", "90"));
    let before = server.requests().len();
    match plugin_error(lin.get_issue(&id)) {
        PluginError::RateLimited(r) => assert_eq!(r.retry_after_ms, Some(90_000)),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests().len(), before + 1);
    // The quota spent: Linear's RATELIMITED, waiting until the window resets.
    server.set_rate_limit_remaining(0);
    match plugin_error(lin.get_issue(&id)) {
        PluginError::RateLimited(r) => {
            let ms = r.retry_after_ms.expect("a time to wait");
            assert!((3_000_000..=3_600_000).contains(&ms), "{ms}");
        }
        other => panic!("{other:?}"),
    }
    server.set_rate_limit_remaining(100);

    // 5xx and garbage on a read: retried.
    server.fail_next(Reply::status(500).body("boom"));
    server.fail_next(Reply::status(502).body("<html>bad gateway</html>"));
    let before = server.requests().len();
    assert_eq!(lin.get_issue(&id).unwrap().title, "An issue");
    assert_eq!(server.requests().len(), before + 3);
    // A garbled answer to a read: retried too.
    server.fail_next(
        Reply::status(200)
            .header("content-type", "application/json")
            .body("{not json"),
    );
    let before = server.requests().len();
    assert_eq!(lin.get_issue(&id).unwrap().title, "An issue");
    assert_eq!(server.requests().len(), before + 2);
    // Three 5xx in a row: transient, after two retries.
    for _ in 0..3 {
        server.fail_next(Reply::status(503));
    }
    assert!(matches!(
        plugin_error(lin.get_issue(&id)),
        PluginError::Transient(_)
    ));
    // A hung request is cut at the HTTP timeout and the retry answers.
    let mut quick = linear_with(
        &server,
        dir.path(),
        json!({}),
        API_KEY,
        Limits {
            http_timeout: Duration::from_millis(1000),
            ..Limits::default()
        },
    );
    server.fail_next(Reply::status(200).delay(Duration::from_secs(30)));
    let started = Instant::now();
    assert_eq!(quick.get_issue(&id).unwrap().title, "An issue");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );

    // A mutation is never retried: a 500 is transient after one request.
    let new = |title: &str| NewIssue {
        title: title.into(),
        description: String::new(),
        labels: vec![],
        assignee: None,
        priority: None,
    };
    lin.create_issue(new("warm the team lookup")).unwrap();
    server.fail_next(Reply::status(500).body("boom"));
    let before = server.requests().len();
    assert!(matches!(
        plugin_error(lin.create_issue(new("x"))),
        PluginError::Transient(_)
    ));
    assert_eq!(
        server.requests().len(),
        before + 1,
        "mutations are not retried"
    );
    // Inputs Linear does not know are invalid input, named.
    match plugin_error(lin.create_issue(NewIssue {
        labels: vec!["nope".into()],
        ..new("y")
    })) {
        PluginError::InvalidInput(m) => assert!(m.contains("`nope`"), "{m}"),
        other => panic!("{other:?}"),
    }
    match plugin_error(lin.create_issue(NewIssue {
        assignee: Some("nobody".into()),
        ..new("y")
    })) {
        PluginError::InvalidInput(m) => assert!(m.contains("nobody"), "{m}"),
        other => panic!("{other:?}"),
    }
    // Settings: a team is needed to list; unknown keys are named.
    let mut teamless = linear(&server, dir.path(), json!({ "teamKey": null }));
    assert!(matches!(
        plugin_error(teamless.list_issues(no_filter())),
        PluginError::InvalidInput(m) if m.contains("teamKey")
    ));
    let mut typo = linear(&server, dir.path(), json!({ "team": "ENG" }));
    assert!(matches!(
        plugin_error(typo.get_issue(&id)),
        PluginError::InvalidInput(m) if m.contains("`team`")
    ));
    let mut no_team = linear(&server, dir.path(), json!({ "teamKey": "NOPE" }));
    assert!(matches!(
        plugin_error(no_team.create_issue(new("z"))),
        PluginError::NotFound(m) if m.contains("NOPE")
    ));
}
