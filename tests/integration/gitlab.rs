//! The first-party `gitlab` plugin (tracker + SCM) against a fake GitLab on
//! 127.0.0.1, through the real host, for a project in a nested group:
//! issues, the MR list read once per cycle with ETags, one GraphQL query for
//! pipelines/approvals/threads, the failed job's log, merge with the head
//! SHA, errors mapped to the contract, and webhooks.

use crate::helpers::*;
use ao_plugin_host::bindings::v0_1::ao::plugin::scm_types::{
    CheckStatus, CiSummary, MergeMethod, PrEnrichment, PrInfo, PrState, ReviewDecision,
    WebhookKind, WebhookRequest,
};
use ao_plugin_host::bindings::v0_1::ao::plugin::tracker_types::{
    Issue, IssueFilter, IssueState, IssueUpdate, NewIssue,
};
use ao_plugin_host::bindings::v0_1::{PluginError, Project};
use ao_plugin_host::services::MapSecrets;
use ao_plugin_host::{CallError, Grant, InstanceSettings, PluginInstance};
use ao_tests::fake_gitlab::TOKEN;
use ao_tests::{FakeGitLab, Reply};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

const REPO: &str = "acme/platform/web";
const WEBHOOK_SECRET: &str = "gl-webhook-token-0123";

struct Gl {
    instance: PluginInstance,
    project: Project,
}

fn gitlab(server: &FakeGitLab, kv_dir: &Path, extra: Value) -> Gl {
    let mut settings = json!({ "apiUrl": server.api_url() })
        .as_object()
        .cloned()
        .unwrap();
    settings.extend(extra.as_object().cloned().unwrap_or_default());
    let instance = load_builtin("gitlab.wasm").instantiate(InstanceSettings {
        settings,
        grant: Grant {
            http: vec![server.host()],
            secrets: vec!["GITLAB_TOKEN".into()],
            kv: true,
            ..Grant::default()
        }
        .readable("GITLAB_WEBHOOK_SECRET"),
        secrets: arc(MapSecrets(
            [
                ("GITLAB_TOKEN".to_string(), TOKEN.to_string()),
                (
                    "GITLAB_WEBHOOK_SECRET".to_string(),
                    WEBHOOK_SECRET.to_string(),
                ),
            ]
            .into(),
        )),
        kv_database: Some(kv_dir.join("ao.db")),
        ..InstanceSettings::default()
    });
    Gl {
        instance,
        project: Project {
            id: "web".into(),
            repo: Some(REPO.into()),
            path: "/tmp/web".into(),
            default_branch: "main".into(),
        },
    }
}

fn plugin_error(result: Result<impl std::fmt::Debug, CallError>) -> PluginError {
    let err = result.expect_err("expected an error");
    err.plugin_error()
        .cloned()
        .unwrap_or_else(|| panic!("not a plugin error: {err}"))
}

impl Gl {
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
    fn issue_label(&mut self, url: &str) -> Option<String> {
        let p = &self.project;
        self.instance
            .with_tracker("issue-label", |s, g| g.call_issue_label(s, p, url).map(Ok))
            .unwrap()
    }
    fn generate_prompt(&mut self, id: &str) -> Result<String, CallError> {
        let p = &self.project;
        self.instance
            .with_tracker("generate-prompt", |s, g| g.call_generate_prompt(s, p, id))
    }
    fn detect_pr(&mut self, branch: &str) -> Result<Option<PrInfo>, CallError> {
        let p = &self.project;
        self.instance
            .with_scm("detect-pr", |s, g| g.call_detect_pr(s, p, branch))
    }
    fn pr(&mut self, branch: &str) -> PrInfo {
        self.detect_pr(branch)
            .unwrap()
            .unwrap_or_else(|| panic!("no MR for {branch}"))
    }
    fn enrich(&mut self, prs: &[PrInfo]) -> Result<Vec<PrEnrichment>, CallError> {
        let p = &self.project;
        self.instance
            .with_scm("enrich-prs", |s, g| g.call_enrich_prs(s, p, prs))
    }
    fn merge(&mut self, pr: &PrInfo) -> Result<(), CallError> {
        let p = &self.project;
        self.instance.with_scm("merge-pr", |s, g| {
            g.call_merge_pr(s, p, pr, MergeMethod::Squash)
        })
    }
    fn pr_state(&mut self, pr: &PrInfo) -> Result<PrState, CallError> {
        let p = &self.project;
        self.instance
            .with_scm("get-pr-state", |s, g| g.call_get_pr_state(s, p, pr))
    }
}

fn new_issue(title: &str) -> NewIssue {
    NewIssue {
        title: title.into(),
        description: "Details.".into(),
        labels: vec!["bug".into()],
        assignee: None,
        priority: None,
    }
}

#[test]
fn gitlab_issues_in_a_nested_group_are_read_created_updated_and_closed() {
    let server = FakeGitLab::start();
    server.add_project(REPO);
    let dir = tempfile::tempdir().unwrap();
    let bug = server.add_issue(REPO, "Login is broken", "Clicking does nothing.", &["bug"]);
    server.add_issue(REPO, "Bump deps", "", &["chore"]);
    let mut gl = gitlab(&server, dir.path(), json!({ "inProgressLabel": "Doing" }));

    let issue = gl.get_issue(&format!("#{bug}")).unwrap();
    assert_eq!(issue.title, "Login is broken");
    assert_eq!(issue.state, IssueState::Open);
    assert_eq!(
        issue.url,
        format!("{}/{REPO}/-/issues/{bug}", server.url()),
        "the web URL keeps the nested group"
    );
    // The project id went over the wire URL-encoded, as GitLab wants it.
    assert!(
        !server
            .requests_to("GET", "/api/v4/projects/acme%2Fplatform%2Fweb/issues/")
            .is_empty(),
        "{:?}",
        server.requests().last().map(|r| r.path_and_query.clone())
    );
    let bugs = gl
        .list_issues(IssueFilter {
            state: Some(IssueState::Open),
            labels: vec!["bug".into()],
            assignee: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(bugs.len(), 1);
    assert_eq!(bugs[0].id, bug.to_string());

    let created = gl.create_issue(new_issue("Add dark mode")).unwrap();
    assert_eq!(created.labels, vec!["bug".to_string()]);
    assert_eq!(server.issue(REPO, 3).unwrap().title, "Add dark mode");
    assert!(matches!(
        plugin_error(gl.create_issue(new_issue(" "))),
        PluginError::InvalidInput(_)
    ));

    // In progress is a label on GitLab; closing takes it off and comments.
    let update = |state, comment: Option<&str>| IssueUpdate {
        state: Some(state),
        add_labels: vec![],
        remove_labels: vec![],
        assignee: None,
        comment: comment.map(str::to_string),
    };
    gl.update_issue(&bug.to_string(), update(IssueState::InProgress, None))
        .unwrap();
    assert!(
        server
            .issue(REPO, bug)
            .unwrap()
            .labels
            .contains(&"Doing".to_string())
    );
    assert_eq!(
        gl.get_issue(&bug.to_string()).unwrap().state,
        IssueState::InProgress
    );
    gl.update_issue(
        &bug.to_string(),
        update(IssueState::Closed, Some("Fixed by !1")),
    )
    .unwrap();
    let closed = server.issue(REPO, bug).unwrap();
    assert_eq!(closed.state, "closed");
    assert!(!closed.labels.contains(&"Doing".to_string()));
    assert_eq!(closed.notes, vec!["Fixed by !1".to_string()]);

    let prompt = gl.generate_prompt(&bug.to_string()).unwrap();
    assert!(prompt.contains("Login is broken") && prompt.contains("Clicking does nothing."));
    assert!(prompt.contains(&format!("Closes #{bug}")), "{prompt}");
    let mr_url = format!("{}/{REPO}/-/merge_requests/7", server.url());
    assert_eq!(gl.issue_label(&mr_url).as_deref(), Some("!7"));
    assert_eq!(
        gl.issue_label(&format!("{}/acme/other/-/issues/1", server.url())),
        None
    );
    assert!(matches!(
        plugin_error(gl.get_issue("999")),
        PluginError::NotFound(_)
    ));
}

#[test]
fn merge_requests_pipelines_approvals_and_threads_come_in_one_query_per_cycle() {
    let server = FakeGitLab::start();
    server.add_project(REPO);
    server.require_approvals(REPO, 1);
    let dir = tempfile::tempdir().unwrap();
    let a = server.open_mr(REPO, "feat/a", "Feature A");
    let b = server.open_mr(REPO, "feat/b", "Feature B");
    let mut gl = gitlab(&server, dir.path(), json!({ "cacheTtlMs": 300 }));
    let list = "/api/v4/projects/acme%2Fplatform%2Fweb/merge_requests?";

    let pa = gl.pr("feat/a");
    assert_eq!(pa.number, a);
    assert_eq!(
        (pa.owner.as_str(), pa.repo.as_str()),
        ("acme/platform", "web")
    );
    assert_eq!(gl.pr("feat/b").number, b);
    assert!(gl.detect_pr("feat/none").unwrap().is_none());
    assert_eq!(
        server.requests_to("GET", list).len(),
        1,
        "one list per cycle"
    );

    // Next cycle: conditional, answered 304.
    std::thread::sleep(Duration::from_millis(350));
    assert_eq!(gl.pr("feat/a").number, a);
    let lists = server.requests_to("GET", list);
    assert_eq!(lists.len(), 2);
    assert!(
        lists[1]
            .header("if-none-match")
            .is_some_and(|e| e.starts_with("W/"))
    );

    // A failing pipeline with a log, a bot's and a person's thread, conflicts on B.
    server.set_job(REPO, a, "lint", "success", "ok\n");
    server.set_job(
        REPO,
        a,
        "test",
        "failed",
        "\u{1b}[0K$ cargo test\ntest login ... FAILED\nerror: 1 test failed\n",
    );
    server.add_discussion(
        REPO,
        a,
        "ana",
        ("src/login.rs", 12),
        "handle the empty password",
    );
    server.add_discussion(
        REPO,
        a,
        "project_5_bot_1f2e",
        ("src/login.rs", 3),
        "unused import",
    );
    server.set_conflicts(REPO, b, true);
    let pb = gl.pr("feat/b");
    server.clear_requests();
    let facts = gl.enrich(&[pa.clone(), pb.clone()]).unwrap();
    let graphql = server.requests_to("POST", "/api/graphql");
    assert_eq!(graphql.len(), 1, "one query for both MRs");
    assert_eq!(
        server
            .requests_to("GET", "/api/v4/projects/acme%2Fplatform%2Fweb/jobs/")
            .len(),
        1,
        "the failed job's log, once"
    );
    let fa = facts.iter().find(|f| f.number == a).unwrap();
    assert_eq!(fa.ci, CiSummary::Failing);
    let test = fa.ci_checks.iter().find(|c| c.name == "test").unwrap();
    assert_eq!(test.status, CheckStatus::Failed);
    let log = test.log_excerpt.as_deref().unwrap();
    assert!(
        log.ends_with("test login ... FAILED\nerror: 1 test failed"),
        "{log:?}"
    );
    assert!(!log.contains('\u{1b}'));
    assert_eq!(
        fa.review_decision,
        ReviewDecision::Pending,
        "1 approval required"
    );
    assert_eq!(fa.unresolved_comments.len(), 2);
    let human = fa.unresolved_comments.iter().find(|c| !c.is_bot).unwrap();
    assert_eq!(
        (human.path.as_deref(), human.line, human.author.as_str()),
        (Some("src/login.rs"), Some(12), "ana")
    );
    assert!(
        fa.unresolved_comments
            .iter()
            .any(|c| c.is_bot && c.body == "unused import")
    );
    let fb = facts.iter().find(|f| f.number == b).unwrap();
    assert!(fb.has_conflicts && !fb.mergeable);
    assert!(
        fb.blockers.iter().any(|b| b == "merge conflicts"),
        "{:?}",
        fb.blockers
    );

    // The same failed job is not fetched again on the next cycle.
    std::thread::sleep(Duration::from_millis(350));
    gl.enrich(std::slice::from_ref(&pa)).unwrap();
    assert_eq!(
        server
            .requests_to("GET", "/api/v4/projects/acme%2Fplatform%2Fweb/jobs/")
            .len(),
        1
    );

    // A busy MR: 150 resolved threads, then a new unresolved one. It is
    // past the first page, and still reaches the agent.
    for i in 0..150 {
        let id = server.add_discussion(REPO, b, "ana", ("src/app.rs", i + 1), "ok");
        server.resolve_discussion(REPO, b, &id);
    }
    server.add_discussion(REPO, b, "ana", ("src/app.rs", 999), "the newest point");
    std::thread::sleep(Duration::from_millis(350));
    server.clear_requests();
    let fb = gl.enrich(std::slice::from_ref(&pb)).unwrap().remove(0);
    assert_eq!(
        fb.unresolved_comments.len(),
        1,
        "{:?}",
        fb.unresolved_comments
    );
    assert_eq!(fb.unresolved_comments[0].body, "the newest point");
    assert_eq!(
        server.requests_to("POST", "/api/graphql").len(),
        2,
        "one more page"
    );

    // A reviewer requests changes; then fixes, approval: mergeable; merge sends the head SHA.
    server.request_changes(REPO, a, "ana");
    std::thread::sleep(Duration::from_millis(350));
    let fa = gl.enrich(std::slice::from_ref(&pa)).unwrap().remove(0);
    assert_eq!(fa.review_decision, ReviewDecision::ChangesRequested);
    let head = server.push(REPO, a);
    server.set_job(REPO, a, "test", "success", "ok\n");
    for d in server.mr(REPO, a).unwrap().discussions {
        server.resolve_discussion(REPO, a, &d.id);
    }
    server.approve(REPO, a, "ana");
    std::thread::sleep(Duration::from_millis(350));
    let fa = gl.enrich(std::slice::from_ref(&pa)).unwrap().remove(0);
    assert_eq!(fa.ci, CiSummary::Passing);
    assert_eq!(fa.review_decision, ReviewDecision::Approved);
    assert!(fa.unresolved_comments.is_empty());
    assert!(fa.mergeable, "{:?}", fa.blockers);
    gl.merge(&pa).unwrap();
    let merged = server.mr(REPO, a).unwrap();
    assert_eq!(merged.state, "merged");
    assert!(merged.squashed);
    let put = server.requests_to(
        "PUT",
        "/api/v4/projects/acme%2Fplatform%2Fweb/merge_requests/",
    );
    assert_eq!(put.last().unwrap().json()["sha"], head.as_str());
    assert_eq!(gl.pr_state(&pa).unwrap(), PrState::Merged);
    // B cannot merge (conflicts): GitLab's 405 becomes words.
    match plugin_error(gl.merge(&pb)) {
        PluginError::InvalidInput(m) => assert!(m.contains("conflicts"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn gitlab_errors_map_to_the_contract_and_the_quota_is_kept() {
    let server = FakeGitLab::start();
    server.add_project(REPO);
    let n = server.add_issue(REPO, "An issue", "", &[]);
    let dir = tempfile::tempdir().unwrap();
    let mut gl = gitlab(&server, dir.path(), json!({}));

    // 401: names the secret, never the token.
    server.fail_next(
        Reply::status(401)
            .header("content-type", "application/json")
            .body(r#"{"message":"401 Unauthorized"}"#),
    );
    match plugin_error(gl.get_issue("1")) {
        PluginError::Auth(m) => {
            assert!(m.contains("GITLAB_TOKEN") && m.contains("401"), "{m}");
            assert!(!m.contains(TOKEN));
        }
        other => panic!("{other:?}"),
    }
    // 429 with a short Retry-After is waited out for a read…
    server.rate_limit_next(1);
    let started = Instant::now();
    assert_eq!(gl.get_issue(&n.to_string()).unwrap().title, "An issue");
    assert!(started.elapsed() >= Duration::from_millis(950));
    // …a long one comes back as rate-limited with the wait.
    server.rate_limit_next(90);
    match plugin_error(gl.get_issue(&n.to_string())) {
        PluginError::RateLimited(r) => assert_eq!(r.retry_after_ms, Some(90_000)),
        other => panic!("{other:?}"),
    }
    // 5xx: a read is retried; a write is not.
    server.fail_next(Reply::status(502).body("<html>Bad Gateway</html>"));
    let before = server.requests().len();
    assert!(gl.get_issue(&n.to_string()).is_ok());
    assert_eq!(server.requests().len(), before + 2);
    server.fail_next(Reply::status(500).body("boom"));
    let before = server.requests().len();
    assert!(matches!(
        plugin_error(gl.create_issue(new_issue("x"))),
        PluginError::Transient(_)
    ));
    assert_eq!(
        server.requests().len(),
        before + 1,
        "writes are not retried"
    );
    // A request that hangs is cut by the plugin's timeout: transient, not a stall.
    let mut quick = gitlab(&server, dir.path(), json!({}));
    server.fail_next(Reply::status(200).delay(Duration::from_secs(30)));
    server.fail_next(Reply::status(200).delay(Duration::from_secs(30)));
    server.fail_next(Reply::status(200).delay(Duration::from_secs(30)));
    let started = Instant::now();
    let _ = quick.get_issue(&n.to_string());
    assert!(
        started.elapsed() < Duration::from_secs(29),
        "{:?}",
        started.elapsed()
    );

    // The quota GitLab reported is kept for `ao doctor`.
    let mut store =
        ao_plugin_host::kv_store::KvStore::open(&dir.path().join("ao.db"), "gitlab").unwrap();
    let rate: Value = serde_json::from_str(&store.get("ratelimit").unwrap().unwrap()).unwrap();
    assert_eq!(rate["limit"], ao_tests::fake_gitlab::RATE_LIMIT);
    assert!(rate["remaining"].as_i64().unwrap() < i64::from(ao_tests::fake_gitlab::RATE_LIMIT));
}

#[test]
fn gitlab_webhooks_need_the_secret_token_and_name_the_merge_request() {
    let server = FakeGitLab::start();
    let dir = tempfile::tempdir().unwrap();
    let mut gl = gitlab(
        &server,
        dir.path(),
        json!({ "webhookSecret": "GITLAB_WEBHOOK_SECRET" }),
    );
    let body = json!({
        "object_kind": "pipeline",
        "object_attributes": { "id": 9, "ref": "feat/issue-1", "sha": "abc", "status": "failed" },
        "merge_request": { "iid": 3 },
        "builds": [{ "name": "test", "status": "failed" }],
        "project": { "path_with_namespace": REPO }
    })
    .to_string();
    let request = |token: Option<&str>| WebhookRequest {
        method: "POST".into(),
        path: "/api/webhooks/web".into(),
        headers: [
            Some(("X-Gitlab-Event".to_string(), "Pipeline Hook".to_string())),
            Some(("X-Gitlab-Event-UUID".to_string(), "u-1".to_string())),
            token.map(|t| ("X-Gitlab-Token".to_string(), t.to_string())),
        ]
        .into_iter()
        .flatten()
        .collect(),
        body: body.clone().into_bytes(),
    };
    let p = gl.project.clone();
    let mut verify = |r: &WebhookRequest| {
        gl.instance
            .with_scm("verify-webhook", |s, g| g.call_verify_webhook(s, &p, r))
            .unwrap()
    };
    let good = verify(&request(Some(WEBHOOK_SECRET)));
    assert!(good.ok, "{:?}", good.reason);
    assert_eq!(good.delivery_id.as_deref(), Some("u-1"));
    assert!(!verify(&request(Some("wrong"))).ok);
    assert!(!verify(&request(None)).ok);
    let event = gl
        .instance
        .with_scm("parse-webhook", |s, g| {
            g.call_parse_webhook(s, &p, &request(Some(WEBHOOK_SECRET)))
        })
        .unwrap()
        .unwrap();
    assert_eq!(event.kind, WebhookKind::Ci);
    assert_eq!(event.pr_number, Some(3));
    assert_eq!(event.branch.as_deref(), Some("feat/issue-1"));
}
