//! GitLab issues: read, list, create, update (state, labels, assignee,
//! comments), links, branch names and the agent's prompt.

use crate::api::{self, Api};
use crate::settings::{self, Repo, Settings, encode};
use ao_plugin_sdk::http::Method;
use ao_plugin_sdk::{Issue, IssueFilter, IssueState, IssueUpdate, NewIssue, PluginError, Project};
use serde_json::{Value, json};

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;
const PAGE: usize = 100;

/// `feat/issue-N` for issue N; a slug of anything else.
pub fn branch_name(id: &str) -> String {
    ao_plugin_sdk::issue_branch_name(id, settings::iid(id).ok())
}

/// The issue's web URL.
pub fn issue_url(settings: &Settings, project: &Project, id: &str) -> String {
    let repo = project.repo.clone().unwrap_or_default();
    let n = settings::iid(id)
        .map(|n| n.to_string())
        .unwrap_or_else(|_| id.trim().trim_start_matches('#').to_string());
    format!("{}/{repo}/-/issues/{n}", settings.web_url())
}

/// `#42` for an issue URL, `!42` for a merge request URL of this project.
pub fn issue_label(settings: &Settings, project: &Project, url: &str) -> Option<String> {
    let repo = Repo::of(project).ok()?;
    let base = format!("{}/{}/-/", settings.web_url(), repo.path);
    let url = url.trim();
    let rest = url
        .get(..base.len())
        .filter(|head| head.eq_ignore_ascii_case(&base))
        .map(|_| &url[base.len()..])?;
    let (kind, tail) = rest.split_once('/')?;
    let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
    let n: u32 = digits.parse().ok()?;
    match kind {
        "issues" => Some(format!("#{n}")),
        "merge_requests" => Some(format!("!{n}")),
        _ => None,
    }
}

/// An issue in GitLab's REST shape as ao's record.
pub fn issue_of(raw: &Value, in_progress_label: Option<&str>) -> Result<Issue, PluginError> {
    let iid = raw["iid"]
        .as_u64()
        .ok_or_else(|| PluginError::other("GitLab returned an issue without an iid"))?;
    let id = iid.to_string();
    let labels: Vec<String> = raw["labels"]
        .as_array()
        .map(|labels| {
            labels
                .iter()
                .filter_map(|l| l.as_str().or_else(|| l["name"].as_str()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let state = match raw["state"].as_str() {
        Some("closed") => IssueState::Closed,
        _ if in_progress_label.is_some_and(|l| labels.iter().any(|x| x == l)) => {
            IssueState::InProgress
        }
        _ => IssueState::Open,
    };
    Ok(Issue {
        branch_name: Some(branch_name(&id)),
        id,
        title: raw["title"].as_str().unwrap_or("").to_string(),
        description: raw["description"].as_str().unwrap_or("").to_string(),
        url: raw["web_url"].as_str().unwrap_or("").to_string(),
        state,
        labels,
        assignee: raw["assignee"]["username"]
            .as_str()
            .or_else(|| raw["assignees"][0]["username"].as_str())
            .map(str::to_string),
        priority: None,
    })
}

fn issues_path(repo: &Repo) -> String {
    format!("/projects/{}/issues", repo.id())
}

pub fn get_issue(project: &Project, id: &str) -> Result<Issue, PluginError> {
    let api = Api::new()?;
    let repo = Repo::of(project)?;
    let n = settings::iid(id)?;
    let raw: Value = api.get_json(&format!("{}/{n}", issues_path(&repo)))?;
    issue_of(&raw, api.settings.in_progress_label.as_deref())
}

/// The list query for a filter (GitLab filters by state, labels, assignee).
pub fn list_query(filter: &IssueFilter, in_progress_label: Option<&str>) -> String {
    let state = match filter.state {
        None => "all",
        Some(IssueState::Open | IssueState::InProgress) => "opened",
        Some(IssueState::Closed | IssueState::Cancelled) => "closed",
    };
    let mut labels: Vec<String> = filter.labels.clone();
    if filter.state == Some(IssueState::InProgress)
        && let Some(label) = in_progress_label
    {
        labels.push(label.to_string());
    }
    let mut query = format!("state={state}&order_by=updated_at&sort=desc&per_page={PAGE}");
    if !labels.is_empty() {
        let labels: Vec<String> = labels.iter().map(|l| encode(l)).collect();
        query.push_str(&format!("&labels={}", labels.join(",")));
    }
    if let Some(assignee) = &filter.assignee {
        query.push_str(&format!("&assignee_username={}", encode(assignee)));
    }
    query
}

pub fn list_issues(project: &Project, filter: &IssueFilter) -> Result<Vec<Issue>, PluginError> {
    let api = Api::new()?;
    let repo = Repo::of(project)?;
    let label = api.settings.in_progress_label.clone();
    let limit = filter.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize;
    let query = list_query(filter, label.as_deref());
    let mut issues = Vec::new();
    for page in 1.. {
        let raw: Vec<Value> =
            api.get_json(&format!("{}?{query}&page={page}", issues_path(&repo)))?;
        let full_page = raw.len() >= PAGE;
        for item in &raw {
            issues.push(issue_of(item, label.as_deref())?);
        }
        if issues.len() >= limit || !full_page || page >= 10 {
            break;
        }
    }
    issues.truncate(limit);
    Ok(issues)
}

/// GitLab assigns by user id: the id of a username.
fn user_id(api: &Api, username: &str) -> Result<u64, PluginError> {
    let users: Vec<Value> = api.get_json(&format!("/users?username={}", encode(username)))?;
    users
        .first()
        .and_then(|u| u["id"].as_u64())
        .ok_or_else(|| PluginError::NotFound(format!("no GitLab user `{username}`")))
}

pub fn create_issue(project: &Project, new: &NewIssue) -> Result<Issue, PluginError> {
    let api = Api::new()?;
    let repo = Repo::of(project)?;
    if new.title.trim().is_empty() {
        return Err(PluginError::invalid_input("an issue needs a title"));
    }
    let mut body = json!({ "title": new.title, "description": new.description });
    if !new.labels.is_empty() {
        body["labels"] = json!(new.labels.join(","));
    }
    if let Some(assignee) = &new.assignee {
        body["assignee_ids"] = json!([user_id(&api, assignee)?]);
    }
    let response = api.write(Method::Post, &issues_path(&repo), Some(&body))?;
    api::forget(&issues_path(&repo));
    issue_of(&response.json()?, api.settings.in_progress_label.as_deref())
}

/// The REST body of an update (without the comment, which is a note).
pub fn update_body(
    update: &IssueUpdate,
    in_progress_label: Option<&str>,
) -> serde_json::Map<String, Value> {
    let mut body = serde_json::Map::new();
    let mut add = update.add_labels.clone();
    let mut remove = update.remove_labels.clone();
    match update.state {
        Some(IssueState::Open) => {
            body.insert("state_event".into(), json!("reopen"));
            remove.extend(in_progress_label.map(str::to_string));
        }
        Some(IssueState::InProgress) => {
            body.insert("state_event".into(), json!("reopen"));
            add.extend(in_progress_label.map(str::to_string));
        }
        Some(IssueState::Closed | IssueState::Cancelled) => {
            body.insert("state_event".into(), json!("close"));
            remove.extend(in_progress_label.map(str::to_string));
        }
        None => {}
    }
    if !add.is_empty() {
        body.insert("add_labels".into(), json!(add.join(",")));
    }
    if !remove.is_empty() {
        body.insert("remove_labels".into(), json!(remove.join(",")));
    }
    body
}

pub fn update_issue(project: &Project, id: &str, update: &IssueUpdate) -> Result<(), PluginError> {
    let api = Api::new()?;
    let repo = Repo::of(project)?;
    let n = settings::iid(id)?;
    let path = format!("{}/{n}", issues_path(&repo));
    let mut body = update_body(update, api.settings.in_progress_label.as_deref());
    let result = (|| {
        if let Some(assignee) = &update.assignee {
            body.insert("assignee_ids".into(), json!([user_id(&api, assignee)?]));
        }
        // Reopening an open issue is a no-op for GitLab, but say nothing
        // rather than emit a "reopened" event nobody asked for.
        if body.get("state_event") == Some(&json!("reopen")) {
            let current: Value = api.get_json(&path)?;
            if current["state"] == "opened" {
                body.remove("state_event");
            }
        }
        if !body.is_empty() {
            api.write(Method::Put, &path, Some(&Value::Object(body.clone())))?;
        }
        if let Some(comment) = update.comment.as_ref().filter(|c| !c.trim().is_empty()) {
            api.write(
                Method::Post,
                &format!("{path}/notes"),
                Some(&json!({ "body": comment })),
            )?;
        }
        Ok(())
    })();
    api::forget(&path);
    api::forget(&format!("{}?", issues_path(&repo)));
    result
}

/// The task text for a coding agent: title, link, labels and the description.
pub fn generate_prompt(project: &Project, id: &str) -> Result<String, PluginError> {
    let issue = get_issue(project, id)?;
    let repo = Repo::of(project)?.path;
    let mut prompt = format!(
        "Work on GitLab issue #{} in {repo}: {}\n\nIssue: {}\n",
        issue.id, issue.title, issue.url
    );
    if !issue.labels.is_empty() {
        prompt.push_str(&format!("Labels: {}\n", issue.labels.join(", ")));
    }
    let description = issue.description.trim();
    prompt.push_str("\n## Description\n\n");
    prompt.push_str(if description.is_empty() {
        "(no description)"
    } else {
        description
    });
    prompt.push_str(&format!(
        "\n\nWhen the change is ready, open a merge request whose description says \"Closes #{}\".\n",
        issue.id
    ));
    Ok(prompt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> Project {
        Project {
            id: "web".into(),
            repo: Some("acme/platform/web".into()),
            path: "/src/web".into(),
            default_branch: "main".into(),
        }
    }

    #[test]
    fn issues_read_gitlabs_rest_shape() {
        let raw = json!({"iid": 3, "title": "Fix login", "description": "d", "state": "opened",
            "web_url": "https://gitlab.com/acme/platform/web/-/issues/3",
            "labels": ["bug", "Doing"], "assignees": [{"username": "ana"}], "assignee": null});
        let issue = issue_of(&raw, None).unwrap();
        assert_eq!((issue.id.as_str(), issue.state), ("3", IssueState::Open));
        assert_eq!(issue.assignee.as_deref(), Some("ana"));
        assert_eq!(issue.branch_name.as_deref(), Some("feat/issue-3"));
        assert_eq!(
            issue_of(&raw, Some("Doing")).unwrap().state,
            IssueState::InProgress
        );
        let closed = json!({"iid": 4, "state": "closed"});
        assert_eq!(issue_of(&closed, None).unwrap().state, IssueState::Closed);
    }

    #[test]
    fn links_and_labels_of_nested_projects() {
        let s = Settings::default();
        assert_eq!(
            issue_url(&s, &project(), "#3"),
            "https://gitlab.com/acme/platform/web/-/issues/3"
        );
        let label = |url: &str| issue_label(&s, &project(), url);
        assert_eq!(
            label("https://gitlab.com/acme/platform/web/-/issues/3").as_deref(),
            Some("#3")
        );
        assert_eq!(
            label("https://gitlab.com/acme/platform/web/-/merge_requests/9#note_1").as_deref(),
            Some("!9")
        );
        assert_eq!(label("https://gitlab.com/acme/other/-/issues/3"), None);
    }

    #[test]
    fn filters_and_updates_in_gitlabs_terms() {
        let filter = IssueFilter {
            state: Some(IssueState::InProgress),
            labels: vec!["bug".into()],
            assignee: Some("ana".into()),
            limit: None,
        };
        let q = list_query(&filter, Some("Doing"));
        assert!(q.starts_with("state=opened&"), "{q}");
        assert!(q.contains("&labels=bug,Doing"), "{q}");
        assert!(q.contains("&assignee_username=ana"), "{q}");
        let update = IssueUpdate {
            state: Some(IssueState::Closed),
            add_labels: vec!["done".into()],
            remove_labels: vec![],
            assignee: None,
            comment: Some("merged".into()),
        };
        let body = update_body(&update, Some("Doing"));
        assert_eq!(body["state_event"], "close");
        assert_eq!(body["add_labels"], "done");
        assert_eq!(body["remove_labels"], "Doing");
        assert!(!body.contains_key("body"));
        assert_eq!(branch_name("ENG 12"), "feat/eng-12");
    }
}
