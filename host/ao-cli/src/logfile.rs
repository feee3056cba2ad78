//! The detached daemon's log. Everything the daemon prints (its logs,
//! plugins' log lines, a panic) goes to stdout/stderr, which `ao start
//! --detach` points at `<data>/logs/daemon.log`; this writer counts what
//! is logged and, past the size cap, renames the file to `daemon.log.1`
//! (replacing the previous one) and points stdout/stderr at a fresh file.
//! At most two files of the cap each are ever kept.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Set by `ao start --detach` for the daemon it starts: the log's path.
pub const LOG_ENV: &str = "AO_DAEMON_LOG";
/// Overrides the size cap (bytes), e.g. for tests.
pub const MAX_ENV: &str = "AO_LOG_MAX_BYTES";
/// Default cap of one log file.
const DEFAULT_MAX: u64 = 10 << 20;

struct Rotating {
    path: PathBuf,
    max: u64,
    written: u64,
}

impl Rotating {
    fn rotate(&mut self) -> io::Result<()> {
        let mut old = self.path.clone().into_os_string();
        old.push(".1");
        std::fs::rename(&self.path, &old)?;
        let file = ao_core::private::create(&self.path)?;
        rustix::stdio::dup2_stdout(&file)?;
        rustix::stdio::dup2_stderr(&file)?;
        self.written = 0;
        Ok(())
    }
}

/// A tracing writer for the detached daemon (see the module docs).
#[derive(Clone)]
pub struct DaemonLog(Arc<Mutex<Rotating>>);

impl DaemonLog {
    /// The daemon's log, when this process is a detached daemon.
    pub fn from_env() -> Option<DaemonLog> {
        let path = PathBuf::from(std::env::var_os(LOG_ENV)?);
        let max = std::env::var(MAX_ENV)
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|m| *m > 0)
            .unwrap_or(DEFAULT_MAX);
        let written = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        Some(DaemonLog(Arc::new(Mutex::new(Rotating {
            path,
            max,
            written,
        }))))
    }
}

pub struct Writer<'a>(&'a Mutex<Rotating>);

impl Write for Writer<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut log = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = io::stderr().write(buf)?;
        log.written += n as u64;
        if log.written >= log.max
            && let Err(e) = log.rotate()
        {
            // Keep logging to the old file rather than stop.
            log.written = 0;
            let _ = writeln!(io::stderr(), "ao: cannot rotate the daemon log: {e}");
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for DaemonLog {
    type Writer = Writer<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Writer(&self.0)
    }
}
