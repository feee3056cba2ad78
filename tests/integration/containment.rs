//! A plugin that loops, exhausts memory, recurses, traps, panics or reaches
//! for what it was not granted is contained: its call fails with an error
//! naming the plugin and the call, its instance is replaced, and a
//! well-behaved plugin next to it keeps answering.

use crate::helpers::*;
use ao_plugin_host::bindings::v0_1::PluginError;
use ao_plugin_host::{CallErrorKind, Grant, InstanceSettings, Limits, PluginInstance};
use ao_tests::{FakeServer, Reply};
use std::time::{Duration, Instant};

fn hostile_instance(grant: Grant) -> PluginInstance {
    hostile().instantiate(InstanceSettings {
        grant,
        limits: Limits {
            call_timeout: Duration::from_millis(400),
            ..Limits::default()
        },
        ..InstanceSettings::default()
    })
}

/// A webhook notifier delivering to its own fake receiver: the bystander.
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

fn call(
    instance: &mut PluginInstance,
    kind: &str,
    data: &str,
) -> Result<(), ao_plugin_host::CallError> {
    let mut e = event(kind, "fixture");
    e.data = data.to_string();
    instance.notify(&e)
}

#[test]
fn an_infinite_loop_is_stopped_at_the_deadline() {
    let mut bystander = Bystander::new();
    let mut plugin = hostile_instance(Grant::default());
    let started = Instant::now();
    let err = call(&mut plugin, "loop", "").unwrap_err();
    assert!(matches!(err.kind, CallErrorKind::Timeout), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "stopped after {:?}",
        started.elapsed()
    );
    let text = err.to_string();
    assert!(
        text.contains("plugin `hostile`") && text.contains("`notify`") && text.contains("400 ms"),
        "{text}"
    );
    // The instance is replaced and answers again.
    call(&mut plugin, "ok", "").unwrap();
    assert_eq!(plugin.restarts(), 1);
    bystander.still_answers();
}

#[test]
fn a_memory_bomb_hits_the_cap() {
    let mut bystander = Bystander::new();
    let mut plugin = hostile_instance(Grant::default());
    let err = call(&mut plugin, "memory-bomb", "").unwrap_err();
    assert!(matches!(err.kind, CallErrorKind::OutOfMemory), "{err}");
    assert!(err.to_string().contains("64 MiB"), "{err}");
    call(&mut plugin, "ok", "").unwrap();
    bystander.still_answers();
}

#[test]
fn deep_recursion_overflows_the_stack_safely() {
    let mut bystander = Bystander::new();
    let mut plugin = hostile_instance(Grant::default());
    let err = call(&mut plugin, "recursion", "").unwrap_err();
    assert!(matches!(err.kind, CallErrorKind::StackOverflow), "{err}");
    call(&mut plugin, "ok", "").unwrap();
    bystander.still_answers();
}

#[test]
fn traps_and_panics_are_reported_with_the_panic_message() {
    let mut bystander = Bystander::new();
    let mut plugin = hostile_instance(Grant::default());
    let err = call(&mut plugin, "trap", "").unwrap_err();
    assert!(matches!(err.kind, CallErrorKind::Trap), "{err}");
    let err = call(&mut plugin, "panic", "").unwrap_err();
    assert!(matches!(err.kind, CallErrorKind::Trap), "{err}");
    assert!(err.to_string().contains("fixture asked to panic"), "{err}");
    assert_eq!(plugin.restarts(), 2);
    call(&mut plugin, "ok", "").unwrap();
    bystander.still_answers();
}

#[test]
fn http_to_a_host_that_is_not_granted_is_denied() {
    let mut bystander = Bystander::new();
    let server = FakeServer::start();
    // Requested by the manifest but not granted: denied.
    let mut plugin = hostile_instance(Grant::default());
    let err = call(&mut plugin, "fetch", &server.url("/x")).unwrap_err();
    match err.plugin_error() {
        Some(PluginError::Denied(m)) => {
            assert!(
                m.contains(&server.host()) && m.contains("plugins.hostile.grant.http"),
                "{m}"
            )
        }
        other => panic!("expected denied, got {other:?}"),
    }
    assert!(
        server.requests().is_empty(),
        "no request may leave the host"
    );
    // Granted but never requested by the manifest: still denied.
    let mut plugin = hostile_instance(http_grant(&["example.org"]));
    let err = call(&mut plugin, "fetch", "http://example.org/").unwrap_err();
    assert!(
        matches!(err.plugin_error(), Some(PluginError::Denied(_))),
        "{err}"
    );
    // Requested and granted: allowed.
    let mut plugin = hostile_instance(http_grant(&["127.0.0.1"]));
    let err = call(&mut plugin, "fetch", &server.url("/x")).unwrap_err();
    assert!(err.to_string().contains("status 200"), "{err}");
    assert_eq!(server.requests().len(), 1);
    bystander.still_answers();
}

#[test]
fn undeclared_or_ungranted_secrets_are_denied() {
    let mut bystander = Bystander::new();
    let secrets = ao_plugin_host::services::MapSecrets(
        [
            ("DECLARED_SECRET".to_string(), "s3cr3t-value".to_string()),
            ("OTHER".to_string(), "x".to_string()),
        ]
        .into(),
    );
    let settings = |grant: Grant| InstanceSettings {
        grant,
        secrets: arc(secrets.clone()),
        ..InstanceSettings::default()
    };
    let grant_all = Grant {
        secrets: vec!["OTHER".into()],
        ..Grant::default()
    }
    .readable("DECLARED_SECRET");
    let mut plugin = hostile().instantiate(settings(grant_all));
    // Not declared in the manifest: denied even though granted.
    let err = call(&mut plugin, "secret", "OTHER").unwrap_err();
    assert!(
        matches!(err.plugin_error(), Some(PluginError::Denied(_))),
        "{err}"
    );
    // Declared and granted readable: the plugin may read it (and reports only its length).
    let err = call(&mut plugin, "secret", "DECLARED_SECRET").unwrap_err();
    assert!(
        err.to_string().contains("secret has 12 characters"),
        "{err}"
    );
    // Declared, not granted: denied.
    let mut plugin = hostile().instantiate(settings(Grant::default()));
    let err = call(&mut plugin, "secret", "DECLARED_SECRET").unwrap_err();
    assert!(
        matches!(err.plugin_error(), Some(PluginError::Denied(_))),
        "{err}"
    );
    bystander.still_answers();
}

#[test]
fn files_outside_the_granted_directories_cannot_be_read() {
    let mut bystander = Bystander::new();
    let granted = tempfile::tempdir().unwrap();
    let inside = granted.path().join("notes.txt");
    std::fs::write(&inside, "hello from the grant").unwrap();
    let outside = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(outside.path(), "private").unwrap();

    let grant = Grant {
        read_dirs: vec![granted.path().display().to_string()],
        ..Grant::default()
    };
    let mut plugin = hostile_instance(grant);
    let err = call(&mut plugin, "read-file", inside.to_str().unwrap()).unwrap_err();
    assert!(err.to_string().contains("read 20 bytes"), "{err}");
    let err = call(&mut plugin, "read-file", outside.path().to_str().unwrap()).unwrap_err();
    assert!(
        matches!(err.plugin_error(), Some(PluginError::Denied(m)) if m.contains("cannot read")),
        "{err}"
    );
    // Nothing granted: nothing readable.
    let mut plugin = hostile_instance(Grant::default());
    let err = call(&mut plugin, "read-file", inside.to_str().unwrap()).unwrap_err();
    assert!(
        matches!(err.plugin_error(), Some(PluginError::Denied(_))),
        "{err}"
    );
    bystander.still_answers();
}

#[test]
fn a_multi_megabyte_response_is_refused_at_the_limit() {
    let mut bystander = Bystander::new();
    let server = FakeServer::start();
    server.script([
        Reply::status(200).body(vec![b'x'; 16 << 20]),
        Reply::status(200).body(vec![b'y'; 1024]),
    ]);
    let mut plugin = hostile_instance(http_grant(&["127.0.0.1"]));
    let err = call(&mut plugin, "fetch", &server.url("/big")).unwrap_err();
    assert!(
        err.to_string().contains("larger than this plugin's limit"),
        "{err}"
    );
    let err = call(&mut plugin, "fetch", &server.url("/small")).unwrap_err();
    assert!(err.to_string().contains("fetched 1024 bytes"), "{err}");
    bystander.still_answers();
}

#[test]
fn programs_and_the_key_value_store_need_grants() {
    let kv_dir = tempfile::tempdir().unwrap();
    // The fixture requests neither programs nor kv: both are denied.
    let mut plugin = hostile().instantiate(InstanceSettings {
        grant: Grant {
            programs: vec!["true".into()],
            kv: true,
            ..Grant::default()
        },
        kv_database: Some(kv_dir.path().join("ao.db")),
        ..InstanceSettings::default()
    });
    let err = call(&mut plugin, "run", "true").unwrap_err();
    assert!(
        matches!(err.plugin_error(), Some(PluginError::Denied(m)) if m.contains("`true`")),
        "{err}"
    );
    let err = call(&mut plugin, "kv", "").unwrap_err();
    assert!(
        matches!(err.plugin_error(), Some(PluginError::Denied(_))),
        "{err}"
    );
}

/// A granted program that leaves a child holding its output open
/// (`sleep 30 &`) does not hold the call: the group is ended at the
/// deadline and the output so far comes back.
#[test]
fn a_granted_programs_background_child_is_ended_at_the_deadline() {
    let mut plugin = hostile().instantiate(InstanceSettings {
        grant: Grant {
            programs: vec!["sh".into()],
            ..Grant::default()
        },
        limits: Limits {
            call_timeout: Duration::from_secs(2),
            ..Limits::default()
        },
        ..InstanceSettings::default()
    });
    let marker = tempfile::tempdir().unwrap();
    let survivor = marker.path().join("survived");
    let started = Instant::now();
    let err = call(
        &mut plugin,
        "run",
        &format!(
            "sh\n-c\necho started; (sleep 4; touch {}) &",
            survivor.display()
        ),
    )
    .unwrap_err();
    let took = started.elapsed();
    assert!(err.to_string().contains("ran with status 0"), "{err}");
    assert!(took < Duration::from_secs(4), "held for {took:?}");
    // The background child was ended with its group, not left running.
    std::thread::sleep(Duration::from_secs(3));
    assert!(!survivor.exists(), "the background child outlived the call");
    call(&mut plugin, "ok", "").unwrap();
}

/// The daemon will move instances onto worker threads.
#[test]
fn instances_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<PluginInstance>();
    let mut plugin = hostile_instance(Grant::default());
    std::thread::spawn(move || call(&mut plugin, "ok", "").unwrap())
        .join()
        .unwrap();
}

#[test]
fn a_plugin_returning_garbage_is_refused_at_the_boundary() {
    let mut bystander = Bystander::new();
    let garbage = load_file(ao_builtin_plugins::fixtures::GARBAGE);
    let mut plugin = garbage.instantiate(InstanceSettings::default());
    let err = plugin.notify(&event("x", "y")).unwrap_err();
    assert!(matches!(err.kind, CallErrorKind::Trap), "{err}");
    assert!(
        err.to_string().contains("plugin `garbage`") && err.to_string().contains("discriminant"),
        "{err}"
    );
    assert_eq!(plugin.restarts(), 1);
    // It can still be asked for its manifest: the replacement instance works.
    assert_eq!(plugin.ping().unwrap().name, "garbage");
    bystander.still_answers();
}
