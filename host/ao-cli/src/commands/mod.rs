//! One module per command group; each validates its input into a plan
//! before it acts.

mod completions;
mod config;
mod daemon;
mod doctor;
mod init;
mod notify;
mod plugin;
mod plugin_dev;
mod pr;
mod send;
mod session;
mod spawn;
mod status;
mod trust;

use crate::cli::{Cli, Command};
use crate::error::Result;

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Completions { shell } => completions::run(shell),
        Command::Plugin(cmd) => plugin::run(cli.config, cmd),
        Command::Notify(cmd) => notify::run(cli.config, cmd),
        Command::Start {
            port,
            interval,
            detach,
            bind,
            token,
        } => daemon::start(
            cli.config,
            daemon::Options {
                port,
                interval,
                detach,
                bind,
                token,
            },
        ),
        Command::Stop => daemon::stop(cli.config),
        Command::Doctor { json, repair, from } => match repair {
            true => doctor::repair(cli.config, from),
            false => doctor::run(cli.config, json),
        },
        Command::Trust { path, revoke, list } => trust::run(cli.config, path, revoke, list),
        Command::Init { force } => init::run(force),
        Command::Spawn(args) => spawn::spawn(cli.config, args),
        Command::BatchSpawn(args) => spawn::batch_spawn(cli.config, args),
        Command::Send(args) => send::run(cli.config, args),
        Command::Session(cmd) => session::run(cli.config, cmd),
        Command::Status(args) => status::run(cli.config, args),
        Command::Config(cmd) => config::run(cli.config, cmd),
        Command::Review(args) => pr::review(cli.config, args),
        Command::Merge { session } => pr::merge(cli.config, &session),
        Command::Issue(cmd) => pr::issue(cli.config, cmd),
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
