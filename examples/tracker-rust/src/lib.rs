//! The example tracker in Rust: issues from a small JSON REST service (see
//! `host/ao-conformance/src/fake_issues.rs` for the API). The same plugin is
//! written in Go (`examples/tracker-go`) and JavaScript (`examples/tracker-js`);
//! all three pass `ao plugin test` with the same results.
//!
//! ```yaml
//! projects:
//!   web:
//!     tracker: { plugin: tracker-rust, url: https://issues.example.com }
//! plugins:
//!   tracker-rust:
//!     grant: { http: [issues.example.com], secrets: [ISSUES_TOKEN] }
//! ```

use ao_plugin_sdk::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

struct Issues;

/// An issue as the service sends it.
#[derive(Deserialize)]
struct ApiIssue {
    id: String,
    title: String,
    #[serde(default)]
    body: String,
    state: String,
    #[serde(default)]
    labels: Vec<String>,
    assignee: Option<String>,
    priority: Option<i32>,
}

#[derive(Serialize)]
struct ApiNewIssue<'a> {
    title: &'a str,
    body: &'a str,
    labels: &'a [String],
    assignee: &'a Option<String>,
    priority: Option<i32>,
}

fn base() -> Result<String, PluginError> {
    let url: String = config::require("url")?;
    Ok(url.trim_end_matches('/').to_string())
}

/// `BASE/issues/ID`, also when the setting is missing (issue-url cannot fail).
fn url_of(id: &str) -> String {
    format!("{}/issues/{id}", base().unwrap_or_default())
}

fn api_state(s: IssueState) -> &'static str {
    match s {
        IssueState::Open => "open",
        IssueState::InProgress => "in_progress",
        IssueState::Closed => "closed",
        IssueState::Cancelled => "cancelled",
    }
}

fn to_issue(i: ApiIssue) -> Issue {
    let state = match i.state.as_str() {
        "in_progress" => IssueState::InProgress,
        "closed" => IssueState::Closed,
        "cancelled" => IssueState::Cancelled,
        _ => IssueState::Open,
    };
    Issue {
        url: url_of(&i.id),
        branch_name: Some(branch(&i.id)),
        id: i.id,
        title: i.title,
        description: i.body,
        state,
        labels: i.labels,
        assignee: i.assignee,
        priority: i.priority,
    }
}

fn branch(id: &str) -> String {
    format!("feat/issue-{id}")
}

/// Query values are percent-encoded byte by byte.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn send(request: http::RequestBuilder) -> Result<http::Response, PluginError> {
    request
        .bearer_secret("ISSUES_TOKEN")
        .send()?
        .error_for_status()
}

impl Plugin for Issues {
    fn manifest() -> Manifest {
        Manifest::new(
            "tracker-rust",
            env!("CARGO_PKG_VERSION"),
            "Issues from a JSON issue service (the example tracker, in Rust)",
        )
        .roles([Role::Tracker])
        .capabilities(Capabilities {
            http_hosts: vec!["*".into()],
            secrets: vec!["ISSUES_TOKEN".into()],
            programs: vec![],
            read_dirs: vec![],
            kv: false,
        })
    }
}

impl Tracker for Issues {
    fn get_issue(_: Project, id: String) -> Result<Issue, PluginError> {
        let url = format!("{}/issues/{}", base()?, encode(&id));
        Ok(to_issue(send(http::get(&url))?.json()?))
    }

    fn issue_url(_: Project, id: String) -> String {
        url_of(&id)
    }

    fn branch_name(_: Project, id: String) -> String {
        branch(&id)
    }

    fn generate_prompt(project: Project, id: String) -> Result<String, PluginError> {
        let issue = Self::get_issue(project, id)?;
        let mut prompt = format!("Issue #{}: {}\n{}", issue.id, issue.title, issue.url);
        if !issue.description.is_empty() {
            prompt.push_str(&format!("\n\n{}", issue.description));
        }
        if !issue.labels.is_empty() {
            prompt.push_str(&format!("\n\nLabels: {}", issue.labels.join(", ")));
        }
        Ok(prompt)
    }

    fn list_issues(_: Project, filter: IssueFilter) -> Result<Vec<Issue>, PluginError> {
        let mut query = Vec::new();
        if let Some(state) = filter.state {
            query.push(format!("state={}", api_state(state)));
        }
        if !filter.labels.is_empty() {
            query.push(format!("labels={}", encode(&filter.labels.join(","))));
        }
        if let Some(a) = &filter.assignee {
            query.push(format!("assignee={}", encode(a)));
        }
        if let Some(limit) = filter.limit {
            query.push(format!("limit={limit}"));
        }
        let url = format!("{}/issues?{}", base()?, query.join("&"));
        let list: Vec<ApiIssue> = send(http::get(&url))?.json()?;
        Ok(list.into_iter().map(to_issue).collect())
    }

    fn create_issue(_: Project, issue: NewIssue) -> Result<Issue, PluginError> {
        let url = format!("{}/issues", base()?);
        let body = ApiNewIssue {
            title: &issue.title,
            body: &issue.description,
            labels: &issue.labels,
            assignee: &issue.assignee,
            priority: issue.priority,
        };
        Ok(to_issue(send(http::post(&url).json(&body)?)?.json()?))
    }

    fn update_issue(_: Project, id: String, update: IssueUpdate) -> Result<(), PluginError> {
        let url = format!("{}/issues/{}", base()?, encode(&id));
        let mut patch =
            json!({ "addLabels": update.add_labels, "removeLabels": update.remove_labels });
        if let Some(state) = update.state {
            patch["state"] = json!(api_state(state));
        }
        if let Some(a) = &update.assignee {
            patch["assignee"] = json!(a);
        }
        send(http::patch(&url).json(&patch)?)?;
        if let Some(comment) = &update.comment {
            send(http::post(&format!("{url}/comments")).json(&json!({ "body": comment }))?)?;
        }
        Ok(())
    }

    fn issue_label(_: Project, url: String) -> Option<String> {
        let prefix = format!("{}/issues/", base().ok()?);
        let id = url.strip_prefix(&prefix)?;
        (!id.is_empty() && !id.contains('/')).then(|| format!("#{id}"))
    }
}

export!(Issues: tracker);
