//! GitHub issues as ao's tracker. Pull requests, which GitHub's issues API
//! also returns, are never treated as issues.

use crate::api::{self, Api};
use crate::settings::{self, Repo, Settings, encode};
use ao_plugin_sdk::http::Method;
use ao_plugin_sdk::{Issue, IssueFilter, IssueState, IssueUpdate, NewIssue, PluginError, Project};
use serde_json::{Value, json};

/// Most issues one `list-issues` returns when the filter sets no limit.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 1000;

/// `feat/issue-42`.
pub fn branch_name(id: &str) -> String {
    ao_plugin_sdk::issue_branch_name(id, settings::number(id).ok())
}

/// The issue's web URL.
pub fn issue_url(settings: &Settings, project: &Project, id: &str) -> String {
    let repo = project.repo.clone().unwrap_or_default();
    let n = settings::number(id)
        .map(|n| n.to_string())
        .unwrap_or_else(|_| id.trim().trim_start_matches('#').to_string());
    format!("{}/{repo}/issues/{n}", settings.web_url())
}

/// `#42` for an issue or PR URL of this project's repository.
pub fn issue_label(settings: &Settings, project: &Project, url: &str) -> Option<String> {
    let repo = Repo::of(project).ok()?;
    let base = format!("{}/{}/", settings.web_url(), repo.full());
    let url = url.trim();
    let rest = url
        .get(..base.len())
        .filter(|head| head.eq_ignore_ascii_case(&base))
        .map(|_| &url[base.len()..])?;
    let (kind, tail) = rest.split_once('/')?;
    if kind != "issues" && kind != "pull" {
        return None;
    }
    let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
    let n: u32 = digits.parse().ok()?;
    Some(format!("#{n}"))
}

fn state_of(raw: &Value) -> IssueState {
    match (raw["state"].as_str(), raw["state_reason"].as_str()) {
        (Some("closed"), Some("not_planned")) => IssueState::Cancelled,
        (Some("closed"), _) => IssueState::Closed,
        _ => IssueState::Open,
    }
}

fn labels_of(raw: &Value) -> Vec<String> {
    raw["labels"]
        .as_array()
        .map(|labels| {
            labels
                .iter()
                .filter_map(|l| l.as_str().or_else(|| l["name"].as_str()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn is_pull_request(raw: &Value) -> bool {
    raw.get("pull_request").is_some_and(|p| !p.is_null())
}

fn issue_of(raw: &Value) -> Result<Issue, PluginError> {
    let number = raw["number"]
        .as_u64()
        .ok_or_else(|| PluginError::other("GitHub returned an issue without a number"))?;
    let id = number.to_string();
    Ok(Issue {
        branch_name: Some(branch_name(&id)),
        id,
        title: raw["title"].as_str().unwrap_or("").to_string(),
        description: raw["body"].as_str().unwrap_or("").to_string(),
        url: raw["html_url"].as_str().unwrap_or("").to_string(),
        state: state_of(raw),
        labels: labels_of(raw),
        assignee: raw["assignee"]["login"]
            .as_str()
            .or_else(|| raw["assignees"][0]["login"].as_str())
            .map(str::to_string),
        priority: None,
    })
}

pub fn get_issue(project: &Project, id: &str) -> Result<Issue, PluginError> {
    let api = Api::new()?;
    let repo = Repo::of(project)?;
    let n = settings::number(id)?;
    let raw: Value = api.get_json(&format!("/repos/{}/issues/{n}", repo.full()))?;
    if is_pull_request(&raw) {
        return Err(PluginError::NotFound(format!(
            "#{n} in {} is a pull request, not an issue",
            repo.full()
        )));
    }
    issue_of(&raw)
}

pub fn list_issues(project: &Project, filter: &IssueFilter) -> Result<Vec<Issue>, PluginError> {
    let api = Api::new()?;
    let repo = Repo::of(project)?;
    let limit = filter.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize;
    let state = match filter.state {
        None => "all",
        Some(IssueState::Open | IssueState::InProgress) => "open",
        Some(IssueState::Closed | IssueState::Cancelled) => "closed",
    };
    let mut query = format!("state={state}&per_page=100");
    if !filter.labels.is_empty() {
        let labels: Vec<String> = filter.labels.iter().map(|l| encode(l)).collect();
        query.push_str(&format!("&labels={}", labels.join(",")));
    }
    if let Some(assignee) = &filter.assignee {
        query.push_str(&format!("&assignee={}", encode(assignee)));
    }
    let mut issues = Vec::new();
    for page in 1.. {
        let raw: Vec<Value> = api.get_json(&format!(
            "/repos/{}/issues?{query}&page={page}",
            repo.full()
        ))?;
        let full_page = raw.len() >= 100;
        for item in raw.iter().filter(|i| !is_pull_request(i)) {
            let issue = issue_of(item)?;
            let wanted = match filter.state {
                Some(IssueState::Closed) => issue.state == IssueState::Closed,
                Some(IssueState::Cancelled) => issue.state == IssueState::Cancelled,
                _ => true,
            };
            if wanted {
                issues.push(issue);
            }
        }
        if issues.len() >= limit || !full_page || page >= 10 {
            break;
        }
    }
    issues.truncate(limit);
    Ok(issues)
}

pub fn create_issue(project: &Project, new: &NewIssue) -> Result<Issue, PluginError> {
    let api = Api::new()?;
    let repo = Repo::of(project)?;
    if new.title.trim().is_empty() {
        return Err(PluginError::invalid_input("an issue needs a title"));
    }
    let mut body = json!({ "title": new.title, "body": new.description });
    if !new.labels.is_empty() {
        body["labels"] = json!(new.labels);
    }
    if let Some(assignee) = &new.assignee {
        body["assignees"] = json!([assignee]);
    }
    let response = api.write(
        Method::Post,
        &format!("/repos/{}/issues", repo.full()),
        Some(&body),
    )?;
    api::forget(&format!("/repos/{}/issues", repo.full()));
    issue_of(&response.json()?)
}

pub fn update_issue(project: &Project, id: &str, update: &IssueUpdate) -> Result<(), PluginError> {
    let api = Api::new()?;
    let repo = Repo::of(project)?;
    let n = settings::number(id)?;
    let path = format!("/repos/{}/issues/{n}", repo.full());
    let mut patch = serde_json::Map::new();
    match update.state {
        Some(IssueState::Open | IssueState::InProgress) => {
            patch.insert("state".into(), json!("open"));
        }
        Some(IssueState::Closed) => {
            patch.insert("state".into(), json!("closed"));
            patch.insert("state_reason".into(), json!("completed"));
        }
        Some(IssueState::Cancelled) => {
            patch.insert("state".into(), json!("closed"));
            patch.insert("state_reason".into(), json!("not_planned"));
        }
        None => {}
    }
    if let Some(assignee) = &update.assignee {
        patch.insert("assignees".into(), json!([assignee]));
    }
    let result = (|| {
        if !patch.is_empty() {
            api.write(Method::Patch, &path, Some(&Value::Object(patch)))?;
        }
        if !update.add_labels.is_empty() {
            api.write(
                Method::Post,
                &format!("{path}/labels"),
                Some(&json!({ "labels": update.add_labels })),
            )?;
        }
        for label in &update.remove_labels {
            match api.write(
                Method::Delete,
                &format!("{path}/labels/{}", encode(label)),
                None,
            ) {
                // Not on the issue: already what was asked.
                Ok(_) | Err(PluginError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if let Some(comment) = update.comment.as_ref().filter(|c| !c.trim().is_empty()) {
            api.write(
                Method::Post,
                &format!("{path}/comments"),
                Some(&json!({ "body": comment })),
            )?;
        }
        Ok(())
    })();
    api::forget(&path);
    api::forget(&format!("/repos/{}/issues?", repo.full()));
    result
}

/// The task text for a coding agent: title, link, labels and the description.
pub fn generate_prompt(project: &Project, id: &str) -> Result<String, PluginError> {
    let issue = get_issue(project, id)?;
    let repo = Repo::of(project)?.full();
    let mut prompt = format!(
        "Work on GitHub issue #{} in {repo}: {}\n\nIssue: {}\n",
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
        "\n\nWhen the change is ready, open a pull request whose description says \"Fixes #{}\".\n",
        issue.id
    ));
    Ok(prompt)
}
