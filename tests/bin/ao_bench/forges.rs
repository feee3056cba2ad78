//! What following PRs on GitHub and GitLab costs, through the real
//! lifecycle code (the PR loop and the shipped `github` / `gitlab` plugins)
//! against the fakes on 127.0.0.1, on a manual clock: an hour of polling at
//! the daemon's default cadence runs in seconds and the fake counts every
//! request.
//!
//! - quota: requests per hour for 20 idle sessions whose PRs wait for
//!   review, across 3 repositories;
//! - latency: simulated time from a CI failure to the reaction that wakes
//!   the agent, by polling alone and with a webhook.

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
use ao_tests::fake_github::sign_webhook;
use ao_tests::{FakeGitHub, FakeGitLab};
use std::sync::Arc;
use std::time::Instant;

/// `ao start`'s default `--interval`.
const CYCLE_MS: i64 = 2_000;
const REPOS: [&str; 3] = ["acme/api", "acme/web", "acme/docs"];
const SESSIONS: usize = 20;
const WEBHOOK_SECRET: &str = "bench-secret";

/// The fake service a world runs against.
pub enum Forge {
    GitHub(FakeGitHub),
    GitLab(FakeGitLab),
}

impl Forge {
    fn name(&self) -> &'static str {
        match self {
            Forge::GitHub(_) => "github",
            Forge::GitLab(_) => "gitlab",
        }
    }
    fn host(&self) -> String {
        match self {
            Forge::GitHub(f) => f.host(),
            Forge::GitLab(f) => f.host(),
        }
    }
    fn api_url(&self) -> String {
        match self {
            Forge::GitHub(f) => f.url(),
            Forge::GitLab(f) => f.api_url(),
        }
    }
    fn token(&self) -> (&'static str, &'static str) {
        match self {
            Forge::GitHub(_) => ("GITHUB_TOKEN", ao_tests::fake_github::TOKEN),
            Forge::GitLab(_) => ("GITLAB_TOKEN", ao_tests::fake_gitlab::TOKEN),
        }
    }
    /// A repository whose PRs need a review (an approval) to merge.
    fn add_repo(&self, repo: &str) {
        match self {
            Forge::GitHub(f) => {
                f.add_repo(repo);
                f.require_reviews(repo, true);
            }
            Forge::GitLab(f) => {
                f.add_project(repo);
                f.require_approvals(repo, 1);
            }
        }
    }
    fn open_pr(&self, repo: &str, branch: &str, title: &str) -> u32 {
        match self {
            Forge::GitHub(f) => f.open_pr(repo, branch, title),
            Forge::GitLab(f) => f.open_mr(repo, branch, title),
        }
    }
    /// A new commit on the PR, and its CI result.
    fn push_with_ci(&self, repo: &str, number: u32, passed: bool) {
        match self {
            Forge::GitHub(f) => {
                f.push(repo, number);
                let conclusion = if passed { "success" } else { "failure" };
                f.set_pr_check(repo, number, "ci", "completed", Some(conclusion));
            }
            Forge::GitLab(f) => {
                f.push(repo, number);
                let status = if passed { "success" } else { "failed" };
                f.set_job(repo, number, "ci", status, "error: 1 test failed\n");
            }
        }
    }
    fn requests(&self) -> usize {
        match self {
            Forge::GitHub(f) => f.requests().len(),
            Forge::GitLab(f) => f.requests().len(),
        }
    }
    /// The webhook a CI failure sends.
    fn ci_webhook(&self, repo: &str, number: u32) -> WebhookRequest {
        let (headers, body) = match self {
            Forge::GitHub(f) => {
                let body = serde_json::json!({
                    "action": "completed",
                    "check_run": {
                        "name": "ci", "status": "completed", "conclusion": "failure",
                        "head_sha": f.head_sha(repo, number),
                        "pull_requests": [{ "number": number }],
                    },
                    "repository": { "full_name": repo },
                })
                .to_string();
                let signature = sign_webhook(WEBHOOK_SECRET.as_bytes(), body.as_bytes());
                (
                    vec![
                        ("x-github-event".to_string(), "check_run".to_string()),
                        ("x-hub-signature-256".to_string(), signature),
                    ],
                    body,
                )
            }
            Forge::GitLab(f) => {
                let body = serde_json::json!({
                    "object_kind": "pipeline",
                    "object_attributes": { "id": 1, "ref": f.mr(repo, number).unwrap().source_branch,
                                           "sha": f.mr(repo, number).unwrap().sha, "status": "failed" },
                    "merge_request": { "iid": number },
                    "project": { "path_with_namespace": repo },
                })
                .to_string();
                (
                    vec![
                        ("x-gitlab-event".to_string(), "Pipeline Hook".to_string()),
                        ("x-gitlab-token".to_string(), WEBHOOK_SECRET.to_string()),
                    ],
                    body,
                )
            }
        };
        WebhookRequest {
            method: "POST".into(),
            path: "/api/webhooks/api".into(),
            headers,
            body: body.into_bytes(),
        }
    }
}

/// 20 sessions with open PRs (CI green, review required) across 3 repositories.
struct World {
    forge: Forge,
    clock: Clock,
    manager: SessionManager,
    pr_loop: PrLoop,
    observed: Vec<Observed>,
    /// (repo, PR number, session id)
    prs: Vec<(&'static str, u32, String)>,
    _dir: tempfile::TempDir,
}

impl World {
    fn new(forge: Forge) -> World {
        let dir = tempfile::tempdir().unwrap();
        let plugin = forge.name();
        let (token_name, token) = forge.token();
        let hook_secret = format!("{}_WEBHOOK_SECRET", plugin.to_ascii_uppercase());
        let mut yaml = "projects:\n".to_string();
        for repo in REPOS {
            forge.add_repo(repo);
            let name = repo.trim_start_matches("acme/");
            let path = dir.path().join(name);
            std::fs::create_dir_all(&path).unwrap();
            yaml.push_str(&format!(
                "  {name}:\n    path: {}\n    repo: {repo}\n    sessionPrefix: {name}\n\
                 \x20   scm: {{ plugin: {plugin}, apiUrl: \"{}\", webhookSecret: {hook_secret} }}\n",
                path.display(),
                forge.api_url()
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
            let number = forge.open_pr(repo, &branch, &format!("Task {i}"));
            forge.push_with_ci(repo, number, true);
            let session = store
                .create_session(&NewSession {
                    project_id: project.into(),
                    prefix: project.into(),
                    agent: Some("custom".into()),
                    runtime: Some("tmux".into()),
                    issue_id: None,
                    prompt: Some(format!("Task {i}")),
                    config_path: None,
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
        let file_name = format!("{plugin}.wasm");
        let shipped = ao_builtin_plugins::builtins()
            .into_iter()
            .find(|b| b.file_name == file_name)
            .expect("the plugin is built in");
        let catalog = Catalog::discover(
            &engine,
            &CompiledCache::new(&paths.compiled_cache),
            &[Builtin {
                file_name: shipped.file_name,
                wasm: shipped.wasm,
                sha256: shipped.sha256,
                default_grant: Grant::default(),
            }],
            &[],
        );
        let clock = Clock::manual();
        let (plugin_clock, host, kv) = (clock.clone(), forge.host(), database_path(&data));
        let settings_for: ao_sessions::SettingsFor =
            Box::new(move |_, label, settings| InstanceSettings {
                label: Some(label.to_string()),
                settings,
                grant: Grant {
                    http: vec![host.clone()],
                    secrets: vec![token_name.into()],
                    kv: true,
                    ..Grant::default()
                }
                .readable(&hook_secret),
                secrets: Arc::new(MapSecrets(
                    [
                        (token_name.to_string(), token.to_string()),
                        (hook_secret.clone(), WEBHOOK_SECRET.to_string()),
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
            forge,
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

    /// The quota spent since `before` (requests made then), in words.
    fn spent(&self, before: (u32, u32), requests_before: usize) -> String {
        let total = self.forge.requests() - requests_before;
        match &self.forge {
            // GitHub does not charge a 304.
            Forge::GitHub(gh) => {
                let (rest, graphql) = gh.rate_limit_remaining();
                let (rest, graphql) = (before.0 - rest, before.1 - graphql);
                let free = total - rest as usize - graphql as usize;
                format!(
                    "charged requests: {} per hour ({rest} REST + {graphql} GraphQL); free 304s: {free}",
                    rest + graphql
                )
            }
            Forge::GitLab(_) => format!("requests: {total} per hour (304s included)"),
        }
    }

    fn remaining(&self) -> (u32, u32) {
        match &self.forge {
            Forge::GitHub(gh) => gh.rate_limit_remaining(),
            Forge::GitLab(_) => (0, 0),
        }
    }
}

pub fn github(quick: bool) {
    println!(
        "GitHub: the PR loop and the github plugin against the fake GitHub, on a manual clock"
    );
    run(quick, World::new(Forge::GitHub(FakeGitHub::start())));
}

pub fn gitlab(quick: bool) {
    println!(
        "GitLab: the PR loop and the gitlab plugin against the fake GitLab, on a manual clock"
    );
    run(quick, World::new(Forge::GitLab(FakeGitLab::start())));
}

fn run(quick: bool, mut world: World) {
    // Settle: PRs found, facts read, nothing changing any more.
    for _ in 0..(150_000 / CYCLE_MS) {
        world.cycle();
    }
    let before = world.remaining();
    let requests_before = world.forge.requests();
    let cycles = 3_600_000 / CYCLE_MS;
    let started = Instant::now();
    for _ in 0..cycles {
        world.cycle();
    }
    let spent = world.spent(before, requests_before);
    println!(
        "  {SESSIONS} idle sessions, {} repositories, one simulated hour ({cycles} cycles of {} s, {:.1} s of real time):",
        REPOS.len(),
        CYCLE_MS / 1000,
        started.elapsed().as_secs_f64()
    );
    println!("    {spent}");

    // A CI failure at different moments of the settled poll cadence.
    let trials = if quick { 4 } else { 12 };
    let mut latencies = Vec::new();
    for trial in 0..trials {
        let (repo, number, id) = world.prs[trial % world.prs.len()].clone();
        // Spread the failure over the 2-minute settled window.
        for _ in 0..(trial * 5) {
            world.cycle();
        }
        world.forge.push_with_ci(repo, number, false);
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
        world.forge.push_with_ci(repo, number, true);
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
    world.forge.push_with_ci(repo, number, false);
    let request = world.forge.ci_webhook(repo, number);
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
