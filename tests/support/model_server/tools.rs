//! Steps made concrete for each agent: every CLI offers its own tools
//! (names, argument shapes, read-before-write rules), and Aider edits
//! through text formats instead of tools.

use super::script::{Move, Step};
use super::turn::{Api, Turn};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// A tool call the model makes.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub name: String,
    pub input: CallInput,
}

/// Function tools take JSON arguments; Codex's freeform tools raw text.
#[derive(Debug, Clone, PartialEq)]
pub enum CallInput {
    Json(Value),
    Freeform(String),
}

/// Which agent's tool set a request offers, told by the tool names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Claude Code: Read, Write, Edit, Bash (Write/Edit need a Read first).
    Claude,
    /// OpenCode: read, write, edit, bash (camelCase arguments, read first).
    OpenCode,
    /// Copilot CLI: create (new files only), edit, bash.
    Copilot,
    /// Codex: apply_patch (freeform patch text) and exec_command.
    Codex,
    /// Gemini CLI: write_file, replace, run_shell_command.
    Gemini,
    /// Aider: no tools; files in SEARCH/REPLACE blocks (`--edit-format diff`).
    AiderDiff,
    /// Aider: no tools; whole-file listings (`--edit-format whole`).
    AiderWhole,
    /// No tools and no edit format: titles, summaries, commit messages.
    Side,
}

impl Dialect {
    pub fn of(turn: &Turn) -> Dialect {
        let has = |n: &str| turn.offers(n);
        if has("Write") && has("Bash") {
            Dialect::Claude
        } else if has("write") && has("bash") && has("read") {
            Dialect::OpenCode
        } else if has("create") && has("bash") {
            Dialect::Copilot
        } else if has("apply_patch") || has("exec_command") || has("shell_command") {
            Dialect::Codex
        } else if has("write_file") || has("run_shell_command") {
            Dialect::Gemini
        } else if turn.tools.is_empty() && turn.api == Api::OpenAiChat {
            // Aider's main prompts describe its edit format; its side
            // prompts (commit messages, summaries) do not.
            if turn.system.contains("SEARCH/REPLACE block") {
                Dialect::AiderDiff
            } else if turn.system.contains("*file listing*") {
                Dialect::AiderWhole
            } else {
                Dialect::Side
            }
        } else if turn.tools.is_empty() {
            Dialect::Side
        } else {
            // Tools, but none we know: still not a side request.
            Dialect::Gemini
        }
    }
}

/// The moves that carry out `steps` with this agent's tools, or what is
/// missing (a tool the request does not offer, a file that cannot be read).
pub fn expand(dialect: Dialect, turn: &Turn, steps: &[Step]) -> Result<Vec<Move>, String> {
    let mut moves = Vec::new();
    for step in steps {
        match step {
            Step::Say(text) => moves.push(Move::Say(text.clone())),
            _ => moves.extend(concrete(dialect, turn, step)?),
        }
    }
    Ok(moves)
}

fn call(name: &str, input: Value) -> Move {
    Move::Call(ToolCall {
        name: name.into(),
        input: CallInput::Json(input),
    })
}

fn require(turn: &Turn, names: &[&str]) -> Result<(), String> {
    match names.iter().find(|n| !turn.offers(n)) {
        None => Ok(()),
        Some(missing) => Err(format!(
            "the agent offers no `{missing}` tool (offered: {})",
            turn.tools
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// `path` as an absolute path when the agent's cwd is known.
fn absolute(turn: &Turn, path: &str) -> String {
    match &turn.cwd {
        Some(cwd) if !Path::new(path).is_absolute() => cwd.join(path).display().to_string(),
        _ => path.to_string(),
    }
}

/// The file's content now, read from disk (the server runs on the agent's
/// machine); None when it does not exist.
fn on_disk(turn: &Turn, path: &str) -> Option<String> {
    let full: PathBuf = absolute(turn, path).into();
    std::fs::read_to_string(full).ok()
}

const SHELL_DESCRIPTION: &str = "Run the scripted command";

fn concrete(dialect: Dialect, turn: &Turn, step: &Step) -> Result<Vec<Move>, String> {
    Ok(match (dialect, step) {
        (Dialect::Codex, Step::AskPermission(cmd)) => {
            require(turn, &["exec_command"])?;
            vec![call(
                "exec_command",
                json!({"cmd": cmd, "sandbox_permissions": "require_escalated",
                    "justification": "The scripted model asks to run this outside the sandbox"}),
            )]
        }
        (_, Step::AskPermission(cmd)) => concrete(dialect, turn, &Step::Shell(cmd.clone()))?,

        (_, Step::Say(text)) => vec![Move::Say(text.clone())],

        (Dialect::Claude, Step::WriteFile { path, content }) => {
            require(turn, &["Read", "Write"])?;
            let p = absolute(turn, path);
            vec![
                call("Read", json!({"file_path": p})),
                call("Write", json!({"file_path": p, "content": content})),
            ]
        }
        (Dialect::Claude, Step::EditFile { path, old, new }) => {
            require(turn, &["Read", "Edit"])?;
            let p = absolute(turn, path);
            vec![
                call("Read", json!({"file_path": p})),
                call(
                    "Edit",
                    json!({"file_path": p, "old_string": old, "new_string": new}),
                ),
            ]
        }
        (Dialect::Claude, Step::Shell(cmd)) => {
            require(turn, &["Bash"])?;
            vec![call(
                "Bash",
                json!({"command": cmd, "description": SHELL_DESCRIPTION}),
            )]
        }

        (Dialect::OpenCode, Step::WriteFile { path, content }) => {
            require(turn, &["read", "write"])?;
            let p = absolute(turn, path);
            vec![
                call("read", json!({"filePath": p})),
                call("write", json!({"filePath": p, "content": content})),
            ]
        }
        (Dialect::OpenCode, Step::EditFile { path, old, new }) => {
            require(turn, &["read", "edit"])?;
            let p = absolute(turn, path);
            vec![
                call("read", json!({"filePath": p})),
                call(
                    "edit",
                    json!({"filePath": p, "oldString": old, "newString": new}),
                ),
            ]
        }
        (Dialect::OpenCode, Step::Shell(cmd)) => {
            require(turn, &["bash"])?;
            vec![call(
                "bash",
                json!({"command": cmd, "description": SHELL_DESCRIPTION}),
            )]
        }

        // `create` refuses existing files: replace their whole content instead.
        (Dialect::Copilot, Step::WriteFile { path, content }) => {
            let p = absolute(turn, path);
            match on_disk(turn, path).filter(|old| !old.is_empty()) {
                Some(old) => {
                    require(turn, &["edit"])?;
                    vec![call(
                        "edit",
                        json!({"path": p, "old_str": old, "new_str": content}),
                    )]
                }
                None => {
                    require(turn, &["create"])?;
                    vec![call("create", json!({"path": p, "file_text": content}))]
                }
            }
        }
        (Dialect::Copilot, Step::EditFile { path, old, new }) => {
            require(turn, &["edit"])?;
            let p = absolute(turn, path);
            vec![call(
                "edit",
                json!({"path": p, "old_str": old, "new_str": new}),
            )]
        }
        (Dialect::Copilot, Step::Shell(cmd)) => {
            require(turn, &["bash"])?;
            vec![call(
                "bash",
                json!({"command": cmd, "description": SHELL_DESCRIPTION}),
            )]
        }

        (Dialect::Codex, Step::WriteFile { path, content }) => {
            vec![codex_patch(
                turn,
                &patch_for(path, on_disk(turn, path).as_deref(), content),
            )?]
        }
        (Dialect::Codex, Step::EditFile { path, old, new }) => {
            let Some(before) = on_disk(turn, path) else {
                return Err(format!("edit_file: {path} does not exist"));
            };
            let after = before.replacen(old.as_str(), new, 1);
            vec![codex_patch(turn, &patch_for(path, Some(&before), &after))?]
        }
        (Dialect::Codex, Step::Shell(cmd)) => {
            if turn.offers("exec_command") {
                vec![call("exec_command", json!({"cmd": cmd}))]
            } else if turn.offers("shell_command") {
                vec![call("shell_command", json!({"command": cmd}))]
            } else {
                require(turn, &["shell"])?;
                vec![call("shell", json!({"command": ["bash", "-lc", cmd]}))]
            }
        }

        (Dialect::Gemini, Step::WriteFile { path, content }) => {
            require(turn, &["write_file"])?;
            vec![call(
                "write_file",
                json!({"file_path": absolute(turn, path), "content": content}),
            )]
        }
        (Dialect::Gemini, Step::EditFile { path, old, new }) => {
            require(turn, &["replace"])?;
            vec![call(
                "replace",
                json!({
                    "file_path": absolute(turn, path),
                    "old_string": old,
                    "new_string": new,
                    "instruction": "Apply the scripted edit",
                }),
            )]
        }
        (Dialect::Gemini, Step::Shell(cmd)) => {
            require(turn, &["run_shell_command"])?;
            vec![call(
                "run_shell_command",
                json!({"command": cmd, "description": SHELL_DESCRIPTION}),
            )]
        }

        (Dialect::AiderDiff, Step::WriteFile { path, content }) => {
            // An empty SEARCH creates the file (Aider's own rule).
            vec![Move::Say(search_replace(path, "", content))]
        }
        (Dialect::AiderDiff, Step::EditFile { path, old, new }) => {
            vec![Move::Say(search_replace(path, old, new))]
        }
        (Dialect::AiderWhole, Step::WriteFile { path, content }) => {
            vec![Move::Say(format!(
                "{path}\n```\n{}```",
                with_newline(content)
            ))]
        }
        (Dialect::AiderWhole, Step::EditFile { .. }) => {
            return Err(
                "edit_file needs Aider's SEARCH/REPLACE format: run aider with --edit-format diff"
                    .into(),
            );
        }
        (Dialect::AiderDiff | Dialect::AiderWhole, Step::Shell(cmd)) => {
            vec![Move::Say(format!("```bash\n{cmd}\n```"))]
        }

        (Dialect::Side, _) => vec![],
    })
}

fn with_newline(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    }
}

fn search_replace(path: &str, old: &str, new: &str) -> String {
    format!(
        "{path}\n```\n<<<<<<< SEARCH\n{}=======\n{}>>>>>>> REPLACE\n```",
        with_newline(old),
        with_newline(new)
    )
}

/// A Codex patch that makes `path` hold `after`: added when it does not
/// exist, else every old line replaced.
fn patch_for(path: &str, before: Option<&str>, after: &str) -> String {
    let mut patch = String::from("*** Begin Patch\n");
    match before {
        None => {
            patch.push_str(&format!("*** Add File: {path}\n"));
            for line in after.lines() {
                patch.push_str(&format!("+{line}\n"));
            }
        }
        Some(before) => {
            patch.push_str(&format!("*** Update File: {path}\n@@\n"));
            for line in before.lines() {
                patch.push_str(&format!("-{line}\n"));
            }
            for line in after.lines() {
                patch.push_str(&format!("+{line}\n"));
            }
        }
    }
    patch.push_str("*** End Patch\n");
    patch
}

fn codex_patch(turn: &Turn, patch: &str) -> Result<Move, String> {
    require(turn, &["apply_patch"])?;
    let freeform = turn.tool("apply_patch").is_some_and(|t| t.freeform);
    Ok(Move::Call(ToolCall {
        name: "apply_patch".into(),
        input: if freeform {
            CallInput::Freeform(patch.to_string())
        } else {
            CallInput::Json(json!({"input": patch}))
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codex_patches_add_or_replace_whole_files() {
        assert_eq!(
            patch_for("a.txt", None, "x\ny\n"),
            "*** Begin Patch\n*** Add File: a.txt\n+x\n+y\n*** End Patch\n"
        );
        assert_eq!(
            patch_for("a.txt", Some("x\n"), "z\n"),
            "*** Begin Patch\n*** Update File: a.txt\n@@\n-x\n+z\n*** End Patch\n"
        );
    }

    #[test]
    fn aider_blocks() {
        assert_eq!(
            search_replace("a.txt", "", "new"),
            "a.txt\n```\n<<<<<<< SEARCH\n=======\nnew\n>>>>>>> REPLACE\n```"
        );
    }
}
