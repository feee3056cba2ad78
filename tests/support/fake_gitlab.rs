//! A fake GitLab on 127.0.0.1: real HTTP (axum), in-memory state, the REST
//! v4 endpoints and the GraphQL query shape the `gitlab` plugin uses.
//!
//! What it keeps honest:
//! - answers are computed from the state (issues, merge requests, pipelines
//!   and jobs per commit, approvals, reviewers, discussions), which tests
//!   change with mutators; project ids are URL-encoded paths, so nested
//!   groups (`acme/platform/web`) go through the same encoding as on GitLab;
//! - GETs carry a weak ETag and `If-None-Match` gets a 304;
//! - `RateLimit-*` headers count down per request;
//! - requests without the token (`Authorization: Bearer` or `PRIVATE-TOKEN`)
//!   get GitLab's 401;
//! - merging checks what GitLab checks: open, not a draft, no conflicts,
//!   the `sha` given is the head (409 otherwise);
//! - every request is logged, and failures can be scripted for the next one.

use crate::fake_github::{iso, now_ms, page, percent_decode, query_pairs, sha_of};
use crate::fake_http::{Recorded, Reply, Respond, Serving, serve};
use axum::http::{HeaderMap, Method, Uri};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;

/// The token [`FakeGitLab::start`] accepts.
pub const TOKEN: &str = "glpat-fake0123456789abcdef";
/// GitLab's default page size.
const GITLAB_PER_PAGE: usize = 20;
/// Requests per window, as GitLab.com's authenticated API limit.
pub const RATE_LIMIT: u32 = 2000;

#[derive(Debug, Clone)]
pub struct FakeGlIssue {
    pub iid: u32,
    pub title: String,
    pub description: String,
    /// `opened` or `closed`.
    pub state: String,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    /// Comments (notes), oldest first.
    pub notes: Vec<String>,
    pub updated_ms: i64,
}

#[derive(Debug, Clone)]
pub struct FakeJob {
    pub id: u64,
    pub name: String,
    /// REST spelling: `created`, `pending`, `running`, `success`, `failed`, `canceled`, `skipped`, `manual`.
    pub status: String,
    pub allow_failure: bool,
    pub trace: String,
    /// Replaced by a retry of the same job (GitLab keeps both).
    pub retried: bool,
}

#[derive(Debug, Clone)]
pub struct FakeNote {
    pub id: u64,
    pub author: String,
    pub bot: bool,
    pub body: String,
    pub created_ms: i64,
}

#[derive(Debug, Clone)]
pub struct FakeDiscussion {
    pub id: String,
    pub path: Option<String>,
    pub line: Option<u32>,
    pub resolved: bool,
    pub notes: Vec<FakeNote>,
}

#[derive(Debug, Clone)]
pub struct FakeMr {
    pub iid: u32,
    pub title: String,
    pub source_branch: String,
    pub target_branch: String,
    pub sha: String,
    /// `opened`, `closed` or `merged`.
    pub state: String,
    pub draft: bool,
    pub conflicts: bool,
    pub squashed: bool,
    pub approved_by: Vec<String>,
    /// (username, GraphQL `reviewState`).
    pub reviewers: Vec<(String, String)>,
    pub discussions: Vec<FakeDiscussion>,
    pub updated_ms: i64,
    updated_seq: u64,
}

#[derive(Debug, Default)]
struct FakeProject {
    id: u64,
    next_issue: u32,
    next_mr: u32,
    issues: BTreeMap<u32, FakeGlIssue>,
    mrs: BTreeMap<u32, FakeMr>,
    /// Jobs of the pipeline run for each commit.
    pipelines: HashMap<String, Vec<FakeJob>>,
    approvals_required: u32,
}

struct GlState {
    token: String,
    base_url: String,
    projects: BTreeMap<String, FakeProject>,
    requests: Vec<Recorded>,
    script: VecDeque<Reply>,
    remaining: u32,
    reset_secs: i64,
    seq: u64,
}

/// A running fake GitLab; stops when dropped.
pub struct FakeGitLab {
    pub addr: SocketAddr,
    served: Serving<GlState>,
}

impl Respond for GlState {
    fn answer(&mut self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Reply {
        self.respond(method, uri, headers, body)
    }
}

struct Answer {
    status: u16,
    body: Value,
}

fn answer(status: u16, body: Value) -> Answer {
    Answer { status, body }
}

fn not_found(what: &str) -> Answer {
    answer(404, json!({ "message": format!("404 {what} Not Found") }))
}

fn user_json(base: &str, username: &str) -> Value {
    json!({
        "id": crate::fake_github::id_of(username), "username": username, "name": username,
        "state": "active", "avatar_url": format!("{base}/avatars/{username}"),
        "web_url": format!("{base}/{username}"),
    })
}

/// GitLab's pipeline status from its latest jobs (allowed failures and
/// retried jobs do not fail it).
fn pipeline_status(jobs: &[FakeJob]) -> &'static str {
    let jobs: Vec<&FakeJob> = jobs.iter().filter(|j| !j.retried).collect();
    let jobs = jobs.as_slice();
    let blocking = |j: &&&FakeJob| !(j.allow_failure && j.status == "failed");
    if jobs
        .iter()
        .filter(blocking)
        .any(|j| j.status == "failed" || j.status == "canceled")
    {
        "failed"
    } else if jobs.iter().any(|j| j.status == "running") {
        "running"
    } else if jobs
        .iter()
        .any(|j| matches!(j.status.as_str(), "created" | "pending"))
    {
        "pending"
    } else {
        "success"
    }
}

impl FakeMr {
    fn web_url(&self, base: &str, path: &str) -> String {
        format!("{base}/{path}/-/merge_requests/{}", self.iid)
    }

    fn unresolved(&self) -> bool {
        self.discussions.iter().any(|d| !d.resolved)
    }

    /// GitLab's `detailed_merge_status`.
    fn merge_status(&self, project: &FakeProject) -> &'static str {
        if self.state != "opened" {
            return "not_open";
        }
        if self.draft {
            return "draft_status";
        }
        if self.conflicts {
            return "conflict";
        }
        if self.reviewers.iter().any(|(_, s)| s == "REQUESTED_CHANGES") {
            return "requested_changes";
        }
        match project.pipelines.get(&self.sha).map(|j| pipeline_status(j)) {
            Some("failed") => return "ci_must_pass",
            Some("running" | "pending") => return "ci_still_running",
            _ => {}
        }
        if (self.approved_by.len() as u32) < project.approvals_required {
            return "not_approved";
        }
        "mergeable"
    }

    fn rest(&self, base: &str, path: &str, project: &FakeProject) -> Value {
        let pipeline = project.pipelines.get(&self.sha).map(|jobs| {
            json!({ "id": crate::fake_github::id_of(&self.sha) % 100_000, "sha": self.sha,
                    "ref": self.source_branch, "status": pipeline_status(jobs) })
        });
        json!({
            "id": project.id * 1000 + u64::from(self.iid), "iid": self.iid, "project_id": project.id,
            "title": self.title, "description": "", "state": self.state,
            "created_at": iso(self.updated_ms), "updated_at": iso(self.updated_ms),
            "merged_at": if self.state == "merged" { Some(iso(self.updated_ms)) } else { None },
            "target_branch": self.target_branch, "source_branch": self.source_branch,
            "source_project_id": project.id, "target_project_id": project.id,
            "author": user_json(base, "agent"), "labels": [], "draft": self.draft,
            "work_in_progress": self.draft, "merge_when_pipeline_succeeds": false,
            "merge_status": if self.merge_status(project) == "mergeable" { "can_be_merged" } else { "cannot_be_merged" },
            "detailed_merge_status": self.merge_status(project),
            "has_conflicts": self.conflicts, "blocking_discussions_resolved": !self.unresolved(),
            "sha": self.sha, "squash": self.squashed, "web_url": self.web_url(base, path),
            "references": { "short": format!("!{}", self.iid), "full": format!("{path}!{}", self.iid) },
            "head_pipeline": pipeline,
        })
    }

    /// The MR as GraphQL answers it; `latest_jobs`: the query asked for
    /// `jobs(retried: false)` (else retried jobs are listed too, as on GitLab).
    fn graphql(&self, base: &str, path: &str, project: &FakeProject, latest_jobs: bool) -> Value {
        let jobs = project.pipelines.get(&self.sha);
        let head_pipeline = jobs.map(|jobs| {
            json!({
                "status": pipeline_status(jobs).to_ascii_uppercase(),
                "jobs": { "nodes": jobs.iter().filter(|j| !(latest_jobs && j.retried)).map(|j| json!({
                    "id": format!("gid://gitlab/Ci::Build/{}", j.id), "name": j.name,
                    "status": j.status.to_ascii_uppercase(), "allowFailure": j.allow_failure,
                    "webPath": format!("/{path}/-/jobs/{}", j.id),
                    "startedAt": iso(self.updated_ms), "finishedAt": iso(self.updated_ms),
                })).collect::<Vec<_>>() },
            })
        });
        let status = self.merge_status(project).to_ascii_uppercase();
        json!({
            "iid": self.iid.to_string(), "title": self.title,
            "state": self.state, "draft": self.draft, "webUrl": self.web_url(base, path),
            "conflicts": self.conflicts, "detailedMergeStatus": status, "shouldBeRebased": false,
            "diffStatsSummary": { "additions": 12, "deletions": 3 },
            // The approval counts are Premium-only fields; `approved` is in every edition.
            "approved": (self.approved_by.len() as u32) >= project.approvals_required,
            "approvedBy": { "nodes": self.approved_by.iter().map(|u| json!({ "username": u })).collect::<Vec<_>>() },
            "reviewers": { "nodes": self.reviewers.iter().map(|(u, s)| json!({
                "username": u, "mergeRequestInteraction": { "reviewState": s } })).collect::<Vec<_>>() },
            "headPipeline": head_pipeline,
            "discussions": self.discussions_page(base, path, 0),
        })
    }

    /// One page (100) of discussions from `start`, as a GraphQL connection
    /// whose cursor is the index of the next one.
    fn discussions_page(&self, base: &str, path: &str, start: usize) -> Value {
        const PAGE: usize = 100;
        let page: Vec<Value> = self.discussions.iter().skip(start).take(PAGE).map(|d| json!({
            "id": format!("gid://gitlab/Discussion/{}", d.id), "resolvable": true, "resolved": d.resolved,
            "notes": { "nodes": d.notes.iter().map(|n| json!({
                "id": format!("gid://gitlab/DiffNote/{}", n.id), "body": n.body, "system": false,
                "createdAt": iso(n.created_ms),
                "url": format!("{}#note_{}", self.web_url(base, path), n.id),
                "author": { "username": n.author, "bot": n.bot },
                "position": d.path.as_ref().map(|p| json!({ "filePath": p, "newLine": d.line })),
            })).collect::<Vec<_>>() },
        })).collect();
        let next = start + page.len();
        json!({
            "pageInfo": { "hasNextPage": next < self.discussions.len(), "endCursor": next.to_string() },
            "nodes": page,
        })
    }
}

impl FakeGlIssue {
    fn rest(&self, base: &str, path: &str, project_id: u64) -> Value {
        json!({
            "id": project_id * 100_000 + u64::from(self.iid), "iid": self.iid, "project_id": project_id,
            "title": self.title, "description": self.description, "state": self.state,
            "created_at": iso(self.updated_ms), "updated_at": iso(self.updated_ms),
            "closed_at": if self.state == "closed" { Some(iso(self.updated_ms)) } else { None },
            "labels": self.labels, "milestone": null,
            "assignees": self.assignees.iter().map(|a| user_json(base, a)).collect::<Vec<_>>(),
            "assignee": self.assignees.first().map(|a| user_json(base, a)),
            "author": user_json(base, "pm"), "type": "ISSUE", "user_notes_count": self.notes.len(),
            "web_url": format!("{base}/{path}/-/issues/{}", self.iid),
            "references": { "short": format!("#{}", self.iid), "full": format!("{path}#{}", self.iid) },
        })
    }
}

/// Labels from GitLab's comma-separated form or a JSON list.
fn label_list(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

impl GlState {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A project by numeric id or full path.
    fn project_path(&self, id: &str) -> Option<String> {
        if self.projects.contains_key(id) {
            return Some(id.to_string());
        }
        let n: u64 = id.parse().ok()?;
        self.projects
            .iter()
            .find(|(_, p)| p.id == n)
            .map(|(k, _)| k.clone())
    }

    fn mr_mut(&mut self, path: &str, iid: u32) -> &mut FakeMr {
        let seq = self.next_seq();
        let mr = self
            .projects
            .get_mut(path)
            .and_then(|p| p.mrs.get_mut(&iid))
            .unwrap_or_else(|| panic!("fake GitLab has no MR {path}!{iid}"));
        mr.updated_ms = now_ms();
        mr.updated_seq = seq;
        mr
    }

    fn route(&mut self, method: &Method, uri: &Uri, body: &[u8]) -> Answer {
        let path = uri.path().trim_end_matches('/');
        // Split before decoding: a project id is one encoded segment.
        let parts: Vec<String> = path.split('/').skip(1).map(percent_decode).collect();
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        let query = query_pairs(uri);
        let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let base = self.base_url.clone();
        match (method.as_str(), parts.as_slice()) {
            ("POST", ["api", "graphql"]) => self.graphql(&body),
            ("GET", ["api", "v4", "user"]) => answer(200, user_json(&base, "agent")),
            ("GET", ["api", "v4", "users"]) => {
                let name = query.get("username").cloned().unwrap_or_default();
                answer(200, json!([user_json(&base, &name)]))
            }
            (_, ["api", "v4", "projects", id, rest @ ..]) => {
                let Some(project) = self.project_path(id) else {
                    return not_found("Project");
                };
                self.project_route(method.as_str(), &project, rest, &query, &body)
            }
            _ => answer(404, json!({ "error": "404 Not Found" })),
        }
    }

    fn project_route(
        &mut self,
        method: &str,
        path: &str,
        rest: &[&str],
        query: &HashMap<String, String>,
        body: &Value,
    ) -> Answer {
        let base = self.base_url.clone();
        let project = self.projects.get(path).unwrap();
        let pid = project.id;
        match (method, rest) {
            ("GET", []) => answer(
                200,
                json!({ "id": pid, "path_with_namespace": path, "default_branch": "main",
                        "web_url": format!("{base}/{path}") }),
            ),
            ("GET", ["issues"]) => {
                let state = query.get("state").map(String::as_str).unwrap_or("all");
                let labels = label_list(&json!(query.get("labels").cloned().unwrap_or_default()));
                let mut items: Vec<&FakeGlIssue> = project
                    .issues
                    .values()
                    .filter(|i| state == "all" || i.state == state)
                    .filter(|i| labels.iter().all(|l| i.labels.contains(l)))
                    .filter(|i| {
                        query
                            .get("assignee_username")
                            .is_none_or(|a| i.assignees.contains(a))
                    })
                    .collect();
                items.sort_by_key(|i| std::cmp::Reverse(i.updated_ms));
                let all = items.iter().map(|i| i.rest(&base, path, pid)).collect();
                answer(200, json!(page(all, query, GITLAB_PER_PAGE)))
            }
            ("GET", ["issues", iid]) => {
                match iid.parse().ok().and_then(|n: u32| project.issues.get(&n)) {
                    Some(issue) => answer(200, issue.rest(&base, path, pid)),
                    None => not_found("Issue"),
                }
            }
            ("POST", ["issues"]) => {
                let title = body["title"].as_str().unwrap_or("").to_string();
                if title.trim().is_empty() {
                    return answer(400, json!({ "message": { "title": ["can't be blank"] } }));
                }
                let project = self.projects.get_mut(path).unwrap();
                project.next_issue += 1;
                let issue = FakeGlIssue {
                    iid: project.next_issue,
                    title,
                    description: body["description"].as_str().unwrap_or("").to_string(),
                    state: "opened".into(),
                    labels: label_list(&body["labels"]),
                    assignees: Vec::new(),
                    notes: Vec::new(),
                    updated_ms: now_ms(),
                };
                let out = issue.rest(&base, path, pid);
                project.issues.insert(issue.iid, issue);
                answer(201, out)
            }
            ("PUT", ["issues", iid]) => {
                let Some(issue) = iid.parse().ok().and_then(|n: u32| {
                    self.projects
                        .get_mut(path)
                        .and_then(|p| p.issues.get_mut(&n))
                }) else {
                    return not_found("Issue");
                };
                match body["state_event"].as_str() {
                    Some("close") => issue.state = "closed".into(),
                    Some("reopen") => issue.state = "opened".into(),
                    _ => {}
                }
                for label in label_list(&body["add_labels"]) {
                    if !issue.labels.contains(&label) {
                        issue.labels.push(label);
                    }
                }
                let remove = label_list(&body["remove_labels"]);
                issue.labels.retain(|l| !remove.contains(l));
                issue.updated_ms = now_ms();
                answer(200, issue.rest(&base, path, pid))
            }
            ("POST", ["issues", iid, "notes"]) => {
                let Some(issue) = iid.parse().ok().and_then(|n: u32| {
                    self.projects
                        .get_mut(path)
                        .and_then(|p| p.issues.get_mut(&n))
                }) else {
                    return not_found("Issue");
                };
                let text = body["body"].as_str().unwrap_or("").to_string();
                issue.notes.push(text.clone());
                answer(
                    201,
                    json!({ "id": issue.notes.len(), "body": text, "system": false,
                                    "author": user_json(&base, "agent"), "noteable_type": "Issue" }),
                )
            }
            ("GET", ["merge_requests"]) => {
                let state = query.get("state").map(String::as_str).unwrap_or("all");
                let mut items: Vec<&FakeMr> = project
                    .mrs
                    .values()
                    .filter(|m| state == "all" || m.state == state)
                    .filter(|m| {
                        query
                            .get("source_branch")
                            .is_none_or(|b| &m.source_branch == b)
                    })
                    .collect();
                items.sort_by_key(|m| std::cmp::Reverse(m.updated_seq));
                let all = items.iter().map(|m| m.rest(&base, path, project)).collect();
                answer(200, json!(page(all, query, GITLAB_PER_PAGE)))
            }
            ("GET", ["merge_requests", iid]) => {
                match iid.parse().ok().and_then(|n: u32| project.mrs.get(&n)) {
                    Some(mr) => answer(200, mr.rest(&base, path, project)),
                    None => not_found("Merge Request"),
                }
            }
            ("GET", ["merge_requests", iid, "approvals"]) => {
                match iid.parse().ok().and_then(|n: u32| project.mrs.get(&n)) {
                    Some(mr) => {
                        let left = project
                            .approvals_required
                            .saturating_sub(mr.approved_by.len() as u32);
                        answer(
                            200,
                            json!({ "iid": mr.iid, "approved": left == 0, "approvals_required": project.approvals_required,
                                "approvals_left": left,
                                "approved_by": mr.approved_by.iter().map(|u| json!({ "user": user_json(&base, u) })).collect::<Vec<_>>() }),
                        )
                    }
                    None => not_found("Merge Request"),
                }
            }
            ("PUT", ["merge_requests", iid, "merge"]) => {
                let Some(mr) = iid.parse().ok().and_then(|n: u32| project.mrs.get(&n)) else {
                    return not_found("Merge Request");
                };
                let status = mr.merge_status(project);
                if let Some(sha) = body["sha"].as_str()
                    && sha != mr.sha
                {
                    return answer(
                        409,
                        json!({ "message": "SHA does not match HEAD of source branch" }),
                    );
                }
                if status != "mergeable" {
                    return answer(405, json!({ "message": "405 Method Not Allowed" }));
                }
                let iid = mr.iid;
                let squash = body["squash"] == true;
                let mr = self.mr_mut(path, iid);
                mr.state = "merged".into();
                mr.squashed = squash;
                let project = self.projects.get(path).unwrap();
                answer(200, project.mrs[&iid].rest(&base, path, project))
            }
            ("PUT", ["merge_requests", iid]) => {
                let Some(iid) = iid
                    .parse()
                    .ok()
                    .filter(|n: &u32| project.mrs.contains_key(n))
                else {
                    return not_found("Merge Request");
                };
                match body["state_event"].as_str() {
                    Some("close") => self.mr_mut(path, iid).state = "closed".into(),
                    Some("reopen") => self.mr_mut(path, iid).state = "opened".into(),
                    _ => {}
                }
                let project = self.projects.get(path).unwrap();
                answer(200, project.mrs[&iid].rest(&base, path, project))
            }
            ("GET", ["jobs", job, "trace"]) => {
                let job: u64 = job.parse().unwrap_or(0);
                match project.pipelines.values().flatten().find(|j| j.id == job) {
                    Some(j) => answer(200, Value::String(j.trace.clone())),
                    None => not_found("Job"),
                }
            }
            _ => answer(404, json!({ "error": "404 Not Found" })),
        }
    }

    fn graphql(&self, body: &Value) -> Answer {
        let query = body["query"].as_str().unwrap_or("");
        let variables = &body["variables"];
        // The next page of one MR's discussions.
        if query.contains("mergeRequest(iid:") {
            let path = variables["path"].as_str().unwrap_or("");
            let iid: u32 = variables["iid"]
                .as_str()
                .and_then(|i| i.parse().ok())
                .unwrap_or(0);
            let Some(mr) = self.projects.get(path).and_then(|p| p.mrs.get(&iid)) else {
                return answer(200, json!({ "data": { "project": null } }));
            };
            let after: usize = variables["after"]
                .as_str()
                .and_then(|a| a.parse().ok())
                .unwrap_or(0);
            return answer(
                200,
                json!({ "data": { "project": { "mergeRequest": {
                    "discussions": mr.discussions_page(&self.base_url, path, after) } } } }),
            );
        }
        if !query.contains("mergeRequests(") {
            return answer(
                200,
                json!({ "errors": [{ "message": "fake GitLab: query not supported" }] }),
            );
        }
        let path = variables["path"].as_str().unwrap_or("");
        let Some(project) = self.projects.get(path) else {
            return answer(200, json!({ "data": { "project": null } }));
        };
        let iids: Vec<u32> = variables["iids"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().and_then(|s| s.parse().ok()))
                    .collect()
            })
            .unwrap_or_default();
        let latest_jobs = query.contains("retried: false");
        let nodes: Vec<Value> = project
            .mrs
            .values()
            .filter(|m| iids.contains(&m.iid))
            .map(|m| m.graphql(&self.base_url, path, project, latest_jobs))
            .collect();
        answer(
            200,
            json!({ "data": { "project": { "mergeRequests": { "nodes": nodes } } } }),
        )
    }

    fn rate_headers(&self) -> Vec<(String, String)> {
        vec![
            ("ratelimit-limit".into(), RATE_LIMIT.to_string()),
            ("ratelimit-remaining".into(), self.remaining.to_string()),
            (
                "ratelimit-observed".into(),
                (RATE_LIMIT - self.remaining).to_string(),
            ),
            ("ratelimit-reset".into(), self.reset_secs.to_string()),
        ]
    }

    fn respond(&mut self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Reply {
        self.requests.push(Recorded::of(method, uri, headers, body));
        if let Some(reply) = self.script.pop_front() {
            return reply;
        }
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let authorized = header("authorization") == Some(&format!("Bearer {}", self.token))
            || header("private-token") == Some(&self.token);
        if !authorized {
            return Reply::status(401)
                .header("content-type", "application/json")
                .body(r#"{"message":"401 Unauthorized"}"#);
        }
        if self.remaining == 0 {
            let mut reply = Reply::status(429)
                .header("content-type", "text/plain")
                .header("retry-after", "60")
                .body("Retry later");
            for (k, v) in self.rate_headers() {
                reply = reply.header(&k, &v);
            }
            return reply;
        }
        let a = self.route(method, uri, body);
        let (bytes, content_type) = match &a.body {
            // Job logs are plain text.
            Value::String(text) => (text.clone().into_bytes(), "text/plain; charset=utf-8"),
            other => (
                serde_json::to_vec(other).unwrap(),
                "application/json; charset=utf-8",
            ),
        };
        let etag = format!("W/\"{}\"", &hex::encode(Sha256::digest(&bytes))[..32]);
        let is_get = method == Method::GET;
        let not_modified = is_get
            && a.status == 200
            && header("if-none-match").is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
        self.remaining = self.remaining.saturating_sub(1);
        let mut reply = if not_modified {
            Reply::status(304)
        } else {
            Reply::status(a.status)
                .header("content-type", content_type)
                .body(bytes)
        };
        if is_get && a.status == 200 {
            reply = reply.header("etag", &etag);
        }
        for (k, v) in self.rate_headers() {
            reply = reply.header(&k, &v);
        }
        reply
    }
}

impl FakeGitLab {
    /// Starts a fake GitLab accepting [`TOKEN`].
    pub fn start() -> FakeGitLab {
        let served = serve(|addr| GlState {
            token: TOKEN.to_string(),
            base_url: format!("http://{addr}"),
            projects: BTreeMap::new(),
            requests: Vec::new(),
            script: VecDeque::new(),
            remaining: RATE_LIMIT,
            reset_secs: now_ms() / 1000 + 60,
            seq: 0,
        });
        FakeGitLab {
            addr: served.addr,
            served,
        }
    }

    /// `http://127.0.0.1:PORT/api/v4`: the plugin's `apiUrl`.
    pub fn api_url(&self) -> String {
        format!("http://{}/api/v4", self.addr)
    }

    /// `http://127.0.0.1:PORT`: the web base.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `127.0.0.1:PORT`, as a host grant.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    fn with<R>(&self, f: impl FnOnce(&mut GlState) -> R) -> R {
        f(&mut self.served.state.lock().unwrap())
    }

    /// Creates a project (`group/name` or `group/sub/name`).
    pub fn add_project(&self, path: &str) {
        self.with(|s| {
            let id = s.projects.len() as u64 + 1;
            s.projects.entry(path.to_string()).or_insert(FakeProject {
                id,
                ..FakeProject::default()
            });
        });
    }

    /// Approvals a merge request needs before it can merge.
    pub fn require_approvals(&self, path: &str, count: u32) {
        self.with(|s| s.projects.get_mut(path).unwrap().approvals_required = count);
    }

    pub fn add_issue(&self, path: &str, title: &str, description: &str, labels: &[&str]) -> u32 {
        self.with(|s| {
            let project = s.projects.get_mut(path).expect("add_project first");
            project.next_issue += 1;
            let iid = project.next_issue;
            project.issues.insert(
                iid,
                FakeGlIssue {
                    iid,
                    title: title.into(),
                    description: description.into(),
                    state: "opened".into(),
                    labels: labels.iter().map(|l| l.to_string()).collect(),
                    assignees: Vec::new(),
                    notes: Vec::new(),
                    updated_ms: now_ms(),
                },
            );
            iid
        })
    }

    pub fn issue(&self, path: &str, iid: u32) -> Option<FakeGlIssue> {
        self.with(|s| s.projects.get(path)?.issues.get(&iid).cloned())
    }

    /// What GitLab does when a branch is pushed with a merge request for it.
    pub fn open_mr(&self, path: &str, branch: &str, title: &str) -> u32 {
        self.with(|s| {
            let seq = s.next_seq();
            let project = s.projects.get_mut(path).expect("add_project first");
            project.next_mr += 1;
            let iid = project.next_mr;
            project.mrs.insert(
                iid,
                FakeMr {
                    iid,
                    title: title.into(),
                    source_branch: branch.into(),
                    target_branch: "main".into(),
                    sha: sha_of(&format!("{path} {branch} {seq}")),
                    state: "opened".into(),
                    draft: false,
                    conflicts: false,
                    squashed: false,
                    approved_by: Vec::new(),
                    reviewers: Vec::new(),
                    discussions: Vec::new(),
                    updated_ms: now_ms(),
                    updated_seq: seq,
                },
            );
            iid
        })
    }

    pub fn mr(&self, path: &str, iid: u32) -> Option<FakeMr> {
        self.with(|s| s.projects.get(path)?.mrs.get(&iid).cloned())
    }

    /// A new commit on the MR's branch (a new head, no pipeline yet).
    pub fn push(&self, path: &str, iid: u32) -> String {
        self.with(|s| {
            let seq = s.next_seq();
            let mr = s.mr_mut(path, iid);
            mr.sha = sha_of(&format!("{path} {iid} {seq}"));
            mr.sha.clone()
        })
    }

    /// Sets a job of the pipeline for the MR's head (`status` in REST
    /// spelling). A finished job that gets a new status was retried: GitLab
    /// keeps the old one (marked retried) beside the new.
    pub fn set_job(&self, path: &str, iid: u32, name: &str, status: &str, trace: &str) {
        self.with(|s| {
            let sha = s.mr_mut(path, iid).sha.clone();
            let next_id = 1000 + s.seq;
            s.seq += 1;
            let jobs = s
                .projects
                .get_mut(path)
                .unwrap()
                .pipelines
                .entry(sha)
                .or_default();
            let finished = |s: &str| matches!(s, "success" | "failed" | "canceled");
            match jobs.iter_mut().find(|j| j.name == name && !j.retried) {
                Some(job) if !(finished(&job.status) && job.status != status) => {
                    job.status = status.into();
                    job.trace = trace.into();
                }
                previous => {
                    if let Some(job) = previous {
                        job.retried = true;
                    }
                    jobs.push(FakeJob {
                        id: next_id,
                        name: name.into(),
                        status: status.into(),
                        allow_failure: false,
                        trace: trace.into(),
                        retried: false,
                    });
                }
            }
        });
    }

    pub fn set_conflicts(&self, path: &str, iid: u32, conflicts: bool) {
        self.with(|s| s.mr_mut(path, iid).conflicts = conflicts);
    }

    pub fn approve(&self, path: &str, iid: u32, user: &str) {
        self.with(|s| {
            let mr = s.mr_mut(path, iid);
            mr.approved_by.push(user.into());
            mr.reviewers.retain(|(u, _)| u != user);
            mr.reviewers.push((user.into(), "APPROVED".into()));
        });
    }

    /// A reviewer's "request changes" (GitLab 17+).
    pub fn request_changes(&self, path: &str, iid: u32, user: &str) {
        self.with(|s| {
            let mr = s.mr_mut(path, iid);
            mr.reviewers.retain(|(u, _)| u != user);
            mr.reviewers.push((user.into(), "REQUESTED_CHANGES".into()));
        });
    }

    /// A new resolvable thread on a line of the diff (`at`: file and line);
    /// returns its id. Authors named like GitLab's bot users
    /// (`project_5_bot_…`, `group_9_bot_…`) are bots.
    pub fn add_discussion(
        &self,
        path: &str,
        iid: u32,
        author: &str,
        at: (&str, u32),
        body: &str,
    ) -> String {
        let bot = author.contains("_bot_");
        let (file, line) = at;
        self.with(|s| {
            let seq = s.next_seq();
            let mr = s.mr_mut(path, iid);
            let id = format!("{:040x}", seq);
            mr.discussions.push(FakeDiscussion {
                id: id.clone(),
                path: Some(file.into()),
                line: Some(line),
                resolved: false,
                notes: vec![FakeNote {
                    id: 500 + seq,
                    author: author.into(),
                    bot,
                    body: body.into(),
                    created_ms: now_ms(),
                }],
            });
            id
        })
    }

    pub fn resolve_discussion(&self, path: &str, iid: u32, id: &str) {
        self.with(|s| {
            let mr = s.mr_mut(path, iid);
            for d in mr.discussions.iter_mut().filter(|d| d.id == id) {
                d.resolved = true;
            }
        });
    }

    /// The next request gets this reply instead of an answer.
    pub fn fail_next(&self, reply: Reply) {
        self.with(|s| s.script.push_back(reply));
    }

    /// Scripted replies not yet given.
    pub fn scripted_left(&self) -> usize {
        self.with(|s| s.script.len())
    }

    /// The next request gets GitLab's 429 with `Retry-After`.
    pub fn rate_limit_next(&self, retry_after_secs: u32) {
        let reset = now_ms() / 1000 + i64::from(retry_after_secs);
        self.fail_next(
            Reply::status(429)
                .header("content-type", "text/plain")
                .header("retry-after", &retry_after_secs.to_string())
                .header("ratelimit-limit", &RATE_LIMIT.to_string())
                .header("ratelimit-remaining", "0")
                .header("ratelimit-reset", &reset.to_string())
                .body("Retry later"),
        );
    }

    /// Sets the remaining quota; at 0 every request gets a 429.
    pub fn set_rate_limit_remaining(&self, remaining: u32) {
        self.with(|s| s.remaining = remaining);
    }

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

    pub fn clear_requests(&self) {
        self.with(|s| s.requests.clear());
    }
}
