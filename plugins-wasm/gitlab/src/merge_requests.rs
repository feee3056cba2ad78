//! Merge requests over REST: the per-project MR list (one conditional GET
//! per cycle), approvals as reviews, merging and closing.

use crate::api::{self, Api, Conditional};
use crate::settings::{Repo, encode};
use ao_plugin_sdk::http::Method;
use ao_plugin_sdk::{
    MergeMethod, PluginError, PrInfo, PrState, Review, ReviewState, clock, kv, log,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// The KV key prefix of a project's cached MR list: `mrs:group/name`
/// → `{"etag": "…", "mrs": [ListedMr…]}`.
pub const MRS_KEY_PREFIX: &str = "mrs:";
/// A KV value may hold 64 KiB; keep the list below that.
const MAX_CACHED_LIST_BYTES: usize = 60_000;
const PAGE: usize = 100;

/// What ao needs of a merge request from the list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListedMr {
    pub iid: u32,
    pub title: String,
    pub url: String,
    /// `opened`, `closed`, `merged` or `locked`.
    pub state: String,
    pub draft: bool,
    pub source_branch: String,
    pub target_branch: String,
    pub sha: String,
    /// Whether the source branch lives in a fork.
    pub from_fork: bool,
}

#[derive(Serialize, Deserialize)]
struct CachedList {
    etag: String,
    mrs: Vec<ListedMr>,
}

impl ListedMr {
    pub fn from_rest(raw: &Value) -> Option<ListedMr> {
        let source = raw["source_project_id"].as_u64();
        let target = raw["target_project_id"]
            .as_u64()
            .or(raw["project_id"].as_u64());
        Some(ListedMr {
            iid: u32::try_from(raw["iid"].as_u64()?).ok()?,
            title: raw["title"].as_str().unwrap_or("").to_string(),
            url: raw["web_url"].as_str().unwrap_or("").to_string(),
            state: raw["state"].as_str().unwrap_or("opened").to_string(),
            draft: raw["draft"].as_bool().unwrap_or(false)
                || raw["work_in_progress"].as_bool().unwrap_or(false),
            source_branch: raw["source_branch"].as_str().unwrap_or("").to_string(),
            target_branch: raw["target_branch"].as_str().unwrap_or("").to_string(),
            sha: raw["sha"].as_str().unwrap_or("").to_string(),
            from_fork: matches!((source, target), (Some(s), Some(t)) if s != t),
        })
    }

    pub fn info(&self, repo: &Repo) -> PrInfo {
        let (namespace, name) = repo.split();
        PrInfo {
            number: self.iid,
            url: self.url.clone(),
            title: self.title.clone(),
            owner: namespace.to_string(),
            repo: name.to_string(),
            branch: self.source_branch.clone(),
            base_branch: self.target_branch.clone(),
            is_draft: self.draft,
        }
    }

    pub fn pr_state(&self) -> PrState {
        state_of(&self.state)
    }
}

/// GitLab's MR state (REST `opened`… or GraphQL `opened`…) as ao's.
pub fn state_of(state: &str) -> PrState {
    match state.to_ascii_lowercase().as_str() {
        "merged" => PrState::Merged,
        "closed" | "locked" => PrState::Closed,
        _ => PrState::Open,
    }
}

/// MR lists fetched in this cycle: project → (fetched at, list).
type Lists = HashMap<String, (i64, Rc<Vec<ListedMr>>)>;

thread_local! {
    static LISTS: RefCell<Lists> = RefCell::new(HashMap::new());
}

fn mrs_path(repo: &Repo) -> String {
    format!("/projects/{}/merge_requests", repo.id())
}

/// Forgets cached facts about a project's MRs (after a write).
pub fn invalidate(repo: &Repo) {
    LISTS.with(|l| l.borrow_mut().remove(&repo.path));
    api::forget(&mrs_path(repo));
    crate::graphql::invalidate(repo);
}

fn fresh_list(api: &Api, repo: &Repo) -> Option<Rc<Vec<ListedMr>>> {
    let now = clock::now_ms();
    LISTS.with(|l| {
        l.borrow()
            .get(&repo.path)
            .filter(|(at, _)| now - at < i64::from(api.settings.cache_ttl_ms))
            .map(|(_, list)| list.clone())
    })
}

/// The project's MRs, most recently updated first: reused within a cycle;
/// otherwise one GET with `If-None-Match`, where a 304 reuses the list kept in KV.
pub fn mr_list(api: &Api, repo: &Repo) -> Result<Rc<Vec<ListedMr>>, PluginError> {
    if let Some(list) = fresh_list(api, repo) {
        return Ok(list);
    }
    let key = format!("{MRS_KEY_PREFIX}{}", repo.path);
    let cached: Option<CachedList> = kv::get(&key)
        .ok()
        .flatten()
        .and_then(|text| serde_json::from_str(&text).ok());
    let path = format!(
        "{}?state=all&order_by=updated_at&sort=desc&per_page={PAGE}",
        mrs_path(repo)
    );
    let mrs = match (
        api.get_conditional(&path, cached.as_ref().map(|c| c.etag.as_str()))?,
        cached,
    ) {
        (Conditional::NotModified, Some(cached)) => cached.mrs,
        (Conditional::NotModified, None) => {
            return Err(PluginError::other(
                "GitLab answered 304 to a request without an ETag",
            ));
        }
        (Conditional::Fresh(response), _) => {
            let raw: Vec<Value> = response.json()?;
            let mrs: Vec<ListedMr> = raw.iter().filter_map(ListedMr::from_rest).collect();
            remember_list(&key, response.header("etag"), &mrs);
            mrs
        }
    };
    let list = Rc::new(mrs);
    LISTS.with(|l| {
        l.borrow_mut()
            .insert(repo.path.clone(), (clock::now_ms(), list.clone()))
    });
    Ok(list)
}

fn remember_list(key: &str, etag: Option<&str>, mrs: &[ListedMr]) {
    let Some(etag) = etag else {
        let _ = kv::delete(key);
        return;
    };
    let cached = CachedList {
        etag: etag.to_string(),
        mrs: mrs.to_vec(),
    };
    match serde_json::to_string(&cached) {
        Ok(text) if text.len() <= MAX_CACHED_LIST_BYTES => {
            if let Err(e) = kv::set(key, &text) {
                log::debug(&format!(
                    "cannot keep the MR list of {key}: {}",
                    e.describe()
                ));
            }
        }
        _ => {
            let _ = kv::delete(key);
        }
    }
}

/// The open MR whose source is `branch` in this project (not a fork's).
pub fn detect(api: &Api, repo: &Repo, branch: &str) -> Result<Option<PrInfo>, PluginError> {
    let list = mr_list(api, repo)?;
    let ours = |mr: &&ListedMr| mr.source_branch == branch && !mr.from_fork;
    if let Some(mr) = list.iter().filter(|m| m.state == "opened").find(ours) {
        return Ok(Some(mr.info(repo)));
    }
    if list.len() < PAGE {
        return Ok(None);
    }
    // One page of the most recently updated MRs: ask for this branch directly.
    let raw: Vec<Value> = api.get_json(&format!(
        "{}?state=opened&source_branch={}&per_page=10",
        mrs_path(repo),
        encode(branch)
    ))?;
    Ok(raw
        .iter()
        .filter_map(ListedMr::from_rest)
        .find(|m| m.source_branch == branch && !m.from_fork)
        .map(|m| m.info(repo)))
}

/// One MR: from this cycle's list when it is there, else one GET.
pub fn get(api: &Api, repo: &Repo, iid: u32) -> Result<ListedMr, PluginError> {
    if let Some(mr) = mr_list(api, repo)?.iter().find(|m| m.iid == iid) {
        return Ok(mr.clone());
    }
    let raw: Value = api.get_json(&format!("{}/{iid}", mrs_path(repo)))?;
    ListedMr::from_rest(&raw)
        .ok_or_else(|| PluginError::other(format!("GitLab's MR !{iid} has no iid")))
}

/// Approvals as reviews (GitLab has no review objects over REST).
pub fn reviews(api: &Api, repo: &Repo, iid: u32) -> Result<Vec<Review>, PluginError> {
    let raw: Value = api.get_json(&format!("{}/{iid}/approvals", mrs_path(repo)))?;
    Ok(reviews_of(&raw))
}

pub fn reviews_of(approvals: &Value) -> Vec<Review> {
    approvals["approved_by"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|a| Review {
            author: a["user"]["username"]
                .as_str()
                .unwrap_or("ghost")
                .to_string(),
            state: ReviewState::Approved,
            body: None,
            submitted_at: None,
        })
        .collect()
}

/// Merges through the API, by the project's merge method (merge commit,
/// semi-linear or fast-forward is a project setting, not a per-merge
/// choice); `squash` squashes. A branch that must be rebased first is a
/// blocker the agent is told about, not something ao does here.
pub fn merge(api: &Api, repo: &Repo, iid: u32, method: MergeMethod) -> Result<(), PluginError> {
    let mr = get(api, repo, iid)?;
    let mut body = json!({ "should_remove_source_branch": true });
    if !mr.sha.is_empty() {
        // Refuses to merge anything newer than what ao looked at.
        body["sha"] = json!(mr.sha);
    }
    if method == MergeMethod::Squash {
        body["squash"] = json!(true);
    }
    let result = api.write(
        Method::Put,
        &format!("{}/{iid}/merge", mrs_path(repo)),
        Some(&body),
    );
    invalidate(repo);
    match result {
        Ok(_) => Ok(()),
        Err(PluginError::InvalidInput(m)) if m.contains("HTTP 405") || m.contains("HTTP 406") => {
            Err(PluginError::invalid_input(format!(
                "GitLab cannot merge !{iid} yet ({m}): it has conflicts, is a draft, or its pipeline or approvals are missing"
            )))
        }
        Err(PluginError::InvalidInput(m)) if m.contains("HTTP 409") => {
            Err(PluginError::invalid_input(format!(
                "!{iid} changed since ao looked at it ({m}); ao will look again"
            )))
        }
        Err(e) => Err(e),
    }
}

pub fn close(api: &Api, repo: &Repo, iid: u32) -> Result<(), PluginError> {
    let result = api.write(
        Method::Put,
        &format!("{}/{iid}", mrs_path(repo)),
        Some(&json!({ "state_event": "close" })),
    );
    invalidate(repo);
    result.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_mrs_know_forks_and_drafts() {
        let raw = json!({"iid": 5, "title": "Draft: x", "web_url": "u", "state": "opened",
            "draft": true, "source_branch": "feat/issue-1", "target_branch": "main", "sha": "abc",
            "source_project_id": 7, "target_project_id": 7});
        let mr = ListedMr::from_rest(&raw).unwrap();
        assert!(mr.draft && !mr.from_fork);
        let mut fork = raw.clone();
        fork["source_project_id"] = json!(9);
        assert!(ListedMr::from_rest(&fork).unwrap().from_fork);
        let info = mr.info(&Repo::parse("acme/platform/web").unwrap());
        assert_eq!(
            (info.owner.as_str(), info.repo.as_str()),
            ("acme/platform", "web")
        );
        assert_eq!(state_of("locked"), PrState::Closed);
        assert_eq!(state_of("MERGED"), PrState::Merged);
    }

    #[test]
    fn approvals_become_reviews() {
        let raw = json!({"approved": true, "approved_by": [{"user": {"username": "ana"}}]});
        let reviews = reviews_of(&raw);
        assert_eq!(reviews.len(), 1);
        assert_eq!(reviews[0].author, "ana");
    }
}
