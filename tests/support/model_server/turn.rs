//! What the server needs to know about one request, whatever API it came
//! through: the latest message a human typed, the tool results since then,
//! the tools offered, and where the agent runs.

use serde_json::Value;
use std::path::PathBuf;

/// Which wire API a request spoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Api {
    Anthropic,
    OpenAiResponses,
    OpenAiChat,
    Gemini,
    /// Anything else (probes, side endpoints): answered generically.
    Other,
}

/// A tool the request offers the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedTool {
    pub name: String,
    /// Codex's freeform (`"type": "custom"`) tools take raw text, not JSON.
    pub freeform: bool,
}

/// One request, normalised across the APIs.
#[derive(Debug, Clone)]
pub struct Turn {
    pub api: Api,
    pub model: String,
    pub stream: bool,
    /// The user-visible text of the latest message a human wrote (context
    /// blocks such as `<system-reminder>` removed); None when there is none.
    pub human: Option<String>,
    /// The outputs of the tool calls answered since that message, in order.
    pub tool_results: Vec<String>,
    pub tools: Vec<OfferedTool>,
    /// System prompt text (all parts joined).
    pub system: String,
    /// The agent's working directory, when the request names it.
    pub cwd: Option<PathBuf>,
    /// A JSON schema the answer must follow (Gemini's `responseJsonSchema`,
    /// OpenAI's `response_format`): side requests such as routing.
    pub answer_schema: Option<Value>,
}

impl Turn {
    pub fn empty(api: Api) -> Turn {
        Turn {
            api,
            model: String::new(),
            stream: false,
            human: None,
            tool_results: Vec::new(),
            tools: Vec::new(),
            system: String::new(),
            cwd: None,
            answer_schema: None,
        }
    }

    pub fn offers(&self, name: &str) -> bool {
        self.tools.iter().any(|t| t.name == name)
    }

    pub fn tool(&self, name: &str) -> Option<&OfferedTool> {
        self.tools.iter().find(|t| t.name == name)
    }
}

/// The text a human wrote, with the context blocks CLIs wrap around or put
/// before it removed (`<system-reminder>…</system-reminder>`,
/// `<environment_context>…`, `<current_datetime>…`, …). None when nothing
/// is left: the message was context only.
pub fn human_text(text: &str) -> Option<String> {
    let mut rest = strip_blocks(text, "system-reminder");
    // Leading wrapped blocks of any tag are context (Codex, Gemini, Copilot).
    loop {
        let trimmed = rest.trim_start();
        let Some(tag) = leading_tag(trimmed) else {
            break;
        };
        let close = format!("</{tag}>");
        match trimmed.find(&close) {
            Some(end) => rest = trimmed[end + close.len()..].to_string(),
            None => break,
        }
    }
    let rest = rest.trim();
    (!rest.is_empty()).then(|| rest.to_string())
}

/// `tag` when `text` starts with `<tag>` (a plain tag name, no attributes
/// needed) or `<tag attr…>`.
fn leading_tag(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('<')?;
    let end = inner.find(|c: char| c == '>' || c.is_whitespace())?;
    let tag = &inner[..end];
    let plain = !tag.is_empty()
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    plain.then_some(tag)
}

fn strip_blocks(text: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        out.push_str(&rest[..start]);
        match rest[start..].find(&close) {
            Some(end) => rest = &rest[start + end + close.len()..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The agent's working directory as its prompt states it (each CLI words it
/// its own way; the first that matches wins).
pub fn find_cwd(body: &str) -> Option<PathBuf> {
    // Claude Code, Copilot, OpenCode, Codex, Gemini CLI, in that order.
    const AFTER: [&str; 5] = [
        "Primary working directory: ",
        "Current working directory: ",
        "Working directory: ",
        "<cwd>",
        "Workspace Directories:**\n  - ",
    ];
    AFTER.iter().find_map(|marker| {
        let start = body.find(marker)? + marker.len();
        let line = body[start..].split(['\n', '<']).next()?.trim();
        line.starts_with('/').then(|| PathBuf::from(line))
    })
}

/// Text of a JSON value that is either a string or a list of parts with a
/// `text` field (every API uses one of the two for message content).
pub fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_blocks_are_not_human_text() {
        assert_eq!(human_text("<system-reminder>x</system-reminder>"), None);
        assert_eq!(
            human_text("<current_datetime>now</current_datetime>\n\nfix it").as_deref(),
            Some("fix it")
        );
        assert_eq!(
            human_text("do <system-reminder>x</system-reminder>this").as_deref(),
            Some("do this")
        );
    }

    #[test]
    fn cwd_as_each_cli_words_it() {
        assert_eq!(
            find_cwd("x\n - Primary working directory: /tmp/r1\n - Is"),
            Some(PathBuf::from("/tmp/r1"))
        );
        assert_eq!(
            find_cwd("  <cwd>/tmp/r2</cwd>"),
            Some(PathBuf::from("/tmp/r2"))
        );
        assert_eq!(find_cwd("nothing"), None);
    }
}
