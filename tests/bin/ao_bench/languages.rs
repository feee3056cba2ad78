//! The same tracker in Rust, Go and JavaScript (examples/tracker-*): size,
//! first load (validate + compile), load from ao's compiled cache, a fresh
//! instance + one call, a trivial call on a warm instance, and `get-issue`
//! (one host HTTP GET to the fake issue service on 127.0.0.1).

use crate::{fmt, median};
use ao_conformance::fake_issues::{FakeIssues, TOKEN};
use ao_plugin_host::bindings::v0_1::Project;
use ao_plugin_host::cache::CompiledCache;
use ao_plugin_host::services::MapSecrets;
use ao_plugin_host::{Grant, InstanceSettings, LoadedPlugin, PluginEngine};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn run(quick: bool) {
    let (load_runs, call_runs, get_runs) = if quick {
        (3, 2_000, 50)
    } else {
        (7, 20_000, 300)
    };
    let engine = PluginEngine::new().unwrap();
    let server = FakeIssues::start();
    println!(
        "| tracker | .wasm size | first load (compile) | cached load | instantiate + call | trivial call | get-issue (1 HTTP GET) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (label, dir) in [
        ("Rust", "tracker-rust"),
        ("Go", "tracker-go"),
        ("JS (QuickJS)", "tracker-js"),
    ] {
        let path = format!(
            "{}/../examples/{dir}/{dir}.wasm",
            env!("CARGO_MANIFEST_DIR")
        );
        let Ok(wasm) = std::fs::read(&path) else {
            eprintln!(
                "skipping {dir}: build it with `ao plugin build examples/{dir}` (./scripts/test does)"
            );
            continue;
        };
        let first: Vec<Duration> = (0..load_runs)
            .map(|_| {
                let t = Instant::now();
                LoadedPlugin::load(&engine, &CompiledCache::disabled(), &wasm, dir).unwrap();
                t.elapsed()
            })
            .collect();
        let cache_dir = tempfile::tempdir().unwrap();
        let cache = CompiledCache::new(cache_dir.path());
        LoadedPlugin::load(&engine, &cache, &wasm, dir).unwrap();
        let cached: Vec<Duration> = (0..load_runs * 3)
            .map(|_| {
                let t = Instant::now();
                LoadedPlugin::load(&engine, &cache, &wasm, dir).unwrap();
                t.elapsed()
            })
            .collect();
        let plugin = LoadedPlugin::load(&engine, &cache, &wasm, dir).unwrap();
        let settings = || InstanceSettings {
            settings: serde_json::json!({ "url": server.base() })
                .as_object()
                .cloned()
                .unwrap(),
            grant: Grant {
                http: vec![server.host()],
                secrets: vec!["ISSUES_TOKEN".into()],
                ..Grant::default()
            },
            secrets: Arc::new(MapSecrets(
                [("ISSUES_TOKEN".to_string(), TOKEN.to_string())].into(),
            )),
            ..InstanceSettings::default()
        };
        let instantiate: Vec<Duration> = (0..100)
            .map(|_| {
                let t = Instant::now();
                plugin.instantiate(settings()).ping().unwrap();
                t.elapsed()
            })
            .collect();
        let mut warm = plugin.instantiate(settings());
        warm.ping().unwrap();
        let t = Instant::now();
        for _ in 0..call_runs {
            warm.ping().unwrap();
        }
        let per_call = t.elapsed() / call_runs;
        let project = Project {
            id: "web".into(),
            repo: None,
            path: "/tmp/web".into(),
            default_branch: "main".into(),
        };
        let get: Vec<Duration> = (0..get_runs)
            .map(|_| {
                let t = Instant::now();
                warm.with_tracker("get-issue", |store, g| {
                    g.call_get_issue(store, &project, "1")
                })
                .unwrap();
                t.elapsed()
            })
            .collect();
        println!(
            "| {label} | {} KiB | {} | {} | {} | {} | {} |",
            wasm.len() / 1024,
            fmt(median(first)),
            fmt(median(cached)),
            fmt(median(instantiate)),
            fmt(per_call),
            fmt(median(get)),
        );
    }
}
