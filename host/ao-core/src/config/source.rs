//! The config text and a way to point at the line of a field in it.
//!
//! serde_yaml locates syntax and type errors itself; for errors found after
//! parsing (an unknown notifier name, a bad priority) [`Source::line_of`]
//! walks the text by indentation to find the key path.

use super::ConfigError;
use std::path::{Path, PathBuf};

/// A config file's text and path.
#[derive(Debug, Clone)]
pub struct Source {
    pub text: String,
    pub file: Option<PathBuf>,
}

impl Source {
    pub fn new(text: &str, file: Option<&Path>) -> Source {
        Source {
            text: text.to_string(),
            file: file.map(Path::to_path_buf),
        }
    }

    /// 1-based line of the deepest key of `path` found (block-style YAML).
    pub fn line_of(&self, path: &[&str]) -> Option<usize> {
        let mut best = None;
        let mut depth = 0;
        let mut min_indent = 0usize;
        for (index, line) in self.text.lines().enumerate() {
            if depth == path.len() {
                break;
            }
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = line.len() - trimmed.len();
            if depth > 0 && indent < min_indent {
                // Left the parent's block without finding the child.
                break;
            }
            let key = trimmed.trim_start_matches("- ");
            let key = key
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches(['"', '\'']);
            if key == path[depth] && trimmed.contains(':') {
                best = Some(index + 1);
                depth += 1;
                min_indent = indent + 1;
            }
        }
        best
    }

    /// An error at a key path.
    pub fn error_at(
        &self,
        path: &[&str],
        message: impl Into<String>,
        hint: Option<String>,
    ) -> ConfigError {
        ConfigError {
            file: self.file.clone(),
            line: self.line_of(path),
            field: path.join("."),
            message: message.into(),
            hint,
        }
    }
}
