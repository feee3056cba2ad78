//! # ao-core
//!
//! What the CLI and the daemon share and that needs no WebAssembly: where
//! ao keeps its files ([`paths`]) and `agent-orchestrator.yaml` ([`config`]),
//! parsed into a raw layer and validated into a resolved [`config::Config`]
//! before anything runs.

pub mod config;
pub mod lock;
pub mod no_follow;
pub mod paths;
pub mod private;
pub mod private_fs;
pub mod process;
pub mod state;
pub mod trust;

pub use config::{Config, ConfigError};
pub use paths::Paths;
