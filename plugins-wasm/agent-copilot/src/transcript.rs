//! Copilot CLI's transcript: `~/.copilot/session-state/<id>/events.jsonl`,
//! one `{type, data, timestamp}` event per line, in a directory of its own
//! per session id (so it is this session's by its path).
//!
//! A turn is `user.message`, then model calls (`assistant.turn_start` …
//! `assistant.message` … `assistant.turn_end`, tools in between), until an
//! answer that asks for no tool. An approval question is in the file too
//! (`permission.requested` until `permission.completed`), and so is the end
//! (`session.shutdown`, which says nothing of a process running again).

use ao_plugin_sdk::time;
use ao_plugin_sdk::*;
use serde_json::Value;

/// USD per million tokens (input, output): an estimate for Copilot's default
/// model (its own `cost` counts premium requests, not dollars); cache reads
/// cost a tenth.
const PRICE_PER_MTOK: (f64, f64) = (3.0, 15.0);
const CACHE_READ_FACTOR: f64 = 0.1;

fn events(tail: &str) -> Vec<Value> {
    tail.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn kind(e: &Value) -> &str {
    e.get("type").and_then(Value::as_str).unwrap_or("")
}

fn asks_for_tools(e: &Value) -> bool {
    e.pointer("/data/toolRequests")
        .and_then(Value::as_array)
        .is_some_and(|tools| !tools.is_empty())
}

/// What the newest events say the agent is doing.
pub fn activity(tail: &str) -> Option<ActivityReport> {
    let events = events(tail);
    let mut state = None;
    let mut since = None;
    // Whether the last answer of the current turn asked for a tool.
    let mut wants_tools = false;
    for e in &events {
        let next = match kind(e) {
            "user.message"
            | "assistant.turn_start"
            | "tool.execution_start"
            | "tool.execution_complete"
            | "permission.completed" => Activity::Active,
            "assistant.message" => {
                wants_tools = asks_for_tools(e);
                Activity::Active
            }
            "permission.requested" => Activity::WaitingInput,
            "assistant.turn_end" if wants_tools => Activity::Active,
            "assistant.turn_end" | "session.resume" | "abort" => Activity::Ready,
            // The program ended, or (read while it runs again) a resumed
            // session that has not written anything yet: the runtime and
            // the screen know which.
            "session.shutdown" => {
                state = None;
                continue;
            }
            _ => continue,
        };
        state = Some(next);
        since = e
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(time::parse_ms);
    }
    Some(ActivityReport {
        state: state?,
        since,
        detail: None,
    })
}

/// The session's summary (the first prompt in the tail) and cost.
pub fn session_info(tail: &str, id: &str) -> Option<SessionInfo> {
    let events = events(tail);
    if events.is_empty() {
        return None;
    }
    let named = events
        .iter()
        .find(|e| kind(e) == "session.start")
        .and_then(|e| e.pointer("/data/sessionId")?.as_str());
    if named.is_some_and(|named| named != id) {
        return None;
    }
    let prompt = events
        .iter()
        .filter(|e| kind(e) == "user.message")
        .find_map(|e| e.pointer("/data/content")?.as_str())
        .map(|t| t.trim().chars().take(120).collect::<String>())
        .filter(|t| !t.is_empty());
    Some(SessionInfo {
        summary_is_fallback: prompt.is_some(),
        summary: prompt,
        agent_session_id: Some(id.to_string()),
        cost: cost(&events),
    })
}

fn cost(events: &[Value]) -> Option<Cost> {
    let (mut input, mut cache_read, mut output) = (0u64, 0u64, 0u64);
    for e in events.iter().filter(|e| kind(e) == "session.usage_record") {
        let n = |k: &str| {
            e.pointer(&format!("/data/usage/{k}"))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        input += n("inputTokens");
        cache_read += n("cacheReadTokens");
        output += n("outputTokens");
    }
    let fresh = input.saturating_sub(cache_read);
    (input + output > 0).then(|| Cost {
        input_tokens: input.min(u64::from(u32::MAX)) as u32,
        output_tokens: output.min(u64::from(u32::MAX)) as u32,
        estimated_cost_usd: (fresh as f64 + cache_read as f64 * CACHE_READ_FACTOR) / 1e6
            * PRICE_PER_MTOK.0
            + output as f64 / 1e6 * PRICE_PER_MTOK.1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../../tests/fixtures/copilot/real-events.jsonl");
    const ID: &str = "55555555-2222-4333-8444-555555555555";

    /// The fixture's first `n` lines.
    fn upto(pattern: &str, nth: usize) -> String {
        let mut seen = 0;
        let mut out = String::new();
        for line in FIXTURE.lines() {
            out.push_str(line);
            out.push('\n');
            if line.contains(pattern) {
                seen += 1;
                if seen == nth {
                    break;
                }
            }
        }
        out
    }

    fn state(tail: &str) -> Activity {
        activity(tail).unwrap().state
    }

    #[test]
    fn a_turn_read_from_the_real_events() {
        assert_eq!(state(&upto("\"user.message\"", 1)), Activity::Active);
        assert_eq!(
            state(&upto("\"permission.requested\"", 1)),
            Activity::WaitingInput
        );
        assert_eq!(
            state(&upto("\"permission.completed\"", 1)),
            Activity::Active
        );
        // The first model call asked for a tool: its end is not the turn's.
        assert_eq!(state(&upto("\"assistant.turn_end\"", 1)), Activity::Active);
        assert_eq!(state(&upto("\"assistant.turn_end\"", 2)), Activity::Ready);
        assert!(activity(&upto("\"session.shutdown\"", 1)).is_none());
        assert_eq!(state(&upto("\"session.resume\"", 1)), Activity::Ready);
        assert!(activity(FIXTURE).is_none());
    }

    #[test]
    fn summary_and_cost() {
        let info = session_info(FIXTURE, ID).unwrap();
        assert_eq!(info.agent_session_id.as_deref(), Some(ID));
        assert_eq!(info.summary.as_deref(), Some("RUNCMD please"));
        assert!(info.summary_is_fallback);
        let cost = info.cost.unwrap();
        assert_eq!((cost.input_tokens, cost.output_tokens), (300, 60));
        assert!(cost.estimated_cost_usd > 0.0);
        assert!(session_info(FIXTURE, "00000000-0000-4000-8000-000000000000").is_none());
    }
}
