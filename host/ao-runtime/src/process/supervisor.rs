//! The supervisor: one small process per session that owns the session's PTY.
//!
//! It runs the program on the PTY, reads everything the program writes into
//! a terminal emulator ([`Screen`]), and serves the session's unix socket
//! (see [`protocol`]). It outlives the program (the last
//! screen stays readable and the exit status is kept, like tmux's
//! `remain-on-exit`) and ends only when asked to `kill`.
//!
//! Threads: one pumps PTY output into the screen and on to attached viewers
//! (each viewer has its own writer thread and bounded queue, so a stalled
//! viewer is dropped rather than stalling the session), one waits for the
//! program to exit, and one per connection answers requests.
//!
//! [`main`] is the entry point of the supervisor program; its arguments are:
//!
//! - `serve [name]`: run a session; its [`Launch`] comes as JSON on stdin,
//!   and one [`Reply`] line on stdout says it is ready (or why it could not
//!   start); the name is only there to tell supervisors apart in `ps`;
//! - `attach <socket>`: a terminal client (see [`attach`]);
//! - `exec <argv-json>`: internal, see [`pty`].

use super::protocol::{self, Launch, Paths, Reply, Request, Status};
use super::screen::{self, Screen};
use super::{attach, pty};
use rustix::process::{Pid, Signal};
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::process::{Child, ExitCode};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// How long the program has between SIGHUP and SIGKILL on `kill`.
const KILL_GRACE: Duration = Duration::from_secs(2);

/// Output chunks queued for one viewer before it counts as stalled.
const VIEWER_QUEUE: usize = 1024;

/// Runs the supervisor program with `args` (the arguments after the
/// supervisor command, e.g. `["serve", "web-1"]` or
/// `["attach", "/path/web-1.sock"]`), passed on verbatim.
pub fn main<I, S>(args: I) -> ExitCode
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let args: Vec<String> = args.into_iter().map(Into::into).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["serve"] | ["serve", _] => serve(),
        ["attach", socket] => attach::run(Path::new(socket)),
        [pty::EXEC_MODE, argv] => pty::exec_child(argv),
        _ => {
            eprintln!(
                "usage: serve [name] (launch JSON on stdin) | attach <socket> | exec <argv-json>\n\
                 got: {args:?}"
            );
            ExitCode::from(2)
        }
    }
}

/// `serve`: starts the session described on stdin and serves it until killed.
fn serve() -> ExitCode {
    let launch = match read_launch() {
        Ok(launch) => launch,
        Err(message) => {
            let _ = protocol::send(&mut io::stdout(), &Reply::error(message));
            return ExitCode::FAILURE;
        }
    };
    // Detach from whoever started us: our own session (no terminal signals
    // or process-group kills reach us), stdin and stdout pointing nowhere.
    if let Ok(null) = File::open("/dev/null") {
        let _ = rustix::stdio::dup2_stdin(&null);
    }
    let _ = rustix::process::setsid();
    match start(&launch) {
        Ok((listener, shared, output, mut child)) => {
            if protocol::send(&mut io::stdout(), &Reply::status(shared.status())).is_err() {
                // Whoever started us died before hearing we are up: nobody
                // will adopt this session, so it ends instead of lingering.
                let _ = child.kill();
                let _ = child.wait();
                Paths::new(&launch.dir, &launch.name).remove_all();
                return ExitCode::FAILURE;
            }
            if let Ok(null) = File::options().write(true).open("/dev/null") {
                let _ = rustix::stdio::dup2_stdout(&null);
            }
            let _ = std::env::set_current_dir("/");
            run(listener, shared, output, child);
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("session {}: {message}", launch.name);
            let _ = protocol::send(&mut io::stdout(), &Reply::error(message));
            ExitCode::FAILURE
        }
    }
}

fn read_launch() -> Result<Launch, String> {
    let mut input = String::new();
    io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| format!("cannot read the launch spec: {e}"))?;
    serde_json::from_str(&input).map_err(|e| format!("bad launch spec: {e}"))
}

/// Claims the socket, opens the PTY and starts the program.
fn start(launch: &Launch) -> Result<(UnixListener, Arc<Shared>, File, Child), String> {
    let paths = Paths::new(&launch.dir, &launch.name);
    let listener = claim(&launch.dir, &launch.name, &paths.socket)?;
    let started = (|| {
        let pty =
            pty::open(launch.cols, launch.rows).map_err(|e| format!("cannot open a PTY: {e}"))?;
        let (master, child) = pty::spawn(pty, launch)?;
        let clone = |f: &File| f.try_clone().map_err(|e| format!("PTY: {e}"));
        let output = clone(&master)?;
        let control = clone(&master)?;
        Ok((master, control, output, child))
    })();
    let (master, control, output, child) = match started {
        Ok(parts) => parts,
        Err(message) => {
            let _ = std::fs::remove_file(&paths.socket);
            return Err(message);
        }
    };
    let shared = Arc::new(Shared {
        session: Mutex::new(Session {
            screen: Screen::new(launch.cols, launch.rows, launch.scrollback),
            running: true,
            exit_code: None,
            output_done: false,
            viewers: Vec::new(),
            next_viewer: 0,
        }),
        changed: Condvar::new(),
        input: Mutex::new(master),
        control,
        pid: child.id(),
        supervisor_pid: std::process::id(),
        launch_size: (launch.cols, launch.rows),
        paths,
    });
    let state = serde_json::json!({
        "supervisor_pid": shared.supervisor_pid,
        "pid": shared.pid,
        "argv": launch.argv,
        "cwd": launch.cwd,
    });
    let _ = std::fs::write(&shared.paths.state, format!("{state}\n"));
    Ok((listener, shared, output, child))
}

/// Listens on `socket`, failing if a session already holds that name. The
/// socket is bound under a private name and linked into place only once it
/// accepts connections, so a socket file that refuses connections is always
/// a stale one (which `sessions()` may safely remove).
fn claim(dir: &Path, name: &str, socket: &Path) -> Result<UnixListener, String> {
    let temporary = Paths::temporary_socket(dir, std::process::id());
    let _ = std::fs::remove_file(&temporary);
    let listener = UnixListener::bind(&temporary)
        .map_err(|e| format!("cannot listen on {}: {e}", temporary.display()))?;
    // Only the user may connect (whatever the directory's permissions).
    let _ = std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(0o600));
    let linked = std::fs::hard_link(&temporary, socket);
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => Ok(listener),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            Err(format!("a session named `{name}` already exists"))
        }
        Err(e) => Err(format!("cannot create {}: {e}", socket.display())),
    }
}

/// What every thread of the supervisor shares.
struct Shared {
    session: Mutex<Session>,
    /// Signalled when the program exits or its output ends.
    changed: Condvar,
    /// The PTY master, for typing into the program.
    input: Mutex<File>,
    /// The PTY master, for size changes and the terminal's answers.
    control: File,
    pid: u32,
    supervisor_pid: u32,
    /// (cols, rows) the session started with, and returns to when no
    /// viewer is attached.
    launch_size: (u16, u16),
    paths: Paths,
}

struct Session {
    screen: Screen,
    running: bool,
    exit_code: Option<i32>,
    /// The PTY reported end-of-file: every holder of its slave side is gone.
    output_done: bool,
    viewers: Vec<(u64, SyncSender<Vec<u8>>)>,
    next_viewer: u64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn status(&self) -> Status {
        let session = self.lock();
        let (cols, rows) = session.screen.size();
        Status {
            running: session.running,
            exit_code: session.exit_code,
            pid: self.pid,
            supervisor_pid: self.supervisor_pid,
            cols,
            rows,
        }
    }

    /// Program output: into the screen, then to every viewer.
    fn output(&self, bytes: &[u8]) {
        let answers = {
            let mut session = self.lock();
            let answer = session.viewers.is_empty();
            let answers = session.screen.process(bytes, answer);
            session
                .viewers
                .retain(|(_, viewer)| viewer.try_send(bytes.to_vec()).is_ok());
            answers
        };
        // Not through `input`: a paste blocked on a full PTY would hold it
        // while the program, blocked on its unread output, never reads.
        if !answers.is_empty() {
            let _ = (&self.control).write_all(&answers);
        }
    }

    /// Writes `bytes` to the program's terminal input.
    fn type_bytes(&self, bytes: &[u8]) -> io::Result<()> {
        let mut input = self.input.lock().unwrap_or_else(|e| e.into_inner());
        input.write_all(bytes)?;
        input.flush()
    }

    /// Typed input, refused once the program has exited.
    fn type_text(&self, bytes: &[u8]) -> Result<(), String> {
        if !self.lock().running {
            return Err("the program has exited".into());
        }
        self.type_bytes(bytes)
            .map_err(|e| format!("cannot type into the terminal: {e}"))
    }

    fn resize(&self, session: &mut Session, cols: u16, rows: u16) -> Result<(), String> {
        if cols == 0 || rows == 0 {
            return Err(format!("bad terminal size {cols}x{rows}"));
        }
        if session.screen.size() != (cols, rows) {
            pty::resize(&self.control, cols, rows).map_err(|e| format!("resize: {e}"))?;
            session.screen.resize(cols, rows);
        }
        Ok(())
    }

    /// Waits until the program has exited, at most `timeout`.
    fn wait_exit(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut session = self.lock();
        while session.running {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            session = self
                .changed
                .wait_timeout(session, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    /// Ends the program and its process group: SIGHUP (what a closing
    /// terminal sends), then SIGKILL if it is still there after the grace.
    fn end_program(&self) {
        if !self.lock().running {
            return;
        }
        let Some(group) = i32::try_from(self.pid).ok().and_then(Pid::from_raw) else {
            return;
        };
        let _ = rustix::process::kill_process_group(group, Signal::HUP);
        let _ = rustix::process::kill_process_group(group, Signal::CONT);
        if !self.wait_exit(KILL_GRACE) {
            let _ = rustix::process::kill_process_group(group, Signal::KILL);
            self.wait_exit(KILL_GRACE);
        }
    }
}

/// Serves connections until a `kill` request ends the process.
fn run(listener: UnixListener, shared: Arc<Shared>, output: File, child: Child) {
    {
        let shared = Arc::clone(&shared);
        thread::spawn(move || pump(&shared, output));
    }
    {
        let shared = Arc::clone(&shared);
        thread::spawn(move || reap(&shared, child));
    }
    for connection in listener.incoming() {
        match connection {
            Ok(stream) => {
                let shared = Arc::clone(&shared);
                thread::spawn(move || {
                    let _ = handle(&shared, stream);
                });
            }
            Err(e) => {
                eprintln!("accept: {e}");
                thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// Reads program output until every holder of the PTY's slave side is gone.
fn pump(shared: &Shared, mut output: File) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match output.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => shared.output(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // EIO on Linux once the slave side is closed.
            Err(_) => break,
        }
    }
    shared.lock().output_done = true;
    shared.changed.notify_all();
}

/// Waits for the program, then records how it ended. The program's last
/// output is normally read before the exit is reported (bounded, since
/// children it left behind may keep the PTY open).
fn reap(shared: &Shared, mut child: Child) {
    let code = match child.wait() {
        Ok(status) => {
            use std::os::unix::process::ExitStatusExt;
            status
                .code()
                .or_else(|| status.signal().map(|s| 128 + s))
                .unwrap_or(-1)
        }
        Err(_) => -1,
    };
    let deadline = Instant::now() + Duration::from_millis(500);
    let mut session = shared.lock();
    while !session.output_done {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        session = shared
            .changed
            .wait_timeout(session, left)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    session.running = false;
    session.exit_code = Some(code);
    drop(session);
    shared.changed.notify_all();
}

/// Answers one connection's requests until it closes or attaches.
fn handle(shared: &Shared, stream: UnixStream) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let request = match protocol::receive::<Request>(&mut reader) {
            Ok(Some(request)) => request,
            Ok(None) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                protocol::send(&mut writer, &Reply::error(e.to_string()))?;
                continue;
            }
            Err(e) => return Err(e),
        };
        let reply = match request {
            Request::Status => Reply::status(shared.status()),
            Request::Capture { lines } => Reply::text(shared.lock().screen.text(lines)),
            Request::Write { text } => done(shared.type_text(text.as_bytes())),
            Request::Paste { text } => {
                let bracketed = shared.lock().screen.bracketed_paste();
                done(shared.type_text(&screen::paste_bytes(&text, bracketed)))
            }
            Request::Resize { cols, rows } => {
                let mut session = shared.lock();
                done(shared.resize(&mut session, cols, rows))
            }
            Request::Attach { cols, rows } => return attach(shared, reader, writer, cols, rows),
            Request::Kill => {
                shared.end_program();
                shared.paths.remove_all();
                let _ = protocol::send(&mut writer, &Reply::ok());
                std::process::exit(0);
            }
        };
        protocol::send(&mut writer, &reply)?;
    }
}

fn done(result: Result<(), String>) -> Reply {
    match result {
        Ok(()) => Reply::ok(),
        Err(message) => Reply::error(message),
    }
}

/// Turns the connection into a viewer: the reply and a redraw of the screen,
/// then live output out and keystrokes in, until the viewer leaves.
fn attach(
    shared: &Shared,
    mut keys: BufReader<UnixStream>,
    mut screen_out: UnixStream,
    cols: Option<u16>,
    rows: Option<u16>,
) -> io::Result<()> {
    let (queue, chunks) = sync_channel::<Vec<u8>>(VIEWER_QUEUE);
    let id = {
        let mut session = shared.lock();
        let mut first = serde_json::to_vec(&Reply::ok()).map_err(io::Error::other)?;
        first.push(b'\n');
        if let (Some(cols), Some(rows)) = (cols, rows)
            && let Err(message) = shared.resize(&mut session, cols, rows)
        {
            drop(session);
            return protocol::send(&mut screen_out, &Reply::error(message));
        }
        // Queued under the lock, so no output is missed or sent twice.
        first.extend(session.screen.redraw());
        let _ = queue.try_send(first);
        let id = session.next_viewer;
        session.next_viewer += 1;
        session.viewers.push((id, queue));
        id
    };
    let writer = thread::spawn(move || {
        for chunk in chunks {
            if screen_out.write_all(&chunk).is_err() {
                break;
            }
        }
        // Dropped (stalled) or detached: close, so the viewer notices.
        let _ = screen_out.shutdown(std::net::Shutdown::Both);
    });
    let mut buf = [0u8; 4096];
    loop {
        match keys.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let _ = shared.type_bytes(&buf[..n]);
            }
        }
    }
    {
        let mut session = shared.lock();
        session.viewers.retain(|(viewer, _)| *viewer != id);
        if session.viewers.is_empty() {
            let (cols, rows) = shared.launch_size;
            let _ = shared.resize(&mut session, cols, rows);
        }
    }
    let _ = writer.join();
    Ok(())
}
