//! `ao review`, `ao merge` and `ao issue`: the person's side of the PR loop
//! with the local SCM and tracker.

use super::session::{manager, session_error};
use super::spawn::pick_project;
use crate::cli::{IssueCommand, ReviewArgs, Verdict};
use crate::error::{CommandError, Result};
use crate::ui;
use anstream::{print, println};
use ao_lifecycle::{PrLoop, local_scm, local_tracker};
use std::path::PathBuf;

pub fn review(config: Option<PathBuf>, args: ReviewArgs) -> Result<()> {
    let mut manager = manager(config)?;
    let session = manager
        .store
        .session(&args.session)
        .map_err(|e| session_error(e.into()))?;
    let project = manager
        .config
        .projects
        .get(&session.project_id)
        .cloned()
        .ok_or_else(|| CommandError::user(format!("no project `{}`", session.project_id)))?;
    if !project.scm.is_local() {
        return Err(CommandError::user(format!(
            "{}'s project uses the `{}` SCM; review the PR there ({})",
            session.id,
            project.scm.plugin,
            session.pr_url.as_deref().unwrap_or("no PR yet")
        )));
    }
    let Some(pr) = session.pr_number else {
        return Err(CommandError::user(format!("{} has no pull request yet", session.id))
            .hint("a PR appears once the agent pushes its branch and the daemon (or `ao status`) sees it"));
    };
    let (verdict, body) = match (args.verdict, args.message) {
        (Verdict::RequestChanges, None) => {
            return Err(CommandError::user("say what to change with -m TEXT"));
        }
        (Verdict::Approve, m) => ("approve", m.unwrap_or_default()),
        (Verdict::RequestChanges, Some(m)) => ("request-changes", m),
        (Verdict::Comment, Some(m)) => ("comment", m),
        (Verdict::Comment, None) => return Err(CommandError::user("a comment needs -m TEXT")),
    };
    let author = args
        .author
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "reviewer".into());
    manager
        .store
        .add_review(&project.id, pr, verdict, &body, &author)
        .map_err(|e| session_error(e.into()))?;
    println!(
        "{verdict} on PR #{pr} ({}) recorded; the daemon passes it on",
        session.id
    );
    Ok(())
}

pub fn merge(config: Option<PathBuf>, id: &str) -> Result<()> {
    let mut manager = manager(config)?;
    let session = manager
        .store
        .session(id)
        .map_err(|e| session_error(e.into()))?;
    let project = manager
        .config
        .projects
        .get(&session.project_id)
        .cloned()
        .ok_or_else(|| CommandError::user(format!("no project `{}`", session.project_id)))?;
    let Some(number) = session.pr_number else {
        return Err(CommandError::user(format!("{id} has no pull request yet")));
    };
    let facts = if project.scm.is_local() {
        let pr = manager
            .store
            .local_pr(&project.id, number)
            .map_err(|e| session_error(e.into()))?
            .ok_or_else(|| CommandError::user(format!("no local PR #{number}")))?;
        let logs = manager.paths.data.join("logs");
        let heads = local_scm::remote_heads(&project).map_err(CommandError::external)?;
        let mut memo = local_scm::ConflictMemo::default();
        local_scm::facts(
            &mut manager.store,
            &project,
            &pr,
            &heads,
            &mut memo,
            None,
            &logs,
        )
        .map_err(CommandError::external)?
    } else {
        return Err(CommandError::user(format!(
            "merge {id}'s PR on {} ({}), or set `reactions: {{ approved-and-green: {{ action: auto-merge }} }}`",
            project.scm.plugin,
            session.pr_url.as_deref().unwrap_or("?")
        )));
    };
    if facts.state != ao_lifecycle::facts::PrState::Open {
        return Err(CommandError::user(format!(
            "PR #{number} is {}",
            facts.state.as_str()
        )));
    }
    PrLoop::new()
        .merge(&mut manager, &session, &project, &facts)
        .map_err(|e| CommandError::external(format!("cannot merge PR #{number}: {e}")))?;
    println!(
        "merged PR #{number} ({}) into {}; the daemon cleans up the session",
        session.branch.as_deref().unwrap_or("?"),
        project.default_branch
    );
    Ok(())
}

pub fn issue(config: Option<PathBuf>, cmd: IssueCommand) -> Result<()> {
    let ctx = crate::context::Context::new(config)?;
    match cmd {
        IssueCommand::Ls { project, json } => {
            let id = pick_project(&ctx.config, project)?;
            let project = &ctx.config.projects[&id];
            let issues = local_tracker::list(&project.path).map_err(CommandError::user)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "issues": issues })).unwrap()
                );
                return Ok(());
            }
            if issues.is_empty() {
                println!(
                    "no issues in {}",
                    local_tracker::issues_dir(&project.path).display()
                );
                return Ok(());
            }
            let rows: Vec<Vec<String>> = issues
                .iter()
                .map(|i| {
                    vec![
                        i.id.clone(),
                        i.state.clone(),
                        i.labels.join(","),
                        i.title.clone(),
                    ]
                })
                .collect();
            print!("{}", ui::table(&["ID", "STATE", "LABELS", "TITLE"], &rows));
            Ok(())
        }
        IssueCommand::Show { id, project } => {
            let pid = pick_project(&ctx.config, project)?;
            let issue = local_tracker::get(&ctx.config.projects[&pid].path, &id)
                .map_err(CommandError::user)?;
            println!("{}", local_tracker::prompt(&issue));
            Ok(())
        }
    }
}
