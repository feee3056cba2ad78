//! `ao:plugin/process`: running a granted program, without a shell, with a
//! clean environment, a timeout and capped output.

use super::HostState;
use crate::bindings::v0_1::{
    PluginError,
    ao::plugin::process::{Command, Host, Output},
};
use std::io::Read;
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
        let mut child = cmd
            .spawn()
            .map_err(|e| PluginError::Other(format!("cannot start `{}`: {e}", command.program)))?;
        if let (Some(input), Some(mut stdin)) = (command.stdin, child.stdin.take()) {
            std::thread::spawn(move || {
                use std::io::Write;
                let _ = stdin.write_all(input.as_bytes());
            });
        }
        let stdout = child
            .stdout
            .take()
            .map(|s| std::thread::spawn(move || read_capped(s)));
        let stderr = child
            .stderr
            .take()
            .map(|s| std::thread::spawn(move || read_capped(s)));

        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() >= timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(PluginError::Transient(format!(
                        "`{}` did not finish within {} ms and was killed",
                        command.program,
                        timeout.as_millis()
                    )));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(e) => {
                    return Err(PluginError::Other(format!(
                        "waiting for `{}`: {e}",
                        command.program
                    )));
                }
            }
        };
        let join = |h: Option<std::thread::JoinHandle<String>>| {
            h.and_then(|h| h.join().ok()).unwrap_or_default()
        };
        Ok(Output {
            status: status.code().unwrap_or(-1),
            stdout: join(stdout),
            stderr: join(stderr),
        })
    }
}
