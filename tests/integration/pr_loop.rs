//! The PR loop end to end with the local tracker and SCM: an issue file,
//! an agent that pushes, a CI command that fails until the agent fixes it,
//! a review asking for changes, approval, auto-merge and cleanup — all
//! driven by the daemon, with the agent woken by ao at each step and people
//! told through a webhook notifier (a real HTTP server on 127.0.0.1).

use crate::session_fixture::{Fixture, git, wait_for};
use ao_tests::FakeServer;
use ao_tests::ao_binary::describe;

/// Acts on what ao types: the task, a CI failure, review comments.
const PUSHING_AGENT: &str = r#"#!/bin/sh
printf 'agent> '
while IFS= read -r line; do
  printf '%s\n' "$line" >> .agent-input.txt
  case "$line" in
    *"Issue #1"*) echo "work" >> README.md; git add README.md; git commit -qm "agent: redirect fix"; git push -q -u origin HEAD 2>/dev/null; echo pushed;;
    *"CI failed"*) echo ok > fixed.txt; git add fixed.txt; git commit -qm "agent: make CI pass"; git push -q origin HEAD 2>/dev/null; echo fixed;;
    *"asked for changes"*) echo docs > docs.txt; git add docs.txt; git commit -qm "agent: add docs"; git push -q origin HEAD 2>/dev/null; echo addressed;;
  esac
  printf 'agent> '
done
"#;

#[test]
fn an_issue_becomes_a_merged_pr_through_ci_failure_review_and_auto_merge() {
    let receiver = FakeServer::start();
    let f = Fixture::new("");
    let agent = f.env.dir.path().join("pushing-agent.sh");
    std::fs::write(&agent, PUSHING_AGENT).unwrap();
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

    let mut daemon = {
        let mut cmd = f.env.command();
        cmd.env("AO_TMUX_SOCKET", "ao-test")
            .env("TMUX_TMPDIR", &f.tmux_dir)
            .env("AO_LOG", "warn,ao=info")
            .args(["start", "--port", "0", "--interval", "1"])
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(f.env.dir.path().join("daemon.log")).unwrap());
        cmd.spawn().unwrap()
    };

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
    let log = f.env.dir.path().join("daemon.log");
    wait_for(
        &format!(
            "the merge notification; daemon log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        ),
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
