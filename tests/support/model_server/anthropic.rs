//! Anthropic Messages API (`POST /v1/messages`), as Claude Code uses it:
//! streamed as message_start, content_block_start/delta/stop per block,
//! message_delta (stop reason, usage), message_stop.

use super::script::Answer;
use super::tools::CallInput;
use super::turn::{Api, OfferedTool, Turn, content_text, find_cwd, human_text};
use super::{INPUT_TOKENS, OUTPUT_TOKENS, Reply, chunks, sse};
use axum::http::StatusCode;
use serde_json::{Value, json};

pub fn parse(body: &Value) -> Turn {
    let mut turn = Turn::empty(Api::Anthropic);
    turn.model = str_of(body, "model");
    turn.stream = body["stream"].as_bool().unwrap_or(false);
    turn.system = content_text(&body["system"]);
    turn.tools = body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .map(|name| OfferedTool {
            name: name.into(),
            freeform: false,
        })
        .collect();
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let mut all_text = turn.system.clone();
    for m in &messages {
        all_text.push('\n');
        all_text.push_str(&content_text(&m["content"]));
        if m["role"] != "user" {
            continue;
        }
        // Tool results come back in user messages too: only text a human
        // wrote starts a new turn.
        if let Some(text) = human_text(&text_blocks(&m["content"])) {
            turn.human = Some(text);
            turn.tool_results.clear();
        }
        for block in m["content"].as_array().into_iter().flatten() {
            if block["type"] == "tool_result" {
                turn.tool_results.push(content_text(&block["content"]));
            }
        }
    }
    turn.cwd = find_cwd(&all_text);
    turn
}

/// The text blocks of a message (a plain string is one text block).
fn text_blocks(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter(|b| b["type"] == "text")
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn str_of(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

pub fn render(turn: &Turn, answer: &Answer, n: u64) -> Reply {
    let id = format!("msg_{n:06}");
    let tool_id = format!("toolu_{n:06}");
    let stop_reason = if answer.call.is_some() {
        "tool_use"
    } else {
        "end_turn"
    };
    let usage = json!({"input_tokens": INPUT_TOKENS, "output_tokens": OUTPUT_TOKENS,
        "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0});
    let tool_input = |input: &CallInput| match input {
        CallInput::Json(v) => v.clone(),
        CallInput::Freeform(s) => json!({ "input": s }),
    };
    if !turn.stream {
        let mut content = Vec::new();
        if !answer.text.is_empty() {
            content.push(json!({"type": "text", "text": answer.text}));
        }
        if let Some(call) = &answer.call {
            content.push(json!({"type": "tool_use", "id": tool_id, "name": call.name,
                "input": tool_input(&call.input)}));
        }
        return Reply::Json(
            StatusCode::OK,
            json!({"id": id, "type": "message", "role": "assistant", "model": turn.model,
                "content": content, "stop_reason": stop_reason, "stop_sequence": null,
                "usage": usage}),
        );
    }
    let mut events = vec![sse(
        Some("message_start"),
        &json!({"type": "message_start", "message": {"id": id, "type": "message",
            "role": "assistant", "model": turn.model, "content": [], "stop_reason": null,
            "stop_sequence": null,
            "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": 1,
                "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}}),
    )];
    let mut index = 0;
    if !answer.text.is_empty() {
        events.push(sse(
            Some("content_block_start"),
            &json!({"type": "content_block_start", "index": index,
                "content_block": {"type": "text", "text": ""}}),
        ));
        for piece in chunks(&answer.text) {
            events.push(sse(
                Some("content_block_delta"),
                &json!({"type": "content_block_delta", "index": index,
                    "delta": {"type": "text_delta", "text": piece}}),
            ));
        }
        events.push(sse(
            Some("content_block_stop"),
            &json!({"type": "content_block_stop", "index": index}),
        ));
        index += 1;
    }
    if let Some(call) = &answer.call {
        events.push(sse(
            Some("content_block_start"),
            &json!({"type": "content_block_start", "index": index,
                "content_block": {"type": "tool_use", "id": tool_id, "name": call.name,
                    "input": {}}}),
        ));
        let args = tool_input(&call.input).to_string();
        events.push(sse(
            Some("content_block_delta"),
            &json!({"type": "content_block_delta", "index": index,
                "delta": {"type": "input_json_delta", "partial_json": args}}),
        ));
        events.push(sse(
            Some("content_block_stop"),
            &json!({"type": "content_block_stop", "index": index}),
        ));
    }
    events.push(sse(
        Some("message_delta"),
        &json!({"type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": null},
            "usage": {"output_tokens": OUTPUT_TOKENS}}),
    ));
    events.push(sse(Some("message_stop"), &json!({"type": "message_stop"})));
    Reply::Events(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_results_since_the_last_human_message() {
        let body = json!({"model": "m", "stream": true,
        "system": [{"type": "text", "text": " - Primary working directory: /w\n"}],
        "tools": [{"name": "Write"}, {"name": "Bash"}],
        "messages": [
            {"role": "user", "content": "old"},
            {"role": "user", "content": [
                {"type": "text", "text": "<system-reminder>ctx</system-reminder>"},
                {"type": "text", "text": "do TASK-1"}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "Bash", "input": {}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "a", "content": "out"},
                {"type": "text", "text": "<system-reminder>later</system-reminder>"}]}
        ]});
        let turn = parse(&body);
        assert_eq!(turn.human.as_deref(), Some("do TASK-1"));
        assert_eq!(turn.tool_results, vec!["out".to_string()]);
        assert_eq!(turn.cwd, Some("/w".into()));
        assert!(turn.offers("Write") && turn.stream);
    }
}
