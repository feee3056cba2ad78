//! Typing a message into an agent's terminal so that it is submitted, not
//! just shown: the text goes in first (one bracketed paste when long), ao
//! waits until the agent has taken it (its screen changed and settled), and
//! only then presses Enter — an Enter that arrives inside the paste is taken
//! by some agents (Codex) as a newline. Delivery is confirmed when Enter
//! moves the text up from where it was typed (into the conversation, with
//! the agent's input area or output below it); a screen that merely
//! changed does not count (an agent still drawing its start-up takes the
//! text into its input box but ignores Enter). An Enter without that effect
//! is pressed again.

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
    let needle = needle(text);
    let typed_at = needle.as_deref().and_then(|n| lines_below(&typed, n));
    let cursor_gap = |needle: &str| {
        let (screen, row) = runtime.screen_and_cursor(id)?;
        rows_to_cursor(&screen, row, needle)
    };
    let typed_gap = needle.as_deref().and_then(cursor_gap);
    for presses in 1..=3 {
        runtime.press_enter(id).map_err(|e| e.to_string())?;
        let until = Instant::now() + wait;
        while Instant::now() < until {
            std::thread::sleep(POLL);
            let now = capture()?;
            let taken = match (typed_at, needle.as_deref()) {
                // Taken: the text moved up, or left the screen, or the
                // cursor went on below it (a line-reading program that
                // prints nothing on Enter).
                (Some(below), Some(needle)) => {
                    lines_below(&now, needle).is_none_or(|b| b > below)
                        || typed_gap
                            .zip(cursor_gap(needle))
                            .is_some_and(|(before, after)| after > before)
                }
                // Not recognisable on the screen (a paste shown as a
                // placeholder): any change is all there is to go by.
                _ => now != typed,
            };
            if taken {
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

/// What identifies the typed text on the screen: the end of its last line
/// (the part an input box shows even when it wraps or scrolls the start
/// away). `None` when too short to be told from other output.
fn needle(text: &str) -> Option<String> {
    let last = text.lines().map(str::trim).rfind(|l| !l.is_empty())?;
    let chars: Vec<char> = last.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(16)..].iter().collect();
    (tail.chars().count() >= 4).then_some(tail)
}

/// How many non-blank lines the screen shows below the last line that
/// contains `needle`; `None` when no line does.
fn lines_below(screen: &str, needle: &str) -> Option<usize> {
    let lines: Vec<&str> = screen.lines().collect();
    let at = lines.iter().rposition(|l| l.contains(needle))?;
    Some(
        lines[at + 1..]
            .iter()
            .filter(|l| !l.trim().is_empty())
            .count(),
    )
}

/// Rows from the last line showing `needle` down to the cursor's row
/// (negative: the cursor is above it); `None` when no row shows it.
fn rows_to_cursor(screen: &str, cursor_row: usize, needle: &str) -> Option<i64> {
    let at = screen
        .lines()
        .collect::<Vec<_>>()
        .iter()
        .rposition(|l| l.contains(needle))?;
    Some(cursor_row as i64 - at as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_needle_is_the_end_of_the_last_line() {
        assert_eq!(
            needle("fix it\nAFTER-RESTORE: where were we?\n").as_deref(),
            Some(": where were we?")
        );
        assert_eq!(needle("ok"), None);
        assert_eq!(needle("  \n"), None);
    }

    #[test]
    fn text_still_in_the_input_box_is_not_taken_however_the_screen_changed() {
        let n = needle("AFTER-RESTORE: where were we?").unwrap();
        let typed = "history\n\n› AFTER-RESTORE: where were we?\n\n  gpt · ~/web\n";
        let redrawn =
            "more history\nand more\n\n› AFTER-RESTORE: where were we?\n\n  gpt · ~/web\n";
        let taken = "› AFTER-RESTORE: where were we?\n\n• Working (0s)\n\n›\n\n  gpt · ~/web\n";
        let before = lines_below(typed, &n).unwrap();
        assert_eq!(lines_below(redrawn, &n), Some(before));
        assert!(lines_below(taken, &n).unwrap() > before);
        assert_eq!(lines_below("cleared\n", &n), None);
    }

    #[test]
    fn enter_in_a_line_reading_program_moves_the_cursor_below_the_text() {
        let n = needle("task 1").unwrap();
        assert_eq!(rows_to_cursor("agent> task 1\n\n", 0, &n), Some(0));
        assert_eq!(rows_to_cursor("agent> task 1\n\n", 1, &n), Some(1));
        // Scrolled at the bottom of the pane: the text moved up a row.
        assert_eq!(rows_to_cursor("agent> task 1\n", 1, &n), Some(1));
        assert_eq!(rows_to_cursor("nothing\n", 0, &n), None);
    }
}
