//! The session's record that ao's bridge (`ao-bridge.js`, an OpenCode
//! plugin) appends in the workspace: one JSON object a line, each naming
//! the OpenCode session it is about —
//! `session` {title, cost, tokens}, `status` {status: busy|idle|retry},
//! `idle`, `permission` {permission, patterns}, `replied` {reply}. (Not the
//! user's `message.updated`: OpenCode sends it again after a turn ends.)

use ao_plugin_sdk::*;
use serde_json::Value;

/// Where the bridge writes, relative to the workspace.
pub const FILE: &str = ".ao-opencode/events.jsonl";

/// OpenCode's placeholder title, before its title request is answered.
const PLACEHOLDER_TITLE: &str = "New session - ";

fn records(tail: &str) -> Vec<Value> {
    tail.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect()
}

fn kind(record: &Value) -> &str {
    record.get("type").and_then(Value::as_str).unwrap_or("")
}

fn text<'a>(record: &'a Value, key: &str) -> Option<&'a str> {
    record.get(key).and_then(Value::as_str)
}

/// What the newest state record says.
pub fn activity(tail: &str) -> Option<ActivityReport> {
    let records = records(tail);
    let last = records
        .iter()
        .rev()
        .find(|r| matches!(kind(r), "status" | "idle" | "permission" | "replied"))?;
    let report = match kind(last) {
        "status" if text(last, "status") == Some("idle") => ActivityReport::of(Activity::Ready),
        "idle" => ActivityReport::of(Activity::Ready),
        "permission" => ActivityReport::with_detail(
            Activity::WaitingInput,
            format!(
                "asks to use {}",
                text(last, "permission").unwrap_or("a tool")
            ),
        ),
        // busy, retry, an answered question: working.
        _ => ActivityReport::of(Activity::Active),
    };
    Some(ActivityReport {
        since: last.get("at").and_then(Value::as_i64),
        ..report
    })
}

/// The OpenCode session id (the newest named), its title and cost.
pub fn session_info(tail: &str) -> Option<SessionInfo> {
    let records = records(tail);
    let id = records.iter().rev().find_map(|r| text(r, "sessionID"))?;
    let newest = records
        .iter()
        .rev()
        .find(|r| kind(r) == "session" && text(r, "sessionID") == Some(id));
    let title = newest
        .and_then(|r| text(r, "title"))
        .filter(|t| !t.starts_with(PLACEHOLDER_TITLE) && !t.trim().is_empty());
    let cost = newest.and_then(cost);
    Some(SessionInfo {
        summary: title.map(str::to_string),
        summary_is_fallback: false,
        agent_session_id: Some(id.to_string()),
        cost,
    })
}

/// OpenCode's own account of the session: dollars and tokens.
fn cost(session: &Value) -> Option<Cost> {
    let usd = session.get("cost").and_then(Value::as_f64)?;
    let tokens = session.get("tokens");
    let n = |path: &str| {
        tokens
            .and_then(|t| t.pointer(path))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let input = n("/input") + n("/cache/read") + n("/cache/write");
    let output = n("/output") + n("/reasoning");
    (usd > 0.0 || input + output > 0).then(|| Cost {
        input_tokens: input.min(u64::from(u32::MAX)) as u32,
        output_tokens: output.min(u64::from(u32::MAX)) as u32,
        estimated_cost_usd: usd,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(v: Value) -> String {
        format!("{v}\n")
    }

    #[test]
    fn states_follow_the_newest_record() {
        let s = |v: Value| line(v);
        let created = s(
            serde_json::json!({"type": "session", "sessionID": "ses_1", "title": "New session - 2026-12-05T12:00:00.000Z", "cost": 0}),
        );
        assert!(activity(&created).is_none());
        let busy = created.clone()
            + &s(
                serde_json::json!({"type": "status", "sessionID": "ses_1", "status": "retry", "at": 5}),
            )
            + &s(serde_json::json!({"type": "status", "sessionID": "ses_1", "status": "busy"}));
        assert_eq!(activity(&busy).unwrap().state, Activity::Active);
        let asks = busy.clone()
            + &s(
                serde_json::json!({"type": "permission", "sessionID": "ses_1", "permission": "bash"}),
            );
        let report = activity(&asks).unwrap();
        assert_eq!(report.state, Activity::WaitingInput);
        assert_eq!(report.detail.as_deref(), Some("asks to use bash"));
        let replied = asks
            + &s(serde_json::json!({"type": "replied", "sessionID": "ses_1", "reply": "once"}));
        assert_eq!(activity(&replied).unwrap().state, Activity::Active);
        let done = replied
            + &s(serde_json::json!({"type": "status", "sessionID": "ses_1", "status": "idle"}))
            + &s(serde_json::json!({"type": "idle", "sessionID": "ses_1", "at": 9}));
        let report = activity(&done).unwrap();
        assert_eq!((report.state, report.since), (Activity::Ready, Some(9)));
    }

    #[test]
    fn the_session_id_title_and_cost() {
        let tail = line(
            serde_json::json!({"type": "session", "sessionID": "ses_1", "title": "New session - 2026-12-05T12:00:00.000Z", "cost": 0}),
        );
        let info = session_info(&tail).unwrap();
        assert_eq!(info.agent_session_id.as_deref(), Some("ses_1"));
        assert!(info.summary.is_none() && info.cost.is_none());
        let tail = tail
            + &line(
                serde_json::json!({"type": "session", "sessionID": "ses_1", "title": "Add hello.txt",
                "cost": 0.0123, "tokens": {"input": 100, "output": 20, "reasoning": 0, "cache": {"read": 50, "write": 0}}}),
            );
        let info = session_info(&tail).unwrap();
        assert_eq!(info.summary.as_deref(), Some("Add hello.txt"));
        let cost = info.cost.unwrap();
        assert_eq!((cost.input_tokens, cost.output_tokens), (150, 20));
        assert_eq!(cost.estimated_cost_usd, 0.0123);
        assert!(session_info("not json\n").is_none());
    }
}
