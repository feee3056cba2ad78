//! # ao-sessions
//!
//! Turns a task into a running coding agent in its own workspace, branch and
//! runtime session, watches it, talks to it, and ends it. Every step is
//! recorded in the state store; a failed spawn rolls back what it made
//! (runtime, workspace, branch) and leaves the session recorded as
//! `errored` with the reason, never a half-made session that nothing tracks.
//!
//! One module per operation: [`spawn`](SessionManager::spawn) and the
//! [`queue`](SessionManager::submit), [`send`](SessionManager::send),
//! [`restore`](SessionManager::restore), [`kill` and
//! `cleanup`](SessionManager::cleanup), and activity
//! ([`observe`](SessionManager::observe), with the pure rules in
//! [`reconcile`]).

mod activity;
pub mod agent_env;
mod deliver;
mod end;
mod issue_tracker;
mod launch;
mod leftovers;
mod manager;
mod prompt;
mod queue;
mod reality;
pub mod reconcile;
mod recover;
mod restore;
mod runtimes;
mod send;
mod spawn;
pub mod steps;
mod terminal;
pub mod transcript;

pub use activity::Observed;
pub use end::CleanupCandidate;
pub use issue_tracker::{default_issue_branch, is_valid_branch, wit_project};
pub use launch::launch_refusal;
pub use manager::{Progress, SessionManager, SettingsFor};
pub use prompt::compose_prompt;
pub use queue::Submitted;
pub use reality::Drift;
pub use recover::Recovered;
pub use restore::RestoreOptions;
pub use runtimes::Runtimes;
pub use send::Sent;
pub use spawn::SpawnRequest;

/// Session-level failures, each saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("no project `{0}` in the config")]
    UnknownProject(String),
    #[error("no agent plugin named `{0}`")]
    UnknownAgent(String),
    #[error("issue {issue} is already being worked on by {existing}")]
    Duplicate { issue: String, existing: String },
    #[error("session {id} is still busy after {waited_s} s")]
    Busy { id: String, waited_s: u64 },
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
