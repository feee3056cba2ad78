//! Gemini API (`POST /v1beta/models/{model}:generateContent` and
//! `:streamGenerateContent?alt=sse`), as Gemini CLI uses it: candidates
//! with text and functionCall parts, the last chunk with finishReason and
//! usageMetadata.

use super::script::Answer;
use super::tools::CallInput;
use super::turn::{Api, OfferedTool, Turn, find_cwd, human_text};
use super::{INPUT_TOKENS, OUTPUT_TOKENS, Reply, chunks};
use axum::http::{StatusCode, Uri};
use serde_json::{Value, json};

pub fn parse(uri: &Uri, body: &Value) -> Turn {
    let mut turn = Turn::empty(Api::Gemini);
    let (model, action) = model_and_action(uri.path());
    turn.model = model;
    turn.stream = action == "streamGenerateContent";
    turn.system = parts_text(&body["systemInstruction"]["parts"]);
    turn.tools = body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|t| {
            t["functionDeclarations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|f| f["name"].as_str().map(str::to_string))
        .map(|name| OfferedTool {
            name,
            freeform: false,
        })
        .collect();
    let config = &body["generationConfig"];
    turn.answer_schema = [&config["responseJsonSchema"], &config["responseSchema"]]
        .into_iter()
        .find(|s| s.is_object())
        .cloned();
    let mut all_text = turn.system.clone();
    for content in body["contents"].as_array().into_iter().flatten() {
        let text = parts_text(&content["parts"]);
        all_text.push('\n');
        all_text.push_str(&text);
        if content["role"] != "user" {
            continue;
        }
        if let Some(human) = human_text(&text) {
            turn.human = Some(human);
            turn.tool_results.clear();
        }
        for part in content["parts"].as_array().into_iter().flatten() {
            let response = &part["functionResponse"]["response"];
            if !response.is_null() {
                turn.tool_results.push(match &response["output"] {
                    Value::String(s) => s.clone(),
                    _ => response.to_string(),
                });
            }
        }
    }
    turn.cwd = find_cwd(&all_text);
    turn
}

/// `gemini-x` and `streamGenerateContent` from `/v1beta/models/gemini-x:streamGenerateContent`.
pub fn model_and_action(path: &str) -> (String, String) {
    let last = path.rsplit('/').next().unwrap_or_default();
    match last.split_once(':') {
        Some((model, action)) => (model.to_string(), action.to_string()),
        None => (last.to_string(), String::new()),
    }
}

fn parts_text(parts: &Value) -> String {
    parts
        .as_array()
        .into_iter()
        .flatten()
        // Thoughts are the model's own, not text anyone wrote.
        .filter(|p| p["thought"] != true)
        .filter_map(|p| p["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn render(turn: &Turn, answer: &Answer, _n: u64) -> Reply {
    let usage = json!({"promptTokenCount": INPUT_TOKENS, "candidatesTokenCount": OUTPUT_TOKENS,
        "totalTokenCount": INPUT_TOKENS + OUTPUT_TOKENS});
    let call_part = answer.call.as_ref().map(|call| {
        let args = match &call.input {
            CallInput::Json(v) => v.clone(),
            CallInput::Freeform(s) => json!({ "input": s }),
        };
        json!({"functionCall": {"name": call.name, "args": args}})
    });
    let candidate = |parts: Vec<Value>, last: bool| {
        let mut c = json!({"content": {"role": "model", "parts": parts}, "index": 0});
        if last {
            c["finishReason"] = json!("STOP");
        }
        c
    };
    if !turn.stream {
        let mut parts = Vec::new();
        if !answer.text.is_empty() {
            parts.push(json!({ "text": answer.text }));
        }
        parts.extend(call_part);
        return Reply::Json(
            StatusCode::OK,
            json!({"candidates": [candidate(parts, true)], "usageMetadata": usage,
                "modelVersion": turn.model}),
        );
    }
    let mut data = Vec::new();
    if !answer.text.is_empty() {
        for piece in chunks(&answer.text) {
            data.push(
                json!({"candidates": [candidate(vec![json!({"text": piece})], false)],
                "modelVersion": turn.model}),
            );
        }
    }
    let last_parts: Vec<Value> = call_part.into_iter().collect();
    let last_parts = if last_parts.is_empty() {
        vec![json!({"text": ""})]
    } else {
        last_parts
    };
    data.push(
        json!({"candidates": [candidate(last_parts, true)], "usageMetadata": usage,
        "modelVersion": turn.model}),
    );
    Reply::Events(data.iter().map(|d| format!("data: {d}\n\n")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemini_cli_request_shape() {
        let uri: Uri = "/v1beta/models/gemini-x:streamGenerateContent?alt=sse"
            .parse()
            .unwrap();
        let body = json!({
        "systemInstruction": {"parts": [{"text": "sys"}]},
        "tools": [{"functionDeclarations": [{"name": "write_file"}, {"name": "run_shell_command"}]}],
        "contents": [
            {"role": "user", "parts": [
                {"text": "<session_context>\n- **Workspace Directories:**\n  - /w\n</session_context>"},
                {"text": "TASK-4"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "write_file", "args": {}}}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "write_file",
                "response": {"output": "written"}}}]}
        ]});
        let turn = parse(&uri, &body);
        assert_eq!(turn.model, "gemini-x");
        assert!(turn.stream);
        assert_eq!(turn.human.as_deref(), Some("TASK-4"));
        assert_eq!(turn.tool_results, vec!["written".to_string()]);
        assert_eq!(turn.cwd, Some("/w".into()));
    }
}
