//! Pull requests over REST: the per-repository PR list (one conditional GET
//! per cycle), PR details, CI checks, reviews, merging and closing.

use crate::api::{self, Api, Conditional};
use crate::settings::{Repo, encode};
use ao_plugin_sdk::http::Method;
use ao_plugin_sdk::{
    CheckStatus, CiCheck, MergeMethod, PluginError, PrInfo, PrState, PrSummary, Review,
    ReviewState, clock, kv, log,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// The KV key prefix of a repository's cached PR list: `pulls:owner/name`
/// → `{"etag": "…", "prs": [ListedPr…]}`.
pub const PULLS_KEY_PREFIX: &str = "pulls:";
/// A KV value may hold 64 KiB; keep the list below that.
const MAX_CACHED_LIST_BYTES: usize = 60_000;
const PAGE: usize = 100;

/// What ao needs of a PR from the list (the REST objects are ~10 KB each).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListedPr {
    pub number: u32,
    pub title: String,
    pub url: String,
    /// `open`, `closed` or `merged`.
    pub state: String,
    pub draft: bool,
    pub head_ref: String,
    pub head_sha: String,
    /// `owner/name` of the head repository (a fork's, for PRs from forks).
    pub head_repo: Option<String>,
    pub base_ref: String,
}

#[derive(Serialize, Deserialize)]
struct CachedList {
    etag: String,
    prs: Vec<ListedPr>,
}

impl ListedPr {
    fn from_rest(raw: &Value) -> Option<ListedPr> {
        let merged = raw["merged_at"].as_str().is_some() || raw["merged"].as_bool() == Some(true);
        Some(ListedPr {
            number: u32::try_from(raw["number"].as_u64()?).ok()?,
            title: raw["title"].as_str().unwrap_or("").to_string(),
            url: raw["html_url"].as_str().unwrap_or("").to_string(),
            state: if merged {
                "merged".into()
            } else {
                raw["state"].as_str().unwrap_or("open").to_string()
            },
            draft: raw["draft"].as_bool().unwrap_or(false),
            head_ref: raw["head"]["ref"].as_str().unwrap_or("").to_string(),
            head_sha: raw["head"]["sha"].as_str().unwrap_or("").to_string(),
            head_repo: raw["head"]["repo"]["full_name"]
                .as_str()
                .map(str::to_string),
            base_ref: raw["base"]["ref"].as_str().unwrap_or("").to_string(),
        })
    }

    fn info(&self, repo: &Repo) -> PrInfo {
        PrInfo {
            number: self.number,
            url: self.url.clone(),
            title: self.title.clone(),
            owner: repo.owner.clone(),
            repo: repo.name.clone(),
            branch: self.head_ref.clone(),
            base_branch: self.base_ref.clone(),
            is_draft: self.draft,
        }
    }

    fn pr_state(&self) -> PrState {
        match self.state.as_str() {
            "merged" => PrState::Merged,
            "closed" => PrState::Closed,
            _ => PrState::Open,
        }
    }
}

/// PR lists fetched in this cycle: repo → (fetched at, list).
type Lists = HashMap<String, (i64, Rc<Vec<ListedPr>>)>;

thread_local! {
    static LISTS: RefCell<Lists> = RefCell::new(HashMap::new());
}

/// Forgets cached facts about a repository's PRs (after a write).
pub fn invalidate(repo: &Repo) {
    LISTS.with(|l| l.borrow_mut().remove(&repo.full()));
    api::forget(&format!("/repos/{}/pulls", repo.full()));
    api::forget(&format!("/repos/{}/commits", repo.full()));
    crate::graphql::invalidate(repo);
}

/// The list fetched in this cycle, if it is still fresh.
fn fresh_list(api: &Api, repo: &Repo) -> Option<Rc<Vec<ListedPr>>> {
    let now = clock::now_ms();
    LISTS.with(|l| {
        l.borrow()
            .get(&repo.full())
            .filter(|(at, _)| now - at < i64::from(api.settings.cache_ttl_ms))
            .map(|(_, list)| list.clone())
    })
}

/// The repository's PRs, most recently updated first: reused within a cycle;
/// otherwise one GET with `If-None-Match`, where a 304 (free) reuses the list
/// kept in KV.
pub fn pr_list(api: &Api, repo: &Repo) -> Result<Rc<Vec<ListedPr>>, PluginError> {
    if let Some(list) = fresh_list(api, repo) {
        return Ok(list);
    }
    let key = format!("{PULLS_KEY_PREFIX}{}", repo.full());
    let cached: Option<CachedList> = kv::get(&key)
        .ok()
        .flatten()
        .and_then(|text| serde_json::from_str(&text).ok());
    let path = format!(
        "/repos/{}/pulls?state=all&sort=updated&direction=desc&per_page={PAGE}",
        repo.full()
    );
    let prs = match (
        api.get_conditional(&path, cached.as_ref().map(|c| c.etag.as_str()))?,
        cached,
    ) {
        (Conditional::NotModified, Some(cached)) => cached.prs,
        (Conditional::NotModified, None) => {
            return Err(PluginError::other(
                "GitHub answered 304 to a request without an ETag",
            ));
        }
        (Conditional::Fresh(response), _) => {
            let raw: Vec<Value> = response.json()?;
            let prs: Vec<ListedPr> = raw.iter().filter_map(ListedPr::from_rest).collect();
            remember_list(&key, response.header("etag"), &prs);
            prs
        }
    };
    let list = Rc::new(prs);
    LISTS.with(|l| {
        l.borrow_mut()
            .insert(repo.full(), (clock::now_ms(), list.clone()))
    });
    Ok(list)
}

fn remember_list(key: &str, etag: Option<&str>, prs: &[ListedPr]) {
    let Some(etag) = etag else {
        let _ = kv::delete(key);
        return;
    };
    let cached = CachedList {
        etag: etag.to_string(),
        prs: prs.to_vec(),
    };
    match serde_json::to_string(&cached) {
        Ok(text) if text.len() <= MAX_CACHED_LIST_BYTES => {
            if let Err(e) = kv::set(key, &text) {
                log::debug(&format!(
                    "cannot keep the PR list of {key}: {}",
                    e.describe()
                ));
            }
        }
        // Too big to keep: without the list an ETag is useless.
        _ => {
            let _ = kv::delete(key);
        }
    }
}

/// The open PR whose head is `branch` in this repository.
pub fn detect_pr(api: &Api, repo: &Repo, branch: &str) -> Result<Option<PrInfo>, PluginError> {
    let list = pr_list(api, repo)?;
    let ours = |pr: &&ListedPr| {
        pr.head_ref == branch && pr.head_repo.as_deref().is_none_or(|r| repo.is(r))
    };
    if let Some(pr) = list.iter().filter(|p| p.state == "open").find(ours) {
        return Ok(Some(pr.info(repo)));
    }
    if list.len() < PAGE {
        return Ok(None);
    }
    // The list is one page of the most recently updated PRs: ask for this
    // branch directly (conditional, so repeated misses cost nothing).
    let head = encode(&format!("{}:{branch}", repo.owner));
    let raw: Vec<Value> = api.get_json(&format!(
        "/repos/{}/pulls?state=open&head={head}&per_page=10",
        repo.full()
    ))?;
    Ok(raw
        .iter()
        .filter_map(ListedPr::from_rest)
        .find(|p| p.head_ref == branch)
        .map(|p| p.info(repo)))
}

/// One PR's details (conditional GET).
pub fn pr_detail(api: &Api, repo: &Repo, number: u32) -> Result<Value, PluginError> {
    api.get_json(&format!("/repos/{}/pulls/{number}", repo.full()))
}

fn state_of(detail: &Value) -> PrState {
    if detail["merged"].as_bool() == Some(true) || detail["merged_at"].as_str().is_some() {
        PrState::Merged
    } else if detail["state"].as_str() == Some("closed") {
        PrState::Closed
    } else {
        PrState::Open
    }
}

pub fn pr_state(api: &Api, repo: &Repo, number: u32) -> Result<PrState, PluginError> {
    if let Some(list) = fresh_list(api, repo)
        && let Some(pr) = list.iter().find(|p| p.number == number)
    {
        return Ok(pr.pr_state());
    }
    Ok(state_of(&pr_detail(api, repo, number)?))
}

pub fn pr_summary(api: &Api, repo: &Repo, number: u32) -> Result<PrSummary, PluginError> {
    let detail = pr_detail(api, repo, number)?;
    let count = |key: &str| detail[key].as_u64().unwrap_or(0).min(u64::from(u32::MAX)) as u32;
    Ok(PrSummary {
        state: state_of(&detail),
        title: detail["title"].as_str().unwrap_or("").to_string(),
        additions: count("additions"),
        deletions: count("deletions"),
    })
}

fn head_sha(api: &Api, repo: &Repo, number: u32) -> Result<String, PluginError> {
    if let Some(list) = fresh_list(api, repo)
        && let Some(pr) = list
            .iter()
            .find(|p| p.number == number && !p.head_sha.is_empty())
    {
        return Ok(pr.head_sha.clone());
    }
    pr_detail(api, repo, number)?["head"]["sha"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| PluginError::other(format!("PR #{number} has no head commit")))
}

/// A check run's status and conclusion, as ao reads them.
pub fn check_run_status(status: &str, conclusion: Option<&str>) -> CheckStatus {
    match status.to_ascii_lowercase().as_str() {
        "completed" => match conclusion.map(str::to_ascii_lowercase).as_deref() {
            Some("success") => CheckStatus::Passed,
            Some("skipped" | "neutral" | "stale") => CheckStatus::Skipped,
            Some(_) => CheckStatus::Failed,
            None => CheckStatus::Pending,
        },
        "in_progress" => CheckStatus::Running,
        _ => CheckStatus::Pending,
    }
}

/// A commit status (`success`, `failure`, `error`, `pending`), as ao reads it.
pub fn commit_status(state: &str) -> CheckStatus {
    match state.to_ascii_lowercase().as_str() {
        "success" => CheckStatus::Passed,
        "failure" | "error" => CheckStatus::Failed,
        _ => CheckStatus::Pending,
    }
}

/// Check runs of the PR's head commit plus its commit statuses.
pub fn ci_checks(api: &Api, repo: &Repo, number: u32) -> Result<Vec<CiCheck>, PluginError> {
    let sha = head_sha(api, repo, number)?;
    let runs: Value = api.get_json(&format!(
        "/repos/{}/commits/{sha}/check-runs?per_page=100",
        repo.full()
    ))?;
    let mut checks: Vec<CiCheck> = runs["check_runs"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|run| {
            let conclusion = run["conclusion"].as_str();
            CiCheck {
                name: run["name"].as_str().unwrap_or("check").to_string(),
                status: check_run_status(run["status"].as_str().unwrap_or(""), conclusion),
                url: run["html_url"]
                    .as_str()
                    .or_else(|| run["details_url"].as_str())
                    .map(str::to_string),
                conclusion: conclusion.map(str::to_string),
                started_at: ao_plugin_sdk::time::field(run, "started_at"),
                completed_at: ao_plugin_sdk::time::field(run, "completed_at"),
                log_excerpt: None,
            }
        })
        .collect();
    let combined: Value = api.get_json(&format!("/repos/{}/commits/{sha}/status", repo.full()))?;
    for status in combined["statuses"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let state = status["state"].as_str().unwrap_or("pending");
        let check_status = commit_status(state);
        let settled = !matches!(check_status, CheckStatus::Pending);
        checks.push(CiCheck {
            name: status["context"].as_str().unwrap_or("status").to_string(),
            status: check_status,
            url: status["target_url"].as_str().map(str::to_string),
            conclusion: settled.then(|| state.to_string()),
            started_at: ao_plugin_sdk::time::field(status, "created_at"),
            completed_at: if settled {
                ao_plugin_sdk::time::field(status, "updated_at")
            } else {
                None
            },
            log_excerpt: None,
        });
    }
    Ok(checks)
}

pub fn review_state(state: &str) -> ReviewState {
    match state.to_ascii_uppercase().as_str() {
        "APPROVED" => ReviewState::Approved,
        "CHANGES_REQUESTED" => ReviewState::ChangesRequested,
        "DISMISSED" => ReviewState::Dismissed,
        "PENDING" => ReviewState::Pending,
        _ => ReviewState::Commented,
    }
}

pub fn reviews(api: &Api, repo: &Repo, number: u32) -> Result<Vec<Review>, PluginError> {
    let raw: Vec<Value> = api.get_json(&format!(
        "/repos/{}/pulls/{number}/reviews?per_page=100",
        repo.full()
    ))?;
    Ok(raw
        .iter()
        .map(|r| Review {
            author: r["user"]["login"].as_str().unwrap_or("ghost").to_string(),
            state: review_state(r["state"].as_str().unwrap_or("")),
            body: r["body"]
                .as_str()
                .filter(|b| !b.is_empty())
                .map(str::to_string),
            submitted_at: ao_plugin_sdk::time::field(r, "submitted_at"),
        })
        .collect())
}

pub fn merge(api: &Api, repo: &Repo, number: u32, method: MergeMethod) -> Result<(), PluginError> {
    let method = match method {
        MergeMethod::Merge => "merge",
        MergeMethod::Squash => "squash",
        MergeMethod::Rebase => "rebase",
    };
    let result = api.write(
        Method::Put,
        &format!("/repos/{}/pulls/{number}/merge", repo.full()),
        Some(&json!({ "merge_method": method })),
    );
    invalidate(repo);
    match result {
        Ok(_) => Ok(()),
        // 405: not mergeable (checks, reviews, conflicts); 409: the head moved.
        Err(PluginError::InvalidInput(m)) => Err(PluginError::InvalidInput(format!(
            "GitHub did not merge #{number}: {m}"
        ))),
        Err(e) => Err(e),
    }
}

pub fn close(api: &Api, repo: &Repo, number: u32) -> Result<(), PluginError> {
    let result = api.write(
        Method::Patch,
        &format!("/repos/{}/pulls/{number}", repo.full()),
        Some(&json!({ "state": "closed" })),
    );
    invalidate(repo);
    result.map(|_| ())
}
