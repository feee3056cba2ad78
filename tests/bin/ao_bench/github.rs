//! What following PRs on GitHub costs, through the real lifecycle code (the
//! PR loop and the shipped `github` plugin) against the fake GitHub on
//! 127.0.0.1, on a manual clock: an hour of polling at the daemon's default
//! cadence runs in seconds and the fake counts every request.
//!
//! - quota: charged requests per hour for 20 idle sessions whose PRs wait
//!   for review, across 3 repositories;
//! - latency: simulated time from a CI failure on GitHub to the reaction
//!   that wakes the agent, by polling alone and with a webhook.

use ao_core::Paths;
use ao_core::config::Config;
use ao_core::state::{NewSession, Store, Transition, database_path};
use ao_lifecycle::{PrLoop, WebhookRequest};
use ao_plugin_host::cache::CompiledCache;
use ao_plugin_host::discovery::Builtin;
use ao_plugin_host::services::MapSecrets;
use ao_plugin_host::{Catalog, Clock, Grant, InstanceSettings, PluginEngine};
use ao_sessions::reconcile::{Activity, Source};
use ao_sessions::{Observed, Runtimes, SessionManager};
use ao_tests::FakeGitHub;
use ao_tests::fake_github::{TOKEN, sign_webhook};
use std::sync::Arc;
use std::time::Instant;

/// `ao start`'s default `--interval`.
const CYCLE_MS: i64 = 2_000;
const REPOS: [&str; 3] = ["acme/api", "acme/web", "acme/docs"];
const SESSIONS: usize = 20;
const WEBHOOK_SECRET: &str = "bench-secret";

/// 20 sessions with open PRs (CI green, review required) across 3 repositories.
struct World {
    gh: FakeGitHub,
    clock: Clock,
    manager: SessionManager,
    pr_loop: PrLoop,
    observed: Vec<Observed>,
    /// (repo, PR number, session id)
    prs: Vec<(&'static str, u32, String)>,
    _dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let gh = FakeGitHub::start();
        let dir = tempfile::tempdir().unwrap();
        let mut yaml = format!(
            "plugins:\n  github:\n    grant: {{ http: [\"{}\"], secrets: [GITHUB_TOKEN, GITHUB_WEBHOOK_SECRET], kv: true }}\nprojects:\n",
            gh.host()
        );
        for repo in REPOS {
            gh.add_repo(repo);
            gh.require_reviews(repo, true);
            let name = repo.trim_start_matches("acme/");
            let path = dir.path().join(name);
            std::fs::create_dir_all(&path).unwrap();
            yaml.push_str(&format!(
                "  {name}:\n    path: {}\n    repo: {repo}\n    sessionPrefix: {name}\n\
                 \x20   scm: {{ plugin: github, apiUrl: \"{}\", webhookSecret: GITHUB_WEBHOOK_SECRET }}\n",
                path.display(),
                gh.url()
            ));
        }
        let config = Config::parse(&yaml, None).expect("bench config");
        let data = dir.path().join("data");
        let paths = Paths {
            user_plugins: dir.path().join("plugins"),
            user_config: dir.path().join("config.yaml"),
            data: data.clone(),
            compiled_cache: dir.path().join("cache"),
        };
        let mut store = Store::open(&data).unwrap();
        let mut prs = Vec::new();
        for i in 0..SESSIONS {
            let repo = REPOS[i % REPOS.len()];
            let project = repo.trim_start_matches("acme/");
            let branch = format!("feat/issue-{i}");
            let number = gh.open_pr(repo, &branch, &format!("Task {i}"));
            gh.set_pr_check(repo, number, "ci", "completed", Some("success"));
            let session = store
                .create_session(&NewSession {
                    project_id: project.into(),
                    prefix: project.into(),
                    agent: Some("custom".into()),
                    runtime: Some("tmux".into()),
                    issue_id: None,
                    prompt: Some(format!("Task {i}")),
                })
                .unwrap();
            store
                .transition(
                    &session.id,
                    &Transition {
                        status: Some("working".into()),
                        branch: Some(branch),
                        event: "session.working".into(),
                        ..Transition::default()
                    },
                )
                .unwrap();
            prs.push((repo, number, session.id));
        }
        let engine = PluginEngine::new().unwrap();
        let github = ao_builtin_plugins::builtins()
            .into_iter()
            .find(|b| b.file_name == "github.wasm")
            .expect("the github plugin is built in");
        let catalog = Catalog::discover(
            &engine,
            &CompiledCache::new(&paths.compiled_cache),
            &[Builtin {
                file_name: github.file_name,
                wasm: github.wasm,
                default_grant: Grant::default(),
            }],
            &[],
        );
        let clock = Clock::manual();
        let (plugin_clock, host, kv) = (clock.clone(), gh.host(), database_path(&data));
        let settings_for: ao_sessions::SettingsFor =
            Box::new(move |_, label, settings| InstanceSettings {
                label: Some(label.to_string()),
                settings,
                grant: Grant {
                    http: vec![host.clone()],
                    secrets: vec!["GITHUB_TOKEN".into(), "GITHUB_WEBHOOK_SECRET".into()],
                    kv: true,
                    ..Grant::default()
                },
                secrets: Arc::new(MapSecrets(
                    [
                        ("GITHUB_TOKEN".to_string(), TOKEN.to_string()),
                        (
                            "GITHUB_WEBHOOK_SECRET".to_string(),
                            WEBHOOK_SECRET.to_string(),
                        ),
                    ]
                    .into(),
                )),
                kv_database: Some(kv.clone()),
                clock: plugin_clock.clone(),
                ..InstanceSettings::default()
            });
        let manager =
            SessionManager::new(config, paths, store, Runtimes::new(), catalog, settings_for);
        // The agents finished their turn: idle, as the hooks said.
        let observed = prs
            .iter()
            .map(|(_, _, id)| Observed {
                id: id.clone(),
                alive: true,
                activity: Some(Activity::Idle),
                source: Some(Source::Hook),
                changed: false,
            })
            .collect();
        World {
            gh,
            pr_loop: PrLoop::with_clock(clock.clone()),
            clock,
            manager,
            observed,
            prs,
            _dir: dir,
        }
    }

    /// One daemon cycle, then the clock moves to the next.
    fn cycle(&mut self) -> ao_lifecycle::CycleReport {
        let report = self.pr_loop.cycle(&mut self.manager, &self.observed);
        self.clock.advance(CYCLE_MS);
        report
    }

    /// (charged REST, charged GraphQL, free 304s) since `before`.
    fn spent(&self, before: (u32, u32), requests_before: usize) -> (u32, u32, usize) {
        let (rest, graphql) = self.gh.rate_limit_remaining();
        let charged_rest = before.0 - rest;
        let charged_graphql = before.1 - graphql;
        let total = self.gh.requests().len() - requests_before;
        let free = total - charged_rest as usize - charged_graphql as usize;
        (charged_rest, charged_graphql, free)
    }
}

pub fn run(quick: bool) {
    println!(
        "GitHub: the PR loop and the github plugin against the fake GitHub, on a manual clock"
    );
    let mut world = World::new();
    // Settle: PRs found, facts read, nothing changing any more.
    for _ in 0..(150_000 / CYCLE_MS) {
        world.cycle();
    }
    let before = world.gh.rate_limit_remaining();
    let requests_before = world.gh.requests().len();
    let cycles = 3_600_000 / CYCLE_MS;
    let started = Instant::now();
    for _ in 0..cycles {
        world.cycle();
    }
    let (rest, graphql, free) = world.spent(before, requests_before);
    println!(
        "  {SESSIONS} idle sessions, {} repositories, one simulated hour ({cycles} cycles of {} s, {:.1} s of real time):",
        REPOS.len(),
        CYCLE_MS / 1000,
        started.elapsed().as_secs_f64()
    );
    println!(
        "    charged requests: {} per hour ({rest} REST + {graphql} GraphQL); free 304s: {free}",
        rest + graphql
    );

    // A CI failure at different moments of the settled poll cadence.
    let trials = if quick { 4 } else { 12 };
    let mut latencies = Vec::new();
    for trial in 0..trials {
        let (repo, number, id) = world.prs[trial % world.prs.len()].clone();
        // Spread the failure over the 2-minute settled window.
        for _ in 0..(trial * 5) {
            world.cycle();
        }
        world.gh.push(repo, number);
        world
            .gh
            .set_pr_check(repo, number, "ci", "completed", Some("failure"));
        let failed_at = world.clock.now_ms();
        let mut waited = None;
        for _ in 0..(300_000 / CYCLE_MS) {
            let report = world.pr_loop.cycle(&mut world.manager, &world.observed);
            if report
                .actions
                .iter()
                .any(|(s, what)| *s == id && what.starts_with("ci-failed"))
            {
                waited = Some(world.clock.now_ms() - failed_at);
                break;
            }
            world.clock.advance(CYCLE_MS);
        }
        latencies.push(waited.unwrap_or(i64::MAX));
        // Back to green for the next trial.
        world.gh.push(repo, number);
        world
            .gh
            .set_pr_check(repo, number, "ci", "completed", Some("success"));
        for _ in 0..(150_000 / CYCLE_MS) {
            world.cycle();
        }
    }
    latencies.sort();
    let secs = |ms: i64| {
        if ms == i64::MAX {
            "never".to_string()
        } else {
            format!("{:.0} s", ms as f64 / 1000.0)
        }
    };
    println!(
        "  CI failure -> agent woken, by polling ({trials} failures spread over the cadence): min {}, median {}, max {}",
        secs(latencies[0]),
        secs(latencies[latencies.len() / 2]),
        secs(latencies[latencies.len() - 1])
    );

    // The same with a webhook: the delivery marks the PR, the next cycle reacts.
    let (repo, number, id) = world.prs[0].clone();
    world.gh.push(repo, number);
    world
        .gh
        .set_pr_check(repo, number, "ci", "completed", Some("failure"));
    let body = serde_json::json!({
        "action": "completed",
        "check_run": {
            "name": "ci", "status": "completed", "conclusion": "failure",
            "head_sha": world.gh.head_sha(repo, number),
            "pull_requests": [{ "number": number }],
        },
        "repository": { "full_name": repo },
    })
    .to_string();
    let request = WebhookRequest {
        method: "POST".into(),
        path: "/api/webhooks/api".into(),
        headers: vec![
            ("x-github-event".into(), "check_run".into()),
            (
                "x-hub-signature-256".into(),
                sign_webhook(WEBHOOK_SECRET.as_bytes(), body.as_bytes()),
            ),
        ],
        body: body.into_bytes(),
    };
    let project = repo.trim_start_matches("acme/").to_string();
    let started = Instant::now();
    let accepted = world.pr_loop.webhook(&world.manager, &project, &request);
    let report = world.pr_loop.cycle(&mut world.manager, &world.observed);
    let reacted = report
        .actions
        .iter()
        .any(|(s, what)| *s == id && what.starts_with("ci-failed"));
    println!(
        "  CI failure -> agent woken, with a webhook: {} of processing ({}), plus at most the daemon's wake-up",
        crate::fmt(started.elapsed()),
        match (&accepted, reacted) {
            (Ok(Some(_)), true) => "reacted in the next cycle".to_string(),
            (Ok(kind), _) => format!("delivery {kind:?}, reacted: {reacted}"),
            (Err(e), _) => format!("refused: {e}"),
        }
    );
}
