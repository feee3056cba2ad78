//! The local SCM: no account, no network service. A pull request is a
//! branch the agent pushed to the project's remote, recorded by ao; CI is
//! the command in the project's `scm.ci` setting, run in the session's
//! workspace with its log kept; reviews are given with `ao review`;
//! merging merges the branch into the default branch on the remote.

use crate::facts::{Ci, Comment, PrFacts, PrState, ReviewDecision};
use ao_core::config::ProjectConfig;
use ao_core::state::{LocalPr, Store};
use std::collections::HashMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub(crate) fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {}: {}",
            args.first().unwrap_or(&""),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Every branch head on the project's remote, from ONE `git ls-remote`
/// (the PR loop asks once per project per cycle, not once per session).
pub type RemoteHeads = HashMap<String, String>;

pub fn remote_heads(project: &ProjectConfig) -> Result<RemoteHeads, String> {
    let out = git(
        &project.path,
        &["ls-remote", "--heads", "--", &project.remote],
    )?;
    Ok(out
        .lines()
        .filter_map(|line| {
            let (sha, name) = line.split_once('\t')?;
            Some((
                name.strip_prefix("refs/heads/")?.to_string(),
                sha.to_string(),
            ))
        })
        .collect())
}

pub fn url(project: &ProjectConfig, number: i64) -> String {
    format!("local:{}#{number}", project.id)
}

/// The open PR of `branch`: once the agent has pushed it with commits the
/// default branch does not have, it is recorded (numbered) as a PR.
pub fn detect(
    store: &mut Store,
    project: &ProjectConfig,
    branch: &str,
    heads: &RemoteHeads,
) -> Result<Option<LocalPr>, String> {
    if let Some(pr) = store
        .local_pr_for_branch(&project.id, branch)
        .map_err(|e| e.to_string())?
    {
        return Ok(Some(pr));
    }
    let Some(head) = heads.get(branch) else {
        return Ok(None);
    };
    if heads.get(&project.default_branch) == Some(head) {
        return Ok(None);
    }
    store
        .open_local_pr(&project.id, branch, head)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Conflict answers by (project, branch, head, base head): an unchanged PR
/// costs no git processes per cycle. The PR loop keeps one across cycles.
#[derive(Debug, Default)]
pub struct ConflictMemo(HashMap<String, bool>);

/// Everything about a local PR, starting CI for a new head commit.
pub fn facts(
    store: &mut Store,
    project: &ProjectConfig,
    pr: &LocalPr,
    heads: &RemoteHeads,
    memo: &mut ConflictMemo,
    workspace: Option<&Path>,
    logs: &Path,
) -> Result<PrFacts, String> {
    let state = match pr.state.as_str() {
        "merged" => PrState::Merged,
        "closed" => PrState::Closed,
        _ => PrState::Open,
    };
    let mut head = pr.head_sha.clone();
    if state == PrState::Open
        && let Some(now) = heads.get(&pr.branch)
        && Some(now) != head.as_ref()
    {
        store
            .set_local_pr(pr.number, "open", Some(now))
            .map_err(|e| e.to_string())?;
        head = Some(now.clone());
    }
    let (ci, failing_checks, ci_log_tail) = match (state, &head) {
        (PrState::Open, Some(sha)) => ci_state(store, project, pr.number, sha, workspace, logs)?,
        _ => (Ci::None, Vec::new(), None),
    };
    let (review, comments, bot_comments) = review_state(store, project, pr.number)?;
    let has_conflicts = state == PrState::Open
        && conflicts(
            memo,
            project,
            &pr.branch,
            head.as_deref(),
            heads.get(&project.default_branch).map(String::as_str),
        );
    Ok(PrFacts {
        number: pr.number,
        url: url(project, pr.number),
        state,
        head,
        ci,
        failing_checks,
        ci_log_tail,
        review,
        comments,
        bot_comments,
        has_conflicts,
    })
}

/// CI for `sha`: the finished result, or a run started (or still going).
fn ci_state(
    store: &mut Store,
    project: &ProjectConfig,
    pr: i64,
    sha: &str,
    workspace: Option<&Path>,
    logs: &Path,
) -> Result<(Ci, Vec<String>, Option<String>), String> {
    let Some(command) = project.scm.setting("ci") else {
        return Ok((Ci::None, Vec::new(), None));
    };
    let latest = store
        .latest_ci_run(&project.id, pr)
        .map_err(|e| e.to_string())?;
    let run = match latest.filter(|r| r.sha == sha) {
        Some(run) => run,
        None => {
            let Some(dir) = workspace.filter(|d| d.is_dir()) else {
                return Ok((Ci::Pending, Vec::new(), None));
            };
            std::fs::create_dir_all(logs).map_err(|e| e.to_string())?;
            let log = logs.join(format!(
                "{}-pr{pr}-ci-{}.log",
                project.id,
                &sha[..sha.len().min(12)]
            ));
            store
                .start_ci_run(&project.id, pr, sha, &log.display().to_string())
                .map_err(|e| e.to_string())?;
            start_ci(command, dir, &log)?;
            return Ok((Ci::Pending, Vec::new(), None));
        }
    };
    let log = PathBuf::from(&run.log_path);
    match run.status.as_str() {
        "running" => match std::fs::read_to_string(exit_file(&log)) {
            Ok(code) => {
                let code: i64 = code.trim().parse().unwrap_or(1);
                store
                    .finish_ci_run(run.id, code)
                    .map_err(|e| e.to_string())?;
                Ok(result(code == 0, command, &log))
            }
            Err(_) => Ok((Ci::Pending, Vec::new(), None)),
        },
        "passed" => Ok(result(true, command, &log)),
        _ => Ok(result(false, command, &log)),
    }
}

fn result(passed: bool, command: &str, log: &Path) -> (Ci, Vec<String>, Option<String>) {
    if passed {
        return (Ci::Passing, Vec::new(), None);
    }
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(30).collect();
    let tail = tail.into_iter().rev().collect::<Vec<_>>().join("\n");
    (
        Ci::Failing,
        vec![format!("`{command}` (log: {})", log.display())],
        Some(tail),
    )
}

fn exit_file(log: &Path) -> PathBuf {
    log.with_extension("exit")
}

/// Runs the CI command in the background; its exit code lands next to its
/// log, so whichever ao process looks next (daemon or CLI, even after a
/// restart) sees the result.
fn start_ci(command: &str, dir: &Path, log: &Path) -> Result<(), String> {
    let script = format!(
        "({command}) > '{log}' 2>&1; echo $? > '{exit}.tmp' && mv '{exit}.tmp' '{exit}'",
        log = log.display(),
        exit = exit_file(log).display()
    );
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start CI: {e}"))?;
    // Reaped when it ends, so a long-lived daemon keeps no zombies.
    std::thread::spawn(move || child.wait());
    Ok(())
}

/// The decision, the open change requests and the bots' remarks (each
/// since the last approval). An author named `…[bot]` is a bot, as on GitHub.
fn review_state(
    store: &Store,
    project: &ProjectConfig,
    pr: i64,
) -> Result<(ReviewDecision, Vec<Comment>, Vec<Comment>), String> {
    let reviews = store.reviews(&project.id, pr).map_err(|e| e.to_string())?;
    let mut decision = ReviewDecision::Pending;
    let (mut comments, mut bot_comments) = (Vec::new(), Vec::new());
    for r in reviews {
        let comment = Comment {
            id: r.id.to_string(),
            text: format!("{}: {}", r.author, r.body),
        };
        match r.verdict.as_str() {
            "approve" => {
                decision = ReviewDecision::Approved;
                comments.clear();
                bot_comments.clear();
            }
            _ if r.author.ends_with("[bot]") => bot_comments.push(comment),
            "request-changes" => {
                decision = ReviewDecision::ChangesRequested;
                comments.push(comment);
            }
            _ if decision == ReviewDecision::ChangesRequested => comments.push(comment),
            _ => {}
        }
    }
    Ok((decision, comments, bot_comments))
}

/// Whether the branch conflicts with the default branch (as on the remote),
/// asked of git only when either head moved.
fn conflicts(
    memo: &mut ConflictMemo,
    project: &ProjectConfig,
    branch: &str,
    head: Option<&str>,
    base_head: Option<&str>,
) -> bool {
    let key = format!("{}|{branch}|{head:?}|{base_head:?}", project.path.display());
    if let Some(known) = memo.0.get(&key) {
        return *known;
    }
    let answer = conflicts_now(project, branch);
    if memo.0.len() > 1024 {
        memo.0.clear();
    }
    memo.0.insert(key, answer);
    answer
}

fn conflicts_now(project: &ProjectConfig, branch: &str) -> bool {
    let remote = &project.remote;
    if git(
        &project.path,
        &["fetch", "-q", "--", remote, &project.default_branch, branch],
    )
    .is_err()
    {
        return false;
    }
    let base = format!("{remote}/{}", project.default_branch);
    let head = format!("{remote}/{branch}");
    // Exit 1 (with output) means conflicts; errors (old git) mean "unknown".
    let out = Command::new("git")
        .arg("-C")
        .arg(&project.path)
        .args(["merge-tree", "--write-tree", &base, &head])
        .output();
    matches!(out, Ok(o) if o.status.code() == Some(1))
}

/// Merges the PR's branch into the default branch on the remote, in a
/// scratch worktree so the user's checkout is untouched.
pub fn merge(
    store: &mut Store,
    project: &ProjectConfig,
    pr: &LocalPr,
    scratch: &Path,
) -> Result<(), String> {
    let remote = &project.remote;
    git(
        &project.path,
        &[
            "fetch",
            "-q",
            "--",
            remote,
            &project.default_branch,
            &pr.branch,
        ],
    )?;
    let _ = std::fs::remove_dir_all(scratch);
    let base = format!("{remote}/{}", project.default_branch);
    git(
        &project.path,
        &[
            "worktree",
            "add",
            "-q",
            "--detach",
            &scratch.display().to_string(),
            &base,
        ],
    )?;
    let merged = (|| {
        git(
            scratch,
            &[
                "-c",
                "user.name=ao",
                "-c",
                "user.email=ao@localhost",
                "merge",
                "--no-ff",
                "-q",
                "-m",
                &format!("Merge pull request #{} from {}", pr.number, pr.branch),
                &format!("{remote}/{}", pr.branch),
            ],
        )?;
        git(
            scratch,
            &[
                "push",
                "-q",
                "--",
                remote,
                &format!("HEAD:refs/heads/{}", project.default_branch),
            ],
        )
    })();
    let _ = git(
        &project.path,
        &[
            "worktree",
            "remove",
            "--force",
            &scratch.display().to_string(),
        ],
    );
    merged?;
    store
        .set_local_pr(pr.number, "merged", None)
        .map_err(|e| e.to_string())
}
