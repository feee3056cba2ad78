//! One module per command group; each validates its input into a plan
//! before it acts.

mod completions;
mod daemon;
mod doctor;
mod init;
mod notify;
mod plugin;
mod session;

use crate::cli::{Cli, Command};
use crate::error::Result;

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Completions { shell } => completions::run(shell),
        Command::Plugin(cmd) => plugin::run(cli.config, cmd),
        Command::Notify(cmd) => notify::run(cli.config, cmd),
        Command::Start { port, interval } => daemon::start(cli.config, port, interval),
        Command::Stop => daemon::stop(cli.config),
        Command::Doctor { json } => doctor::run(cli.config, json),
        Command::Init { force } => init::run(force),
        Command::Spawn(args) => session::spawn(cli.config, args),
        Command::Send {
            session,
            message,
            file,
        } => session::send(cli.config, &session, message, file),
        Command::Session(cmd) => session::run(cli.config, cmd),
        Command::Status { json, all } => session::status(cli.config, json, all),
        Command::Report {
            state,
            session,
            note,
            from_hook,
        } => match session::report(cli.config, &session, &state, note) {
            Err(_) if from_hook => Ok(()),
            other => other,
        },
    }
}
