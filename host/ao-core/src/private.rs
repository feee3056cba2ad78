//! Files ao keeps for the user alone (the trust list, the daemon's log and
//! address, the compiled cache): 0600 files in 0700 directories, and never
//! written through a symbolic link. A link planted where ao writes is
//! refused with an error naming it, instead of being followed to a file
//! somewhere else.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

const FILE_MODE: u32 = 0o600;
const DIR_MODE: u32 = 0o700;

fn nofollow() -> i32 {
    rustix::fs::OFlags::NOFOLLOW.bits() as i32
}

/// Creates `dir` (and its parents) and makes `dir` itself 0700. A link in
/// its place is refused.
pub fn ensure_dir(dir: &Path) -> io::Result<()> {
    if let Ok(meta) = fs::symlink_metadata(dir)
        && meta.file_type().is_symlink()
    {
        return Err(link_refused(dir));
    }
    fs::create_dir_all(dir)?;
    let meta = fs::symlink_metadata(dir)?;
    if meta.permissions().mode() & 0o777 != DIR_MODE {
        fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))?;
    }
    Ok(())
}

/// Makes an existing file 0600 (no-op when missing); a link is left alone.
pub fn restrict_file(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o777 != FILE_MODE => {
            fs::set_permissions(path, fs::Permissions::from_mode(FILE_MODE))
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Replaces `path` with `bytes` atomically: a fresh 0600 file next to it,
/// renamed over it (a rename replaces a link, it never writes through it).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other(format!("{} has no directory", path.display())))?;
    ensure_dir(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let _ = fs::remove_file(&tmp);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .custom_flags(nofollow())
        .open(&tmp)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    fs::rename(&tmp, path)
}

/// Opens `path` for appending (created 0600); a link there is refused.
pub fn open_append(path: &Path) -> io::Result<File> {
    open(path, OpenOptions::new().append(true).create(true))
}

/// Opens `path` for writing from empty (created 0600); a link there is refused.
pub fn create(path: &Path) -> io::Result<File> {
    open(
        path,
        OpenOptions::new().write(true).create(true).truncate(true),
    )
}

/// Opens `path` for reading and writing without truncating (a lock file).
pub fn open_rw(path: &Path) -> io::Result<File> {
    open(
        path,
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
    )
}

fn open(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    if let Some(dir) = path.parent() {
        ensure_dir(dir)?;
    }
    let file = options
        .mode(FILE_MODE)
        .custom_flags(nofollow())
        .open(path)
        .map_err(|e| {
            if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
                link_refused(path)
            } else {
                e
            }
        })?;
    // Made by an older ao with a wider mode: narrow it.
    if file.metadata()?.permissions().mode() & 0o777 != FILE_MODE {
        file.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
    }
    Ok(file)
}

fn link_refused(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} is a symbolic link; ao does not write through links. Remove it and run the command again",
            path.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_are_private_and_links_are_not_followed() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        let file = dir.join("trust.json");
        write_atomic(&file, b"{}").unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&file), 0o600);

        // A link planted in place of a log is refused, the target untouched.
        let outside = root.path().join("outside");
        fs::write(&outside, "keep").unwrap();
        let log = dir.join("daemon.log");
        std::os::unix::fs::symlink(&outside, &log).unwrap();
        let err = open_append(&log).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(create(&log).is_err());
        assert_eq!(fs::read_to_string(&outside).unwrap(), "keep");

        // An atomic write replaces the link itself.
        let planted = dir.join("daemon.json");
        std::os::unix::fs::symlink(&outside, &planted).unwrap();
        write_atomic(&planted, b"{}").unwrap();
        assert!(
            !fs::symlink_metadata(&planted)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&outside).unwrap(), "keep");

        // A wider file made earlier is narrowed.
        let old = dir.join("old.log");
        fs::write(&old, "x").unwrap();
        fs::set_permissions(&old, fs::Permissions::from_mode(0o644)).unwrap();
        drop(open_append(&old).unwrap());
        assert_eq!(mode(&old), 0o600);
    }
}
