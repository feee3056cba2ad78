//! # ao-plugin-host
//!
//! Runs ao's plugins: WebAssembly components built against the `ao:plugin`
//! WIT package (`wit/` at the repository root). This crate owns everything
//! between a `.wasm` file and a typed call:
//!
//! - [`inspect`]: what a file is (component? which WIT version? which roles?)
//! - [`cache`]: compiled code on disk, verified before it is trusted
//! - [`manifest`] and [`capability`]: what a plugin asks for, what it gets
//! - [`instance`]: one sandboxed `Store` per plugin instance, with a per-call
//!   deadline (WASI sleeps included), a memory cap, and replacement after
//!   any trap
//! - [`budget`]: caps on the text a plugin can put in front of people
//! - [`services`]: the host side of each `ao:plugin` import (HTTP, secrets…)
//! - [`discovery`]: finding plugins (built-in, user directory, project)
//!
//! Invariants: a plugin reaches nothing it did not declare *and* the user
//! did not grant; a misbehaving plugin fails its own call and nothing else.

pub mod bindings;
pub mod budget;
pub mod cache;
pub mod capability;
pub mod clock;
pub mod discovery;
pub mod engine;
pub mod error;
pub mod inspect;
pub mod instance;
pub mod kv_store;
pub mod limits;
pub mod manifest;
pub mod services;
mod wasi_sleep;

pub use capability::{Capabilities, Grant};
pub use clock::Clock;
pub use discovery::{Catalog, Discovered, PluginSource};
pub use engine::PluginEngine;
pub use error::{CallError, CallErrorKind, LoadError};
pub use instance::{InstanceSettings, LoadedPlugin, PluginInstance};
pub use limits::Limits;
pub use manifest::Manifest;

/// WIT versions of `ao:plugin` this host can load, as `major.minor` lines.
/// A plugin built against any `0.1.z` loads here as long as it only uses
/// functions this host provides (wasmtime matches imports by semver).
pub const SUPPORTED_WIT_LINES: &[&str] = &["0.1"];
