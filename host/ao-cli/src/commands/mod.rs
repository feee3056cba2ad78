//! One module per command group; each validates its input into a plan
//! before it acts.

mod completions;
mod notify;
mod plugin;

use crate::cli::{Cli, Command};
use crate::error::Result;

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Completions { shell } => completions::run(shell),
        Command::Plugin(cmd) => plugin::run(cli.config, cmd),
        Command::Notify(cmd) => notify::run(cli.config, cmd),
    }
}
