//! Each real agent CLI (pinned in tests/agent-clis.lock, installed by
//! scripts/install-agent-clis) runs one non-interactive turn against the
//! scripted model server: it creates a file and edits another with its own
//! tools, runs a command, and prints the model's last words. Proves the
//! server and the offline setup in tests/support/agent_clis.rs work with
//! the real binaries before ao drives them.

use ao_tests::agent_clis::{self, Agent};
use ao_tests::model_server::{ModelServer, Script, Step};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Generous: the CLIs start slowly on a busy 2-core machine.
const TURN_TIMEOUT: Duration = Duration::from_secs(300);

#[test]
fn claude_code_headless_turn() {
    headless_turn(Agent::Claude);
}

#[test]
fn codex_headless_turn() {
    headless_turn(Agent::Codex);
}

#[test]
fn opencode_headless_turn() {
    headless_turn(Agent::OpenCode);
}

#[test]
fn gemini_cli_headless_turn() {
    headless_turn(Agent::Gemini);
}

#[test]
fn aider_headless_turn() {
    headless_turn(Agent::Aider);
}

#[test]
fn copilot_cli_headless_turn() {
    headless_turn(Agent::Copilot);
}

/// Every installed binary reports the pinned version.
#[test]
fn installed_clis_are_the_pinned_versions() {
    for agent in Agent::ALL {
        let home = tempfile::tempdir().unwrap();
        let out = Command::new(agent.binary())
            .arg("--version")
            .env("HOME", home.path())
            .env("COPILOT_AUTO_UPDATE", "false")
            .env("COPILOT_PKG_CACHE_HOME", agent_clis::copilot_cache())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let pinned = agent.pinned_version();
        assert!(
            text.contains(&pinned),
            "{agent:?} --version says {text:?}, tests/agent-clis.lock pins {pinned}: run scripts/install-agent-clis"
        );
    }
}

fn headless_turn(agent: Agent) {
    let name = agent.binary_name();
    let marker = format!("TASK-{name}");
    let finished = format!("Finished {marker}.");
    let mut steps = vec![
        Step::say(format!("Working on {marker}.")),
        Step::write_file("hello.txt", format!("hello from {name}\n")),
        Step::edit_file("notes.txt", "colour: red", "colour: blue"),
    ];
    // Aider shows suggested commands but runs none without a person's yes.
    let runs_commands = agent != Agent::Aider;
    if runs_commands {
        steps.push(Step::shell("echo ran > shell.txt"));
    }
    steps.push(Step::say(finished.clone()));
    let server = ModelServer::start(Script::new().on(&marker, steps));

    let home = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    let env = agent_clis::offline_env(agent, home.path(), &[repo.path()], &server);
    git(repo.path(), &env, &["init", "-q"]);
    std::fs::write(repo.path().join("notes.txt"), "colour: red\n").unwrap();
    git(repo.path(), &env, &["add", "notes.txt"]);
    git(repo.path(), &env, &["commit", "-qm", "notes"]);

    let prompt = format!("Please do {marker}.");
    let out_file = home.path().join("agent-output.txt");
    let (ok, output) = run(
        agent,
        &agent.headless_args(&prompt),
        repo.path(),
        &env,
        &out_file,
    );
    let context = || {
        format!(
            "{agent:?} ({}):\n{output}\nmodel server log:\n{}",
            if ok { "exited 0" } else { "failed" },
            server.summary()
        )
    };
    assert!(ok, "{}", context());

    let read = |file: &str| std::fs::read_to_string(repo.path().join(file)).unwrap_or_default();
    assert_eq!(
        read("hello.txt"),
        format!("hello from {name}\n"),
        "{}",
        context()
    );
    assert_eq!(read("notes.txt"), "colour: blue\n", "{}", context());
    if runs_commands {
        assert_eq!(read("shell.txt"), "ran\n", "{}", context());
    } else {
        // Aider commits its own edits.
        let log = git(repo.path(), &env, &["log", "--name-only", "--format=%s"]);
        assert!(log.contains("hello.txt"), "{log}\n{}", context());
    }
    assert!(output.contains(&finished), "{}", context());

    // The server saw the human's prompt, the tool results came back, and
    // the last answer to this prompt (side requests such as titles and
    // commit messages aside) was the script's last words.
    let turns = server.requests_containing(&marker);
    let last = turns
        .iter()
        .rfind(|r| !r.side)
        .unwrap_or_else(|| panic!("{}", context()));
    assert!(last.answered.contains(&finished), "{}", context());
    if runs_commands {
        assert!(last.tool_results.len() >= 3, "{}", context());
    }
    // No credential reaches the log.
    let log = serde_json::to_string(&server.requests()).unwrap();
    for (key, value) in &env {
        if key.ends_with("_KEY") {
            assert!(!log.contains(value.as_str()), "{key} was logged");
        }
    }
}

/// Runs the agent to completion (stdin closed), killing it after
/// TURN_TIMEOUT; returns whether it exited 0 and its output.
fn run(
    agent: Agent,
    args: &[String],
    dir: &Path,
    env: &[(String, String)],
    out_path: &Path,
) -> (bool, String) {
    let out = std::fs::File::create(out_path).unwrap();
    let mut child = Command::new(agent.binary())
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + TURN_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut output = std::fs::read_to_string(out_path).unwrap_or_default();
    if status.is_none() {
        output.push_str(&format!("\n[killed after {TURN_TIMEOUT:?}]"));
    }
    (status.is_some_and(|s| s.success()), output)
}

fn git(dir: &Path, env: &[(String, String)], args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
