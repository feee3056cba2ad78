//! # ao-core
//!
//! What the CLI and the daemon share and that needs no WebAssembly: where
//! ao keeps its files ([`paths`]) and `agent-orchestrator.yaml` ([`config`]),
//! parsed into a raw layer and validated into a resolved [`config::Config`]
//! before anything runs.

pub mod config;
pub mod paths;
pub mod state;

pub use config::{Config, ConfigError};
pub use paths::Paths;
