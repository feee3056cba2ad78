//! Reading Claude Code's terminal, the last resort after hooks and the
//! transcript. The checks go from the most specific to the least: a dialog
//! or permission question, then work in progress, then the input prompt.

use ao_plugin_sdk::*;

/// Dialogs that need a person before anything else can happen.
const DIALOGS: &[(&str, &str)] = &[
    (
        "Do you trust the files in this folder",
        "asks whether to trust the folder",
    ),
    (
        "Is this a project you created or one you trust",
        "asks whether to trust the folder",
    ),
    (
        "Detected a custom API key",
        "asks whether to use the API key",
    ),
    (
        "Bypass Permissions mode",
        "asks to accept bypass-permissions mode",
    ),
    ("Choose the text style", "shows its first-run setup"),
    ("Select login method", "asks to log in"),
];

/// A permission question about a tool call (every Claude Code dialog ends
/// with an "Esc to cancel" line).
const PERMISSION: &[&str] = &[
    "Do you want to",
    "Do you want Claude to",
    "❯ 1. Yes",
    "Esc to cancel",
];

/// Shown only while a turn runs.
const WORKING: &[&str] = &["esc to interrupt", "ctrl+c to interrupt"];

/// The input prompt and the status line under it, shown while it waits.
const READY: &[&str] = &[
    "? for shortcuts",
    "bypass permissions on",
    "accept edits on",
    "plan mode on",
    "shift+tab to cycle",
];

pub fn activity(text: &str) -> Option<ActivityReport> {
    let tail = terminal::last_lines(text, 14);
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
    let bottom = &tail[..tail.len().min(4)];
    let prompt_line = bottom.iter().any(|l| {
        let l = l.trim_start_matches(['│', '|', ' ']);
        l.starts_with('>') || l.starts_with('❯')
    });
    if prompt_line || terminal::any_contains(bottom, READY) {
        return Some(ActivityReport::of(Activity::Ready));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(text: &str) -> Option<Activity> {
        activity(text).map(|r| r.state)
    }

    #[test]
    fn fixtures() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/claude-code/"
        );
        let read = |name: &str| std::fs::read_to_string(format!("{dir}{name}")).unwrap();
        assert_eq!(state(&read("screen-ready.txt")), Some(Activity::Ready));
        assert_eq!(state(&read("screen-working.txt")), Some(Activity::Active));
        assert_eq!(
            state(&read("screen-permission.txt")),
            Some(Activity::WaitingInput)
        );
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let Some(expected) = name
                .strip_prefix("real-")
                .and_then(|n| n.strip_suffix(".txt"))
            else {
                continue;
            };
            let want = match expected {
                n if n.starts_with("ready") || n.starts_with("done") => Some(Activity::Ready),
                n if n.starts_with("working") => Some(Activity::Active),
                n if n.starts_with("permission") || n.contains("dialog") => {
                    Some(Activity::WaitingInput)
                }
                _ => continue,
            };
            assert_eq!(state(&read(&name)), want, "{name}");
        }
    }
}
