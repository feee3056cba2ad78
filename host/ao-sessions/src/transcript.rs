//! Reading an agent's transcript for its plugin. The plugin names paths;
//! the host reads only those inside the directories the plugin was granted
//! (or the session's workspace), and only the tail. Each granted directory
//! is opened as a cap-std `Dir`, so `..` or a symlink cannot lead a read
//! outside it.

use cap_std::ambient_authority;
use cap_std::fs::{Dir, Metadata};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// How much of the end of a transcript a plugin sees.
pub const TAIL_BYTES: u64 = 64 * 1024;

/// The end of a transcript and when it was last written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    pub path: PathBuf,
    pub text: String,
    pub modified_ms: i64,
}

/// The tail of the first readable path: a directory stands for its most
/// recently written file. Paths outside `allowed` are skipped.
pub fn read_tail(paths: &[String], allowed: &[PathBuf], home: Option<&Path>) -> Option<Tail> {
    for raw in paths {
        let Some(path) = expand(raw, home) else {
            continue;
        };
        let inside = allowed.iter().find_map(|root| {
            let rel = path.strip_prefix(root).ok()?;
            let dir = Dir::open_ambient_dir(root, ambient_authority()).ok()?;
            Some((dir, root.clone(), rel.to_path_buf()))
        });
        let Some((dir, root, rel)) = inside else {
            tracing::debug!(
                "transcript {} is outside the plugin's grant",
                path.display()
            );
            continue;
        };
        if let Some(tail) = tail_in(&dir, &rel).map(|(file, text, modified_ms)| Tail {
            path: root.join(file),
            text,
            modified_ms,
        }) {
            return Some(tail);
        }
    }
    None
}

/// The files a plugin's transcript paths stand for, newest first: a file is
/// itself, a directory its files written since `since_ms` (at most `limit`).
/// Paths outside `allowed` are skipped. For a plugin whose transcript lives
/// in a directory that many sessions share (Codex: one per day), the host
/// asks the plugin which of these is the session's own, and keeps it.
pub fn candidates(
    paths: &[String],
    allowed: &[PathBuf],
    home: Option<&Path>,
    since_ms: i64,
    limit: usize,
) -> Vec<String> {
    let mut found: Vec<(i64, PathBuf)> = Vec::new();
    for raw in paths {
        let Some(path) = expand(raw, home) else {
            continue;
        };
        let Some((dir, root, rel)) = allowed.iter().find_map(|root| {
            let rel = path.strip_prefix(root).ok()?.to_path_buf();
            Some((
                Dir::open_ambient_dir(root, ambient_authority()).ok()?,
                root,
                rel,
            ))
        }) else {
            continue;
        };
        let rel = if rel.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            rel
        };
        let Ok(meta) = dir.metadata(&rel) else {
            continue;
        };
        if !meta.is_dir() {
            found.push((modified_ms(&meta).unwrap_or(0), root.join(&rel)));
            continue;
        }
        let Ok(entries) = dir.read_dir(&rel) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let Ok(meta) = entry.metadata() else { continue };
            let modified = modified_ms(&meta).unwrap_or(0);
            if meta.is_file() && modified >= since_ms {
                found.push((modified, root.join(&rel).join(entry.file_name())));
            }
        }
    }
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    found.truncate(limit);
    found
        .into_iter()
        .map(|(_, p)| p.display().to_string())
        .collect()
}

fn expand(raw: &str, home: Option<&Path>) -> Option<PathBuf> {
    match raw.strip_prefix('~') {
        Some(rest) => Some(home?.join(rest.trim_start_matches('/'))),
        None => Some(PathBuf::from(raw)),
    }
}

fn modified_ms(meta: &Metadata) -> Option<i64> {
    let modified = meta.modified().ok()?.into_std();
    Some(modified.duration_since(UNIX_EPOCH).ok()?.as_millis() as i64)
}

/// The tail of `rel` inside `dir` (its newest file, if a directory).
fn tail_in(dir: &Dir, rel: &Path) -> Option<(PathBuf, String, i64)> {
    let rel = if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    };
    let meta = dir.metadata(rel).ok()?;
    let file = if meta.is_dir() {
        let newest = dir
            .read_dir(rel)
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let meta = entry.metadata().ok()?;
                meta.is_file()
                    .then(|| (modified_ms(&meta).unwrap_or(0), entry.file_name()))
            })
            .max()?;
        rel.join(newest.1)
    } else {
        rel.to_path_buf()
    };
    let mut handle = dir.open(&file).ok()?;
    let meta = handle.metadata().ok()?;
    let start = meta.len().saturating_sub(TAIL_BYTES);
    handle.seek(SeekFrom::Start(start)).ok()?;
    let mut bytes = Vec::new();
    handle.read_to_end(&mut bytes).ok()?;
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    // Cut a record split by the window, so the plugin sees whole lines.
    if start > 0
        && let Some(newline) = text.find('\n')
    {
        text.drain(..=newline);
    }
    Some((file, text, modified_ms(&meta)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_granted_directories_are_read_and_a_directory_means_its_newest_file() {
        let root = tempfile::tempdir().unwrap();
        let granted = root.path().join("projects");
        let secret = root.path().join("secret");
        std::fs::create_dir_all(&granted).unwrap();
        std::fs::create_dir_all(&secret).unwrap();
        std::fs::write(secret.join("key"), "TOKEN").unwrap();
        std::fs::write(granted.join("old.jsonl"), "{\"old\":1}\n").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(granted.join("new.jsonl"), "{\"new\":1}\n").unwrap();

        let allowed = [granted.clone()];
        let escape = format!("{}/../secret/key", granted.display());
        assert_eq!(read_tail(&[escape], &allowed, None), None);
        assert_eq!(
            read_tail(&[secret.join("key").display().to_string()], &allowed, None),
            None
        );

        // A symlink inside the grant that points out of it is not followed out.
        std::os::unix::fs::symlink(secret.join("key"), granted.join("link")).unwrap();
        assert_eq!(
            read_tail(
                &[granted.join("link").display().to_string()],
                &allowed,
                None
            ),
            None
        );
        std::fs::remove_file(granted.join("link")).unwrap();

        let tail = read_tail(&[granted.display().to_string()], &allowed, None).unwrap();
        assert!(tail.path.ends_with("new.jsonl"));
        assert_eq!(tail.text, "{\"new\":1}\n");
        assert!(tail.modified_ms > 0);

        let home_relative = read_tail(
            &["~/projects/old.jsonl".into()],
            &allowed,
            Some(root.path()),
        );
        assert_eq!(home_relative.unwrap().text, "{\"old\":1}\n");
    }

    #[test]
    fn a_long_transcript_is_cut_to_whole_lines_at_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let line = format!("{{\"pad\":\"{}\"}}\n", "x".repeat(100));
        let body: String = (0..2000).map(|_| line.as_str()).collect();
        std::fs::write(
            dir.path().join("t.jsonl"),
            format!("{body}{{\"last\":true}}\n"),
        )
        .unwrap();
        let tail = read_tail(
            &[dir.path().join("t.jsonl").display().to_string()],
            &[dir.path().to_path_buf()],
            None,
        )
        .unwrap();
        assert!(tail.text.len() as u64 <= TAIL_BYTES);
        assert!(
            tail.text.starts_with("{\"pad\""),
            "starts on a record boundary"
        );
        assert!(tail.text.ends_with("{\"last\":true}\n"));
    }
}
