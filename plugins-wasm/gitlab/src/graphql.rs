//! Everything the lifecycle needs about many merge requests in one GraphQL
//! query (`project.mergeRequests(iids: …)`), and the per-MR calls that read
//! the same facts (review decision, unresolved threads, mergeability).

use crate::api::Api;
use crate::jobs;
use crate::settings::Repo;
use ao_plugin_sdk::{
    CheckStatus, CiCheck, CiSummary, PluginError, PrEnrichment, PrInfo, PrState, ReviewComment,
    ReviewDecision, clock,
};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::HashMap;

/// MRs per query (GitLab caps query complexity; 25 keeps well under it).
pub const BATCH: usize = 25;

/// The fields read of a discussion, shared by both queries (a macro so
/// `concat!` can join it into each at compile time).
macro_rules! thread_fragment {
    () => {
        "
fragment Thread on Discussion {
  id resolvable resolved notes(first: 20) { nodes {
    id body createdAt url system author { username bot } position { filePath newLine }
  } }
}"
    };
}

/// The query: one project, the MRs by iid, all the facts ao reads.
pub const QUERY: &str = concat!("query Enrich($path: ID!, $iids: [String!]) {
  project(fullPath: $path) {
    mergeRequests(iids: $iids, first: 25) {
      nodes {
        iid title state draft webUrl
        conflicts detailedMergeStatus shouldBeRebased
        diffStatsSummary { additions deletions }
        approved approvedBy { nodes { username } }
        reviewers { nodes { username mergeRequestInteraction { reviewState } } }
        headPipeline { status jobs(first: 100, retried: false) { nodes { id name status webPath startedAt finishedAt allowFailure } } }
        discussions(first: 100) { pageInfo { hasNextPage endCursor } nodes { ...Thread } }
      }
    }
  }
}", thread_fragment!());

/// The rest of one MR's discussions, a page at a time, when a busy MR has
/// more than the first page holds.
pub const MORE_DISCUSSIONS: &str = concat!("query MoreDiscussions($path: ID!, $iid: String!, $after: String) {
  project(fullPath: $path) {
    mergeRequest(iid: $iid) {
      discussions(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { ...Thread } }
    }
  }
}", thread_fragment!());

/// Pages of discussions read per MR at most (100 each).
const MAX_DISCUSSION_PAGES: usize = 10;

/// Facts fetched in this cycle: (project, iid) → (fetched at, facts).
type Enriched = HashMap<(String, u32), (i64, PrEnrichment)>;

thread_local! {
    static ENRICHED: RefCell<Enriched> = RefCell::new(HashMap::new());
}

/// Forgets this cycle's facts about a project's MRs (after a write).
pub fn invalidate(repo: &Repo) {
    ENRICHED.with(|e| e.borrow_mut().retain(|(path, _), _| *path != repo.path));
}

fn remembered(api: &Api, repo: &Repo, iid: u32) -> Option<PrEnrichment> {
    let now = clock::now_ms();
    ENRICHED.with(|e| {
        e.borrow()
            .get(&(repo.path.clone(), iid))
            .filter(|(at, _)| now - at < i64::from(api.settings.cache_ttl_ms))
            .map(|(_, facts)| facts.clone())
    })
}

/// Facts for many MRs, `BATCH` per query. MRs GitLab does not return
/// (deleted, or not visible to the token) are left out.
pub fn enrich(api: &Api, repo: &Repo, iids: &[u32]) -> Result<Vec<PrEnrichment>, PluginError> {
    let mut out = Vec::new();
    for chunk in iids.chunks(BATCH) {
        let wanted: Vec<String> = chunk.iter().map(u32::to_string).collect();
        let data = api.graphql(QUERY, json!({ "path": repo.path, "iids": wanted }))?;
        if data["project"].is_null() {
            return Err(PluginError::NotFound(format!(
                "GitLab project {} (or the token in `{}` cannot see it)",
                repo.path, api.settings.token_secret
            )));
        }
        let nodes = data["project"]["mergeRequests"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let now = clock::now_ms();
        let mut log_budget = jobs::LOGS_PER_CALL;
        for node in &nodes {
            let mut node = node.clone();
            read_all_discussions(api, repo, &mut node)?;
            let mut facts = enrichment(&node, &api.settings.web_url());
            jobs::add_log_excerpts(
                api,
                repo,
                &mut facts.ci_checks,
                &failed_jobs(&node),
                &mut log_budget,
            );
            ENRICHED.with(|e| {
                e.borrow_mut()
                    .insert((repo.path.clone(), facts.number), (now, facts.clone()))
            });
            out.push(facts);
        }
    }
    Ok(out)
}

/// Appends the discussions past the first page to `node`'s.
fn read_all_discussions(api: &Api, repo: &Repo, node: &mut Value) -> Result<(), PluginError> {
    let mut page = node["discussions"]["pageInfo"].clone();
    let mut pages = 1;
    while page["hasNextPage"] == true && pages < MAX_DISCUSSION_PAGES {
        let data = api.graphql(
            MORE_DISCUSSIONS,
            json!({ "path": repo.path, "iid": node["iid"], "after": page["endCursor"] }),
        )?;
        let more = &data["project"]["mergeRequest"]["discussions"];
        let extra = more["nodes"].as_array().cloned().unwrap_or_default();
        if let Some(all) = node["discussions"]["nodes"].as_array_mut() {
            all.extend(extra);
        }
        page = more["pageInfo"].clone();
        pages += 1;
    }
    Ok(())
}

/// One MR's facts: this cycle's if any, else one query.
pub fn enrich_one(api: &Api, repo: &Repo, pr: &PrInfo) -> Result<PrEnrichment, PluginError> {
    if let Some(facts) = remembered(api, repo, pr.number) {
        return Ok(facts);
    }
    enrich(api, repo, &[pr.number])?.pop().ok_or_else(|| {
        PluginError::NotFound(format!("merge request !{} in {}", pr.number, repo.path))
    })
}

fn nodes(value: &Value) -> &[Value] {
    value["nodes"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// A job's GraphQL status as a check status (and whether it counts at all).
pub fn job_status(status: &str, allow_failure: bool) -> CheckStatus {
    match status {
        "SUCCESS" => CheckStatus::Passed,
        "FAILED" | "CANCELED" | "CANCELING" if allow_failure => CheckStatus::Skipped,
        "FAILED" | "CANCELED" | "CANCELING" => CheckStatus::Failed,
        "RUNNING" => CheckStatus::Running,
        "SKIPPED" | "MANUAL" => CheckStatus::Skipped,
        // CREATED, WAITING_FOR_RESOURCE, PREPARING, PENDING, SCHEDULED…
        _ => CheckStatus::Pending,
    }
}

fn checks_of(node: &Value, web_url: &str) -> Vec<CiCheck> {
    let pipeline = &node["headPipeline"];
    if pipeline.is_null() {
        return Vec::new();
    }
    let jobs = nodes(&pipeline["jobs"]);
    if jobs.is_empty() {
        // A pipeline of external statuses only: the pipeline is the check.
        let status = pipeline["status"].as_str().unwrap_or("PENDING");
        return vec![CiCheck {
            name: "pipeline".into(),
            status: job_status(status, false),
            url: None,
            conclusion: Some(status.to_ascii_lowercase()),
            started_at: None,
            completed_at: None,
            log_excerpt: None,
        }];
    }
    jobs.iter()
        .map(|job| {
            let status = job["status"].as_str().unwrap_or("PENDING");
            let check = job_status(status, job["allowFailure"] == true);
            CiCheck {
                name: job["name"].as_str().unwrap_or("job").to_string(),
                status: check,
                url: job["webPath"].as_str().map(|p| format!("{web_url}{p}")),
                conclusion: matches!(
                    check,
                    CheckStatus::Passed | CheckStatus::Failed | CheckStatus::Skipped
                )
                .then(|| status.to_ascii_lowercase()),
                started_at: ao_plugin_sdk::time::field(job, "startedAt"),
                completed_at: ao_plugin_sdk::time::field(job, "finishedAt"),
                // Filled for failed jobs by `jobs::add_log_excerpts`.
                log_excerpt: None,
            }
        })
        .collect()
}

/// The head pipeline's failed jobs (allowed failures aside): (name, job id).
pub fn failed_jobs(node: &Value) -> Vec<(String, u64)> {
    nodes(&node["headPipeline"]["jobs"])
        .iter()
        .filter(|job| {
            job_status(
                job["status"].as_str().unwrap_or(""),
                job["allowFailure"] == true,
            ) == CheckStatus::Failed
        })
        .filter_map(|job| {
            // `gid://gitlab/Ci::Build/77` → 77
            let id = job["id"].as_str()?.rsplit('/').next()?.parse().ok()?;
            Some((job["name"].as_str().unwrap_or("job").to_string(), id))
        })
        .collect()
}

fn decision_of(node: &Value) -> ReviewDecision {
    let changes_requested = nodes(&node["reviewers"])
        .iter()
        .any(|r| r["mergeRequestInteraction"]["reviewState"] == "REQUESTED_CHANGES");
    // `approved`: the approval rules are met (true when there are none);
    // the rule counts themselves are Premium-only fields, so not asked for.
    let approvals = nodes(&node["approvedBy"]).len();
    let rules_met = node["approved"] != false && node["detailedMergeStatus"] != "NOT_APPROVED";
    if changes_requested {
        ReviewDecision::ChangesRequested
    } else if !rules_met {
        ReviewDecision::Pending
    } else if approvals > 0 {
        ReviewDecision::Approved
    } else {
        ReviewDecision::None
    }
}

/// Whether a GitLab author is a bot: flagged by GitLab (project/group access
/// tokens, service accounts) or named like one.
pub fn is_bot(username: &str, flagged: bool) -> bool {
    flagged
        || username.ends_with("[bot]")
        || username.ends_with("-bot")
        || username.contains("_bot_")
}

fn unresolved_comments(node: &Value) -> Vec<ReviewComment> {
    let mut out = Vec::new();
    for thread in nodes(&node["discussions"])
        .iter()
        .filter(|d| d["resolvable"] == true && d["resolved"] != true)
    {
        for note in nodes(&thread["notes"])
            .iter()
            .filter(|n| n["system"] != true)
        {
            let username = note["author"]["username"].as_str().unwrap_or("ghost");
            out.push(ReviewComment {
                id: note["id"].as_str().unwrap_or("").to_string(),
                thread_id: thread["id"].as_str().map(str::to_string),
                author: username.to_string(),
                body: note["body"].as_str().unwrap_or("").to_string(),
                path: note["position"]["filePath"].as_str().map(str::to_string),
                line: note["position"]["newLine"]
                    .as_u64()
                    .and_then(|l| u32::try_from(l).ok()),
                is_resolved: false,
                created_at: ao_plugin_sdk::time::field(note, "createdAt"),
                url: note["url"].as_str().unwrap_or("").to_string(),
                is_bot: is_bot(username, note["author"]["bot"] == true),
            });
        }
    }
    out
}

/// The blocker a `detailedMergeStatus` of an open MR stands for.
pub fn status_blocker(status: &str) -> Option<String> {
    Some(match status {
        "MERGEABLE" => return None,
        "CI_MUST_PASS" => "pipeline must succeed".into(),
        "CI_STILL_RUNNING" => "pipeline is still running".into(),
        "NOT_APPROVED" => "approval required".into(),
        "REQUESTED_CHANGES" => "changes requested".into(),
        "DRAFT_STATUS" => "draft".into(),
        "CONFLICT" => "merge conflicts".into(),
        "NEED_REBASE" => "branch must be rebased on its target branch".into(),
        "DISCUSSIONS_NOT_RESOLVED" => "unresolved discussions".into(),
        "CHECKING" | "UNCHECKED" | "PREPARING" | "APPROVALS_SYNCING" => {
            "GitLab is still checking whether it can merge".into()
        }
        "BLOCKED_STATUS" => "blocked by another merge request".into(),
        "EXTERNAL_STATUS_CHECKS" => "external status checks have not passed".into(),
        other => format!("GitLab: {}", other.to_ascii_lowercase().replace('_', " ")),
    })
}

/// One MR node of the query as ao's record.
pub fn enrichment(node: &Value, web_url: &str) -> PrEnrichment {
    let state = crate::merge_requests::state_of(node["state"].as_str().unwrap_or("opened"));
    let ci_checks = checks_of(node, web_url);
    let ci = ao_plugin_sdk::summarize_checks(&ci_checks);
    let review_decision = decision_of(node);
    let status = node["detailedMergeStatus"].as_str().unwrap_or("UNCHECKED");
    let has_conflicts = node["conflicts"] == true || status == "CONFLICT";
    let is_behind = status == "NEED_REBASE" || node["shouldBeRebased"] == true;
    let mut blockers = Vec::new();
    match state {
        PrState::Merged => blockers.push("already merged".to_string()),
        PrState::Closed => blockers.push("closed".to_string()),
        PrState::Open => {}
    }
    if node["draft"] == true {
        blockers.push("draft".into());
    }
    match ci {
        CiSummary::Failing => blockers.push("pipeline is failing".into()),
        CiSummary::Pending => blockers.push("pipeline is still running".into()),
        CiSummary::Passing | CiSummary::None => {}
    }
    match review_decision {
        ReviewDecision::ChangesRequested => blockers.push("changes requested".into()),
        ReviewDecision::Pending => blockers.push("approval required".into()),
        ReviewDecision::Approved | ReviewDecision::None => {}
    }
    if has_conflicts {
        blockers.push("merge conflicts".into());
    }
    if is_behind {
        blockers.push("branch must be rebased on its target branch".into());
    }
    // Whatever else GitLab says stands in the way: anything but MERGEABLE
    // blocks, in words when known (so an unknown status never reads as
    // mergeable and auto-merge never retries a refused merge forever).
    if state == PrState::Open
        && let Some(blocker) = status_blocker(status)
        && !blockers.contains(&blocker)
    {
        blockers.push(blocker);
    }
    let count = |key: &str| {
        node["diffStatsSummary"][key]
            .as_u64()
            .unwrap_or(0)
            .min(u64::from(u32::MAX)) as u32
    };
    PrEnrichment {
        number: node["iid"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .or_else(|| node["iid"].as_u64().and_then(|n| u32::try_from(n).ok()))
            .unwrap_or(0),
        state,
        title: node["title"].as_str().unwrap_or("").to_string(),
        additions: count("additions"),
        deletions: count("deletions"),
        is_draft: node["draft"] == true,
        ci,
        ci_checks,
        review_decision,
        mergeable: blockers.is_empty(),
        has_conflicts,
        is_behind,
        blockers,
        unresolved_comments: unresolved_comments(node),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> Value {
        json!({
            "iid": "4", "title": "Fix login", "state": "opened", "draft": false,
            "conflicts": false, "detailedMergeStatus": "MERGEABLE", "shouldBeRebased": false,
            "diffStatsSummary": {"additions": 10, "deletions": 2},
            "approved": true,
            "approvedBy": {"nodes": []}, "reviewers": {"nodes": []},
            "headPipeline": {"status": "SUCCESS", "jobs": {"nodes": [
                {"id": "gid://gitlab/Ci::Build/77", "name": "test", "status": "SUCCESS",
                 "webPath": "/acme/web/-/jobs/77", "allowFailure": false}
            ]}},
            "discussions": {"nodes": []}
        })
    }

    #[test]
    fn a_green_unreviewed_mr_can_merge() {
        let e = enrichment(&node(), "https://gitlab.com");
        assert_eq!(e.number, 4);
        assert_eq!(e.ci, CiSummary::Passing);
        assert_eq!(
            e.ci_checks[0].url.as_deref(),
            Some("https://gitlab.com/acme/web/-/jobs/77")
        );
        assert_eq!(e.review_decision, ReviewDecision::None);
        assert!(e.mergeable, "{:?}", e.blockers);
        assert_eq!((e.additions, e.deletions), (10, 2));
    }

    #[test]
    fn failed_jobs_conflicts_and_requested_changes_block() {
        let mut n = node();
        n["headPipeline"]["jobs"]["nodes"][0]["status"] = json!("FAILED");
        n["conflicts"] = json!(true);
        n["reviewers"] = json!({"nodes": [{"username": "ana", "mergeRequestInteraction": {"reviewState": "REQUESTED_CHANGES"}}]});
        let e = enrichment(&n, "");
        assert_eq!(failed_jobs(&n), vec![("test".to_string(), 77)]);
        assert_eq!(e.ci, CiSummary::Failing);
        assert_eq!(e.review_decision, ReviewDecision::ChangesRequested);
        assert!(e.has_conflicts && !e.mergeable);
        assert!(e.blockers.contains(&"merge conflicts".to_string()));
        // An allowed failure does not fail the pipeline.
        n["headPipeline"]["jobs"]["nodes"][0]["allowFailure"] = json!(true);
        assert_eq!(enrichment(&n, "").ci, CiSummary::Passing);
    }

    #[test]
    fn any_merge_status_but_mergeable_blocks() {
        for status in ["CI_MUST_PASS", "JIRA_ASSOCIATION_MISSING", "LOCKED_PATHS"] {
            let mut n = node();
            n["detailedMergeStatus"] = json!(status);
            let e = enrichment(&n, "");
            assert!(!e.mergeable, "{status}");
            assert_eq!(e.blockers.len(), 1, "{status}: {:?}", e.blockers);
        }
        assert_eq!(
            status_blocker("JIRA_ASSOCIATION_MISSING").as_deref(),
            Some("GitLab: jira association missing")
        );
        // A merged MR says so once, not "not open" too.
        let mut merged = node();
        merged["state"] = json!("merged");
        merged["detailedMergeStatus"] = json!("NOT_OPEN");
        assert_eq!(
            enrichment(&merged, "").blockers,
            vec!["already merged".to_string()]
        );
    }

    #[test]
    fn approvals_and_required_approvals() {
        let mut n = node();
        n["approvedBy"] = json!({"nodes": [{"username": "ana"}]});
        assert_eq!(enrichment(&n, "").review_decision, ReviewDecision::Approved);
        let mut pending = node();
        pending["approved"] = json!(false);
        pending["detailedMergeStatus"] = json!("NOT_APPROVED");
        let e = enrichment(&pending, "");
        assert_eq!(e.review_decision, ReviewDecision::Pending);
        assert!(!e.mergeable);
    }

    #[test]
    fn only_unresolved_human_and_bot_threads_are_pending() {
        let mut n = node();
        n["discussions"] = json!({"nodes": [
            {"id": "d1", "resolvable": true, "resolved": false, "notes": {"nodes": [
                {"id": "gid://gitlab/DiffNote/1", "body": "add docs", "system": false,
                 "author": {"username": "ana", "bot": false},
                 "position": {"filePath": "README.md", "newLine": 3}, "url": "u"}]}},
            {"id": "d2", "resolvable": true, "resolved": true, "notes": {"nodes": [
                {"id": "n2", "body": "old", "author": {"username": "ana", "bot": false}}]}},
            {"id": "d3", "resolvable": true, "resolved": false, "notes": {"nodes": [
                {"id": "n3", "body": "lint", "author": {"username": "project_5_bot_abc", "bot": true}}]}},
            {"id": "d4", "resolvable": false, "notes": {"nodes": [
                {"id": "n4", "body": "changed the description", "system": true, "author": {"username": "ana"}}]}}
        ]});
        let comments = enrichment(&n, "").unresolved_comments;
        assert_eq!(comments.len(), 2);
        assert_eq!(comments[0].path.as_deref(), Some("README.md"));
        assert_eq!(comments[0].line, Some(3));
        assert!(!comments[0].is_bot && comments[1].is_bot);
    }
}
