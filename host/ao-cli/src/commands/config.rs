//! `ao config check`.

use crate::cli::ConfigCommand;
use crate::context::Context;
use crate::error::Result;
use anstream::println;
use std::path::PathBuf;

pub fn run(config: Option<PathBuf>, cmd: ConfigCommand) -> Result<()> {
    match cmd {
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
