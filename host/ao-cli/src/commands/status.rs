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
    let sessions = manager
        .list(args.project.as_deref(), args.all)
        .map_err(session_error)?;
    let observed = manager.observe(&sessions, &AgeLimits::default());
    let queued = manager
        .store
        .queued_spawns()
        .map_err(|e| session_error(e.into()))?;
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
                v
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "sessions": items, "queued": queued })
            )
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
                vec![
                    s.id.clone(),
                    s.status.clone(),
                    format!("{} ({})", o.activity_name(), o.source_name()),
                    s.branch.clone().unwrap_or_default(),
                    s.pr_url.clone().unwrap_or_default(),
                ]
            })
            .collect();
        print!(
            "{}",
            ui::table(&["SESSION", "STATUS", "ACTIVITY", "BRANCH", "PR"], &rows)
        );
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
            println!("  {}. {} ({})", q.seq, what, q.project_id);
        }
    }
    Ok(())
}
