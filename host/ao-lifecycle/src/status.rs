//! From PR facts to a session status and the reaction it triggers: pure
//! rules, so they are tested without git, CI or GitHub.

use crate::facts::{Ci, PrFacts, PrState, ReviewDecision};

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
pub fn verdict(pr: &PrFacts) -> Verdict {
    let head = pr.head.clone().unwrap_or_default();
    let (status, reaction) = match pr.state {
        PrState::Merged => (
            "merged",
            Some(("pr-merged", format!("merged:{}", pr.number))),
        ),
        PrState::Closed => (
            "closed",
            Some(("pr-closed", format!("closed:{}", pr.number))),
        ),
        PrState::Open if pr.ci == Ci::Failing => {
            ("ci_failed", Some(("ci-failed", format!("ci:{head}"))))
        }
        PrState::Open if pr.has_conflicts => (
            "merge_conflicts",
            Some(("merge-conflicts", format!("conflicts:{head}"))),
        ),
        PrState::Open if pr.review == ReviewDecision::ChangesRequested => (
            "changes_requested",
            Some((
                "changes-requested",
                format!("review:{}", pr.comments.join("\u{1f}")),
            )),
        ),
        PrState::Open
            if pr.review == ReviewDecision::Approved && matches!(pr.ci, Ci::Passing | Ci::None) =>
        {
            (
                "mergeable",
                Some(("approved-and-green", format!("green:{head}"))),
            )
        }
        PrState::Open if pr.review == ReviewDecision::Approved => ("approved", None),
        PrState::Open if pr.ci == Ci::Pending => ("pr_open", None),
        PrState::Open => ("review_pending", None),
    };
    Verdict { status, reaction }
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
                text.push_str(&format!("\n- {c}"));
            }
            text.push_str("\nAddress each point, commit, and push.");
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
            has_conflicts: false,
        }
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
        p.comments = vec!["ana: add a test".into()];
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
        p.comments = vec!["a".into()];
        let first = verdict(&p).reaction;
        p.comments.push("b".into());
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
        p.comments = vec!["ana: add a test".into(), "bo: rename x".into()];
        let m = message_for_agent("changes-requested", &p, None);
        assert!(m.contains("- ana: add a test\n- bo: rename x"), "{m}");
    }
}
