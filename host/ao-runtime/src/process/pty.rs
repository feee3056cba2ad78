//! Opening a PTY and starting the session's program on it.
//!
//! The program must run in a session of its own with the PTY as its
//! controlling terminal (so Ctrl-C, job control, `/dev/tty` and SIGWINCH work
//! as in any terminal). Between `fork` and `exec` that takes `setsid` and
//! `TIOCSCTTY`, which std's `Command` only allows through an `unsafe`
//! `pre_exec` hook, and this workspace denies unsafe code. So the supervisor
//! starts *itself* again in an internal `exec` mode ([`exec_child`]) with the
//! PTY as stdin/stderr and a report pipe as stdout: that small process calls
//! `setsid` and `TIOCSCTTY`, then `exec`s the program (which keeps its pid).
//! The report pipe is close-on-exec, so the supervisor reads end-of-file when
//! the program started and an error message when it could not be.

use super::protocol::Launch;
use rustix::fd::{AsFd, OwnedFd};
use rustix::pty::OpenptFlags;
use rustix::termios::Winsize;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitCode, Stdio};

/// The supervisor's internal mode that becomes the program.
pub const EXEC_MODE: &str = "exec";

/// The terminal type programs are told they run in.
pub const TERM: &str = "xterm-256color";

/// A PTY whose slave side is still open (until the program is spawned).
pub struct Pty {
    pub master: File,
    slave: OwnedFd,
}

/// Opens a PTY of `cols` x `rows`.
pub fn open(cols: u16, rows: u16) -> io::Result<Pty> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let flags = OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let flags = OpenptFlags::RDWR | OpenptFlags::NOCTTY;
    let master = rustix::pty::openpt(flags)?;
    set_cloexec(&master)?;
    rustix::pty::grantpt(&master)?;
    rustix::pty::unlockpt(&master)?;
    let name = rustix::pty::ptsname(&master, Vec::new())?;
    let slave = rustix::fs::open(
        name.as_c_str(),
        rustix::fs::OFlags::RDWR | rustix::fs::OFlags::NOCTTY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    resize(&master, cols, rows)?;
    // Backspace over a multi-byte character erases all of it.
    if let Ok(mut modes) = rustix::termios::tcgetattr(&slave) {
        modes.input_modes |= rustix::termios::InputModes::IUTF8;
        let _ = rustix::termios::tcsetattr(&slave, rustix::termios::OptionalActions::Now, &modes);
    }
    Ok(Pty {
        master: File::from(master),
        slave,
    })
}

fn set_cloexec(fd: impl AsFd) -> io::Result<()> {
    let flags = rustix::io::fcntl_getfd(&fd)?;
    rustix::io::fcntl_setfd(&fd, flags | rustix::io::FdFlags::CLOEXEC)?;
    Ok(())
}

/// Sets the terminal size; the kernel sends SIGWINCH to the program.
pub fn resize(master: impl AsFd, cols: u16, rows: u16) -> io::Result<()> {
    rustix::termios::tcsetwinsize(
        master,
        Winsize {
            ws_row: rows.max(1),
            ws_col: cols.max(1),
            ws_xpixel: 0,
            ws_ypixel: 0,
        },
    )?;
    Ok(())
}

/// Starts `launch.argv` on the PTY's slave side in `launch.cwd` with
/// `launch.env` added, closing the supervisor's copy of the slave. The error
/// says why the program could not be started.
pub fn spawn(pty: Pty, launch: &Launch) -> Result<(File, Child), String> {
    let Pty { master, slave } = pty;
    if !launch.cwd.is_dir() {
        return Err(format!(
            "the working directory {} does not exist",
            launch.cwd.display()
        ));
    }
    let Some((program, leading)) = launch.supervisor.split_first() else {
        return Err("no supervisor command to start the program with".into());
    };
    let argv = serde_json::to_string(&launch.argv).map_err(|e| e.to_string())?;
    let (report, report_out) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| format!("cannot create a pipe: {e}"))?;
    let stdin = slave
        .try_clone()
        .map_err(|e| format!("cannot share the terminal: {e}"))?;
    let mut command = Command::new(program);
    command
        .args(leading)
        .arg(EXEC_MODE)
        .arg(argv)
        .current_dir(&launch.cwd)
        .envs(launch.env.iter().map(|(k, v)| (k, v)))
        .env("TERM", TERM)
        .stdin(Stdio::from(stdin))
        .stdout(Stdio::from(report_out))
        .stderr(Stdio::from(slave));
    let spawned = command.spawn();
    // Dropping the command closes our copies of the slave and of the report
    // pipe's write end: the pipe then reports end-of-file at the exec, and
    // the PTY reports end-of-file once the program and its children are gone.
    drop(command);
    let mut child = spawned.map_err(|e| format!("cannot run the supervisor {program}: {e}"))?;
    let mut message = String::new();
    let _ = File::from(report).read_to_string(&mut message);
    if message.is_empty() {
        Ok((master, child))
    } else {
        let _ = child.wait();
        Err(message)
    }
}

/// The internal `exec` mode: stdin and stderr are the PTY's slave side,
/// stdout is the report pipe; `argv_json` is the program's argv as a JSON
/// array. Only returns if the program could not be started.
pub fn exec_child(argv_json: &str) -> ExitCode {
    let report = match rustix::io::fcntl_dupfd_cloexec(io::stdout(), 3) {
        Ok(fd) => File::from(fd),
        Err(e) => {
            eprintln!("ao runtime exec: no report pipe: {e}");
            return ExitCode::from(126);
        }
    };
    let message = match prepare(argv_json) {
        Ok((program, args)) => {
            let error = Command::new(&program).args(args).exec();
            match error.kind() {
                io::ErrorKind::NotFound => {
                    format!("`{program}` was not found (is it installed and on PATH?)")
                }
                io::ErrorKind::PermissionDenied => {
                    format!("`{program}` cannot be executed (permission denied)")
                }
                _ => format!("cannot start `{program}`: {error}"),
            }
        }
        Err(message) => message,
    };
    let mut report = report;
    let _ = report.write_all(message.as_bytes());
    ExitCode::from(127)
}

/// Makes the PTY this process's stdout and controlling terminal.
fn prepare(argv_json: &str) -> Result<(String, Vec<String>), String> {
    let mut argv: Vec<String> =
        serde_json::from_str(argv_json).map_err(|e| format!("bad argv {argv_json:?}: {e}"))?;
    if argv.is_empty() {
        return Err("no program to run (empty argv)".into());
    }
    let program = argv.remove(0);
    rustix::stdio::dup2_stdout(io::stdin()).map_err(|e| format!("cannot use the PTY: {e}"))?;
    rustix::process::setsid().map_err(|e| format!("setsid: {e}"))?;
    rustix::process::ioctl_tiocsctty(io::stdin())
        .map_err(|e| format!("cannot take the PTY as controlling terminal: {e}"))?;
    Ok((program, argv))
}
