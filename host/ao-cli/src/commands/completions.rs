//! `ao completions SHELL`.

use crate::cli::Cli;
use crate::error::Result;
use clap::CommandFactory;

pub fn run(shell: clap_complete::Shell) -> Result<()> {
    clap_complete::generate(shell, &mut Cli::command(), "ao", &mut std::io::stdout());
    Ok(())
}
