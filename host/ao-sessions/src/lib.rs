//! # ao-sessions
//!
//! Turns a task into a running coding agent in its own worktree, branch and
//! tmux session, and back. Every step is recorded in the state store; a
//! failed spawn rolls back what it made (runtime, worktree, branch) and
//! leaves the session recorded as `errored` with the reason, never a
//! half-made session that nothing tracks.

mod prompt;
mod spawn;

pub use prompt::compose_prompt;
pub use spawn::{SessionManager, SpawnRequest};

/// The callback type that makes plugin instance settings.
pub mod spawn_settings {
    pub use crate::spawn::SettingsFor;
}

/// Session-level failures, each saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("no project `{0}` in the config")]
    UnknownProject(String),
    #[error("no agent plugin named `{0}`")]
    UnknownAgent(String),
    #[error("session {id}: {step} failed: {message}")]
    Step {
        id: String,
        step: &'static str,
        message: String,
    },
    #[error(transparent)]
    State(#[from] ao_core::state::StateError),
    #[error(transparent)]
    Runtime(#[from] ao_runtime::RuntimeError),
    #[error("{0}")]
    Other(String),
}
