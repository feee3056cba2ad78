//! A connection to one session's supervisor.

use super::protocol::{self, Reply, Request, Status};
use std::io::{self, BufReader};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// One connection to a supervisor's socket; requests are answered in order.
pub struct Client {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

/// An attached connection: the terminal's output (starting with a redraw of
/// the current screen) and its keyboard.
pub struct Attachment {
    /// Raw terminal output; read it to follow the screen.
    pub output: BufReader<UnixStream>,
    /// Bytes written here are typed into the terminal.
    pub input: UnixStream,
}

impl Client {
    /// Connects to the supervisor at `socket`; each later read or write
    /// fails after `timeout`. A missing socket fails with `NotFound`, a stale
    /// one (its supervisor died) with `ConnectionRefused`.
    pub fn connect(socket: &Path, timeout: Duration) -> io::Result<Client> {
        let stream = UnixStream::connect(socket)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        Ok(Client {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// Sends `request` and reads its reply; a refusal is an error.
    pub fn request(&mut self, request: &Request) -> io::Result<Reply> {
        protocol::send(&mut self.writer, request)?;
        match protocol::receive::<Reply>(&mut self.reader)? {
            Some(reply) => reply.into_result(),
            None => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the supervisor closed the connection",
            )),
        }
    }

    pub fn status(&mut self) -> io::Result<Status> {
        self.request(&Request::Status)?
            .status
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "status without a status"))
    }

    /// The last `lines` lines of the screen, as plain text.
    pub fn capture(&mut self, lines: u32) -> io::Result<String> {
        Ok(self
            .request(&Request::Capture { lines })?
            .text
            .unwrap_or_default())
    }

    /// Types `text` as it is.
    pub fn write(&mut self, text: &str) -> io::Result<()> {
        self.request(&Request::Write { text: text.into() })
            .map(drop)
    }

    /// Pastes `text` (bracketed if the program asked for it).
    pub fn paste(&mut self, text: &str) -> io::Result<()> {
        self.request(&Request::Paste { text: text.into() })
            .map(drop)
    }

    pub fn resize(&mut self, cols: u16, rows: u16) -> io::Result<()> {
        self.request(&Request::Resize { cols, rows }).map(drop)
    }

    /// Ends the program and the supervisor; returns once both are gone.
    pub fn kill(&mut self) -> io::Result<()> {
        self.request(&Request::Kill).map(drop)
    }

    /// Turns this connection into a raw terminal stream, the terminal first
    /// resized to `size` (cols, rows) if given. Timeouts are lifted.
    pub fn attach(mut self, size: Option<(u16, u16)>) -> io::Result<Attachment> {
        let (cols, rows) = size.unzip();
        self.request(&Request::Attach { cols, rows })?;
        self.writer.set_read_timeout(None)?;
        self.writer.set_write_timeout(None)?;
        Ok(Attachment {
            output: self.reader,
            input: self.writer,
        })
    }
}
