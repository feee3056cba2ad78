//! `attach <socket>`: a person's terminal on a session.
//!
//! Puts the local terminal in raw mode and relays it to the session (every
//! key goes to the program, Ctrl-C included) until Ctrl-] detaches, like
//! telnet. The window size follows the local terminal's (polled, so no
//! signal handler is needed). The session keeps running after a detach.

use super::client::{Attachment, Client};
use rustix::termios::{OptionalActions, Termios};
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Ctrl-]: detaches.
pub const DETACH_KEY: u8 = 0x1d;

/// Undoes terminal modes a program may have left on: attributes, cursor
/// visibility, application keys, bracketed paste, mouse reporting, the
/// alternate screen.
const RESET_MODES: &[u8] =
    b"\x1b[0m\x1b[?25h\x1b[?1l\x1b>\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1049l";

enum End {
    Detached,
    Closed,
}

/// Attaches this process's terminal to the session at `socket`.
pub fn run(socket: &Path) -> ExitCode {
    let name = socket
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let size = window_size();
    let attached = Client::connect(socket, Duration::from_secs(5)).and_then(|c| c.attach(size));
    let Attachment {
        mut output,
        mut input,
    } = match attached {
        Ok(attachment) => attachment,
        Err(e) => {
            eprintln!(
                "ao: cannot attach to session `{name}` ({}): {e}",
                socket.display()
            );
            return ExitCode::FAILURE;
        }
    };
    eprintln!("[ao] attached to `{name}`; press Ctrl-] to detach");
    let raw = RawMode::enter();
    let (ended, end) = mpsc::channel();

    let screen_ended = ended.clone();
    thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match output.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let mut stdout = io::stdout();
                    if stdout
                        .write_all(&buf[..n])
                        .and_then(|()| stdout.flush())
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
        let _ = screen_ended.send(End::Closed);
    });

    thread::spawn(move || {
        let mut stdin = io::stdin();
        let mut buf = [0u8; 4096];
        loop {
            let n = match stdin.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let keys = &buf[..n];
            if let Some(at) = keys.iter().position(|&b| b == DETACH_KEY) {
                let _ = input.write_all(&keys[..at]);
                break;
            }
            if input.write_all(keys).is_err() {
                let _ = ended.send(End::Closed);
                return;
            }
        }
        let _ = ended.send(End::Detached);
    });

    if let Some(mut last) = size {
        let socket = socket.to_path_buf();
        thread::spawn(move || {
            loop {
                thread::sleep(Duration::from_millis(250));
                if let Some(now) = window_size()
                    && now != last
                    && let Ok(mut client) = Client::connect(&socket, Duration::from_secs(2))
                    && client.resize(now.0, now.1).is_ok()
                {
                    last = now;
                }
            }
        });
    }

    let how = end.recv().unwrap_or(End::Closed);
    if let Some(raw) = raw {
        drop(raw);
        let mut stdout = io::stdout();
        let _ = stdout.write_all(RESET_MODES).and_then(|()| stdout.flush());
    }
    match how {
        End::Detached => eprintln!("\r\n[ao] detached from `{name}`; it keeps running"),
        End::Closed => eprintln!("\r\n[ao] session `{name}` ended"),
    }
    ExitCode::SUCCESS
}

/// The local terminal's (cols, rows), if stdout is a terminal.
fn window_size() -> Option<(u16, u16)> {
    let size = rustix::termios::tcgetwinsize(io::stdout()).ok()?;
    (size.ws_col > 0 && size.ws_row > 0).then_some((size.ws_col, size.ws_row))
}

/// The local terminal in raw mode, restored on drop.
struct RawMode {
    saved: Termios,
}

impl RawMode {
    /// `None` when stdin is not a terminal (then there is nothing to set).
    fn enter() -> Option<RawMode> {
        let stdin = io::stdin();
        let saved = rustix::termios::tcgetattr(&stdin).ok()?;
        let mut raw = saved.clone();
        raw.make_raw();
        rustix::termios::tcsetattr(&stdin, OptionalActions::Now, &raw).ok()?;
        Some(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = rustix::termios::tcsetattr(io::stdin(), OptionalActions::Now, &self.saved);
    }
}
