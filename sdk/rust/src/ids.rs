//! Agent session ids that ao chooses itself, for CLIs that take one
//! (`--session-id <uuid>`): the transcript's name is known before the agent
//! starts, two sessions can never read each other's, and a restore finds
//! the same session again.

/// A version-4-shaped UUID from `seed` (two FNV-1a hashes with different
/// offsets make the 128 bits; version and variant bits set as RFC 9562 says).
pub fn uuid_from(seed: &str) -> String {
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

/// The agent session id for ao's session `session_id` working in
/// `workspace` (together unique on a machine: workspaces live under ao's
/// data directory).
pub fn agent_session_uuid(workspace: &str, session_id: &str) -> String {
    uuid_from(&format!("ao:{workspace}:{session_id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_distinct_and_uuid_shaped() {
        let a = agent_session_uuid("/data/worktrees/web/web-1", "web-1");
        assert_eq!(a, agent_session_uuid("/data/worktrees/web/web-1", "web-1"));
        assert_ne!(a, agent_session_uuid("/data/worktrees/web/web-2", "web-2"));
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"));
    }
}
