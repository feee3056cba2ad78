//! Plugin host costs for the Rust and the JavaScript notifier.
//!
//! - first load: validate + compile with cranelift + link + read manifest
//! - cached load: the same from the verified on-disk cache
//! - instantiate: a fresh sandboxed Store + instance + one trivial call
//! - trivial call: `get-manifest` on a warm instance (µs per call)
//! - notify: a full `notify` that makes one host HTTP request to 127.0.0.1

use crate::{fmt, median};
use ao_plugin_host::bindings::v0_1::{Event, Priority};
use ao_plugin_host::cache::CompiledCache;
use ao_plugin_host::{Grant, InstanceSettings, LoadedPlugin, PluginEngine};
use ao_tests::FakeServer;
use std::time::{Duration, Instant};

pub fn run(quick: bool) {
    let (load_runs, call_runs, notify_runs) = if quick {
        (3, 2_000, 50)
    } else {
        (7, 20_000, 300)
    };
    let engine = PluginEngine::new().unwrap();
    let server = FakeServer::start();
    let webhook = ao_builtin_plugins::builtins()
        .into_iter()
        .find(|b| b.file_name == "webhook.wasm")
        .unwrap()
        .wasm
        .to_vec();
    let js_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/notifier-js/notifier-js.wasm"
    );
    let mut subjects = vec![("rust (webhook)", webhook)];
    match std::fs::read(js_path) {
        Ok(bytes) => subjects.push(("js (notifier-js, QuickJS)", bytes)),
        Err(_) => eprintln!("skipping the JS plugin: build it with ./scripts/test first"),
    }

    println!(
        "| plugin | size | first load (compile) | cached load | instantiate + call | trivial call | notify (1 HTTP POST) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (label, wasm) in subjects {
        let first: Vec<Duration> = (0..load_runs)
            .map(|_| {
                let t = Instant::now();
                LoadedPlugin::load(&engine, &CompiledCache::disabled(), &wasm, label).unwrap();
                t.elapsed()
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let cache = CompiledCache::new(dir.path());
        LoadedPlugin::load(&engine, &cache, &wasm, label).unwrap();
        let cached: Vec<Duration> = (0..load_runs * 3)
            .map(|_| {
                let t = Instant::now();
                LoadedPlugin::load(&engine, &cache, &wasm, label).unwrap();
                t.elapsed()
            })
            .collect();
        let plugin = LoadedPlugin::load(&engine, &cache, &wasm, label).unwrap();
        let settings = || InstanceSettings {
            settings: serde_json::json!({ "url": server.url("/bench"), "retries": 0 })
                .as_object()
                .cloned()
                .unwrap(),
            grant: Grant {
                http: vec![server.host()],
                ..Grant::default()
            },
            ..InstanceSettings::default()
        };
        let instantiate: Vec<Duration> = (0..200)
            .map(|_| {
                let t = Instant::now();
                let mut i = plugin.instantiate(settings());
                i.ping().unwrap();
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
        let event = Event {
            id: "b".into(),
            kind: "bench".into(),
            priority: Priority::Info,
            session_id: "s".into(),
            project_id: "p".into(),
            timestamp: 0,
            message: "benchmark".into(),
            pr_url: None,
            session_url: None,
            data: "{}".into(),
        };
        let notify: Vec<Duration> = (0..notify_runs)
            .map(|_| {
                let t = Instant::now();
                warm.notify(&event).unwrap();
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
            fmt(median(notify)),
        );
    }
}
