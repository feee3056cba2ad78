//! Talking to a running agent: wait until it is not busy, type, confirm the
//! text landed (the screen or the activity changed), retry once. A session
//! whose agent is gone is restored first.

use crate::reconcile::{Activity, AgeLimits};
use crate::spawn::type_and_confirm;
use crate::{SessionError, SessionManager};
use ao_core::state::{Session, Transition};
use std::time::{Duration, Instant};

/// How long a send that does not wait for a busy agent waits for another
/// send to the same session to finish.
const SEND_LOCK_WAIT: Duration = Duration::from_secs(30);

/// How `send` went.
#[derive(Debug)]
pub struct Sent {
    pub session: Session,
    /// The session had to be restored first.
    pub restored: bool,
    /// How long it waited for the agent to stop being busy.
    pub waited: Duration,
}

impl SessionManager {
    /// Sends `message` to session `id`. With `wait`, first waits (up to
    /// `busy_timeout`) while the agent is active, so the text does not
    /// interrupt a turn in progress.
    pub fn send(&mut self, id: &str, message: &str, wait: bool) -> Result<Sent, SessionError> {
        // One writer per terminal, across processes; held until the text is
        // confirmed, so concurrent messages arrive whole, one after another.
        let lock_wait = if wait {
            self.busy_timeout
        } else {
            SEND_LOCK_WAIT
        };
        let terminal = self.terminal_lock(id, lock_wait)?;
        let mut session = self.store.session(id)?;
        self.refuse_unreachable(&session)?;
        let mut restored = false;
        if !self.is_alive(&session) {
            session = self.restore_inner(id, crate::RestoreOptions::default(), Some(&terminal))?;
            restored = true;
        }
        let started = Instant::now();
        if wait {
            self.wait_until_not_busy(&session)?;
        }
        let waited = started.elapsed();
        let runtime = self.runtimes.of(&session)?;
        type_and_confirm(
            &terminal.writer(runtime),
            id,
            message,
            Duration::from_secs(5),
        )
        .map_err(|e| SessionError::Step {
            id: id.to_string(),
            step: "send",
            message: e,
        })?;
        let session = self.store.transition(
            id,
            &Transition {
                event: "session.message_sent".into(),
                data: Some(serde_json::json!({
                    "chars": message.chars().count(),
                    "restored": restored,
                    "waitedMs": waited.as_millis() as u64,
                })),
                ..Transition::default()
            },
        )?;
        Ok(Sent {
            session,
            restored,
            waited,
        })
    }

    fn wait_until_not_busy(&mut self, session: &Session) -> Result<(), SessionError> {
        let deadline = Instant::now() + self.busy_timeout;
        let limits = AgeLimits::default();
        loop {
            let current = self.store.session(&session.id)?;
            let running = self.is_alive(&current);
            let observed = self.observe(&[(current, running)], &limits);
            let busy = observed
                .first()
                .is_some_and(|o| o.activity == Some(Activity::Active));
            if !busy {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(SessionError::Busy {
                    id: session.id.clone(),
                    waited_s: self.busy_timeout.as_secs(),
                });
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}
