//! The dashboard served by the daemon: in real headless Chromium against a
//! real daemon and tmux sessions run by a scripted agent (the board follows
//! `ao spawn` and a CI failure, the terminal is live both ways, kill works
//! from the page, an issue title with markup stays text), and its security
//! (token off loopback, CSRF, Host and Origin checks) over plain HTTP.

use crate::session_fixture::{Fixture, wait_for};
use ao_tests::AoEnv;
use ao_tests::ao_binary::describe;
use ao_tests::webdriver::{Browser, artifacts_dir, find_browser};
use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Stdio};
use std::time::Instant;

/// Pushes its work for issue 1 (so CI runs, and fails: nothing makes
/// fixed.txt), answers `ping-X` with `pong-X`, and records every line.
const AGENT: &str = r#"#!/bin/sh
printf 'agent> '
while IFS= read -r line; do
  printf '%s\n' "$line" >> .agent-input.txt
  case "$line" in
    *"Issue #1"*) echo "work" >> README.md; git add README.md; git commit -qm "agent: work"; git push -q -u origin HEAD 2>/dev/null; echo pushed;;
    ping-*) echo "pong-${line#ping-}";;
  esac
  printf 'agent> '
done
"#;

/// Markup that would run if the page ever put text in as HTML.
const HOSTILE_TITLE: &str =
    r#"<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> Fix the login"#;

fn start_daemon(f: &Fixture, extra: &[&str]) -> (Child, u16) {
    let mut cmd = f.env.command();
    cmd.env("AO_TMUX_SOCKET", "ao-test")
        .env("TMUX_TMPDIR", &f.tmux_dir)
        .env("AO_LOG", "warn,ao=info")
        .args(["start", "--port", "0", "--interval", "1"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(f.env.dir.path().join("daemon.log")).unwrap());
    let child = cmd.spawn().unwrap();
    (child, port_of(&f.env))
}

fn port_of(env: &AoEnv) -> u16 {
    let info = env.dir.path().join("data/ao/daemon.json");
    let mut port = 0;
    wait_for("the daemon to listen", 60, || {
        let v: serde_json::Value = std::fs::read_to_string(&info)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        port = v["port"].as_u64().unwrap_or(0) as u16;
        port != 0
    });
    port
}

#[test]
fn the_board_session_page_and_terminal_in_a_real_browser() {
    let Some((chromium, chromedriver)) = find_browser() else {
        let message = "!!!!! SKIPPED: chromium and chromedriver are not installed; \
                       `apt-get install -y chromium chromium-driver` to run the browser tests !!!!!";
        assert!(
            std::env::var_os("AO_REQUIRE_BROWSER").is_none(),
            "{message} (AO_REQUIRE_BROWSER is set)"
        );
        eprintln!("{message}");
        return;
    };
    let f = Fixture::new("");
    let agent = f.env.dir.path().join("dash-agent.sh");
    std::fs::write(&agent, AGENT).unwrap();
    let issues = f.clone.join(".ao/issues");
    std::fs::create_dir_all(&issues).unwrap();
    std::fs::write(
        issues.join("1.md"),
        format!("---\ntitle: '{HOSTILE_TITLE}'\n---\nUsers land on / after login.\n"),
    )
    .unwrap();
    f.env.write_config(&format!(
        "projects:\n  web:\n    path: {path}\n    sessionPrefix: web\n    agent: custom\n\
         \x20   agentConfig:\n      command: [sh, {agent}]\n\
         \x20   scm: {{ plugin: local, ci: \"test -f fixed.txt\" }}\n\
         reactions:\n  ci-failed: {{ action: notify }}\n",
        path = f.clone.display(),
        agent = agent.display(),
    ));
    let (mut daemon, port) = start_daemon(&f, &[]);
    let base = format!("http://127.0.0.1:{port}");
    let browser = Browser::start(&chromium, &chromedriver, 1280, 900);
    browser.goto(&format!("{base}/"));
    browser.wait_until(
        "the board's live stream",
        10,
        "return document.getElementById('conn').textContent === 'live' && !!document.getElementById('need-count')",
        "return document.body.innerText",
    );

    // A new session shows within a second of `ao spawn` returning.
    let out = f.ao(&["spawn", "1"]);
    assert!(out.status.success(), "{}", describe(&out));
    let seen = browser.wait_until(
        "the new session's card",
        5,
        "return !!document.querySelector('[data-session=\"web-1\"]')",
        "return document.getElementById('board').innerText",
    );
    eprintln!(
        "board showed web-1 {} ms after `ao spawn` returned",
        seen.as_millis()
    );
    assert!(seen.as_millis() < 1000, "took {seen:?}");

    // The hostile title is text: shown as typed, nothing ran, no elements made.
    let title = browser.eval(
        "const c = document.querySelector('[data-session=\"web-1\"]');
         return { text: c.querySelector('.title').textContent, imgs: c.querySelectorAll('img, script').length,
                  pwned: window.__pwned === undefined ? null : window.__pwned };",
        json!([]),
    );
    assert_eq!(title["text"], HOSTILE_TITLE, "{title}");
    assert_eq!(title["imgs"], 0, "{title}");
    assert_eq!(title["pwned"], serde_json::Value::Null, "{title}");

    // The push became a PR whose CI fails: the card moves to `review`.
    browser.wait_until(
        "the CI failure to move the card to review",
        60,
        "const c = document.querySelector('[data-session=\"web-1\"]'); return !!c && c.dataset.zone === 'review'",
        "return document.getElementById('board').innerText",
    );
    browser.wait_until(
        "the tab title to count it",
        5,
        "return document.title.startsWith('(1)')",
        "return document.title",
    );
    // The CLI's JSON has the same shape, zone included.
    let out = f.ao(&["status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["sessions"][0]["zone"], "review", "{status}");
    browser.screenshot(&artifacts_dir().join("dashboard-board.png"));

    // The session page: status, PR card, live terminal both ways.
    browser.goto(&format!("{base}/#/s/web-1"));
    browser.wait_until(
        "the session page and its terminal",
        15,
        "const t = document.getElementById('terminal');
         return !!document.getElementById('session-title') && !!t && t.dataset.state === 'live'
                && document.querySelector('.pr-card') !== null",
        "return document.getElementById('main').innerText",
    );
    let page_title = browser.eval(
        "return document.getElementById('session-title').textContent",
        json!([]),
    );
    assert_eq!(page_title, HOSTILE_TITLE);
    browser.click(".xterm");
    browser.keys("ping-4711\u{E007}");
    browser.wait_until(
        "the agent's answer in the terminal",
        10,
        "return document.querySelector('.xterm-rows').textContent.includes('pong-4711')",
        "return document.querySelector('.xterm-rows').textContent",
    );
    let workspace = f.sessions()[0]["workspacePath"]
        .as_str()
        .unwrap()
        .to_string();
    let typed = std::fs::read_to_string(std::path::Path::new(&workspace).join(".agent-input.txt"))
        .unwrap_or_default();
    assert!(typed.contains("ping-4711"), "{typed}");
    browser.screenshot(&artifacts_dir().join("dashboard-session.png"));

    // The PR queue lists it; the spawn form starts another session.
    browser.goto(&format!("{base}/#/prs"));
    browser.wait_until(
        "the PR queue",
        5,
        "const r = document.querySelector('#prs tr[data-session=\"web-1\"]'); return !!r && r.textContent.includes('#1')",
        "return document.getElementById('main').innerText",
    );
    browser.goto(&format!("{base}/#/spawn"));
    browser.wait_until(
        "the spawn form's projects",
        5,
        "return document.querySelectorAll('#spawn-project option').length === 1",
        "return document.getElementById('main').innerText",
    );
    browser.click("#spawn-prompt");
    browser.keys("Write the changelog");
    browser.click(".spawn button[type=submit]");
    wait_for("the spawn form's session", 30, || {
        f.sessions().iter().any(|s| {
            s["id"] == "web-2"
                && s["prompt"]
                    .as_str()
                    .is_some_and(|p| p.contains("Write the changelog"))
        })
    });
    browser.goto(&format!("{base}/#/s/web-1"));
    browser.wait_until(
        "the session page again",
        15,
        "const t = document.getElementById('terminal'); return !!document.querySelector('#kill') && !!t && t.dataset.state === 'live'",
        "return document.getElementById('main').innerText",
    );

    // Kill from the page (the button asks twice).
    browser.click("#kill");
    browser.click("#kill");
    wait_for("the session to be killed", 15, || {
        f.sessions()
            .iter()
            .any(|s| s["id"] == "web-1" && s["status"] == "killed")
    });
    browser.wait_until(
        "the page to show it ended",
        5,
        "const b = document.querySelector('.status-line .badge'); return !!b && b.textContent === 'killed'",
        "return document.getElementById('main').innerText",
    );

    drop(browser);
    let out = f.ao(&["stop"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(daemon.wait().unwrap().success());
}

/// One HTTP/1.1 request; returns (status, head, body).
fn http(port: u16, request: &str) -> (u16, String, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

fn get(port: u16, path: &str, headers: &str) -> (u16, String, String) {
    http(
        port,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}Connection: close\r\n\r\n"
        ),
    )
}

fn post(port: u16, path: &str, headers: &str, body: &str) -> (u16, String, String) {
    http(
        port,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}Content-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

#[test]
fn the_api_refuses_cross_site_requests_and_requires_a_token_off_loopback() {
    let env = AoEnv::new();
    let daemon = |args: &[&str]| -> (Child, String) {
        let mut child = env
            .command()
            .args(["start", "--port", "0", "--interval", "1"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        (child, line)
    };

    // Loopback: no token, but only loopback host names and same-site writes.
    let (mut child, banner) = daemon(&[]);
    assert!(banner.contains("http://127.0.0.1:"), "{banner}");
    let port = port_of(&env);
    let (status, _, body) = get(port, "/api/board", "");
    assert_eq!(status, 200, "{body}");
    let board: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(board["zones"][0], "respond");
    assert!(board["sessions"].as_array().unwrap().is_empty());
    let (status, _, body) = http(
        port,
        "GET /api/board HTTP/1.1\r\nHost: rebound.example:80\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 421, "a DNS-rebinding host name: {body}");
    let (status, _, body) = post(port, "/api/spawn", "", r#"{"prompt":"x"}"#);
    assert_eq!(status, 403, "no CSRF header: {body}");
    assert!(body.contains("X-AO-CSRF"), "{body}");
    let (status, _, body) = post(
        port,
        "/api/spawn",
        "X-AO-CSRF: 1\r\nOrigin: http://evil.example\r\n",
        r#"{"prompt":"x"}"#,
    );
    assert_eq!(status, 403, "another origin: {body}");
    let (status, _, _) = get(
        port,
        "/api/sessions/web-1/terminal",
        "Origin: http://evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
    );
    assert_eq!(status, 403, "a cross-site WebSocket");
    // Same-site, with the header: reaches the command (which has no project).
    let (status, _, body) = post(
        port,
        "/api/sessions/web-9/kill",
        &format!("X-AO-CSRF: 1\r\nOrigin: http://127.0.0.1:{port}\r\n"),
        "{}",
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("web-9"), "{body}");
    let (status, head, page) = get(port, "/", "");
    assert_eq!(status, 200);
    assert!(
        head.contains("script-src 'self'"),
        "a CSP without inline script: {head}"
    );
    assert!(page.contains("/assets/app.js"));
    assert!(env.run(&["stop"]).status.success());
    assert!(child.wait().unwrap().success());

    // Any other address: a token is made, printed, and required.
    let (mut child, banner) = daemon(&["--bind", "0.0.0.0"]);
    let token = banner
        .split("?token=")
        .nth(1)
        .map(|t| t.split_whitespace().next().unwrap().to_string())
        .unwrap_or_else(|| panic!("no token printed: {banner}"));
    assert!(token.len() >= 32, "{token}");
    let port = port_of(&env);
    for path in ["/api/board", "/api/sessions", "/api/board/stream", "/"] {
        let (status, _, body) = get(port, path, "");
        assert_eq!(status, 401, "{path} without the token: {body}");
    }
    let (status, _, _) = get(
        port,
        "/api/board",
        "Authorization: Bearer wrong-token-1234567\r\n",
    );
    assert_eq!(status, 401);
    let (status, _, _) = post(port, "/api/spawn", "X-AO-CSRF: 1\r\n", r#"{"prompt":"x"}"#);
    assert_eq!(status, 401, "a write without the token");
    let (status, _, body) = get(
        port,
        "/api/board",
        &format!("Authorization: Bearer {token}\r\n"),
    );
    assert_eq!(status, 200, "{body}");
    // The printed address trades the token for a cookie.
    let (status, head, _) = get(port, &format!("/?token={token}"), "");
    assert_eq!(status, 303, "{head}");
    assert!(
        head.contains("HttpOnly") && head.contains("SameSite=Strict"),
        "{head}"
    );
    let (status, _, _) = get(port, "/api/board", &format!("Cookie: ao_token={token}\r\n"));
    assert_eq!(status, 200);
    assert!(env.run(&["stop"]).status.success());
    assert!(child.wait().unwrap().success());
}

#[test]
fn the_board_stream_sends_the_whole_board_on_connect() {
    let env = AoEnv::new();
    let mut child = env
        .command()
        .args(["start", "--port", "0", "--interval", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let port = port_of(&env);
    let started = Instant::now();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET /api/board/stream HTTP/1.1\r\nHost: localhost:{port}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(s);
    let mut data = None;
    let mut line = String::new();
    while data.is_none() && reader.read_line(&mut line).unwrap() > 0 {
        if let Some(d) = line.strip_prefix("data: ") {
            data = Some(d.trim().to_string());
        }
        line.clear();
    }
    let board: serde_json::Value = serde_json::from_str(&data.unwrap()).unwrap();
    assert!(board["sessions"].is_array(), "{board}");
    assert!(started.elapsed().as_secs() < 5);
    assert!(env.run(&["stop"]).status.success());
    assert!(child.wait().unwrap().success());
}
