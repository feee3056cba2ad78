//! The host side of each `ao:plugin` import, one module per capability.
//! Every function checks the instance's effective capabilities first and
//! answers a denied request with `plugin-error::denied` plus a warning in
//! ao's log that says how to grant it.

pub mod clock;
pub mod config;
pub mod http;
pub mod kv;
pub mod log;
pub mod process;
pub mod secrets;
pub mod state;

pub use secrets::{EnvSecrets, MapSecrets, SecretSource};
pub use state::HostState;
