//! A small W3C WebDriver client for headless Chromium through chromedriver
//! (Debian's `chromium` and `chromium-driver`): enough to open pages, run
//! script, click, type and take screenshots.

use base64::Engine;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The element key of the W3C protocol.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where Chromium and its driver are, if installed.
pub fn find_browser() -> Option<(PathBuf, PathBuf)> {
    let which = |names: &[&str]| {
        names.iter().find_map(|name| {
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
    };
    let browser = which(&["chromium", "chromium-browser", "google-chrome"])?;
    let driver = which(&["chromedriver"])?;
    Some((browser, driver))
}

/// A chromedriver process and one headless browser session.
pub struct Browser {
    driver: Child,
    base: String,
    agent: ureq::Agent,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.agent.delete(&self.base).call();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium of `width` x `height`.
    pub fn start(browser: &Path, driver: &Path, width: u32, height: u32) -> Browser {
        let port = free_port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let root = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = agent
                .get(format!("{root}/status"))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_to_string().ok())
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": browser.display().to_string(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--no-first-run",
                    format!("--window-size={width},{height}"),
                ],
            },
        }}});
        let mut response = agent
            .post(format!("{root}/session"))
            .content_type("application/json")
            .send(caps.to_string())
            .expect("new WebDriver session");
        let v: Value =
            serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        let id = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {v}"))
            .to_string();
        Browser {
            driver: child,
            base: format!("{root}/session/{id}"),
            agent,
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let mut response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            (_, body) => self
                .agent
                .post(&url)
                .content_type("application/json")
                .send(body.unwrap_or_else(|| json!({})).to_string()),
        }
        .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        let status = response.status();
        let v: Value = response
            .body_mut()
            .read_to_string()
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        assert!(status.is_success(), "WebDriver {method} {path}: {v}");
        v["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    /// Runs `script` (a function body; `arguments` are `args`) and returns
    /// its value.
    pub fn eval(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// The first element matching `css`.
    pub fn find(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        );
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element for {css}: {v}"))
            .to_string()
    }

    /// Clicks the element, scrolled to the middle of the window first (a
    /// sticky header must not take the click).
    pub fn click(&self, css: &str) {
        let id = self.find(css);
        self.eval(
            "arguments[0].scrollIntoView({ block: 'center' })",
            json!([{ ELEMENT: id }]),
        );
        self.call("POST", &format!("/element/{id}/click"), None);
    }

    /// Types `text` into the element (WebDriver key codes allowed, e.g.
    /// `\u{E007}` for Enter).
    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        );
    }

    /// Types `text` into whatever has the focus, key by key, as a person
    /// would (`\u{E007}` is Enter).
    pub fn keys(&self, text: &str) {
        let actions: Vec<serde_json::Value> = text
            .chars()
            .flat_map(|c| {
                [
                    json!({ "type": "keyDown", "value": c.to_string() }),
                    json!({ "type": "keyUp", "value": c.to_string() }),
                ]
            })
            .collect();
        self.call(
            "POST",
            "/actions",
            Some(json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] })),
        );
    }

    /// Polls `script` until it returns true; panics after `secs` with
    /// `what` and the page's last value of `debug` (a script).
    pub fn wait_until(&self, what: &str, secs: u64, script: &str, debug: &str) -> Duration {
        let started = Instant::now();
        loop {
            if self.eval(script, json!([])) == Value::Bool(true) {
                return started.elapsed();
            }
            if started.elapsed() > Duration::from_secs(secs) {
                let seen = self.eval(debug, json!([]));
                panic!("timed out after {secs} s waiting for {what}; the page shows: {seen}");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Saves a PNG screenshot of the page to `path`.
    pub fn screenshot(&self, path: &Path) {
        let v = self.call("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }
}

/// Where tests keep artifacts (screenshots): `$AO_ARTIFACTS`, else
/// `<target>/artifacts`.
pub fn artifacts_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("AO_ARTIFACTS") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().unwrap();
    // <target>/release/deps/<test> or <target>/release/<bin>
    exe.ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "release"))
        .and_then(Path::parent)
        .map(|t| t.join("artifacts"))
        .unwrap_or_else(|| std::env::temp_dir().join("ao-artifacts"))
}
