//! `ao notify test [NOTIFIER]`: a test event through the configured notifiers.

use crate::cli::{NotifyCommand, NotifyTest, Priority};
use crate::context::Context;
use crate::error::{CommandError, Result};
use crate::ui;
use anstream::println;
use ao_core::config::NotifierConfig;
use ao_plugin_host::bindings::v0_1::{Event, Priority as WitPriority};
use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub fn run(config: Option<PathBuf>, cmd: NotifyCommand) -> Result<()> {
    let ctx = Context::new(config)?;
    match cmd {
        NotifyCommand::Test(args) => test(&ctx, &args),
    }
}

const EXAMPLE: &str = "add one to agent-orchestrator.yaml, for example:\n  notifiers:\n    desktop: {}\n    team:\n      plugin: slack\n      webhookUrl: https://hooks.slack.com/services/…";

fn test(ctx: &Context, args: &NotifyTest) -> Result<()> {
    let config = &ctx.config;
    // Validate the whole request before sending anything.
    let selected: Vec<&NotifierConfig> = match &args.notifier {
        Some(name) => vec![config.notifiers.get(name).ok_or_else(|| {
            let known: Vec<&str> = config.notifiers.keys().map(String::as_str).collect();
            CommandError::user(format!("no notifier named `{name}`")).hint(if known.is_empty() {
                EXAMPLE.to_string()
            } else {
                format!("configured notifiers: {}", known.join(", "))
            })
        })?],
        None => config.notifiers.values().collect(),
    };
    if selected.is_empty() {
        return Err(CommandError::user("no notifiers are configured").hint(EXAMPLE));
    }
    let catalog = ctx.catalog();
    let mut plan = Vec::new();
    for notifier in &selected {
        let Some(plugin) = catalog.get(&notifier.plugin) else {
            let known: Vec<&str> = catalog
                .plugins
                .iter()
                .map(|d| d.plugin.manifest().name.as_str())
                .collect();
            let error = config.error_at(
                &["notifiers", &notifier.name, "plugin"],
                format!("no plugin named `{}`", notifier.plugin),
                None,
            );
            return Err(
                CommandError::from(error).hint(format!("installed plugins: {}", known.join(", ")))
            );
        };
        if !plugin
            .plugin
            .manifest()
            .roles
            .iter()
            .any(|r| r == "notifier")
        {
            let error = config.error_at(
                &["notifiers", &notifier.name, "plugin"],
                format!("plugin `{}` is not a notifier", notifier.plugin),
                None,
            );
            return Err(error.into());
        }
        plan.push((notifier, plugin));
    }

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let (priority, label) = match args.priority {
        Priority::Urgent => (WitPriority::Urgent, "urgent"),
        Priority::Action => (WitPriority::Action, "action"),
        Priority::Warning => (WitPriority::Warning, "warning"),
        Priority::Info => (WitPriority::Info, "info"),
    };
    let event = Event {
        id: format!("test-{now}"),
        kind: "notify.test".into(),
        priority,
        session_id: "test".into(),
        project_id: "ao".into(),
        timestamp: now,
        message: args.message.clone(),
        pr_url: None,
        session_url: None,
        data: format!(r#"{{"test":true,"priority":"{label}"}}"#),
    };
    let s = ui::styles();
    let mut failed = 0;
    for (notifier, plugin) in plan {
        let label = format!("{} ({})", notifier.name, notifier.plugin);
        let mut instance = plugin.plugin.instantiate(ctx.instance_settings(
            plugin,
            &label,
            notifier.settings.clone(),
        ));
        let started = Instant::now();
        match instance.notify(&event) {
            Ok(()) => println!(
                "{}✓{} {label}: delivered in {} ms",
                s.ok.render(),
                s.ok.render_reset(),
                started.elapsed().as_millis()
            ),
            Err(e) => {
                failed += 1;
                println!("{}✗{} {label}: {e}", s.bad.render(), s.bad.render_reset());
            }
        }
    }
    if failed > 0 {
        return Err(CommandError::external(format!(
            "{failed} of {} notifiers failed",
            selected.len()
        )));
    }
    Ok(())
}
