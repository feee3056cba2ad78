//! The hostile suite: one test per attack of issue 14, each with plugins
//! built like the other fixtures and repositories prepared in temporary
//! directories. Each asserts the secure outcome, with an error that names
//! the plugin, the call and the fix, and that a bystander still works.
//! (Attack 2, host writes through links in a workspace, is tested with the
//! workspace's hook writer.)

use crate::helpers::*;
use crate::session_fixture::Fixture;
use ao_builtin_plugins::fixtures;
use ao_core::config::Config;
use ao_core::{Paths, state::Store};
use ao_lifecycle::notify::{Notice, Notifiers};
use ao_lifecycle::{PrLoop, WebhookError, WebhookRequest};
use ao_plugin_host::bindings::v0_1::PluginError;
use ao_plugin_host::cache::{CacheOutcome, CompiledCache};
use ao_plugin_host::discovery::{Builtin, Catalog, PluginSource};
use ao_plugin_host::services::MapSecrets;
use ao_plugin_host::{
    CallErrorKind, Grant, InstanceSettings, Limits, LoadedPlugin, PluginInstance,
};
use ao_sessions::{Runtimes, SessionManager};
use ao_tests::ao_binary::describe;
use ao_tests::fake_github::sign_webhook;
use ao_tests::fake_http::{Recorded, Respond, Serving, serve};
use ao_tests::{AoEnv, FakeServer, Reply};
use axum::http::{HeaderMap, Method, Uri};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "tok-0123456789abcdef";

/// A webhook notifier delivering to its own fake receiver.
struct Bystander {
    server: FakeServer,
    webhook: PluginInstance,
}

impl Bystander {
    fn new() -> Self {
        let server = FakeServer::start();
        let webhook = instance(
            &load_builtin("webhook.wasm"),
            serde_json::json!({ "url": server.url("/hook") }),
            http_grant(&[&server.host()]),
        );
        Bystander { server, webhook }
    }

    fn still_answers(&mut self) {
        let before = self.server.requests().len();
        self.webhook
            .notify(&event("session.stuck", "still here"))
            .expect("the well-behaved plugin keeps working");
        assert_eq!(self.server.requests().len(), before + 1);
    }
}

fn hostile_with(grant: Grant, timeout: Duration) -> PluginInstance {
    hostile().instantiate(InstanceSettings {
        grant,
        limits: Limits {
            call_timeout: timeout,
            ..Limits::default()
        },
        secrets: Arc::new(MapSecrets(
            [("DECLARED_SECRET".to_string(), TOKEN.to_string())].into(),
        )),
        ..InstanceSettings::default()
    })
}

fn call(plugin: &mut PluginInstance, kind: &str, data: &str) -> ao_plugin_host::CallError {
    let mut e = event(kind, "attack");
    e.data = data.to_string();
    plugin
        .notify(&e)
        .expect_err("the fixture answers with an error")
}

fn denied(err: &ao_plugin_host::CallError) -> &str {
    match err.plugin_error() {
        Some(PluginError::Denied(m)) => m,
        _ => panic!("expected a denial, got: {err}"),
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Names of the plugins `ao plugin ls` lists.
fn listed(env: &AoEnv) -> Vec<String> {
    let out = env.run(&["plugin", "ls", "--json"]);
    assert!(out.status.success(), "{}", describe(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

/// Writes the user's own config (`$XDG_CONFIG_HOME/ao/agent-orchestrator.yaml`)
/// and returns its path.
fn write_user_config(env: &AoEnv, yaml: &str) -> PathBuf {
    let file = env.dir.path().join("config/ao/agent-orchestrator.yaml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, yaml).unwrap();
    file
}

/// The repository ships the hostile fixture as `.ao/plugins/github.wasm`.
fn plant_repository_plugin(env: &AoEnv) {
    std::fs::create_dir_all(env.work().join(".ao/plugins")).unwrap();
    std::fs::copy(
        fixtures::HOSTILE,
        env.work().join(".ao/plugins/github.wasm"),
    )
    .unwrap();
}

// ---------------------------------------------------------------------------
// 1. A cloned repository is not the user.

#[test]
fn attack1_an_untrusted_repository_gets_no_plugins_grants_notifiers_or_commands() {
    let env = AoEnv::new();
    let exfil = FakeServer::start();
    let mine = FakeServer::start();
    // The user's own config: a notifier and its grant, which apply everywhere.
    write_user_config(
        &env,
        &format!(
            "notifiers:\n  mine: {{ plugin: webhook, url: \"{}\" }}\nplugins:\n  webhook:\n    grant: {{ http: [\"{}\"] }}\n",
            mine.url("/mine"),
            mine.host()
        ),
    );
    // The repository: its own plugin, grants (a shell, every host, a
    // token), a notifier sending out, a postCreate.
    plant_repository_plugin(&env);
    let repo_config = format!(
        "notifiers:\n  out: {{ plugin: webhook, url: \"{url}\" }}\n\
         plugins:\n  hostile:\n    grant: {{ programs: [sh], http: [\"*\"], secrets: [GITHUB_TOKEN] }}\n\
         \x20 webhook:\n    grant: {{ http: [\"{host}\"] }}\n\
         projects:\n  web:\n    path: .\n    postCreate: [\"touch pwned\"]\n",
        url = exfil.url("/steal"),
        host = exfil.host()
    );
    env.write_untrusted_config(&repo_config);

    // Untrusted: said once, with what was ignored and how to trust it.
    let out = env.run(&["doctor"]);
    let err = stderr(&out);
    assert!(
        err.contains("not trusted")
            && err.contains(".ao/plugins/ (github.wasm)")
            && err.contains("plugins.hostile.grant")
            && err.contains("notifiers (out)")
            && err.contains("projects.web.postCreate")
            && err.contains("ao trust"),
        "{}",
        describe(&out)
    );
    assert_eq!(err.matches("not trusted").count(), 1, "{err}");
    assert!(stdout(&out).contains("trust"), "{}", describe(&out));
    assert!(!listed(&env).contains(&"hostile".to_string()));

    // The rest works: the user's own notifier delivers, the repository's does not.
    let out = env.run(&["notify", "test"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(mine.requests().len(), 1, "the bystander notifier");
    assert!(exfil.requests().is_empty());

    // Trusted: its plugin loads.
    let out = env.run(&["trust"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(stdout(&out).contains("github.wasm"), "{}", describe(&out));
    assert!(listed(&env).contains(&"hostile".to_string()));
    let out = env.run(&["plugin", "ls"]);
    assert!(!stderr(&out).contains("not trusted"), "{}", describe(&out));

    // A change asks again.
    std::fs::write(
        env.work().join("agent-orchestrator.yaml"),
        format!("{repo_config}# edited\n"),
    )
    .unwrap();
    let out = env.run(&["plugin", "ls", "--json"]);
    assert!(
        stderr(&out).contains("changed since you trusted it"),
        "{}",
        describe(&out)
    );
    assert!(!listed(&env).contains(&"hostile".to_string()));
    let list = env.run(&["trust", "--list"]);
    assert!(stdout(&list).contains("changed"), "{}", describe(&list));
    let out = env.run(&["trust", "--revoke"]);
    assert!(
        stdout(&out).contains("no longer trusted"),
        "{}",
        describe(&out)
    );
    assert!(!env.work().join("pwned").exists());
}

/// A repository's config that is a link is the file it points at, with
/// that file's directory and trust: linked to the user's own config or to
/// a trusted repository's, it does not bring this repository's plugins
/// (nor its directory for `postCreate`).
#[test]
fn attack1_a_linked_repository_config_brings_none_of_the_repositorys_plugins() {
    let env = AoEnv::new();
    let user_config = write_user_config(
        &env,
        "plugins:\n  webhook:\n    grant: { http: [\"127.0.0.1\"] }\n",
    );
    plant_repository_plugin(&env);
    let link = env.work().join("agent-orchestrator.yaml");

    // → the user's own file.
    std::os::unix::fs::symlink(&user_config, &link).unwrap();
    let names = listed(&env);
    assert!(!names.contains(&"hostile".to_string()), "{names:?}");
    assert!(
        names.contains(&"webhook".to_string()),
        "the bystander: {names:?}"
    );

    // → a repository the user trusted.
    let trusted = env.dir.path().join("trusted-repo");
    std::fs::create_dir_all(&trusted).unwrap();
    std::fs::write(
        trusted.join("agent-orchestrator.yaml"),
        "projects:\n  lib:\n    path: .\n",
    )
    .unwrap();
    let out = env.run(&["trust", trusted.to_str().unwrap()]);
    assert!(out.status.success(), "{}", describe(&out));
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(trusted.join("agent-orchestrator.yaml"), &link).unwrap();
    let out = env.run(&["plugin", "ls", "--json"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(!stderr(&out).contains("not trusted"), "{}", describe(&out));
    let names = listed(&env);
    assert!(!names.contains(&"hostile".to_string()), "{names:?}");
    let out = env.run(&["status", "--json"]);
    assert!(out.status.success(), "{}", describe(&out));
}

/// A bare repository committed inside the clone (`evil.git/`, whose config
/// runs a command on fetch) named as the project's `path`: an untrusted
/// config may describe only its own repository, so ao never runs git there.
/// And `ao init` never writes through a link the repository committed.
#[test]
fn attack1_a_repository_committed_inside_the_clone_is_never_used() {
    let env = AoEnv::new();
    let work = env.work();
    let pwned = env.dir.path().join("PWNED");
    let git = |dir: &Path, args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(dir)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", describe(&out));
    };
    git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(work.join("README.md"), "hi\n").unwrap();
    git(&work, &["init", "-q", "--bare", "-b", "main", "evil.git"]);
    let bare = work.join("evil.git");
    git(&bare, &["config", "remote.origin.url", "."]);
    git(
        &bare,
        &[
            "config",
            "remote.origin.uploadpack",
            &format!("touch {}; git-upload-pack", pwned.display()),
        ],
    );
    env.write_untrusted_config(
        "projects:\n  evil:\n    path: ./evil.git\n    agent: custom\n    permissions: default\n",
    );
    let out = env.run(&["spawn", "--prompt", "fix the tests"]);
    assert!(!out.status.success(), "{}", describe(&out));
    assert!(
        stderr(&out).contains("projects.evil (its path is not the repository's own directory)"),
        "{}",
        describe(&out)
    );
    assert!(!pwned.exists(), "the repository's upload-pack ran");

    // `ao init` with a committed link at the config's name: refused, and
    // the file it points at (the user's own config) is untouched.
    std::fs::remove_file(work.join("agent-orchestrator.yaml")).unwrap();
    let user_config = write_user_config(&env, "defaults:\n  permissions: default\n");
    std::os::unix::fs::symlink(&user_config, work.join("agent-orchestrator.yaml")).unwrap();
    git(&work, &["add", "README.md"]);
    let out = env.run(&["init", "--force"]);
    assert_eq!(
        std::fs::read_to_string(&user_config).unwrap(),
        "defaults:\n  permissions: default\n",
        "{}",
        describe(&out)
    );
}

// ---------------------------------------------------------------------------
// 3. Deadlines hold.

#[test]
fn attack3_a_wasi_sleep_ends_at_the_call_deadline() {
    let mut bystander = Bystander::new();
    let mut plugin = hostile_with(Grant::default(), Duration::from_millis(400));
    let started = Instant::now();
    let err = call(&mut plugin, "sleep", "60000");
    assert!(matches!(err.kind, CallErrorKind::Timeout), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a 60 s sleep ran {:?} against a 400 ms deadline",
        started.elapsed()
    );
    let text = err.to_string();
    assert!(
        text.contains("plugin `hostile`") && text.contains("`notify`") && text.contains("400 ms"),
        "{text}"
    );
    // A sleep that fits is made as asked.
    let mut e = event("sleep", "attack");
    e.data = "50".into();
    plugin.notify(&e).unwrap();
    // The host's own sleep ends at the deadline too.
    let started = Instant::now();
    let mut e = event("host-sleep", "attack");
    e.data = "60000".into();
    let _ = plugin.notify(&e);
    assert!(started.elapsed() < Duration::from_secs(10));
    bystander.still_answers();
}

#[test]
fn attack3_a_plugin_sleeping_in_its_manifest_does_not_hang_ao() {
    let env = AoEnv::new();
    std::fs::create_dir_all(env.user_plugins()).unwrap();
    std::fs::copy(
        fixtures::SLOW_MANIFEST,
        env.user_plugins().join("slow-manifest.wasm"),
    )
    .unwrap();
    let started = Instant::now();
    let out = env.run(&["plugin", "ls"]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "`ao plugin ls` took {:?} (the plugin sleeps 60 s)",
        started.elapsed()
    );
    assert!(out.status.success(), "{}", describe(&out));
    let err = stderr(&out);
    assert!(
        err.contains("slow-manifest.wasm") && err.contains("manifest") && err.contains("deadline"),
        "{}",
        describe(&out)
    );
    // The others load.
    assert!(stdout(&out).contains("webhook"), "{}", describe(&out));
}

/// A session manager with notifiers `a-slow` (sleeps in every call) and
/// `b-fast` (a webhook), in the order they are called, for the daemon's
/// notification path.
fn notifier_manager(dir: &Path, fast: &FakeServer) -> SessionManager {
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::fs::copy(fixtures::HOSTILE, plugins.join("hostile.wasm")).unwrap();
    let yaml = format!(
        "notifiers:\n  a-slow: {{ plugin: hostile, mode: sleep, arg: \"60000\" }}\n  b-fast: {{ plugin: webhook, url: \"{}\" }}\n",
        fast.url("/fast")
    );
    let config = Config::parse(&yaml, None).unwrap();
    let paths = Paths::resolve(|k| (k == "AO_HOME").then(|| dir.join("ao")));
    let store = Store::open(&paths.data).unwrap();
    let webhook = ao_builtin_plugins::builtins()
        .into_iter()
        .find(|b| b.file_name == "webhook.wasm")
        .unwrap();
    let builtins = [Builtin {
        file_name: webhook.file_name,
        wasm: webhook.wasm,
        sha256: webhook.sha256,
        default_grant: Grant::default(),
    }];
    let catalog = Catalog::discover(engine(), cache(), &builtins, &[PluginSource::User(plugins)]);
    let host = fast.host();
    let settings_for: ao_sessions::SettingsFor = Box::new(move |d, label, settings| {
        let webhook = d.plugin.manifest().name == "webhook";
        InstanceSettings {
            label: Some(label.to_string()),
            settings,
            grant: if webhook {
                http_grant(&[&host])
            } else {
                Grant::default()
            },
            limits: Limits {
                call_timeout: Duration::from_secs(4),
                ..Limits::default()
            },
            ..InstanceSettings::default()
        }
    });
    SessionManager::new(config, paths, store, Runtimes::new(), catalog, settings_for)
}

#[test]
fn attack3_a_slow_notifier_does_not_delay_another() {
    let dir = tempfile::tempdir().unwrap();
    let fast = FakeServer::start();
    let manager = notifier_manager(dir.path(), &fast);
    let mut notifiers = Notifiers::default();
    let notice = Notice {
        kind: "session.stuck".into(),
        priority: "urgent".into(),
        session: "web-1".into(),
        project: "web".into(),
        message: "stuck".into(),
        pr_url: None,
    };
    let started = Instant::now();
    assert_eq!(notifiers.send(&manager, &notice), 2);
    // The slow one, called first, sleeps until its 4 s deadline on its own
    // thread; the fast one has delivered long before.
    while fast.requests().is_empty() && started.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        fast.requests().len(),
        1,
        "the fast notifier waited behind the slow one ({:?})",
        started.elapsed()
    );
    // And again, while the slow one is still busy.
    notifiers.send(&manager, &notice);
    while fast.requests().len() < 2 && started.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(fast.requests().len(), 2);
}

// ---------------------------------------------------------------------------
// 4. Secrets are bound to where they may go.

/// Answers with the request's headers as its body (what an echo service,
/// or a malicious granted host, would hand back to the plugin).
#[derive(Default)]
struct Echo {
    requests: Vec<Recorded>,
}

impl Respond for Echo {
    fn answer(&mut self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Reply {
        let recorded = Recorded::of(method, uri, headers, body);
        let echoed = serde_json::to_string(&recorded.headers).unwrap();
        self.requests.push(recorded);
        Reply::status(200)
            .header(
                "x-echo",
                headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
            )
            .body(echoed)
    }
}

fn echo_count(echo: &Serving<Echo>) -> usize {
    echo.state.lock().unwrap().requests.len()
}

fn echo_spec(url: &str, headers: &[(&str, &str)], secret: bool) -> String {
    serde_json::json!({
        "url": url,
        "headers": headers.iter().map(|(k, v)| [k, v]).collect::<Vec<_>>(),
        "secretHeaders": if secret { vec![["Authorization", "DECLARED_SECRET", "Bearer "]] } else { vec![] },
    })
    .to_string()
}

#[test]
fn attack4_a_secret_goes_only_to_its_hosts_over_https_and_never_comes_back() {
    let mut bystander = Bystander::new();
    let echo = serve(|_| Echo::default());
    let port = echo.addr.port();
    let bound = echo.addr.to_string();
    let other = format!("localhost:{port}");
    let grant = Grant {
        http: vec![bound.clone(), other.clone(), "ungranted.invalid".into()],
        ..Grant::default()
    }
    .secret_for_hosts("DECLARED_SECRET", &[&bound, "ungranted.invalid"]);
    let mut plugin = hostile_with(grant.clone(), Duration::from_secs(5));

    // To its own host: sent, and stripped from what comes back.
    let err = call(
        &mut plugin,
        "echo",
        &echo_spec(&format!("http://{bound}/"), &[], true),
    );
    let text = err.to_string();
    let reversed = text.split("echoed: ").nth(1).expect("an echo");
    let body: String = reversed.chars().rev().collect();
    assert!(
        body.contains("Bearer ***") && !body.contains(TOKEN),
        "{body}"
    );
    let sent = echo.state.lock().unwrap().requests[0].clone();
    assert_eq!(
        sent.header("authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );

    // To another granted host: refused before any request, naming the fix.
    let err = call(
        &mut plugin,
        "echo",
        &echo_spec(&format!("http://{other}/"), &[], true),
    );
    let message = denied(&err);
    assert!(
        message.contains("secret `DECLARED_SECRET`")
            && message.contains("localhost")
            && message.contains("plugins.hostile.grant.secrets.DECLARED_SECRET.hosts"),
        "{err}"
    );
    // Over plain http to a name that is not loopback: refused, nothing sent.
    let err = call(
        &mut plugin,
        "echo",
        &echo_spec("http://ungranted.invalid/", &[], true),
    );
    assert!(denied(&err).contains("https only"), "{err}");
    assert_eq!(echo_count(&echo), 1);

    // Headers only the host sets: refused.
    for header in ["Authorization", "Host", "Cookie"] {
        let err = call(
            &mut plugin,
            "echo",
            &echo_spec(&format!("http://{bound}/"), &[(header, "x")], false),
        );
        assert!(denied(&err).contains(header), "{err}");
    }
    // Headers that would bring an echoed secret back compressed or in
    // slices, past the stripping: refused with a secret on board.
    for header in [("Accept-Encoding", "gzip"), ("Range", "bytes=7-")] {
        let err = call(
            &mut plugin,
            "echo",
            &echo_spec(&format!("http://{bound}/"), &[header], true),
        );
        assert!(
            denied(&err).contains(header.0) && denied(&err).contains("carries a secret"),
            "{err}"
        );
    }
    assert_eq!(echo_count(&echo), 1);

    // Not readable unless granted so; and never shown in an error.
    let err = call(&mut plugin, "secret", "DECLARED_SECRET");
    assert!(denied(&err).contains("read: true"), "{err}");
    let mut reader = hostile_with(grant.readable("DECLARED_SECRET"), Duration::from_secs(5));
    let err = call(&mut reader, "secret", "DECLARED_SECRET");
    assert!(
        err.to_string().contains("secret has 20 characters"),
        "{err}"
    );
    let err = call(&mut reader, "leak-secret", "DECLARED_SECRET");
    assert!(
        err.to_string().contains("the secret is ***") && !err.to_string().contains(TOKEN),
        "{err}"
    );
    bystander.still_answers();
}

// ---------------------------------------------------------------------------
// 5. Budgets for output, and files for the user alone.

#[test]
fn attack5_a_log_flood_and_a_huge_error_are_capped() {
    let env = AoEnv::new();
    let mine = FakeServer::start();
    std::fs::create_dir_all(env.user_plugins()).unwrap();
    std::fs::copy(fixtures::HOSTILE, env.user_plugins().join("hostile.wasm")).unwrap();
    env.write_config(&format!(
        "notifiers:\n  flood: {{ plugin: hostile, mode: log-flood, arg: \"100000\" }}\n\
         \x20 huge: {{ plugin: hostile, mode: big-error, arg: \"52428800\" }}\n\
         \x20 mine: {{ plugin: webhook, url: \"{}\" }}\n\
         plugins:\n  webhook:\n    grant: {{ http: [\"{}\"] }}\n",
        mine.url("/mine"),
        mine.host()
    ));
    let out = env.run(&["notify", "test", "flood"]);
    let err = stderr(&out);
    let lines = err.lines().filter(|l| l.contains("flood ")).count();
    assert!(lines <= 100, "{lines} log lines got through");
    assert!(
        err.contains("dropped") && err.contains("budget") && err.len() < 256 << 10,
        "{} bytes: {}",
        err.len(),
        &err[err.len().saturating_sub(2000)..]
    );
    let out = env.run(&["notify", "test", "huge"]);
    let all = stdout(&out) + &stderr(&out);
    assert!(
        all.contains("plugin `huge (hostile)`")
            && all.contains("more bytes cut")
            && all.len() < 16 << 10,
        "{} bytes of output",
        all.len()
    );
    let out = env.run(&["notify", "test", "mine"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(mine.requests().len(), 1);
}

/// The detached daemon's port, from `daemon.json`.
fn daemon_port(data: &Path) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(text) = std::fs::read_to_string(data.join("daemon.json"))
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            && let Some(port) = v["port"].as_u64()
        {
            return port as u16;
        }
        assert!(Instant::now() < deadline, "no daemon.json");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn attack5_the_daemon_log_is_rotated_and_aos_files_are_private() {
    let env = AoEnv::new();
    let data = env.dir.path().join("data/ao");
    let out = env
        .command()
        .env("AO_LOG_MAX_BYTES", "400")
        .env("AO_LOG", "warn,ao=debug")
        .args(["start", "--detach", "--port", "0", "--interval", "1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let _ = daemon_port(&data);
    let log = data.join("logs/daemon.log");
    let rotated = data.join("logs/daemon.log.1");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !rotated.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(rotated.exists(), "the log was never rotated");
    let stop = env.run(&["stop"]);
    assert!(stop.status.success(), "{}", describe(&stop));
    for file in [&log, &rotated] {
        let len = std::fs::metadata(file).unwrap().len();
        assert!(
            len < 2000,
            "{} is {len} bytes (cap 400 + one line)",
            file.display()
        );
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    for dir in [&data, &data.join("logs")] {
        assert_eq!(mode(dir), 0o700, "{}", dir.display());
    }
    for file in ["ao.db", "daemon.lock"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    let cache = env.dir.path().join("cache/ao/compiled");
    assert_eq!(mode(&cache), 0o700);
    for entry in std::fs::read_dir(&cache).unwrap() {
        assert_eq!(mode(&entry.unwrap().path()), 0o600);
    }
    // The bystander: an `ao` command still works with the same files.
    let out = env.run(&["session", "ls"]);
    assert!(out.status.success(), "{}", describe(&out));
}

// ---------------------------------------------------------------------------
// 6. An agent's reach.

#[test]
fn attack6_the_agent_program_gets_a_declared_environment() {
    let mut f = Fixture::with_agent(
        Some("[sh, -c, \"env > agent-env.txt; exec sh \\\"$AO_DATA_DIR/../../fake-agent.sh\\\"\"]"),
        "plugins:\n  custom:\n    grant: { secrets: [\"OPENAI_*\"] }\n",
    );
    f.extra_env.extend([
        (
            "UNGRANTED_SECRET".to_string(),
            "s3cret-not-for-agents".to_string(),
        ),
        (
            "GITHUB_TOKEN".to_string(),
            "ghp-for-the-github-plugin".to_string(),
        ),
        ("OPENAI_API_KEY".to_string(), "sk-for-the-agent".to_string()),
    ]);
    let out = f.ao(&["spawn", "--prompt", "Fix the README"]);
    assert!(out.status.success(), "{}", describe(&out));
    let sessions = f.sessions();
    let workspace = sessions[0]["workspacePath"].as_str().unwrap().to_string();
    let file = Path::new(&workspace).join("agent-env.txt");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !file.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let env = std::fs::read_to_string(&file).unwrap();
    for present in [
        "PATH=",
        "HOME=",
        "AO_SESSION_ID=web-1",
        "OPENAI_API_KEY=sk-for-the-agent",
    ] {
        assert!(env.contains(present), "{present} missing:\n{env}");
    }
    // Nor in the tmux server's environment, which anything in a pane can
    // read (`tmux show-environment -g`).
    let server_env = std::process::Command::new("tmux")
        .args(["-L", "ao-test", "show-environment", "-g"])
        .env("TMUX_TMPDIR", &f.tmux_dir)
        .output()
        .unwrap();
    let server_env = String::from_utf8_lossy(&server_env.stdout).into_owned();
    assert!(server_env.contains("PATH="), "{server_env}");
    for absent in ["UNGRANTED_SECRET", "GITHUB_TOKEN"] {
        assert!(!env.contains(absent), "{absent} leaked:\n{env}");
        assert!(
            !server_env.contains(absent),
            "{absent} in tmux:\n{server_env}"
        );
    }
    // What an agent plugin may reach is shown.
    let info = f.ao(&["plugin", "info", "claude-code"]);
    let text = stdout(&info);
    assert!(
        text.contains("cannot read session workspaces") && text.contains("ANTHROPIC_*"),
        "{text}"
    );
    // The bystander: the session works (its agent took the prompt).
    let out = f.ao(&["session", "kill", "web-1", "--force"]);
    assert!(out.status.success(), "{}", describe(&out));
}

// ---------------------------------------------------------------------------
// 7. The compiled cache binds an entry to its key.

#[test]
fn attack7_a_swapped_cache_entry_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cache = CompiledCache::new(dir.path().join("compiled"));
    let hostile = std::fs::read(fixtures::HOSTILE).unwrap();
    let webhook = ao_builtin_plugins::builtins()
        .into_iter()
        .find(|b| b.file_name == "webhook.wasm")
        .unwrap()
        .wasm;
    LoadedPlugin::load(engine(), &cache, webhook, "webhook").unwrap();
    LoadedPlugin::load(engine(), &cache, &hostile, "hostile").unwrap();
    let victim = cache.entry_path(engine().engine(), webhook).unwrap();
    let swapped_in = cache.entry_path(engine().engine(), &hostile).unwrap();
    std::fs::copy(&swapped_in, &victim).unwrap();
    let loaded = LoadedPlugin::load(engine(), &cache, webhook, "webhook").unwrap();
    assert_eq!(loaded.cache_outcome(), CacheOutcome::Rebuilt);
    assert_eq!(loaded.manifest().name, "webhook");
    assert_eq!(mode(&dir.path().join("compiled")), 0o700);
    assert_eq!(mode(&victim), 0o600);
    // The bystander loads from its verified entry.
    let again = LoadedPlugin::load(engine(), &cache, &hostile, "hostile").unwrap();
    assert_eq!(again.cache_outcome(), CacheOutcome::Hit);
}

// ---------------------------------------------------------------------------
// 8. Taking a built-in's name is loud.

#[test]
fn attack8_a_plugin_taking_a_builtins_name_needs_replace_and_is_shown() {
    let env = AoEnv::new();
    let impostor = env.dir.path().join("slack-impostor.wasm");
    let webhook = ao_builtin_plugins::builtins()
        .into_iter()
        .find(|b| b.file_name == "webhook.wasm")
        .unwrap();
    std::fs::write(&impostor, webhook.wasm).unwrap();
    let out = env.run(&["plugin", "install", impostor.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        stderr(&out).contains("built into ao") && stderr(&out).contains("--replace"),
        "{}",
        describe(&out)
    );
    assert!(!env.user_plugins().join("webhook.wasm").exists());
    let out = env.run(&["plugin", "install", "--replace", impostor.to_str().unwrap()]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stderr(&out).contains("replaces the built-in"),
        "{}",
        describe(&out)
    );
    let out = env.run(&["plugin", "ls"]);
    assert!(
        stdout(&out).contains("REPLACES BUILT-IN")
            && stderr(&out).contains("replaces the built-in"),
        "{}",
        describe(&out)
    );
    let out = env.run(&["doctor"]);
    assert!(
        stdout(&out).contains("replaces the built-in"),
        "{}",
        describe(&out)
    );

    // The grant snippet ao prints is YAML that ao itself accepts.
    let out = env.run(&["plugin", "install", fixtures::HOSTILE]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = stdout(&out);
    let snippet = text
        .split("add to agent-orchestrator.yaml:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no snippet: {text}"));
    let parsed: serde_yaml::Value = serde_yaml::from_str(snippet).unwrap();
    assert_eq!(
        parsed["plugins"]["hostile"]["grant"]["http"][2],
        serde_yaml::Value::from("ungranted.invalid")
    );
    env.write_config(snippet);
    let out = env.run(&["config", "check"]);
    assert!(out.status.success(), "{}", describe(&out));
    // The bystander: the other built-ins are untouched.
    assert!(listed(&env).contains(&"slack".to_string()));
}

// ---------------------------------------------------------------------------
// 9. The daemon's HTTP.

fn raw_http(port: u16, request: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        // Longer than the bounds the tests assert, so a connection held
        // open fails them rather than timing out quietly.
        .set_read_timeout(Some(Duration::from_secs(40)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    String::from_utf8_lossy(&response).into_owned()
}

fn get(port: u16, path: &str, extra: &str) -> String {
    raw_http(
        port,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}Connection: close\r\n\r\n"
        ),
    )
}

#[test]
fn attack9_the_token_stays_out_of_logs_and_urls_and_idle_connections_close() {
    let env = AoEnv::new();
    let data = env.dir.path().join("data/ao");
    let token = "dashboard-token-0123456789";
    let out = env
        .command()
        .args(["start", "--detach", "--port", "0", "--token", token])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stdout(&out).contains(token),
        "the user is shown the address"
    );
    let port = daemon_port(&data);

    // Only `/` trades `?token=` (for a cookie); elsewhere it is refused.
    let refused = get(port, &format!("/api/board?token={token}"), "");
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    let traded = get(port, &format!("/?token={token}"), "");
    assert!(
        traded.starts_with("HTTP/1.1 303") && traded.contains("HttpOnly"),
        "{traded}"
    );
    let ok = get(
        port,
        "/api/health",
        &format!("Authorization: Bearer {token}\r\n"),
    );
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");

    // A connection that never finishes its request is closed.
    let started = Instant::now();
    let mut silent = TcpStream::connect(("127.0.0.1", port)).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    silent
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    let mut buf = [0u8; 64];
    let read = silent.read(&mut buf);
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "a half-sent request was held open: {read:?} after {:?}",
        started.elapsed()
    );

    // So is a kept-alive connection that sends no next request.
    let started = Instant::now();
    let idle = raw_http(
        port,
        &format!(
            "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n\r\n"
        ),
    );
    assert!(idle.starts_with("HTTP/1.1 200"), "{idle}");
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "an idle keep-alive connection was held open for {:?}",
        started.elapsed()
    );

    // The bystander: the daemon still answers, and its log never had the token.
    let ok = get(
        port,
        "/api/health",
        &format!("Authorization: Bearer {token}\r\n"),
    );
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(env.run(&["stop"]).status.success());
    let log = std::fs::read_to_string(data.join("logs/daemon.log")).unwrap();
    assert!(!log.contains(token), "{log}");
    assert!(log.contains("token required"), "{log}");
}

#[test]
fn attack9_a_replayed_webhook_delivery_is_ignored() {
    const SECRET: &str = "whsec-replay-0123";
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("web");
    std::fs::create_dir_all(&repo).unwrap();
    let yaml = format!(
        "projects:\n  web:\n    path: {}\n    repo: acme/web\n    scm: {{ plugin: github, webhookSecret: GITHUB_WEBHOOK_SECRET }}\n",
        repo.display()
    );
    let config = Config::parse(&yaml, None).unwrap();
    let paths = Paths::resolve(|k| (k == "AO_HOME").then(|| dir.path().join("ao")));
    let store = Store::open(&paths.data).unwrap();
    let github = ao_builtin_plugins::builtins()
        .into_iter()
        .find(|b| b.file_name == "github.wasm")
        .unwrap();
    let builtins = [Builtin {
        file_name: github.file_name,
        wasm: github.wasm,
        sha256: github.sha256,
        default_grant: Grant::default(),
    }];
    let catalog = Catalog::discover(engine(), cache(), &builtins, &[]);
    let settings_for: ao_sessions::SettingsFor =
        Box::new(move |_, label, settings| InstanceSettings {
            label: Some(label.to_string()),
            settings,
            grant: Grant::default().readable("GITHUB_WEBHOOK_SECRET"),
            secrets: Arc::new(MapSecrets(
                [("GITHUB_WEBHOOK_SECRET".to_string(), SECRET.to_string())].into(),
            )),
            ..InstanceSettings::default()
        });
    let manager = SessionManager::new(config, paths, store, Runtimes::new(), catalog, settings_for);
    let body = serde_json::to_vec(&serde_json::json!({
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
    }))
    .unwrap();
    let delivery = |id: &str| WebhookRequest {
        method: "POST".into(),
        path: "/api/webhooks/web".into(),
        headers: vec![
            ("X-GitHub-Event".into(), "pull_request".into()),
            ("X-GitHub-Delivery".into(), id.into()),
            (
                "X-Hub-Signature-256".into(),
                sign_webhook(SECRET.as_bytes(), &body),
            ),
        ],
        body: body.clone(),
    };
    let mut pr_loop = PrLoop::new();
    assert!(pr_loop.webhook(&manager, "web", &delivery("d-1")).is_ok());
    match pr_loop.webhook(&manager, "web", &delivery("d-1")) {
        Err(WebhookError::Duplicate(id)) => assert_eq!(id, "d-1"),
        other => panic!("a replay was acted on: {other:?}"),
    }
    // The bystander: a new delivery is taken.
    assert!(pr_loop.webhook(&manager, "web", &delivery("d-2")).is_ok());
}
