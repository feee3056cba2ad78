//! One error type for every command (in the manner of jj's CommandError):
//! a kind that picks the exit code, a message, and hints that say what to do.

use anstream::eprintln;
use std::fmt::Display;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The user asked for something that cannot be done as asked.
    User,
    /// agent-orchestrator.yaml is invalid.
    Config,
    /// Something outside ao failed (a plugin, the network, the disk).
    External,
}

#[derive(Debug)]
pub struct CommandError {
    pub kind: Kind,
    pub message: String,
    pub hints: Vec<String>,
}

impl CommandError {
    pub fn user(message: impl Display) -> Self {
        CommandError {
            kind: Kind::User,
            message: message.to_string(),
            hints: Vec::new(),
        }
    }

    pub fn external(message: impl Display) -> Self {
        CommandError {
            kind: Kind::External,
            message: message.to_string(),
            hints: Vec::new(),
        }
    }

    pub fn hint(mut self, hint: impl Display) -> Self {
        self.hints.push(hint.to_string());
        self
    }

    pub fn exit_code(&self) -> u8 {
        match self.kind {
            Kind::User => 1,
            Kind::Config => 3,
            Kind::External => 4,
        }
    }

    pub fn print(&self) {
        let s = crate::ui::styles();
        eprintln!(
            "{}error:{} {}",
            s.error.render(),
            s.error.render_reset(),
            self.message
        );
        for hint in &self.hints {
            eprintln!("{}hint:{} {hint}", s.hint.render(), s.hint.render_reset());
        }
    }
}

impl From<ao_core::ConfigError> for CommandError {
    fn from(e: ao_core::ConfigError) -> Self {
        let hints = e.hint.iter().cloned().collect();
        CommandError {
            kind: Kind::Config,
            message: e.to_string(),
            hints,
        }
    }
}

impl From<ao_plugin_host::LoadError> for CommandError {
    fn from(e: ao_plugin_host::LoadError) -> Self {
        CommandError::user(e)
    }
}

impl From<std::io::Error> for CommandError {
    fn from(e: std::io::Error) -> Self {
        CommandError::external(e)
    }
}

pub type Result<T> = std::result::Result<T, CommandError>;
