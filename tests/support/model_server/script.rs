//! What the scripted model does: rules keyed on the latest human message,
//! each a list of steps. The server is stateless per request: which step is
//! next follows from the number of tool results since that message.

use super::tools::{self, Dialect, ToolCall};
use super::turn::Turn;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One thing the model does in its turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Text for the user (streamed in small chunks).
    Say(String),
    /// Create or overwrite a file with the agent's own write tool. A relative
    /// path is taken from the agent's working directory.
    WriteFile { path: String, content: String },
    /// Replace `old` by `new` in a file with the agent's own edit tool.
    EditFile {
        path: String,
        old: String,
        new: String,
    },
    /// Run a command with the agent's shell tool. A command that is not
    /// read-only (`touch x`) makes agents in their default permission mode
    /// ask the user first.
    Shell(String),
    /// A command the agent must ask the user about, even where plain
    /// commands run unasked: Codex asks for sandbox escalation
    /// (`require_escalated`); other agents get it as [`Step::Shell`] and ask
    /// in their default permission mode.
    AskPermission(String),
}

impl Step {
    pub fn say(text: impl Into<String>) -> Step {
        Step::Say(text.into())
    }

    pub fn write_file(path: impl Into<String>, content: impl Into<String>) -> Step {
        Step::WriteFile {
            path: path.into(),
            content: content.into(),
        }
    }

    pub fn edit_file(
        path: impl Into<String>,
        old: impl Into<String>,
        new: impl Into<String>,
    ) -> Step {
        Step::EditFile {
            path: path.into(),
            old: old.into(),
            new: new.into(),
        }
    }

    pub fn shell(command: impl Into<String>) -> Step {
        Step::Shell(command.into())
    }

    pub fn ask_permission(command: impl Into<String>) -> Step {
        Step::AskPermission(command.into())
    }
}

/// When the latest human message contains `when`, do `steps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub when: String,
    pub steps: Vec<Step>,
}

/// The whole script of a server. As a file (for `ao-model-server`):
/// `{"slow_ms": 50, "rules": [{"when": "TASK-1", "steps": [{"write_file":
/// {"path": "a.txt", "content": "hi\n"}}, {"say": "Done."}]}]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Steps for a human message no rule matches (default: a short answer).
    #[serde(default)]
    pub otherwise: Vec<Step>,
    /// Pause before each streamed chunk, so tests can watch an agent work.
    #[serde(default)]
    pub slow_ms: u64,
}

/// The generic answer to side requests (titles, summaries, probes) and to
/// human messages no rule matches.
pub const GENERIC_ANSWER: &str = "OK.";

impl Script {
    pub fn new() -> Script {
        Script::default()
    }

    /// Adds a rule: when the latest human message contains `marker`.
    pub fn on(mut self, marker: impl Into<String>, steps: impl IntoIterator<Item = Step>) -> Self {
        self.rules.push(Rule {
            when: marker.into(),
            steps: steps.into_iter().collect(),
        });
        self
    }

    /// Steps for human messages no rule matches.
    pub fn otherwise(mut self, steps: impl IntoIterator<Item = Step>) -> Self {
        self.otherwise = steps.into_iter().collect();
        self
    }

    /// Pause `ms` milliseconds before each streamed chunk.
    pub fn slow(mut self, ms: u64) -> Self {
        self.slow_ms = ms;
        self
    }

    pub fn chunk_delay(&self) -> Duration {
        Duration::from_millis(self.slow_ms)
    }

    /// Reads a script file: JSON, or YAML when the name ends in .yaml/.yml.
    pub fn from_file(path: &std::path::Path) -> anyhow::Result<Script> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read script {}: {e}", path.display()))?;
        let yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        let parsed = if yaml {
            // Through a JSON value: serde_yaml wants `!tags` for enums, the
            // script's steps are written as one-key maps as in JSON.
            serde_yaml::from_str::<serde_json::Value>(&text)
                .map_err(anyhow::Error::from)
                .and_then(|v| serde_json::from_value(v).map_err(anyhow::Error::from))
        } else {
            serde_json::from_str(&text).map_err(anyhow::Error::from)
        };
        parsed.map_err(|e| {
            anyhow::anyhow!(
                "script {} is not a valid script: {e}; expected {{\"rules\": [{{\"when\": \"…\", \"steps\": [{{\"say\": \"…\"}}]}}]}}",
                path.display()
            )
        })
    }

    /// The steps for this request's human message (None: a side request or
    /// no human message at all).
    fn steps_for(&self, turn: &Turn) -> Option<&[Step]> {
        let human = turn.human.as_deref()?;
        let rule = self.rules.iter().find(|r| human.contains(&r.when));
        Some(match rule {
            Some(rule) => &rule.steps,
            None => &self.otherwise,
        })
    }

    /// What the model answers to `turn`.
    pub fn answer(&self, turn: &Turn) -> Answer {
        // Structured output is asked for by side requests only (routing).
        if let Some(schema) = &turn.answer_schema {
            return Answer::text(super::schema::example(schema).to_string());
        }
        let dialect = Dialect::of(turn);
        // Side requests (titles, summaries, routing, commit messages) offer
        // no tools; they get a short answer whatever the human message said.
        let steps = match (dialect, self.steps_for(turn)) {
            (Dialect::Side, _) | (_, None | Some([])) => return Answer::text(GENERIC_ANSWER),
            (_, Some(steps)) => steps,
        };
        let moves = match tools::expand(dialect, turn, steps) {
            Ok(moves) => moves,
            // A step the agent has no tool for: say so, the test will fail
            // on the missing effect and the log tells why.
            Err(missing) => return Answer::text(format!("[model server] {missing}")),
        };
        pick(&moves, turn.tool_results.len())
    }
}

/// A step made concrete for one agent: text, or one tool call.
#[derive(Debug, Clone, PartialEq)]
pub enum Move {
    Say(String),
    Call(ToolCall),
}

/// One answer of the model: text, then at most one tool call.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub text: String,
    pub call: Option<ToolCall>,
}

impl Answer {
    pub fn text(text: impl Into<String>) -> Answer {
        Answer {
            text: text.into(),
            call: None,
        }
    }
}

/// The answer after `done` tool calls: the text said since the last call,
/// and the next call (one per answer, so counting results counts calls).
fn pick(moves: &[Move], done: usize) -> Answer {
    let mut calls = 0;
    let mut text = String::new();
    for m in moves {
        match m {
            Move::Say(s) if calls == done => {
                if !text.is_empty() {
                    text.push_str("\n\n");
                }
                text.push_str(s);
            }
            Move::Say(_) => {}
            Move::Call(call) if calls == done => {
                return Answer {
                    text,
                    call: Some(call.clone()),
                };
            }
            Move::Call(_) => calls += 1,
        }
    }
    if text.is_empty() {
        text = "Done.".into();
    }
    Answer::text(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model_server::tools::CallInput;

    fn call(name: &str) -> Move {
        Move::Call(ToolCall {
            name: name.into(),
            input: CallInput::Json(serde_json::json!({})),
        })
    }

    #[test]
    fn each_tool_result_moves_to_the_next_call() {
        let moves = [
            Move::Say("a".into()),
            call("x"),
            call("y"),
            Move::Say("b".into()),
        ];
        let first = pick(&moves, 0);
        assert_eq!(first.text, "a");
        assert_eq!(first.call.unwrap().name, "x");
        let second = pick(&moves, 1);
        assert_eq!(second.text, "");
        assert_eq!(second.call.unwrap().name, "y");
        assert_eq!(pick(&moves, 2), Answer::text("b"));
        assert_eq!(pick(&moves, 5), Answer::text("Done."));
    }

    #[test]
    fn script_files_read_as_json_and_yaml() {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("s.json");
        std::fs::write(
            &json,
            r#"{"slow_ms": 5, "rules": [{"when": "T-1", "steps": [{"write_file": {"path": "a", "content": "b"}}, {"shell": "ls"}, {"say": "ok"}]}]}"#,
        )
        .unwrap();
        let yaml = dir.path().join("s.yaml");
        std::fs::write(
            &yaml,
            "slow_ms: 5\nrules:\n  - when: T-1\n    steps:\n      - write_file: {path: a, content: b}\n      - shell: ls\n      - say: ok\n",
        )
        .unwrap();
        let expected = Script::new()
            .on(
                "T-1",
                [
                    Step::write_file("a", "b"),
                    Step::shell("ls"),
                    Step::say("ok"),
                ],
            )
            .slow(5);
        assert_eq!(Script::from_file(&json).unwrap(), expected);
        assert_eq!(Script::from_file(&yaml).unwrap(), expected);
        std::fs::write(&json, r#"{"rule": []}"#).unwrap();
        let err = Script::from_file(&json).unwrap_err().to_string();
        assert!(err.contains("s.json") && err.contains("rules"), "{err}");
    }
}
