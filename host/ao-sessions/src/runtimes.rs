//! The runtimes a session may use, by config name. A runtime that cannot
//! run here (tmux not installed) is remembered with its reason, so only the
//! sessions that need it fail, with that reason.

use crate::SessionError;
use ao_core::state::Session;
use ao_runtime::{Liveness, Runtime, RuntimeError};
use std::collections::BTreeMap;

#[derive(Default)]
pub struct Runtimes {
    available: BTreeMap<String, Box<dyn Runtime>>,
    missing: BTreeMap<String, String>,
}

impl Runtimes {
    pub fn new() -> Runtimes {
        Runtimes::default()
    }

    /// Adds a runtime, or records why it is not available.
    pub fn with(mut self, kind: &str, runtime: Result<Box<dyn Runtime>, RuntimeError>) -> Runtimes {
        match runtime {
            Ok(r) => {
                self.available.insert(kind.to_string(), r);
            }
            Err(e) => {
                self.missing.insert(kind.to_string(), e.to_string());
            }
        }
        self
    }

    /// The runtime named `kind`.
    pub fn get(&self, kind: &str) -> Result<&dyn Runtime, SessionError> {
        if let Some(r) = self.available.get(kind) {
            return Ok(r.as_ref());
        }
        Err(SessionError::Other(match self.missing.get(kind) {
            Some(why) => why.clone(),
            None => format!("no runtime `{kind}` (ao has: tmux, process)"),
        }))
    }

    /// The runtime a session was started in (sessions from before runtimes
    /// were recorded ran in tmux).
    pub fn of(&self, session: &Session) -> Result<&dyn Runtime, SessionError> {
        self.get(session.runtime.as_deref().unwrap_or("tmux"))
    }

    /// Every runtime session, from one query per runtime.
    pub fn liveness(&self) -> BTreeMap<String, (String, Liveness)> {
        let mut all = BTreeMap::new();
        for (kind, runtime) in &self.available {
            match runtime.sessions() {
                Ok(sessions) => {
                    for (name, state) in sessions {
                        all.insert(name, (kind.clone(), state));
                    }
                }
                Err(e) => tracing::warn!("cannot list {kind} sessions: {e}"),
            }
        }
        all
    }

    /// The available runtimes.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &dyn Runtime)> {
        self.available.iter().map(|(k, r)| (k.as_str(), r.as_ref()))
    }
}
