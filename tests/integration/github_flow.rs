//! The PR loop against (fake) GitHub through the real binary: the issue
//! comes from GitHub, the agent pushes, GitHub's CI fails then passes, a
//! reviewer asks for changes in a thread, approves, ao auto-merges through
//! the API, cleans up, closes the issue, and Slack (a fake receiver) hears
//! about it. The test plays GitHub's part only where GitHub itself would
//! act (the PR appearing for the pushed branch, CI results, reviews).

use crate::session_fixture::{Fixture, pushing_agent, wait_for};
use ao_tests::ao_binary::describe;
use ao_tests::fake_github::TOKEN;
use ao_tests::{FakeGitHub, FakeServer, Reply};
use std::path::Path;
use std::time::{Duration, Instant};

#[test]
fn a_github_issue_becomes_a_merged_pr_with_ci_and_review_and_the_issue_is_closed() {
    const REPO: &str = "acme/web";
    let gh = FakeGitHub::start();
    gh.add_repo(REPO);
    let issue = gh.add_issue(
        REPO,
        "Fix the login redirect",
        "Users land on / after login.",
        &["bug"],
    );
    let slack = FakeServer::start();
    let mut f = Fixture::new("");
    f.extra_env.push(("GITHUB_TOKEN".into(), TOKEN.into()));
    let agent = f.env.dir.path().join("agent.sh");
    std::fs::write(&agent, pushing_agent("Work on GitHub issue #1")).unwrap();
    f.env.write_config(&format!(
        "notifiers:\n  team:\n    plugin: slack\n    webhookUrl: {slack_url}\n\
         plugins:\n  github:\n    grant: {{ http: [\"{gh_host}\"], secrets: [GITHUB_TOKEN], kv: true }}\n\
         \x20   limits: {{ httpTimeoutMs: 1500 }}\n\
         \x20 slack:\n    grant: {{ http: [\"{slack_host}\"] }}\n\
         reactions:\n  approved-and-green: {{ action: auto-merge }}\n\
         projects:\n  web:\n    path: {path}\n    repo: {REPO}\n    sessionPrefix: web\n    agent: custom\n\
         \x20   agentConfig:\n      command: [sh, {agent}]\n\
         \x20   tracker: {{ plugin: github, apiUrl: \"{api}\" }}\n\
         \x20   scm: {{ plugin: github, apiUrl: \"{api}\", cacheTtlMs: 0 }}\n",
        slack_url = slack.url("/hook"),
        slack_host = slack.host(),
        gh_host = gh.host(),
        api = gh.url(),
        path = f.clone.display(),
        agent = agent.display(),
    ));

    let out = f.ao(&["spawn", &issue.to_string()]);
    assert!(out.status.success(), "{}", describe(&out));
    let session = || {
        f.sessions()
            .into_iter()
            .find(|s| s["id"] == "web-1")
            .unwrap()
    };
    assert!(
        session()["prompt"]
            .as_str()
            .unwrap()
            .contains("Fix the login redirect")
    );
    let mut daemon = f.start_daemon(1);
    let daemon_log = || f.daemon_log();
    let input = || {
        let s = session();
        std::fs::read_to_string(
            Path::new(s["workspacePath"].as_str().unwrap()).join(".agent-input.txt"),
        )
        .unwrap_or_default()
    };

    // The agent pushed; on GitHub that branch's PR appears, and CI fails.
    wait_for("the agent's push", 20, || {
        f.origin_log("feat/issue-1").contains("agent: redirect fix")
    });
    let pr = gh.open_pr(REPO, "feat/issue-1", "Fix the login redirect");
    // GitHub has a bad moment: a request that hangs for a minute (cut at
    // the plugin's 1.5 s HTTP timeout, or else at its call deadline, so it
    // cannot stall the loop past this test's wait), errors, garbage and a
    // rate limit. The daemon keeps going and the story goes on once GitHub
    // recovers.
    gh.fail_next(Reply::status(200).delay(Duration::from_secs(60)));
    gh.fail_next(Reply::status(500));
    gh.fail_next(Reply::status(502).body("<html>bad gateway</html>"));
    gh.fail_next(
        Reply::status(200)
            .header("content-type", "application/json")
            .body("{not json"),
    );
    gh.rate_limit_next(Some(1), 1);
    gh.set_pr_check(REPO, pr, "build", "completed", Some("failure"));
    wait_for(
        &format!(
            "the CI failure to reach the agent; daemon log:\n{}",
            daemon_log()
        ),
        30,
        || input().contains("CI failed on your pull request"),
    );
    assert!(
        input().contains("build"),
        "names the failing check: {}",
        input()
    );
    wait_for("the agent's fix", 20, || {
        f.origin_log("feat/issue-1").contains("agent: make CI pass")
    });
    gh.push(REPO, pr);
    gh.set_pr_check(REPO, pr, "build", "completed", Some("success"));

    // A reviewer asks for changes in a thread; the agent gets the comment.
    wait_for("CI to pass", 20, || session()["ci"] == "passing");
    let thread = gh.add_thread(REPO, pr, "ana", "README.md", 1, "please add docs");
    gh.add_review(REPO, pr, "ana", "CHANGES_REQUESTED", "see the thread");
    wait_for(
        &format!(
            "the comments to reach the agent; daemon log:\n{}",
            daemon_log()
        ),
        30,
        || input().contains("please add docs"),
    );
    wait_for("the agent's docs", 20, || {
        f.origin_log("feat/issue-1").contains("agent: add docs")
    });
    gh.push(REPO, pr);
    gh.set_pr_check(REPO, pr, "build", "completed", Some("success"));
    gh.resolve_thread(REPO, pr, &thread, true);
    gh.add_review(REPO, pr, "ana", "APPROVED", "");

    // Approved and green: ao merges through the API, cleans up, closes the issue.
    let deadline = Instant::now() + Duration::from_secs(40);
    while session()["status"] != "merged" {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for the merge; session {}\ndaemon log:\n{}",
            session(),
            daemon_log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(gh.pr(REPO, pr).unwrap().merged);
    wait_for("the issue to be closed", 10, || {
        gh.issue(REPO, issue).is_some_and(|i| i.state == "closed")
    });
    let s = session();
    assert!(!Path::new(s["workspacePath"].as_str().unwrap()).exists());
    assert_eq!(s["alive"], false);
    // Slack heard about the merge (the routing sends everything to `team`).
    wait_for("the Slack message", 10, || {
        slack
            .requests()
            .iter()
            .any(|r| String::from_utf8_lossy(&r.body).contains("merged"))
    });
    assert!(
        daemon.try_wait().unwrap().is_none(),
        "the daemon survived GitHub's failures"
    );
    // The quota GitHub reported is visible to the user.
    let doctor: serde_json::Value =
        serde_json::from_slice(&f.ao(&["doctor", "--json"]).stdout).unwrap();
    let quota = doctor["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "github REST quota")
        .cloned()
        .expect("a quota check");
    assert!(
        quota["detail"].as_str().unwrap().contains("/5000 left"),
        "{quota}"
    );
    assert!(f.ao(&["stop"]).status.success());
    daemon.wait().unwrap();
}

/// POSTs a body to the daemon and returns (status, body).
fn post(port: u16, path: &str, headers: &[(&str, String)], body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    write!(s, "{head}\r\n{body}").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text
        .split_whitespace()
        .nth(1)
        .unwrap_or("0")
        .parse()
        .unwrap_or(0);
    (
        status,
        text.split("\r\n\r\n").nth(1).unwrap_or("").to_string(),
    )
}

#[test]
fn a_signed_webhook_makes_the_daemon_look_at_once_and_a_forged_one_is_refused() {
    const REPO: &str = "acme/web";
    const SECRET: &str = "whsec-for-tests";
    let gh = FakeGitHub::start();
    gh.add_repo(REPO);
    let issue = gh.add_issue(REPO, "Fix the login redirect", "", &[]);
    let mut f = Fixture::new("");
    f.extra_env.push(("GITHUB_TOKEN".into(), TOKEN.into()));
    f.extra_env
        .push(("GITHUB_WEBHOOK_SECRET".into(), SECRET.into()));
    let agent = f.env.dir.path().join("agent.sh");
    std::fs::write(&agent, pushing_agent("Work on GitHub issue #1")).unwrap();
    f.env.write_config(&format!(
        "plugins:\n  github:\n    grant: {{ http: [\"{gh_host}\"], secrets: {{ GITHUB_TOKEN: {{}}, GITHUB_WEBHOOK_SECRET: {{ read: true }} }}, kv: true }}\n\
         projects:\n  web:\n    path: {path}\n    repo: {REPO}\n    sessionPrefix: web\n    agent: custom\n\
         \x20   agentConfig:\n      command: [sh, {agent}]\n\
         \x20   tracker: {{ plugin: github, apiUrl: \"{api}\" }}\n\
         \x20   scm: {{ plugin: github, apiUrl: \"{api}\", cacheTtlMs: 0, webhookSecret: GITHUB_WEBHOOK_SECRET }}\n",
        gh_host = gh.host(),
        api = gh.url(),
        path = f.clone.display(),
        agent = agent.display(),
    ));
    assert!(f.ao(&["spawn", &issue.to_string()]).status.success());
    wait_for("the agent's push", 20, || {
        f.origin_log("feat/issue-1").contains("agent: redirect fix")
    });
    let pr = gh.open_pr(REPO, "feat/issue-1", "Fix the login redirect");
    gh.set_pr_check(REPO, pr, "build", "completed", Some("failure"));

    // A 60 s cycle: only the webhook can bring the news quickly.
    let mut daemon = f.start_daemon(60);
    let info = f.env.dir.path().join("data/ao/daemon.json");
    wait_for("the daemon", 20, || info.exists());
    let port = serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&info).unwrap())
        .unwrap()["port"]
        .as_u64()
        .unwrap() as u16;
    // The first cycle passes with no PR yet; then GitHub gets one, CI fails.
    std::thread::sleep(Duration::from_secs(2));
    let pr = gh.open_pr(REPO, "feat/issue-1", "Fix the login redirect");
    gh.set_pr_check(REPO, pr, "build", "completed", Some("failure"));

    let body = serde_json::json!({
        "action": "completed",
        "check_run": { "name": "build", "head_sha": gh.head_sha(REPO, pr), "conclusion": "failure",
                       "pull_requests": [{ "number": pr }] },
        "repository": { "full_name": REPO }
    })
    .to_string();
    let headers = |signature: String| {
        vec![
            ("X-GitHub-Event", "check_run".to_string()),
            ("X-GitHub-Delivery", "d-1".to_string()),
            ("X-Hub-Signature-256", signature),
        ]
    };
    let forged = post(
        port,
        "/api/webhooks/web",
        &headers(ao_tests::fake_github::sign_webhook(
            b"wrong",
            body.as_bytes(),
        )),
        &body,
    );
    assert_eq!(forged.0, 401, "{forged:?}");
    let unknown = post(port, "/api/webhooks/nope", &headers(String::new()), &body);
    assert_eq!(unknown.0, 404, "{unknown:?}");

    let delivered = Instant::now();
    let signed = ao_tests::fake_github::sign_webhook(SECRET.as_bytes(), body.as_bytes());
    let ok = post(port, "/api/webhooks/web", &headers(signed), &body);
    assert_eq!(ok.0, 202, "{ok:?}");
    let session = || {
        f.sessions()
            .into_iter()
            .find(|s| s["id"] == "web-1")
            .unwrap()
    };
    wait_for(
        "the CI failure to reach the agent after the webhook",
        15,
        || {
            let s = session();
            std::fs::read_to_string(
                Path::new(s["workspacePath"].as_str().unwrap()).join(".agent-input.txt"),
            )
            .is_ok_and(|t| t.contains("CI failed on your pull request"))
        },
    );
    eprintln!("webhook → agent message: {:?}", delivered.elapsed());
    assert!(f.ao(&["stop"]).status.success());
    daemon.wait().unwrap();
}
