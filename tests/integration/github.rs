//! The first-party `github` plugin (tracker + SCM) against a fake GitHub on
//! 127.0.0.1, through the real host: issues, the PR list read once per cycle
//! with ETags (304s are free), CI and review facts, one batched GraphQL query,
//! merge, errors mapped to the contract, the token kept out of the plugin,
//! and webhooks.

use crate::helpers::*;
use ao_plugin_host::bindings::v0_1::ao::plugin::scm_types::{
    CheckStatus, CiCheck, CiSummary, MergeMethod, PrEnrichment, PrInfo, PrState, ReviewDecision,
    ReviewState, WebhookEvent, WebhookKind, WebhookRequest,
};
use ao_plugin_host::bindings::v0_1::ao::plugin::tracker_types::{
    Issue, IssueFilter, IssueState, IssueUpdate, NewIssue,
};
use ao_plugin_host::bindings::v0_1::{PluginError, Project};
use ao_plugin_host::services::MapSecrets;
use ao_plugin_host::{CallError, Grant, InstanceSettings, PluginInstance};
use ao_tests::fake_github::{self, TOKEN, sign_webhook};
use ao_tests::{FakeGitHub, Reply};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

const REPO: &str = "acme/web";
const WEBHOOK_SECRET: &str = "whsec-0123456789";

fn project() -> Project {
    Project {
        id: "web".into(),
        repo: Some(REPO.into()),
        path: "/tmp/web".into(),
        default_branch: "main".into(),
    }
}

/// The plugin, configured for `server`, with its default grant (plus the fake's host).
struct Gh {
    instance: PluginInstance,
    project: Project,
}

fn github(server: &FakeGitHub, kv_dir: &Path, extra: Value) -> Gh {
    let mut settings = server.settings().as_object().cloned().unwrap();
    settings.extend(extra.as_object().cloned().unwrap_or_default());
    let instance = load_builtin("github.wasm").instantiate(InstanceSettings {
        settings,
        grant: Grant {
            http: vec![server.host()],
            secrets: vec!["GITHUB_TOKEN".into()],
            kv: true,
            ..Grant::default()
        }
        .readable("GITHUB_WEBHOOK_SECRET"),
        secrets: arc(MapSecrets(
            [
                ("GITHUB_TOKEN".to_string(), TOKEN.to_string()),
                (
                    "GITHUB_WEBHOOK_SECRET".to_string(),
                    WEBHOOK_SECRET.to_string(),
                ),
            ]
            .into(),
        )),
        kv_database: Some(kv_dir.join("ao.db")),
        ..InstanceSettings::default()
    });
    Gh {
        instance,
        project: project(),
    }
}

fn plugin_error(result: Result<impl std::fmt::Debug, CallError>) -> PluginError {
    let err = result.expect_err("expected an error");
    err.plugin_error()
        .cloned()
        .unwrap_or_else(|| panic!("not a plugin error: {err}"))
}

impl Gh {
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

    fn detect_pr(&mut self, branch: &str) -> Result<Option<PrInfo>, CallError> {
        let p = &self.project;
        self.instance
            .with_scm("detect-pr", |s, g| g.call_detect_pr(s, p, branch))
    }
    fn pr(&mut self, branch: &str) -> PrInfo {
        self.detect_pr(branch)
            .unwrap()
            .unwrap_or_else(|| panic!("no PR for {branch}"))
    }
    fn pr_state(&mut self, pr: &PrInfo) -> Result<PrState, CallError> {
        let p = &self.project;
        self.instance
            .with_scm("get-pr-state", |s, g| g.call_get_pr_state(s, p, pr))
    }
    fn ci_checks(&mut self, pr: &PrInfo) -> Result<Vec<CiCheck>, CallError> {
        let p = &self.project;
        self.instance
            .with_scm("get-ci-checks", |s, g| g.call_get_ci_checks(s, p, pr))
    }
    fn ci_summary(&mut self, pr: &PrInfo) -> Result<CiSummary, CallError> {
        let p = &self.project;
        self.instance
            .with_scm("get-ci-summary", |s, g| g.call_get_ci_summary(s, p, pr))
    }
    fn enrich(&mut self, prs: &[PrInfo]) -> Result<Vec<PrEnrichment>, CallError> {
        let p = &self.project;
        self.instance
            .with_scm("enrich-prs", |s, g| g.call_enrich_prs(s, p, prs))
    }
    fn webhook(&mut self, request: &WebhookRequest) -> (bool, Option<String>) {
        let p = &self.project;
        let v = self
            .instance
            .with_scm("verify-webhook", |s, g| {
                g.call_verify_webhook(s, p, request)
            })
            .unwrap();
        (v.ok, v.reason)
    }
    fn parse_webhook(&mut self, request: &WebhookRequest) -> Option<WebhookEvent> {
        let p = &self.project;
        self.instance
            .with_scm("parse-webhook", |s, g| g.call_parse_webhook(s, p, request))
            .unwrap()
    }
}

/// The plugin's key-value store as the host keeps it (`<kv_dir>/github.json`).
/// The plugin's key-value data, as stored in the state database.
fn kv(dir: &Path) -> serde_json::Map<String, Value> {
    let mut store = ao_plugin_host::kv_store::KvStore::open(&dir.join("ao.db"), "github").unwrap();
    store
        .entries()
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}

fn no_filter() -> IssueFilter {
    IssueFilter {
        state: None,
        labels: Vec::new(),
        assignee: None,
        limit: None,
    }
}

#[test]
fn tracker_reads_creates_and_updates_issues_and_writes_a_prompt() {
    let server = FakeGitHub::start();
    let dir = tempfile::tempdir().unwrap();
    let bug = server.add_issue(
        REPO,
        "Login button is broken",
        "Clicking it does nothing.",
        &["bug", "ui"],
    );
    let pr = server.open_pr(REPO, "feat/x", "A pull request");
    let chore = server.add_issue(REPO, "Bump deps", "", &["chore"]);
    let mut gh = github(&server, dir.path(), json!({}));

    let issue = gh.get_issue(&format!("#{bug}")).unwrap();
    assert_eq!(issue.id, bug.to_string());
    assert_eq!(issue.title, "Login button is broken");
    assert_eq!(issue.description, "Clicking it does nothing.");
    assert_eq!(issue.state, IssueState::Open);
    assert_eq!(issue.labels, ["bug", "ui"]);
    assert_eq!(issue.url, format!("{}/{REPO}/issues/{bug}", server.url()));
    assert_eq!(
        issue.branch_name.as_deref(),
        Some(format!("feat/issue-{bug}").as_str())
    );
    // A PR is not an issue, though GitHub's issues API serves both.
    assert!(matches!(
        plugin_error(gh.get_issue(&pr.to_string())),
        PluginError::NotFound(m) if m.contains("pull request")
    ));
    let all = gh.list_issues(no_filter()).unwrap();
    let mut ids: Vec<&str> = all.iter().map(|i| i.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, [bug.to_string(), chore.to_string()]);
    let bugs = gh
        .list_issues(IssueFilter {
            labels: vec!["bug".into()],
            state: Some(IssueState::Open),
            ..no_filter()
        })
        .unwrap();
    assert_eq!(bugs.len(), 1);
    assert_eq!(bugs[0].title, "Login button is broken");

    let created = gh
        .create_issue(NewIssue {
            title: "Add dark mode".into(),
            description: "Users ask for it.".into(),
            labels: vec!["feature".into()],
            assignee: Some("octocat".into()),
            priority: None,
        })
        .unwrap();
    let n: u32 = created.id.parse().unwrap();
    let stored = server.issue(REPO, n).unwrap();
    assert_eq!(
        (stored.title.as_str(), stored.body.as_str()),
        ("Add dark mode", "Users ask for it.")
    );
    assert_eq!(stored.labels, ["feature"]);
    assert_eq!(stored.assignees, ["octocat"]);
    assert_eq!(created.assignee.as_deref(), Some("octocat"));

    gh.update_issue(
        &bug.to_string(),
        IssueUpdate {
            state: Some(IssueState::Closed),
            add_labels: vec!["done".into()],
            remove_labels: vec!["ui".into(), "not-there".into()],
            assignee: Some("hubot".into()),
            comment: Some("Fixed in #7".into()),
        },
    )
    .unwrap();
    let stored = server.issue(REPO, bug).unwrap();
    assert_eq!(stored.state, "closed");
    assert_eq!(stored.state_reason.as_deref(), Some("completed"));
    assert_eq!(stored.labels, ["bug", "done"]);
    assert_eq!(stored.assignees, ["hubot"]);
    assert_eq!(stored.comments.len(), 1);
    assert_eq!(stored.comments[0].body, "Fixed in #7");
    assert!(gh.is_completed(&bug.to_string()).unwrap());
    assert!(!gh.is_completed(&chore.to_string()).unwrap());
    gh.update_issue(
        &chore.to_string(),
        IssueUpdate {
            state: Some(IssueState::Cancelled),
            add_labels: vec![],
            remove_labels: vec![],
            assignee: None,
            comment: None,
        },
    )
    .unwrap();
    assert_eq!(
        gh.get_issue(&chore.to_string()).unwrap().state,
        IssueState::Cancelled
    );
    let closed = gh
        .list_issues(IssueFilter {
            state: Some(IssueState::Closed),
            ..no_filter()
        })
        .unwrap();
    assert_eq!(
        closed.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
        [bug.to_string()]
    );

    assert_eq!(
        gh.issue_url("42"),
        format!("{}/{REPO}/issues/42", server.url())
    );
    assert_eq!(
        gh.issue_label(&format!("{}/{REPO}/issues/42", server.url()))
            .as_deref(),
        Some("#42")
    );
    assert_eq!(
        gh.issue_label(&format!("{}/{REPO}/pull/7#discussion", server.url()))
            .as_deref(),
        Some("#7")
    );
    assert_eq!(
        gh.issue_label(&format!("{}/other/repo/issues/42", server.url())),
        None
    );
    assert_eq!(gh.issue_label("https://linear.app/acme/issue/INT-1"), None);
    assert_eq!(gh.branch_name("#42"), "feat/issue-42");

    let prompt = gh.generate_prompt(&n.to_string()).unwrap();
    for needle in [
        "Add dark mode",
        "Users ask for it.",
        "Labels: feature",
        &format!("{}/{REPO}/issues/{n}", server.url()),
        &format!("#{n}"),
    ] {
        assert!(prompt.contains(needle), "missing {needle:?} in:\n{prompt}");
    }
}

#[test]
fn detect_pr_reads_the_list_once_per_cycle_and_then_only_with_an_etag() {
    let server = FakeGitHub::start();
    let dir = tempfile::tempdir().unwrap();
    let a = server.open_pr(REPO, "feat/a", "Feature A");
    let b = server.open_pr(REPO, "feat/b", "Feature B");
    server.close_pr(REPO, server.open_pr(REPO, "feat/old", "Old"), true);
    let mut gh = github(&server, dir.path(), json!({ "cacheTtlMs": 400 }));
    let list = "/repos/acme/web/pulls?";

    let pr = gh.pr("feat/a");
    assert_eq!(pr.number, a);
    assert_eq!((pr.owner.as_str(), pr.repo.as_str()), ("acme", "web"));
    assert_eq!(
        (pr.branch.as_str(), pr.base_branch.as_str()),
        ("feat/a", "main")
    );
    assert_eq!(pr.url, format!("{}/{REPO}/pull/{a}", server.url()));
    assert_eq!(pr.title, "Feature A");
    let first = server.requests_to("GET", list);
    assert_eq!(first.len(), 1, "one list request");
    assert!(
        first[0].path_and_query.contains("state=all")
            && first[0].path_and_query.contains("per_page=100")
    );
    assert_eq!(first[0].header("if-none-match"), None);

    // Same cycle: other branches come from the same list, with no request.
    assert_eq!(gh.pr("feat/b").number, b);
    assert!(gh.detect_pr("feat/none").unwrap().is_none());
    assert!(
        gh.detect_pr("feat/old").unwrap().is_none(),
        "only open PRs are detected"
    );
    assert_eq!(server.requests().len(), 1, "no request within the cycle");

    // Next cycle: a conditional request, answered 304, which costs no quota.
    std::thread::sleep(Duration::from_millis(500));
    let (quota_before, _) = server.rate_limit_remaining();
    assert_eq!(gh.pr("feat/b").number, b);
    let second = server.requests_to("GET", list);
    assert_eq!(second.len(), 2);
    let etag = second[1]
        .header("if-none-match")
        .expect("If-None-Match sent")
        .to_string();
    assert!(etag.starts_with('"'), "{etag}");
    assert_eq!(
        server.rate_limit_remaining().0,
        quota_before,
        "a 304 is free"
    );

    // The list and its ETag survive a restart (KV): a new instance starts with a 304.
    let store = kv(dir.path());
    let cached: Value = serde_json::from_str(store["pulls:acme/web"].as_str().unwrap()).unwrap();
    assert_eq!(cached["etag"], etag.as_str());
    let mut restarted = github(&server, dir.path(), json!({ "cacheTtlMs": 400 }));
    assert_eq!(restarted.pr("feat/a").number, a);
    let third = server.requests_to("GET", list);
    assert_eq!(third.len(), 3);
    assert_eq!(third[2].header("if-none-match"), Some(etag.as_str()));
    assert_eq!(server.rate_limit_remaining().0, quota_before);

    // A change on GitHub changes the ETag: the next cycle gets the new list.
    let c = server.open_pr(REPO, "feat/c", "Feature C");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(gh.pr("feat/c").number, c);
    assert_eq!(server.rate_limit_remaining().0, quota_before - 1);

    // The quota last seen is in KV under `ratelimit` for `ao doctor`.
    let store = kv(dir.path());
    let rate: Value = serde_json::from_str(store["ratelimit"].as_str().unwrap()).unwrap();
    assert_eq!(rate["resource"], "core");
    assert_eq!(rate["limit"], fake_github::RATE_LIMIT);
    assert_eq!(rate["remaining"], server.rate_limit_remaining().0);
    assert_eq!(rate["resetAt"], server.rate_limit_reset() * 1000);
    assert!(rate["observedAt"].as_i64().unwrap() > 1_700_000_000_000);
}

#[test]
fn ci_checks_map_check_runs_and_statuses_and_summarise() {
    let server = FakeGitHub::start();
    let dir = tempfile::tempdir().unwrap();
    let n = server.open_pr(REPO, "feat/ci", "CI");
    let bare = server.open_pr(REPO, "feat/bare", "No CI");
    server.set_pr_check(REPO, n, "build", "completed", Some("success"));
    server.set_pr_check(REPO, n, "lint", "completed", Some("failure"));
    server.set_pr_check(REPO, n, "test", "in_progress", None);
    server.set_pr_check(REPO, n, "deploy", "queued", None);
    server.set_pr_check(REPO, n, "docs", "completed", Some("skipped"));
    server.set_pr_status(REPO, n, "ci/legacy", "pending");
    let mut gh = github(&server, dir.path(), json!({}));
    let pr = gh.pr("feat/ci");

    let checks = gh.ci_checks(&pr).unwrap();
    let status = |name: &str| {
        checks
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .status
    };
    assert_eq!(checks.len(), 6);
    assert_eq!(status("build"), CheckStatus::Passed);
    assert_eq!(status("lint"), CheckStatus::Failed);
    assert_eq!(status("test"), CheckStatus::Running);
    assert_eq!(status("deploy"), CheckStatus::Pending);
    assert_eq!(status("docs"), CheckStatus::Skipped);
    assert_eq!(status("ci/legacy"), CheckStatus::Pending);
    let lint = checks.iter().find(|c| c.name == "lint").unwrap();
    assert_eq!(lint.conclusion.as_deref(), Some("failure"));
    assert!(
        lint.url
            .as_deref()
            .unwrap()
            .starts_with("https://ci.example/runs/")
    );
    assert!(lint.completed_at.unwrap() > lint.started_at.unwrap());
    assert_eq!(gh.ci_summary(&pr).unwrap(), CiSummary::Failing);

    server.set_pr_check(REPO, n, "lint", "completed", Some("success"));
    assert_eq!(gh.ci_summary(&pr).unwrap(), CiSummary::Pending);
    server.set_pr_check(REPO, n, "test", "completed", Some("success"));
    server.set_pr_check(REPO, n, "deploy", "completed", Some("success"));
    server.set_pr_status(REPO, n, "ci/legacy", "success");
    assert_eq!(gh.ci_summary(&pr).unwrap(), CiSummary::Passing);
    server.set_pr_status(REPO, n, "ci/legacy", "error");
    assert_eq!(gh.ci_summary(&pr).unwrap(), CiSummary::Failing);

    let bare_pr = gh.pr("feat/bare");
    assert_eq!(bare_pr.number, bare);
    let bare = bare_pr;
    assert_eq!(gh.ci_summary(&bare).unwrap(), CiSummary::None);
    // Unchanged CI is read with If-None-Match (free).
    let before = server.rate_limit_remaining().0;
    gh.ci_summary(&bare).unwrap();
    assert_eq!(server.rate_limit_remaining().0, before);
    let last = server.requests().pop().unwrap();
    assert!(
        last.header("if-none-match").is_some(),
        "{}",
        last.path_and_query
    );
}

#[test]
fn enrich_prs_is_one_graphql_query_for_three_prs_with_the_right_facts() {
    let server = FakeGitHub::start();
    let dir = tempfile::tempdir().unwrap();
    server.require_reviews(REPO, true);
    let green = server.open_pr(REPO, "feat/green", "Green");
    server.set_pr_check(REPO, green, "build", "completed", Some("success"));
    server.set_pr_status(REPO, green, "ci/legacy", "success");
    server.add_review(REPO, green, "alice", "APPROVED", "LGTM");
    let red = server.open_pr(REPO, "feat/red", "Red");
    server.set_pr_check(REPO, red, "build", "completed", Some("failure"));
    server.add_review(REPO, red, "alice", "APPROVED", "");
    server.add_review(REPO, red, "bob", "CHANGES_REQUESTED", "Please rename");
    server.set_conflicts(REPO, red, true);
    server.update_pr(REPO, red, |p| (p.additions, p.deletions) = (120, 30));
    let wip = server.open_pr(REPO, "feat/wip", "WIP");
    server.set_draft(REPO, wip, true);
    server.set_behind(REPO, wip, true);
    server.set_pr_check(REPO, wip, "build", "in_progress", None);
    server.add_thread(REPO, wip, "carol", "src/lib.rs", 12, "Why?");
    let mut gh = github(&server, dir.path(), json!({}));
    let prs = [gh.pr("feat/green"), gh.pr("feat/red"), gh.pr("feat/wip")];
    server.clear_requests();

    let facts = gh.enrich(&prs).unwrap();
    let requests = server.requests();
    assert_eq!(
        requests.len(),
        1,
        "{:?}",
        requests
            .iter()
            .map(|r| &r.path_and_query)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        (
            requests[0].method.as_str(),
            requests[0].path_and_query.as_str()
        ),
        ("POST", "/graphql")
    );
    let query = requests[0].json()["query"].as_str().unwrap().to_string();
    for alias in [
        "pr0: pullRequest",
        "pr1: pullRequest",
        "pr2: pullRequest",
        "rateLimit",
    ] {
        assert!(query.contains(alias), "{alias} in {query}");
    }
    assert_eq!(facts.len(), 3);

    let f = &facts[0];
    assert_eq!(
        (f.number, f.state, f.title.as_str()),
        (green, PrState::Open, "Green")
    );
    assert_eq!(f.ci, CiSummary::Passing);
    assert_eq!(f.ci_checks.len(), 2);
    assert_eq!(f.review_decision, ReviewDecision::Approved);
    assert!(
        f.mergeable && !f.has_conflicts && !f.is_behind && !f.is_draft,
        "{f:?}"
    );
    assert!(f.blockers.is_empty(), "{:?}", f.blockers);

    let f = &facts[1];
    assert_eq!(f.number, red);
    assert_eq!((f.additions, f.deletions), (120, 30));
    assert_eq!(f.ci, CiSummary::Failing);
    assert_eq!(f.review_decision, ReviewDecision::ChangesRequested);
    assert!(!f.mergeable && f.has_conflicts);
    for blocker in ["CI is failing", "changes requested", "merge conflicts"] {
        assert!(
            f.blockers.iter().any(|b| b == blocker),
            "{blocker} in {:?}",
            f.blockers
        );
    }

    let f = &facts[2];
    assert_eq!(f.number, wip);
    assert!(
        f.is_draft && !f.is_behind,
        "a draft reports DRAFT, not BEHIND: {f:?}"
    );
    assert_eq!(f.ci, CiSummary::Pending);
    assert_eq!(f.review_decision, ReviewDecision::Pending);
    assert!(f.blockers.iter().any(|b| b == "draft"), "{:?}", f.blockers);
    assert_eq!(f.unresolved_comments.len(), 1);
    assert_eq!(f.unresolved_comments[0].author, "carol");

    // Per-PR calls in the same cycle reuse the batch: no more requests.
    let p = gh.project.clone();
    let decision = gh
        .instance
        .with_scm("get-review-decision", |s, g| {
            g.call_get_review_decision(s, &p, &prs[1])
        })
        .unwrap();
    assert_eq!(decision, ReviewDecision::ChangesRequested);
    let m = gh
        .instance
        .with_scm("get-mergeability", |s, g| {
            g.call_get_mergeability(s, &p, &prs[0])
        })
        .unwrap();
    assert!(m.mergeable && m.ci_passing && m.approved && m.no_conflicts);
    assert_eq!(server.requests().len(), 1);

    // The GraphQL quota (with the query's cost) is kept for `ao doctor`.
    let rate: Value =
        serde_json::from_str(kv(dir.path())["ratelimit.graphql"].as_str().unwrap()).unwrap();
    assert_eq!(rate["resource"], "graphql");
    assert_eq!(rate["cost"], 1);
    assert_eq!(rate["remaining"], server.rate_limit_remaining().1);

    // A behind (non-draft) PR says so.
    server.set_draft(REPO, wip, false);
    let mut fresh = github(&server, dir.path(), json!({}));
    let f = fresh.enrich(&prs[2..]).unwrap().pop().unwrap();
    assert!(f.is_behind, "{f:?}");
    assert!(
        f.blockers.iter().any(|b| b.contains("behind")),
        "{:?}",
        f.blockers
    );
}

#[test]
fn pending_comments_are_the_unresolved_threads_with_bots_flagged() {
    let server = FakeGitHub::start();
    let dir = tempfile::tempdir().unwrap();
    let n = server.open_pr(REPO, "feat/review", "Review me");
    let human = server.add_thread(
        REPO,
        n,
        "alice",
        "src/main.rs",
        10,
        "Please handle the error",
    );
    server.reply_in_thread(REPO, n, &human, "ao-agent", "Will do");
    server.add_thread(
        REPO,
        n,
        "coderabbitai[bot]",
        "src/db.rs",
        3,
        "Possible SQL injection",
    );
    let resolved = server.add_thread(REPO, n, "bob", "README.md", 1, "Typo");
    server.resolve_thread(REPO, n, &resolved, true);
    server.add_review(REPO, n, "alice", "COMMENTED", "A few things");
    let mut gh = github(&server, dir.path(), json!({}));
    let pr = gh.pr("feat/review");
    let p = gh.project.clone();

    let comments = gh
        .instance
        .with_scm("get-pending-comments", |s, g| {
            g.call_get_pending_comments(s, &p, &pr)
        })
        .unwrap();
    assert_eq!(comments.len(), 3, "{comments:#?}");
    assert!(comments.iter().all(|c| !c.is_resolved));
    assert!(
        !comments.iter().any(|c| c.body == "Typo"),
        "resolved threads are left out"
    );
    let first = &comments[0];
    assert_eq!(
        (first.author.as_str(), first.body.as_str()),
        ("alice", "Please handle the error")
    );
    assert_eq!(first.thread_id.as_deref(), Some(human.as_str()));
    assert_eq!(
        (first.path.as_deref(), first.line),
        (Some("src/main.rs"), Some(10))
    );
    assert!(!first.is_bot && first.created_at.is_some() && first.url.contains("/pull/"));
    let bot = comments
        .iter()
        .find(|c| c.body == "Possible SQL injection")
        .unwrap();
    assert!(bot.is_bot, "{bot:?}");
    assert!(
        !comments
            .iter()
            .find(|c| c.body == "Will do")
            .unwrap()
            .is_bot
    );

    let reviews = gh
        .instance
        .with_scm("get-reviews", |s, g| g.call_get_reviews(s, &p, &pr))
        .unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!(
        (reviews[0].author.as_str(), reviews[0].state),
        ("alice", ReviewState::Commented)
    );
    assert_eq!(reviews[0].body.as_deref(), Some("A few things"));
}

#[test]
fn mergeability_names_the_blockers_and_merge_and_close_work() {
    let server = FakeGitHub::start();
    let dir = tempfile::tempdir().unwrap();
    let bad = server.open_pr(REPO, "feat/bad", "Bad");
    server.set_pr_check(REPO, bad, "build", "completed", Some("failure"));
    server.add_review(REPO, bad, "alice", "CHANGES_REQUESTED", "No");
    server.set_conflicts(REPO, bad, true);
    server.set_draft(REPO, bad, true);
    let good = server.open_pr(REPO, "feat/good", "Good");
    server.set_pr_check(REPO, good, "build", "completed", Some("success"));
    server.add_review(REPO, good, "alice", "APPROVED", "");
    let other = server.open_pr(REPO, "feat/other", "Other");
    let mut gh = github(&server, dir.path(), json!({ "cacheTtlMs": 0 }));
    let p = gh.project.clone();
    let (bad_pr, good_pr, other_pr) = (gh.pr("feat/bad"), gh.pr("feat/good"), gh.pr("feat/other"));

    let m = gh
        .instance
        .with_scm("get-mergeability", |s, g| {
            g.call_get_mergeability(s, &p, &bad_pr)
        })
        .unwrap();
    assert!(!m.mergeable && !m.ci_passing && !m.approved && !m.no_conflicts);
    for blocker in [
        "CI is failing",
        "changes requested",
        "merge conflicts",
        "draft",
    ] {
        assert!(
            m.blockers.iter().any(|b| b == blocker),
            "{blocker} in {:?}",
            m.blockers
        );
    }
    let m = gh
        .instance
        .with_scm("get-mergeability", |s, g| {
            g.call_get_mergeability(s, &p, &good_pr)
        })
        .unwrap();
    assert!(
        m.mergeable && m.ci_passing && m.approved && m.no_conflicts,
        "{m:?}"
    );
    assert!(m.blockers.is_empty());

    // GitHub refuses to merge the bad one; the message says why.
    let err = plugin_error(gh.instance.with_scm("merge-pr", |s, g| {
        g.call_merge_pr(s, &p, &bad_pr, MergeMethod::Squash)
    }));
    assert!(
        matches!(&err, PluginError::InvalidInput(m) if m.contains("not mergeable")),
        "{err:?}"
    );
    gh.instance
        .with_scm("merge-pr", |s, g| {
            g.call_merge_pr(s, &p, &good_pr, MergeMethod::Squash)
        })
        .unwrap();
    let merged = server.pr(REPO, good).unwrap();
    assert!(merged.merged);
    assert_eq!(merged.merge_method.as_deref(), Some("squash"));
    let merge = server.requests_to("PUT", &format!("/repos/acme/web/pulls/{good}/merge"));
    assert_eq!(merge.len(), 1);
    assert_eq!(merge[0].json()["merge_method"], "squash");
    assert_eq!(gh.pr_state(&good_pr).unwrap(), PrState::Merged);

    gh.instance
        .with_scm("close-pr", |s, g| g.call_close_pr(s, &p, &other_pr))
        .unwrap();
    assert_eq!(server.pr(REPO, other).unwrap().state, "closed");
    assert_eq!(gh.pr_state(&other_pr).unwrap(), PrState::Closed);
    let summary = gh
        .instance
        .with_scm("get-pr-summary", |s, g| {
            g.call_get_pr_summary(s, &p, &bad_pr)
        })
        .unwrap();
    assert_eq!(
        (
            summary.state,
            summary.title.as_str(),
            summary.additions,
            summary.deletions
        ),
        (PrState::Open, "Bad", 10, 2)
    );
}

#[test]
fn errors_map_to_the_contract() {
    let server = FakeGitHub::start();
    let dir = tempfile::tempdir().unwrap();
    let n = server.add_issue(REPO, "An issue", "", &[]);
    let mut gh = github(&server, dir.path(), json!({}));

    // 404.
    assert!(matches!(
        plugin_error(gh.get_issue("999")),
        PluginError::NotFound(_)
    ));
    // 401: the message names the secret to set, and never the token.
    let wrong = FakeGitHub::with_token("some-other-token");
    wrong.add_repo(REPO);
    let mut unauthorized = github(&wrong, dir.path(), json!({}));
    match plugin_error(unauthorized.get_issue("1")) {
        PluginError::Auth(m) => {
            assert!(
                m.contains("GITHUB_TOKEN") && m.contains("Bad credentials"),
                "{m}"
            );
            assert!(!m.contains(TOKEN));
        }
        other => panic!("{other:?}"),
    }
    // The primary limit is spent: rate-limited until the reset, without retrying.
    server.rate_limit_next(None, 120);
    let before = server.requests().len();
    match plugin_error(gh.get_issue(&n.to_string())) {
        PluginError::RateLimited(r) => {
            let ms = r.retry_after_ms.expect("a time to wait");
            assert!((100_000..=121_000).contains(&ms), "{ms}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server.requests().len(),
        before + 1,
        "a long wait is not retried"
    );
    // A secondary limit with a short Retry-After is waited out for a GET.
    server.rate_limit_next(Some(1), 60);
    let started = Instant::now();
    let before = server.requests().len();
    assert_eq!(gh.get_issue(&n.to_string()).unwrap().title, "An issue");
    assert_eq!(server.requests().len(), before + 2);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    // A long Retry-After comes back as rate-limited with that wait.
    server.rate_limit_next(Some(90), 60);
    match plugin_error(gh.get_issue(&n.to_string())) {
        PluginError::RateLimited(r) => assert_eq!(r.retry_after_ms, Some(90_000)),
        other => panic!("{other:?}"),
    }
    // The whole quota spent (every request refused) is rate-limited too.
    server.set_rate_limit_remaining(0);
    assert!(matches!(
        plugin_error(gh.get_issue("1")),
        PluginError::RateLimited(_)
    ));
    server.set_rate_limit_remaining(100);

    // 5xx: a GET is retried; a write is not, and is transient.
    server.fail_next(Reply::status(502).body("Bad Gateway"));
    let before = server.requests().len();
    assert!(gh.get_issue(&n.to_string()).is_ok());
    assert_eq!(server.requests().len(), before + 2);
    server.fail_next(Reply::status(500).body("boom"));
    let before = server.requests().len();
    let new = || NewIssue {
        title: "x".into(),
        description: String::new(),
        labels: vec![],
        assignee: Some("nobody-here".into()),
        priority: None,
    };
    assert!(matches!(
        plugin_error(gh.create_issue(new())),
        PluginError::Transient(_)
    ));
    assert_eq!(
        server.requests().len(),
        before + 1,
        "writes are not retried"
    );
    // 422: invalid input with GitHub's message.
    server.fail_next(
        Reply::status(422)
            .header("content-type", "application/json")
            .body(r#"{"message":"Validation Failed","errors":[{"resource":"Issue","field":"assignees","code":"invalid"}]}"#),
    );
    match plugin_error(gh.create_issue(new())) {
        PluginError::InvalidInput(m) => assert!(
            m.contains("Validation Failed") && m.contains("assignees invalid"),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
    // A project without a repo is the caller's mistake.
    gh.project.repo = None;
    assert!(
        matches!(plugin_error(gh.get_issue("1")), PluginError::InvalidInput(m) if m.contains("repo"))
    );
}

#[test]
fn the_token_is_added_by_the_host_and_never_reaches_the_plugin() {
    let server = FakeGitHub::start();
    let dir = tempfile::tempdir().unwrap();
    let n = server.open_pr(REPO, "feat/t", "T");
    server.add_thread(REPO, n, "alice", "a.rs", 1, "x");
    let issue = server.add_issue(REPO, "I", "", &[]);
    let mut gh = github(&server, dir.path(), json!({}));
    let pr = gh.pr("feat/t");
    let mut seen = format!("{:?}", gh.get_issue(&issue.to_string()).unwrap());
    seen.push_str(&format!(
        "{:?}",
        gh.enrich(std::slice::from_ref(&pr)).unwrap()
    ));
    seen.push_str(&format!("{:?}", gh.ci_checks(&pr).unwrap()));
    seen.push_str(&gh.generate_prompt(&issue.to_string()).unwrap());
    // Every request carried it, set by the host from the secret grant.
    for request in server.requests() {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(request.header("x-github-api-version"), Some("2022-11-28"));
        assert!(
            request
                .header("user-agent")
                .is_some_and(|ua| ua.starts_with("ao/"))
        );
    }
    // Nothing the plugin returned or stored holds it.
    assert!(!seen.contains(TOKEN));
    let store = serde_json::to_string(&kv(dir.path())).unwrap();
    assert!(!store.contains(TOKEN));
    // The plugin asked for the secret by name only; without a grant there is no header.
    let mut ungranted = load_builtin("github.wasm").instantiate(InstanceSettings {
        settings: server.settings().as_object().cloned().unwrap(),
        grant: http_grant(&[&server.host()]),
        secrets: arc(MapSecrets(
            [("GITHUB_TOKEN".to_string(), TOKEN.to_string())].into(),
        )),
        ..InstanceSettings::default()
    });
    let p = project();
    let err = ungranted
        .with_tracker("get-issue", |s, g| g.call_get_issue(s, &p, "1"))
        .unwrap_err();
    assert!(
        matches!(err.plugin_error(), Some(PluginError::Denied(m)) if m.contains("GITHUB_TOKEN")),
        "{err}"
    );
}

fn delivery(event: &str, body: &Value, signature: Option<String>) -> WebhookRequest {
    let body = serde_json::to_vec(body).unwrap();
    let mut headers = vec![
        ("X-GitHub-Event".to_string(), event.to_string()),
        (
            "X-GitHub-Delivery".to_string(),
            "72d3162e-cc78-11e3-81ab-4c9367dc0958".to_string(),
        ),
        ("Content-Type".to_string(), "application/json".to_string()),
    ];
    if let Some(signature) = signature {
        headers.push(("X-Hub-Signature-256".to_string(), signature));
    }
    WebhookRequest {
        method: "POST".into(),
        path: "/api/webhooks/github".into(),
        headers,
        body,
    }
}

fn pull_request_payload() -> Value {
    json!({
        "action": "synchronize",
        "number": 7,
        "pull_request": {
            "number": 7, "title": "Add dark mode", "state": "open", "merged": false, "draft": false,
            "html_url": "https://github.com/acme/web/pull/7",
            "head": { "ref": "feat/issue-42", "sha": "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2" },
            "base": { "ref": "main" },
        },
        "repository": { "full_name": "acme/web" },
        "sender": { "login": "octocat" },
    })
}

#[test]
fn webhooks_are_verified_in_constant_time_and_parsed() {
    let server = FakeGitHub::start();
    let dir = tempfile::tempdir().unwrap();
    let mut gh = github(
        &server,
        dir.path(),
        json!({ "webhookSecret": "GITHUB_WEBHOOK_SECRET" }),
    );
    let payload = pull_request_payload();
    let body = serde_json::to_vec(&payload).unwrap();

    let good = delivery(
        "pull_request",
        &payload,
        Some(sign_webhook(WEBHOOK_SECRET.as_bytes(), &body)),
    );
    let p = gh.project.clone();
    let v = gh
        .instance
        .with_scm("verify-webhook", |s, g| g.call_verify_webhook(s, &p, &good))
        .unwrap();
    assert!(v.ok, "{:?}", v.reason);
    assert_eq!(
        v.delivery_id.as_deref(),
        Some("72d3162e-cc78-11e3-81ab-4c9367dc0958")
    );
    assert_eq!(v.event_type.as_deref(), Some("pull_request"));
    let wrong = delivery(
        "pull_request",
        &payload,
        Some(sign_webhook(b"another secret", &body)),
    );
    let (ok, reason) = gh.webhook(&wrong);
    assert!(!ok);
    assert!(reason.unwrap().contains("does not match"));
    let mut tampered = good.clone();
    tampered.body.extend_from_slice(b" ");
    assert!(!gh.webhook(&tampered).0);
    let (ok, reason) = gh.webhook(&delivery("pull_request", &payload, None));
    assert!(!ok && reason.unwrap().contains("X-Hub-Signature-256"));
    assert!(
        server.requests().is_empty(),
        "verification needs no request"
    );

    let event = gh.parse_webhook(&good).unwrap();
    assert_eq!(event.kind, WebhookKind::PullRequest);
    assert_eq!(event.action, "synchronize");
    assert_eq!(event.pr_number, Some(7));
    assert_eq!(event.branch.as_deref(), Some("feat/issue-42"));
    assert_eq!(
        event.sha.as_deref(),
        Some("a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2")
    );
    assert_eq!(event.repository.as_deref(), Some("acme/web"));
    let data: Value = serde_json::from_str(&event.data).unwrap();
    assert_eq!(data["title"], "Add dark mode");

    let check_run = json!({
        "action": "completed",
        "check_run": {
            "name": "build", "status": "completed", "conclusion": "failure",
            "head_sha": "ffeeddccbbaa99887766554433221100ffeeddcc",
            "html_url": "https://github.com/acme/web/runs/1",
            "check_suite": { "head_branch": "feat/issue-42" },
            "pull_requests": [{ "number": 7 }],
        },
        "repository": { "full_name": "acme/web" },
    });
    let event = gh
        .parse_webhook(&delivery("check_run", &check_run, None))
        .unwrap();
    assert_eq!(event.kind, WebhookKind::Ci);
    assert_eq!(event.action, "completed");
    assert_eq!(event.pr_number, Some(7));
    assert_eq!(event.branch.as_deref(), Some("feat/issue-42"));
    assert_eq!(
        event.sha.as_deref(),
        Some("ffeeddccbbaa99887766554433221100ffeeddcc")
    );
    let data: Value = serde_json::from_str(&event.data).unwrap();
    assert_eq!(
        (data["name"].as_str(), data["conclusion"].as_str()),
        (Some("build"), Some("failure"))
    );

    // Not ours, or not about anything ao tracks.
    let mut elsewhere = pull_request_payload();
    elsewhere["repository"]["full_name"] = json!("someone/else");
    assert!(
        gh.parse_webhook(&delivery("pull_request", &elsewhere, None))
            .is_none()
    );
    assert!(
        gh.parse_webhook(&delivery(
            "ping",
            &json!({ "zen": "Keep it simple." }),
            None
        ))
        .is_none()
    );
    let review = json!({
        "action": "submitted",
        "review": { "state": "changes_requested", "user": { "login": "alice" }, "body": "No" },
        "pull_request": pull_request_payload()["pull_request"].clone(),
        "repository": { "full_name": "acme/web" },
    });
    let event = gh
        .parse_webhook(&delivery("pull_request_review", &review, None))
        .unwrap();
    assert_eq!(
        (event.kind, event.pr_number),
        (WebhookKind::Review, Some(7))
    );
}
