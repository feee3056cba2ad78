//! The PR loop end to end with the local tracker and SCM: an issue file,
//! an agent that pushes, a CI command that fails until the agent fixes it,
//! a review asking for changes, approval, auto-merge and cleanup — all
//! driven by the daemon, with the agent woken by ao at each step and people
//! told through a webhook notifier (a real HTTP server on 127.0.0.1).

use crate::session_fixture::{Fixture, git, pushing_agent, wait_for};
use ao_tests::FakeServer;
use ao_tests::ao_binary::describe;

#[test]
fn an_issue_becomes_a_merged_pr_through_ci_failure_review_and_auto_merge() {
    let receiver = FakeServer::start();
    let f = Fixture::new("");
    let agent = f.env.dir.path().join("pushing-agent.sh");
    std::fs::write(&agent, pushing_agent("Issue #1")).unwrap();
    let issues = f.clone.join(".ao/issues");
    std::fs::create_dir_all(&issues).unwrap();
    std::fs::write(
        issues.join("1.md"),
        "---\ntitle: Fix the login redirect\nlabels: [bug]\n---\nUsers land on / after login.\n",
    )
    .unwrap();
    f.env.write_config(&format!(
        "notifiers:\n  ops:\n    plugin: webhook\n    url: {url}\n    retries: 0\n\
         plugins:\n  webhook:\n    grant: {{ http: [\"{host}\"] }}\n\
         reactions:\n  approved-and-green: {{ action: auto-merge }}\n\
         projects:\n  web:\n    path: {path}\n    sessionPrefix: web\n    agent: custom\n\
         \x20   agentConfig:\n      command: [sh, {agent}]\n\
         \x20   scm: {{ plugin: local, ci: \"test -f fixed.txt\" }}\n",
        url = receiver.url("/ao"),
        host = receiver.host(),
        path = f.clone.display(),
        agent = agent.display(),
    ));

    let out = f.ao(&["issue", "ls"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Fix the login redirect"),
        "{}",
        describe(&out)
    );
    let out = f.ao(&["spawn", "1"]);
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

    // The push became PR #1; CI failed; the agent was told and fixed it.
    wait_for("CI to fail, the agent to fix it and CI to pass", 40, || {
        let s = session();
        s["prNumber"] == 1 && s["ci"] == "passing"
    });
    let input = std::fs::read_to_string(
        std::path::Path::new(session()["workspacePath"].as_str().unwrap()).join(".agent-input.txt"),
    )
    .unwrap();
    assert!(
        input.contains("CI failed on your pull request #1"),
        "{input}"
    );
    assert!(
        input.contains("test -f fixed.txt"),
        "names the failing command: {input}"
    );
    assert_eq!(session()["status"], "review_pending");

    // A person asks for changes; ao passes them to the agent, which pushes.
    let out = f.ao(&[
        "review",
        "web-1",
        "request-changes",
        "-m",
        "please add docs",
        "--author",
        "ana",
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    wait_for("the comments to reach the agent", 30, || {
        let workspace = session()["workspacePath"].as_str().unwrap().to_string();
        std::fs::read_to_string(std::path::Path::new(&workspace).join(".agent-input.txt"))
            .is_ok_and(|t| t.contains("ana: please add docs"))
    });
    wait_for("the fix for the review to be pushed", 30, || {
        git(&f.clone, &["fetch", "-q", "origin"]);
        git(&f.clone, &["log", "--format=%s", "origin/feat/issue-1"]).contains("agent: add docs")
    });

    // Approved and green: auto-merged into main, the session cleaned up.
    let out = f.ao(&["review", "web-1", "approve"]);
    assert!(out.status.success(), "{}", describe(&out));
    wait_for("the merge and the cleanup", 40, || {
        session()["status"] == "merged"
    });
    git(&f.clone, &["fetch", "-q", "origin"]);
    let main_log = git(&f.clone, &["log", "--format=%s", "origin/main"]);
    assert!(
        main_log.contains("Merge pull request #1 from feat/issue-1"),
        "{main_log}"
    );
    let files = git(&f.clone, &["ls-tree", "--name-only", "origin/main"]);
    assert!(
        files.contains("fixed.txt") && files.contains("docs.txt"),
        "{files}"
    );
    let s = session();
    assert_eq!(
        (s["prState"].as_str(), s["alive"].as_bool()),
        (Some("merged"), Some(false))
    );
    assert!(!std::path::Path::new(s["workspacePath"].as_str().unwrap()).exists());

    // People heard about it through the webhook.
    wait_for(
        &format!("the merge notification; daemon log:\n{}", f.daemon_log()),
        10,
        || {
            receiver
                .requests()
                .iter()
                .any(|r| r.json()["event"]["type"] == "merge.completed")
        },
    );
    assert!(f.ao(&["stop"]).status.success());
    daemon.wait().unwrap();
}

/// Pushes its task, retries CI failures without fixing them, and records
/// everything it is told.
const STUBBORN_AGENT: &str = r#"#!/bin/sh
printf 'agent> '
while IFS= read -r line; do
  printf '%s\n' "$line" >> .agent-input.txt
  case "$line" in
    *"Issue #1"*) echo "work" >> README.md; git add README.md; git commit -qm "agent: task 1"; git push -q -u origin HEAD 2>/dev/null;;
    *"Issue #2"*) echo ok > fixed.txt; git add fixed.txt; git commit -qm "agent: task 2"; git push -q -u origin HEAD 2>/dev/null;;
    *"CI failed"*) echo retry >> README.md; git add README.md; git commit -qm "agent: retry"; git push -q origin HEAD 2>/dev/null;;
  esac
  printf 'agent> '
done
"#;

/// What ao does when agents need people: the status says so (stuck,
/// needs input), people hear it once per occurrence, an agent that keeps
/// failing is escalated, bots' remarks reach the agent once, and people
/// hear when a project's sessions are all done.
#[test]
fn agents_that_need_people_are_shown_escalated_and_summed_up() {
    let receiver = FakeServer::start();
    let f = Fixture::new("");
    let agent = f.env.dir.path().join("stubborn-agent.sh");
    std::fs::write(&agent, STUBBORN_AGENT).unwrap();
    let issues = f.clone.join(".ao/issues");
    std::fs::create_dir_all(&issues).unwrap();
    for (n, title) in [(1, "Fix the footer"), (2, "Tidy the header")] {
        std::fs::write(
            issues.join(format!("{n}.md")),
            format!("---\ntitle: {title}\n---\nPlease.\n"),
        )
        .unwrap();
    }
    f.env.write_config(&format!(
        "notifiers:\n  ops:\n    plugin: webhook\n    url: {url}\n    retries: 0\n\
         plugins:\n  webhook:\n    grant: {{ http: [\"{host}\"] }}\n\
         reactions:\n  ci-failed: {{ escalateAfter: 1 }}\n  agent-stuck: {{ threshold: 4s }}\n\
         projects:\n  web:\n    path: {path}\n    sessionPrefix: web\n    agent: custom\n\
         \x20   agentConfig:\n      command: [sh, {agent}]\n      readyPatterns: [\"agent> $\"]\n\
         \x20   scm: {{ plugin: local, ci: \"test -f fixed.txt\" }}\n",
        url = receiver.url("/ao"),
        host = receiver.host(),
        path = f.clone.display(),
        agent = agent.display(),
    ));
    for args in [
        &["spawn", "1"][..],
        &["spawn", "2"],
        &["spawn", "--prompt", "Think about the roadmap"],
    ] {
        let out = f.ao(args);
        assert!(out.status.success(), "{}", describe(&out));
    }
    let session = |id: &str| f.sessions().into_iter().find(|s| s["id"] == id).unwrap();
    let told = |id: &str| {
        let workspace = session(id)["workspacePath"].as_str().unwrap().to_string();
        std::fs::read_to_string(std::path::Path::new(&workspace).join(".agent-input.txt"))
            .unwrap_or_default()
    };
    let notices = |kind: &str| {
        receiver
            .requests()
            .iter()
            .map(|r| r.json()["event"].clone())
            .filter(|e| e["type"] == kind)
            .collect::<Vec<_>>()
    };
    let mut daemon = f.start_daemon(1);

    // web-3 has no PR and sits at its prompt: stuck, and people hear it.
    wait_for("web-3 to be stuck", 30, || {
        session("web-3")["status"] == "stuck"
    });
    wait_for("the stuck notification", 10, || {
        notices("session.stuck")
            .iter()
            .any(|e| e["sessionId"] == "web-3")
    });
    // Its agent says it needs a person: that outranks idleness.
    let out = f.ao(&["report", "needs-input", "--session", "web-3"]);
    assert!(out.status.success(), "{}", describe(&out));
    wait_for("web-3 to need input", 10, || {
        session("web-3")["status"] == "needs_input"
    });
    wait_for("the needs-input notification", 10, || {
        !notices("session.needs_input").is_empty()
    });

    // web-1's CI fails, the agent is told once, fails again: people are told.
    wait_for("web-1's second CI failure to be escalated", 40, || {
        !notices("reaction.escalated").is_empty()
    });
    assert_eq!(
        told("web-1")
            .matches("CI failed on your pull request")
            .count(),
        1
    );
    assert_eq!(session("web-1")["status"], "ci_failed");

    // A bot comments on web-2's green PR: the agent hears it, once.
    wait_for("web-2's CI to pass", 30, || {
        session("web-2")["ci"] == "passing"
    });
    let out = f.ao(&[
        "review",
        "web-2",
        "comment",
        "-m",
        "unused import in header.rs",
        "--author",
        "lint[bot]",
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    wait_for("the bot's remark to reach web-2's agent", 20, || {
        told("web-2").contains("lint[bot]: unused import in header.rs")
    });
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(told("web-2").matches("Automated reviewers").count(), 1);
    assert_eq!(notices("reaction.escalated").len(), 1, "escalated once");

    // All three end: people get one summary.
    for id in ["web-1", "web-2", "web-3"] {
        let out = f.ao(&["session", "kill", id]);
        assert!(out.status.success(), "{}", describe(&out));
    }
    wait_for("the all-complete summary", 15, || {
        !notices("summary.all_complete").is_empty()
    });
    let summary = &notices("summary.all_complete")[0];
    assert!(
        summary["message"].as_str().unwrap().contains("3 killed"),
        "{summary}"
    );
    assert!(f.ao(&["stop"]).status.success());
    daemon.wait().unwrap();
}

/// `ao session claim-pr`: a fresh session takes over a killed session's
/// open PR (its branch checked out, the PR followed); a second claim is
/// refused naming the owner, and `--takeover` moves it.
#[test]
fn a_session_claims_an_open_pr_and_another_takes_it_over() {
    let f = Fixture::new("");
    let agent = f.env.dir.path().join("pushing-agent.sh");
    std::fs::write(&agent, pushing_agent("Issue #1")).unwrap();
    std::fs::create_dir_all(f.clone.join(".ao/issues")).unwrap();
    std::fs::write(
        f.clone.join(".ao/issues/1.md"),
        "---\ntitle: Fix the footer\n---\n",
    )
    .unwrap();
    f.env.write_config(&format!(
        "projects:\n  web:\n    path: {path}\n    sessionPrefix: web\n    agent: custom\n\
         \x20   agentConfig:\n      command: [sh, {agent}]\n",
        path = f.clone.display(),
        agent = agent.display(),
    ));
    let session = |id: &str| f.sessions().into_iter().find(|s| s["id"] == id).unwrap();
    let ok = |args: &[&str]| {
        let out = f.ao(args);
        assert!(out.status.success(), "{}", describe(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    ok(&["spawn", "1"]);
    let mut daemon = f.start_daemon(1);
    wait_for("web-1's PR", 30, || session("web-1")["prNumber"] == 1);
    assert!(f.ao(&["stop"]).status.success());
    daemon.wait().unwrap();
    ok(&["session", "kill", "web-1"]);

    ok(&["spawn", "--prompt", "Finish PR 1"]);
    let said = ok(&["session", "claim-pr", "1", "web-2"]);
    assert!(said.contains("web-2 now follows PR #1"), "{said}");
    let web2 = session("web-2");
    assert_eq!(
        (web2["prNumber"].as_i64(), web2["branch"].as_str()),
        (Some(1), Some("feat/issue-1"))
    );
    let workspace = std::path::PathBuf::from(web2["workspacePath"].as_str().unwrap());
    assert_eq!(
        git(&workspace, &["branch", "--show-current"]).trim(),
        "feat/issue-1"
    );
    assert!(git(&workspace, &["log", "--format=%s"]).contains("agent: redirect fix"));

    ok(&["spawn", "--prompt", "Also PR 1"]);
    let out = f.ao(&["session", "claim-pr", "1", "web-3"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("PR #1 belongs to web-2") && err.contains("--takeover"),
        "{err}"
    );
    let out = f.ao(&["session", "claim-pr", "feat/x", "web-3"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a PR number"),
        "{}",
        describe(&out)
    );

    let said = ok(&["session", "claim-pr", "local:web#1", "web-3", "--takeover"]);
    assert!(said.contains("taken over from web-2"), "{said}");
    let (web2, web3) = (session("web-2"), session("web-3"));
    assert!(
        web2["prNumber"].is_null() && web2["branch"].is_null(),
        "{web2}"
    );
    assert_eq!(web3["prNumber"], 1);
}
