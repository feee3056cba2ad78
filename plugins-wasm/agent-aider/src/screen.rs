//! Reading Aider's screen (0.86, line-oriented, no fullscreen). Aider is
//! either at its prompt (a full-width rule, the files in the chat, then `> `
//! or `<edit format>> ` such as `diff> `), asking a `(Y)es/(N)o … [Yes]:` question on the last
//! line, or busy: starting up, waiting for the model, streaming an answer,
//! applying edits. Until the prompt shows, text pasted into it would be
//! taken line by line (no bracketed paste yet), so anything else on the
//! screen reads as busy.

use ao_plugin_sdk::*;

const QUESTION: &str = "(Y)es/(N)o";
const RULE: char = '─';

/// The prompt: an optional word (the edit format or chat mode), then `>`.
fn is_prompt(line: &str) -> bool {
    line.split_once('>').is_some_and(|(mode, _)| {
        mode.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

fn is_rule(line: &str) -> bool {
    let line = line.trim();
    line.chars().count() >= 20 && line.chars().all(|c| c == RULE)
}

pub fn activity(text: &str) -> Option<ActivityReport> {
    let tail = terminal::last_lines(text, 6);
    let last = tail.first()?.trim_end();
    if last.contains(QUESTION) {
        let question = last.split(QUESTION).next().unwrap_or("").trim();
        return Some(ActivityReport::with_detail(
            Activity::WaitingInput,
            format!("asks: {question}"),
        ));
    }
    // Between the rule and the prompt Aider lists the files in the chat.
    if is_prompt(last) && tail.iter().skip(1).any(|l| is_rule(l)) {
        return Some(ActivityReport::of(Activity::Ready));
    }
    Some(ActivityReport::of(Activity::Active))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_screens() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/aider/");
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
                k if k.starts_with("working") || k.starts_with("starting") => Activity::Active,
                k if k.starts_with("permission") || k.contains("dialog") => Activity::WaitingInput,
                _ => continue,
            };
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(activity(&text).map(|r| r.state), Some(want), "{name}");
            seen += 1;
        }
        assert!(seen >= 8, "the real captures are there: {seen}");
    }

    #[test]
    fn prompts_and_questions() {
        let rule = "─".repeat(80);
        let at = |prompt: &str| activity(&format!("Tokens: 1k sent\n{rule}\n{prompt}\n"));
        for ready in ["> ", "diff> ", "architect> ", ">"] {
            assert_eq!(at(ready).unwrap().state, Activity::Ready, "{ready:?}");
        }
        // The echo of a sent message, with the answer coming under it.
        let busy = activity(&format!("{rule}\n> TASK-1 go\n  █░ Waiting for openai/m\n"));
        assert_eq!(busy.unwrap().state, Activity::Active);
        let asks = activity("touch x\nRun shell command? (Y)es/(N)o/(D)on't ask again [Yes]: ");
        let asks = asks.unwrap();
        assert_eq!(asks.state, Activity::WaitingInput);
        assert_eq!(asks.detail.as_deref(), Some("asks: Run shell command?"));
        assert!(activity("\n\n").is_none());
    }
}
