//! `ao status`: every session with its live activity, from one liveness
//! query and one screen capture per runtime, whatever the number of sessions.

use super::daemon::dashboard::board::zone;
use super::session::{manager, session_error};
use crate::cli::StatusArgs;
use crate::error::Result;
use crate::ui;
use anstream::{print, println};
use ao_sessions::SessionManager;
use ao_sessions::reconcile::AgeLimits;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

pub fn run(config: Option<PathBuf>, args: StatusArgs) -> Result<()> {
    let mut manager = manager(config)?;
    if !args.watch {
        return print_once(&mut manager, &args);
    }
    let clear = std::io::stdout().is_terminal();
    loop {
        if clear {
            // Home the cursor and clear, so the table redraws in place.
            print!("\x1b[H\x1b[2J");
        }
        println!("every {} s; Ctrl-C to stop\n", args.interval.max(1));
        print_once(&mut manager, &args)?;
        std::thread::sleep(Duration::from_secs(args.interval.max(1)));
    }
}

fn print_once(manager: &mut SessionManager, args: &StatusArgs) -> Result<()> {
    // What ao records is checked against what is there before it is shown.
    manager.check_reality();
    let (sessions, other_sessions): (Vec<_>, Vec<_>) = manager
        .list(args.project.as_deref(), args.all)
        .map_err(session_error)?
        .into_iter()
        .partition(|(s, _)| manager.owns(s));
    let (queued, other_queued): (Vec<_>, Vec<_>) = manager
        .store
        .queued_spawns()
        .map_err(|e| session_error(e.into()))?
        .into_iter()
        .partition(|q| manager.owns_project(&q.project_id, q.config_path.as_deref()));
    // Another repository's sessions and tasks are kept, and shown when asked.
    let (sessions, queued, others) = if args.all_projects {
        let mut sessions = sessions;
        sessions.extend(other_sessions);
        let mut queued = queued;
        queued.extend(other_queued);
        (sessions, queued, None)
    } else {
        let others = (other_sessions.len(), other_queued.len());
        (sessions, queued, Some(others).filter(|o| *o != (0, 0)))
    };
    let observed = manager.observe(&sessions, &AgeLimits::default());
    if args.json {
        let items: Vec<serde_json::Value> = sessions
            .iter()
            .zip(&observed)
            .map(|((s, alive), o)| {
                let mut v = serde_json::to_value(s).unwrap();
                v["alive"] = serde_json::json!(alive);
                v["activity"] = serde_json::json!(o.activity_name());
                v["activitySource"] = serde_json::json!(o.source_name());
                // The dashboard's attention zone, so both show the same shape.
                v["zone"] = serde_json::json!(zone(s.into(), Some(o.activity_name())));
                v["ownProject"] = serde_json::json!(manager.owns(s));
                v
            })
            .collect();
        let (other_sessions, other_queued) = others.unwrap_or_default();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "sessions": items,
                "queued": queued,
                "otherProjects": { "sessions": other_sessions, "queued": other_queued },
            }))
            .unwrap()
        );
        return Ok(());
    }
    if sessions.is_empty() {
        println!(
            "no sessions{}",
            if args.all {
                ""
            } else {
                " (--all shows ended ones)"
            }
        );
    } else {
        let rows: Vec<Vec<String>> = sessions
            .iter()
            .zip(&observed)
            .map(|((s, _), o)| {
                let mut row = vec![
                    s.id.clone(),
                    s.status.clone(),
                    format!("{} ({})", o.activity_name(), o.source_name()),
                    s.branch.clone().unwrap_or_default(),
                    s.pr_url.clone().unwrap_or_default(),
                    s.agent_info
                        .cost_usd
                        .map(|usd| format!("${usd:.2}"))
                        .unwrap_or_default(),
                    summary_cell(&s.agent_info),
                ];
                if args.all_projects {
                    row.insert(
                        1,
                        project_label(manager, &s.project_id, s.config_path.as_deref()),
                    );
                }
                row
            })
            .collect();
        let mut header = vec![
            "SESSION", "STATUS", "ACTIVITY", "BRANCH", "PR", "COST", "SUMMARY",
        ];
        if args.all_projects {
            header.insert(1, "PROJECT");
        }
        print!("{}", ui::table(&header, &rows));
        // What needs a person for a lost workspace is the fix itself.
        for (s, _) in sessions
            .iter()
            .filter(|(s, _)| s.status == "workspace_lost")
        {
            println!("  {}: {}", s.id, s.reason.as_deref().unwrap_or(""));
        }
    }
    if !queued.is_empty() {
        println!(
            "\n{} task(s) queued (maxConcurrentSessions {}):",
            queued.len(),
            manager
                .config
                .max_concurrent_sessions
                .map_or("none".to_string(), |m| m.to_string())
        );
        for q in &queued {
            let what = q
                .issue_id
                .as_ref()
                .map(|i| format!("issue {i}"))
                .unwrap_or_else(|| q.prompt.chars().take(60).collect());
            println!(
                "  {}. {} ({})",
                q.seq,
                what,
                project_label(manager, &q.project_id, q.config_path.as_deref())
            );
        }
    }
    if let Some((sessions, queued)) = others {
        println!(
            "\n{sessions} session(s) and {queued} queued task(s) belong to projects of another config; `ao status --all-projects` shows them"
        );
    }
    Ok(())
}

/// The agent's title or summary, short enough for a table row.
fn summary_cell(info: &ao_core::state::AgentInfo) -> String {
    let Some(summary) = info.summary.as_deref() else {
        return String::new();
    };
    let line = summary.lines().next().unwrap_or_default().trim();
    if line.chars().count() > 48 {
        format!("{}…", line.chars().take(47).collect::<String>())
    } else {
        line.to_string()
    }
}

/// A project's name, with the config it belongs to when that is not this one.
fn project_label(manager: &SessionManager, project: &str, config: Option<&str>) -> String {
    if manager.owns_project(project, config) {
        project.to_string()
    } else {
        format!("{project} ({})", config.unwrap_or("another config"))
    }
}
