//! The end of a failed job's log, for the message that wakes the agent.
//! A failed job's log no longer changes, so each is fetched once.

use crate::api::Api;
use crate::settings::Repo;
use ao_plugin_sdk::{CiCheck, log};
use std::cell::RefCell;
use std::collections::HashMap;

/// Failed jobs whose logs are read per merge request: the first few say
/// enough, and each is one more request.
const MAX_LOGS: usize = 2;
/// Logs fetched per `enrich-prs` call, over all its merge requests, so a
/// batch of failing MRs cannot spend the call's time limit on logs.
pub const LOGS_PER_CALL: usize = 3;
/// Logs remembered (by job id) before the oldest are dropped.
const REMEMBERED: usize = 64;

thread_local! {
    /// Job id → its log's excerpt, or `None` when it could not be read
    /// (not asked again: the job's name still reaches the agent).
    static EXCERPTS: RefCell<HashMap<u64, Option<String>>> = RefCell::new(HashMap::new());
}

/// Fills `log_excerpt` of the checks named by `failed` (name, job id),
/// fetching at most `budget` logs (and counting them off it).
pub fn add_log_excerpts(
    api: &Api,
    repo: &Repo,
    checks: &mut [CiCheck],
    failed: &[(String, u64)],
    budget: &mut usize,
) {
    let limit = api.settings.log_excerpt_bytes as usize;
    if limit == 0 {
        return;
    }
    for (name, job) in failed.iter().take(MAX_LOGS) {
        let excerpt = match EXCERPTS.with(|e| e.borrow().get(job).cloned()) {
            Some(known) => known,
            None if *budget == 0 => continue,
            None => {
                *budget -= 1;
                let path = format!("/projects/{}/jobs/{job}/trace", repo.id());
                let text = match api.get_text(&path) {
                    Ok(trace) => Some(excerpt(&trace, limit)),
                    Err(e) => {
                        log::debug(&format!(
                            "cannot read the log of job {job}: {}",
                            e.describe()
                        ));
                        None
                    }
                };
                EXCERPTS.with(|e| {
                    let mut e = e.borrow_mut();
                    if e.len() >= REMEMBERED {
                        e.clear();
                    }
                    e.insert(*job, text.clone());
                });
                text
            }
        };
        if let (Some(text), Some(check)) = (excerpt, checks.iter_mut().find(|c| &c.name == name)) {
            check.log_excerpt = Some(text);
        }
    }
}

/// The last `limit` bytes of a job log, from a line start, without the
/// terminal colours and the section markers GitLab's runner writes.
pub fn excerpt(trace: &str, limit: usize) -> String {
    let clean: Vec<String> = trace
        .lines()
        .map(strip_ansi)
        .map(|l| match l.find("section_") {
            // `section_start:1700000000:step_script\r\e[0K…`: keep what follows.
            Some(at)
                if l[at..].starts_with("section_start:") || l[at..].starts_with("section_end:") =>
            {
                l[at..]
                    .rsplit_once('\r')
                    .map(|(_, rest)| rest.to_string())
                    .unwrap_or_default()
            }
            _ => l,
        })
        .map(|l| l.trim_end().to_string())
        .collect();
    let mut kept: Vec<&str> = Vec::new();
    let mut size = 0;
    for line in clean.iter().rev().skip_while(|l| l.is_empty()) {
        if size + line.len() + 1 > limit {
            break;
        }
        size += line.len() + 1;
        kept.push(line);
    }
    kept.reverse();
    kept.join("\n")
}

/// Text without ANSI escape sequences (`ESC [ … letter`).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_the_log_without_colours_or_markers() {
        let trace = "\u{1b}[0KRunning with gitlab-runner 17.0\n\
                     section_start:1700000000:step_script\r\u{1b}[0K\u{1b}[32;1m$ cargo test\u{1b}[0;m\n\
                     test login ... FAILED\n\
                     error: test failed\n\
                     section_end:1700000001:step_script\r\u{1b}[0K\n\n";
        let text = excerpt(trace, 1000);
        assert!(
            text.starts_with("Running with gitlab-runner 17.0\n$ cargo test\n"),
            "{text:?}"
        );
        assert!(text.ends_with("error: test failed"), "{text:?}");
        assert!(!text.contains('\u{1b}') && !text.contains("section_"));
        let short = excerpt(trace, 45);
        assert_eq!(short, "test login ... FAILED\nerror: test failed");
    }
}
