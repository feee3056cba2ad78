//! `ao spawn` and `ao batch-spawn`: arguments are validated into requests
//! before anything is made.

use super::session::{manager, session_error};
use crate::cli::{BatchSpawnArgs, SpawnArgs};
use crate::error::{CommandError, Result};
use crate::ui;
use anstream::{eprintln, println};
use ao_core::Config;
use ao_sessions::{SessionError, SpawnRequest, Submitted};
use std::path::PathBuf;

/// The project: as named, else the one whose checkout holds the current
/// directory, else the only one configured.
pub fn pick_project(config: &Config, named: Option<String>) -> Result<String> {
    if let Some(p) = named {
        return Ok(p);
    }
    if let Ok(cwd) = std::env::current_dir().and_then(|d| d.canonicalize()) {
        let inside: Vec<&String> = config
            .projects
            .values()
            .filter(|p| {
                p.path
                    .canonicalize()
                    .is_ok_and(|root| cwd.starts_with(root))
            })
            .map(|p| &p.id)
            .collect();
        if let [only] = inside.as_slice() {
            return Ok((*only).clone());
        }
    }
    let ids: Vec<&String> = config.projects.keys().collect();
    match ids.as_slice() {
        [only] => Ok((*only).clone()),
        [] => Err(CommandError::user("no projects are configured")
            .hint("run `ao init` in your repository, or add one under `projects:` in agent-orchestrator.yaml")),
        many => {
            let list: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
            Err(
                CommandError::user("several projects are configured; choose one with --project")
                    .hint(format!("projects: {}", list.join(", "))),
            )
        }
    }
}

/// The issue's text from the project's tracker, then the user's words.
fn with_issue_text(
    manager: &ao_sessions::SessionManager,
    project: &str,
    issue: Option<&str>,
    prompt: String,
) -> Result<String> {
    let Some(issue) = issue else {
        return Ok(prompt);
    };
    let config = manager
        .config
        .projects
        .get(project)
        .cloned()
        .ok_or_else(|| CommandError::user(format!("no project `{project}` in the config")))?;
    let text = ao_lifecycle::tracker::task_for_issue(manager, &config, issue).map_err(|e| {
        let hint = if config.tracker.is_local() {
            "issues live in .ao/issues/<id>.md (see `ao issue ls`); or give the task with --prompt"
                .to_string()
        } else {
            format!(
                "check the issue id and the `{}` tracker settings of project `{project}`; `ao doctor` tests its credentials",
                config.tracker.plugin
            )
        };
        CommandError::user(e).hint(hint)
    })?;
    Ok(match (text, prompt.trim().is_empty()) {
        (Some(t), true) => t,
        (Some(t), false) => format!("{t}\n\n{prompt}"),
        (None, _) => prompt,
    })
}

fn print_submitted(submitted: &Submitted) {
    let s = ui::styles();
    match submitted {
        Submitted::Started(session) => {
            println!(
                "{}spawned{} {} on {}",
                s.ok.render(),
                s.ok.render_reset(),
                session.id,
                session.branch.as_deref().unwrap_or("?")
            );
            println!(
                "  workspace: {}",
                session.workspace_path.as_deref().unwrap_or("?")
            );
            println!("  attach:    ao session attach {}", session.id);
        }
        Submitted::Queued { entry, position } => {
            println!(
                "{}queued{} (position {position}, entry {}): maxConcurrentSessions is reached; it starts when a session ends",
                s.hint.render(),
                s.hint.render_reset(),
                entry.seq
            );
        }
    }
}

pub fn spawn(config: Option<PathBuf>, args: SpawnArgs) -> Result<()> {
    let mut manager = manager(config)?;
    let issue = args.task.or(args.issue);
    let prompt = args.prompt.unwrap_or_default();
    if issue.is_none() && prompt.trim().is_empty() {
        return Err(
            CommandError::user("nothing to do: give an ISSUE or --prompt TEXT")
                .hint("e.g. `ao spawn 42` or `ao spawn --prompt \"fix the flaky login test\"`"),
        );
    }
    let project = pick_project(&manager.config, args.project)?;
    let prompt = with_issue_text(&manager, &project, issue.as_deref(), prompt)?;
    let request = SpawnRequest {
        project,
        prompt,
        issue,
        agent: args.agent,
    };
    let submitted = manager.submit(&request).map_err(session_error)?;
    print_submitted(&submitted);
    Ok(())
}

pub fn batch_spawn(config: Option<PathBuf>, args: BatchSpawnArgs) -> Result<()> {
    let mut manager = manager(config)?;
    let project = pick_project(&manager.config, args.project)?;
    let mut seen = std::collections::BTreeSet::new();
    let mut report = Vec::new();
    let mut failures = 0;
    for issue in args.issues {
        if !seen.insert(issue.clone()) {
            let entry = serde_json::json!({ "issue": issue, "outcome": "skipped", "reason": "listed twice" });
            if !args.json {
                print_line(&entry);
            }
            report.push(entry);
            continue;
        }
        let prompt = match with_issue_text(
            &manager,
            &project,
            Some(&issue),
            args.prompt.clone().unwrap_or_default(),
        ) {
            Ok(p) => p,
            Err(e) => {
                failures += 1;
                let entry =
                    serde_json::json!({ "issue": issue, "outcome": "failed", "reason": e.message });
                if !args.json {
                    print_line(&entry);
                }
                report.push(entry);
                continue;
            }
        };
        let request = SpawnRequest {
            project: project.clone(),
            prompt,
            issue: Some(issue.clone()),
            agent: args.agent.clone(),
        };
        let entry = match manager.submit(&request) {
            Ok(Submitted::Started(s)) => {
                serde_json::json!({ "issue": issue, "outcome": "started", "session": s.id, "branch": s.branch })
            }
            Ok(Submitted::Queued { entry, position }) => {
                serde_json::json!({ "issue": issue, "outcome": "queued", "queueEntry": entry.seq, "position": position })
            }
            Err(SessionError::Duplicate { existing, .. }) => {
                serde_json::json!({ "issue": issue, "outcome": "skipped", "reason": format!("already {existing}") })
            }
            Err(e) => {
                failures += 1;
                serde_json::json!({ "issue": issue, "outcome": "failed", "reason": e.to_string() })
            }
        };
        if !args.json {
            print_line(&entry);
        }
        report.push(entry);
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "results": report })).unwrap()
        );
    }
    if failures > 0 {
        return Err(CommandError::external(format!(
            "{failures} of the issues could not be spawned (see above)"
        )));
    }
    Ok(())
}

fn print_line(entry: &serde_json::Value) {
    let issue = entry["issue"].as_str().unwrap_or("?");
    match entry["outcome"].as_str() {
        Some("started") => println!(
            "issue {issue}: started {} on {}",
            entry["session"].as_str().unwrap_or("?"),
            entry["branch"].as_str().unwrap_or("?")
        ),
        Some("queued") => println!("issue {issue}: queued (position {})", entry["position"]),
        Some("skipped") => println!(
            "issue {issue}: skipped ({})",
            entry["reason"].as_str().unwrap_or("")
        ),
        _ => eprintln!(
            "issue {issue}: failed: {}",
            entry["reason"].as_str().unwrap_or("")
        ),
    }
}
