//! Reading Gemini CLI's terminal (0.61): an Ink UI drawn inline, history
//! above, a bottom block of a rule, the mode hint, the input line and the
//! footer (`workspace (/directory) … /model`). Checked from the most
//! specific: the exit summary, a dialog or approval box (the input line is
//! gone while one is open), the spinner line of a turn (`esc to cancel`),
//! a session being resumed, then the idle input block with its input line;
//! without any of them it is still starting.

use ao_plugin_sdk::*;

/// Printed once the program has ended (`/quit`, Ctrl-D twice).
const EXITED: &[&str] = &["To resume this session: gemini --resume"];

/// Dialogs that need a person before anything else can happen.
const DIALOGS: &[(&str, &str)] = &[
    (
        "Do you trust the files in this folder",
        "asks whether to trust the folder",
    ),
    (
        "How would you like to authenticate",
        "asks how to authenticate",
    ),
    ("Enter Gemini API Key", "asks for an API key"),
];

/// An approval box for a tool call (shell, file edits, web fetches).
const PERMISSION: &[&str] = &[
    "Allow execution of",
    "Apply this change?",
    "Allow once",
    "No, suggest changes",
];

/// The spinner line, shown only while a turn runs.
const WORKING: &[&str] = &["esc to cancel"];

/// Shown while `--resume` loads the history into the chat. The footer is
/// drawn but the input line is not: text typed now is dropped.
const RESUMING: &[&str] = &["Resuming session..."];

/// The prompt characters of the input line: `>` (default), `*` (YOLO), `!`
/// (shell mode). Gemini draws the line only while it takes input.
const INPUT_PROMPTS: &[char] = &['>', '*', '!'];

/// The banner or the conversation above the input block. A resumed session
/// first draws a bare input block (warnings, input, footer), then clears
/// the screen and draws again with its history: text typed into the first
/// one is lost.
const CONTENT: &[&str] = &["Gemini CLI v", "Tips for getting started", "✦ "];

/// A full screen is one with content, whatever has scrolled out of it.
const FULL_SCREEN_LINES: usize = 12;

fn has_content(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines.len() > FULL_SCREEN_LINES || terminal::any_contains(&lines, CONTENT)
}

/// Whether the bottom block (below the last rule) holds the input line: a
/// prompt character, then the placeholder or typed text. `tail` is bottom
/// first, as [`terminal::last_lines`] gives it.
fn has_input_line(tail: &[&str]) -> bool {
    tail.iter()
        .take_while(|l| !is_rule(l))
        .any(|l| is_input_line(l))
}

fn is_rule(line: &str) -> bool {
    let line = line.trim();
    !line.is_empty() && line.chars().all(|c| c == '─')
}

fn is_input_line(line: &str) -> bool {
    let mut chars = line.trim_start().chars();
    chars.next().is_some_and(|c| INPUT_PROMPTS.contains(&c))
        && chars.next().is_none_or(char::is_whitespace)
}

pub fn activity(text: &str) -> Option<ActivityReport> {
    let tail = terminal::last_lines(text, 16);
    if terminal::any_contains(&tail, EXITED) {
        return Some(ActivityReport::of(Activity::Exited));
    }
    if let Some((_, why)) = DIALOGS
        .iter()
        .find(|(needle, _)| terminal::any_contains(&tail, &[needle]))
    {
        return Some(ActivityReport::with_detail(Activity::WaitingInput, *why));
    }
    if terminal::any_contains(&tail, PERMISSION) {
        return Some(ActivityReport::with_detail(
            Activity::WaitingInput,
            "asks for permission",
        ));
    }
    if terminal::any_contains(&tail, WORKING) {
        return Some(ActivityReport::of(Activity::Active));
    }
    if terminal::any_contains(&tail, RESUMING) {
        return Some(ActivityReport::with_detail(Activity::Active, "resuming"));
    }
    if has_input_line(&tail) && has_content(text) {
        return Some(ActivityReport::of(Activity::Ready));
    }
    // No input block (nothing drawn yet, or only the start-up warnings):
    // text typed now would be lost, so it counts as busy (a send waits).
    Some(ActivityReport::with_detail(Activity::Active, "starting"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_screens() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/gemini/");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let Some(kind) = name
                .strip_prefix("real-")
                .and_then(|n| n.strip_suffix(".txt"))
            else {
                continue;
            };
            let want = match kind {
                k if k.starts_with("ready") => Activity::Ready,
                // A turn running, or a session still starting or resuming
                // (no input line yet, or a bare one before the history).
                k if k.starts_with("working") || k.starts_with("starting") => Activity::Active,
                k if k.starts_with("permission") || k.contains("dialog") => Activity::WaitingInput,
                k if k.starts_with("exited") => Activity::Exited,
                _ => continue,
            };
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(activity(&text).map(|r| r.state), Some(want), "{name}");
            seen += 1;
        }
        assert!(seen >= 11, "the real captures are there: {seen}");
    }

    #[test]
    fn a_session_loading_its_history_is_not_ready() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/gemini/");
        // The history is drawn and the footer too, but the input line is not:
        // what is typed now is dropped.
        let resuming = std::fs::read_to_string(format!("{dir}real-starting-resuming.txt")).unwrap();
        assert_eq!(
            activity(&resuming).unwrap().detail.as_deref(),
            Some("resuming")
        );
        let without_spinner = resuming.replace("⠋ Resuming session...", "");
        let report = activity(&without_spinner).unwrap();
        assert_eq!(report.state, Activity::Active, "no input line, not ready");
    }

    #[test]
    fn a_screen_without_the_input_block_is_one_starting() {
        let warning = "⚠  Warning: True color (24-bit) support not detected.\n";
        // What a resumed session draws before it clears the screen and
        // draws its history.
        let bare = format!(
            "{warning}{:>100}\n────\n YOLO Ctrl+Y\n *   Type your message or @path/to/file\n workspace (/directory)   branch\n /w/web-1   main\n",
            "? for shortcuts"
        );
        for text in ["\n\n", warning, &bare] {
            let report = activity(text).unwrap();
            assert_eq!(report.state, Activity::Active);
            assert_eq!(report.detail.as_deref(), Some("starting"));
        }
    }
}
