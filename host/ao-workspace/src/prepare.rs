//! Making a fresh workspace ready: symlinks to shared files, copies of the
//! untracked files an agent needs (`.env` and friends, in the spirit of
//! `.worktreeinclude`), then the project's `postCreate` commands with their
//! output kept in a log.

use crate::WorkspaceError;
use ao_core::no_follow::{self, NoFollowError};
use cap_std::fs::Dir;
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

/// A `symlinks:`/`include:` entry that could not be applied, in words.
fn refused(side: &str, entry: &Path, error: NoFollowError) -> WorkspaceError {
    WorkspaceError::Prepare(format!(
        "preparing `{}` (from `symlinks:`/`include:`) in the {side}: {error}",
        entry.display()
    ))
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

/// Files in `repo` named by an include entry (none when a directory on the
/// way is missing or a link: only what is really in the repository).
fn expand(repo: &Dir, entry: &str) -> Result<Vec<PathBuf>, WorkspaceError> {
    let rel = relative(entry)?;
    let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let parent = rel.parent().unwrap_or(Path::new(""));
    let parts: Vec<&str> = parent.iter().filter_map(|p| p.to_str()).collect();
    let dir = match no_follow::open_dirs(repo, &parts, false, Path::new("")) {
        Ok(dir) => dir,
        Err(e) if e.is_not_found() => return Ok(Vec::new()),
        Err(e) => return Err(refused("repository", &rel, e)),
    };
    if !name.contains('*') {
        return Ok(if dir.symlink_metadata(name).is_ok() {
            vec![rel]
        } else {
            Vec::new()
        });
    }
    let mut out = Vec::new();
    if let Ok(entries) = dir.entries() {
        for e in entries.flatten() {
            if let Some(n) = e.file_name().to_str().filter(|n| matches(name, n)) {
                out.push(parent.join(n));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Copies `name` (a file, or a directory and everything in it) from
/// `from` into `to`. Nothing is followed: a link on either side is refused.
fn copy_tree(from: &Dir, to: &Dir, name: &str, shown: &Path) -> Result<(), NoFollowError> {
    let io = |source| NoFollowError::Io {
        path: shown.display().to_string(),
        source,
    };
    let meta = from.symlink_metadata(name).map_err(io)?;
    if meta.file_type().is_symlink() {
        return Err(NoFollowError::Link {
            path: shown.display().to_string(),
        });
    }
    if meta.is_dir() {
        let sub_from = no_follow::open_dirs(from, &[name], false, Path::new(""))?;
        let sub_to = no_follow::open_dirs(to, &[name], true, Path::new(""))?;
        for entry in sub_from.entries().map_err(io)? {
            let entry = entry.map_err(io)?;
            let child = entry.file_name();
            let child = child
                .to_str()
                .ok_or_else(|| NoFollowError::Escapes(shown.join(&child).display().to_string()))?;
            copy_tree(&sub_from, &sub_to, child, &shown.join(child))?;
        }
        return Ok(());
    }
    let content = no_follow::read_in(from, name, shown)?;
    let mode = cap_std::fs::PermissionsExt::mode(&meta.permissions()) & 0o777;
    no_follow::write_in(to, name, &content, mode, shown)
}

/// Links `workspace/rel` to `repo/rel` (an absolute link, so it works from
/// any depth), replacing what the checkout has there. Nothing on the way is
/// followed on either side.
fn link_from_repo(repo: &Path, workspace: &Path, rel: &Path) -> Result<(), WorkspaceError> {
    let text = rel.to_string_lossy();
    let (source_dir, name) = match no_follow::parent_of(
        &no_follow::open_root(repo).map_err(|e| refused("repository", rel, e))?,
        &text,
        false,
    ) {
        Ok(found) => found,
        Err(e) if e.is_not_found() => return Ok(()), // nothing to link
        Err(e) => return Err(refused("repository", rel, e)),
    };
    match source_dir.symlink_metadata(name) {
        Err(_) => return Ok(()), // nothing to link
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(refused(
                "repository",
                rel,
                NoFollowError::Link {
                    path: text.into_owned(),
                },
            ));
        }
        Ok(_) => {}
    }
    let (target_dir, _) = no_follow::parent_of(
        &no_follow::open_root(workspace).map_err(|e| refused("workspace", rel, e))?,
        &text,
        true,
    )
    .map_err(|e| refused("workspace", rel, e))?;
    let io = |source| {
        refused(
            "workspace",
            rel,
            NoFollowError::Io {
                path: text.to_string(),
                source,
            },
        )
    };
    match target_dir.symlink_metadata(name) {
        // Removing a link removes the link, never what it points at; a real
        // directory is emptied without following links inside it.
        Ok(meta) if meta.is_dir() => target_dir.remove_dir_all(name).map_err(io)?,
        Ok(_) => target_dir.remove_file(name).map_err(io)?,
        Err(_) => {}
    }
    rustix::fs::symlinkat(repo.join(rel), &target_dir, name)
        .map_err(|e| io(std::io::Error::from(e)))
}

/// Applies `prep` to `workspace`; `postCreate` output goes to `log`.
pub fn prepare(
    repo: &Path,
    workspace: &Path,
    prep: &Preparation,
    log: &Path,
) -> Result<(), WorkspaceError> {
    for link in &prep.symlinks {
        link_from_repo(repo, workspace, &relative(link)?)?;
    }
    if !prep.include.is_empty() {
        let from_root = no_follow::open_root(repo).map_err(|e| refused("repository", repo, e))?;
        let to_root =
            no_follow::open_root(workspace).map_err(|e| refused("workspace", workspace, e))?;
        for entry in &prep.include {
            for rel in expand(&from_root, entry)? {
                let text = rel.to_string_lossy();
                let (from, name) = no_follow::parent_of(&from_root, &text, false)
                    .map_err(|e| refused("repository", &rel, e))?;
                let (to, _) = no_follow::parent_of(&to_root, &text, true)
                    .map_err(|e| refused("workspace", &rel, e))?;
                copy_tree(&from, &to, name, &rel).map_err(|e| refused("workspace", &rel, e))?;
            }
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

    /// A checkout (the repository's or the workspace's) whose committed
    /// links point outside: nothing outside is read, written or deleted.
    #[test]
    fn links_committed_in_either_checkout_are_never_followed() {
        use std::os::unix::fs::symlink;
        let outside = tempfile::tempdir().unwrap();
        fs::create_dir_all(outside.path().join("cache")).unwrap();
        fs::write(outside.path().join("cache/keep"), "keep").unwrap();
        fs::write(outside.path().join("authorized_keys"), "mine").unwrap();
        fs::write(outside.path().join("id_ed25519"), "PRIVATE").unwrap();
        let attempts: [(&str, Preparation); 4] = [
            // `symlinks: [sub/cache]` with the workspace's `sub` → outside:
            // replacing `cache` would have deleted the outside directory.
            (
                "workspace",
                Preparation {
                    symlinks: vec!["sub/cache".into()],
                    ..Preparation::default()
                },
            ),
            // `include: [sub/authorized_keys]`: copying would have written
            // through the workspace's `sub`.
            (
                "workspace",
                Preparation {
                    include: vec!["sub/authorized_keys".into()],
                    ..Preparation::default()
                },
            ),
            // The repository's `keys` → outside: copying would have read
            // the user's private key into the workspace.
            (
                "repository",
                Preparation {
                    include: vec!["keys/id_ed25519".into()],
                    ..Preparation::default()
                },
            ),
            // A directory included whole, with a link inside it.
            (
                "repository",
                Preparation {
                    include: vec!["config".into()],
                    ..Preparation::default()
                },
            ),
        ];
        for (side, prep) in attempts {
            let repo = tempfile::tempdir().unwrap();
            let ws = tempfile::tempdir().unwrap();
            fs::create_dir_all(repo.path().join("sub/cache")).unwrap();
            fs::write(repo.path().join("sub/authorized_keys"), "attacker").unwrap();
            fs::create_dir_all(repo.path().join("config")).unwrap();
            fs::write(repo.path().join("config/app.toml"), "a = 1").unwrap();
            symlink(
                outside.path().join("id_ed25519"),
                repo.path().join("config/key"),
            )
            .unwrap();
            symlink(outside.path(), repo.path().join("keys")).unwrap();
            symlink(outside.path(), ws.path().join("sub")).unwrap();

            let err = prepare(repo.path(), ws.path(), &prep, &ws.path().join("log"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("symbolic link") && err.contains(side),
                "{prep:?}: {err}"
            );
            assert_eq!(
                fs::read_to_string(outside.path().join("cache/keep")).unwrap(),
                "keep"
            );
            assert_eq!(
                fs::read_to_string(outside.path().join("authorized_keys")).unwrap(),
                "mine"
            );
            assert!(!ws.path().join("config/key").exists());
            assert!(!ws.path().join("keys").exists());
        }
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
