//! Files ao itself writes into a session's workspace (an agent's hook
//! settings): never through a symbolic link, and kept out of git.
//!
//! The workspace is a checkout of a repository ao does not trust: it may
//! carry a committed symlink such as `.claude/settings.local.json → ~/.bashrc`;
//! `ao_core::no_follow` writes without following it.
//!
//! The written paths are added to the repository's `info/exclude`, so git
//! does not offer them for commit and removing the workspace does not take
//! them for unsaved work.

use ao_core::no_follow;
use std::io::Write;
use std::path::Path;

/// Why ao would not write a file into a workspace.
pub type HostFileError = no_follow::NoFollowError;

/// Writes `content` at `rel` inside `root` without following any link.
pub fn write_no_follow(
    root: &Path,
    rel: &str,
    content: &[u8],
    executable: bool,
) -> Result<(), HostFileError> {
    no_follow::write(root, rel, content, if executable { 0o755 } else { 0o644 })
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
