//! The per-instance state every host service works on.

use crate::bindings::v0_1::{PluginError, ao::plugin as wit};
use crate::capability::Capabilities;
use crate::kv_store::KvStore;
use crate::limits::Limits;
use crate::services::secrets::SecretSource;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Everything one plugin instance's host calls need.
pub struct HostState {
    /// Who this is, for logs and errors (`slack` or `team (slack)`).
    pub label: String,
    /// The plugin's name, for grant hints (`plugins.<name>.grant`).
    pub plugin: String,
    pub caps: Capabilities,
    pub limits: Limits,
    /// The plugin's settings object.
    pub settings: serde_json::Map<String, serde_json::Value>,
    pub secrets: Arc<dyn SecretSource>,
    pub kv: Option<KvStore>,
    /// End of the current call; sleeps and host I/O never outlive it.
    pub deadline: Instant,
    pub memory: MemoryGuard,
    pub stderr: MemoryOutputPipe,
    pub http_agent: ureq::Agent,
    pub home: Option<PathBuf>,
    pub clock: crate::Clock,
    /// The instance's log ration.
    pub log_budget: crate::budget::LogBudget,
    pub wasi: WasiCtx,
    pub table: ResourceTable,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl HostState {
    /// A denial: logged for the user, returned to the plugin.
    pub fn deny(&self, what: &str, grant_key: &str, item: &str) -> PluginError {
        let hint = format!(
            "to allow it, add `{item}` to plugins.{}.grant.{grant_key} in agent-orchestrator.yaml (the plugin must also request it)",
            self.plugin
        );
        tracing::warn!(plugin = %self.label, "denied {what}: {hint}");
        PluginError::Denied(format!(
            "{what} is not granted to plugin `{}`; {hint}",
            self.plugin
        ))
    }

    /// Time left in the current call.
    pub fn remaining(&self) -> std::time::Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Replaces any granted secret's value in `text` with `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for name in self.caps.secrets.iter().filter(|n| !n.ends_with('*')) {
            if let Some(value) = self.secrets.get(name).filter(|v| v.len() >= 4)
                && out.contains(&value)
            {
                out = out.replace(&value, "***");
            }
        }
        out
    }

    /// A string from the plugin as ao may show or log it: redacted, then
    /// capped (a huge string is cut to a working size first, far past the
    /// final cap, so no secret is cut in half where it shows).
    pub fn sanitize(&self, text: &str) -> String {
        use crate::budget::{MAX_PLUGIN_TEXT, cap};
        cap(
            &self.redact(&cap(text, 16 * MAX_PLUGIN_TEXT)),
            MAX_PLUGIN_TEXT,
        )
    }
}

/// The memory cap, remembering whether it was hit so a trap can be named.
#[derive(Debug)]
pub struct MemoryGuard {
    pub limit: usize,
    pub exceeded: bool,
}

impl ResourceLimiter for MemoryGuard {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.exceeded = true;
            wasmtime::bail!(
                "memory limit of {} MiB reached (wanted {} MiB)",
                self.limit >> 20,
                desired >> 20
            );
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

// Type-only interfaces have nothing to implement.
impl wit::types::Host for HostState {}
impl wit::notifier_types::Host for HostState {}
impl wit::tracker_types::Host for HostState {}
impl wit::scm_types::Host for HostState {}
impl wit::agent_types::Host for HostState {}
