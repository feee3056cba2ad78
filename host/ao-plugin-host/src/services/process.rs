//! `ao:plugin/process`: running a granted program, without a shell, with a
//! clean environment, a timeout and capped output.

use super::HostState;
use crate::bindings::v0_1::{
    PluginError,
    ao::plugin::process::{Command, Host, Output},
};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Output kept from each stream.
const MAX_OUTPUT: usize = 1 << 20;

/// Variables a desktop program needs; nothing else of ao's environment passes.
const PASSED_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "DBUS_SESSION_BUS_ADDRESS",
    "XDG_RUNTIME_DIR",
];

/// Finds `program` on PATH.
fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                candidate
                    .metadata()
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            }
            #[cfg(not(unix))]
            {
                candidate.is_file()
            }
        })
}

fn read_capped(mut stream: impl Read) -> String {
    let mut buf = Vec::new();
    let _ = stream
        .by_ref()
        .take(MAX_OUTPUT as u64)
        .read_to_end(&mut buf);
    // Drain the rest so the child never blocks on a full pipe.
    let _ = std::io::copy(&mut stream, &mut std::io::sink());
    String::from_utf8_lossy(&buf).into_owned()
}

impl Host for HostState {
    fn run(&mut self, command: Command) -> Result<Output, PluginError> {
        if !self.caps.allows_program(&command.program) {
            return Err(self.deny(
                &format!("running `{}`", command.program),
                "programs",
                &command.program,
            ));
        }
        let path = which(&command.program).ok_or_else(|| {
            PluginError::NotFound(format!("program `{}` is not on PATH", command.program))
        })?;
        let asked = command
            .timeout_ms
            .map(|ms| Duration::from_millis(ms.into()))
            .unwrap_or(self.limits.process_timeout);
        let timeout = asked.min(self.limits.process_timeout).min(self.remaining());

        let mut cmd = std::process::Command::new(&path);
        cmd.args(&command.args)
            .env_clear()
            .envs(
                PASSED_ENV
                    .iter()
                    .filter_map(|k| std::env::var_os(k).map(|v| (*k, v))),
            )
            .stdin(if command.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.process_group(0);
        let mut child = cmd
            .spawn()
            .map_err(|e| PluginError::Other(format!("cannot start `{}`: {e}", command.program)))?;
        if let (Some(input), Some(mut stdin)) = (command.stdin, child.stdin.take()) {
            std::thread::spawn(move || {
                use std::io::Write;
                let _ = stdin.write_all(input.as_bytes());
            });
        }
        // The program and anything it starts share a new process group, so
        // a grandchild that keeps the output pipes open (`sleep 60 &`) is
        // ended with it instead of holding this call past its deadline.
        let group = rustix::process::Pid::from_child(&child);
        let end_group = || {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        };
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let reader = |stream: Option<Box<dyn Read + Send>>| {
            let done = done_tx.clone();
            stream.map(|s| {
                std::thread::spawn(move || {
                    let text = read_capped(s);
                    let _ = done.send(());
                    text
                })
            })
        };
        let stdout = reader(
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        );
        let stderr = reader(
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        );
        drop(done_tx);

        let started = Instant::now();
        let killed = |program: &str| {
            PluginError::Transient(format!(
                "`{program}` did not finish within {} ms and was killed",
                timeout.as_millis()
            ))
        };
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() >= timeout => {
                    end_group();
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(killed(&command.program));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(e) => {
                    end_group();
                    return Err(PluginError::Other(format!(
                        "waiting for `{}`: {e}",
                        command.program
                    )));
                }
            }
        };
        // The output ends when every holder of the pipes has exited; what
        // the program left running in the background past the deadline is
        // ended.
        let readers = [stdout.is_some(), stderr.is_some()]
            .iter()
            .filter(|r| **r)
            .count();
        for _ in 0..readers {
            let left = timeout.saturating_sub(started.elapsed());
            if done_rx.recv_timeout(left).is_err() {
                end_group();
                break;
            }
        }
        // Once the group is ended the pipes close at once; a process that
        // left the group (`setsid`) is not waited for.
        let join = |h: Option<std::thread::JoinHandle<String>>| -> String {
            let Some(h) = h else { return String::new() };
            let until = Instant::now() + Duration::from_millis(200);
            while !h.is_finished() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
            }
            if h.is_finished() {
                h.join().unwrap_or_default()
            } else {
                String::new()
            }
        };
        Ok(Output {
            status: status.code().unwrap_or(-1),
            stdout: join(stdout),
            stderr: join(stderr),
        })
    }
}
