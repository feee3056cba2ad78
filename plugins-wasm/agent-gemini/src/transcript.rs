//! Gemini CLI's session file: `~/.gemini/tmp/<project>/chats/
//! session-<time>-<first 8 of the id>.jsonl`. Its first line is a header
//! (`sessionId`, `startTime`, `kind`); then messages (`type` `user` or
//! `gemini`, the same message id written again as it grows) and `$set`
//! patches (`lastUpdated`, `summary`, and on resume `sessionId` and the
//! whole `messages` list).
//!
//! Several sessions of one workspace share the directory, and a resumed
//! session writes a second small file (header and context, no messages)
//! while its conversation goes on in the first: a file is this session's
//! only when it names this session's id and holds a message.

use ao_plugin_sdk::*;
use serde_json::Value;
use std::collections::BTreeMap;

/// USD per million tokens (input, output): an estimate for Gemini's flash
/// models; cached input costs a quarter.
const PRICE_PER_MTOK: (f64, f64) = (0.30, 2.50);
const CACHED_FACTOR: f64 = 0.25;

fn lines(tail: &str) -> Vec<Value> {
    tail.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn kind(line: &Value) -> &str {
    line.get("type").and_then(Value::as_str).unwrap_or("")
}

/// The session ids the tail names: the header's and any `$set`.
fn session_ids(lines: &[Value]) -> Vec<&str> {
    lines
        .iter()
        .filter_map(|l| {
            l.get("sessionId")
                .or_else(|| l.pointer("/$set/sessionId"))
                .and_then(Value::as_str)
        })
        .collect()
}

/// Whether the tail is `expected`'s conversation. A tail that names no id
/// (the end of a long file) counts only once ao has settled on the file
/// before (`pinned`).
fn is_this_session(lines: &[Value], expected: &str, pinned: bool) -> bool {
    let ids = session_ids(lines);
    let named = if ids.is_empty() {
        pinned
    } else {
        ids.contains(&expected)
    };
    named && lines.iter().any(|l| matches!(kind(l), "user" | "gemini"))
}

/// A person's words: the text of a `user` message (tool results and the
/// `<session_context>` Gemini adds itself are not).
fn user_text(line: &Value) -> Option<String> {
    if kind(line) != "user" {
        return None;
    }
    let text: Vec<&str> = line
        .get("content")?
        .as_array()?
        .iter()
        .filter_map(|part| part.get("text").and_then(Value::as_str))
        .collect();
    let text = text.join("\n");
    let text = text.trim();
    (!text.is_empty() && !text.starts_with('<')).then(|| text.to_string())
}

/// The session's id, summary and cost, when the tail is `expected`'s.
pub fn session_info(tail: &str, expected: &str, pinned: bool) -> Option<SessionInfo> {
    let lines = lines(tail);
    if !is_this_session(&lines, expected, pinned) {
        return None;
    }
    let summary = lines
        .iter()
        .rev()
        .find_map(|l| l.pointer("/$set/summary").or_else(|| l.get("summary")))
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty());
    let first_prompt = lines
        .iter()
        .find_map(user_text)
        .map(|t| t.chars().take(120).collect::<String>());
    Some(SessionInfo {
        summary_is_fallback: summary.is_none() && first_prompt.is_some(),
        summary: summary.map(str::to_string).or(first_prompt),
        agent_session_id: Some(expected.to_string()),
        cost: cost(&lines),
    })
}

/// Tokens of the model's answers, each message id counted once (its last
/// line has the final numbers).
fn cost(lines: &[Value]) -> Option<Cost> {
    let mut by_id: BTreeMap<String, &Value> = BTreeMap::new();
    for (index, line) in lines.iter().enumerate() {
        if kind(line) != "gemini" {
            continue;
        }
        let Some(tokens) = line.get("tokens") else {
            continue;
        };
        let id = line
            .get("id")
            .and_then(Value::as_str)
            .map_or_else(|| format!("line {index}"), str::to_string);
        by_id.insert(id, tokens);
    }
    let (mut input, mut cached, mut output) = (0u64, 0u64, 0u64);
    for tokens in by_id.values() {
        let n = |k: &str| tokens.get(k).and_then(Value::as_u64).unwrap_or(0);
        input += n("input");
        cached += n("cached");
        output += n("output") + n("thoughts");
    }
    let fresh = input.saturating_sub(cached);
    (input + output > 0).then(|| Cost {
        input_tokens: input.min(u64::from(u32::MAX)) as u32,
        output_tokens: output.min(u64::from(u32::MAX)) as u32,
        estimated_cost_usd: (fresh as f64 + cached as f64 * CACHED_FACTOR) / 1e6 * PRICE_PER_MTOK.0
            + output as f64 / 1e6 * PRICE_PER_MTOK.1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../../tests/fixtures/gemini/real-session.jsonl");
    const ID: &str = "44444444-2222-4333-8444-555555555555";

    #[test]
    fn the_real_session_file_is_read() {
        let info = session_info(FIXTURE, ID, false).unwrap();
        assert_eq!(info.agent_session_id.as_deref(), Some(ID));
        assert_eq!(info.summary.as_deref(), Some("RUNCMD please"));
        assert!(info.summary_is_fallback);
        let cost = info.cost.unwrap();
        // Three answers (one written twice as its tool call completed).
        assert_eq!((cost.input_tokens, cost.output_tokens), (300, 60));
    }

    #[test]
    fn another_sessions_file_is_not_claimed() {
        assert!(session_info(FIXTURE, "00000000-2222-4333-8444-555555555555", false).is_none());
        // The end of a long file names no id: only once pinned.
        let end: String = FIXTURE
            .lines()
            .filter(|l| !l.contains("sessionId"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(session_info(&end, ID, false).is_none());
        assert!(session_info(&end, ID, true).is_some());
    }

    #[test]
    fn a_resume_side_file_without_messages_is_not_claimed() {
        let header = FIXTURE.lines().next().unwrap();
        let side = format!("{header}\n{{\"$set\":{{\"lastUpdated\":\"2026-12-04T15:53:00Z\"}}}}\n");
        assert!(session_info(&side, ID, true).is_none());
    }

    #[test]
    fn gemini_s_own_summary_wins() {
        let tail = format!("{FIXTURE}{{\"$set\":{{\"summary\":\"Run a command\"}}}}\n");
        let info = session_info(&tail, ID, false).unwrap();
        assert_eq!(info.summary.as_deref(), Some("Run a command"));
        assert!(!info.summary_is_fallback);
    }
}
