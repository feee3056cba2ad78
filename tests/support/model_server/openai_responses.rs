//! OpenAI Responses API (`POST /v1/responses`), as Codex uses it: streamed
//! as response.created, output_item.added/done per item (message text,
//! function_call, custom_tool_call) with their deltas, response.completed.

use super::script::Answer;
use super::tools::CallInput;
use super::turn::{Api, OfferedTool, Turn, content_text, find_cwd, human_text};
use super::{INPUT_TOKENS, OUTPUT_TOKENS, Reply, chunks, sse};
use axum::http::StatusCode;
use serde_json::{Value, json};

pub fn parse(body: &Value) -> Turn {
    let mut turn = Turn::empty(Api::OpenAiResponses);
    turn.model = body["model"].as_str().unwrap_or_default().to_string();
    turn.stream = body["stream"].as_bool().unwrap_or(false);
    let mut system = vec![
        body["instructions"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    ];
    for tool in body["tools"].as_array().into_iter().flatten() {
        offer(&mut turn.tools, tool);
    }
    if body["text"]["format"]["type"] == "json_schema" {
        turn.answer_schema = Some(body["text"]["format"]["schema"].clone());
    }
    let items = match &body["input"] {
        Value::String(s) => vec![json!({"type": "message", "role": "user", "content": s})],
        Value::Array(items) => items.clone(),
        _ => Vec::new(),
    };
    let mut all_text = system.join("\n");
    for item in &items {
        let kind = item["type"].as_str().unwrap_or("message");
        match kind {
            "message" => {
                let text = content_text(&item["content"]);
                all_text.push('\n');
                all_text.push_str(&text);
                match item["role"].as_str() {
                    Some("user") => {
                        if let Some(human) = human_text(&text) {
                            turn.human = Some(human);
                            turn.tool_results.clear();
                        }
                    }
                    Some("system" | "developer") => system.push(text),
                    _ => {}
                }
            }
            "function_call_output" | "custom_tool_call_output" => {
                turn.tool_results.push(output_text(&item["output"]));
            }
            _ => {}
        }
    }
    turn.system = system.join("\n");
    turn.cwd = find_cwd(&all_text);
    turn
}

/// Function and freeform tools, also inside Codex's tool namespaces.
fn offer(tools: &mut Vec<OfferedTool>, tool: &Value) {
    match tool["type"].as_str() {
        Some("namespace") => {
            for inner in tool["tools"].as_array().into_iter().flatten() {
                offer(tools, inner);
            }
        }
        Some(kind) => {
            if let Some(name) = tool["name"].as_str() {
                tools.push(OfferedTool {
                    name: name.into(),
                    freeform: kind == "custom",
                });
            }
        }
        None => {}
    }
}

fn output_text(output: &Value) -> String {
    match output {
        Value::String(s) => s.clone(),
        other => content_text(other),
    }
}

pub fn render(turn: &Turn, answer: &Answer, n: u64) -> Reply {
    let resp_id = format!("resp_{n:06}");
    let mut output = Vec::new();
    let mut events = Vec::new();
    let response = |status: &str, output: &[Value]| {
        json!({"id": resp_id, "object": "response", "created_at": 0, "status": status,
            "model": turn.model, "output": output,
            "usage": {"input_tokens": INPUT_TOKENS,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": OUTPUT_TOKENS,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS}})
    };
    events.push((
        "response.created",
        json!({"response": response("in_progress", &[])}),
    ));
    if !answer.text.is_empty() {
        let item_id = format!("msg_{n:06}");
        let index = output.len();
        let done = json!({"type": "message", "id": item_id, "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": answer.text, "annotations": []}]});
        events.push((
            "response.output_item.added",
            json!({"output_index": index, "item": {"type": "message", "id": item_id,
                "status": "in_progress", "role": "assistant", "content": []}}),
        ));
        events.push((
            "response.content_part.added",
            json!({"item_id": item_id, "output_index": index, "content_index": 0,
                "part": {"type": "output_text", "text": "", "annotations": []}}),
        ));
        for piece in chunks(&answer.text) {
            events.push((
                "response.output_text.delta",
                json!({"item_id": item_id, "output_index": index, "content_index": 0,
                    "delta": piece}),
            ));
        }
        events.push((
            "response.output_text.done",
            json!({"item_id": item_id, "output_index": index, "content_index": 0,
                "text": answer.text}),
        ));
        events.push((
            "response.content_part.done",
            json!({"item_id": item_id, "output_index": index, "content_index": 0,
                "part": {"type": "output_text", "text": answer.text, "annotations": []}}),
        ));
        events.push((
            "response.output_item.done",
            json!({"output_index": index, "item": done}),
        ));
        output.push(done);
    }
    if let Some(call) = &answer.call {
        let index = output.len();
        let call_id = format!("call_{n:06}");
        let (added, delta_event, delta, done_event, done) = match &call.input {
            CallInput::Json(args) => {
                let args = args.to_string();
                let item_id = format!("fc_{n:06}");
                (
                    json!({"type": "function_call", "id": item_id, "call_id": call_id,
                        "name": call.name, "arguments": "", "status": "in_progress"}),
                    "response.function_call_arguments.delta",
                    json!({"item_id": item_id, "output_index": index, "delta": args}),
                    "response.function_call_arguments.done",
                    json!({"type": "function_call", "id": item_id, "call_id": call_id,
                        "name": call.name, "arguments": args, "status": "completed"}),
                )
            }
            CallInput::Freeform(input) => {
                let item_id = format!("ctc_{n:06}");
                (
                    json!({"type": "custom_tool_call", "id": item_id, "call_id": call_id,
                        "name": call.name, "input": "", "status": "in_progress"}),
                    "response.custom_tool_call_input.delta",
                    json!({"item_id": item_id, "output_index": index, "delta": input}),
                    "response.custom_tool_call_input.done",
                    json!({"type": "custom_tool_call", "id": item_id, "call_id": call_id,
                        "name": call.name, "input": input, "status": "completed"}),
                )
            }
        };
        events.push((
            "response.output_item.added",
            json!({"output_index": index, "item": added}),
        ));
        events.push((delta_event, delta));
        let mut done_data = json!({"output_index": index, "item_id": done["id"]});
        if let CallInput::Json(_) = call.input {
            done_data["arguments"] = done["arguments"].clone();
        } else {
            done_data["input"] = done["input"].clone();
        }
        events.push((done_event, done_data));
        events.push((
            "response.output_item.done",
            json!({"output_index": index, "item": done}),
        ));
        output.push(done);
    }
    let completed = response("completed", &output);
    if !turn.stream {
        return Reply::Json(StatusCode::OK, completed);
    }
    events.push(("response.completed", json!({ "response": completed })));
    Reply::Events(
        events
            .into_iter()
            .enumerate()
            .map(|(seq, (name, mut data))| {
                data["type"] = json!(name);
                data["sequence_number"] = json!(seq);
                sse(Some(name), &data)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codex_request_shape() {
        let body = json!({"model": "gpt-5.5", "stream": true,
        "tools": [{"type": "function", "name": "exec_command"},
                  {"type": "custom", "name": "apply_patch"},
                  {"type": "namespace", "name": "ns", "tools": [{"type": "function", "name": "spawn_agent"}]},
                  {"type": "web_search"}],
        "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "be good"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "<environment_context>\n  <cwd>/w</cwd>\n</environment_context>"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "TASK-2 please"}]},
            {"type": "custom_tool_call", "call_id": "c", "name": "apply_patch", "input": "x"},
            {"type": "custom_tool_call_output", "call_id": "c", "output": "Success"}
        ]});
        let turn = parse(&body);
        assert_eq!(turn.human.as_deref(), Some("TASK-2 please"));
        assert_eq!(turn.tool_results, vec!["Success".to_string()]);
        assert_eq!(turn.cwd, Some("/w".into()));
        assert!(turn.tool("apply_patch").unwrap().freeform);
        assert!(turn.offers("spawn_agent"));
        assert!(turn.system.contains("be good"));
    }
}
