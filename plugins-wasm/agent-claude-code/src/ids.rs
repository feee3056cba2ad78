//! The Claude Code session id ao chooses for a session, so the transcript's
//! file name (`<id>.jsonl`) is known before the agent starts and two
//! sessions can never read each other's transcript.
//!
//! Derived from the workspace path and ao's session id, which together are
//! unique on a machine (workspaces live under ao's data directory): the
//! same session always gets the same id, so a restore finds it again.

/// A version-4-shaped UUID from `seed` (two FNV-1a hashes with different
/// offsets make the 128 bits; version and variant bits set as RFC 9562 says).
pub fn session_uuid(seed: &str) -> String {
    let hash = |offset: u64| {
        seed.bytes().fold(offset, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let (hi, lo) = (hash(0xcbf2_9ce4_8422_2325), hash(0x6c62_272e_07bb_0142));
    let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

/// The session id for ao's session `session_id` working in `workspace`.
pub fn for_session(workspace: &str, session_id: &str) -> String {
    session_uuid(&format!("ao:{workspace}:{session_id}"))
}

/// The directory name Claude Code keeps a workspace's transcripts under:
/// the absolute path with every character but letters and digits as `-`.
pub fn project_dir(workspace: &str) -> String {
    workspace
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_distinct_and_uuid_shaped() {
        let a = for_session("/data/worktrees/web/web-1", "web-1");
        assert_eq!(a, for_session("/data/worktrees/web/web-1", "web-1"));
        assert_ne!(a, for_session("/data/worktrees/web/web-2", "web-2"));
        assert_ne!(a, for_session("/other/worktrees/web/web-1", "web-1"));
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn project_dirs_replace_everything_but_letters_and_digits() {
        assert_eq!(
            project_dir("/tmp/.tmpAb_1/worktrees/web/web-1"),
            "-tmp--tmpAb-1-worktrees-web-web-1"
        );
    }
}
