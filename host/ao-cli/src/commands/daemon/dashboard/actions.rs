//! What the page can do to sessions. Each action runs the `ao` command a
//! person would type (this same binary, with the daemon's config and
//! environment), so the page and the CLI share one code path, its checks
//! (busy agents, unpushed work, mergeability) and its error hints. The
//! lifecycle loop sees the change through `data_version` and the board
//! follows within a fraction of a second.

use super::{ApiError, ApiResult, Dashboard, check_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::process::Command;

/// Longest message or prompt accepted (a page-sized task).
const MAX_TEXT: usize = 16 * 1024;

/// How long a message waits for a busy agent before the page is told so.
const SEND_WAIT_SECS: &str = "30";

#[derive(Debug, Default, serde::Deserialize)]
pub struct ActionBody {
    #[serde(default)]
    message: Option<String>,
}

/// `POST /api/sessions/{id}/{send|kill|restore|reopen|merge|fix-ci}`.
pub async fn session_action(
    State(d): State<Dashboard>,
    Path((id, action)): Path<(String, String)>,
    body: Option<Json<ActionBody>>,
) -> ApiResult<Json<Value>> {
    check_id(&id)?;
    let body = body.map(|Json(b)| b).unwrap_or_default();
    let args: Vec<String> = match action.as_str() {
        "send" => {
            let message = clean(body.message.as_deref().unwrap_or(""))?;
            if message.trim().is_empty() {
                return Err(bad("the message is empty"));
            }
            vec![
                "send".into(),
                "--timeout".into(),
                SEND_WAIT_SECS.into(),
                id,
                "--".into(),
                message,
            ]
        }
        "kill" => vec!["session".into(), "kill".into(), id],
        "restore" => vec!["session".into(), "restore".into(), id],
        "reopen" => vec!["session".into(), "restore".into(), "--reopen".into(), id],
        "merge" => vec!["merge".into(), id],
        "fix-ci" => vec![
            "send".into(),
            "--timeout".into(),
            SEND_WAIT_SECS.into(),
            id.clone(),
            "--".into(),
            format!(
                "The CI checks on your pull request are failing. Read the failing checks' log \
                 (ao keeps it; the dashboard shows it at /api/sessions/{id}/ci-log), fix the cause, \
                 run the checks locally, and push."
            ),
        ],
        other => {
            return Err(ApiError(
                StatusCode::NOT_FOUND,
                format!("no action `{other}`: use send, kill, restore, reopen, merge or fix-ci"),
            ));
        }
    };
    run_ao(&d, args).await
}

#[derive(Debug, serde::Deserialize)]
pub struct SpawnBody {
    #[serde(default)]
    project: Option<String>,
    #[serde(default)]
    issue: Option<String>,
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    agent: Option<String>,
}

/// `POST /api/spawn` `{project?, issue?, prompt?, agent?}`.
pub async fn spawn(State(d): State<Dashboard>, Json(b): Json<SpawnBody>) -> ApiResult<Json<Value>> {
    let mut args = vec!["spawn".to_string()];
    let given = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    if let Some(project) = given(b.project) {
        check_name(&project, "project")?;
        args.extend(["--project".into(), project]);
    }
    if let Some(agent) = given(b.agent) {
        check_name(&agent, "agent")?;
        args.extend(["--agent".into(), agent]);
    }
    let prompt = given(b.prompt).map(|p| clean(&p)).transpose()?;
    match (given(b.issue), prompt) {
        (Some(issue), prompt) => {
            check_name(&issue, "issue")?;
            if let Some(p) = prompt {
                args.extend(["--prompt".into(), p]);
            }
            args.extend(["--".into(), issue]);
        }
        (None, Some(p)) => args.extend(["--prompt".into(), p]),
        (None, None) => return Err(bad("give an issue or a prompt")),
    }
    run_ao(&d, args).await
}

fn bad(message: &str) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, message.into())
}

/// Names that go on a command line: no leading dash, no spaces.
fn check_name(v: &str, what: &str) -> ApiResult<()> {
    if v.len() <= 200
        && !v.starts_with('-')
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '#'))
    {
        Ok(())
    } else {
        Err(bad(&format!("`{v}` is not a valid {what} name")))
    }
}

/// Text typed into an agent: bounded, without control characters (which a
/// terminal would act on) other than newlines and tabs.
fn clean(text: &str) -> ApiResult<String> {
    if text.len() > MAX_TEXT {
        return Err(bad(&format!(
            "the text is {} bytes; the limit is {MAX_TEXT}",
            text.len()
        )));
    }
    Ok(text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect())
}

/// Runs `ao <args>` and answers with what it printed.
async fn run_ao(d: &Dashboard, args: Vec<String>) -> ApiResult<Json<Value>> {
    let config = d.site.config.clone();
    let output = tokio::task::spawn_blocking(move || {
        let mut command = Command::new(std::env::current_exe()?);
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        command
            .args(&args)
            .stdin(std::process::Stdio::null())
            // Plain text: no colour codes in what the page shows.
            .env("NO_COLOR", "1")
            .output()
    })
    .await
    .map_err(super::board::internal)?
    .map_err(|e| super::board::internal(format!("cannot run ao: {e}")))?;
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    if output.status.success() {
        Ok(Json(
            json!({ "ok": true, "output": stdout, "notes": stderr }),
        ))
    } else {
        let message = if stderr.is_empty() { stdout } else { stderr };
        let status = match output.status.code() {
            Some(1) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::BAD_GATEWAY,
        };
        Err(ApiError(
            status,
            message.trim_start_matches("error: ").to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cleaned_and_bounded() {
        assert_eq!(clean("a\x1b[2Jb\nc\td").ok().unwrap(), "a[2Jb\nc\td");
        assert!(clean(&"x".repeat(MAX_TEXT + 1)).is_err());
        assert!(check_name("--force", "issue").is_err());
        assert!(check_name("a b", "issue").is_err());
        assert!(check_name("42", "issue").is_ok());
    }
}
