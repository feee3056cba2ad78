//! Reading OpenCode's screen (1.18, fullscreen TUI), the fallback when the
//! bridge's record says nothing (before its first event, or stale). The
//! footer under the input box says it all: `esc interrupt` while a turn
//! runs, `ctrl+p commands` while it waits; a permission question replaces
//! the input box; on exit it prints how to continue the session.

use ao_plugin_sdk::*;

const PERMISSION: &[&str] = &["Permission required", "Allow once"];
const WORKING: &[&str] = &["esc interrupt"];
const READY: &[&str] = &["ctrl+p commands"];
const EXITED: &[&str] = &["Continue  opencode -s "];

pub fn activity(text: &str) -> Option<ActivityReport> {
    let tail = terminal::last_lines(text, 14);
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
    terminal::any_contains(bottom, EXITED).then(|| ActivityReport::of(Activity::Exited))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_screens() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/opencode/"
        );
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
                k if k.starts_with("ready") => Some(Activity::Ready),
                k if k.starts_with("working") => Some(Activity::Active),
                k if k.starts_with("permission") => Some(Activity::WaitingInput),
                k if k.starts_with("exited") => Some(Activity::Exited),
                k if k.starts_with("starting") => None,
                _ => continue,
            };
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(activity(&text).map(|r| r.state), want, "{name}");
            seen += 1;
        }
        assert!(seen >= 6, "the real captures are there: {seen}");
    }
}
