//! The first-party plugins that ship inside the `ao` binary, built from
//! `plugins-wasm/` by this crate's build script, with their default grants.
//!
//! Plain data only: this crate does not depend on the plugin host, so the
//! host can be built and tested without any shipped plugin.

/// A plugin embedded in the binary.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// The file name it would have in a plugins directory.
    pub file_name: &'static str,
    /// The component.
    pub wasm: &'static [u8],
    /// Its SHA-256 (the compiled cache's key), computed at build time so
    /// no command hashes megabytes of built-ins on every start.
    pub sha256: [u8; 32],
    /// Hosts granted when the config says nothing.
    pub http: &'static [&'static str],
    /// Programs granted when the config says nothing.
    pub programs: &'static [&'static str],
    /// Read-only directories granted by default (the agent's transcripts).
    pub read_dirs: &'static [&'static str],
    /// Secrets granted by default (`GITHUB_TOKEN`).
    pub secrets: &'static [&'static str],
    /// Whether the private key-value store is granted by default.
    pub kv: bool,
}

include!(concat!(env!("OUT_DIR"), "/builtins.rs"));
