//! Claude Code's transcript: `~/.claude/projects/<dir>/<session id>.jsonl`,
//! one JSON object per line — `user` and `assistant` messages, and records
//! about the session (`summary`, `ai-title`, …).
//!
//! Claude Code 2.1 keeps its own account in `cost-state` records (the
//! session's `totalCostUSD` and tokens per model); the newest one is the
//! cost. Without one, usage is summed from the assistant messages: a message
//! with several content blocks is written as several lines that repeat the
//! same `message.id` and usage, so usage counts once per message id, its
//! last line winning (it has the final output count).

use ao_plugin_sdk::time;
use ao_plugin_sdk::*;
use serde_json::Value;
use std::collections::BTreeMap;

/// USD per million tokens (input, output), an estimate for the default model.
const PRICE_PER_MTOK: (f64, f64) = (3.0, 15.0);
/// Cache reads cost a tenth of input; cache writes 1.25×.
const CACHE_READ_FACTOR: f64 = 0.1;
const CACHE_WRITE_FACTOR: f64 = 1.25;

/// The parsed lines of a transcript tail (broken lines are skipped: the tail
/// may start mid-line).
pub fn entries(tail: &str) -> Vec<Value> {
    tail.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect()
}

fn kind(entry: &Value) -> &str {
    entry.get("type").and_then(Value::as_str).unwrap_or("")
}

fn timestamp_ms(entry: &Value) -> Option<i64> {
    time::parse_ms(entry.get("timestamp")?.as_str()?)
}

/// What the newest message says the agent is doing.
pub fn activity(tail: &str) -> Option<ActivityReport> {
    let entries = entries(tail);
    let last = entries
        .iter()
        .rev()
        .find(|e| matches!(kind(e), "user" | "assistant"))?;
    let since = timestamp_ms(last);
    let message = last.get("message")?;
    let state = match kind(last) {
        "assistant" => match message.get("stop_reason").and_then(Value::as_str) {
            Some("end_turn" | "stop_sequence" | "max_tokens") => Activity::Ready,
            // tool_use, or still streaming (no stop reason yet)
            _ => Activity::Active,
        },
        // A prompt or a tool result: the agent is working on it. An
        // interruption by the person ends the turn.
        _ if is_interruption(message) => Activity::Ready,
        _ => Activity::Active,
    };
    Some(ActivityReport {
        state,
        since,
        detail: None,
    })
}

fn is_interruption(message: &Value) -> bool {
    text_of(message).is_some_and(|t| t.starts_with("[Request interrupted by user"))
}

/// The text of a message whose content is a string or text blocks.
fn text_of(message: &Value) -> Option<String> {
    match message.get("content")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(blocks) => {
            let text: Vec<&str> = blocks
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect();
            (!text.is_empty()).then(|| text.join("\n"))
        }
        _ => None,
    }
}

/// The session's id, title or summary, and cost.
pub fn session_info(tail: &str) -> Option<SessionInfo> {
    let entries = entries(tail);
    if entries.is_empty() {
        return None;
    }
    let session_id = entries
        .iter()
        .rev()
        .find_map(|e| e.get("sessionId").and_then(Value::as_str))
        .map(str::to_string);
    // A name the person gave (`custom-title`), else the one Claude Code 2.1
    // made (`ai-title`; older versions wrote `summary` records).
    let newest = |kind_name: &str, key: &str| {
        entries
            .iter()
            .rev()
            .filter(|e| kind(e) == kind_name)
            .find_map(|e| e.get(key).and_then(Value::as_str))
    };
    let title = newest("custom-title", "customTitle")
        .or_else(|| newest("ai-title", "aiTitle"))
        .or_else(|| newest("summary", "summary"));
    // The fallback: the prompt, as Claude Code keeps it (`last-prompt`,
    // re-written near the end), else the first user message in the tail.
    let first_prompt = newest("last-prompt", "lastPrompt")
        .map(str::to_string)
        .or_else(|| {
            entries
                .iter()
                .filter(|e| kind(e) == "user")
                .filter_map(|e| text_of(e.get("message")?))
                .find(|t| !t.trim().is_empty())
        })
        .map(|t| t.trim().chars().take(120).collect::<String>());
    Some(SessionInfo {
        summary_is_fallback: title.is_none() && first_prompt.is_some(),
        summary: title.map(str::to_string).or(first_prompt),
        agent_session_id: session_id,
        cost: cost(&entries),
    })
}

fn cost(entries: &[Value]) -> Option<Cost> {
    if let Some(state) = entries.iter().rev().find(|e| kind(e) == "cost-state") {
        return own_account(state);
    }
    // Keyed by message id: repeated lines of one message count once.
    let mut usage_by_message: BTreeMap<String, &Value> = BTreeMap::new();
    for (index, e) in entries.iter().enumerate() {
        if kind(e) != "assistant" {
            continue;
        }
        let Some(usage) = e.pointer("/message/usage") else {
            continue;
        };
        let key = e
            .pointer("/message/id")
            .and_then(Value::as_str)
            .map_or_else(|| format!("line {index}"), str::to_string);
        usage_by_message.insert(key, usage);
    }
    let (mut input, mut cache_read, mut cache_write, mut output) = (0u64, 0u64, 0u64, 0u64);
    for usage in usage_by_message.values() {
        let n = |k: &str| usage.get(k).and_then(Value::as_u64).unwrap_or(0);
        input += n("input_tokens");
        cache_read += n("cache_read_input_tokens");
        cache_write += n("cache_creation_input_tokens");
        output += n("output_tokens");
    }
    let all_input = input + cache_read + cache_write;
    (all_input + output > 0).then(|| Cost {
        input_tokens: all_input.min(u64::from(u32::MAX)) as u32,
        output_tokens: output.min(u64::from(u32::MAX)) as u32,
        estimated_cost_usd: (input as f64
            + cache_read as f64 * CACHE_READ_FACTOR
            + cache_write as f64 * CACHE_WRITE_FACTOR)
            / 1e6
            * PRICE_PER_MTOK.0
            + output as f64 / 1e6 * PRICE_PER_MTOK.1,
    })
}

/// Claude Code's own `cost-state`: its dollar figure, and tokens summed
/// over the models it used.
fn own_account(state: &Value) -> Option<Cost> {
    let usd = state.get("totalCostUSD")?.as_f64()?;
    let (mut input, mut output) = (0u64, 0u64);
    if let Some(models) = state.get("modelUsage").and_then(Value::as_object) {
        for usage in models.values() {
            let n = |k: &str| usage.get(k).and_then(Value::as_u64).unwrap_or(0);
            input += n("inputTokens") + n("cacheReadInputTokens") + n("cacheCreationInputTokens");
            output += n("outputTokens");
        }
    }
    Some(Cost {
        input_tokens: input.min(u64::from(u32::MAX)) as u32,
        output_tokens: output.min(u64::from(u32::MAX)) as u32,
        estimated_cost_usd: usd,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../../tests/fixtures/claude-code/transcript.jsonl");

    fn line(v: serde_json::Value) -> String {
        format!("{v}\n")
    }

    #[test]
    fn a_message_written_as_several_lines_is_counted_once() {
        let usage = serde_json::json!({"input_tokens": 1000, "output_tokens": 100});
        let block = |text: &str| {
            line(serde_json::json!({"type": "assistant", "sessionId": "s1",
                "message": {"id": "msg_1", "content": [{"type": "text", "text": text}], "usage": usage}}))
        };
        let tail = block("one") + &block("two") + &block("three");
        let info = session_info(&tail).unwrap();
        let cost = info.cost.unwrap();
        assert_eq!((cost.input_tokens, cost.output_tokens), (1000, 100));
        assert!((cost.estimated_cost_usd - (0.003 + 0.0015)).abs() < 1e-9);
        assert_eq!(info.agent_session_id.as_deref(), Some("s1"));
    }

    #[test]
    fn claude_codes_own_cost_state_wins() {
        let usage = serde_json::json!({"input_tokens": 1000, "output_tokens": 100});
        let message =
            line(serde_json::json!({"type": "assistant", "message": {"id": "m", "usage": usage}}));
        let state = line(
            serde_json::json!({"type": "cost-state", "totalCostUSD": 0.0016,
            "modelUsage": {"claude-opus-5-5": {"inputTokens": 200, "outputTokens": 40, "cacheReadInputTokens": 0}}}),
        );
        let cost = session_info(&(message + &state)).unwrap().cost.unwrap();
        assert_eq!((cost.input_tokens, cost.output_tokens), (200, 40));
        assert_eq!(cost.estimated_cost_usd, 0.0016);
    }

    #[test]
    fn the_agents_title_wins_over_the_first_prompt() {
        let prompt = line(
            serde_json::json!({"type": "user", "message": {"role": "user", "content": "Fix the login redirect please"}}),
        );
        let info = session_info(&prompt).unwrap();
        assert!(info.summary_is_fallback);
        assert_eq!(
            info.summary.as_deref(),
            Some("Fix the login redirect please")
        );
        let titled = prompt
            + &line(
                serde_json::json!({"type": "ai-title", "aiTitle": "Fix login redirect", "sessionId": "s1"}),
            );
        let info = session_info(&titled).unwrap();
        assert!(!info.summary_is_fallback);
        assert_eq!(info.summary.as_deref(), Some("Fix login redirect"));
    }

    #[test]
    fn the_fixture_reads_as_a_finished_turn() {
        assert_eq!(activity(FIXTURE).unwrap().state, Activity::Ready);
        let info = session_info(FIXTURE).unwrap();
        assert_eq!(info.summary.as_deref(), Some("Fix the login redirect"));
        assert_eq!(info.cost.unwrap().output_tokens, 280);
    }
}
