//! Typing a message into an agent's terminal so that it is submitted, not
//! just shown: the text goes in first (one bracketed paste when long), ao
//! waits until the agent has taken it (its screen changed and settled), and
//! only then presses Enter — an Enter that arrives inside the paste is taken
//! by some agents (Codex) as a newline. Delivery is confirmed when Enter
//! changes the screen again; an Enter that changed nothing is pressed again.

use ao_runtime::Runtime;
use std::time::{Duration, Instant};

/// How long a screen must hold still after typing before Enter.
const SETTLE: Duration = Duration::from_millis(150);
/// The longest ao waits for typed text to show before pressing Enter anyway
/// (an agent that does not echo, or echoes a paste as a placeholder late).
const ECHO_LIMIT: Duration = Duration::from_millis(2000);
const POLL: Duration = Duration::from_millis(30);
const LINES: u32 = 50;

/// How a message got in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Submitted {
    /// Enter presses it took (more than one: the first was swallowed).
    pub enter_presses: u32,
}

/// Types `text` into session `id` and presses Enter until the agent takes
/// it, waiting up to `wait` for each Enter to show an effect.
pub(crate) fn submit(
    runtime: &dyn Runtime,
    id: &str,
    text: &str,
    wait: Duration,
) -> Result<Submitted, String> {
    let capture = || runtime.capture(id, LINES).map_err(|e| e.to_string());
    let before = capture()?;
    runtime.type_text(id, text).map_err(|e| e.to_string())?;
    let typed = settled_after(&capture, &before)?;
    for presses in 1..=3 {
        runtime.press_enter(id).map_err(|e| e.to_string())?;
        let until = Instant::now() + wait;
        while Instant::now() < until {
            std::thread::sleep(POLL);
            if capture()? != typed {
                return Ok(Submitted {
                    enter_presses: presses,
                });
            }
        }
        if !runtime.is_alive(id) {
            return Err(format!("the agent of {id} exited while the text was typed"));
        }
    }
    // An agent that consumed the text and shows nothing new on Enter (a
    // plain `read`, or a blank line at the bottom) looks the same as one
    // that swallowed it: the text is in, say so rather than fail.
    tracing::warn!(
        "{id}: Enter pressed 3 times without a visible change; the agent may be showing a dialog (`ao session attach {id}`)"
    );
    Ok(Submitted { enter_presses: 3 })
}

/// The screen once the typed text has landed: changed from `before`, then
/// still for [`SETTLE`]; after [`ECHO_LIMIT`], whatever it shows.
fn settled_after(
    capture: &dyn Fn() -> Result<String, String>,
    before: &str,
) -> Result<String, String> {
    let started = Instant::now();
    let mut last = before.to_string();
    let mut still_since = Instant::now();
    loop {
        std::thread::sleep(POLL);
        let now = capture()?;
        if now != last {
            last = now;
            still_since = Instant::now();
        } else if last != before && still_since.elapsed() >= SETTLE {
            return Ok(last);
        }
        if started.elapsed() >= ECHO_LIMIT {
            return Ok(last);
        }
    }
}
