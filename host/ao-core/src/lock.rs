//! Cross-process locks: an OS lock on a file under the data directory's
//! `locks/`. The kernel releases it when its holder dies, so a process
//! killed while holding one never leaves it stuck.

use crate::private_fs;
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A held exclusive lock; released on drop (or when the process dies).
#[derive(Debug)]
pub struct FileLock {
    _file: File,
    path: PathBuf,
}

/// Why a lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{path}: still held by another ao process after {waited_s} s")]
    Timeout { path: PathBuf, waited_s: u64 },
    #[error("{path}: cannot lock: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The lock file named `name` in `data_dir`'s `locks/` directory.
pub fn lock_path(data_dir: &Path, name: &str) -> PathBuf {
    data_dir.join("locks").join(format!("{name}.lock"))
}

impl FileLock {
    /// Takes the exclusive lock at `path`, waiting up to `wait` for its holder.
    pub fn exclusive(path: &Path, wait: Duration) -> Result<FileLock, LockError> {
        let io = |source| LockError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent() {
            private_fs::create_dir(parent).map_err(io)?;
        }
        let file = private_fs::open_file(path).map_err(io)?;
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_millis(2);
        loop {
            match file.try_lock() {
                Ok(()) => {
                    return Ok(FileLock {
                        _file: file,
                        path: path.to_path_buf(),
                    });
                }
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(LockError::Timeout {
                        path: path.to_path_buf(),
                        waited_s: wait.as_secs(),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `text` into the lock file: what its holder is in the middle
    /// of, for the next holder to read should this one die.
    pub fn note(&self, text: &str) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        self._file.set_len(0)?;
        self._file.write_all_at(text.as_bytes(), 0)
    }

    /// What the previous holder noted (empty: nothing left half-done).
    pub fn noted(&self) -> String {
        use std::os::unix::fs::FileExt;
        let mut buf = vec![0u8; 256];
        let n = self._file.read_at(&mut buf, 0).unwrap_or(0);
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_then_times_out() {
        let tmp = tempfile::tempdir().unwrap();
        let path = lock_path(tmp.path(), "x");
        let held = FileLock::exclusive(&path, Duration::ZERO).unwrap();
        let err = FileLock::exclusive(&path, Duration::from_millis(50)).unwrap_err();
        assert!(matches!(err, LockError::Timeout { .. }), "{err}");
        held.note("typed").unwrap();
        drop(held);
        let next = FileLock::exclusive(&path, Duration::ZERO).unwrap();
        assert_eq!(next.noted(), "typed", "the next holder reads the note");
        next.note("").unwrap();
        assert_eq!(next.noted(), "");
    }
}
