//! OpenAI Chat Completions (`POST /v1/chat/completions`), as OpenCode,
//! Copilot CLI (BYOK) and Aider use it: streamed as `data:` chunks with
//! content and tool_calls deltas, a finish_reason, usage, then `[DONE]`.

use super::script::Answer;
use super::tools::CallInput;
use super::turn::{Api, OfferedTool, Turn, content_text, find_cwd, human_text};
use super::{INPUT_TOKENS, OUTPUT_TOKENS, Reply, chunks};
use axum::http::StatusCode;
use serde_json::{Value, json};

const AIDER_ADDED_FILES: &str = "I added these files to the chat";

pub fn parse(body: &Value) -> Turn {
    let mut turn = Turn::empty(Api::OpenAiChat);
    turn.model = body["model"].as_str().unwrap_or_default().to_string();
    turn.stream = body["stream"].as_bool().unwrap_or(false);
    turn.tools = body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["function"]["name"].as_str())
        .map(|name| OfferedTool {
            name: name.into(),
            freeform: false,
        })
        .collect();
    if body["response_format"]["type"] == "json_schema" {
        turn.answer_schema = Some(body["response_format"]["json_schema"]["schema"].clone());
    }
    let mut system = Vec::new();
    let mut all_text = String::new();
    for m in body["messages"].as_array().into_iter().flatten() {
        let text = content_text(&m["content"]);
        all_text.push_str(&text);
        all_text.push('\n');
        match m["role"].as_str() {
            Some("system" | "developer") => system.push(text),
            // Aider's own follow-up after adding the files an answer named:
            // it dropped that answer's edits and wants it again.
            Some("user") if text.starts_with(AIDER_ADDED_FILES) => {}
            Some("user") => {
                if let Some(human) = human_text(&text) {
                    turn.human = Some(human);
                    turn.tool_results.clear();
                }
            }
            Some("tool") => turn.tool_results.push(text),
            _ => {}
        }
    }
    turn.system = system.join("\n");
    turn.cwd = find_cwd(&all_text);
    turn
}

pub fn render(turn: &Turn, answer: &Answer, n: u64) -> Reply {
    let id = format!("chatcmpl-{n:06}");
    let finish = if answer.call.is_some() {
        "tool_calls"
    } else {
        "stop"
    };
    let usage = json!({"prompt_tokens": INPUT_TOKENS, "completion_tokens": OUTPUT_TOKENS,
        "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS});
    let call = answer.call.as_ref().map(|call| {
        let args = match &call.input {
            CallInput::Json(v) => v.to_string(),
            CallInput::Freeform(s) => json!({ "input": s }).to_string(),
        };
        (call.name.clone(), args, format!("call_{n:06}"))
    });
    if !turn.stream {
        let mut message = json!({"role": "assistant", "content": answer.text});
        if let Some((name, args, call_id)) = &call {
            message["tool_calls"] = json!([{"id": call_id, "type": "function",
                "function": {"name": name, "arguments": args}}]);
        }
        return Reply::Json(
            StatusCode::OK,
            json!({"id": id, "object": "chat.completion", "created": 0, "model": turn.model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": usage}),
        );
    }
    let chunk = |delta: Value, finish: Option<&str>| {
        json!({"id": id, "object": "chat.completion.chunk", "created": 0, "model": turn.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let mut data = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
    if !answer.text.is_empty() {
        for piece in chunks(&answer.text) {
            data.push(chunk(json!({ "content": piece }), None));
        }
    }
    if let Some((name, args, call_id)) = &call {
        data.push(chunk(
            json!({"tool_calls": [{"index": 0, "id": call_id, "type": "function",
                "function": {"name": name, "arguments": ""}}]}),
            None,
        ));
        data.push(chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": args}}]}),
            None,
        ));
    }
    data.push(chunk(json!({}), Some(finish)));
    data.push(
        json!({"id": id, "object": "chat.completion.chunk", "created": 0,
        "model": turn.model, "choices": [], "usage": usage}),
    );
    let mut events: Vec<String> = data.iter().map(|d| format!("data: {d}\n\n")).collect();
    events.push("data: [DONE]\n\n".into());
    Reply::Events(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_messages_are_results() {
        let body = json!({"model": "m", "stream": true,
        "tools": [{"type": "function", "function": {"name": "bash"}}],
        "messages": [
            {"role": "system", "content": "Working directory: /w\n"},
            {"role": "user", "content": "<current_datetime>t</current_datetime>\n\nTASK-3"},
            {"role": "assistant", "content": "", "tool_calls": [{"id": "a"}]},
            {"role": "tool", "tool_call_id": "a", "content": "done"}
        ]});
        let turn = parse(&body);
        assert_eq!(turn.human.as_deref(), Some("TASK-3"));
        assert_eq!(turn.tool_results, vec!["done".to_string()]);
        assert_eq!(turn.cwd, Some("/w".into()));
    }
}
