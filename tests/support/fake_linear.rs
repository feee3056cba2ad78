//! A fake Linear on 127.0.0.1: real HTTP (axum), in-memory state, and the
//! subset of Linear's GraphQL API the `linear` plugin uses.
//!
//! What it keeps honest:
//! - every answer is computed from the state (teams, workflow states with
//!   Linear's types and positions, labels, users, issues `ENG-1…`, comments);
//! - the operation is recognised by its root field in the query text and its
//!   arguments are read from `variables`; `issues(filter:)` evaluates the
//!   filter generically (`and`, `or`, `eq`, `in`, `eqIgnoreCase`, `some`, …);
//! - answers look like Linear's: `{"data": …}`, or `errors[]` with
//!   `extensions.code` and HTTP 400;
//! - `Authorization` must be the API key itself (no `Bearer`), else Linear's
//!   `AUTHENTICATION_ERROR`;
//! - `x-ratelimit-requests-*` (reset in epoch ms) and complexity headers
//!   count down; at zero every request gets `RATELIMITED`;
//! - every request is logged.
//!
//! Failures can be scripted for the next request ([`FakeLinear::fail_next`]).

use crate::fake_http::{Recorded, Reply, Respond, Serving, serve};
use axum::http::{HeaderMap, Method, Uri};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The API key [`FakeLinear::start`] accepts.
pub const API_KEY: &str = "lin_api_fake0123456789abcdefKEY";
/// An OAuth access token it also accepts, as `Bearer <token>`.
pub const OAUTH_TOKEN: &str = "lin_oauth_fake0123456789TOKEN";
/// Requests per window.
pub const RATE_LIMIT: u32 = 1500;
/// Complexity points per window.
pub const COMPLEXITY_LIMIT: u32 = 250_000;
/// The workspace's URL key.
pub const WORKSPACE: &str = "acme";

#[derive(Debug, Clone)]
pub struct FakeTeam {
    pub id: String,
    pub key: String,
    pub name: String,
    next_number: u32,
}

#[derive(Debug, Clone)]
pub struct FakeState {
    pub id: String,
    pub team_key: String,
    pub name: String,
    /// `triage`, `backlog`, `unstarted`, `started`, `completed`, `canceled`.
    pub kind: String,
    pub position: f64,
}

#[derive(Debug, Clone)]
pub struct FakeLabel {
    pub id: String,
    pub name: String,
    /// `None`: a workspace label.
    pub team_key: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FakeUser {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub email: String,
}

#[derive(Debug, Clone)]
pub struct FakeComment {
    pub id: String,
    pub body: String,
    pub user: String,
}

/// An issue as stored.
#[derive(Debug, Clone)]
pub struct FakeIssue {
    pub id: String,
    pub identifier: String,
    pub team_key: String,
    pub title: String,
    pub description: String,
    pub state_id: String,
    pub label_ids: Vec<String>,
    pub assignee_id: Option<String>,
    /// 0 = none, 1 = urgent … 4 = low.
    pub priority: u8,
    pub comments: Vec<FakeComment>,
    updated_seq: u64,
}

/// An issue as tests read it: names resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueView {
    pub identifier: String,
    pub title: String,
    pub description: String,
    pub state_name: String,
    pub state_type: String,
    pub labels: Vec<String>,
    pub assignee: Option<String>,
    pub priority: u8,
    pub comments: Vec<String>,
}

struct LinState {
    key: String,
    teams: Vec<FakeTeam>,
    states: Vec<FakeState>,
    labels: Vec<FakeLabel>,
    users: Vec<FakeUser>,
    issues: Vec<FakeIssue>,
    requests: Vec<Recorded>,
    script: VecDeque<Reply>,
    remaining: u32,
    complexity_remaining: u32,
    reset_ms: i64,
    seq: u64,
}

/// A running fake Linear; stops when dropped.
pub struct FakeLinear {
    pub addr: SocketAddr,
    served: Serving<LinState>,
}

impl Respond for LinState {
    // Linear has one endpoint: every request is a GraphQL POST.
    fn answer(&mut self, _: &Method, _: &Uri, headers: &HeaderMap, body: &[u8]) -> Reply {
        self.respond(headers, body)
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A Linear-style error answer (HTTP 400, `errors[]` with `extensions`).
fn error(code: &str, kind: &str, message: &str, presentable: &str) -> (u16, Value) {
    (
        400,
        json!({ "errors": [{
            "message": message,
            "locations": [{ "line": 1, "column": 1 }],
            "extensions": { "type": kind, "code": code, "userPresentableMessage": presentable },
        }], "data": null }),
    )
}

fn not_found(entity: &str) -> (u16, Value) {
    error(
        "INVALID_INPUT",
        "invalid input",
        &format!("Entity not found: {entity}"),
        &format!("Could not find referenced {entity}."),
    )
}

fn invalid(message: &str) -> (u16, Value) {
    error(
        "INVALID_INPUT",
        "invalid input",
        "Argument Validation Error",
        message,
    )
}

fn slug(text: &str) -> String {
    let s: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    s.split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Whether `node` (JSON of an entity) passes a Linear filter object.
fn matches(filter: &Value, node: &Value) -> bool {
    let Some(conditions) = filter.as_object() else {
        return true;
    };
    let lower = |v: &Value| v.as_str().map(str::to_lowercase);
    conditions.iter().all(|(key, cond)| match key.as_str() {
        "and" => cond
            .as_array()
            .is_none_or(|fs| fs.iter().all(|f| matches(f, node))),
        "or" => cond
            .as_array()
            .is_none_or(|fs| fs.iter().any(|f| matches(f, node))),
        "eq" => !node.is_null() && node == cond,
        "neq" => node != cond,
        "in" => cond.as_array().is_some_and(|a| a.contains(node)),
        "nin" => cond.as_array().is_none_or(|a| !a.contains(node)),
        "eqIgnoreCase" => lower(node).is_some() && lower(node) == lower(cond),
        "null" => node.is_null() == cond.as_bool().unwrap_or(true),
        "some" => node["nodes"]
            .as_array()
            .is_some_and(|ns| ns.iter().any(|n| matches(cond, n))),
        "every" => node["nodes"]
            .as_array()
            .is_none_or(|ns| ns.iter().all(|n| matches(cond, n))),
        field => {
            let child = &node[field];
            let quantified = cond.get("some").is_some() || cond.get("every").is_some();
            match child["nodes"].as_array() {
                // A collection filtered like an entity: any member will do.
                Some(nodes) if !quantified => nodes.iter().any(|n| matches(cond, n)),
                _ => matches(cond, child),
            }
        }
    })
}

/// `issue(id:)`'s root field, or a mutation's, found in the query text.
fn operation(query: &str) -> Option<&'static str> {
    [
        "issueCreate",
        "issueUpdate",
        "commentCreate",
        "workflowStates",
        "issueLabels",
        "teams",
        "users",
        "issues",
        "issue",
    ]
    .into_iter()
    .find(|field| {
        query.match_indices(field).any(|(at, _)| {
            let before = query[..at].chars().next_back();
            let after = query[at + field.len()..].trim_start().chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '$')
                && matches!(after, Some('(') | Some('{'))
        })
    })
}

impl LinState {
    fn team(&self, key: &str) -> Option<&FakeTeam> {
        self.teams.iter().find(|t| t.key == key)
    }

    fn state(&self, id: &str) -> Option<&FakeState> {
        self.states.iter().find(|s| s.id == id)
    }

    fn find_issue(&self, id: &str) -> Option<usize> {
        self.issues
            .iter()
            .position(|i| i.id == id || i.identifier.eq_ignore_ascii_case(id))
    }

    fn user_json(&self, id: &str) -> Value {
        match self.users.iter().find(|u| u.id == id) {
            Some(u) => {
                json!({ "id": u.id, "name": u.name, "displayName": u.display_name, "email": u.email })
            }
            None => Value::Null,
        }
    }

    fn issue_json(&self, issue: &FakeIssue) -> Value {
        let state = self.state(&issue.state_id);
        let labels: Vec<Value> = issue
            .label_ids
            .iter()
            .filter_map(|id| self.labels.iter().find(|l| &l.id == id))
            .map(|l| json!({ "id": l.id, "name": l.name }))
            .collect();
        let title_slug = slug(&issue.title);
        json!({
            "id": issue.id,
            "identifier": issue.identifier,
            "title": issue.title,
            "description": if issue.description.is_empty() { Value::Null } else { json!(issue.description) },
            "url": format!("https://linear.app/{WORKSPACE}/issue/{}/{title_slug}", issue.identifier),
            "priority": f64::from(issue.priority),
            "branchName": format!("ao-bot/{}-{title_slug}", issue.identifier.to_lowercase()),
            "state": state.map(|s| json!({ "id": s.id, "name": s.name, "type": s.kind })),
            "labels": { "nodes": labels },
            "assignee": issue.assignee_id.as_deref().map(|a| self.user_json(a)),
            "team": self.team(&issue.team_key).map(|t| json!({ "id": t.id, "key": t.key, "name": t.name })),
        })
    }

    fn label_json(&self, l: &FakeLabel) -> Value {
        json!({ "id": l.id, "name": l.name,
                "team": l.team_key.as_deref().and_then(|k| self.team(k)).map(|t| json!({ "id": t.id, "key": t.key })) })
    }

    fn next_id(&mut self, prefix: &str) -> String {
        self.seq += 1;
        format!("{prefix}-{:08x}-0000-4000-8000-{:012x}", self.seq, self.seq)
    }

    fn new_issue(&mut self, team_key: &str, title: &str, description: &str) -> usize {
        let number = {
            let team = self.teams.iter_mut().find(|t| t.key == team_key).unwrap();
            team.next_number += 1;
            team.next_number
        };
        let state_id = self
            .states
            .iter()
            .filter(|s| s.team_key == team_key && s.kind == "unstarted")
            .min_by(|a, b| a.position.total_cmp(&b.position))
            .map(|s| s.id.clone())
            .unwrap();
        let id = self.next_id("iss");
        let seq = self.seq;
        self.issues.push(FakeIssue {
            id,
            identifier: format!("{team_key}-{number}"),
            team_key: team_key.to_string(),
            title: title.to_string(),
            description: description.to_string(),
            state_id,
            label_ids: Vec::new(),
            assignee_id: None,
            priority: 0,
            comments: Vec::new(),
            updated_seq: seq,
        });
        self.issues.len() - 1
    }

    fn touch(&mut self, at: usize) {
        self.seq += 1;
        self.issues[at].updated_seq = self.seq;
    }

    fn rate_headers(&self) -> Vec<(String, String)> {
        vec![
            ("x-ratelimit-requests-limit".into(), RATE_LIMIT.to_string()),
            (
                "x-ratelimit-requests-remaining".into(),
                self.remaining.to_string(),
            ),
            (
                "x-ratelimit-requests-reset".into(),
                self.reset_ms.to_string(),
            ),
            (
                "x-ratelimit-complexity-limit".into(),
                COMPLEXITY_LIMIT.to_string(),
            ),
            (
                "x-ratelimit-complexity-remaining".into(),
                self.complexity_remaining.to_string(),
            ),
            (
                "x-ratelimit-complexity-reset".into(),
                self.reset_ms.to_string(),
            ),
        ]
    }

    fn respond(&mut self, headers: &HeaderMap, body: &[u8]) -> Reply {
        self.requests.push(Recorded {
            method: "POST".into(),
            path_and_query: "/graphql".into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect(),
            body: body.to_vec(),
            at: Instant::now(),
        });
        if let Some(reply) = self.script.pop_front() {
            return reply;
        }
        let authorization = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let (status, body, cost) =
            if authorization != self.key && authorization != format!("Bearer {OAUTH_TOKEN}") {
                let (s, b) = error(
                    "AUTHENTICATION_ERROR",
                    "authentication error",
                    "Authentication required, not authenticated",
                    "You need to authenticate to access this operation.",
                );
                (s, b, 0)
            } else if self.remaining == 0 {
                let (s, b) = error(
                    "RATELIMITED",
                    "ratelimited",
                    "Rate limit exceeded",
                    "You have exceeded the API rate limit. Please try again later.",
                );
                (s, b, 0)
            } else {
                self.remaining -= 1;
                let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
                let (s, b) = self.route(
                    request["query"].as_str().unwrap_or(""),
                    &request["variables"],
                );
                (s, b, 10)
            };
        self.complexity_remaining = self.complexity_remaining.saturating_sub(cost);
        let mut reply = Reply::status(status)
            .header("content-type", "application/json; charset=utf-8")
            .header("x-complexity", &cost.to_string())
            .body(serde_json::to_vec(&body).unwrap());
        for (k, v) in self.rate_headers() {
            reply = reply.header(&k, &v);
        }
        reply
    }

    fn route(&mut self, query: &str, vars: &Value) -> (u16, Value) {
        let data = match operation(query) {
            Some("issue") => {
                let id = vars["id"].as_str().unwrap_or("");
                match self.find_issue(id) {
                    Some(at) => json!({ "issue": self.issue_json(&self.issues[at]) }),
                    None => return not_found("Issue"),
                }
            }
            Some("issues") => {
                let mut matching: Vec<&FakeIssue> = self
                    .issues
                    .iter()
                    .filter(|i| matches(&vars["filter"], &self.issue_json(i)))
                    .collect();
                matching.sort_by_key(|i| std::cmp::Reverse(i.updated_seq));
                let first = vars["first"].as_u64().unwrap_or(50).min(250) as usize;
                let start: usize = vars["after"]
                    .as_str()
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0);
                let page: Vec<Value> = matching
                    .iter()
                    .skip(start)
                    .take(first)
                    .map(|i| self.issue_json(i))
                    .collect();
                let end = start + page.len();
                json!({ "issues": { "nodes": page, "pageInfo": {
                    "hasNextPage": end < matching.len(),
                    "endCursor": if page.is_empty() { Value::Null } else { json!(end.to_string()) },
                } } })
            }
            Some("teams") => {
                let key = vars["key"].as_str().unwrap_or("");
                let nodes: Vec<Value> = self
                    .teams
                    .iter()
                    .filter(|t| t.key == key)
                    .map(|t| json!({ "id": t.id, "key": t.key, "name": t.name }))
                    .collect();
                json!({ "teams": { "nodes": nodes } })
            }
            Some("workflowStates") => {
                let key = vars["key"].as_str().unwrap_or("");
                let nodes: Vec<Value> = self
                    .states
                    .iter()
                    .filter(|s| s.team_key == key)
                    .map(|s| json!({ "id": s.id, "name": s.name, "type": s.kind, "position": s.position }))
                    .collect();
                json!({ "workflowStates": { "nodes": nodes } })
            }
            Some("issueLabels") => {
                let nodes: Vec<Value> = self
                    .labels
                    .iter()
                    .map(|l| self.label_json(l))
                    .filter(|l| matches(&vars["filter"], l))
                    .collect();
                json!({ "issueLabels": { "nodes": nodes } })
            }
            Some("users") => {
                let name = vars["name"].as_str().unwrap_or("");
                let nodes: Vec<Value> = self
                    .users
                    .iter()
                    .filter(|u| u.display_name == name || u.name == name || u.email == name)
                    .map(|u| self.user_json(&u.id))
                    .collect();
                json!({ "users": { "nodes": nodes } })
            }
            Some("issueCreate") => return self.issue_create(&vars["input"]),
            Some("issueUpdate") => {
                return self.issue_update(vars["id"].as_str().unwrap_or(""), &vars["input"]);
            }
            Some("commentCreate") => {
                let input = &vars["input"];
                let Some(at) = self.find_issue(input["issueId"].as_str().unwrap_or("")) else {
                    return not_found("Issue");
                };
                let body = input["body"].as_str().unwrap_or("").to_string();
                if body.trim().is_empty() {
                    return invalid("body must not be empty");
                }
                let id = self.next_id("com");
                self.issues[at].comments.push(FakeComment {
                    id: id.clone(),
                    body,
                    user: "ao-bot".into(),
                });
                self.touch(at);
                json!({ "commentCreate": { "success": true, "comment": { "id": id } } })
            }
            _ => {
                return error(
                    "GRAPHQL_VALIDATION_FAILED",
                    "graphql error",
                    "Cannot query field on type \"Query\"",
                    "The query is not supported by this fake.",
                );
            }
        };
        (200, json!({ "data": data }))
    }

    fn check_labels(&self, ids: &Value) -> Result<Vec<String>, (u16, Value)> {
        let ids: Vec<String> = ids
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        match ids
            .iter()
            .find(|id| !self.labels.iter().any(|l| &l.id == *id))
        {
            Some(_) => Err(not_found("IssueLabel")),
            None => Ok(ids),
        }
    }

    fn check_user(&self, id: &Value) -> Result<Option<String>, (u16, Value)> {
        match id.as_str() {
            None => Ok(None),
            Some(id) if self.users.iter().any(|u| u.id == id) => Ok(Some(id.to_string())),
            Some(_) => Err(not_found("User")),
        }
    }

    fn issue_create(&mut self, input: &Value) -> (u16, Value) {
        let Some(team_key) = self
            .teams
            .iter()
            .find(|t| Some(t.id.as_str()) == input["teamId"].as_str())
            .map(|t| t.key.clone())
        else {
            return not_found("Team");
        };
        let title = input["title"].as_str().unwrap_or("").trim().to_string();
        if title.is_empty() {
            return invalid("title must not be empty");
        }
        let labels = match self.check_labels(&input["labelIds"]) {
            Ok(l) => l,
            Err(e) => return e,
        };
        let assignee = match self.check_user(&input["assigneeId"]) {
            Ok(a) => a,
            Err(e) => return e,
        };
        let at = self.new_issue(
            &team_key,
            &title,
            input["description"].as_str().unwrap_or(""),
        );
        let issue = &mut self.issues[at];
        issue.label_ids = labels;
        issue.assignee_id = assignee;
        issue.priority = input["priority"].as_u64().unwrap_or(0).min(4) as u8;
        let json = self.issue_json(&self.issues[at]);
        (
            200,
            json!({ "data": { "issueCreate": { "success": true, "issue": json } } }),
        )
    }

    fn issue_update(&mut self, id: &str, input: &Value) -> (u16, Value) {
        let Some(at) = self.find_issue(id) else {
            return not_found("Issue");
        };
        if let Some(state_id) = input["stateId"].as_str() {
            match self.state(state_id) {
                Some(s) if s.team_key == self.issues[at].team_key => {}
                _ => return not_found("WorkflowState"),
            }
            self.issues[at].state_id = state_id.to_string();
        }
        if !input["labelIds"].is_null() {
            match self.check_labels(&input["labelIds"]) {
                Ok(ids) => self.issues[at].label_ids = ids,
                Err(e) => return e,
            }
        }
        match self.check_labels(&input["addedLabelIds"]) {
            Ok(ids) => {
                for id in ids {
                    if !self.issues[at].label_ids.contains(&id) {
                        self.issues[at].label_ids.push(id);
                    }
                }
            }
            Err(e) => return e,
        }
        if let Some(removed) = input["removedLabelIds"].as_array() {
            self.issues[at]
                .label_ids
                .retain(|id| !removed.contains(&json!(id)));
        }
        if !input["assigneeId"].is_null() {
            match self.check_user(&input["assigneeId"]) {
                Ok(a) => self.issues[at].assignee_id = a,
                Err(e) => return e,
            }
        }
        self.touch(at);
        (
            200,
            json!({ "data": { "issueUpdate": { "success": true, "issue": { "id": self.issues[at].id } } } }),
        )
    }
}

impl FakeLinear {
    /// Starts a fake Linear accepting [`API_KEY`], with team `ENG` (Backlog,
    /// Todo, In Progress, In Review, Done, Canceled, Duplicate), team `OPS`,
    /// labels `bug`, `feature` (ENG), `docs` (workspace), and users `ana`, `ao-bot`.
    pub fn start() -> FakeLinear {
        FakeLinear::with_key(API_KEY)
    }

    /// Starts a fake Linear accepting `key` as `Authorization: <key>`.
    pub fn with_key(key: &str) -> FakeLinear {
        let mut state = LinState {
            key: key.to_string(),
            teams: Vec::new(),
            states: Vec::new(),
            labels: Vec::new(),
            users: Vec::new(),
            issues: Vec::new(),
            requests: Vec::new(),
            script: VecDeque::new(),
            remaining: RATE_LIMIT,
            complexity_remaining: COMPLEXITY_LIMIT,
            reset_ms: now_ms() + 3_600_000,
            seq: 0,
        };
        for (key, name) in [("ENG", "Engineering"), ("OPS", "Operations")] {
            let id = state.next_id("team");
            state.teams.push(FakeTeam {
                id,
                key: key.into(),
                name: name.into(),
                next_number: 0,
            });
            // Linear lists states by position; ids are not in that order.
            for (name, kind, position) in [
                ("Canceled", "canceled", 5.0),
                ("Duplicate", "canceled", 6.0),
                ("In Review", "started", 3.0),
                ("Done", "completed", 4.0),
                ("In Progress", "started", 2.0),
                ("Todo", "unstarted", 1.0),
                ("Backlog", "backlog", 0.0),
            ] {
                let id = state.next_id("state");
                state.states.push(FakeState {
                    id,
                    team_key: key.into(),
                    name: name.into(),
                    kind: kind.into(),
                    position,
                });
            }
        }
        for (name, team) in [
            ("bug", Some("ENG")),
            ("feature", Some("ENG")),
            ("docs", None),
        ] {
            let id = state.next_id("label");
            state.labels.push(FakeLabel {
                id,
                name: name.into(),
                team_key: team.map(str::to_string),
            });
        }
        for (display, name) in [("ana", "Ana Lima"), ("ao-bot", "ao bot")] {
            let id = state.next_id("user");
            state.users.push(FakeUser {
                id,
                name: name.into(),
                display_name: display.into(),
                email: format!("{display}@acme.dev"),
            });
        }
        let served = serve(move |_| state);
        FakeLinear {
            addr: served.addr,
            served,
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut LinState) -> R) -> R {
        f(&mut self.served.state.lock().unwrap())
    }

    /// `http://127.0.0.1:PORT/graphql`: the plugin's `apiUrl`.
    pub fn url(&self) -> String {
        format!("http://{}/graphql", self.addr)
    }

    /// `127.0.0.1:PORT`, as a host grant.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The plugin settings that point at this server (team `ENG`, workspace `acme`).
    pub fn settings(&self) -> Value {
        json!({ "apiUrl": self.url(), "teamKey": "ENG", "workspace": WORKSPACE })
    }

    /// Adds an issue to team `ENG` in its `Todo` state; returns `ENG-n`.
    pub fn add_issue(&self, title: &str, description: &str, labels: &[&str]) -> String {
        self.with(|s| {
            let at = s.new_issue("ENG", title, description);
            let ids: Vec<String> = labels
                .iter()
                .map(|name| {
                    s.labels
                        .iter()
                        .find(|l| l.name == *name)
                        .unwrap_or_else(|| panic!("the fake has no label {name}"))
                        .id
                        .clone()
                })
                .collect();
            s.issues[at].label_ids = ids;
            s.issues[at].identifier.clone()
        })
    }

    /// An issue by identifier, names resolved.
    pub fn issue(&self, identifier: &str) -> Option<IssueView> {
        self.with(|s| {
            let issue = &s.issues[s.find_issue(identifier)?];
            let state = s.state(&issue.state_id)?;
            Some(IssueView {
                identifier: issue.identifier.clone(),
                title: issue.title.clone(),
                description: issue.description.clone(),
                state_name: state.name.clone(),
                state_type: state.kind.clone(),
                labels: issue
                    .label_ids
                    .iter()
                    .filter_map(|id| s.labels.iter().find(|l| &l.id == id))
                    .map(|l| l.name.clone())
                    .collect(),
                assignee: issue.assignee_id.as_ref().and_then(|id| {
                    s.users
                        .iter()
                        .find(|u| &u.id == id)
                        .map(|u| u.display_name.clone())
                }),
                priority: issue.priority,
                comments: issue.comments.iter().map(|c| c.body.clone()).collect(),
            })
        })
    }

    /// Moves an issue to the workflow state named `name` (as a person would in Linear).
    pub fn set_state(&self, identifier: &str, name: &str) {
        self.with(|s| {
            let at = s.find_issue(identifier).unwrap();
            let team = s.issues[at].team_key.clone();
            let id = s
                .states
                .iter()
                .find(|st| st.team_key == team && st.name == name)
                .unwrap()
                .id
                .clone();
            s.issues[at].state_id = id;
            s.touch(at);
        });
    }

    /// Answers the next request with `reply`, whatever it is (then back to normal).
    pub fn fail_next(&self, reply: Reply) {
        self.with(|s| s.script.push_back(reply));
    }

    /// Sets the remaining request quota; at 0 every request is `RATELIMITED`.
    pub fn set_rate_limit_remaining(&self, remaining: u32) {
        self.with(|s| s.remaining = remaining);
    }

    /// Remaining requests in the window.
    pub fn rate_limit_remaining(&self) -> u32 {
        self.with(|s| s.remaining)
    }

    /// When the window resets, ms since the epoch.
    pub fn rate_limit_reset_ms(&self) -> i64 {
        self.with(|s| s.reset_ms)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.with(|s| s.requests.clone())
    }

    /// The root field of every request so far (`issue`, `issueUpdate`, …).
    pub fn operations(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| {
                let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
                operation(body["query"].as_str().unwrap_or(""))
                    .unwrap_or("?")
                    .to_string()
            })
            .collect()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        self.with(|s| s.requests.clear());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_found_by_root_field() {
        assert_eq!(
            operation("query Issue($id: String!) { issue(id: $id) { id } }"),
            Some("issue")
        );
        assert_eq!(
            operation(
                "query Issues($filter: IssueFilter) { issues(filter: $filter) { nodes { id } } }"
            ),
            Some("issues")
        );
        assert_eq!(
            operation(
                "mutation IssueUpdate($id: String!) { issueUpdate(id: $id, input: {}) { success } }"
            ),
            Some("issueUpdate")
        );
        assert_eq!(operation("{ viewer { id } }"), None);
    }

    #[test]
    fn filters_are_evaluated_like_linear() {
        let issue = json!({ "team": { "key": "ENG" }, "state": { "type": "started" },
            "labels": { "nodes": [{ "name": "Bug" }] }, "assignee": null });
        assert!(matches(
            &json!({ "and": [
            { "team": { "key": { "eq": "ENG" } } },
            { "state": { "type": { "in": ["started"] } } },
            { "labels": { "some": { "name": { "eqIgnoreCase": "bug" } } } },
            { "labels": { "name": { "in": ["Bug"] } } },
        ] }),
            &issue
        ));
        assert!(!matches(
            &json!({ "state": { "type": { "in": ["completed"] } } }),
            &issue
        ));
        assert!(!matches(
            &json!({ "assignee": { "or": [{ "displayName": { "eqIgnoreCase": "ana" } }] } }),
            &issue
        ));
    }
}
