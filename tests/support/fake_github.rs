//! A fake GitHub on 127.0.0.1: real HTTP (axum), in-memory state, the REST
//! endpoints and the GraphQL query shape the `github` plugin uses.
//!
//! What it keeps honest:
//! - every answer is computed from the state (issues, PRs, check runs,
//!   statuses, reviews, review threads), which tests change with mutators;
//! - GETs carry an ETag (a hash of the body) and `If-None-Match` with the
//!   current ETag gets a 304 that costs no quota;
//! - `x-ratelimit-*` headers count down per request (REST `core` and
//!   `graphql` separately); at zero every request gets GitHub's 403;
//! - requests without `Authorization: Bearer <token>` get 401;
//! - every request is logged (method, path and query, headers, body).
//!
//! Failures can be scripted for the next request ([`FakeGitHub::fail_next`],
//! [`FakeGitHub::rate_limit_next`]).

use crate::fake_http::{Recorded, Reply, Respond, Serving, serve};
use axum::http::{HeaderMap, Method, Uri};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

/// The token [`FakeGitHub::start`] accepts.
pub const TOKEN: &str = "ghp_fake0123456789abcdefTOKEN";
/// The quota each resource starts with.
pub const RATE_LIMIT: u32 = 5000;

/// An issue (GitHub numbers issues and PRs in one sequence per repository).
#[derive(Debug, Clone)]
pub struct FakeIssue {
    pub number: u32,
    pub title: String,
    pub body: String,
    /// `open` or `closed`.
    pub state: String,
    /// `completed` or `not_planned` when closed.
    pub state_reason: Option<String>,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub comments: Vec<FakeComment>,
    pub updated_ms: i64,
}

/// A comment on an issue or PR conversation.
#[derive(Debug, Clone)]
pub struct FakeComment {
    pub id: u64,
    pub author: String,
    pub body: String,
}

/// A pull request.
#[derive(Debug, Clone)]
pub struct FakePr {
    pub number: u32,
    pub title: String,
    pub body: String,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    /// `open` or `closed` (merged PRs are closed with `merged`).
    pub state: String,
    pub merged: bool,
    pub merge_method: Option<String>,
    pub draft: bool,
    pub additions: u32,
    pub deletions: u32,
    /// `None`: GitHub is still computing it.
    pub mergeable: Option<bool>,
    /// The base branch moved on since the head was branched.
    pub behind: bool,
    pub author: String,
    pub labels: Vec<String>,
    pub reviews: Vec<FakeReview>,
    pub threads: Vec<FakeThread>,
    pub updated_ms: i64,
    /// Orders `sort=updated` lists when timestamps tie.
    updated_seq: u64,
}

/// A submitted review.
#[derive(Debug, Clone)]
pub struct FakeReview {
    pub id: u64,
    pub author: String,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`, `PENDING`.
    pub state: String,
    pub body: String,
    pub submitted_ms: i64,
}

/// A review thread (a conversation on a line of the diff).
#[derive(Debug, Clone)]
pub struct FakeThread {
    /// GraphQL node id, `PRRT_…`.
    pub id: String,
    pub path: String,
    pub line: u32,
    pub resolved: bool,
    pub comments: Vec<FakeThreadComment>,
}

#[derive(Debug, Clone)]
pub struct FakeThreadComment {
    /// GraphQL node id, `PRRC_…`.
    pub id: String,
    pub author: String,
    pub body: String,
    pub created_ms: i64,
}

/// A check run on a commit.
#[derive(Debug, Clone)]
pub struct FakeCheckRun {
    pub id: u64,
    pub name: String,
    /// `queued`, `in_progress` or `completed`.
    pub status: String,
    /// When completed: `success`, `failure`, `neutral`, `cancelled`, `skipped`, `timed_out`, `action_required`.
    pub conclusion: Option<String>,
    pub started_ms: Option<i64>,
    pub completed_ms: Option<i64>,
}

/// A commit status (the older statuses API).
#[derive(Debug, Clone)]
pub struct FakeStatus {
    pub context: String,
    /// `pending`, `success`, `failure` or `error`.
    pub state: String,
    pub target_url: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Default)]
struct FakeRepo {
    next_number: u32,
    issues: BTreeMap<u32, FakeIssue>,
    prs: BTreeMap<u32, FakePr>,
    check_runs: HashMap<String, Vec<FakeCheckRun>>,
    statuses: HashMap<String, Vec<FakeStatus>>,
    review_required: bool,
}

#[derive(Debug)]
struct Quota {
    remaining: u32,
    reset_secs: i64,
}

struct GhState {
    token: String,
    base_url: String,
    repos: HashMap<String, FakeRepo>,
    requests: Vec<Recorded>,
    script: VecDeque<Reply>,
    core: Quota,
    graphql: Quota,
    seq: u64,
}

/// A running fake GitHub; stops when dropped.
pub struct FakeGitHub {
    pub addr: SocketAddr,
    served: Serving<GhState>,
}

impl Respond for GhState {
    fn answer(&mut self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Reply {
        self.respond(method, uri, headers, body)
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `2025-01-31T12:00:00Z`.
pub fn iso(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // H. Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub(crate) fn sha_of(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))[..40].to_string()
}

/// `X-Hub-Signature-256` of a webhook body: `sha256=` + hex HMAC-SHA256.
/// A stable numeric id for a name (users, labels), as GitHub gives every object one.
pub(crate) fn id_of(name: &str) -> u64 {
    name.bytes().fold(1_469_598_103u64, |h, b| {
        h.wrapping_mul(1_099_511_628_211).wrapping_add(u64::from(b))
    }) % 1_000_000_000
}

/// A user as GitHub's REST API gives it (`…[bot]` logins are bots).
fn user_json(base: &str, login: &str) -> Value {
    let url = format!("{base}/users/{login}");
    json!({
        "login": login, "id": id_of(login), "node_id": format!("U_{}", id_of(login)),
        "avatar_url": format!("{base}/avatars/{login}"), "gravatar_id": "",
        "url": url, "html_url": format!("{base}/{login}"),
        "followers_url": format!("{url}/followers"), "following_url": format!("{url}/following{{/other_user}}"),
        "gists_url": format!("{url}/gists{{/gist_id}}"), "starred_url": format!("{url}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{url}/subscriptions"), "organizations_url": format!("{url}/orgs"),
        "repos_url": format!("{url}/repos"), "events_url": format!("{url}/events{{/privacy}}"),
        "received_events_url": format!("{url}/received_events"),
        "type": if login.ends_with("[bot]") { "Bot" } else { "User" }, "site_admin": false,
    })
}

/// A label as GitHub's REST API gives it.
fn label_json(base: &str, full: &str, name: &str) -> Value {
    json!({
        "id": id_of(name), "node_id": format!("LA_{}", id_of(name)),
        "url": format!("{base}/repos/{full}/labels/{name}"), "name": name,
        "description": Value::Null, "color": "ededed", "default": false,
    })
}

fn labels_json(base: &str, full: &str, names: &[String]) -> Vec<Value> {
    names.iter().map(|n| label_json(base, full, n)).collect()
}

/// A repository as PRs embed it (`head.repo`, `base.repo`).
fn repo_json(base: &str, full: &str) -> Value {
    let (owner, name) = full.split_once('/').unwrap_or((full, full));
    json!({
        "id": id_of(full), "node_id": format!("R_{}", id_of(full)), "name": name, "full_name": full,
        "owner": user_json(base, owner), "private": false,
        "html_url": format!("{base}/{full}"), "url": format!("{base}/repos/{full}"),
    })
}

/// The fields an issue and a PR's issue side share, as GitHub's REST API gives them.
#[allow(clippy::too_many_arguments)]
fn issue_json(
    base: &str,
    full: &str,
    number: u32,
    title: &str,
    body: &str,
    state: &str,
    author: &str,
    labels: &[String],
    assignees: &[String],
    comments: usize,
    updated_ms: i64,
) -> Value {
    let url = format!("{base}/repos/{full}/issues/{number}");
    json!({
        "id": id_of(&format!("{full}#{number}")), "node_id": format!("I_{number}"),
        "url": url, "repository_url": format!("{base}/repos/{full}"),
        "labels_url": format!("{url}/labels{{/name}}"), "comments_url": format!("{url}/comments"),
        "events_url": format!("{url}/events"), "html_url": format!("{base}/{full}/issues/{number}"),
        "number": number, "state": state, "title": title, "body": body,
        "user": user_json(base, author),
        "labels": labels_json(base, full, labels),
        "assignee": assignees.first().map(|a| user_json(base, a)),
        "assignees": assignees.iter().map(|a| user_json(base, a)).collect::<Vec<_>>(),
        "locked": false, "comments": comments, "author_association": "OWNER",
        "created_at": iso(updated_ms), "updated_at": iso(updated_ms),
        "closed_at": if state == "closed" { Some(iso(updated_ms)) } else { None },
    })
}

pub fn sign_webhook(secret: &[u8], body: &[u8]) -> String {
    let mut key = [0u8; 64];
    if secret.len() > 64 {
        key[..32].copy_from_slice(&Sha256::digest(secret));
    } else {
        key[..secret.len()].copy_from_slice(secret);
    }
    let pad = |byte: u8| key.iter().map(|k| k ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(body)
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    format!("sha256={}", hex::encode(outer))
}

pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn query_pairs(uri: &Uri) -> HashMap<String, String> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// An answer before headers common to all are added.
struct Answer {
    status: u16,
    body: Value,
    headers: Vec<(String, String)>,
}

fn answer(status: u16, body: Value) -> Answer {
    Answer {
        status,
        body,
        headers: Vec::new(),
    }
}

fn not_found() -> Answer {
    answer(
        404,
        json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest" }),
    )
}

fn unprocessable(message: &str) -> Answer {
    answer(
        422,
        json!({ "message": "Validation Failed", "errors": [{ "message": message, "code": "custom" }] }),
    )
}

impl FakePr {
    fn merge_state(&self, repo: &FakeRepo) -> &'static str {
        if self.state != "open" {
            return "UNKNOWN";
        }
        if self.draft {
            return "DRAFT";
        }
        match self.mergeable {
            None => return "UNKNOWN",
            Some(false) => return "DIRTY",
            Some(true) => {}
        }
        if self.behind {
            return "BEHIND";
        }
        let ci = repo.rollup_state(&self.head_sha);
        let decision = self.review_decision(repo);
        if ci == Some("FAILURE")
            || decision == Some("CHANGES_REQUESTED")
            || decision == Some("REVIEW_REQUIRED")
        {
            return "BLOCKED";
        }
        if ci == Some("PENDING") {
            return "UNSTABLE";
        }
        "CLEAN"
    }

    /// The latest opinionated review of each reviewer.
    fn latest_reviews(&self) -> Vec<&FakeReview> {
        let mut latest: Vec<&FakeReview> = Vec::new();
        for review in &self.reviews {
            if review.state == "PENDING" {
                continue;
            }
            let opinionated = review.state != "COMMENTED";
            match latest.iter().position(|r| r.author == review.author) {
                Some(i) if opinionated || latest[i].state == "COMMENTED" => latest[i] = review,
                Some(_) => {}
                None => latest.push(review),
            }
        }
        latest
    }

    /// GitHub's `reviewDecision`: null unless the repository requires reviews.
    fn review_decision(&self, repo: &FakeRepo) -> Option<&'static str> {
        if !repo.review_required {
            return None;
        }
        let latest = self.latest_reviews();
        Some(if latest.iter().any(|r| r.state == "CHANGES_REQUESTED") {
            "CHANGES_REQUESTED"
        } else if latest.iter().any(|r| r.state == "APPROVED") {
            "APPROVED"
        } else {
            "REVIEW_REQUIRED"
        })
    }

    fn rest(&self, base: &str, full: &str, repo: &FakeRepo) -> Value {
        let owner = full.split('/').next().unwrap_or("");
        let url = format!("{base}/repos/{full}/pulls/{}", self.number);
        json!({
            "id": id_of(&format!("{full}!{}", self.number)),
            "node_id": format!("PR_{}", self.number),
            "number": self.number,
            "title": self.title,
            "body": self.body,
            "state": self.state,
            "locked": false,
            "draft": self.draft,
            "merged": self.merged,
            "merged_at": if self.merged { Some(iso(self.updated_ms)) } else { None },
            "closed_at": if self.state == "closed" { Some(iso(self.updated_ms)) } else { None },
            "html_url": format!("{base}/{full}/pull/{}", self.number),
            "url": url,
            "diff_url": format!("{base}/{full}/pull/{}.diff", self.number),
            "patch_url": format!("{base}/{full}/pull/{}.patch", self.number),
            "issue_url": format!("{base}/repos/{full}/issues/{}", self.number),
            "commits_url": format!("{url}/commits"),
            "review_comments_url": format!("{url}/comments"),
            "comments_url": format!("{base}/repos/{full}/issues/{}/comments", self.number),
            "statuses_url": format!("{base}/repos/{full}/statuses/{}", self.head_sha),
            "user": user_json(base, &self.author),
            "labels": labels_json(base, full, &self.labels),
            "assignees": [],
            "requested_reviewers": [],
            "head": {
                "ref": self.head_ref, "sha": self.head_sha, "label": format!("{owner}:{}", self.head_ref),
                "user": user_json(base, owner), "repo": repo_json(base, full),
            },
            "base": {
                "ref": self.base_ref, "sha": sha_of(&format!("{full} {}", self.base_ref)),
                "label": format!("{owner}:{}", self.base_ref),
                "user": user_json(base, owner), "repo": repo_json(base, full),
            },
            "author_association": "OWNER",
            "additions": self.additions,
            "deletions": self.deletions,
            "mergeable": if self.state == "open" { json!(self.mergeable) } else { Value::Null },
            "mergeable_state": self.merge_state(repo).to_ascii_lowercase(),
            "created_at": iso(self.updated_ms),
            "updated_at": iso(self.updated_ms),
        })
    }

    fn as_issue(&self, base: &str, full: &str) -> Value {
        let mut issue = issue_json(
            base,
            full,
            self.number,
            &self.title,
            &self.body,
            &self.state,
            &self.author,
            &self.labels,
            &[],
            0,
            self.updated_ms,
        );
        issue["html_url"] = json!(format!("{base}/{full}/pull/{}", self.number));
        issue["pull_request"] = json!({
            "url": format!("{base}/repos/{full}/pulls/{}", self.number),
            "html_url": format!("{base}/{full}/pull/{}", self.number),
            "diff_url": format!("{base}/{full}/pull/{}.diff", self.number),
            "patch_url": format!("{base}/{full}/pull/{}.patch", self.number),
        });
        issue
    }

    fn graphql(&self, base: &str, full: &str, repo: &FakeRepo) -> Value {
        let state = match (self.state.as_str(), self.merged) {
            (_, true) => "MERGED",
            ("closed", _) => "CLOSED",
            _ => "OPEN",
        };
        let contexts = repo.contexts(&self.head_sha);
        let rollup = match repo.rollup_state(&self.head_sha) {
            None => Value::Null,
            Some(state) => json!({ "state": state, "contexts": { "nodes": contexts } }),
        };
        let author = |login: &str| {
            let kind = if login.ends_with("[bot]") {
                "Bot"
            } else {
                "User"
            };
            json!({ "__typename": kind, "login": login.trim_end_matches("[bot]") })
        };
        let threads: Vec<Value> = self
            .threads
            .iter()
            .map(|t| {
                json!({
                    "id": t.id, "isResolved": t.resolved, "path": t.path, "line": t.line,
                    "comments": { "nodes": t.comments.iter().map(|c| json!({
                        "id": c.id, "body": c.body, "createdAt": iso(c.created_ms),
                        "url": format!("{base}/{full}/pull/{}#discussion_{}", self.number, c.id),
                        "author": author(&c.author),
                    })).collect::<Vec<_>>() },
                })
            })
            .collect();
        json!({
            "number": self.number,
            "state": state,
            "isDraft": self.draft,
            "title": self.title,
            "additions": self.additions,
            "deletions": self.deletions,
            "url": format!("{base}/{full}/pull/{}", self.number),
            "reviewDecision": self.review_decision(repo),
            "mergeable": match self.mergeable { Some(true) => "MERGEABLE", Some(false) => "CONFLICTING", None => "UNKNOWN" },
            "mergeStateStatus": self.merge_state(repo),
            "latestReviews": { "nodes": self.latest_reviews().iter().map(|r| json!({
                "state": r.state, "author": { "login": r.author },
            })).collect::<Vec<_>>() },
            "commits": { "nodes": [{ "commit": { "oid": self.head_sha, "statusCheckRollup": rollup } }] },
            "reviewThreads": { "nodes": threads },
        })
    }
}

impl FakeIssue {
    fn rest(&self, base: &str, full: &str) -> Value {
        let mut issue = issue_json(
            base,
            full,
            self.number,
            &self.title,
            &self.body,
            &self.state,
            "octocat",
            &self.labels,
            &self.assignees,
            self.comments.len(),
            self.updated_ms,
        );
        issue["state_reason"] = json!(self.state_reason);
        issue
    }
}

impl FakeRepo {
    fn combined(&self, sha: &str) -> Option<&'static str> {
        let statuses = self.statuses.get(sha).filter(|s| !s.is_empty())?;
        Some(
            if statuses
                .iter()
                .any(|s| s.state == "failure" || s.state == "error")
            {
                "failure"
            } else if statuses.iter().any(|s| s.state == "pending") {
                "pending"
            } else {
                "success"
            },
        )
    }

    /// `statusCheckRollup.state` over check runs and statuses; `None` without any.
    fn rollup_state(&self, sha: &str) -> Option<&'static str> {
        let runs = self
            .check_runs
            .get(sha)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let combined = self.combined(sha);
        if runs.is_empty() && combined.is_none() {
            return None;
        }
        let run_failed = runs.iter().any(|r| {
            r.status == "completed"
                && !matches!(
                    r.conclusion.as_deref(),
                    Some("success" | "neutral" | "skipped")
                )
        });
        let run_pending = runs.iter().any(|r| r.status != "completed");
        Some(if run_failed || combined == Some("failure") {
            "FAILURE"
        } else if run_pending || combined == Some("pending") {
            "PENDING"
        } else {
            "SUCCESS"
        })
    }

    fn contexts(&self, sha: &str) -> Vec<Value> {
        let mut out: Vec<Value> = self
            .check_runs
            .get(sha)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|r| {
                json!({
                    "__typename": "CheckRun", "name": r.name,
                    "status": r.status.to_ascii_uppercase(),
                    "conclusion": r.conclusion.as_ref().map(|c| c.to_ascii_uppercase()),
                    "detailsUrl": format!("https://ci.example/runs/{}", r.id),
                    "startedAt": r.started_ms.map(iso), "completedAt": r.completed_ms.map(iso),
                })
            })
            .collect();
        for s in self
            .statuses
            .get(sha)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            out.push(json!({
                "__typename": "StatusContext", "context": s.context,
                "state": s.state.to_ascii_uppercase(), "targetUrl": s.target_url,
                "createdAt": iso(s.created_ms),
            }));
        }
        out
    }
}

impl GhState {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn repo(&mut self, full: &str) -> &mut FakeRepo {
        self.repos.entry(full.to_string()).or_default()
    }

    fn pr_mut(&mut self, full: &str, number: u32) -> &mut FakePr {
        let seq = self.next_seq();
        let pr = self
            .repos
            .get_mut(full)
            .and_then(|r| r.prs.get_mut(&number))
            .unwrap_or_else(|| panic!("fake GitHub has no PR {full}#{number}"));
        pr.updated_ms = now_ms();
        pr.updated_seq = seq;
        pr
    }

    fn quota(&mut self, graphql: bool) -> &mut Quota {
        if graphql {
            &mut self.graphql
        } else {
            &mut self.core
        }
    }

    /// Routes one authenticated request.
    fn route(&mut self, method: &Method, uri: &Uri, body: &[u8]) -> Answer {
        let path = uri.path().trim_end_matches('/').to_string();
        let parts: Vec<String> = path.split('/').skip(1).map(percent_decode).collect();
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        let query = query_pairs(uri);
        let json_body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        match (method.as_str(), parts.as_slice()) {
            ("POST", ["graphql"]) => self.graphql(&json_body),
            ("GET", ["rate_limit"]) => {
                let resource = |q: &Quota| json!({ "limit": RATE_LIMIT, "remaining": q.remaining, "reset": q.reset_secs, "used": RATE_LIMIT - q.remaining });
                answer(
                    200,
                    json!({ "resources": { "core": resource(&self.core), "graphql": resource(&self.graphql) } }),
                )
            }
            (_, ["repos", owner, name, rest @ ..]) => {
                let full = format!("{owner}/{name}");
                if !self.repos.contains_key(&full) {
                    return not_found();
                }
                self.repo_route(method.as_str(), &full, rest, &query, &json_body)
            }
            _ => not_found(),
        }
    }

    fn repo_route(
        &mut self,
        method: &str,
        full: &str,
        rest: &[&str],
        query: &HashMap<String, String>,
        body: &Value,
    ) -> Answer {
        let base = self.base_url.clone();
        let number = |s: &str| s.parse::<u32>().ok();
        match (method, rest) {
            ("GET", ["issues"]) => self.list_issues(full, query),
            ("POST", ["issues"]) => {
                let Some(title) = body["title"].as_str().filter(|t| !t.trim().is_empty()) else {
                    return unprocessable("title is missing");
                };
                let labels = strings(&body["labels"]);
                let assignees = strings(&body["assignees"]);
                let description = body["body"].as_str().unwrap_or("").to_string();
                let n = self.insert_issue(full, title, &description, labels, assignees);
                let issue = self.repos[full].issues[&n].rest(&base, full);
                answer(201, issue)
            }
            ("GET", ["issues", n]) => {
                let Some(n) = number(n) else {
                    return not_found();
                };
                let repo = &self.repos[full];
                match (repo.issues.get(&n), repo.prs.get(&n)) {
                    (Some(issue), _) => answer(200, issue.rest(&base, full)),
                    (None, Some(pr)) => answer(200, pr.as_issue(&base, full)),
                    _ => not_found(),
                }
            }
            ("PATCH", ["issues", n]) => {
                let Some(n) = number(n) else {
                    return not_found();
                };
                let Some(issue) = self.repo(full).issues.get_mut(&n) else {
                    return not_found();
                };
                if let Some(state) = body["state"].as_str() {
                    if state != "open" && state != "closed" {
                        return unprocessable("state must be open or closed");
                    }
                    issue.state = state.to_string();
                    issue.state_reason = if state == "closed" {
                        Some(
                            body["state_reason"]
                                .as_str()
                                .unwrap_or("completed")
                                .to_string(),
                        )
                    } else {
                        None
                    };
                }
                if let Some(title) = body["title"].as_str() {
                    issue.title = title.to_string();
                }
                if let Some(text) = body["body"].as_str() {
                    issue.body = text.to_string();
                }
                if body.get("assignees").is_some() {
                    issue.assignees = strings(&body["assignees"]);
                }
                if body.get("labels").is_some() {
                    issue.labels = strings(&body["labels"]);
                }
                issue.updated_ms = now_ms();
                answer(200, issue.rest(&base, full))
            }
            ("POST", ["issues", n, "labels"]) => {
                let Some(n) = number(n) else {
                    return not_found();
                };
                let Some(issue) = self.repo(full).issues.get_mut(&n) else {
                    return not_found();
                };
                for label in strings(&body["labels"]) {
                    if !issue.labels.contains(&label) {
                        issue.labels.push(label);
                    }
                }
                issue.updated_ms = now_ms();
                answer(200, json!(labels_json(&base, full, &issue.labels)))
            }
            ("DELETE", ["issues", n, "labels", label]) => {
                let Some(n) = number(n) else {
                    return not_found();
                };
                let Some(issue) = self.repo(full).issues.get_mut(&n) else {
                    return not_found();
                };
                let Some(at) = issue.labels.iter().position(|l| l == label) else {
                    return answer(404, json!({ "message": "Label does not exist" }));
                };
                issue.labels.remove(at);
                issue.updated_ms = now_ms();
                answer(200, json!(labels_json(&base, full, &issue.labels)))
            }
            ("POST", ["issues", n, "comments"]) => {
                let Some(n) = number(n) else {
                    return not_found();
                };
                let Some(text) = body["body"].as_str().filter(|t| !t.is_empty()) else {
                    return unprocessable("body is missing");
                };
                let id = self.next_seq();
                let Some(issue) = self.repo(full).issues.get_mut(&n) else {
                    return not_found();
                };
                issue.comments.push(FakeComment {
                    id,
                    author: "ao-bot".into(),
                    body: text.to_string(),
                });
                let url = format!("{base}/repos/{full}/issues/comments/{id}");
                answer(
                    201,
                    json!({
                        "id": id, "node_id": format!("IC_{id}"), "url": url,
                        "html_url": format!("{base}/{full}/issues/{n}#issuecomment-{id}"),
                        "issue_url": format!("{base}/repos/{full}/issues/{n}"),
                        "body": text, "user": user_json(&base, "ao-bot"),
                        "author_association": "OWNER",
                        "created_at": iso(now_ms()), "updated_at": iso(now_ms()),
                    }),
                )
            }
            ("GET", ["pulls"]) => self.list_pulls(full, query),
            ("GET", ["pulls", n]) => {
                let Some(n) = number(n) else {
                    return not_found();
                };
                let repo = &self.repos[full];
                match repo.prs.get(&n) {
                    Some(pr) => answer(200, pr.rest(&base, full, repo)),
                    None => not_found(),
                }
            }
            ("PATCH", ["pulls", n]) => {
                let Some(n) = number(n) else {
                    return not_found();
                };
                if !self.repos[full].prs.contains_key(&n) {
                    return not_found();
                }
                let pr = self.pr_mut(full, n);
                if let Some(state) = body["state"].as_str() {
                    if pr.merged {
                        return unprocessable("a merged pull request cannot change state");
                    }
                    pr.state = state.to_string();
                }
                if let Some(title) = body["title"].as_str() {
                    pr.title = title.to_string();
                }
                let repo = &self.repos[full];
                answer(200, repo.prs[&n].rest(&base, full, repo))
            }
            ("PUT", ["pulls", n, "merge"]) => {
                let Some(n) = number(n) else {
                    return not_found();
                };
                let method = body["merge_method"].as_str().unwrap_or("merge").to_string();
                if !["merge", "squash", "rebase"].contains(&method.as_str()) {
                    return unprocessable("merge_method must be merge, squash or rebase");
                }
                let repo = &self.repos[full];
                let Some(pr) = repo.prs.get(&n) else {
                    return not_found();
                };
                let merge_state = pr.merge_state(repo);
                if pr.state != "open"
                    || matches!(merge_state, "DIRTY" | "DRAFT" | "BLOCKED" | "UNKNOWN")
                {
                    return answer(405, json!({ "message": "Pull Request is not mergeable" }));
                }
                let pr = self.pr_mut(full, n);
                pr.state = "closed".into();
                pr.merged = true;
                pr.merge_method = Some(method);
                let sha = sha_of(&format!("merge {full}#{n}"));
                answer(
                    200,
                    json!({ "sha": sha, "merged": true, "message": "Pull Request successfully merged" }),
                )
            }
            ("GET", ["pulls", n, "reviews"]) => {
                let Some(n) = number(n) else {
                    return not_found();
                };
                let Some(pr) = self.repos[full].prs.get(&n) else {
                    return not_found();
                };
                let reviews: Vec<Value> = pr
                    .reviews
                    .iter()
                    .map(|r| {
                        json!({
                            "id": r.id, "node_id": format!("PRR_{}", r.id),
                            "user": user_json(&base, &r.author), "state": r.state,
                            "body": r.body, "submitted_at": iso(r.submitted_ms), "commit_id": pr.head_sha,
                            "html_url": format!("{base}/{full}/pull/{n}#pullrequestreview-{}", r.id),
                            "pull_request_url": format!("{base}/repos/{full}/pulls/{n}"),
                            "author_association": "COLLABORATOR",
                        })
                    })
                    .collect();
                answer(200, json!(reviews))
            }
            ("GET", ["commits", sha, "check-runs"]) => {
                let runs: Vec<Value> = self.repos[full]
                    .check_runs
                    .get(*sha)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|r| {
                        json!({
                            "id": r.id, "node_id": format!("CR_{}", r.id), "name": r.name,
                            "head_sha": sha, "status": r.status, "conclusion": r.conclusion,
                            "url": format!("{base}/repos/{full}/check-runs/{}", r.id),
                            "external_id": "", "pull_requests": [],
                            "output": {
                                "title": r.conclusion, "summary": Value::Null, "text": Value::Null,
                                "annotations_count": 0,
                                "annotations_url": format!("{base}/repos/{full}/check-runs/{}/annotations", r.id),
                            },
                            "html_url": format!("https://ci.example/runs/{}", r.id),
                            "details_url": format!("https://ci.example/runs/{}", r.id),
                            "started_at": r.started_ms.map(iso), "completed_at": r.completed_ms.map(iso),
                        })
                    })
                    .collect();
                answer(
                    200,
                    json!({ "total_count": runs.len(), "check_runs": runs }),
                )
            }
            ("GET", ["commits", sha, "status"]) => {
                let repo = &self.repos[full];
                let statuses: Vec<Value> = repo
                    .statuses
                    .get(*sha)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|s| {
                        json!({
                            "id": id_of(&format!("{sha}/{}", s.context)),
                            "node_id": format!("SC_{}", id_of(&s.context)),
                            "url": format!("{base}/repos/{full}/statuses/{sha}"),
                            "context": s.context, "state": s.state, "target_url": s.target_url,
                            "description": Value::Null,
                            "created_at": iso(s.created_ms), "updated_at": iso(s.updated_ms),
                            "creator": user_json(&base, "ci-bot"),
                        })
                    })
                    .collect();
                answer(
                    200,
                    json!({
                        "state": repo.combined(sha).unwrap_or("pending"), "sha": sha,
                        "total_count": statuses.len(), "statuses": statuses,
                        "repository": repo_json(&base, full),
                        "commit_url": format!("{base}/repos/{full}/commits/{sha}"),
                        "url": format!("{base}/repos/{full}/commits/{sha}/status"),
                    }),
                )
            }
            _ => not_found(),
        }
    }

    fn insert_issue(
        &mut self,
        full: &str,
        title: &str,
        body: &str,
        labels: Vec<String>,
        assignees: Vec<String>,
    ) -> u32 {
        let repo = self.repo(full);
        repo.next_number += 1;
        let number = repo.next_number;
        repo.issues.insert(
            number,
            FakeIssue {
                number,
                title: title.to_string(),
                body: body.to_string(),
                state: "open".into(),
                state_reason: None,
                labels,
                assignees,
                comments: Vec::new(),
                updated_ms: now_ms(),
            },
        );
        number
    }

    fn list_issues(&self, full: &str, query: &HashMap<String, String>) -> Answer {
        let repo = &self.repos[full];
        let state = query.get("state").map(String::as_str).unwrap_or("open");
        let labels: Vec<&str> = query
            .get("labels")
            .map(|l| l.split(',').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let assignee = query.get("assignee");
        let mut items: Vec<(i64, Value)> = Vec::new();
        for issue in repo.issues.values() {
            let state_ok = state == "all" || issue.state == state;
            let labels_ok = labels.iter().all(|l| issue.labels.iter().any(|x| x == l));
            let assignee_ok = assignee.is_none_or(|a| issue.assignees.contains(a));
            if state_ok && labels_ok && assignee_ok {
                items.push((issue.number.into(), issue.rest(&self.base_url, full)));
            }
        }
        // GitHub's issues list includes pull requests.
        for pr in repo.prs.values() {
            let state_ok = state == "all" || pr.state == state;
            let labels_ok = labels.iter().all(|l| pr.labels.iter().any(|x| x == l));
            if state_ok && labels_ok && assignee.is_none() {
                items.push((pr.number.into(), pr.as_issue(&self.base_url, full)));
            }
        }
        items.sort_by_key(|(n, _)| -n);
        answer(
            200,
            json!(page(
                items.into_iter().map(|(_, v)| v).collect(),
                query,
                GITHUB_PER_PAGE
            )),
        )
    }

    fn list_pulls(&self, full: &str, query: &HashMap<String, String>) -> Answer {
        let repo = &self.repos[full];
        let state = query.get("state").map(String::as_str).unwrap_or("open");
        let head = query.get("head");
        let owner = full.split('/').next().unwrap_or("");
        let mut prs: Vec<&FakePr> = repo
            .prs
            .values()
            .filter(|p| state == "all" || p.state == state)
            .filter(|p| head.is_none_or(|h| *h == format!("{owner}:{}", p.head_ref)))
            .collect();
        match query.get("sort").map(String::as_str) {
            Some("updated") => prs.sort_by_key(|p| (p.updated_ms, p.updated_seq)),
            _ => prs.sort_by_key(|p| p.number),
        }
        if query.get("direction").map(String::as_str) != Some("asc") {
            prs.reverse();
        }
        let items = prs
            .iter()
            .map(|p| p.rest(&self.base_url, full, repo))
            .collect();
        answer(200, json!(page(items, query, GITHUB_PER_PAGE)))
    }

    /// Answers the query shapes the plugin sends: `repository(owner:, name:)`
    /// with aliased `pullRequest(number: N)` fields, and `rateLimit`.
    fn graphql(&mut self, body: &Value) -> Answer {
        let Some(query) = body["query"].as_str() else {
            return answer(400, json!({ "message": "Problems parsing JSON" }));
        };
        let variables = &body["variables"];
        let mut data = serde_json::Map::new();
        let mut errors = Vec::new();
        if let Some(args) = call_args(query, "repository") {
            let arg = |name: &str| -> Option<String> {
                let raw = args.get(name)?;
                match raw.strip_prefix('$') {
                    Some(var) => variables[var].as_str().map(str::to_string),
                    None => Some(raw.trim_matches('"').to_string()),
                }
            };
            let full = format!(
                "{}/{}",
                arg("owner").unwrap_or_default(),
                arg("name").unwrap_or_default()
            );
            match self.repos.get(&full) {
                None => {
                    data.insert("repository".into(), Value::Null);
                    errors.push(json!({
                        "type": "NOT_FOUND", "path": ["repository"],
                        "message": format!("Could not resolve to a Repository with the name '{full}'."),
                    }));
                }
                Some(repo) => {
                    let mut fields = serde_json::Map::new();
                    for (alias, number) in pull_request_fields(query) {
                        match repo.prs.get(&number) {
                            Some(pr) => {
                                fields.insert(alias, pr.graphql(&self.base_url, &full, repo));
                            }
                            None => {
                                errors.push(json!({
                                    "type": "NOT_FOUND", "path": ["repository", alias],
                                    "message": format!("Could not resolve to a PullRequest with the number of {number}."),
                                }));
                                fields.insert(alias, Value::Null);
                            }
                        }
                    }
                    data.insert("repository".into(), Value::Object(fields));
                }
            }
        }
        if query.contains("rateLimit") {
            data.insert(
                "rateLimit".into(),
                json!({
                    "limit": RATE_LIMIT, "remaining": self.graphql.remaining, "cost": 1,
                    "resetAt": iso(self.graphql.reset_secs * 1000),
                }),
            );
        }
        let mut out = json!({ "data": data });
        if !errors.is_empty() {
            out["errors"] = json!(errors);
        }
        answer(200, out)
    }
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// GitHub's default page size.
const GITHUB_PER_PAGE: usize = 30;

/// The `page`-th page of `per_page` items (`default_per_page` without one).
pub(crate) fn page(
    items: Vec<Value>,
    query: &HashMap<String, String>,
    default_per_page: usize,
) -> Vec<Value> {
    let per_page: usize = query
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(default_per_page)
        .clamp(1, 100);
    let page: usize = query
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect()
}

/// The arguments of the first `name(...)` call in a GraphQL query.
fn call_args(query: &str, name: &str) -> Option<HashMap<String, String>> {
    let start = query.find(&format!("{name}("))? + name.len() + 1;
    let end = start + query[start..].find(')')?;
    Some(
        query[start..end]
            .split(',')
            .filter_map(|pair| {
                let (k, v) = pair.split_once(':')?;
                Some((k.trim().to_string(), v.trim().to_string()))
            })
            .collect(),
    )
}

/// `(alias, number)` of every `alias: pullRequest(number: N)` (or unaliased) field.
fn pull_request_fields(query: &str) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    let mut rest = query;
    while let Some(at) = rest.find("pullRequest(") {
        let before = rest[..at].trim_end();
        let alias = before
            .strip_suffix(':')
            .map(|b| {
                b.trim_end()
                    .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or("pullRequest")
                    .to_string()
            })
            .unwrap_or_else(|| "pullRequest".to_string());
        let after = &rest[at + "pullRequest(".len()..];
        let args_end = after.find(')').unwrap_or(after.len());
        let number = after[..args_end]
            .split_once(':')
            .and_then(|(_, v)| v.trim().parse().ok());
        if let Some(number) = number {
            out.push((alias, number));
        }
        rest = &after[args_end..];
    }
    out
}

impl GhState {
    fn rate_headers(&self, graphql: bool) -> Vec<(String, String)> {
        let q = if graphql { &self.graphql } else { &self.core };
        vec![
            ("x-ratelimit-limit".into(), RATE_LIMIT.to_string()),
            ("x-ratelimit-remaining".into(), q.remaining.to_string()),
            (
                "x-ratelimit-used".into(),
                (RATE_LIMIT - q.remaining).to_string(),
            ),
            ("x-ratelimit-reset".into(), q.reset_secs.to_string()),
            (
                "x-ratelimit-resource".into(),
                if graphql { "graphql" } else { "core" }.into(),
            ),
        ]
    }

    fn respond(&mut self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Reply {
        self.requests.push(Recorded::of(method, uri, headers, body));
        if let Some(reply) = self.script.pop_front() {
            return reply;
        }
        let authorized = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v == format!("Bearer {}", self.token) || v == format!("token {}", self.token)
            });
        if !authorized {
            return Reply::status(401)
                .header("content-type", "application/json")
                .body(r#"{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}"#);
        }
        let graphql = uri.path() == "/graphql";
        if self.quota(graphql).remaining == 0 {
            let mut reply = Reply::status(403).header("content-type", "application/json").body(
                r#"{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}"#,
            );
            for (k, v) in self.rate_headers(graphql) {
                reply = reply.header(&k, &v);
            }
            return reply;
        }
        // A GraphQL query is charged before it runs, so its `rateLimit` shows its own cost.
        if graphql {
            self.graphql.remaining -= 1;
        }
        let a = self.route(method, uri, body);
        let bytes = serde_json::to_vec(&a.body).unwrap();
        let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&bytes))[..32]);
        let is_get = method == Method::GET;
        let not_modified = is_get
            && a.status == 200
            && headers
                .get("if-none-match")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| {
                    v.split(',')
                        .any(|t| t.trim().trim_start_matches("W/") == etag)
                });
        // A 304 does not count against the quota.
        if !not_modified && !graphql {
            let q = self.quota(graphql);
            q.remaining = q.remaining.saturating_sub(1);
        }
        let mut reply = if not_modified {
            Reply::status(304)
        } else {
            Reply::status(a.status)
                .header("content-type", "application/json; charset=utf-8")
                .body(bytes)
        };
        if is_get && a.status == 200 {
            reply = reply.header("etag", &etag);
        }
        for (k, v) in self.rate_headers(graphql).into_iter().chain(a.headers) {
            reply = reply.header(&k, &v);
        }
        reply
    }
}

impl FakeGitHub {
    /// Starts a fake GitHub accepting [`TOKEN`].
    pub fn start() -> FakeGitHub {
        FakeGitHub::with_token(TOKEN)
    }

    /// Starts a fake GitHub accepting `token` as `Bearer <token>`.
    pub fn with_token(token: &str) -> FakeGitHub {
        let reset_secs = now_ms() / 1000 + 3600;
        let served = serve(|addr| GhState {
            token: token.to_string(),
            base_url: format!("http://{addr}"),
            repos: HashMap::new(),
            requests: Vec::new(),
            script: VecDeque::new(),
            core: Quota {
                remaining: RATE_LIMIT,
                reset_secs,
            },
            graphql: Quota {
                remaining: RATE_LIMIT,
                reset_secs,
            },
            seq: 0,
        });
        FakeGitHub {
            addr: served.addr,
            served,
        }
    }

    /// `http://127.0.0.1:PORT`: the plugin's `apiUrl` (and its web URL).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/graphql`.
    pub fn graphql_url(&self) -> String {
        format!("{}/graphql", self.url())
    }

    /// `127.0.0.1:PORT`, as a host grant.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The plugin settings that point at this server.
    pub fn settings(&self) -> Value {
        json!({ "apiUrl": self.url() })
    }

    fn with<R>(&self, f: impl FnOnce(&mut GhState) -> R) -> R {
        f(&mut self.served.state.lock().unwrap())
    }

    // --- repositories and issues -------------------------------------------------

    /// Creates an empty repository (`owner/name`); mutators create them too.
    pub fn add_repo(&self, full: &str) {
        self.with(|s| {
            s.repo(full);
        });
    }

    /// The repository requires an approving review (so `reviewDecision` is set).
    pub fn require_reviews(&self, full: &str, required: bool) {
        self.with(|s| s.repo(full).review_required = required);
    }

    /// Opens an issue; returns its number.
    pub fn add_issue(&self, full: &str, title: &str, body: &str, labels: &[&str]) -> u32 {
        self.with(|s| {
            s.insert_issue(
                full,
                title,
                body,
                labels.iter().map(|l| l.to_string()).collect(),
                Vec::new(),
            )
        })
    }

    /// A copy of an issue.
    pub fn issue(&self, full: &str, number: u32) -> Option<FakeIssue> {
        self.with(|s| s.repos.get(full)?.issues.get(&number).cloned())
    }

    /// Changes an issue in place.
    pub fn update_issue(&self, full: &str, number: u32, f: impl FnOnce(&mut FakeIssue)) {
        self.with(|s| {
            let issue = s
                .repos
                .get_mut(full)
                .and_then(|r| r.issues.get_mut(&number))
                .unwrap_or_else(|| panic!("fake GitHub has no issue {full}#{number}"));
            f(issue);
            issue.updated_ms = now_ms();
        })
    }

    // --- pull requests ---------------------------------------------------------------

    /// Opens a PR from `branch` into `main`; returns its number.
    pub fn open_pr(&self, full: &str, branch: &str, title: &str) -> u32 {
        self.with(|s| {
            let seq = s.next_seq();
            let repo = s.repo(full);
            repo.next_number += 1;
            let number = repo.next_number;
            repo.prs.insert(
                number,
                FakePr {
                    number,
                    title: title.to_string(),
                    body: String::new(),
                    head_ref: branch.to_string(),
                    head_sha: sha_of(&format!("{full} {branch} {seq}")),
                    base_ref: "main".into(),
                    state: "open".into(),
                    merged: false,
                    merge_method: None,
                    draft: false,
                    additions: 10,
                    deletions: 2,
                    mergeable: Some(true),
                    behind: false,
                    author: "ao-agent".into(),
                    labels: Vec::new(),
                    reviews: Vec::new(),
                    threads: Vec::new(),
                    updated_ms: now_ms(),
                    updated_seq: seq,
                },
            );
            number
        })
    }

    /// A copy of a PR.
    pub fn pr(&self, full: &str, number: u32) -> Option<FakePr> {
        self.with(|s| s.repos.get(full)?.prs.get(&number).cloned())
    }

    /// Changes a PR in place (and bumps its `updated_at`, as GitHub does).
    pub fn update_pr(&self, full: &str, number: u32, f: impl FnOnce(&mut FakePr)) {
        self.with(|s| f(s.pr_mut(full, number)));
    }

    /// The head SHA of a PR.
    pub fn head_sha(&self, full: &str, number: u32) -> String {
        self.pr(full, number).expect("no such PR").head_sha
    }

    /// Pushes a new commit to the PR's branch; returns the new head SHA.
    pub fn push(&self, full: &str, number: u32) -> String {
        self.with(|s| {
            let seq = s.next_seq();
            let pr = s.pr_mut(full, number);
            pr.head_sha = sha_of(&format!("{full} {} {seq}", pr.head_ref));
            pr.head_sha.clone()
        })
    }

    pub fn set_draft(&self, full: &str, number: u32, draft: bool) {
        self.update_pr(full, number, |p| p.draft = draft);
    }

    /// `true`: the PR conflicts with its base (`mergeable: false`).
    pub fn set_conflicts(&self, full: &str, number: u32, conflicts: bool) {
        self.update_pr(full, number, |p| p.mergeable = Some(!conflicts));
    }

    pub fn set_behind(&self, full: &str, number: u32, behind: bool) {
        self.update_pr(full, number, |p| p.behind = behind);
    }

    /// Merges or closes the PR as if someone did it on github.com.
    pub fn close_pr(&self, full: &str, number: u32, merged: bool) {
        self.update_pr(full, number, |p| {
            p.state = "closed".into();
            p.merged = merged;
        });
    }

    // --- CI -------------------------------------------------------------------------------

    /// Adds or replaces (by name) a check run on a commit. `status`: `queued`,
    /// `in_progress` or `completed` (then `conclusion` is e.g. `success`/`failure`).
    pub fn set_check(
        &self,
        full: &str,
        sha: &str,
        name: &str,
        status: &str,
        conclusion: Option<&str>,
    ) {
        self.with(|s| {
            let id = s.next_seq();
            let now = now_ms();
            let runs = s.repo(full).check_runs.entry(sha.to_string()).or_default();
            let run = FakeCheckRun {
                id,
                name: name.to_string(),
                status: status.to_string(),
                conclusion: conclusion.map(str::to_string),
                started_ms: (status != "queued").then_some(now - 60_000),
                completed_ms: (status == "completed").then_some(now),
            };
            match runs.iter_mut().find(|r| r.name == name) {
                Some(existing) => *existing = run,
                None => runs.push(run),
            }
        });
    }

    /// [`FakeGitHub::set_check`] on the PR's head commit.
    pub fn set_pr_check(
        &self,
        full: &str,
        number: u32,
        name: &str,
        status: &str,
        conclusion: Option<&str>,
    ) {
        let sha = self.head_sha(full, number);
        self.set_check(full, &sha, name, status, conclusion);
    }

    /// Adds or replaces (by context) a commit status: `pending`, `success`, `failure`, `error`.
    pub fn set_status(&self, full: &str, sha: &str, context: &str, state: &str) {
        self.with(|s| {
            let now = now_ms();
            let statuses = s.repo(full).statuses.entry(sha.to_string()).or_default();
            match statuses.iter_mut().find(|x| x.context == context) {
                Some(existing) => {
                    existing.state = state.to_string();
                    existing.updated_ms = now;
                }
                None => statuses.push(FakeStatus {
                    context: context.to_string(),
                    state: state.to_string(),
                    target_url: Some(format!("https://ci.example/status/{context}")),
                    created_ms: now,
                    updated_ms: now,
                }),
            }
        });
    }

    /// [`FakeGitHub::set_status`] on the PR's head commit.
    pub fn set_pr_status(&self, full: &str, number: u32, context: &str, state: &str) {
        let sha = self.head_sha(full, number);
        self.set_status(full, &sha, context, state);
    }

    // --- reviews ----------------------------------------------------------------------------

    /// Submits a review: `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`.
    /// Logins ending in `[bot]` are bots.
    pub fn add_review(&self, full: &str, number: u32, author: &str, state: &str, body: &str) {
        self.with(|s| {
            let id = s.next_seq();
            s.pr_mut(full, number).reviews.push(FakeReview {
                id,
                author: author.to_string(),
                state: state.to_string(),
                body: body.to_string(),
                submitted_ms: now_ms(),
            });
        });
    }

    /// Starts a review thread on `path:line`; returns the thread's id.
    pub fn add_thread(
        &self,
        full: &str,
        number: u32,
        author: &str,
        path: &str,
        line: u32,
        body: &str,
    ) -> String {
        self.with(|s| {
            let seq = s.next_seq();
            let id = format!("PRRT_{seq}");
            s.pr_mut(full, number).threads.push(FakeThread {
                id: id.clone(),
                path: path.to_string(),
                line,
                resolved: false,
                comments: vec![FakeThreadComment {
                    id: format!("PRRC_{seq}"),
                    author: author.to_string(),
                    body: body.to_string(),
                    created_ms: now_ms(),
                }],
            });
            id
        })
    }

    /// Replies in a thread.
    pub fn reply_in_thread(
        &self,
        full: &str,
        number: u32,
        thread_id: &str,
        author: &str,
        body: &str,
    ) {
        self.with(|s| {
            let seq = s.next_seq();
            let pr = s.pr_mut(full, number);
            let thread = pr
                .threads
                .iter_mut()
                .find(|t| t.id == thread_id)
                .expect("no such thread");
            thread.comments.push(FakeThreadComment {
                id: format!("PRRC_{seq}"),
                author: author.to_string(),
                body: body.to_string(),
                created_ms: now_ms(),
            });
        });
    }

    /// Marks a thread resolved (or not).
    pub fn resolve_thread(&self, full: &str, number: u32, thread_id: &str, resolved: bool) {
        self.update_pr(full, number, |pr| {
            pr.threads
                .iter_mut()
                .find(|t| t.id == thread_id)
                .expect("no such thread")
                .resolved = resolved;
        });
    }

    // --- quota, failures, log -----------------------------------------------------------

    /// Answers the next request with `reply`, whatever it is (then back to normal).
    pub fn fail_next(&self, reply: Reply) {
        self.with(|s| s.script.push_back(reply));
    }

    /// The next request gets GitHub's rate-limit 403: with `Retry-After`
    /// (a secondary limit) when given, else with `x-ratelimit-remaining: 0`
    /// and a reset `reset_in_secs` from now.
    pub fn rate_limit_next(&self, retry_after_secs: Option<u32>, reset_in_secs: i64) {
        let reset = now_ms() / 1000 + reset_in_secs;
        let mut reply = Reply::status(403)
            .header("content-type", "application/json")
            .header("x-ratelimit-limit", &RATE_LIMIT.to_string())
            .header("x-ratelimit-reset", &reset.to_string())
            .header("x-ratelimit-resource", "core");
        reply = match retry_after_secs {
            Some(secs) => reply
                .header("retry-after", &secs.to_string())
                .header("x-ratelimit-remaining", "4000")
                .body(r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#),
            None => reply
                .header("x-ratelimit-remaining", "0")
                .body(r#"{"message":"API rate limit exceeded for user ID 1."}"#),
        };
        self.fail_next(reply);
    }

    /// Sets the remaining REST (`core`) quota; at 0 every request is refused.
    pub fn set_rate_limit_remaining(&self, remaining: u32) {
        self.with(|s| s.core.remaining = remaining);
    }

    /// Remaining quota: (REST core, GraphQL).
    pub fn rate_limit_remaining(&self) -> (u32, u32) {
        self.with(|s| (s.core.remaining, s.graphql.remaining))
    }

    /// When the quota resets, seconds since the epoch.
    pub fn rate_limit_reset(&self) -> i64 {
        self.with(|s| s.core.reset_secs)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.with(|s| s.requests.clone())
    }

    /// Requests with this method whose path (and query) starts with `prefix`.
    pub fn requests_to(&self, method: &str, prefix: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method && r.path_and_query.starts_with(prefix))
            .collect()
    }

    /// GraphQL POSTs so far.
    pub fn graphql_requests(&self) -> Vec<Recorded> {
        self.requests_to("POST", "/graphql")
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        self.with(|s| s.requests.clear());
    }
}
