//! Reading and writing inside a tree ao does not trust (a repository's
//! checkout, a session's workspace) without ever following a symbolic link.
//!
//! A cloned repository may commit `.ao/issues/1.md → ~/.bashrc` or a
//! directory `keys → ~/.ssh`. Every directory on the way is opened with
//! `O_NOFOLLOW` (cap-std's `open_dir_nofollow`, which also keeps `..` from
//! leaving the root); the last name is checked with `lstat` and opened with
//! `O_NOFOLLOW`; a write goes to a new temporary name (`O_CREAT | O_EXCL`,
//! which never follows a link) that is renamed over the target (a rename
//! replaces a name, it does not follow it). A link anywhere on the way is
//! refused with an error naming it.

use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt};
use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions, Permissions, PermissionsExt};
use std::io::{Read, Write};
use std::path::{Component, Path};

/// Why ao would not read or write a file in an untrusted tree.
#[derive(Debug, thiserror::Error)]
pub enum NoFollowError {
    #[error("`{0}` must be a relative path inside the directory")]
    Escapes(String),
    #[error(
        "`{path}` is a symbolic link (committed in the repository?); ao does not read or write through links — remove the link from the branch, or check the repository before trusting it"
    )]
    Link { path: String },
    #[error("`{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl NoFollowError {
    /// The file or directory was not there.
    pub fn is_not_found(&self) -> bool {
        matches!(self, NoFollowError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// The normal components of a relative path; anything else is refused.
pub fn components(rel: &str) -> Result<Vec<&str>, NoFollowError> {
    let mut parts = Vec::new();
    for component in Path::new(rel).components() {
        match component {
            Component::Normal(part) => parts.push(
                part.to_str()
                    .ok_or_else(|| NoFollowError::Escapes(rel.into()))?,
            ),
            Component::CurDir => {}
            _ => return Err(NoFollowError::Escapes(rel.into())),
        }
    }
    Ok(parts)
}

/// Whether `name` in `dir` is a symbolic link (not followed).
pub fn is_link(dir: &Dir, name: &str) -> bool {
    dir.symlink_metadata(name)
        .is_ok_and(|m| m.file_type().is_symlink())
}

/// Opens `root` itself (the caller's choice; it may be reached through links).
pub fn open_root(root: &Path) -> Result<Dir, NoFollowError> {
    Dir::open_ambient_dir(root, ambient_authority()).map_err(|source| NoFollowError::Io {
        path: root.display().to_string(),
        source,
    })
}

/// Opens the directory `parts` below `dir` without following links, creating
/// missing ones when `create`. `shown` prefixes the names in errors.
pub fn open_dirs(
    dir: &Dir,
    parts: &[&str],
    create: bool,
    shown: &Path,
) -> Result<Dir, NoFollowError> {
    let mut dir = dir.try_clone().map_err(|source| NoFollowError::Io {
        path: shown.display().to_string(),
        source,
    })?;
    let mut walked = shown.to_path_buf();
    for part in parts {
        walked.push(part);
        let io = |source| NoFollowError::Io {
            path: walked.display().to_string(),
            source,
        };
        dir = match dir.open_dir_nofollow(part) {
            Ok(sub) => sub,
            Err(e) if create && e.kind() == std::io::ErrorKind::NotFound => {
                dir.create_dir(part).map_err(io)?;
                dir.open_dir_nofollow(part).map_err(io)?
            }
            Err(e) => {
                return Err(if is_link(&dir, part) {
                    NoFollowError::Link {
                        path: walked.display().to_string(),
                    }
                } else {
                    io(e)
                });
            }
        };
    }
    Ok(dir)
}

/// The directory holding `rel` (opened as [`open_dirs`] does) and the file's name.
pub fn parent_of<'a>(
    root: &Dir,
    rel: &'a str,
    create: bool,
) -> Result<(Dir, &'a str), NoFollowError> {
    let parts = components(rel)?;
    let (name, parents) = parts
        .split_last()
        .ok_or_else(|| NoFollowError::Escapes(rel.into()))?;
    Ok((open_dirs(root, parents, create, Path::new(""))?, name))
}

/// Reads the file `rel` below `root`; a link anywhere on the way is refused.
pub fn read(root: &Path, rel: &str) -> Result<Vec<u8>, NoFollowError> {
    let (dir, name) = parent_of(&open_root(root)?, rel, false)?;
    read_in(&dir, name, Path::new(rel))
}

/// Reads the file `name` in `dir` without following a link.
pub fn read_in(dir: &Dir, name: &str, shown: &Path) -> Result<Vec<u8>, NoFollowError> {
    if is_link(dir, name) {
        return Err(NoFollowError::Link {
            path: shown.display().to_string(),
        });
    }
    let mut options = OpenOptions::new();
    options.read(true).follow(FollowSymlinks::No);
    let mut content = Vec::new();
    dir.open_with(name, &options)
        .and_then(|mut file| file.read_to_end(&mut content))
        .map_err(|source| NoFollowError::Io {
            path: shown.display().to_string(),
            source,
        })?;
    Ok(content)
}

/// Writes `content` at `rel` below `root` (creating directories on the
/// way), replacing the file, never following a link.
pub fn write(root: &Path, rel: &str, content: &[u8], mode: u32) -> Result<(), NoFollowError> {
    let (dir, name) = parent_of(&open_root(root)?, rel, true)?;
    write_in(&dir, name, content, mode, Path::new(rel))
}

/// Replaces the file `name` in `dir` with `content` (mode `mode`): written
/// to a fresh temporary name, then renamed over; a link there is refused.
pub fn write_in(
    dir: &Dir,
    name: &str,
    content: &[u8],
    mode: u32,
    shown: &Path,
) -> Result<(), NoFollowError> {
    if is_link(dir, name) {
        return Err(NoFollowError::Link {
            path: shown.display().to_string(),
        });
    }
    let temp = format!(".{name}.ao-{}", std::process::id());
    let _ = dir.remove_file(&temp);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    let written = (|| {
        let mut file = dir.open_with(&temp, &options)?;
        file.write_all(content)?;
        file.set_permissions(Permissions::from_mode(mode))?;
        file.sync_all()?;
        dir.rename(&temp, dir, name)
    })();
    if written.is_err() {
        let _ = dir.remove_file(&temp);
    }
    written.map_err(|source| NoFollowError::Io {
        path: shown.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_inside_and_refuses_links_on_the_way() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::fs::write(&victim, "keep me").unwrap();

        write(root.path(), "a/b/file.md", b"one", 0o644).unwrap();
        write(root.path(), "a/b/file.md", b"two", 0o600).unwrap();
        assert_eq!(read(root.path(), "a/b/file.md").unwrap(), b"two");

        // The file itself, then a directory on the way, is a link outside.
        std::os::unix::fs::symlink(&victim, root.path().join("a/link.md")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("out")).unwrap();
        for rel in ["a/link.md", "out/victim"] {
            let read_err = read(root.path(), rel).unwrap_err();
            assert!(matches!(read_err, NoFollowError::Link { .. }), "{read_err}");
            let write_err = write(root.path(), rel, b"evil", 0o644).unwrap_err();
            assert!(
                matches!(write_err, NoFollowError::Link { .. }),
                "{write_err}"
            );
        }
        assert!(
            read(root.path(), "out/victim")
                .unwrap_err()
                .to_string()
                .contains("`out`")
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");

        for bad in ["../x", "/etc/passwd", "a/../../x"] {
            assert!(matches!(
                read(root.path(), bad),
                Err(NoFollowError::Escapes(_))
            ));
        }
        assert!(read(root.path(), "missing.md").unwrap_err().is_not_found());
    }
}
