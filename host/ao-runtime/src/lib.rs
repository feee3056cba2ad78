//! # ao-runtime
//!
//! Runtimes give each agent a terminal session that outlives `ao` commands
//! and the daemon. [`tmux::Tmux`] runs them on ao's own tmux socket, so the
//! user's tmux server is never touched.

pub mod tmux;

/// What to start in a new session.
#[derive(Debug, Clone, Default)]
pub struct LaunchSpec {
    /// Session name (the session id, e.g. `web-3`).
    pub name: String,
    /// Working directory (the session's workspace).
    pub cwd: std::path::PathBuf,
    /// Program and arguments; no shell is involved.
    pub argv: Vec<String>,
    /// Extra environment.
    pub env: Vec<(String, String)>,
}

/// Runtime failures, each saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(
        "tmux is not installed or not on PATH; install it (Debian/Ubuntu: `sudo apt-get install tmux`, macOS: `brew install tmux`) or set `runtime: process`"
    )]
    TmuxMissing,
    #[error("tmux {args}: {message}")]
    Tmux { args: String, message: String },
    #[error("no runtime session `{0}`")]
    NoSession(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}
