//! What the runtime, its clients and a session's supervisor say to each other.
//!
//! On a session's unix socket every request is one JSON object on one line,
//! answered by one [`Reply`] line; a connection may carry many requests. The
//! exception is [`Request::Attach`]: after its `{"ok":true}` reply the
//! connection becomes a raw byte stream both ways (client bytes are typed
//! into the PTY; PTY output, starting with a redraw of the current screen,
//! flows to the client) until either side closes it.
//!
//! ```text
//! {"op":"status"}                      {"ok":true,"running":true,"exit_code":null,"pid":41,"supervisor_pid":40,"cols":200,"rows":50}
//! {"op":"capture","lines":50}          {"ok":true,"text":"$ ls\n..."}
//! {"op":"write","text":"hi\r"}         {"ok":true}
//! {"op":"paste","text":"a\nb"}         {"ok":true}
//! {"op":"resize","cols":120,"rows":40} {"ok":true}
//! {"op":"attach","cols":120,"rows":40} {"ok":true}   then raw bytes
//! {"op":"kill"}                        {"ok":true}   then the supervisor is gone
//! ```
//!
//! The supervisor gets its [`Launch`] as JSON on stdin (so the environment,
//! which may hold secrets, never shows in `ps`) and answers with one [`Reply`]
//! line on stdout once its socket accepts connections, or with the reason the
//! program could not be started.

use serde::{Deserialize, Serialize};
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

/// One request to a session's supervisor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Whether the program runs, its exit code and pids.
    Status,
    /// The last `lines` lines of the screen (scrollback included), plain text.
    Capture { lines: u32 },
    /// Bytes typed into the terminal as they are.
    Write { text: String },
    /// A paste: newlines become carriage returns, wrapped in bracketed-paste
    /// markers when the program has turned bracketed paste on.
    Paste { text: String },
    /// Sets the terminal size (the program gets SIGWINCH).
    Resize { cols: u16, rows: u16 },
    /// Switches the connection to a raw terminal stream, optionally resizing
    /// the terminal to the viewer's first. When the last viewer leaves, the
    /// terminal returns to its launch size.
    Attach {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cols: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rows: Option<u16>,
    },
    /// Ends the program (SIGHUP, then SIGKILL after a grace period) and the
    /// supervisor, removing the socket.
    Kill,
}

/// A session's state, as `status` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Whether the program is still running.
    pub running: bool,
    /// How it ended: its exit code, or 128 + the signal that killed it.
    pub exit_code: Option<i32>,
    /// The program's pid (also its process group and session id).
    pub pid: u32,
    /// The supervisor's pid.
    pub supervisor_pid: u32,
    /// The terminal's current size.
    pub cols: u16,
    pub rows: u16,
}

/// The answer to one request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", flatten)]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Reply {
    pub fn ok() -> Reply {
        Reply {
            ok: true,
            ..Reply::default()
        }
    }

    pub fn error(message: impl Into<String>) -> Reply {
        Reply {
            ok: false,
            error: Some(message.into()),
            ..Reply::default()
        }
    }

    pub fn status(status: Status) -> Reply {
        Reply {
            status: Some(status),
            ..Reply::ok()
        }
    }

    pub fn text(text: String) -> Reply {
        Reply {
            text: Some(text),
            ..Reply::ok()
        }
    }

    /// The reply as a result: a refusal becomes an error carrying its reason.
    pub fn into_result(self) -> io::Result<Reply> {
        if self.ok {
            Ok(self)
        } else {
            Err(io::Error::other(
                self.error
                    .unwrap_or_else(|| "the supervisor refused".to_string()),
            ))
        }
    }
}

/// Everything a supervisor needs to start a session (its stdin, as JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Launch {
    /// The directory holding the session's socket and state files.
    pub dir: PathBuf,
    /// The session name; files are `<dir>/<name>.sock` and so on.
    pub name: String,
    pub cwd: PathBuf,
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cols: u16,
    pub rows: u16,
    /// Lines of scrollback kept for captures.
    pub scrollback: usize,
    /// How to run the supervisor program again (program and leading args), for
    /// its internal `exec` step that makes the PTY the program's terminal.
    pub supervisor: Vec<String>,
}

/// A session's files in the runtime directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The unix socket the supervisor listens on.
    pub socket: PathBuf,
    /// `{supervisor_pid, pid, argv, cwd}`, for people and tools.
    pub state: PathBuf,
    /// The supervisor's own stderr.
    pub log: PathBuf,
}

impl Paths {
    pub fn new(dir: &Path, name: &str) -> Paths {
        Paths {
            socket: dir.join(format!("{name}.sock")),
            state: dir.join(format!("{name}.json")),
            log: dir.join(format!("{name}.log")),
        }
    }

    /// Where a supervisor with pid `pid` binds its socket before linking it
    /// into place (see `supervisor::claim`).
    pub fn temporary_socket(dir: &Path, pid: u32) -> PathBuf {
        dir.join(format!(".{pid}.sock"))
    }

    /// Removes every file of the session (missing ones are fine).
    pub fn remove_all(&self) {
        for path in [&self.socket, &self.state, &self.log] {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Sends `value` as one JSON line.
pub fn send<T: Serialize>(out: &mut impl Write, value: &T) -> io::Result<()> {
    let mut line = serde_json::to_vec(value).map_err(io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line)?;
    out.flush()
}

/// Reads one JSON line; `None` at end of stream.
pub fn receive<T: for<'de> Deserialize<'de>>(input: &mut impl BufRead) -> io::Result<Option<T>> {
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    serde_json::from_str(&line)
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{e}: {line:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_tagged_by_op() {
        let json = serde_json::to_string(&Request::Capture { lines: 5 }).unwrap();
        assert_eq!(json, r#"{"op":"capture","lines":5}"#);
        let attach: Request = serde_json::from_str(r#"{"op":"attach"}"#).unwrap();
        assert_eq!(
            attach,
            Request::Attach {
                cols: None,
                rows: None
            }
        );
    }

    #[test]
    fn a_status_reply_is_flat() {
        let reply = Reply::status(Status {
            running: false,
            exit_code: Some(3),
            pid: 10,
            supervisor_pid: 9,
            cols: 80,
            rows: 24,
        });
        let json = serde_json::to_string(&reply).unwrap();
        assert_eq!(
            json,
            r#"{"ok":true,"running":false,"exit_code":3,"pid":10,"supervisor_pid":9,"cols":80,"rows":24}"#
        );
        let back: Reply = serde_json::from_str(&json).unwrap();
        assert_eq!(back, reply);
        let plain: Reply = serde_json::from_str(r#"{"ok":true}"#).unwrap();
        assert_eq!(plain, Reply::ok());
    }

    #[test]
    fn a_refusal_becomes_an_error() {
        let err = Reply::error("nope").into_result().unwrap_err();
        assert_eq!(err.to_string(), "nope");
    }

    #[test]
    fn lines_round_trip() {
        let mut buf = Vec::new();
        send(&mut buf, &Request::Kill).unwrap();
        send(&mut buf, &Request::Status).unwrap();
        let mut input = io::Cursor::new(buf);
        assert_eq!(receive::<Request>(&mut input).unwrap(), Some(Request::Kill));
        assert_eq!(
            receive::<Request>(&mut input).unwrap(),
            Some(Request::Status)
        );
        assert_eq!(receive::<Request>(&mut input).unwrap(), None);
    }
}
