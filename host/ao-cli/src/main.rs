//! The `ao` command line.

mod cli;
mod commands;
mod context;
mod error;
mod logfile;
mod ui;

use clap::Parser;
use std::process::ExitCode;

/// `ao runtime-supervisor …`: see [`ao_runtime::process`].
pub const SUPERVISOR_COMMAND: &str = "runtime-supervisor";

fn main() -> ExitCode {
    // The process runtime's per-session supervisor is this same binary. It
    // is internal (not in --help) and takes its arguments raw, so it is
    // dispatched before clap, and before anything is printed.
    if std::env::args().nth(1).as_deref() == Some(SUPERVISOR_COMMAND) {
        return ao_runtime::process::supervisor::main(std::env::args().skip(2));
    }
    let cli = cli::Cli::parse();
    init_logging(cli.verbose);
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            err.print();
            ExitCode::from(err.exit_code())
        }
    }
}

/// Logs go to stderr. `-v` raises the level of ao's own logs only:
/// dependencies (the HTTP client, wasmtime) stay at `warn`, since their debug
/// output would print full URLs and request bytes. `AO_LOG` overrides all.
fn init_logging(verbose: u8) {
    // "ao" matches every ao target: ao_cli, ao_core, ao_plugin_host, ao::plugin.
    let default = match verbose {
        0 => "warn",
        1 => "warn,ao=info",
        2 => "warn,ao=debug",
        _ => "warn,ao=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("AO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    if let Some(log) = logfile::DaemonLog::from_env() {
        // A detached daemon: timestamps, and a log that is rotated.
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(log)
            .with_ansi(false)
            .with_target(false)
            .init();
        return;
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never)
        .without_time()
        .with_target(false)
        .init();
}
