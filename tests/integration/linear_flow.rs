//! Linear issues with GitHub pull requests (and GitLab merge requests),
//! through the real binary: the issue comes from (fake) Linear, the agent
//! pushes, the PR appears on (fake) GitHub, CI fails then passes, a
//! reviewer asks for changes then approves, ao auto-merges, cleans up, and
//! the Linear issue ends in a `completed` state with ao's comment. Failures of Linear (a wrong key, a missing
//! issue, 5xx and rate limits) are contained.

use crate::session_fixture::{Fixture, pushing_agent, wait_for};
use ao_tests::ao_binary::describe;
use ao_tests::fake_github::TOKEN;
use ao_tests::fake_linear::API_KEY;
use ao_tests::{FakeGitHub, FakeLinear, Reply};
use std::path::Path;
use std::time::{Duration, Instant};

const REPO: &str = "acme/web";

/// A fixture whose project takes issues from `lin` and PRs from `gh`.
fn fixture(lin: &FakeLinear, gh: &FakeGitHub) -> Fixture {
    let mut f = Fixture::new("");
    f.extra_env.push(("GITHUB_TOKEN".into(), TOKEN.into()));
    f.extra_env.push(("LINEAR_API_KEY".into(), API_KEY.into()));
    let agent = f.env.dir.path().join("agent.sh");
    std::fs::write(&agent, pushing_agent("Work on Linear issue ENG-1")).unwrap();
    f.env.write_config(&format!(
        "plugins:\n  github:\n    grant: {{ http: [\"{gh_host}\"], secrets: [GITHUB_TOKEN], kv: true }}\n\
         \x20   limits: {{ httpTimeoutMs: 1500 }}\n\
         \x20 linear:\n    grant: {{ http: [\"{lin_host}\"], secrets: [LINEAR_API_KEY], kv: true }}\n\
         \x20   limits: {{ httpTimeoutMs: 1500 }}\n\
         reactions:\n  approved-and-green: {{ action: auto-merge }}\n\
         projects:\n  web:\n    path: {path}\n    repo: {REPO}\n    sessionPrefix: web\n    agent: custom\n\
         \x20   agentConfig:\n      command: [sh, {agent}]\n\
         \x20   tracker: {{ plugin: linear, apiUrl: \"{lin_api}\", teamKey: ENG, workspace: acme }}\n\
         \x20   scm: {{ plugin: github, apiUrl: \"{gh_api}\", cacheTtlMs: 0 }}\n",
        gh_host = gh.host(),
        gh_api = gh.url(),
        lin_host = lin.host(),
        lin_api = lin.url(),
        path = f.clone.display(),
        agent = agent.display(),
    ));
    f
}

#[test]
fn a_linear_issue_becomes_a_merged_github_pr_and_the_issue_is_completed_with_a_comment() {
    let lin = FakeLinear::start();
    let issue = lin.add_issue(
        "Fix the login redirect",
        "Users land on / after login.",
        &["bug"],
    );
    assert_eq!(issue, "ENG-1");
    let gh = FakeGitHub::start();
    gh.add_repo(REPO);
    let f = fixture(&lin, &gh);

    let started = Instant::now();
    let out = f.ao(&["spawn", &issue]);
    assert!(out.status.success(), "{}", describe(&out));
    eprintln!("ao spawn ENG-1 (Linear prompt): {:?}", started.elapsed());
    let session = || {
        f.sessions()
            .into_iter()
            .find(|s| s["id"] == "web-1")
            .unwrap()
    };
    let prompt = session()["prompt"].as_str().unwrap().to_string();
    for needle in [
        "Fix the login redirect",
        "Users land on / after login.",
        "https://linear.app/acme/issue/ENG-1",
        "Labels: bug",
    ] {
        assert!(prompt.contains(needle), "missing {needle:?} in:\n{prompt}");
    }
    // Whatever branch the host chose (its own, or Linear's branchName).
    let branch = session()["branch"].as_str().unwrap().to_string();
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
    wait_for("the agent's push", 60, || {
        f.origin_log(&branch).contains("agent: redirect fix")
    });
    let pr = gh.open_pr(REPO, &branch, "ENG-1 Fix the login redirect");
    gh.set_pr_check(REPO, pr, "build", "completed", Some("failure"));
    wait_for(
        &format!(
            "the CI failure to reach the agent; daemon log:\n{}",
            daemon_log()
        ),
        60,
        || input().contains("CI failed on your pull request"),
    );
    wait_for("the agent's fix", 60, || {
        f.origin_log(&branch).contains("agent: make CI pass")
    });
    gh.push(REPO, pr);
    gh.set_pr_check(REPO, pr, "build", "completed", Some("success"));

    // A reviewer asks for changes; the agent addresses them.
    wait_for("CI to pass", 60, || session()["ci"] == "passing");
    let thread = gh.add_thread(REPO, pr, "ana", "README.md", 1, "please add docs");
    gh.add_review(REPO, pr, "ana", "CHANGES_REQUESTED", "see the thread");
    wait_for(
        &format!(
            "the comments to reach the agent; daemon log:\n{}",
            daemon_log()
        ),
        60,
        || input().contains("please add docs"),
    );
    wait_for("the agent's docs", 60, || {
        f.origin_log(&branch).contains("agent: add docs")
    });
    // Linear has a bad moment just when ao reads the issue to close it: a
    // rate limit with a short Retry-After and 500s, more than the plugin's
    // retries, so the first close fails and a later cycle closes it.
    lin.fail_next(Reply::status(429).header("retry-after", "1"));
    lin.fail_next(Reply::status(500).body("boom"));
    lin.fail_next(Reply::status(500).body("boom"));
    gh.push(REPO, pr);
    gh.set_pr_check(REPO, pr, "build", "completed", Some("success"));
    gh.resolve_thread(REPO, pr, &thread, true);
    gh.add_review(REPO, pr, "ana", "APPROVED", "");

    // Approved and green: ao merges on GitHub, cleans up, completes the Linear issue.
    let deadline = Instant::now() + Duration::from_secs(90);
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
    wait_for(
        &format!(
            "the Linear issue to be completed; daemon log:\n{}",
            daemon_log()
        ),
        45,
        || {
            // The plugin moves the issue, then comments: wait for both.
            lin.issue(&issue)
                .is_some_and(|i| i.state_type == "completed" && !i.comments.is_empty())
        },
    );
    let done = lin.issue(&issue).unwrap();
    assert_eq!(done.state_name, "Done");
    assert!(
        daemon_log().contains("cannot close issue ENG-1 yet (will retry)"),
        "the first close failed and a later cycle closed it:\n{}",
        daemon_log()
    );
    assert_eq!(done.comments.len(), 1, "{done:?}");
    assert!(done.comments[0].contains("merged"), "{done:?}");
    let s = session();
    assert!(!Path::new(s["workspacePath"].as_str().unwrap()).exists());
    assert_eq!(s["alive"], false);
    assert!(
        daemon.try_wait().unwrap().is_none(),
        "the daemon survived Linear's failures"
    );
    // Every request to Linear carried the key as Linear wants it.
    assert!(
        lin.requests()
            .iter()
            .all(|r| r.header("authorization") == Some(API_KEY))
    );
    // The request quota Linear reported is visible to the user.
    let doctor: serde_json::Value =
        serde_json::from_slice(&f.ao(&["doctor", "--json"]).stdout).unwrap();
    let quota = doctor["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "linear API requests quota")
        .cloned()
        .unwrap_or_else(|| panic!("a Linear quota check in {doctor}"));
    assert!(
        quota["detail"].as_str().unwrap().contains("/1500 left"),
        "{quota}"
    );
    assert!(f.ao(&["stop"]).status.success());
    daemon.wait().unwrap();
}

#[test]
fn linear_failures_on_spawn_are_clear_and_leave_no_session() {
    let lin = FakeLinear::start();
    let issue = lin.add_issue("Fix the login redirect", "Users land on /.", &[]);
    let gh = FakeGitHub::start();
    gh.add_repo(REPO);
    let mut f = fixture(&lin, &gh);

    // A wrong key: the message names the secret and where keys are made.
    f.extra_env.retain(|(k, _)| k != "LINEAR_API_KEY");
    f.extra_env
        .push(("LINEAR_API_KEY".into(), "lin_api_wrong".into()));
    let out = f.ao(&["spawn", &issue]);
    let text = describe(&out);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("LINEAR_API_KEY"), "{text}");
    assert!(text.contains("authentication failed"), "{text}");
    assert!(!text.contains("lin_api_wrong"), "{text}");
    eprintln!("wrong key: {text}");
    assert!(f.sessions().is_empty(), "no session is left behind");
    // No key at all: the same, named.
    f.extra_env.retain(|(k, _)| k != "LINEAR_API_KEY");
    let out = f.ao(&["spawn", &issue]);
    assert!(!out.status.success());
    assert!(
        describe(&out).contains("LINEAR_API_KEY"),
        "{}",
        describe(&out)
    );
    assert!(f.sessions().is_empty());

    // A missing issue: not found, named.
    f.extra_env.push(("LINEAR_API_KEY".into(), API_KEY.into()));
    let out = f.ao(&["spawn", "ENG-999"]);
    let text = describe(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("not found") && text.contains("ENG-999"),
        "{text}"
    );
    eprintln!("missing issue: {text}");
    assert!(f.sessions().is_empty());

    // The quota spent for an hour: rate-limited with the wait, not a crash.
    lin.set_rate_limit_remaining(0);
    let out = f.ao(&["spawn", &issue]);
    let text = describe(&out);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("rate limited"), "{text}");
    assert!(f.sessions().is_empty());
    lin.set_rate_limit_remaining(1000);

    // A 500 and a short rate limit on the read: retried, and the spawn goes on.
    lin.fail_next(Reply::status(500).body("boom"));
    lin.fail_next(Reply::status(429).header("retry-after", "1"));
    let out = f.ao(&["spawn", &issue]);
    assert!(out.status.success(), "{}", describe(&out));
    let sessions = f.sessions();
    assert_eq!(sessions.len(), 1);
    assert!(
        sessions[0]["prompt"]
            .as_str()
            .unwrap()
            .contains("Fix the login redirect")
    );
}

/// On spawn ao moves a Linear issue to a `started` state and names the
/// branch as Linear does (its `branchName`, which Linear's GitHub and GitLab
/// integrations link).
#[test]
fn spawning_a_linear_issue_moves_it_to_in_progress_on_linears_branch() {
    let lin = FakeLinear::start();
    let issue = lin.add_issue("Fix the login redirect", "", &[]);
    let gh = FakeGitHub::start();
    gh.add_repo(REPO);
    let f = fixture(&lin, &gh);
    let out = f.ao(&["spawn", &issue]);
    assert!(out.status.success(), "{}", describe(&out));
    let session = f.sessions().into_iter().next().unwrap();
    assert_eq!(session["branch"], "ao-bot/eng-1-fix-the-login-redirect");
    let now = lin.issue(&issue).unwrap();
    assert_eq!(
        (now.state_name.as_str(), now.state_type.as_str()),
        ("In Progress", "started")
    );
}

/// The other pairing teams have: Linear issues, GitLab merge requests. The
/// MR is found on Linear's branch name; a green, approved MR is merged and
/// the Linear issue completed.
#[test]
fn a_linear_issue_becomes_a_merged_gitlab_mr() {
    const PROJECT: &str = "acme/platform/web";
    let lin = FakeLinear::start();
    let issue = lin.add_issue("Fix the login redirect", "Users land on /.", &[]);
    let gl = ao_tests::FakeGitLab::start();
    gl.add_project(PROJECT);
    gl.require_approvals(PROJECT, 1);
    let mut f = Fixture::new("");
    f.extra_env
        .push(("GITLAB_TOKEN".into(), ao_tests::fake_gitlab::TOKEN.into()));
    f.extra_env.push(("LINEAR_API_KEY".into(), API_KEY.into()));
    let agent = f.env.dir.path().join("agent.sh");
    std::fs::write(&agent, pushing_agent("Work on Linear issue ENG-1")).unwrap();
    f.env.write_config(&format!(
        "plugins:\n  gitlab:\n    grant: {{ http: [\"{gl_host}\"], secrets: [GITLAB_TOKEN], kv: true }}\n\
         \x20 linear:\n    grant: {{ http: [\"{lin_host}\"], secrets: [LINEAR_API_KEY], kv: true }}\n\
         reactions:\n  approved-and-green: {{ action: auto-merge }}\n\
         projects:\n  web:\n    path: {path}\n    repo: {PROJECT}\n    sessionPrefix: web\n    agent: custom\n\
         \x20   agentConfig:\n      command: [sh, {agent}]\n\
         \x20   tracker: {{ plugin: linear, apiUrl: \"{lin_api}\", teamKey: ENG, workspace: acme }}\n\
         \x20   scm: {{ plugin: gitlab, apiUrl: \"{gl_api}\", cacheTtlMs: 0 }}\n",
        gl_host = gl.host(),
        gl_api = gl.api_url(),
        lin_host = lin.host(),
        lin_api = lin.url(),
        path = f.clone.display(),
        agent = agent.display(),
    ));
    let out = f.ao(&["spawn", &issue]);
    assert!(out.status.success(), "{}", describe(&out));
    let branch = f.sessions()[0]["branch"].as_str().unwrap().to_string();
    assert_eq!(branch, "ao-bot/eng-1-fix-the-login-redirect");
    let mut daemon = f.start_daemon(1);
    wait_for("the agent's push", 60, || {
        f.origin_log(&branch).contains("agent: redirect fix")
    });
    let mr = gl.open_mr(PROJECT, &branch, "Fix the login redirect");
    gl.set_job(PROJECT, mr, "test", "success", "ok\n");
    gl.approve(PROJECT, mr, "ana");
    wait_for(
        &format!("the merge; daemon log:\n{}", f.daemon_log()),
        30,
        || gl.mr(PROJECT, mr).is_some_and(|m| m.state == "merged"),
    );
    wait_for("the Linear issue to be completed", 15, || {
        lin.issue(&issue)
            .is_some_and(|i| i.state_type == "completed")
    });
    assert!(f.ao(&["stop"]).status.success());
    daemon.wait().unwrap();
}
