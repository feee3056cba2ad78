//! Errors of loading a plugin and of calling one.

use crate::bindings::v0_1::PluginError;
use std::fmt;
use std::path::PathBuf;

/// Why a plugin could not be loaded. Each names the file and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{origin}: not a WebAssembly file (it does not start with the `\\0asm` magic bytes)")]
    NotWasm { origin: String },

    #[error(
        "{origin}: a core WebAssembly module, not a component. Build it for `wasm32-wasip2` \
         (Rust) or turn it into a component with `ao plugin build` / `wasm-tools component new`"
    )]
    CoreModule { origin: String },

    #[error("{origin}: not a valid WebAssembly component: {message}")]
    Invalid { origin: String, message: String },

    #[error(
        "{origin}: not an ao plugin: it exports none of the `ao:plugin` interfaces \
         (it exports: {exports}). Build it with an ao plugin SDK"
    )]
    NotAPlugin { origin: String, exports: String },

    #[error(
        "{origin}: built against ao:plugin@{found}, but this ao supports {supported}. \
         Rebuild the plugin with an SDK for a supported version, or update ao if the plugin is newer"
    )]
    UnsupportedVersion {
        origin: String,
        found: String,
        supported: String,
    },

    #[error("{origin}: cannot be linked: {message}")]
    Link { origin: String, message: String },

    #[error("{origin}: its manifest is invalid:\n{}", problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    BadManifest {
        origin: String,
        problems: Vec<String>,
    },

    #[error("{origin}: failed while reading its manifest: {message}")]
    ManifestCall { origin: String, message: String },

    #[error("{origin}: {message}")]
    Other { origin: String, message: String },
}

/// What went wrong in a call, in a form the caller can act on.
#[derive(Debug, Clone)]
pub enum CallErrorKind {
    /// The plugin ran past its deadline and was interrupted.
    Timeout,
    /// The plugin tried to grow past its memory limit.
    OutOfMemory,
    /// The plugin exhausted its stack (deep or endless recursion).
    StackOverflow,
    /// The plugin trapped: a panic, `unreachable`, or a bad value at the boundary.
    Trap,
    /// The plugin answered with an error of the contract.
    Plugin(PluginError),
    /// The plugin does not export the role needed for this call.
    MissingRole,
    /// The instance could not be (re)created.
    Instantiate,
}

/// A failed plugin call: which plugin, which call, what happened.
#[derive(Debug, Clone)]
pub struct CallError {
    pub plugin: String,
    pub call: String,
    pub kind: CallErrorKind,
    pub detail: String,
}

impl CallError {
    /// The contract error, when the plugin returned one.
    pub fn plugin_error(&self) -> Option<&PluginError> {
        match &self.kind {
            CallErrorKind::Plugin(e) => Some(e),
            _ => None,
        }
    }

    /// True when the instance was torn down and will be replaced.
    pub fn is_crash(&self) -> bool {
        matches!(
            self.kind,
            CallErrorKind::Timeout
                | CallErrorKind::OutOfMemory
                | CallErrorKind::StackOverflow
                | CallErrorKind::Trap
        )
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.kind {
            CallErrorKind::Timeout => "timed out and was stopped".to_string(),
            CallErrorKind::OutOfMemory => "ran out of memory and was stopped".to_string(),
            CallErrorKind::StackOverflow => "overflowed its stack and was stopped".to_string(),
            CallErrorKind::Trap => "crashed".to_string(),
            CallErrorKind::Plugin(e) => format!("failed: {}", describe(e)),
            CallErrorKind::MissingRole => "cannot serve this call".to_string(),
            CallErrorKind::Instantiate => "could not be started".to_string(),
        };
        write!(f, "plugin `{}` {} in `{}`", self.plugin, what, self.call)?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

impl std::error::Error for CallError {}

/// One line for a contract error.
pub fn describe(e: &PluginError) -> String {
    match e {
        PluginError::Auth(m) => format!("authentication failed: {m}"),
        PluginError::NotFound(m) => format!("not found: {m}"),
        PluginError::RateLimited(r) => match r.retry_after_ms {
            Some(ms) => format!("rate limited, retry after {ms} ms: {}", r.message),
            None => format!("rate limited: {}", r.message),
        },
        PluginError::Transient(m) => format!("transient failure: {m}"),
        PluginError::InvalidInput(m) => format!("invalid input: {m}"),
        PluginError::Denied(m) => format!("denied: {m}"),
        PluginError::Unsupported(m) => format!("unsupported: {m}"),
        PluginError::Other(m) => m.clone(),
    }
}
