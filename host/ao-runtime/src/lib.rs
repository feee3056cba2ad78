//! # ao-runtime
//!
//! Runtimes give each agent a terminal session that outlives `ao` commands
//! and the daemon. Two implement [`Runtime`]:
//! - [`tmux::Tmux`] runs sessions on ao's own tmux socket, so the user's
//!   tmux server is never touched;
//! - [`process::ProcessRuntime`] runs each agent under a small PTY
//!   supervisor process of its own, reachable on a unix socket, so no tmux
//!   is needed and sessions survive (and are re-adopted after) a daemon
//!   restart.

use std::collections::BTreeMap;

mod group;
pub mod process;
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

/// Whether a runtime session's program is still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    Running,
    /// The program ended; its last screen is still readable.
    Exited,
}

/// A place where agents run. Implementations keep their per-cycle cost flat:
/// [`Runtime::sessions`] and [`Runtime::capture_all`] answer for every
/// session at once.
pub trait Runtime: Send + Sync {
    /// The config name (`tmux`, `process`).
    fn kind(&self) -> &'static str;
    /// Starts `spec` in a new detached session named `spec.name`.
    fn create(&self, spec: &LaunchSpec) -> Result<(), RuntimeError>;
    /// Every session this runtime holds, with whether its program runs.
    fn sessions(&self) -> Result<BTreeMap<String, Liveness>, RuntimeError>;
    /// Whether session `name` exists and its program is still running.
    fn is_alive(&self, name: &str) -> bool {
        matches!(
            self.sessions().map(|s| s.get(name).copied()),
            Ok(Some(Liveness::Running))
        )
    }
    /// Types `text` into the session (one bracketed paste when it is long or
    /// has several lines), without pressing Enter.
    fn type_text(&self, name: &str, text: &str) -> Result<(), RuntimeError>;
    /// Presses Enter in the session.
    fn press_enter(&self, name: &str) -> Result<(), RuntimeError>;
    /// Types `text` into the session and presses Enter.
    fn send_text(&self, name: &str, text: &str) -> Result<(), RuntimeError> {
        self.type_text(name, text)?;
        self.press_enter(name)
    }
    /// The last `lines` lines of the session's screen, as plain text.
    fn capture(&self, name: &str, lines: u32) -> Result<String, RuntimeError>;
    /// The visible screen (one line per row, wrapped lines not joined) and
    /// the row the cursor is on; `None` where the runtime cannot say. Tells
    /// whether Enter moved a program on even when it printed nothing.
    /// Required (no default), so a wrapper cannot silently hide it.
    fn screen_and_cursor(&self, name: &str) -> Option<(String, usize)>;
    /// The screens of `names` (sessions that are gone are left out).
    fn capture_all(
        &self,
        names: &[String],
        lines: u32,
    ) -> Result<BTreeMap<String, String>, RuntimeError>;
    /// Ends the session and its program.
    fn kill(&self, name: &str) -> Result<(), RuntimeError>;
    /// The command a person runs to watch and type into the session.
    fn attach_command(&self, name: &str) -> Vec<String>;
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
    #[error("runtime session `{name}`: {message}")]
    Process { name: String, message: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}
