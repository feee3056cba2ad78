//! From PR facts to a session status and the reaction it triggers: pure
//! rules, so they are tested without git, CI or GitHub.

use crate::facts::{Ci, PrFacts, PrState, ReviewDecision, comments_fingerprint};
use ao_sessions::reconcile::Activity;

/// The session status a PR implies, and the reaction (with the
/// fingerprint identifying this occurrence) it triggers, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: &'static str,
    pub reaction: Option<(&'static str, String)>,
}

/// Precedence: merged and closed end everything; then what needs the
/// agent (failing CI, conflicts, requested changes); then what needs a
/// person (ready to merge); then waiting (CI running, review pending).
/// Bots' unresolved remarks go to the agent unless the PR is ready to merge
/// (a person approved it as it is).
pub fn verdict(pr: &PrFacts) -> Verdict {
    let head = pr.head.clone().unwrap_or_default();
    let status = match pr.state {
        PrState::Merged => "merged",
        PrState::Closed => "closed",
        PrState::Open if pr.ci == Ci::Failing => "ci_failed",
        PrState::Open if pr.has_conflicts => "merge_conflicts",
        PrState::Open if pr.review == ReviewDecision::ChangesRequested => "changes_requested",
        PrState::Open
            if pr.review == ReviewDecision::Approved && matches!(pr.ci, Ci::Passing | Ci::None) =>
        {
            "mergeable"
        }
        PrState::Open if pr.review == ReviewDecision::Approved => "approved",
        PrState::Open if pr.ci == Ci::Pending => "pr_open",
        PrState::Open => "review_pending",
    };
    let reaction = match status {
        "merged" => Some(("pr-merged", format!("merged:{}", pr.number))),
        "closed" => Some(("pr-closed", format!("closed:{}", pr.number))),
        "ci_failed" => Some(("ci-failed", format!("ci:{head}"))),
        "merge_conflicts" => Some(("merge-conflicts", format!("conflicts:{head}"))),
        "changes_requested" => Some((
            "changes-requested",
            format!("review:{}", comments_fingerprint(&pr.comments)),
        )),
        "mergeable" => Some(("approved-and-green", format!("green:{head}"))),
        _ if !pr.bot_comments.is_empty() => Some((
            "bot-comments",
            format!("bots:{}", comments_fingerprint(&pr.bot_comments)),
        )),
        _ => None,
    };
    Verdict { status, reaction }
}

/// The reason a PR gives for a status: `pr_ci_failed`, `pr_open` (not `pr_pr_open`).
fn pr_reason(pr_status: &str) -> String {
    if pr_status.starts_with("pr_") {
        pr_status.to_string()
    } else {
        format!("pr_{pr_status}")
    }
}

/// A fresh report from the agent itself counts for this long.
pub const REPORT_FRESH_MS: i64 = 5 * 60_000;

/// What is known of a session's agent this cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentFacts {
    /// Its runtime (tmux pane, process) is there.
    pub alive: bool,
    /// What ao concluded, and since when (ms).
    pub activity: Option<Activity>,
    pub activity_at: Option<i64>,
    /// What the agent itself last reported, and when (ms).
    pub reported: Option<(Activity, i64)>,
}

/// A session's status and the reason for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStatus {
    pub status: String,
    pub reason: String,
}

/// The status of a live session, by precedence: a merged or closed PR (final
/// facts); the runtime gone; the agent waiting for a person or exited; what
/// the PR says (`pr_status`, from [`verdict`]); a fresh report of the agent;
/// idle past `stuck_after` (stuck); idle; working.
pub fn session_status(
    agent: &AgentFacts,
    pr_status: Option<&str>,
    stuck_after_ms: i64,
    now_ms: i64,
) -> SessionStatus {
    let status = |status: &str, reason: &str| SessionStatus {
        status: status.to_string(),
        reason: reason.to_string(),
    };
    if let Some(pr @ ("merged" | "closed")) = pr_status {
        return status(pr, &pr_reason(pr));
    }
    if !agent.alive {
        return status("exited", "runtime_lost");
    }
    match agent.activity {
        Some(Activity::WaitingInput) => return status("needs_input", "awaiting_user_input"),
        Some(Activity::Blocked) => return status("needs_input", "agent_blocked"),
        Some(Activity::Exited) => return status("exited", "agent_process_exited"),
        _ => {}
    }
    if let Some(pr) = pr_status {
        return status(pr, &pr_reason(pr));
    }
    match agent.reported {
        Some((reported, at)) if now_ms - at <= REPORT_FRESH_MS => match reported {
            Activity::Active => return status("working", "agent_reported_working"),
            Activity::WaitingInput | Activity::Blocked => {
                return status("needs_input", "agent_reported_needs_input");
            }
            _ => {}
        },
        _ => {}
    }
    match (agent.activity, agent.activity_at) {
        (Some(Activity::Ready | Activity::Idle), Some(since))
            if now_ms - since >= stuck_after_ms =>
        {
            status("stuck", "idle_past_threshold")
        }
        (Some(Activity::Ready | Activity::Idle), _) => status("idle", "agent_idle"),
        _ => status("working", "task_in_progress"),
    }
}

/// The message that wakes the agent for a reaction.
pub fn message_for_agent(reaction: &str, pr: &PrFacts, preface: Option<&str>) -> String {
    let mut text = String::new();
    if let Some(p) = preface {
        text.push_str(p.trim());
        text.push_str("\n\n");
    }
    match reaction {
        "ci-failed" => {
            text.push_str(&format!("CI failed on your pull request #{}.", pr.number));
            if !pr.failing_checks.is_empty() {
                text.push_str(&format!(" Failing: {}.", pr.failing_checks.join(", ")));
            }
            if let Some(log) = &pr.ci_log_tail {
                text.push_str(&format!("\nThe end of the log:\n{}", log.trim_end()));
            }
            text.push_str("\nFix it, commit, and push.");
        }
        "changes-requested" => {
            text.push_str(&format!("A reviewer asked for changes on pull request #{}:", pr.number));
            for c in &pr.comments {
                text.push_str(&format!("\n- {}", c.text));
            }
            text.push_str("\nAddress each point, commit, and push.");
        }
        "bot-comments" => {
            text.push_str(&format!(
                "Automated reviewers left unresolved comments on pull request #{}:",
                pr.number
            ));
            for c in &pr.bot_comments {
                text.push_str(&format!("\n- {}", c.text));
            }
            text.push_str("\nFix what is right, explain what is not, commit, and push.");
        }
        "merge-conflicts" => text.push_str(&format!(
            "Pull request #{} has merge conflicts with the default branch. Rebase or merge it, resolve them, and push.",
            pr.number
        )),
        other => text.push_str(&format!("ao: {other} on pull request #{}.", pr.number)),
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Comment;

    fn pr() -> PrFacts {
        PrFacts {
            number: 7,
            url: "local:web#7".into(),
            state: PrState::Open,
            head: Some("abc".into()),
            ci: Ci::Pending,
            failing_checks: vec![],
            ci_log_tail: None,
            review: ReviewDecision::None,
            comments: vec![],
            bot_comments: vec![],
            has_conflicts: false,
        }
    }

    fn comment(id: &str, text: &str) -> Comment {
        Comment {
            id: id.into(),
            text: text.into(),
        }
    }

    #[test]
    fn bots_remarks_go_to_the_agent_once_per_set_unless_the_pr_is_ready() {
        let mut p = pr();
        p.bot_comments = vec![comment("c1", "lint[bot]: unused import")];
        let first = verdict(&p);
        assert_eq!(first.status, "pr_open");
        assert_eq!(first.reaction, Some(("bot-comments", "bots:c1".into())));
        p.bot_comments[0].text = "lint[bot]: unused import (edited)".into();
        assert_eq!(verdict(&p), first, "the same comment is the same trigger");
        p.bot_comments
            .push(comment("c2", "cov[bot]: coverage dropped"));
        assert_ne!(verdict(&p), first);
        let m = message_for_agent("bot-comments", &p, None);
        assert!(m.contains("- cov[bot]: coverage dropped"), "{m}");
        p.ci = Ci::Passing;
        p.review = ReviewDecision::Approved;
        assert_eq!(
            verdict(&p).reaction.map(|r| r.0),
            Some("approved-and-green"),
            "a person approved it as it is"
        );
    }

    const MIN: i64 = 60_000;

    fn agent(activity: Activity, since: i64) -> AgentFacts {
        AgentFacts {
            alive: true,
            activity: Some(activity),
            activity_at: Some(since),
            reported: None,
        }
    }

    #[test]
    fn the_status_follows_the_precedence_of_its_sources() {
        let now = 100 * MIN;
        let stuck_after = 10 * MIN;
        let status =
            |a: &AgentFacts, pr: Option<&str>| session_status(a, pr, stuck_after, now).status;
        let working = agent(Activity::Active, now - MIN);
        assert_eq!(status(&working, None), "working");
        assert_eq!(
            status(&working, Some("ci_failed")),
            "ci_failed",
            "the PR over a busy agent"
        );
        assert_eq!(
            session_status(&working, Some("pr_open"), stuck_after, now).reason,
            "pr_open"
        );
        let waiting = agent(Activity::WaitingInput, now - MIN);
        assert_eq!(
            status(&waiting, Some("ci_failed")),
            "needs_input",
            "a person first"
        );
        assert_eq!(
            status(&waiting, Some("merged")),
            "merged",
            "a merge is final"
        );
        let dead = AgentFacts {
            alive: false,
            ..working
        };
        assert_eq!(
            session_status(&dead, Some("review_pending"), stuck_after, now),
            SessionStatus {
                status: "exited".into(),
                reason: "runtime_lost".into()
            }
        );
        let idle = agent(Activity::Idle, now - 9 * MIN);
        assert_eq!(status(&idle, None), "idle");
        let long_idle = agent(Activity::Idle, now - 10 * MIN);
        assert_eq!(status(&long_idle, None), "stuck");
        assert_eq!(
            status(&long_idle, Some("review_pending")),
            "review_pending",
            "waiting on people is not stuck"
        );
        let reported = AgentFacts {
            reported: Some((Activity::Active, now - MIN)),
            ..long_idle
        };
        assert_eq!(
            status(&reported, None),
            "working",
            "a fresh report outranks idleness"
        );
        let stale = AgentFacts {
            reported: Some((Activity::Active, now - 6 * MIN)),
            ..long_idle
        };
        assert_eq!(status(&stale, None), "stuck");
    }

    #[test]
    fn the_pr_decides_the_status_in_order_of_precedence() {
        let mut p = pr();
        assert_eq!(verdict(&p).status, "pr_open");
        p.ci = Ci::Passing;
        assert_eq!(verdict(&p).status, "review_pending");
        p.review = ReviewDecision::Approved;
        assert_eq!(
            verdict(&p),
            Verdict {
                status: "mergeable",
                reaction: Some(("approved-and-green", "green:abc".into()))
            }
        );
        p.review = ReviewDecision::ChangesRequested;
        p.comments = vec![comment("1", "ana: add a test")];
        assert_eq!(verdict(&p).status, "changes_requested");
        p.has_conflicts = true;
        assert_eq!(verdict(&p).status, "merge_conflicts");
        p.ci = Ci::Failing;
        assert_eq!(verdict(&p).reaction, Some(("ci-failed", "ci:abc".into())));
        p.state = PrState::Merged;
        assert_eq!(verdict(&p).status, "merged");
    }

    #[test]
    fn a_new_push_or_new_comments_make_a_new_trigger() {
        let mut p = pr();
        p.ci = Ci::Failing;
        let first = verdict(&p).reaction;
        p.head = Some("def".into());
        assert_ne!(
            verdict(&p).reaction,
            first,
            "CI failing again on a new commit is new"
        );
        let mut p = pr();
        p.review = ReviewDecision::ChangesRequested;
        p.comments = vec![comment("1", "a")];
        let first = verdict(&p).reaction;
        p.comments.push(comment("2", "b"));
        assert_ne!(verdict(&p).reaction, first);
    }

    #[test]
    fn the_agent_is_told_what_failed_and_what_to_do() {
        let mut p = pr();
        p.failing_checks = vec!["ci (local)".into()];
        p.ci_log_tail = Some("test login ... FAILED\n".into());
        let m = message_for_agent("ci-failed", &p, Some("Please keep commits small."));
        assert!(m.starts_with("Please keep commits small."));
        assert!(
            m.contains("#7") && m.contains("ci (local)") && m.contains("test login ... FAILED")
        );
        p.comments = vec![
            comment("1", "ana: add a test"),
            comment("2", "bo: rename x"),
        ];
        let m = message_for_agent("changes-requested", &p, None);
        assert!(m.contains("- ana: add a test\n- bo: rename x"), "{m}");
    }
}
