//! `ao send`.

use super::session::{manager, session_error};
use crate::cli::SendArgs;
use crate::error::{CommandError, Result};
use anstream::println;
use std::time::Duration;

pub fn run(config: Option<std::path::PathBuf>, args: SendArgs) -> Result<()> {
    let message = match &args.file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| CommandError::user(format!("{}: {e}", path.display())))?,
        None => args.message.join(" "),
    };
    if message.trim().is_empty() {
        return Err(CommandError::user("the message is empty")
            .hint("give it as words after the session id, or with -f FILE"));
    }
    let mut manager = manager(config)?;
    manager.busy_timeout = Duration::from_secs(args.timeout);
    let sent = manager
        .send(&args.session, &message, !args.no_wait)
        .map_err(session_error)?;
    if sent.restored {
        println!(
            "restored {} first ({})",
            args.session,
            sent.session.reason.as_deref().unwrap_or("")
        );
    }
    if sent.waited >= Duration::from_secs(1) {
        println!(
            "waited {} s for {} to finish its turn",
            sent.waited.as_secs(),
            args.session
        );
    }
    println!(
        "sent {} characters to {}",
        message.chars().count(),
        args.session
    );
    Ok(())
}
