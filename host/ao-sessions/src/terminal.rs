//! One writer per session's terminal, across processes (the CLI, the
//! dashboard's commands, the daemon's reactions, a spawn's first prompt): a
//! file lock per session in the data directory, held while text is typed,
//! submitted and confirmed. A writer notes in the lock file that it typed
//! text it has not yet submitted; should it die before its Enter, the next
//! writer presses Enter first, so the text arrives whole and on its own
//! instead of glued to the next message.

use crate::{SessionError, SessionManager};
use ao_core::lock::{FileLock, lock_path};
use ao_runtime::{LaunchSpec, Liveness, Runtime, RuntimeError};
use std::collections::BTreeMap;
use std::time::Duration;

/// The note of a writer between typing and Enter.
const TYPED: &str = "typed";

/// The held lock on one session's terminal.
pub(crate) struct TerminalLock {
    lock: FileLock,
}

impl TerminalLock {
    /// `runtime` as this lock's holder types into it.
    pub(crate) fn writer<'a>(&'a self, runtime: &'a dyn Runtime) -> Writer<'a> {
        Writer {
            runtime,
            lock: &self.lock,
        }
    }
}

impl SessionManager {
    /// Takes session `id`'s terminal, waiting up to `wait` for another
    /// writer; finishes a message a dead writer typed but did not submit.
    pub(crate) fn terminal_lock(
        &self,
        id: &str,
        wait: Duration,
    ) -> Result<TerminalLock, SessionError> {
        let lock = FileLock::exclusive(&lock_path(&self.paths.data, &format!("terminal-{id}")), wait)
            .map_err(|e| {
                SessionError::Other(format!(
                    "session {id}: another ao command is typing into it ({e}); try again when it is done"
                ))
            })?;
        if lock.noted() == TYPED {
            if let Ok(session) = self.store.session(id)
                && let Ok(runtime) = self.runtimes.of(&session)
                && runtime.is_alive(id)
            {
                let _ = runtime.press_enter(id);
                tracing::info!("{id}: submitted the text a killed writer had typed");
            }
            let _ = lock.note("");
        }
        Ok(TerminalLock { lock })
    }
}

/// A runtime seen through a terminal lock: typing is noted before the text
/// goes in, and the note is cleared once Enter is pressed.
pub(crate) struct Writer<'a> {
    runtime: &'a dyn Runtime,
    lock: &'a FileLock,
}

impl Runtime for Writer<'_> {
    fn kind(&self) -> &'static str {
        self.runtime.kind()
    }
    fn create(&self, spec: &LaunchSpec) -> Result<(), RuntimeError> {
        self.runtime.create(spec)
    }
    fn sessions(&self) -> Result<BTreeMap<String, Liveness>, RuntimeError> {
        self.runtime.sessions()
    }
    fn is_alive(&self, name: &str) -> bool {
        self.runtime.is_alive(name)
    }
    fn type_text(&self, name: &str, text: &str) -> Result<(), RuntimeError> {
        self.lock.note(TYPED)?;
        self.runtime.type_text(name, text)
    }
    fn press_enter(&self, name: &str) -> Result<(), RuntimeError> {
        self.runtime.press_enter(name)?;
        self.lock.note("")?;
        Ok(())
    }
    fn capture(&self, name: &str, lines: u32) -> Result<String, RuntimeError> {
        self.runtime.capture(name, lines)
    }
    // Delivery confirms Enter by the cursor too: a defaulted method here
    // would hide it from every send (3 × the wait, then a false warning).
    fn screen_and_cursor(&self, name: &str) -> Option<(String, usize)> {
        self.runtime.screen_and_cursor(name)
    }
    fn capture_all(
        &self,
        names: &[String],
        lines: u32,
    ) -> Result<BTreeMap<String, String>, RuntimeError> {
        self.runtime.capture_all(names, lines)
    }
    fn kill(&self, name: &str) -> Result<(), RuntimeError> {
        self.runtime.kill(name)
    }
    fn attach_command(&self, name: &str) -> Vec<String> {
        self.runtime.attach_command(name)
    }
}
