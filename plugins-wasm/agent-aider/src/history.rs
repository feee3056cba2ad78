//! Aider's chat history (markdown, `--chat-history-file`): ao keeps one per
//! session in the workspace, and it is the session's identity — Aider has
//! no session ids; `--restore-chat-history` continues from it. Read for the
//! task (the first `#### ` line) and the cost (`Cost: … $X session.`).

use ao_plugin_sdk::*;

/// Where ao keeps the session's history, relative to the workspace.
pub const DIR: &str = ".aider.ao";
pub const CHAT: &str = ".aider.ao/chat.history.md";
pub const INPUT: &str = ".aider.ao/input.history";

const STARTED: &str = "# aider chat started at";

pub fn session_info(tail: &str) -> Option<SessionInfo> {
    if !tail.contains(STARTED) && !tail.contains("\n#### ") {
        return None;
    }
    let task = tail
        .lines()
        .find_map(|l| l.strip_prefix("#### "))
        .map(|t| t.trim().chars().take(120).collect::<String>());
    let usd = tail.lines().rev().find_map(session_cost);
    let (sent, received) = tail
        .lines()
        .filter_map(tokens)
        .fold((0u64, 0u64), |(s, r), (a, b)| (s + a, r + b));
    Some(SessionInfo {
        summary_is_fallback: task.is_some(),
        summary: task,
        agent_session_id: Some(CHAT.into()),
        cost: usd.map(|usd| Cost {
            input_tokens: sent.min(u64::from(u32::MAX)) as u32,
            output_tokens: received.min(u64::from(u32::MAX)) as u32,
            estimated_cost_usd: usd,
        }),
    })
}

/// `> Tokens: 2.5k sent, 12 received. Cost: $0.01 message, $0.05 session.`
/// → 0.05.
fn session_cost(line: &str) -> Option<f64> {
    let before = line.split(" session.").next()?;
    if before.len() == line.len() {
        return None;
    }
    before.rsplit('$').next()?.trim().parse().ok()
}

/// `Tokens: 2.5k sent, 12 received.` → (2500, 12).
fn tokens(line: &str) -> Option<(u64, u64)> {
    let rest = line.split("Tokens: ").nth(1)?;
    let (sent, rest) = rest.split_once(" sent, ")?;
    let received = rest.split(" received").next()?;
    Some((count(sent)?, count(received)?))
}

fn count(text: &str) -> Option<u64> {
    let text = text.trim().replace(',', "");
    let (number, factor) = match text.strip_suffix('k') {
        Some(n) => (n, 1_000.0),
        None => match text.strip_suffix('M') {
            Some(n) => (n, 1_000_000.0),
            None => (text.as_str(), 1.0),
        },
    };
    Some((number.parse::<f64>().ok()? * factor).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_history() {
        let text = include_str!("../../../tests/fixtures/aider/real-chat-history.md");
        let info = session_info(text).unwrap();
        assert_eq!(info.summary.as_deref(), Some("RUNCMD please"));
        assert_eq!(info.agent_session_id.as_deref(), Some(CHAT));
        // That model had no price: no cost line.
        assert!(info.cost.is_none());
        assert!(session_info("").is_none());
    }

    #[test]
    fn cost_and_tokens() {
        let text = "# aider chat started at 2026-12-05 10:00:00\n\n#### TASK-1 go  \n\nDone.\n\n\
            > Tokens: 2.5k sent, 12 received. Cost: $0.0025 message, $0.0025 session.  \n\n\
            #### next  \n\n> Tokens: 1,200 sent, 8 received. Cost: $0.0012 message, $0.0037 session.  \n";
        let info = session_info(text).unwrap();
        assert_eq!(info.summary.as_deref(), Some("TASK-1 go"));
        let cost = info.cost.unwrap();
        assert_eq!((cost.input_tokens, cost.output_tokens), (3700, 20));
        assert_eq!(cost.estimated_cost_usd, 0.0037);
    }
}
