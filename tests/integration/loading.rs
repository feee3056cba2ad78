//! Bad plugin files are refused with a clear error, and never stop the other
//! plugins from loading; good ones load from the compiled cache.

use crate::helpers::*;
use ao_builtin_plugins::fixtures;
use ao_plugin_host::cache::{CacheOutcome, CompiledCache};
use ao_plugin_host::discovery::{Builtin, Catalog, PluginSource};
use ao_plugin_host::{LoadError, LoadedPlugin};

fn load_error(bytes: &[u8]) -> LoadError {
    match LoadedPlugin::load(engine(), cache(), bytes, "the-file.wasm") {
        Ok(_) => panic!("expected a load error"),
        Err(e) => e,
    }
}

#[test]
fn not_wasm_core_modules_and_unknown_worlds_are_refused() {
    assert!(matches!(
        load_error(b"#!/bin/sh\necho hi\n"),
        LoadError::NotWasm { .. }
    ));
    let err = load_error(b"\0asm\x01\0\0\0");
    assert!(matches!(err, LoadError::CoreModule { .. }), "{err}");
    assert!(err.to_string().contains("wasm32-wasip2"), "{err}");
    let err = load_error(&std::fs::read(fixtures::NO_EXPORTS).unwrap());
    assert!(matches!(err, LoadError::NotAPlugin { .. }), "{err}");
    assert!(
        err.to_string().contains("the-file.wasm") && err.to_string().contains("hello"),
        "{err}"
    );
}

#[test]
fn an_unsupported_wit_version_is_refused_with_advice() {
    let err = load_error(&std::fs::read(fixtures::FUTURE_VERSION).unwrap());
    let text = err.to_string();
    assert!(
        matches!(err, LoadError::UnsupportedVersion { ref found, .. } if found == "0.2.0"),
        "{text}"
    );
    assert!(
        text.contains("supports 0.1.x") && text.contains("Rebuild the plugin"),
        "{text}"
    );
}

#[test]
fn a_malformed_manifest_is_refused_with_every_problem_named() {
    let err = load_error(&std::fs::read(fixtures::BAD_MANIFEST).unwrap());
    let LoadError::BadManifest { problems, .. } = &err else {
        panic!("{err}")
    };
    let all = problems.join("\n");
    for needle in [
        "Bad Name!",
        "not-semver",
        "claims `tracker`",
        "http://[::1",
        "exa mple.com",
        "../../bin/sh",
        "relative/dir",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
    }
}

#[test]
fn a_bad_file_in_a_plugin_directory_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.wasm"), b"garbage").unwrap();
    std::fs::copy(fixtures::BAD_MANIFEST, dir.path().join("bad-manifest.wasm")).unwrap();
    std::fs::copy(fixtures::HOSTILE, dir.path().join("hostile.wasm")).unwrap();
    std::fs::write(dir.path().join("README.txt"), b"not a plugin, not a .wasm").unwrap();
    let builtins: Vec<Builtin> = ao_builtin_plugins::builtins()
        .iter()
        .map(|b| Builtin {
            file_name: b.file_name,
            wasm: b.wasm,
            sha256: b.sha256,
            default_grant: Default::default(),
        })
        .collect();
    let catalog = Catalog::discover(
        engine(),
        cache(),
        &builtins,
        &[PluginSource::User(dir.path().to_path_buf())],
    );
    let mut names: Vec<&str> = catalog
        .plugins
        .iter()
        .map(|d| d.plugin.manifest().name.as_str())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "aider",
            "claude-code",
            "codex",
            "copilot",
            "cursor",
            "custom",
            "desktop",
            "discord",
            "gemini",
            "github",
            "gitlab",
            "hostile",
            "linear",
            "opencode",
            "slack",
            "webhook"
        ]
    );
    assert_eq!(catalog.failures.len(), 2, "{:?}", catalog.failures);
}

#[test]
fn a_user_plugin_overrides_a_builtin_of_the_same_name() {
    let dir = tempfile::tempdir().unwrap();
    // The built-in webhook plugin, dropped into the user directory.
    let webhook = ao_builtin_plugins::builtins()
        .into_iter()
        .find(|b| b.file_name == "webhook.wasm")
        .unwrap();
    std::fs::write(dir.path().join("my-webhook.wasm"), webhook.wasm).unwrap();
    let builtins = [Builtin {
        file_name: webhook.file_name,
        wasm: webhook.wasm,
        sha256: webhook.sha256,
        default_grant: Default::default(),
    }];
    let catalog = Catalog::discover(
        engine(),
        cache(),
        &builtins,
        &[PluginSource::User(dir.path().to_path_buf())],
    );
    let found = catalog.get("webhook").unwrap();
    assert!(matches!(found.source, PluginSource::User(_)));
    assert_eq!(found.overrides.as_deref(), Some("built-in webhook.wasm"));
}

#[test]
fn the_compiled_cache_is_used_and_a_corrupt_entry_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let cache = CompiledCache::new(dir.path());
    let wasm = std::fs::read(fixtures::HOSTILE).unwrap();
    let first = LoadedPlugin::load(engine(), &cache, &wasm, "hostile").unwrap();
    assert_eq!(first.cache_outcome(), CacheOutcome::Compiled);
    let second = LoadedPlugin::load(engine(), &cache, &wasm, "hostile").unwrap();
    assert_eq!(second.cache_outcome(), CacheOutcome::Hit);

    // Flip one byte in the middle of the compiled code.
    let entry = cache.entry_path(engine().engine(), &wasm).unwrap();
    let mut bytes = std::fs::read(&entry).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xFF;
    std::fs::write(&entry, &bytes).unwrap();
    let third = LoadedPlugin::load(engine(), &cache, &wasm, "hostile").unwrap();
    assert_eq!(third.cache_outcome(), CacheOutcome::Rebuilt);
    // And the rebuilt entry is good again.
    let mut instance = third.instantiate(Default::default());
    instance.notify(&event("ok", "")).unwrap();
    assert_eq!(
        LoadedPlugin::load(engine(), &cache, &wasm, "hostile")
            .unwrap()
            .cache_outcome(),
        CacheOutcome::Hit
    );

    // A truncated entry too.
    std::fs::write(&entry, &bytes[..100]).unwrap();
    assert_eq!(
        LoadedPlugin::load(engine(), &cache, &wasm, "hostile")
            .unwrap()
            .cache_outcome(),
        CacheOutcome::Rebuilt
    );
}
