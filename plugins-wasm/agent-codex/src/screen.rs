//! Reading Codex's terminal (0.171): dialogs and permission questions end
//! with a line of enter/esc hints; a turn in progress shows `esc to
//! interrupt`; the idle composer reads `› Ask Codex to do anything`. While
//! answer text streams Codex hides its "Working" line, so the screen then
//! looks ready: the rollout, when read, wins over it.

use ao_plugin_sdk::*;

const DIALOGS: &[(&str, &str)] = &[
    ("Trust this folder?", "asks whether to trust the folder"),
    ("hooks are new or changed", "asks to review its hooks"),
    ("enter/esc confirm", "shows a dialog"),
    ("enter continue · esc back", "shows a dialog"),
    ("enter confirm · esc skip", "shows a dialog"),
];

const PERMISSION: &[&str] = &[
    "Press enter to confirm or esc to cancel",
    "Yes, proceed",
    "Allow command?",
];

const WORKING: &[&str] = &["esc to interrupt"];

const READY: &[&str] = &["Ask Codex to do anything", "? for shortcuts"];

pub fn activity(text: &str) -> Option<ActivityReport> {
    let tail = terminal::last_lines(text, 12);
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
    terminal::any_contains(bottom, READY).then(|| ActivityReport::of(Activity::Ready))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_screens() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/codex/");
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
                // Streaming text hides the working line: it reads as ready.
                "working-streaming" => Some(Activity::Ready),
                k if k.starts_with("ready") => Some(Activity::Ready),
                k if k.starts_with("working") => Some(Activity::Active),
                k if k.starts_with("permission") || k.contains("dialog") => {
                    Some(Activity::WaitingInput)
                }
                _ => continue,
            };
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(activity(&text).map(|r| r.state), want, "{name}");
            seen += 1;
        }
        assert!(seen >= 8, "the real captures are there: {seen}");
    }
}
