//! Loading a plugin and calling it inside its sandbox.
//!
//! A [`LoadedPlugin`] is compiled code plus its manifest and a linked
//! `InstancePre` (cheap to instantiate many times). A [`PluginInstance`] is
//! one configured, sandboxed instance with its own `Store`: its settings, its
//! effective capabilities and its limits. After any trap (timeout, memory,
//! stack, panic) the instance's Store is dropped and a fresh one is made on
//! the next call, so a crash never leaks into later calls or other plugins.

use crate::bindings::v0_1::{self as wit, HostView, exports::ao::plugin as guest};
use crate::cache::{CacheOutcome, CompiledCache, ComponentDigest};
use crate::capability::{Capabilities, Grant};
use crate::engine::PluginEngine;
use crate::error::{CallError, CallErrorKind, LoadError};
use crate::inspect::{self, Surface};
use crate::kv_store::KvStore;
use crate::limits::Limits;
use crate::manifest::Manifest;
use crate::services::{self, EnvSecrets, HostState, SecretSource};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::{HasSelf, Instance, InstancePre, Linker};
use wasmtime::{Store, Trap};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

/// Deadline for reading a manifest: it must not do any work.
const MANIFEST_TIMEOUT: Duration = Duration::from_secs(2);
/// Captured stderr per call (panic messages land here).
const STDERR_CAPACITY: usize = 64 << 10;

/// A compiled, validated plugin, ready to instantiate.
#[derive(Clone)]
pub struct LoadedPlugin {
    inner: Arc<Loaded>,
}

struct Loaded {
    engine: PluginEngine,
    pre: InstancePre<HostState>,
    manifest: Manifest,
    surface: Surface,
    origin: String,
    cache: CacheOutcome,
    load_time: Duration,
}

impl LoadedPlugin {
    /// Validates, compiles (or loads from cache), links and reads the
    /// manifest. Every failure names `origin` and says what to do.
    pub fn load(
        engine: &PluginEngine,
        cache: &CompiledCache,
        wasm: &[u8],
        origin: &str,
    ) -> Result<Self, LoadError> {
        Self::load_digested(engine, cache, wasm, &ComponentDigest::of(wasm), origin)
    }

    /// [`LoadedPlugin::load`] for bytes whose SHA-256 is already known.
    pub fn load_digested(
        engine: &PluginEngine,
        cache: &CompiledCache,
        wasm: &[u8],
        digest: &ComponentDigest,
        origin: &str,
    ) -> Result<Self, LoadError> {
        let started = Instant::now();
        inspect::require_component(wasm, origin)?;
        let (component, outcome) =
            cache
                .load_digested(engine.engine(), wasm, digest)
                .map_err(|e| LoadError::Invalid {
                    origin: origin.to_string(),
                    message: format!("{e:#}"),
                })?;
        let surface = inspect::surface(engine.engine(), &component, origin)?;

        let mut linker: Linker<HostState> = Linker::new(engine.engine());
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .and_then(|()| crate::wasi_sleep::add_to_linker(&mut linker))
            .and_then(|()| {
                HostView::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)
            })
            .map_err(|e| LoadError::Link {
                origin: origin.to_string(),
                message: format!("{e:#}"),
            })?;
        let pre = linker.instantiate_pre(&component).map_err(|e| LoadError::Link {
            origin: origin.to_string(),
            message: format!(
                "{e:#}. The plugin uses a host function this ao does not have; update ao or rebuild the plugin against ao:plugin@0.1.0"
            ),
        })?;

        let mut loaded = Loaded {
            engine: engine.clone(),
            pre,
            manifest: Manifest {
                name: String::new(),
                version: String::new(),
                description: String::new(),
                roles: Vec::new(),
                requested: Capabilities::default(),
            },
            surface,
            origin: origin.to_string(),
            cache: outcome,
            load_time: Duration::ZERO,
        };
        loaded.manifest = read_manifest(&loaded)?;
        let problems = loaded.manifest.problems(&loaded.surface.roles);
        if !problems.is_empty() {
            return Err(LoadError::BadManifest {
                origin: origin.to_string(),
                problems,
            });
        }
        loaded.load_time = started.elapsed();
        Ok(LoadedPlugin {
            inner: Arc::new(loaded),
        })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.inner.manifest
    }

    pub fn surface(&self) -> &Surface {
        &self.inner.surface
    }

    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// Whether the compiled code came from the cache.
    pub fn cache_outcome(&self) -> CacheOutcome {
        self.inner.cache
    }

    /// Time spent in [`LoadedPlugin::load`].
    pub fn load_time(&self) -> Duration {
        self.inner.load_time
    }

    /// A configured instance. Nothing runs until the first call.
    pub fn instantiate(&self, settings: InstanceSettings) -> PluginInstance {
        let effective = Capabilities::effective(&self.inner.manifest.requested, &settings.grant);
        PluginInstance {
            plugin: self.clone(),
            settings,
            effective,
            live: None,
            restarts: 0,
        }
    }
}

/// How one instance is configured.
#[derive(Clone)]
pub struct InstanceSettings {
    /// Name in logs and errors, e.g. `team (slack)`; defaults to the plugin name.
    pub label: Option<String>,
    /// The plugin's settings object (its section of the config).
    pub settings: serde_json::Map<String, serde_json::Value>,
    pub grant: Grant,
    pub limits: Limits,
    pub secrets: Arc<dyn SecretSource>,
    /// The database holding plugins' key-value data (ao's state
    /// database); `None` disables the store.
    pub kv_database: Option<PathBuf>,
    /// For `~/` in read-only directory grants.
    pub home: Option<PathBuf>,
    /// What `clock.now-ms` answers (the system's, except in simulations).
    pub clock: crate::Clock,
}

impl Default for InstanceSettings {
    fn default() -> Self {
        InstanceSettings {
            label: None,
            settings: serde_json::Map::new(),
            grant: Grant::default(),
            limits: Limits::default(),
            secrets: Arc::new(EnvSecrets),
            kv_database: None,
            home: std::env::var_os("HOME").map(PathBuf::from),
            clock: crate::Clock::system(),
        }
    }
}

/// The exports of one live instance.
struct Guests {
    plugin: guest::plugin::Guest,
    notifier: Option<guest::notifier::Guest>,
    tracker: Option<guest::tracker::Guest>,
    scm: Option<guest::scm::Guest>,
    agent: Option<guest::agent::Guest>,
}

struct Live {
    store: Store<HostState>,
    guests: Guests,
}

/// One sandboxed, configured instance of a plugin.
pub struct PluginInstance {
    plugin: LoadedPlugin,
    settings: InstanceSettings,
    effective: Capabilities,
    live: Option<Live>,
    restarts: u32,
}

fn new_store(
    loaded: &Loaded,
    settings: &InstanceSettings,
    caps: &Capabilities,
    label: &str,
) -> Result<Store<HostState>, String> {
    let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
    let mut wasi = WasiCtxBuilder::new();
    // No environment, arguments, stdin or network; stdout is dropped.
    wasi.stderr(stderr.clone())
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false);
    for dir in caps.read_dir_paths(settings.home.as_deref()) {
        // Not there (yet): nothing to read, and no reason to refuse the plugin.
        if !dir.is_dir() {
            continue;
        }
        let guest_path = dir.to_string_lossy().into_owned();
        wasi.preopened_dir(&dir, &guest_path, FsPerms::ReadOnly)
            .map_err(|e| format!("cannot open granted directory {}: {e}", dir.display()))?;
    }
    let kv = match (&settings.kv_database, caps.kv) {
        (Some(dir), true) => Some(
            KvStore::open(dir, &loaded.manifest_name_or_origin())
                .map_err(|e| format!("key-value store: {e}"))?,
        ),
        _ => None,
    };
    let state = HostState {
        label: label.to_string(),
        plugin: loaded.manifest_name_or_origin(),
        caps: caps.clone(),
        limits: settings.limits,
        settings: settings.settings.clone(),
        secrets: settings.secrets.clone(),
        kv,
        deadline: Instant::now() + settings.limits.call_timeout,
        memory: services::state::MemoryGuard {
            limit: settings.limits.memory_bytes,
            exceeded: false,
        },
        stderr,
        http_agent: services::http::new_agent(),
        home: settings.home.clone(),
        clock: settings.clock.clone(),
        log_budget: crate::budget::LogBudget::default(),
        wasi: wasi.build(),
        table: wasmtime::component::ResourceTable::new(),
    };
    let mut store = Store::new(loaded.engine.engine(), state);
    store.limiter(|s| &mut s.memory);
    store.epoch_deadline_trap();
    store.set_epoch_deadline(PluginEngine::ticks(settings.limits.call_timeout));
    Ok(store)
}

impl Loaded {
    fn manifest_name_or_origin(&self) -> String {
        if self.manifest.name.is_empty() {
            self.origin.clone()
        } else {
            self.manifest.name.clone()
        }
    }

    fn instantiate_guests(&self, store: &mut Store<HostState>) -> wasmtime::Result<Guests> {
        let instance: Instance = self.pre.instantiate(&mut *store)?;
        let has = |role: &str| self.surface.roles.iter().any(|r| r == role);
        Ok(Guests {
            plugin: guest::plugin::GuestIndices::new(&self.pre)?.load(&mut *store, &instance)?,
            notifier: if has("notifier") {
                Some(guest::notifier::GuestIndices::new(&self.pre)?.load(&mut *store, &instance)?)
            } else {
                None
            },
            tracker: if has("tracker") {
                Some(guest::tracker::GuestIndices::new(&self.pre)?.load(&mut *store, &instance)?)
            } else {
                None
            },
            scm: if has("scm") {
                Some(guest::scm::GuestIndices::new(&self.pre)?.load(&mut *store, &instance)?)
            } else {
                None
            },
            agent: if has("agent") {
                Some(guest::agent::GuestIndices::new(&self.pre)?.load(&mut *store, &instance)?)
            } else {
                None
            },
        })
    }
}

/// Reads the manifest in a throwaway, capability-less sandbox.
fn read_manifest(loaded: &Loaded) -> Result<Manifest, LoadError> {
    let settings = InstanceSettings {
        limits: Limits {
            call_timeout: MANIFEST_TIMEOUT,
            ..Limits::default()
        },
        ..InstanceSettings::default()
    };
    let fail = |message: String| LoadError::ManifestCall {
        origin: loaded.origin.clone(),
        message,
    };
    let mut store =
        new_store(loaded, &settings, &Capabilities::default(), &loaded.origin).map_err(fail)?;
    let guests = loaded
        .instantiate_guests(&mut store)
        .map_err(|e| fail(format!("{e:#}")))?;
    let manifest = guests
        .plugin
        .call_get_manifest(&mut store)
        .map_err(|e| fail(classify(&e, &store).1))?;
    store.data_mut().log_dropped_summary();
    Ok(Manifest::from_wit(manifest))
}

/// A contract error with its text as ao may show it.
fn sanitize_error(error: wit::PluginError, state: &HostState) -> wit::PluginError {
    use wit::PluginError as E;
    let clean = |m: String| state.sanitize(&m);
    match error {
        E::Auth(m) => E::Auth(clean(m)),
        E::NotFound(m) => E::NotFound(clean(m)),
        E::RateLimited(r) => E::RateLimited(wit::RateLimit {
            retry_after_ms: r.retry_after_ms,
            message: clean(r.message),
        }),
        E::Transient(m) => E::Transient(clean(m)),
        E::InvalidInput(m) => E::InvalidInput(clean(m)),
        E::Denied(m) => E::Denied(clean(m)),
        E::Unsupported(m) => E::Unsupported(clean(m)),
        E::Other(m) => E::Other(clean(m)),
    }
}

/// Names a trap: (kind, one-line detail including the plugin's stderr).
fn classify(error: &wasmtime::Error, store: &Store<HostState>) -> (CallErrorKind, String) {
    let state = store.data();
    let stderr = state.sanitize(String::from_utf8_lossy(&state.stderr.contents()).trim());
    let with_stderr = |base: String| {
        if stderr.is_empty() {
            base
        } else {
            format!("{base}; plugin stderr: {stderr}")
        }
    };
    if state.memory.exceeded {
        return (
            CallErrorKind::OutOfMemory,
            format!(
                "it tried to use more than its {} MiB memory limit",
                state.limits.memory_bytes >> 20
            ),
        );
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => (
            CallErrorKind::Timeout,
            format!(
                "it ran longer than its {} ms deadline",
                state.limits.call_timeout.as_millis()
            ),
        ),
        Some(Trap::StackOverflow) => (
            CallErrorKind::StackOverflow,
            "call stack exhausted (runaway recursion)".into(),
        ),
        Some(trap) => (CallErrorKind::Trap, with_stderr(format!("{trap}"))),
        None => (
            CallErrorKind::Trap,
            with_stderr(state.sanitize(&format!("{error:#}"))),
        ),
    }
}

impl PluginInstance {
    pub fn manifest(&self) -> &Manifest {
        self.plugin.manifest()
    }

    /// What this instance can actually use (requested ∩ granted).
    pub fn effective_capabilities(&self) -> &Capabilities {
        &self.effective
    }

    /// How many times the instance was replaced after a crash.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    fn label(&self) -> String {
        self.settings
            .label
            .clone()
            .unwrap_or_else(|| self.plugin.manifest().name.clone())
    }

    fn error(&self, call: &str, kind: CallErrorKind, detail: String) -> CallError {
        CallError {
            plugin: self.label(),
            call: call.to_string(),
            kind,
            detail,
        }
    }

    /// Runs one export call inside the sandbox, with a fresh deadline that
    /// covers (re)instantiation too.
    fn call<R>(
        &mut self,
        call: &str,
        f: impl FnOnce(&mut Store<HostState>, &Guests) -> wasmtime::Result<Result<R, wit::PluginError>>,
    ) -> Result<R, CallError> {
        let timeout = self.settings.limits.call_timeout;
        let started = Instant::now();
        if self.live.is_none() {
            let label = self.label();
            let loaded = &self.plugin.inner;
            let mut store = new_store(loaded, &self.settings, &self.effective, &label)
                .map_err(|e| self.error(call, CallErrorKind::Instantiate, e))?;
            store.data_mut().deadline = started + timeout;
            let guests = match loaded.instantiate_guests(&mut store) {
                Ok(guests) => guests,
                Err(e) => {
                    // A start function that runs out the clock says so.
                    let detail = match classify(&e, &store) {
                        (CallErrorKind::Timeout, detail) => detail,
                        _ => store.data().sanitize(&format!("{e:#}")),
                    };
                    return Err(self.error(call, CallErrorKind::Instantiate, detail));
                }
            };
            self.live = Some(Live { store, guests });
        }
        let live = self.live.as_mut().expect("created above");
        let left = timeout.saturating_sub(started.elapsed());
        live.store.data_mut().deadline = started + timeout;
        live.store.set_epoch_deadline(PluginEngine::ticks(left));
        let outcome = f(&mut live.store, &live.guests);
        live.store.data_mut().log_dropped_summary();
        match outcome {
            Ok(Ok(value)) => Ok(value),
            // The error's own words are the message (Display shows them once),
            // redacted and capped.
            Ok(Err(plugin_error)) => {
                let plugin_error = sanitize_error(plugin_error, live.store.data());
                Err(self.error(call, CallErrorKind::Plugin(plugin_error), String::new()))
            }
            Err(trap) => {
                let (kind, detail) = classify(&trap, &live.store);
                // The Store may be in any state after a trap: throw it away.
                self.live = None;
                self.restarts += 1;
                let error = self.error(call, kind, detail);
                tracing::error!("{error}; the instance will be replaced on its next call");
                Err(error)
            }
        }
    }

    fn missing(&self, call: &str, role: &str) -> CallError {
        self.error(
            call,
            CallErrorKind::MissingRole,
            format!("it does not export the `{role}` role"),
        )
    }

    /// Calls `plugin.get-manifest` on the live instance (cheap liveness probe).
    pub fn ping(&mut self) -> Result<Manifest, CallError> {
        self.call("get-manifest", |store, g| {
            g.plugin.call_get_manifest(store).map(Ok)
        })
        .map(Manifest::from_wit)
    }

    /// `notifier.notify`.
    pub fn notify(&mut self, event: &wit::Event) -> Result<(), CallError> {
        self.live_role("notify", "notifier")?;
        self.call("notify", |store, g| {
            g.notifier
                .as_ref()
                .expect("checked")
                .call_notify(store, event)
        })
    }

    /// `notifier.notify-with-actions`.
    pub fn notify_with_actions(
        &mut self,
        event: &wit::Event,
        actions: &[wit::Action],
    ) -> Result<(), CallError> {
        self.live_role("notify-with-actions", "notifier")?;
        self.call("notify-with-actions", |store, g| {
            g.notifier
                .as_ref()
                .expect("checked")
                .call_notify_with_actions(store, event, actions)
        })
    }

    /// `notifier.post`.
    pub fn post(
        &mut self,
        message: &str,
        context: &wit::MessageContext,
    ) -> Result<Option<String>, CallError> {
        self.live_role("post", "notifier")?;
        self.call("post", |store, g| {
            g.notifier
                .as_ref()
                .expect("checked")
                .call_post(store, message, context)
        })
    }

    /// Runs `f` against the live tracker export (typed wrappers come with the tracker work).
    pub fn with_tracker<R>(
        &mut self,
        call: &str,
        f: impl FnOnce(
            &mut Store<HostState>,
            &guest::tracker::Guest,
        ) -> wasmtime::Result<Result<R, wit::PluginError>>,
    ) -> Result<R, CallError> {
        self.live_role(call, "tracker")?;
        self.call(call, |store, g| {
            f(store, g.tracker.as_ref().expect("checked"))
        })
    }

    /// Runs `f` against the live SCM export.
    pub fn with_scm<R>(
        &mut self,
        call: &str,
        f: impl FnOnce(
            &mut Store<HostState>,
            &guest::scm::Guest,
        ) -> wasmtime::Result<Result<R, wit::PluginError>>,
    ) -> Result<R, CallError> {
        self.live_role(call, "scm")?;
        self.call(call, |store, g| f(store, g.scm.as_ref().expect("checked")))
    }

    /// Runs `f` against the live agent export.
    pub fn with_agent<R>(
        &mut self,
        call: &str,
        f: impl FnOnce(
            &mut Store<HostState>,
            &guest::agent::Guest,
        ) -> wasmtime::Result<Result<R, wit::PluginError>>,
    ) -> Result<R, CallError> {
        self.live_role(call, "agent")?;
        self.call(call, |store, g| {
            f(store, g.agent.as_ref().expect("checked"))
        })
    }

    /// `agent.launch-command`.
    pub fn launch_command(
        &mut self,
        config: &wit::LaunchConfig,
    ) -> Result<wit::CommandSpec, CallError> {
        self.with_agent("launch-command", |store, g| {
            g.call_launch_command(store, config)
        })
    }

    /// `agent.environment`.
    pub fn agent_environment(
        &mut self,
        config: &wit::LaunchConfig,
    ) -> Result<Vec<(String, String)>, CallError> {
        self.with_agent("environment", |store, g| g.call_environment(store, config))
    }

    /// `agent.prompt-delivery-mode`.
    pub fn prompt_delivery(&mut self) -> Result<wit::PromptDelivery, CallError> {
        self.with_agent("prompt-delivery-mode", |store, g| {
            g.call_prompt_delivery_mode(store).map(Ok)
        })
    }

    /// `agent.workspace-hooks`.
    pub fn workspace_hooks(
        &mut self,
        context: &wit::SessionContext,
    ) -> Result<Vec<wit::HookFile>, CallError> {
        self.with_agent("workspace-hooks", |store, g| {
            g.call_workspace_hooks(store, context)
        })
    }

    /// `agent.activity-from-terminal`.
    pub fn activity_from_terminal(
        &mut self,
        text: &str,
    ) -> Result<Option<wit::ActivityReport>, CallError> {
        self.with_agent("activity-from-terminal", |store, g| {
            g.call_activity_from_terminal(store, text).map(Ok)
        })
    }

    /// `agent.activity-from-hook-event`.
    pub fn activity_from_hook_event(
        &mut self,
        context: &wit::SessionContext,
        event: &str,
    ) -> Result<Option<wit::ActivityReport>, CallError> {
        self.with_agent("activity-from-hook-event", |store, g| {
            g.call_activity_from_hook_event(store, context, event)
                .map(Ok)
        })
    }

    /// `agent.transcript-paths`.
    pub fn transcript_paths(
        &mut self,
        context: &wit::SessionContext,
    ) -> Result<Vec<String>, CallError> {
        self.with_agent("transcript-paths", |store, g| {
            g.call_transcript_paths(store, context).map(Ok)
        })
    }

    /// `agent.activity-from-transcript`.
    pub fn activity_from_transcript(
        &mut self,
        context: &wit::SessionContext,
        tail: &str,
    ) -> Result<Option<wit::ActivityReport>, CallError> {
        self.with_agent("activity-from-transcript", |store, g| {
            g.call_activity_from_transcript(store, context, tail)
                .map(Ok)
        })
    }

    /// `agent.get-session-info`.
    pub fn session_info(
        &mut self,
        context: &wit::SessionContext,
        tail: &str,
    ) -> Result<Option<wit::SessionInfo>, CallError> {
        self.with_agent("get-session-info", |store, g| {
            g.call_get_session_info(store, context, tail)
        })
    }

    /// `agent.restore-command`.
    pub fn restore_command(
        &mut self,
        context: &wit::SessionContext,
        config: &wit::LaunchConfig,
    ) -> Result<Option<wit::CommandSpec>, CallError> {
        self.with_agent("restore-command", |store, g| {
            g.call_restore_command(store, context, config)
        })
    }

    fn live_role(&self, call: &str, role: &str) -> Result<(), CallError> {
        if self.plugin.surface().roles.iter().any(|r| r == role) {
            Ok(())
        } else {
            Err(self.missing(call, role))
        }
    }
}
