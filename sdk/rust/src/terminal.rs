//! Reading an agent's screen: the helpers every agent plugin's
//! `activity_from_terminal` needs.

/// The last `n` non-empty lines of `text`, newest first. Old output further
/// up must not decide the agent's current state.
pub fn last_lines(text: &str, n: usize) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .rev()
        .take(n)
        .collect()
}

/// Whether any of `lines` contains any of `needles`.
pub fn any_contains(lines: &[&str], needles: &[&str]) -> bool {
    lines.iter().any(|l| needles.iter().any(|n| l.contains(n)))
}
