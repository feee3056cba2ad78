//! Files ao itself writes into a session's workspace (an agent's hook
//! settings): never through a symbolic link, and kept out of git.
//!
//! The workspace is a checkout of a repository ao does not trust: it may
//! carry a committed symlink such as `.claude/settings.local.json → ~/.bashrc`.
//! Every directory on the way is opened with `O_NOFOLLOW` (cap-std's
//! `open_dir_nofollow`, which also keeps `..` from leaving the root), the
//! file is written to a new temporary name (`O_CREAT | O_EXCL`, which never
//! follows a link) and renamed over the target (a rename replaces a name, it
//! does not follow it). A link on the way is refused with an error naming it.
//!
//! The written paths are added to the repository's `info/exclude`, so git
//! does not offer them for commit and removing the workspace does not take
//! them for unsaved work.

use cap_fs_ext::DirExt;
use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions, Permissions};
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// Why ao would not write a file into a workspace.
#[derive(Debug, thiserror::Error)]
pub enum HostFileError {
    #[error("`{0}` must be a relative path inside the workspace")]
    Escapes(String),
    #[error(
        "`{path}` in the workspace is a symbolic link (committed in the repository?); ao does not write through links — remove the link from the branch, or check the repository before trusting it"
    )]
    Link { path: String },
    #[error("cannot write `{path}` in the workspace: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Writes `content` at `rel` inside `root` without following any link.
pub fn write_no_follow(
    root: &Path,
    rel: &str,
    content: &[u8],
    executable: bool,
) -> Result<(), HostFileError> {
    let parts = components(rel)?;
    let io = |source: std::io::Error| HostFileError::Io {
        path: rel.to_string(),
        source,
    };
    let (file_name, parents) = parts
        .split_last()
        .ok_or_else(|| HostFileError::Escapes(rel.into()))?;
    let mut dir = Dir::open_ambient_dir(root, ambient_authority()).map_err(io)?;
    let mut walked = PathBuf::new();
    for part in parents {
        walked.push(part);
        dir = match dir.open_dir_nofollow(part) {
            Ok(sub) => sub,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                dir.create_dir(part).map_err(io)?;
                dir.open_dir_nofollow(part).map_err(io)?
            }
            Err(e) => {
                return Err(if is_link(&dir, part) {
                    HostFileError::Link {
                        path: walked.display().to_string(),
                    }
                } else {
                    io(e)
                });
            }
        };
    }
    if is_link(&dir, file_name) {
        return Err(HostFileError::Link { path: rel.into() });
    }
    let temp = format!(".{file_name}.ao-{}", std::process::id());
    let _ = dir.remove_file(&temp);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    let written = (|| {
        let mut file = dir.open_with(&temp, &options)?;
        file.write_all(content)?;
        if executable {
            use cap_std::fs::PermissionsExt;
            file.set_permissions(Permissions::from_mode(0o755))?;
        }
        file.sync_all()?;
        dir.rename(&temp, &dir, file_name)
    })();
    if written.is_err() {
        let _ = dir.remove_file(&temp);
    }
    written.map_err(io)
}

fn is_link(dir: &Dir, name: &str) -> bool {
    dir.symlink_metadata(name)
        .is_ok_and(|m| m.file_type().is_symlink())
}

/// The normal components of a relative path; anything else is refused.
fn components(rel: &str) -> Result<Vec<&str>, HostFileError> {
    let path = Path::new(rel);
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(
                part.to_str()
                    .ok_or_else(|| HostFileError::Escapes(rel.into()))?,
            ),
            Component::CurDir => {}
            _ => return Err(HostFileError::Escapes(rel.into())),
        }
    }
    Ok(parts)
}

/// Adds `paths` (relative to the workspace root) to the repository's
/// `info/exclude` (shared by all worktrees of a repository; a clone's own),
/// once each. Anchored with a leading `/`, so only those exact files match.
pub fn exclude_from_git(workspace: &Path, paths: &[&str]) -> Result<(), HostFileError> {
    let io = |source: std::io::Error| HostFileError::Io {
        path: "info/exclude".into(),
        source,
    };
    let repo = git2::Repository::open(workspace)
        .map_err(|e| io(std::io::Error::other(e.message().to_string())))?;
    let info = repo.commondir().join("info");
    std::fs::create_dir_all(&info).map_err(io)?;
    let exclude = info.join("exclude");
    let current = match std::fs::symlink_metadata(&exclude) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(HostFileError::Link {
                path: exclude.display().to_string(),
            });
        }
        Ok(_) => std::fs::read_to_string(&exclude).map_err(io)?,
        Err(_) => String::new(),
    };
    let missing: Vec<String> = paths
        .iter()
        .map(|p| format!("/{}", p.trim_start_matches("./")))
        .filter(|line| !current.lines().any(|l| l.trim() == line))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut text = String::new();
    if !current.is_empty() && !current.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("# written by ao (agent hook settings; never committed)\n");
    for line in missing {
        text.push_str(&line);
        text.push('\n');
    }
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(&exclude)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_inside_and_refuses_links_on_the_way() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::fs::write(&victim, "keep me").unwrap();

        write_no_follow(root.path(), ".claude/settings.local.json", b"{}", false).unwrap();
        assert_eq!(
            std::fs::read_to_string(root.path().join(".claude/settings.local.json")).unwrap(),
            "{}"
        );
        // Written again: replaced, not appended.
        write_no_follow(
            root.path(),
            ".claude/settings.local.json",
            b"{\"a\":1}",
            false,
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(root.path().join(".claude/settings.local.json")).unwrap(),
            "{\"a\":1}"
        );

        // The file itself is a link to a file outside.
        std::os::unix::fs::symlink(&victim, root.path().join("hook.json")).unwrap();
        let err = write_no_follow(root.path(), "hook.json", b"evil", false).unwrap_err();
        assert!(matches!(err, HostFileError::Link { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");

        // A directory on the way is a link to a directory outside.
        std::os::unix::fs::symlink(outside.path(), root.path().join(".codex")).unwrap();
        let err = write_no_follow(root.path(), ".codex/victim", b"evil", false).unwrap_err();
        assert!(err.to_string().contains("`.codex`"), "{err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");

        for bad in ["../x", "/etc/passwd", "a/../../x"] {
            assert!(matches!(
                write_no_follow(root.path(), bad, b"", false),
                Err(HostFileError::Escapes(_))
            ));
        }
    }
}
