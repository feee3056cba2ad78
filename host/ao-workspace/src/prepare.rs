//! Making a fresh workspace ready: symlinks to shared files, copies of the
//! untracked files an agent needs (`.env` and friends, in the spirit of
//! `.worktreeinclude`), then the project's `postCreate` commands with their
//! output kept in a log.

use crate::WorkspaceError;
use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

/// What to do to a new workspace.
#[derive(Debug, Clone, Default)]
pub struct Preparation {
    /// Relative paths linked from the repository into the workspace.
    pub symlinks: Vec<String>,
    /// Relative paths (a `*` is allowed in the last component) copied over.
    pub include: Vec<String>,
    /// Shell commands run in the workspace, in order.
    pub post_create: Vec<String>,
}

fn relative(path: &str) -> Result<PathBuf, WorkspaceError> {
    let p = Path::new(path);
    if p.is_absolute() || p.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(WorkspaceError::Prepare(format!(
            "`{path}` must be a relative path inside the repository"
        )));
    }
    Ok(p.to_path_buf())
}

/// `*` matches any run of characters in one path component.
fn matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((prefix, rest)) => {
            name.starts_with(prefix) && {
                let tail = &name[prefix.len()..];
                (0..=tail.len()).any(|i| tail.is_char_boundary(i) && matches(rest, &tail[i..]))
            }
        }
    }
}

/// Files in `repo` named by an include entry.
fn expand(repo: &Path, entry: &str) -> Result<Vec<PathBuf>, WorkspaceError> {
    let rel = relative(entry)?;
    let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if !name.contains('*') {
        return Ok(if repo.join(&rel).exists() {
            vec![rel]
        } else {
            Vec::new()
        });
    }
    let dir = rel.parent().unwrap_or(Path::new(""));
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir(repo.join(dir)) {
        for e in entries.flatten() {
            if let Some(n) = e.file_name().to_str().filter(|n| matches(name, n)) {
                out.push(dir.join(n));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn copy_recursive(from: &Path, to: &Path) -> std::io::Result<()> {
    if from.is_dir() {
        fs::create_dir_all(to)?;
        for e in fs::read_dir(from)? {
            let e = e?;
            copy_recursive(&e.path(), &to.join(e.file_name()))?;
        }
    } else {
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::copy(from, to)?;
    }
    Ok(())
}

/// Applies `prep` to `workspace`; `postCreate` output goes to `log`.
pub fn prepare(
    repo: &Path,
    workspace: &Path,
    prep: &Preparation,
    log: &Path,
) -> Result<(), WorkspaceError> {
    for link in &prep.symlinks {
        let rel = relative(link)?;
        let (source, target) = (repo.join(&rel), workspace.join(&rel));
        if !source.exists() {
            continue;
        }
        if target.exists() || target.is_symlink() {
            if target.is_dir() && !target.is_symlink() {
                fs::remove_dir_all(&target)?
            } else {
                fs::remove_file(&target)?
            }
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(&source, &target)?;
        #[cfg(not(unix))]
        copy_recursive(&source, &target)?;
    }
    for entry in &prep.include {
        for rel in expand(repo, entry)? {
            copy_recursive(&repo.join(&rel), &workspace.join(&rel))?;
        }
    }
    if prep.post_create.is_empty() {
        return Ok(());
    }
    if let Some(parent) = log.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut log_file = fs::OpenOptions::new().create(true).append(true).open(log)?;
    for command in &prep.post_create {
        writeln!(log_file, "$ {command}")?;
        let out = Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(workspace)
            .stdin(Stdio::null())
            .output()?;
        log_file.write_all(&out.stdout)?;
        log_file.write_all(&out.stderr)?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = stderr
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            return Err(WorkspaceError::Prepare(format!(
                "postCreate `{command}` failed ({}); full output in {}\n{}",
                out.status,
                log.display(),
                tail.join("\n")
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(matches(".env*", ".env.local"));
        assert!(matches(".env*", ".env"));
        assert!(!matches(".env*", "env"));
        assert!(matches("*.pem", "dev.pem"));
        assert!(!matches("*.pem", "dev.pem.bak"));
    }

    #[test]
    fn links_copies_and_runs_post_create() {
        let repo = tempfile::tempdir().unwrap();
        let ws = tempfile::tempdir().unwrap();
        fs::write(repo.path().join(".env"), "A=1").unwrap();
        fs::write(repo.path().join(".env.local"), "B=2").unwrap();
        fs::create_dir_all(repo.path().join("node_modules/x")).unwrap();
        let prep = Preparation {
            symlinks: vec!["node_modules".into(), "missing".into()],
            include: vec![".env*".into()],
            post_create: vec!["echo made > made.txt".into(), "echo to-the-log".into()],
        };
        let log = ws.path().join(".ao/post-create.log");
        prepare(repo.path(), ws.path(), &prep, &log).unwrap();
        assert!(ws.path().join("node_modules").is_symlink());
        assert_eq!(
            fs::read_to_string(ws.path().join(".env.local")).unwrap(),
            "B=2"
        );
        assert!(
            !ws.path().join(".env").is_symlink(),
            "included files are copies"
        );
        assert_eq!(
            fs::read_to_string(ws.path().join("made.txt")).unwrap(),
            "made\n"
        );
        assert!(fs::read_to_string(&log).unwrap().contains("to-the-log"));
    }

    #[test]
    fn a_failing_post_create_says_which_and_where_the_log_is() {
        let repo = tempfile::tempdir().unwrap();
        let ws = tempfile::tempdir().unwrap();
        let prep = Preparation {
            post_create: vec!["echo boom >&2; exit 3".into()],
            ..Preparation::default()
        };
        let log = ws.path().join("log");
        let err = prepare(repo.path(), ws.path(), &prep, &log)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("echo boom")
                && err.contains("boom")
                && err.contains(&log.display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn escaping_paths_are_refused() {
        let d = tempfile::tempdir().unwrap();
        for bad in ["../secrets", "/etc/passwd"] {
            let prep = Preparation {
                symlinks: vec![bad.into()],
                ..Preparation::default()
            };
            assert!(
                prepare(d.path(), d.path(), &prep, &d.path().join("l")).is_err(),
                "{bad}"
            );
        }
    }
}
