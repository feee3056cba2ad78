//! Reading Copilot CLI's terminal (1.0): a fullscreen UI whose last line is
//! a footer — `← open sidebar · Interactive · Manual Approval · / commands
//! · ? help …` when idle, `○ Working · … esc esc interrupt` during a turn.
//! Dialogs and approval questions are boxes ending in `↑/↓ to navigate ·
//! enter to select · esc to cancel`. On exit it prints a summary with the
//! command that resumes the session.

use ao_plugin_sdk::*;

const EXITED: &[&str] = &["copilot --resume="];

const DIALOGS: &[(&str, &str)] = &[
    ("Confirm folder trust", "asks whether to trust the folder"),
    (
        "Do you trust the files in this folder",
        "asks whether to trust the folder",
    ),
];

const PERMISSION: &[&str] = &[
    "Do you want to",
    "enter to select · esc to cancel",
    "Yes, and don't ask again",
];

const WORKING: &[&str] = &["esc interrupt", " Working ·"];

const READY: &[&str] = &["/ commands", "? help", "open sidebar"];

/// Drawn while it starts, before the footer: the splash and `● Loading:`.
const STARTING: &[&str] = &["Loading:", "Check for mistakes."];

pub fn activity(text: &str) -> Option<ActivityReport> {
    let tail = terminal::last_lines(text, 16);
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
    let bottom = &tail[..tail.len().min(3)];
    if terminal::any_contains(bottom, WORKING) {
        return Some(ActivityReport::of(Activity::Active));
    }
    if terminal::any_contains(bottom, READY) {
        return Some(ActivityReport::of(Activity::Ready));
    }
    if terminal::any_contains(&tail[..tail.len().min(6)], EXITED) {
        return Some(ActivityReport::of(Activity::Exited));
    }
    // Nothing drawn yet, or the splash before the input box: text typed now
    // would be lost, so it counts as busy (a send waits for it).
    (tail.is_empty() || terminal::any_contains(&tail, STARTING))
        .then(|| ActivityReport::with_detail(Activity::Active, "starting"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_screens() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/copilot/");
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
                k if k.starts_with("working") => Activity::Active,
                k if k.starts_with("permission") || k.contains("dialog") => Activity::WaitingInput,
                k if k.starts_with("exited") => Activity::Exited,
                _ => continue,
            };
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(activity(&text).map(|r| r.state), Some(want), "{name}");
            seen += 1;
        }
        assert!(seen >= 6, "the real captures are there: {seen}");
    }

    #[test]
    fn starting_up_is_busy() {
        let starting = |text: &str| activity(text).map(|r| (r.state, r.detail));
        let busy = Some((Activity::Active, Some("starting".to_string())));
        assert_eq!(starting("\n\n"), busy);
        let splash = " [Current]  Sessions   Issues\n  ╰─╯╰─╯  Copilot v1.0.102 uses AI.\n  █ ▘▝ █  Check for mistakes.\n /w\n❯\n ● Loading:      test-model\n";
        assert_eq!(starting(splash), busy);
    }
}
