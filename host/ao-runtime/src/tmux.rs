//! The tmux runtime, on a private socket (`tmux -L <socket>`).
//!
//! Costs are kept flat as sessions grow: [`Tmux::capture_all`] reads every
//! session's screen in ONE tmux invocation per cycle (the reference system
//! spawned one per session). Long or multi-line text goes through a paste
//! buffer, which tmux delivers atomically, rather than as keystrokes.

use crate::{LaunchSpec, Liveness, Runtime, RuntimeError};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The process runtime pastes text longer than this (or with newlines) and
/// types the rest.
pub const PASTE_THRESHOLD: usize = 200;

/// A handle on ao's tmux server.
#[derive(Debug, Clone)]
pub struct Tmux {
    socket: String,
    /// Overrides TMUX_TMPDIR (tests isolate their server this way).
    tmpdir: Option<PathBuf>,
    /// Overrides LANG/LC_ALL for the tmux client (tests cover a bare locale).
    locale: Option<String>,
}

/// How long the processes left in a killed pane's group get to end on
/// SIGTERM before SIGKILL.
const KILL_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Printable on purpose: without a UTF-8 locale tmux escapes control characters.
const MARKER: &str = "::ao-pane::";

impl Tmux {
    /// ao's tmux server on `socket`; fails with an install hint when tmux is missing.
    pub fn new(socket: &str) -> Result<Tmux, RuntimeError> {
        let tmux = Tmux {
            socket: socket.to_string(),
            tmpdir: None,
            locale: None,
        };
        match Command::new("tmux")
            .arg("-V")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
        {
            Ok(s) if s.success() => Ok(tmux),
            _ => Err(RuntimeError::TmuxMissing),
        }
    }

    /// The same server with its socket under `dir` (for isolation).
    pub fn with_tmpdir(mut self, dir: impl Into<PathBuf>) -> Tmux {
        self.tmpdir = Some(dir.into());
        self
    }

    /// The same server, driven under the given locale.
    pub fn with_locale(mut self, locale: &str) -> Tmux {
        self.locale = Some(locale.to_string());
        self
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.arg("-L").arg(&self.socket);
        // The first command starts the server, whose environment becomes
        // every pane's base and is readable by anything in a pane
        // (`tmux show-environment -g`): ao's own secrets must not be in it.
        // Sessions get their declared variables with `-e`.
        cmd.env_clear().envs(server_env(std::env::vars_os()));
        if let Some(dir) = &self.tmpdir {
            cmd.env("TMUX_TMPDIR", dir);
        }
        if let Some(locale) = &self.locale {
            cmd.env("LANG", locale).env("LC_ALL", locale);
        }
        // Never inherit the caller's tmux client context.
        cmd.env_remove("TMUX");
        cmd
    }

    fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<Output, RuntimeError> {
        let mut cmd = self.command();
        cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = cmd.spawn().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => RuntimeError::TmuxMissing,
            _ => RuntimeError::Io(e),
        })?;
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(input)?;
        }
        let out = child.wait_with_output()?;
        if !out.status.success() {
            let message = String::from_utf8_lossy(&out.stderr).trim().to_string();
            return Err(RuntimeError::Tmux {
                args: args.first().copied().unwrap_or("").to_string(),
                message,
            });
        }
        Ok(out)
    }

    /// `=name`: an exact session target, so `web-1` never matches `web-10`.
    fn target(name: &str) -> String {
        format!("={name}")
    }

    /// The active pane of session `name`, matched exactly.
    fn pane(name: &str) -> String {
        format!("={name}:")
    }

    /// One invocation capturing every named pane, split on markers.
    fn capture_batch(
        &self,
        names: &[String],
        lines: u32,
    ) -> Result<BTreeMap<String, String>, RuntimeError> {
        let start = format!("-{lines}");
        let mut args: Vec<String> = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                args.push(";".into());
            }
            let target = Self::pane(name);
            args.extend(
                ["display-message", "-p", "-t", &target]
                    .iter()
                    .map(|s| s.to_string()),
            );
            args.push(format!("{MARKER}{name}"));
            args.push(";".into());
            args.extend(
                ["capture-pane", "-p", "-J", "-t", &target, "-S", &start]
                    .iter()
                    .map(|s| s.to_string()),
            );
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.run(&refs, None)?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut screens = BTreeMap::new();
        let mut current: Option<(String, String)> = None;
        for line in text.split_inclusive('\n') {
            if let Some(name) = line.strip_prefix(MARKER) {
                if let Some((n, s)) = current.take() {
                    screens.insert(n, s);
                }
                current = Some((name.trim_end().to_string(), String::new()));
            } else if let Some((_, screen)) = current.as_mut() {
                screen.push_str(line);
            }
        }
        if let Some((n, s)) = current {
            screens.insert(n, s);
        }
        Ok(screens)
    }

    /// Names of all sessions on ao's server.
    pub fn list(&self) -> Result<Vec<String>, RuntimeError> {
        match self.run(&["list-sessions", "-F", "#{session_name}"], None) {
            Ok(out) => Ok(String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_string)
                .collect()),
            // No server yet means no sessions.
            Err(e) if no_server(&e) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// The process group of session `name`'s pane while its program runs:
    /// tmux starts each pane's program as a session leader, so its pid is
    /// the group's id. `None` for a pane whose program ended (the number may
    /// be someone else's by now) or a session that is not there.
    fn running_pane_group(&self, name: &str) -> Option<u32> {
        let out = self
            .run(
                &[
                    "display-message",
                    "-p",
                    "-t",
                    &Self::pane(name),
                    "#{pane_dead} #{pane_pid}",
                ],
                None,
            )
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        match text.trim().split_once(' ')? {
            ("0", pid) => pid.parse().ok(),
            _ => None,
        }
    }

    /// Stops the whole server (tests; `ao stop --all-sessions`).
    pub fn kill_server(&self) {
        let _ = self.run(&["kill-server"], None);
    }
}

impl Runtime for Tmux {
    fn kind(&self) -> &'static str {
        "tmux"
    }

    /// Starts `spec` in a detached session.
    fn create(&self, spec: &LaunchSpec) -> Result<(), RuntimeError> {
        let cwd = spec.cwd.to_string_lossy().into_owned();
        let mut args: Vec<String> = [
            "new-session",
            "-d",
            "-s",
            &spec.name,
            "-c",
            &cwd,
            "-x",
            "200",
            "-y",
            "50",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for (k, v) in &spec.env {
            args.push("-e".into());
            args.push(format!("{k}={v}"));
        }
        args.extend(spec.argv.iter().cloned());
        // In the same invocation, so even a program that exits at once keeps
        // its pane (and its last output) for ao to read.
        args.extend([
            ";".into(),
            "set-option".into(),
            "-w".into(),
            "-t".into(),
            Self::pane(&spec.name),
            "remain-on-exit".into(),
            "on".into(),
        ]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        // tmux shuts its server down when the last session ends; a client
        // that connects in that moment is told "server exited unexpectedly"
        // and nothing was created, so starting over is safe (the next try
        // starts a new server).
        let mut tries = 0;
        loop {
            match self.run(&refs, None) {
                Err(e) if server_was_exiting(&e) && tries < 5 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20 * tries));
                }
                other => return other.map(|_| ()),
            }
        }
    }

    fn sessions(&self) -> Result<BTreeMap<String, Liveness>, RuntimeError> {
        // One invocation for every pane on the server.
        let out = match self.run(
            &["list-panes", "-a", "-F", "#{session_name} #{pane_dead}"],
            None,
        ) {
            Ok(out) => out,
            Err(e) if no_server(&e) => return Ok(BTreeMap::new()),
            Err(e) => return Err(e),
        };
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| line.rsplit_once(' '))
            .map(|(name, dead)| {
                let state = if dead == "1" {
                    Liveness::Exited
                } else {
                    Liveness::Running
                };
                (name.to_string(), state)
            })
            .collect())
    }

    /// Whether the session exists and its program is still running.
    fn is_alive(&self, name: &str) -> bool {
        match self.run(
            &[
                "display-message",
                "-p",
                "-t",
                &Self::pane(name),
                "#{pane_dead}",
            ],
            None,
        ) {
            Ok(out) => String::from_utf8_lossy(&out.stdout).trim() == "0",
            Err(_) => false,
        }
    }

    /// Types `text` into the session as one paste. Short single lines were
    /// typed as keys once; Codex 0.171 takes fast keys as a paste burst and
    /// swallows the Enter after them, while a bracketed paste is one event
    /// for every agent that turns bracketed paste on (and plain text for a
    /// program that does not).
    fn type_text(&self, name: &str, text: &str) -> Result<(), RuntimeError> {
        if text.is_empty() {
            return Ok(());
        }
        let buffer = format!("ao-{name}");
        self.run(&["load-buffer", "-b", &buffer, "-"], Some(text.as_bytes()))?;
        // -p: bracketed paste, so the agent sees one paste, not many Enters.
        self.run(
            &[
                "paste-buffer",
                "-d",
                "-p",
                "-b",
                &buffer,
                "-t",
                &Self::pane(name),
            ],
            None,
        )?;
        Ok(())
    }

    fn press_enter(&self, name: &str) -> Result<(), RuntimeError> {
        self.run(&["send-keys", "-t", &Self::pane(name), "Enter"], None)?;
        Ok(())
    }

    /// The last `lines` lines of one session's screen.
    fn capture(&self, name: &str, lines: u32) -> Result<String, RuntimeError> {
        let start = format!("-{lines}");
        let out = self.run(
            &[
                "capture-pane",
                "-p",
                "-J",
                "-t",
                &Self::pane(name),
                "-S",
                &start,
            ],
            None,
        )?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn screen_and_cursor(&self, name: &str) -> Option<(String, usize)> {
        let pane = Self::pane(name);
        let out = self
            .run(
                &[
                    "capture-pane",
                    "-p",
                    "-t",
                    &pane,
                    ";",
                    "display-message",
                    "-p",
                    "-t",
                    &pane,
                    "#{cursor_y}",
                ],
                None,
            )
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let (screen, cursor) = text.trim_end_matches('\n').rsplit_once('\n')?;
        Some((screen.to_string(), cursor.trim().parse().ok()?))
    }

    /// The screens of `names`, in ONE tmux invocation: a marker line before
    /// each capture separates them. Callers pass the names [`Runtime::sessions`]
    /// just listed; should one vanish in between (tmux stops a command list
    /// at the first failing target), the survivors are captured in a retry.
    fn capture_all(
        &self,
        names: &[String],
        lines: u32,
    ) -> Result<BTreeMap<String, String>, RuntimeError> {
        let mut screens = BTreeMap::new();
        let mut live = None;
        // tmux refuses a command line over its message limit: one invocation
        // per batch of screens that fits.
        for batch in batches(names, |name| capture_cost(name, lines)) {
            match self.capture_batch(batch, lines) {
                Ok(captured) => screens.extend(captured),
                Err(RuntimeError::Tmux { .. }) => {
                    if live.is_none() {
                        live = Some(self.sessions()?);
                    }
                    let live = live.as_ref().expect("listed above");
                    let wanted: Vec<String> = batch
                        .iter()
                        .filter(|n| live.contains_key(*n))
                        .cloned()
                        .collect();
                    if !wanted.is_empty() {
                        screens.extend(self.capture_batch(&wanted, lines)?);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(screens)
    }

    /// Ends a session: tmux closes the terminal (SIGHUP), then whatever of
    /// the pane's process group is left is ended too. Agents that ignore
    /// SIGHUP (Gemini CLI's and Codex's node processes) would otherwise
    /// outlive their session, still talking to the model and writing the
    /// session file a restored agent resumes.
    fn kill(&self, name: &str) -> Result<(), RuntimeError> {
        let group = self.running_pane_group(name);
        match self.run(&["kill-session", "-t", &Self::target(name)], None) {
            Ok(_) => {}
            Err(RuntimeError::Tmux { message, .. }) if message.contains("can't find") => {
                return Err(RuntimeError::NoSession(name.to_string()));
            }
            Err(e) => return Err(e),
        }
        if let Some(group) = group {
            crate::group::end(group, KILL_GRACE);
        }
        Ok(())
    }

    /// The command a person runs to watch and type into a session.
    fn attach_command(&self, name: &str) -> Vec<String> {
        vec![
            "tmux".into(),
            "-L".into(),
            self.socket.clone(),
            "attach-session".into(),
            "-t".into(),
            Self::target(name),
        ]
    }
}

/// The most bytes of arguments ao puts in one tmux command: tmux refuses a
/// command whose message exceeds 16 KiB; half of it leaves room for tmux's
/// own framing of each argument.
const COMMAND_BUDGET: usize = 8 * 1024;

/// Bytes the arguments capturing one session's screen take in a batch.
fn capture_cost(name: &str, lines: u32) -> usize {
    // `;` display-message -p -t =NAME: MARKERNAME `;` capture-pane -p -J -t =NAME: -S -LINES
    let target = name.len() + 3;
    let fixed = [
        "display-message",
        "-p",
        "-t",
        ";",
        "capture-pane",
        "-p",
        "-J",
        "-t",
        "-S",
        ";",
    ]
    .iter()
    .map(|a| a.len() + 1)
    .sum::<usize>();
    fixed + 2 * (target + 1) + MARKER.len() + name.len() + 1 + lines.to_string().len() + 2
}

/// `names` cut into runs whose summed `cost` stays within [`COMMAND_BUDGET`]
/// (a single name over it still gets a batch of its own).
fn batches(names: &[String], cost: impl Fn(&str) -> usize) -> Vec<&[String]> {
    let mut out = Vec::new();
    let (mut start, mut used) = (0, 0);
    for (i, name) in names.iter().enumerate() {
        let c = cost(name);
        if i > start && used + c > COMMAND_BUDGET {
            out.push(&names[start..i]);
            (start, used) = (i, 0);
        }
        used += c;
    }
    if start < names.len() {
        out.push(&names[start..]);
    }
    out
}

/// What tmux itself needs from ao's environment (finding its socket, a
/// shell, the locale, the terminal): nothing secret.
fn server_env(
    ambient: impl IntoIterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    const NAMES: &[&str] = &[
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "SHELL",
        "LANG",
        "TZ",
        "TMPDIR",
        "TMUX_TMPDIR",
        "TERM",
    ];
    ambient
        .into_iter()
        .filter(|(name, _)| {
            name.to_str()
                .is_some_and(|n| NAMES.contains(&n) || n.starts_with("LC_"))
        })
        .collect()
}

/// tmux's ways of saying no server is running yet (so no sessions).
fn no_server(error: &RuntimeError) -> bool {
    server_was_exiting(error)
        || matches!(error, RuntimeError::Tmux { message, .. }
            if message.contains("no server")
                || message.contains("No such file")
                || message.contains("error connecting"))
}

/// The client reached a server that was shutting down (its last session had
/// just ended).
fn server_was_exiting(error: &RuntimeError) -> bool {
    matches!(error, RuntimeError::Tmux { message, .. }
        if message.contains("server exited unexpectedly") || message.contains("lost server"))
}

#[cfg(test)]
#[path = "tmux_tests.rs"]
mod tests;
