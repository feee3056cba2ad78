//! Running the `git` command for network work (clone, fetch) so the user's
//! credential helpers and SSH configuration apply, with its progress turned
//! into short, throttled messages.

use std::ffi::OsStr;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How often a phase may report while it runs; a phase's start and end
/// always report.
const EVERY: Duration = Duration::from_millis(200);

/// Passes progress on at a bounded rate.
pub(crate) struct Throttle<'a> {
    label: String,
    sink: &'a mut dyn FnMut(&str),
    last: Option<(String, u64, Instant)>,
}

impl<'a> Throttle<'a> {
    pub(crate) fn new(label: impl Into<String>, sink: &'a mut dyn FnMut(&str)) -> Self {
        Throttle {
            label: label.into(),
            sink,
            last: None,
        }
    }

    /// Says the step has started: the bare label.
    pub(crate) fn start(&mut self) {
        (self.sink)(&self.label);
    }

    /// `what` names what is counted: "objects", "deltas resolved", "files".
    pub(crate) fn update(&mut self, what: &str, done: u64, total: u64) {
        let now = Instant::now();
        let due = match &self.last {
            Some((last, last_done, at)) if last == what => {
                *last_done != done && (done == total || now.duration_since(*at) >= EVERY)
            }
            _ => true,
        };
        if due {
            self.last = Some((what.to_string(), done, now));
            (self.sink)(&format!("{} ({done}/{total} {what})", self.label));
        }
    }
}

/// One line of git's progress output: `Receiving objects:  42% (50/120), …`,
/// optionally prefixed by `remote: `. Counts without a total are progress
/// too (`Enumerating objects: 5, done.`) but carry no `total`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Line {
    pub phase: String,
    pub done: u64,
    pub total: Option<u64>,
}

pub(crate) fn parse_line(line: &str) -> Option<Line> {
    let line = line.trim();
    let line = line.strip_prefix("remote: ").unwrap_or(line).trim_start();
    let (phase, rest) = line.split_once(": ")?;
    if phase.is_empty() || !phase.chars().all(|c| c.is_ascii_alphabetic() || c == ' ') {
        return None;
    }
    let rest = rest.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    let after = &rest[digits.len()..];
    if after.starts_with('%') {
        let open = after.find('(')?;
        let close = open + after[open..].find(')')?;
        let (done, total) = after[open + 1..close].split_once('/')?;
        return Some(Line {
            phase: phase.to_string(),
            done: done.trim().parse().ok()?,
            total: Some(total.trim().parse().ok()?),
        });
    }
    Some(Line {
        phase: phase.to_string(),
        done: digits.parse().ok()?,
        total: None,
    })
}

/// Lines of git's chatter that say nothing when an error is reported.
fn is_noise(line: &str) -> bool {
    line.starts_with("Cloning into")
        || line.starts_with("remote: Total ")
        || line.ends_with(", done.")
        || line == "done."
}

/// What a git run left: whether it succeeded and its error lines.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub success: bool,
    pub stderr: String,
}

/// Runs `git <args>` (which should include `--progress`), reporting its
/// transfer progress through `throttle` and keeping the other lines of its
/// standard error for an error message.
pub(crate) fn run(args: &[&OsStr], throttle: &mut Throttle<'_>) -> std::io::Result<Outcome> {
    throttle.start();
    let mut child = Command::new("git")
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let mut kept: Vec<String> = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut on_line = |bytes: &[u8], throttle: &mut Throttle<'_>| {
        let line = String::from_utf8_lossy(bytes);
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        match parse_line(line) {
            Some(Line {
                phase,
                done,
                total: Some(total),
            }) => {
                let what = match phase.as_str() {
                    "Receiving objects" | "Unpacking objects" => "objects".to_string(),
                    "Resolving deltas" => "deltas resolved".to_string(),
                    "Counting objects" => "objects counted".to_string(),
                    "Compressing objects" => "objects compressed".to_string(),
                    other => other.to_lowercase(),
                };
                throttle.update(&what, done, total);
            }
            Some(_) => {}
            None if is_noise(line) => {}
            None => kept.push(line.to_string()),
        }
    };
    let mut buf = [0u8; 4096];
    loop {
        let n = match stderr.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        for &b in &buf[..n] {
            if b == b'\r' || b == b'\n' {
                on_line(&pending, throttle);
                pending.clear();
            } else {
                pending.push(b);
            }
        }
    }
    on_line(&pending, throttle);
    let status = child.wait()?;
    Ok(Outcome {
        success: status.success(),
        stderr: kept.join("\n"),
    })
}

/// The caller's progress callback, or `fallback` (which ignores it) when
/// there is none.
pub(crate) fn sink<'a, 'f: 'a>(
    progress: Option<&'a mut (dyn FnMut(&str) + 'f)>,
    fallback: &'a mut (dyn FnMut(&str) + 'f),
) -> &'a mut (dyn FnMut(&str) + 'f) {
    match progress {
        Some(p) => p,
        None => fallback,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_parse() {
        assert_eq!(
            parse_line("Receiving objects:  42% (50/120), 1.20 MiB | 2.00 MiB/s"),
            Some(Line {
                phase: "Receiving objects".into(),
                done: 50,
                total: Some(120)
            })
        );
        assert_eq!(
            parse_line("remote: Compressing objects: 100% (2/2), done."),
            Some(Line {
                phase: "Compressing objects".into(),
                done: 2,
                total: Some(2)
            })
        );
        assert_eq!(
            parse_line("remote: Enumerating objects: 5, done."),
            Some(Line {
                phase: "Enumerating objects".into(),
                done: 5,
                total: None
            })
        );
        assert_eq!(parse_line("fatal: repository 'x' does not exist"), None);
        assert_eq!(parse_line("Cloning into 'x'..."), None);
    }

    #[test]
    fn the_throttle_reports_phase_changes_and_ends_but_not_every_step() {
        let mut seen = Vec::new();
        let mut record = |m: &str| seen.push(m.to_string());
        let mut t = Throttle::new("cloning origin", &mut record);
        t.start();
        for i in 1..=1000 {
            t.update("objects", i, 1000);
        }
        t.update("objects", 1000, 1000);
        t.update("deltas resolved", 1, 2);
        t.update("deltas resolved", 2, 2);
        assert_eq!(seen[0], "cloning origin");
        assert_eq!(seen[1], "cloning origin (1/1000 objects)");
        assert!(seen.len() < 20, "{seen:?}");
        assert!(seen.contains(&"cloning origin (1000/1000 objects)".to_string()));
        assert_eq!(
            seen.iter()
                .filter(|m| m.as_str() == "cloning origin (1000/1000 objects)")
                .count(),
            1
        );
        assert_eq!(seen.last().unwrap(), "cloning origin (2/2 deltas resolved)");
    }
}
