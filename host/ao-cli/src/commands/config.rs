//! `ao config schema | check`.

use crate::cli::ConfigCommand;
use crate::context::Context;
use crate::error::Result;
use anstream::println;
use std::path::PathBuf;

pub fn run(config: Option<PathBuf>, cmd: ConfigCommand) -> Result<()> {
    match cmd {
        ConfigCommand::Schema => {
            // No config needed: the schema is what a config may contain.
            let schema = ao_core::config::json_schema();
            println!(
                "{}",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            );
            Ok(())
        }
        ConfigCommand::Check => {
            // Loading validates; an invalid file fails here with file:line.
            let ctx = Context::new(config)?;
            match ctx.config.source.as_ref().and_then(|s| s.file.clone()) {
                Some(file) => println!(
                    "{}: valid ({} project(s), {} notifier(s))",
                    file.display(),
                    ctx.config.projects.len(),
                    ctx.config.notifiers.len()
                ),
                None => println!("no agent-orchestrator.yaml found; using the built-in defaults"),
            }
            Ok(())
        }
    }
}
