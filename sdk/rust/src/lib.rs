//! # ao-plugin-sdk
//!
//! Write [ao](https://github.com/ao-dev/ao) plugins in Rust. A plugin is a
//! WebAssembly component that plays one or more roles — tracker, SCM,
//! notifier, agent — and reaches the outside world only through services the
//! host grants it (HTTP to named hosts, named secrets, named programs).
//!
//! Implement [`Plugin`] plus the trait of each role, then call [`export!`]:
//!
//! ```ignore
//! use ao_plugin_sdk::{export, http, Capabilities, Event, Manifest, Notifier, Plugin, PluginError, Role};
//!
//! struct Hello;
//!
//! impl Plugin for Hello {
//!     fn manifest() -> Manifest {
//!         Manifest::new("hello", env!("CARGO_PKG_VERSION"), "Posts events to a web hook")
//!             .roles([Role::Notifier])
//!             .capabilities(Capabilities::default().http_hosts(["hooks.example.com"]))
//!     }
//! }
//!
//! impl Notifier for Hello {
//!     fn notify(event: Event) -> Result<(), PluginError> {
//!         let url: String = ao_plugin_sdk::config::require("url")?;
//!         http::post(&url).json(&serde_json::json!({ "text": event.message }))?.send()?.error_for_status()?;
//!         Ok(())
//!     }
//! }
//!
//! export!(Hello: notifier);
//! ```
//!
//! Build with `cargo build --release --target wasm32-wasip2`, then
//! `ao plugin install target/wasm32-wasip2/release/hello.wasm`.

#![warn(missing_docs)]

/// Generated bindings, for the export macro. Not a stable API.
#[doc(hidden)]
pub mod __worlds {
    pub use ao_plugin_imports as imports;
    pub use ao_plugin_world_agent as agent;
    pub use ao_plugin_world_notifier as notifier;
    pub use ao_plugin_world_scm as scm;
    pub use ao_plugin_world_tracker as tracker;
    pub use ao_plugin_world_tracker_scm as tracker_scm;
}
pub mod clock;
pub mod config;
pub mod etag;
pub mod http;
pub mod ids;
pub mod kv;
pub mod log;
pub mod process;
pub mod quota;
mod roles;
pub mod secrets;
pub mod terminal;
pub mod time;

pub use roles::{
    Agent, Notifier, Plugin, Scm, Tracker, issue_branch_name, mergeability_of, summarize_checks,
    webhook_header,
};

/// Agent records.
pub use ao_plugin_imports::ao::plugin::agent_types::{
    Activity, ActivityReport, CommandSpec, Cost, HookFile, LaunchConfig, PermissionMode,
    PromptDelivery, SessionContext, SessionInfo,
};
/// Notifier records.
pub use ao_plugin_imports::ao::plugin::notifier_types::{Action, Event, MessageContext, Priority};
/// SCM records.
pub use ao_plugin_imports::ao::plugin::scm_types::{
    CheckStatus, CiCheck, CiSummary, MergeMethod, Mergeability, PrEnrichment, PrInfo, PrState,
    PrSummary, Review, ReviewComment, ReviewDecision, ReviewState, WebhookEvent, WebhookKind,
    WebhookRequest, WebhookVerification,
};
/// Tracker records.
pub use ao_plugin_imports::ao::plugin::tracker_types::{
    Issue, IssueFilter, IssueState, IssueUpdate, NewIssue,
};
/// Shared types: errors, manifest, projects.
pub use ao_plugin_imports::ao::plugin::types::{
    Capabilities, Manifest, PluginError, Project, RateLimit, Role, TimestampMs,
};

/// The WIT version this SDK speaks.
pub const WIT_VERSION: &str = "0.1.0";

/// Exports a type as an ao plugin component.
///
/// The role list must match the roles in the manifest and the traits the type
/// implements: `notifier`, `tracker`, `scm`, `agent`, or `tracker + scm`.
///
/// ```ignore
/// ao_plugin_sdk::export!(MyNotifier: notifier);
/// ao_plugin_sdk::export!(GitHub: tracker + scm);
/// ```
#[macro_export]
macro_rules! export {
    ($ty:ident : notifier) => {
        $crate::__export_role!(plugin, notifier, $ty);
        $crate::__export_role!(notifier, notifier, $ty);
        $crate::__worlds::notifier::export_world!($ty with_types_in $crate::__worlds::notifier);
    };
    ($ty:ident : tracker) => {
        $crate::__export_role!(plugin, tracker, $ty);
        $crate::__export_role!(tracker, tracker, $ty);
        $crate::__worlds::tracker::export_world!($ty with_types_in $crate::__worlds::tracker);
    };
    ($ty:ident : scm) => {
        $crate::__export_role!(plugin, scm, $ty);
        $crate::__export_role!(scm, scm, $ty);
        $crate::__worlds::scm::export_world!($ty with_types_in $crate::__worlds::scm);
    };
    ($ty:ident : agent) => {
        $crate::__export_role!(plugin, agent, $ty);
        $crate::__export_role!(agent, agent, $ty);
        $crate::__worlds::agent::export_world!($ty with_types_in $crate::__worlds::agent);
    };
    ($ty:ident : tracker + scm) => {
        $crate::__export_role!(plugin, tracker_scm, $ty);
        $crate::__export_role!(tracker, tracker_scm, $ty);
        $crate::__export_role!(scm, tracker_scm, $ty);
        $crate::__worlds::tracker_scm::export_world!($ty with_types_in $crate::__worlds::tracker_scm);
    };
}
