//! Everything the lifecycle needs about many PRs in one GraphQL query
//! (aliases `pr0…prN` inside one `repository`), and the per-PR calls that
//! read the same facts (review decision, unresolved comments, mergeability).

use crate::api::Api;
use crate::pulls::{check_run_status, commit_status};
use crate::settings::Repo;
use ao_plugin_sdk::{
    CheckStatus, CiCheck, CiSummary, PluginError, PrEnrichment, PrInfo, PrState, ReviewComment,
    ReviewDecision, clock, log,
};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::HashMap;

/// PRs per query: bigger queries risk GitHub's 10 s limit (and cost more than one point).
pub const BATCH: usize = 25;
/// Review threads and comments read per PR.
const THREADS: u32 = 30;
const COMMENTS: u32 = 20;

/// The fields read for every PR.
fn fragment() -> String {
    format!(
        "fragment Enrich on PullRequest {{
  number state isDraft title additions deletions url
  reviewDecision mergeable mergeStateStatus
  latestReviews(first: 20) {{ nodes {{ state author {{ login }} }} }}
  commits(last: 1) {{ nodes {{ commit {{ oid statusCheckRollup {{ state contexts(first: 100) {{ nodes {{
    __typename
    ... on CheckRun {{ name status conclusion detailsUrl startedAt completedAt }}
    ... on StatusContext {{ context state targetUrl createdAt }}
  }} }} }} }} }} }}
  reviewThreads(first: {THREADS}) {{ nodes {{ id isResolved path line
    comments(first: {COMMENTS}) {{ nodes {{ id body createdAt url author {{ __typename login }} }} }}
  }} }}
}}"
    )
}

/// The query for `numbers`, aliased `pr0`, `pr1`, … in order.
pub fn query(numbers: &[u32]) -> String {
    let mut q = String::from(
        "query($owner: String!, $name: String!) {\n  repository(owner: $owner, name: $name) {\n",
    );
    for (i, n) in numbers.iter().enumerate() {
        q.push_str(&format!(
            "    pr{i}: pullRequest(number: {n}) {{ ...Enrich }}\n"
        ));
    }
    q.push_str("  }\n  rateLimit { limit remaining cost resetAt }\n}\n");
    q.push_str(&fragment());
    q
}

thread_local! {
    /// Enrichments of this cycle: (repo, number) → (fetched at, facts).
    static ENRICHED: RefCell<HashMap<(String, u32), (i64, PrEnrichment)>> = RefCell::new(HashMap::new());
}

/// Forgets this cycle's facts about a repository's PRs (after a write).
pub fn invalidate(repo: &Repo) {
    let full = repo.full();
    ENRICHED.with(|e| e.borrow_mut().retain(|(r, _), _| *r != full));
}

fn remembered(api: &Api, repo: &Repo, number: u32) -> Option<PrEnrichment> {
    let now = clock::now_ms();
    ENRICHED.with(|e| {
        e.borrow()
            .get(&(repo.full(), number))
            .filter(|(at, _)| now - at < i64::from(api.settings.cache_ttl_ms))
            .map(|(_, facts)| facts.clone())
    })
}

/// Facts for `numbers` (in that order; PRs GitHub does not know are left out).
pub fn enrich(api: &Api, repo: &Repo, numbers: &[u32]) -> Result<Vec<PrEnrichment>, PluginError> {
    let mut out = Vec::with_capacity(numbers.len());
    for chunk in numbers.chunks(BATCH) {
        let answer = api.graphql(
            &query(chunk),
            json!({ "owner": repo.owner, "name": repo.name }),
        )?;
        let repository = &answer.data["repository"];
        if repository.is_null() {
            return Err(PluginError::NotFound(format!(
                "repository {} (or the token cannot see it)",
                repo.full()
            )));
        }
        let now = clock::now_ms();
        for (i, number) in chunk.iter().enumerate() {
            let alias = format!("pr{i}");
            let node = &repository[&alias];
            if node.is_null() {
                if answer.not_found(&alias) {
                    log::debug(&format!("{}#{number} does not exist", repo.full()));
                }
                continue;
            }
            let facts = enrichment(node, *number);
            ENRICHED.with(|e| {
                e.borrow_mut()
                    .insert((repo.full(), *number), (now, facts.clone()))
            });
            out.push(facts);
        }
    }
    Ok(out)
}

/// One PR's facts: this cycle's if any, else one (single-PR) query.
pub fn enrich_one(api: &Api, repo: &Repo, pr: &PrInfo) -> Result<PrEnrichment, PluginError> {
    if let Some(facts) = remembered(api, repo, pr.number) {
        return Ok(facts);
    }
    enrich(api, repo, &[pr.number])?
        .pop()
        .ok_or_else(|| PluginError::NotFound(format!("PR #{} in {}", pr.number, repo.full())))
}

/// Whether a login or an author object is a bot.
pub fn is_bot(login: &str, typename: Option<&str>) -> bool {
    typename == Some("Bot") || login.ends_with("[bot]")
}

fn checks_of(node: &Value) -> (Vec<CiCheck>, bool) {
    let rollup = &node["commits"]["nodes"][0]["commit"]["statusCheckRollup"];
    if rollup.is_null() {
        return (Vec::new(), false);
    }
    let contexts = rollup["contexts"]["nodes"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let checks = contexts
        .iter()
        .filter_map(|c| match c["__typename"].as_str()? {
            "CheckRun" => {
                let conclusion = c["conclusion"].as_str();
                Some(CiCheck {
                    name: c["name"].as_str().unwrap_or("check").to_string(),
                    status: check_run_status(c["status"].as_str().unwrap_or(""), conclusion),
                    url: c["detailsUrl"].as_str().map(str::to_string),
                    conclusion: conclusion.map(str::to_ascii_lowercase),
                    started_at: ao_plugin_sdk::time::field(c, "startedAt"),
                    completed_at: ao_plugin_sdk::time::field(c, "completedAt"),
                    log_excerpt: None,
                })
            }
            "StatusContext" => {
                let state = c["state"].as_str().unwrap_or("PENDING");
                let status = commit_status(state);
                Some(CiCheck {
                    name: c["context"].as_str().unwrap_or("status").to_string(),
                    status,
                    url: c["targetUrl"].as_str().map(str::to_string),
                    conclusion: (status != CheckStatus::Pending)
                        .then(|| state.to_ascii_lowercase()),
                    started_at: ao_plugin_sdk::time::field(c, "createdAt"),
                    completed_at: None,
                    log_excerpt: None,
                })
            }
            _ => None,
        })
        .collect();
    (checks, true)
}

fn decision_of(node: &Value) -> ReviewDecision {
    match node["reviewDecision"].as_str() {
        Some("APPROVED") => ReviewDecision::Approved,
        Some("CHANGES_REQUESTED") => ReviewDecision::ChangesRequested,
        Some("REVIEW_REQUIRED") => ReviewDecision::Pending,
        // No review is required: read the latest review of each reviewer.
        _ => {
            let latest = node["latestReviews"]["nodes"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            let has = |state: &str| latest.iter().any(|r| r["state"] == state);
            if has("CHANGES_REQUESTED") {
                ReviewDecision::ChangesRequested
            } else if has("APPROVED") {
                ReviewDecision::Approved
            } else {
                ReviewDecision::None
            }
        }
    }
}

fn unresolved_comments(node: &Value) -> Vec<ReviewComment> {
    let threads = node["reviewThreads"]["nodes"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut out = Vec::new();
    for thread in threads.iter().filter(|t| t["isResolved"] != true) {
        let comments = thread["comments"]["nodes"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        for comment in comments {
            let login = comment["author"]["login"].as_str().unwrap_or("ghost");
            out.push(ReviewComment {
                id: comment["id"].as_str().unwrap_or("").to_string(),
                thread_id: thread["id"].as_str().map(str::to_string),
                author: login.to_string(),
                body: comment["body"].as_str().unwrap_or("").to_string(),
                path: thread["path"].as_str().map(str::to_string),
                line: thread["line"].as_u64().and_then(|l| u32::try_from(l).ok()),
                is_resolved: false,
                created_at: ao_plugin_sdk::time::field(comment, "createdAt"),
                url: comment["url"].as_str().unwrap_or("").to_string(),
                is_bot: is_bot(login, comment["author"]["__typename"].as_str()),
            });
        }
    }
    out
}

/// Why a PR cannot merge, in plain words.
pub struct Blockers {
    pub blockers: Vec<String>,
    pub has_conflicts: bool,
    pub is_behind: bool,
    pub mergeable: bool,
}

fn blockers_of(node: &Value, state: PrState, ci: CiSummary, decision: ReviewDecision) -> Blockers {
    let mergeable = node["mergeable"].as_str().unwrap_or("UNKNOWN");
    let merge_state = node["mergeStateStatus"].as_str().unwrap_or("UNKNOWN");
    let has_conflicts = mergeable == "CONFLICTING" || merge_state == "DIRTY";
    let is_behind = merge_state == "BEHIND";
    let mut blockers = Vec::new();
    match state {
        PrState::Merged => blockers.push("already merged".to_string()),
        PrState::Closed => blockers.push("closed".to_string()),
        PrState::Open => {}
    }
    if node["isDraft"] == true {
        blockers.push("draft".into());
    }
    match ci {
        CiSummary::Failing => blockers.push("CI is failing".into()),
        CiSummary::Pending => blockers.push("CI is still running".into()),
        CiSummary::Passing | CiSummary::None => {}
    }
    match decision {
        ReviewDecision::ChangesRequested => blockers.push("changes requested".into()),
        ReviewDecision::Pending => blockers.push("review required".into()),
        ReviewDecision::Approved | ReviewDecision::None => {}
    }
    if has_conflicts {
        blockers.push("merge conflicts".into());
    }
    if is_behind {
        blockers.push("branch is behind its base branch".into());
    }
    if mergeable == "UNKNOWN" && !has_conflicts && state == PrState::Open {
        blockers.push("GitHub is still checking whether it can merge".into());
    }
    if merge_state == "BLOCKED" && blockers.is_empty() {
        blockers.push("blocked by branch protection".into());
    }
    Blockers {
        mergeable: blockers.is_empty(),
        blockers,
        has_conflicts,
        is_behind,
    }
}

/// One PR node of the query as ao's record.
pub fn enrichment(node: &Value, number: u32) -> PrEnrichment {
    let state = match node["state"].as_str() {
        Some("MERGED") => PrState::Merged,
        Some("CLOSED") => PrState::Closed,
        _ => PrState::Open,
    };
    let (ci_checks, _) = checks_of(node);
    let ci = ao_plugin_sdk::summarize_checks(&ci_checks);
    let review_decision = decision_of(node);
    let b = blockers_of(node, state, ci, review_decision);
    let count = |key: &str| node[key].as_u64().unwrap_or(0).min(u64::from(u32::MAX)) as u32;
    PrEnrichment {
        number: node["number"]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(number),
        state,
        title: node["title"].as_str().unwrap_or("").to_string(),
        additions: count("additions"),
        deletions: count("deletions"),
        is_draft: node["isDraft"] == true,
        ci,
        ci_checks,
        review_decision,
        mergeable: b.mergeable,
        has_conflicts: b.has_conflicts,
        is_behind: b.is_behind,
        blockers: b.blockers,
        unresolved_comments: unresolved_comments(node),
    }
}
