//! Host bindings, one module per supported WIT line (in the manner of Zed's
//! `since_vX_Y` modules). When `0.2` ships, add `v0_2` beside `v0_1`, keep
//! `v0_1` frozen, and convert its types to the newest inside the host.

/// Bindings for `ao:plugin@0.1.x`.
pub mod v0_1 {
    wasmtime::component::bindgen!({
        world: "host-view",
        path: "../../wit/v0.1.0",
    });

    pub use ao::plugin::agent_types::{
        Activity, ActivityReport, CommandSpec, Cost, HookFile, LaunchConfig, PermissionMode,
        PromptDelivery, SessionContext, SessionInfo,
    };
    pub use ao::plugin::notifier_types::{Action, Event, MessageContext, Priority};
    pub use ao::plugin::types::{Capabilities, Manifest, PluginError, Project, RateLimit, Role};
}
