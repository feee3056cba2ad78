//! The fake GitHub's JSON held to GitHub's real shapes: every REST answer
//! the plugins read is parsed into octocrab's model types (written against
//! GitHub's API), so a field the fake misnames or mistypes fails here
//! rather than hiding a bug in the plugin that reads it.

use ao_tests::FakeGitHub;
use ao_tests::fake_github::TOKEN;
use octocrab::models;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::io::{Read, Write};

const REPO: &str = "acme/web";

/// One request to the fake, as the plugins make it; the JSON body.
fn call(gh: &FakeGitHub, method: &str, path: &str, body: Option<&str>) -> Value {
    let mut stream = std::net::TcpStream::connect(gh.host()).unwrap();
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Accept: application/vnd.github+json\r\nUser-Agent: ao-tests\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        gh.host(),
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (head, payload) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 2"), "{method} {path}: {head}");
    let content_types = head
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("content-type:"))
        .count();
    assert_eq!(
        content_types, 1,
        "{method} {path}: one content type: {head}"
    );
    serde_json::from_str(payload).unwrap_or_else(|e| panic!("{method} {path}: {e}: {payload}"))
}

/// Parses `value` as GitHub's type `T`, naming the field that does not fit.
fn shaped<T: DeserializeOwned>(what: &str, value: Value) -> T {
    serde_path_to_error::deserialize(value)
        .unwrap_or_else(|e| panic!("{what} is not shaped like GitHub's: {e}"))
}

#[test]
fn every_rest_answer_parses_as_githubs_own_types() {
    let gh = FakeGitHub::start();
    gh.add_repo(REPO);
    gh.require_reviews(REPO, true);
    let issue = gh.add_issue(REPO, "Fix the login redirect", "Users land on /.", &["bug"]);
    let pr = gh.open_pr(REPO, "feat/issue-1", "Fix the login redirect");
    gh.set_pr_check(REPO, pr, "build", "completed", Some("failure"));
    gh.set_pr_status(REPO, pr, "lint", "success");
    gh.add_review(REPO, pr, "ana", "CHANGES_REQUESTED", "add a test");
    let sha = gh.head_sha(REPO, pr);

    let i: models::issues::Issue = shaped(
        "an issue",
        call(&gh, "GET", &format!("/repos/{REPO}/issues/{issue}"), None),
    );
    assert_eq!(
        (i.number, i.title.as_str()),
        (u64::from(issue), "Fix the login redirect")
    );
    assert_eq!(i.labels[0].name, "bug");
    let list: Vec<models::issues::Issue> = shaped(
        "the issue list",
        call(
            &gh,
            "GET",
            &format!("/repos/{REPO}/issues?state=open"),
            None,
        ),
    );
    assert!(list.iter().any(|i| i.number == u64::from(issue)));
    let created: models::issues::Issue = shaped(
        "a created issue",
        call(
            &gh,
            "POST",
            &format!("/repos/{REPO}/issues"),
            Some(r#"{"title":"New","body":"b","labels":["x"]}"#),
        ),
    );
    let closed: models::issues::Issue = shaped(
        "an updated issue",
        call(
            &gh,
            "PATCH",
            &format!("/repos/{REPO}/issues/{}", created.number),
            Some(r#"{"state":"closed"}"#),
        ),
    );
    assert_eq!(closed.state, models::IssueState::Closed);
    let _: models::issues::Comment = shaped(
        "an issue comment",
        call(
            &gh,
            "POST",
            &format!("/repos/{REPO}/issues/{issue}/comments"),
            Some(r#"{"body":"on it"}"#),
        ),
    );
    let _: Vec<models::Label> = shaped(
        "added labels",
        call(
            &gh,
            "POST",
            &format!("/repos/{REPO}/issues/{issue}/labels"),
            Some(r#"{"labels":["agent"]}"#),
        ),
    );

    let p: models::pulls::PullRequest = shaped(
        "a pull request",
        call(&gh, "GET", &format!("/repos/{REPO}/pulls/{pr}"), None),
    );
    assert_eq!(p.head.ref_field, "feat/issue-1");
    assert_eq!(p.head.sha, sha);
    let pulls: Vec<models::pulls::PullRequest> = shaped(
        "the pull list",
        call(
            &gh,
            "GET",
            &format!("/repos/{REPO}/pulls?state=all&sort=updated&direction=desc&per_page=100"),
            None,
        ),
    );
    assert!(pulls.iter().any(|p| p.number == u64::from(pr)));
    let reviews: Vec<models::pulls::Review> = shaped(
        "the reviews",
        call(
            &gh,
            "GET",
            &format!("/repos/{REPO}/pulls/{pr}/reviews"),
            None,
        ),
    );
    assert_eq!(
        reviews[0].state,
        Some(models::pulls::ReviewState::ChangesRequested)
    );

    let checks: models::checks::ListCheckRuns = shaped(
        "the check runs",
        call(
            &gh,
            "GET",
            &format!("/repos/{REPO}/commits/{sha}/check-runs"),
            None,
        ),
    );
    assert_eq!(checks.total_count, 1);
    assert_eq!(checks.check_runs[0].name, "build");
    let status: models::CombinedStatus = shaped(
        "the combined status",
        call(
            &gh,
            "GET",
            &format!("/repos/{REPO}/commits/{sha}/status"),
            None,
        ),
    );
    assert_eq!(status.statuses[0].context.as_deref(), Some("lint"));

    gh.add_review(REPO, pr, "ana", "APPROVED", "");
    gh.set_pr_check(REPO, pr, "build", "completed", Some("success"));
    let merged: models::pulls::Merge = shaped(
        "a merge",
        call(
            &gh,
            "PUT",
            &format!("/repos/{REPO}/pulls/{pr}/merge"),
            Some(r#"{"merge_method":"squash"}"#),
        ),
    );
    assert!(merged.merged);
}
