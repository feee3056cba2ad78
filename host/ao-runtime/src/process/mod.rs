//! The `process` runtime: every session runs under a supervisor process of
//! its own that owns the session's PTY; no tmux needed.
//!
//! # Why a supervisor per session
//!
//! A PTY lives only as long as some process holds its master side. If the ao
//! daemon (or the CLI that spawned a session) held it, every daemon restart
//! or upgrade would kill every agent. So each session gets a small
//! supervisor, started detached (its own session via `setsid`, stdio away
//! from the caller), that holds the PTY, runs the program on it and keeps a
//! terminal emulator of its screen. It answers on a unix socket,
//! `<dir>/<name>.sock` ([`protocol`]), so:
//!
//! - **re-adoption is reconnecting**: a restarted daemon, or any
//!   [`ProcessRuntime`] on the same directory, finds sessions by listing the
//!   sockets and drives them like the ones it started; no state is handed over;
//! - sessions are independent: one supervisor crashing takes only its own
//!   session with it, and its socket (now refusing connections) is recognised
//!   as stale and removed by [`Runtime::sessions`];
//! - the program's last screen outlives it (like tmux's `remain-on-exit`)
//!   until the session is killed.
//!
//! The supervisor is the same binary as ao (`ao runtime-supervisor ...`,
//! calling [`supervisor::main`]), given to [`ProcessRuntime::new`] as a
//! command. People attach with `<supervisor> attach <socket>` ([`attach`]);
//! a dashboard can attach programmatically with [`client::Client::attach`],
//! several viewers at once.
//!
//! Files in the runtime directory, per session: `<name>.sock` (the socket),
//! `<name>.json` (pids, argv, cwd: for people and tools) and `<name>.log`
//! (the supervisor's own errors).

pub mod attach;
pub mod client;
pub mod protocol;
pub mod pty;
pub mod screen;
pub mod supervisor;

use crate::{LaunchSpec, Liveness, Runtime, RuntimeError};
use client::Client;
use protocol::{Launch, Paths, Reply, Status};
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Text longer than this (or with newlines) is pasted, not typed.
pub const PASTE_THRESHOLD: usize = crate::tmux::PASTE_THRESHOLD;

/// The terminal size sessions start with (as the tmux runtime's).
pub const COLS: u16 = 200;
pub const ROWS: u16 = 50;

/// Lines of history each session keeps for captures.
pub const SCROLLBACK: usize = 2000;

/// How long `create` waits for a supervisor to be ready.
const START_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a supervisor has to answer an ordinary request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// How long `kill` waits (the program gets a grace period first).
const KILL_TIMEOUT: Duration = Duration::from_secs(10);

/// Unix socket paths longer than this do not fit `sockaddr_un`.
const MAX_SOCKET_PATH: usize = 100;

/// Sessions as supervisor processes with sockets in one directory.
#[derive(Debug, Clone)]
pub struct ProcessRuntime {
    dir: PathBuf,
    supervisor: Vec<String>,
}

impl ProcessRuntime {
    /// Sessions in `dir` (created when needed, private to the user), started
    /// with `supervisor` (program and leading args; the runtime appends
    /// `serve <name>` or `attach <socket>`, the supervisor `exec <argv>`),
    /// e.g. `[ao, "runtime-supervisor"]`.
    pub fn new(dir: PathBuf, supervisor: Vec<String>) -> ProcessRuntime {
        ProcessRuntime { dir, supervisor }
    }

    /// The directory holding the sessions' sockets.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where session `name`'s supervisor listens.
    pub fn socket(&self, name: &str) -> PathBuf {
        Paths::new(&self.dir, name).socket
    }

    /// A connection to session `name`'s supervisor (e.g. to attach a viewer).
    pub fn connect(&self, name: &str) -> Result<Client, RuntimeError> {
        self.open(name, REQUEST_TIMEOUT)
    }

    /// Session `name`'s pids and whether (and how) its program ended.
    pub fn status(&self, name: &str) -> Result<Status, RuntimeError> {
        self.open(name, REQUEST_TIMEOUT)?
            .status()
            .map_err(|e| process_error(name, e))
    }

    /// Connects to `name`; a missing session is [`RuntimeError::NoSession`],
    /// and a stale socket is removed on the way.
    fn open(&self, name: &str, timeout: Duration) -> Result<Client, RuntimeError> {
        check_name(name)?;
        let paths = Paths::new(&self.dir, name);
        match Client::connect(&paths.socket, timeout) {
            Ok(client) => Ok(client),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(RuntimeError::NoSession(name.to_string()))
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                paths.remove_all();
                Err(RuntimeError::NoSession(name.to_string()))
            }
            Err(e) => Err(RuntimeError::Process {
                name: name.to_string(),
                message: format!(
                    "cannot reach its supervisor at {}: {e}",
                    paths.socket.display()
                ),
            }),
        }
    }

    fn ensure_dir(&self) -> io::Result<()> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
    }

    /// The supervisor command, its program made absolute (it is also run
    /// again from the session's working directory).
    fn supervisor_command(&self) -> Result<Vec<String>, String> {
        let Some(program) = self.supervisor.first() else {
            return Err("no supervisor command configured".into());
        };
        let mut command = self.supervisor.clone();
        if program.contains('/') {
            let absolute =
                std::path::absolute(program).map_err(|e| format!("supervisor {program}: {e}"))?;
            command[0] = absolute.to_string_lossy().into_owned();
        }
        Ok(command)
    }

    fn start(&self, spec: &LaunchSpec, paths: &Paths) -> Result<(), String> {
        let supervisor = self.supervisor_command()?;
        let launch = Launch {
            dir: self.dir.clone(),
            name: spec.name.clone(),
            cwd: spec.cwd.clone(),
            argv: spec.argv.clone(),
            env: spec.env.clone(),
            cols: COLS,
            rows: ROWS,
            scrollback: SCROLLBACK,
            supervisor: supervisor.clone(),
        };
        let log = std::fs::File::create(&paths.log)
            .map_err(|e| format!("cannot create {}: {e}", paths.log.display()))?;
        let mut child = Command::new(&supervisor[0])
            .args(&supervisor[1..])
            .args(["serve", &spec.name])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot run the supervisor `{}`: {e}", supervisor[0]))?;
        let spec_json = serde_json::to_vec(&launch).map_err(|e| e.to_string())?;
        if let Some(mut stdin) = child.stdin.take() {
            // A supervisor that died at once shows below as a missing reply.
            let _ = stdin.write_all(&spec_json);
        }
        let (sender, ready) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                let mut line = String::new();
                let _ = BufReader::new(stdout).read_line(&mut line);
                let _ = sender.send(line);
            });
        }
        let outcome = match ready.recv_timeout(START_TIMEOUT) {
            Ok(line) if line.is_empty() => Err(format!(
                "the supervisor exited without starting it; see {}",
                paths.log.display()
            )),
            Ok(line) => match serde_json::from_str::<Reply>(&line) {
                Ok(Reply { ok: true, .. }) => Ok(()),
                Ok(Reply { error, .. }) => Err(error.unwrap_or_else(|| "failed to start".into())),
                Err(e) => Err(format!("unexpected supervisor reply {line:?}: {e}")),
            },
            Err(_) => {
                let _ = child.kill();
                Err(format!(
                    "the supervisor was not ready within {} s; see {}",
                    START_TIMEOUT.as_secs(),
                    paths.log.display()
                ))
            }
        };
        // The supervisor lives on in its own session; a thread reaps it when
        // it ends, should this process still be around then.
        std::thread::spawn(move || child.wait());
        outcome
    }
}

impl Runtime for ProcessRuntime {
    fn kind(&self) -> &'static str {
        "process"
    }

    fn create(&self, spec: &LaunchSpec) -> Result<(), RuntimeError> {
        let name = &spec.name;
        check_name(name)?;
        let fail = |message: String| RuntimeError::Process {
            name: name.clone(),
            message,
        };
        if spec.argv.is_empty() {
            return Err(fail("no program to run (empty argv)".into()));
        }
        let paths = Paths::new(&self.dir, name);
        let length = paths.socket.as_os_str().len().max(
            Paths::temporary_socket(&self.dir, u32::MAX)
                .as_os_str()
                .len(),
        );
        if length > MAX_SOCKET_PATH {
            return Err(fail(format!(
                "its socket path {} would be up to {length} bytes, more than unix sockets allow; use a shorter runtime directory",
                paths.socket.display()
            )));
        }
        self.ensure_dir()
            .map_err(|e| fail(format!("cannot create {}: {e}", self.dir.display())))?;
        match self.open(name, REQUEST_TIMEOUT) {
            Ok(_) => return Err(fail("a session with this name already exists".into())),
            Err(RuntimeError::NoSession(_)) => {}
            Err(e) => return Err(e),
        }
        self.start(spec, &paths).map_err(fail)
    }

    fn sessions(&self) -> Result<BTreeMap<String, Liveness>, RuntimeError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(e.into()),
        };
        let mut sessions = BTreeMap::new();
        for entry in entries {
            let file = entry?.file_name();
            let Some(name) = file.to_str().and_then(|f| f.strip_suffix(".sock")) else {
                continue;
            };
            if name.is_empty() || name.starts_with('.') {
                continue;
            }
            let state = match self.open(name, REQUEST_TIMEOUT) {
                Ok(mut client) => match client.status() {
                    Ok(status) if !status.running => Liveness::Exited,
                    // A supervisor that is there but slow still holds a session.
                    _ => Liveness::Running,
                },
                Err(RuntimeError::NoSession(_)) => continue,
                Err(_) => Liveness::Running,
            };
            sessions.insert(name.to_string(), state);
        }
        Ok(sessions)
    }

    fn is_alive(&self, name: &str) -> bool {
        self.status(name).is_ok_and(|s| s.running)
    }

    fn type_text(&self, name: &str, text: &str) -> Result<(), RuntimeError> {
        let mut client = self.open(name, REQUEST_TIMEOUT)?;
        let typed = if text.len() > PASTE_THRESHOLD || text.contains('\n') {
            client.paste(text)
        } else {
            client.write(text)
        };
        typed.map_err(|e| process_error(name, e))
    }

    fn press_enter(&self, name: &str) -> Result<(), RuntimeError> {
        self.open(name, REQUEST_TIMEOUT)?
            .write("\r")
            .map_err(|e| process_error(name, e))
    }

    fn capture(&self, name: &str, lines: u32) -> Result<String, RuntimeError> {
        self.open(name, REQUEST_TIMEOUT)?
            .capture(lines)
            .map_err(|e| process_error(name, e))
    }

    /// One connection per session; sessions that are gone (or do not
    /// answer) are left out.
    /// The supervisor's protocol has no cursor request yet: delivery falls
    /// back to what the screen shows.
    fn screen_and_cursor(&self, _name: &str) -> Option<(String, usize)> {
        None
    }

    fn capture_all(
        &self,
        names: &[String],
        lines: u32,
    ) -> Result<BTreeMap<String, String>, RuntimeError> {
        Ok(names
            .iter()
            .filter_map(|name| Some((name.clone(), self.capture(name, lines).ok()?)))
            .collect())
    }

    fn kill(&self, name: &str) -> Result<(), RuntimeError> {
        let mut client = self.open(name, KILL_TIMEOUT)?;
        match client.kill() {
            Ok(()) => Ok(()),
            // It went away while ending: gone is what was asked for.
            Err(_) if !self.socket(name).exists() => Ok(()),
            Err(e) => Err(process_error(name, e)),
        }
    }

    fn attach_command(&self, name: &str) -> Vec<String> {
        let mut command = self
            .supervisor_command()
            .unwrap_or_else(|_| self.supervisor.clone());
        command.push("attach".into());
        command.push(self.socket(name).to_string_lossy().into_owned());
        command
    }
}

/// Session names become file names: no separators, nothing hidden.
fn check_name(name: &str) -> Result<(), RuntimeError> {
    if name.is_empty() || name.starts_with('.') || name.contains(['/', '\0']) {
        return Err(RuntimeError::Process {
            name: name.to_string(),
            message: "not a valid session name (it must be non-empty, without `/`, and not start with `.`)".into(),
        });
    }
    Ok(())
}

fn process_error(name: &str, error: io::Error) -> RuntimeError {
    RuntimeError::Process {
        name: name.to_string(),
        message: error.to_string(),
    }
}
