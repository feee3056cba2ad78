//! The PR loop against (fake) GitLab for both roles, through the real
//! binary: the issue comes from GitLab (a project in a nested group), the
//! agent pushes, GitLab opens the merge request, the pipeline fails and the
//! agent hears which job failed with the end of its log, a reviewer requests
//! changes in a thread, approves, ao merges through the API, cleans up and
//! closes the issue. The test plays GitLab's part only where GitLab itself
//! would act (the MR for the pushed branch, pipeline results, reviews).

use crate::session_fixture::{Fixture, pushing_agent, wait_for};
use ao_tests::ao_binary::describe;
use ao_tests::fake_gitlab::TOKEN;
use ao_tests::{FakeGitLab, Reply};
use std::path::Path;
use std::time::Duration;

const REPO: &str = "acme/platform/web";

fn config(f: &Fixture, gl: &FakeGitLab, agent: &Path, extra_scm: &str) -> String {
    format!(
        "plugins:\n  gitlab:\n    grant: {{ http: [\"{host}\"], secrets: {{ GITLAB_TOKEN: {{}}, GITLAB_WEBHOOK_SECRET: {{ read: true }} }}, kv: true }}\n\
         \x20   limits: {{ httpTimeoutMs: 1500 }}\n\
         reactions:\n  approved-and-green: {{ action: auto-merge }}\n\
         projects:\n  web:\n    path: {path}\n    repo: {REPO}\n    sessionPrefix: web\n    agent: custom\n\
         \x20   agentConfig:\n      command: [sh, {agent}]\n\
         \x20   tracker: {{ plugin: gitlab, apiUrl: \"{api}\", inProgressLabel: Doing }}\n\
         \x20   scm: {{ plugin: gitlab, apiUrl: \"{api}\", cacheTtlMs: 0{extra_scm} }}\n",
        host = gl.host(),
        api = gl.api_url(),
        path = f.clone.display(),
        agent = agent.display(),
    )
}

#[test]
fn a_gitlab_issue_becomes_a_merged_mr_with_a_pipeline_and_review_and_the_issue_is_closed() {
    let gl = FakeGitLab::start();
    gl.add_project(REPO);
    gl.require_approvals(REPO, 1);
    let issue = gl.add_issue(
        REPO,
        "Fix the login redirect",
        "Users land on / after login.",
        &["bug"],
    );
    let mut f = Fixture::new("");
    f.extra_env.push(("GITLAB_TOKEN".into(), TOKEN.into()));
    let agent = f.env.dir.path().join("agent.sh");
    std::fs::write(&agent, pushing_agent("Work on GitLab issue #1")).unwrap();
    f.env.write_config(&config(&f, &gl, &agent, ""));

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
            .contains("Users land on / after login.")
    );
    // The issue is marked in progress when its session starts.
    assert!(
        gl.issue(REPO, issue)
            .unwrap()
            .labels
            .contains(&"Doing".to_string()),
        "{:?}",
        gl.issue(REPO, issue)
    );
    let mut daemon = f.start_daemon(1);
    let input = || {
        let s = session();
        std::fs::read_to_string(
            Path::new(s["workspacePath"].as_str().unwrap()).join(".agent-input.txt"),
        )
        .unwrap_or_default()
    };

    // The agent pushed; GitLab has the MR; its pipeline fails in `test`.
    wait_for("the agent's push", 20, || {
        f.origin_log("feat/issue-1").contains("agent: redirect fix")
    });
    let mr = gl.open_mr(REPO, "feat/issue-1", "Fix the login redirect");
    // GitLab has a bad moment: a hang, a 500, a 502 page, a rate limit.
    gl.fail_next(Reply::status(200).delay(Duration::from_secs(60)));
    gl.fail_next(Reply::status(500).body(r#"{"message":"500 Internal Server Error"}"#));
    gl.fail_next(Reply::status(502).body("<html>bad gateway</html>"));
    gl.rate_limit_next(1);
    // Once GitLab is back, the pipeline fails in `test`. (A job log that
    // cannot be read during an outage is left out of the message: the
    // job's name still reaches the agent.)
    wait_for("ao to ride out GitLab's bad moment", 30, || {
        gl.scripted_left() == 0
    });
    gl.set_job(REPO, mr, "lint", "success", "ok\n");
    gl.set_job(
        REPO,
        mr,
        "test",
        "failed",
        "$ cargo test\ntest redirect_after_login ... FAILED\nerror: test failed, to rerun pass `--lib`\n",
    );
    wait_for(
        &format!(
            "the pipeline failure to reach the agent; daemon log:\n{}",
            f.daemon_log()
        ),
        40,
        || input().contains("CI failed on your pull request"),
    );
    // The stand-in agent commits and pushes on the message's first line
    // before it reads the rest, so the quoted log arrives a moment later.
    wait_for("the end of the job's log in the agent's input", 20, || {
        input().contains("test redirect_after_login ... FAILED")
    });
    let told = input();
    assert!(
        told.contains("Failing: test"),
        "names the failing job: {told}"
    );
    wait_for("the agent's fix", 20, || {
        f.origin_log("feat/issue-1").contains("agent: make CI pass")
    });
    gl.push(REPO, mr);
    gl.set_job(REPO, mr, "lint", "success", "ok\n");
    gl.set_job(REPO, mr, "test", "success", "ok\n");

    // A reviewer requests changes in a thread; the agent gets the comment.
    wait_for("the pipeline to pass", 20, || session()["ci"] == "passing");
    let thread = gl.add_discussion(REPO, mr, "ana", ("README.md", 1), "please add docs");
    gl.request_changes(REPO, mr, "ana");
    wait_for(
        &format!(
            "the comments to reach the agent; daemon log:\n{}",
            f.daemon_log()
        ),
        30,
        || input().contains("please add docs"),
    );
    wait_for("the agent's docs", 20, || {
        f.origin_log("feat/issue-1").contains("agent: add docs")
    });
    gl.push(REPO, mr);
    gl.set_job(REPO, mr, "test", "success", "ok\n");
    gl.resolve_discussion(REPO, mr, &thread);
    gl.approve(REPO, mr, "ana");

    // Approved and green: ao merges through the API, cleans up, closes the issue.
    wait_for(
        &format!("the merge; daemon log:\n{}", f.daemon_log()),
        40,
        || session()["status"] == "merged",
    );
    assert_eq!(gl.mr(REPO, mr).unwrap().state, "merged");
    // Two writes: the issue is closed, then ao's note is added.
    wait_for("the issue to be closed with ao's note", 10, || {
        gl.issue(REPO, issue)
            .is_some_and(|i| i.state == "closed" && !i.notes.is_empty())
    });
    let closed = gl.issue(REPO, issue).unwrap();
    assert!(!closed.labels.contains(&"Doing".to_string()));
    let s = session();
    assert!(!Path::new(s["workspacePath"].as_str().unwrap()).exists());
    assert!(
        daemon.try_wait().unwrap().is_none(),
        "the daemon survived GitLab's failures"
    );
    assert!(f.ao(&["stop"]).status.success());
    daemon.wait().unwrap();
}

/// POSTs to the daemon; returns the status code.
fn post(port: u16, path: &str, headers: &[(&str, &str)], body: &str) -> u16 {
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
    text.split_whitespace()
        .nth(1)
        .unwrap_or("0")
        .parse()
        .unwrap_or(0)
}

#[test]
fn a_gitlab_pipeline_webhook_with_the_secret_token_wakes_the_loop_and_a_wrong_one_is_refused() {
    const SECRET: &str = "gl-hook-secret";
    let gl = FakeGitLab::start();
    gl.add_project(REPO);
    let issue = gl.add_issue(REPO, "Fix the login redirect", "", &[]);
    let mut f = Fixture::new("");
    f.extra_env.push(("GITLAB_TOKEN".into(), TOKEN.into()));
    f.extra_env
        .push(("GITLAB_WEBHOOK_SECRET".into(), SECRET.into()));
    let agent = f.env.dir.path().join("agent.sh");
    std::fs::write(&agent, pushing_agent("Work on GitLab issue #1")).unwrap();
    f.env.write_config(&config(
        &f,
        &gl,
        &agent,
        ", webhookSecret: GITLAB_WEBHOOK_SECRET",
    ));
    assert!(f.ao(&["spawn", &issue.to_string()]).status.success());
    wait_for("the agent's push", 20, || {
        f.origin_log("feat/issue-1").contains("agent: redirect fix")
    });

    // A 60 s cycle: only the webhook can bring the news quickly.
    let mut daemon = f.start_daemon(60);
    let info = f.env.dir.path().join("data/ao/daemon.json");
    wait_for("the daemon", 20, || info.exists());
    let port = serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&info).unwrap())
        .unwrap()["port"]
        .as_u64()
        .unwrap() as u16;
    std::thread::sleep(Duration::from_secs(2));
    let mr = gl.open_mr(REPO, "feat/issue-1", "Fix the login redirect");
    gl.set_job(REPO, mr, "test", "failed", "assertion failed\n");
    let body = serde_json::json!({
        "object_kind": "pipeline",
        "object_attributes": { "id": 1, "ref": "feat/issue-1", "sha": gl.mr(REPO, mr).unwrap().sha, "status": "failed" },
        "merge_request": { "iid": mr },
        "builds": [{ "name": "test", "status": "failed" }],
        "project": { "path_with_namespace": REPO }
    })
    .to_string();
    let hook = |token: &str| {
        post(
            port,
            "/api/webhooks/web",
            &[
                ("X-Gitlab-Event", "Pipeline Hook"),
                ("X-Gitlab-Event-UUID", "9f1c"),
                ("X-Gitlab-Token", token),
            ],
            &body,
        )
    };
    assert_eq!(hook("not-the-secret"), 401);
    assert_eq!(hook(SECRET), 202);
    let session = || {
        f.sessions()
            .into_iter()
            .find(|s| s["id"] == "web-1")
            .unwrap()
    };
    wait_for(
        "the pipeline failure to reach the agent after the webhook",
        15,
        || {
            let s = session();
            std::fs::read_to_string(
                Path::new(s["workspacePath"].as_str().unwrap()).join(".agent-input.txt"),
            )
            .is_ok_and(|t| t.contains("CI failed on your pull request"))
        },
    );
    assert!(f.ao(&["stop"]).status.success());
    daemon.wait().unwrap();
}

#[test]
fn doctor_says_whether_each_providers_token_works_and_its_server_answers() {
    let gl = FakeGitLab::start();
    gl.add_project(REPO);
    gl.add_issue(REPO, "An issue", "", &[]);
    let mut f = Fixture::new("");
    f.extra_env.push(("GITLAB_TOKEN".into(), TOKEN.into()));
    let agent = f.env.dir.path().join("agent.sh");
    std::fs::write(&agent, pushing_agent("unused")).unwrap();
    f.env.write_config(&config(&f, &gl, &agent, ""));
    let doctor = |f: &Fixture| {
        let out = f.ao(&["doctor", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", describe(&out)));
        (
            out.status.success(),
            v["checks"].as_array().unwrap().clone(),
        )
    };
    let find = |checks: &[serde_json::Value], name: &str| {
        checks
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no `{name}` check in {checks:?}"))
            .clone()
    };

    let (_, checks) = doctor(&f);
    for name in ["tracker gitlab (web)", "scm gitlab (web)"] {
        let check = find(&checks, name);
        assert_eq!(check["ok"], true, "{check}");
        assert!(
            check["detail"]
                .as_str()
                .unwrap()
                .contains("credentials accepted"),
            "{check}"
        );
    }
    // The quota GitLab reported on the way is shown too.
    let quota = find(&checks, "gitlab REST quota");
    assert!(
        quota["detail"].as_str().unwrap().contains("/2000 left"),
        "{quota}"
    );

    // A wrong token: a required check fails, naming the secret and where the scopes are.
    f.extra_env.retain(|(k, _)| k != "GITLAB_TOKEN");
    f.extra_env
        .push(("GITLAB_TOKEN".into(), "glpat-revoked".into()));
    let (ok, checks) = doctor(&f);
    assert!(!ok, "doctor fails when a provider rejects the token");
    let check = find(&checks, "tracker gitlab (web)");
    assert_eq!(check["ok"], false);
    assert!(
        check["detail"].as_str().unwrap().contains("GITLAB_TOKEN"),
        "{check}"
    );
    assert!(!check["detail"].as_str().unwrap().contains("glpat-revoked"));
    assert!(
        check["fix"]
            .as_str()
            .unwrap()
            .contains("docs/providers/gitlab.md"),
        "{check}"
    );

    // A server that is not there: said so, with what to check.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = closed.local_addr().unwrap();
    drop(closed);
    let text = config(&f, &gl, &agent, "").replace(&gl.host(), &gone.to_string());
    f.env.write_config(&text);
    let (ok, checks) = doctor(&f);
    assert!(!ok);
    let check = find(&checks, "scm gitlab (web)");
    assert_eq!(check["ok"], false, "{check}");
    assert!(check["fix"].as_str().unwrap().contains("apiUrl"), "{check}");
}
