//! What the PR loop knows about one pull request, whoever reported it (the
//! local SCM or a plugin such as GitHub): the same few facts either way.

/// A PR's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrState {
    Open,
    Merged,
    Closed,
}

/// CI over the PR's head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ci {
    /// Queued or running.
    Pending,
    Passing,
    Failing,
    /// No CI configured or reported.
    None,
}

/// The review decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewDecision {
    Approved,
    ChangesRequested,
    Pending,
    None,
}

/// Everything the loop needs about one PR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrFacts {
    pub number: i64,
    pub url: String,
    pub state: PrState,
    /// The head commit (a new one means the agent pushed).
    pub head: Option<String>,
    pub ci: Ci,
    /// Names (and where to look) of failing checks.
    pub failing_checks: Vec<String>,
    /// The end of the failing CI log, when the SCM has it (local CI).
    pub ci_log_tail: Option<String>,
    pub review: ReviewDecision,
    /// Unresolved review comments by people.
    pub comments: Vec<Comment>,
    /// Unresolved comments by bots (linters, AI reviewers, coverage).
    pub bot_comments: Vec<Comment>,
    pub has_conflicts: bool,
}

/// One unresolved review comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Stable across polls (the SCM's comment id), so each set of comments
    /// is sent to the agent once.
    pub id: String,
    /// "author (path:line): text", as the agent is shown it.
    pub text: String,
}

/// A fingerprint of a set of comments: their ids (their text when an SCM
/// gives none).
pub fn comments_fingerprint(comments: &[Comment]) -> String {
    comments
        .iter()
        .map(|c| if c.id.is_empty() { &c.text } else { &c.id })
        .cloned()
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

impl PrState {
    pub fn as_str(self) -> &'static str {
        match self {
            PrState::Open => "open",
            PrState::Merged => "merged",
            PrState::Closed => "closed",
        }
    }
}

impl Ci {
    pub fn as_str(self) -> &'static str {
        match self {
            Ci::Pending => "pending",
            Ci::Passing => "passing",
            Ci::Failing => "failing",
            Ci::None => "none",
        }
    }
}

impl ReviewDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewDecision::Approved => "approved",
            ReviewDecision::ChangesRequested => "changes_requested",
            ReviewDecision::Pending => "pending",
            ReviewDecision::None => "none",
        }
    }
}
