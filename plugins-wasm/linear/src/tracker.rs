//! Linear issues as ao's tracker: GraphQL documents and variables, the
//! mapping of Linear's records to ao's, and workflow-state choice. Everything
//! here but the functions taking an [`Api`] is pure, so it is unit tested.

use crate::api::Api;
use crate::settings::{self, Settings};
use ao_plugin_sdk::{
    Issue, IssueFilter, IssueState, IssueUpdate, NewIssue, PluginError, Project, clock,
};
use serde_json::{Value, json};
use std::cell::RefCell;

/// Most issues one `list-issues` returns when the filter sets no limit.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 1000;
/// Linear's largest page.
const PAGE: u32 = 250;
/// How long a team's workflow states (and its id) are reused: they change rarely.
const LOOKUP_TTL_MS: i64 = 5 * 60_000;

/// The fields ao reads from an issue.
const ISSUE_FIELDS: &str = "id identifier title description url priority branchName \
     state { name type } labels { nodes { id name } } assignee { name displayName } team { key }";

pub fn issue_query() -> String {
    format!("query Issue($id: String!) {{ issue(id: $id) {{ {ISSUE_FIELDS} }} }}")
}

pub fn issues_query() -> String {
    format!(
        "query Issues($filter: IssueFilter, $first: Int, $after: String) {{ \
         issues(filter: $filter, first: $first, after: $after, orderBy: updatedAt) {{ \
         nodes {{ {ISSUE_FIELDS} }} pageInfo {{ hasNextPage endCursor }} }} }}"
    )
}

pub const TEAM_QUERY: &str = "query Team($key: String!) { \
     teams(filter: { key: { eq: $key } }) { nodes { id key name } } }";

pub const STATES_QUERY: &str = "query WorkflowStates($key: String!) { \
     workflowStates(filter: { team: { key: { eq: $key } } }, first: 100) { \
     nodes { id name type position } } }";

/// Labels by name, any case (Linear's `in` is case-sensitive, so one
/// `eqIgnoreCase` per name).
pub const LABELS_QUERY: &str = "query IssueLabels($filter: IssueLabelFilter) { \
     issueLabels(filter: $filter, first: 250) { \
     nodes { id name team { key } } } }";

/// The `IssueLabelFilter` for [`LABELS_QUERY`].
pub fn labels_filter(names: &[String]) -> Value {
    let any: Vec<Value> = names
        .iter()
        .map(|n| json!({ "name": { "eqIgnoreCase": n } }))
        .collect();
    json!({ "or": any })
}

pub const USERS_QUERY: &str = "query Users($name: String!) { \
     users(filter: { or: [{ displayName: { eq: $name } }, { name: { eq: $name } }, { email: { eq: $name } }] }) { \
     nodes { id name displayName } } }";

pub fn issue_create_mutation() -> String {
    format!(
        "mutation IssueCreate($input: IssueCreateInput!) {{ \
         issueCreate(input: $input) {{ success issue {{ {ISSUE_FIELDS} }} }} }}"
    )
}

pub const ISSUE_UPDATE_MUTATION: &str = "mutation IssueUpdate($id: String!, $input: IssueUpdateInput!) { \
     issueUpdate(id: $id, input: $input) { success } }";

pub const COMMENT_CREATE_MUTATION: &str = "mutation CommentCreate($input: CommentCreateInput!) { \
     commentCreate(input: $input) { success comment { id } } }";

/// ao's state for a Linear workflow-state type.
pub fn state_of_type(kind: &str) -> IssueState {
    match kind {
        "started" => IssueState::InProgress,
        "completed" => IssueState::Closed,
        "canceled" | "cancelled" => IssueState::Cancelled,
        // backlog, unstarted, triage, and anything new.
        _ => IssueState::Open,
    }
}

/// The Linear workflow-state types that stand for an ao state.
pub fn types_of_state(state: IssueState) -> &'static [&'static str] {
    match state {
        IssueState::Open => &["backlog", "unstarted", "triage"],
        IssueState::InProgress => &["started"],
        IssueState::Closed => &["completed"],
        IssueState::Cancelled => &["canceled"],
    }
}

/// An issue record from Linear's JSON.
pub fn issue_of(raw: &Value) -> Result<Issue, PluginError> {
    let id = raw["identifier"]
        .as_str()
        .ok_or_else(|| PluginError::other("Linear returned an issue without an identifier"))?;
    let text = |field: &str| raw[field].as_str().unwrap_or("").to_string();
    // Linear: 0 = no priority, 1 = urgent … 4 = low (lower is more urgent, as in ao).
    let priority = raw["priority"]
        .as_f64()
        .map(|p| p.round() as i32)
        .filter(|p| *p > 0);
    Ok(Issue {
        id: id.to_string(),
        title: text("title"),
        description: text("description"),
        url: text("url"),
        state: state_of_type(raw["state"]["type"].as_str().unwrap_or("")),
        labels: raw["labels"]["nodes"]
            .as_array()
            .map(|nodes| {
                nodes
                    .iter()
                    .filter_map(|l| l["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        assignee: raw["assignee"]["displayName"]
            .as_str()
            .or_else(|| raw["assignee"]["name"].as_str())
            .map(str::to_string),
        priority,
        branch_name: raw["branchName"]
            .as_str()
            .filter(|b| !b.is_empty())
            .map(str::to_string),
    })
}

/// The `IssueFilter` for `list-issues`: the team, the state types, every
/// label (all of them, as GitHub's filter means), the assignee.
pub fn issues_filter(team_key: &str, filter: &IssueFilter) -> Value {
    let mut and = vec![json!({ "team": { "key": { "eq": team_key } } })];
    if let Some(state) = filter.state {
        and.push(json!({ "state": { "type": { "in": types_of_state(state) } } }));
    }
    for label in &filter.labels {
        and.push(json!({ "labels": { "some": { "name": { "eqIgnoreCase": label } } } }));
    }
    if let Some(assignee) = &filter.assignee {
        and.push(json!({ "assignee": { "or": [
            { "displayName": { "eqIgnoreCase": assignee } },
            { "name": { "eqIgnoreCase": assignee } },
            { "email": { "eqIgnoreCase": assignee } },
        ] } }));
    }
    json!({ "and": and })
}

/// A workflow state of a team.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowState {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub position: f64,
}

pub fn states_of(data: &Value) -> Vec<WorkflowState> {
    data["workflowStates"]["nodes"]
        .as_array()
        .map(|nodes| {
            nodes
                .iter()
                .filter_map(|s| {
                    Some(WorkflowState {
                        id: s["id"].as_str()?.to_string(),
                        name: s["name"].as_str()?.to_string(),
                        kind: s["type"].as_str()?.to_string(),
                        position: s["position"].as_f64().unwrap_or(0.0),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The state an issue moves to for `target`: the one the settings name
/// (`inProgressState`, `doneState`), else the first of the matching type by
/// position (`unstarted` for open, not `backlog`).
pub fn pick_state<'a>(
    states: &'a [WorkflowState],
    target: IssueState,
    settings: &Settings,
    team: &str,
) -> Result<&'a WorkflowState, PluginError> {
    let (named, key) = match target {
        IssueState::InProgress => (settings.in_progress_state.as_deref(), "inProgressState"),
        IssueState::Closed => (settings.done_state.as_deref(), "doneState"),
        _ => (None, ""),
    };
    let names = || {
        states
            .iter()
            .map(|s| format!("{} ({})", s.name, s.kind))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(name) = named {
        return states
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                PluginError::invalid_input(format!(
                    "setting `{key}`: team {team} has no workflow state `{name}`; its states are: {}",
                    names()
                ))
            });
    }
    let kind = match target {
        IssueState::Open => "unstarted",
        IssueState::InProgress => "started",
        IssueState::Closed => "completed",
        IssueState::Cancelled => "canceled",
    };
    states
        .iter()
        .filter(|s| s.kind == kind)
        .min_by(|a, b| a.position.total_cmp(&b.position))
        .ok_or_else(|| {
            PluginError::invalid_input(format!(
                "team {team} has no workflow state of type `{kind}`; its states are: {}",
                names()
            ))
        })
}

/// Label ids for names, preferring the team's label over a workspace one of
/// the same name; names Linear does not know are returned as missing.
pub fn label_ids(data: &Value, names: &[String], team: &str) -> (Vec<String>, Vec<String>) {
    let nodes = data["issueLabels"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut ids = Vec::new();
    let mut missing = Vec::new();
    for name in names {
        let matching: Vec<&Value> = nodes
            .iter()
            .filter(|l| {
                l["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .collect();
        let chosen = matching
            .iter()
            .find(|l| l["team"]["key"].as_str() == Some(team))
            .or_else(|| matching.iter().find(|l| l["team"].is_null()))
            .and_then(|l| l["id"].as_str());
        match chosen {
            Some(id) => ids.push(id.to_string()),
            None => missing.push(name.clone()),
        }
    }
    (ids, missing)
}

/// `IssueCreateInput` without the ids looked up (team, labels, assignee).
pub fn create_input(new: &NewIssue, team_id: &str) -> Value {
    let mut input = json!({ "teamId": team_id, "title": new.title.trim() });
    if !new.description.trim().is_empty() {
        input["description"] = json!(new.description);
    }
    if let Some(p) = new.priority {
        input["priority"] = json!(p.clamp(0, 4));
    }
    input
}

/// The task text for a coding agent: title, link, labels and the description.
pub fn prompt_of(issue: &Issue) -> String {
    let mut prompt = format!(
        "Work on Linear issue {}: {}\n\nIssue: {}\n",
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
        "\n\nWhen the change is ready, open a pull request whose description says \"Fixes {}\" \
         (Linear links it to the issue).\n",
        issue.id
    ));
    prompt
}

/// `ENG-123` for a Linear issue URL of this workspace (and team, when set).
pub fn issue_label(settings: &Settings, url: &str) -> Option<String> {
    let (workspace, ident) = settings::url_parts(url)?;
    if let Some(ours) = &settings.workspace
        && !workspace.eq_ignore_ascii_case(ours)
    {
        return None;
    }
    if let Some(team) = &settings.team_key
        && !ident.starts_with(&format!("{team}-"))
    {
        return None;
    }
    Some(ident)
}

// ---- Calls to Linear ----

/// A team looked up recently: key, when fetched, id, workflow states.
type CachedTeam = (String, i64, String, Vec<WorkflowState>);

thread_local! {
    static TEAMS: RefCell<Vec<CachedTeam>> = const { RefCell::new(Vec::new()) };
}

/// The raw issue (with its UUID, team and label ids).
fn fetch_issue(api: &Api, id: &str) -> Result<Value, PluginError> {
    let ident = settings::identifier(id, api.settings.team_key.as_deref())?;
    let data = api
        .query(&issue_query(), json!({ "id": ident }))
        .map_err(|e| match e {
            PluginError::NotFound(m) => PluginError::NotFound(format!("issue {ident}: {m}")),
            e => e,
        })?;
    let raw = &data["issue"];
    if raw.is_null() {
        return Err(PluginError::NotFound(format!(
            "Linear has no issue {ident}, or the key in `{}` cannot see it",
            api.settings.token_secret
        )));
    }
    Ok(raw.clone())
}

/// A team's id and workflow states, from memory when fetched recently.
fn team(api: &Api, key: &str) -> Result<(String, Vec<WorkflowState>), PluginError> {
    let now = clock::now_ms();
    if let Some(hit) = TEAMS.with(|t| {
        t.borrow()
            .iter()
            .find(|(k, at, _, _)| k == key && now - at < LOOKUP_TTL_MS)
            .map(|(_, _, id, states)| (id.clone(), states.clone()))
    }) {
        return Ok(hit);
    }
    let data = api.query(TEAM_QUERY, json!({ "key": key }))?;
    let id = data["teams"]["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|t| t["key"].as_str() == Some(key)))
        .and_then(|t| t["id"].as_str())
        .ok_or_else(|| {
            PluginError::NotFound(format!(
                "Linear has no team with key `{key}` (setting `teamKey`), or the key in `{}` cannot see it",
                api.settings.token_secret
            ))
        })?
        .to_string();
    let states = states_of(&api.query(STATES_QUERY, json!({ "key": key }))?);
    TEAMS.with(|t| {
        let mut t = t.borrow_mut();
        t.retain(|(k, _, _, _)| k != key);
        t.push((key.to_string(), now, id.clone(), states.clone()));
    });
    Ok((id, states))
}

fn lookup_labels(api: &Api, names: &[String], team: &str) -> Result<Vec<String>, PluginError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let data = api.query(LABELS_QUERY, json!({ "filter": labels_filter(names) }))?;
    let (ids, missing) = label_ids(&data, names, team);
    if !missing.is_empty() {
        return Err(PluginError::invalid_input(format!(
            "Linear has no label {} for team {team}; create it in Linear first",
            missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(ids)
}

fn lookup_user(api: &Api, name: &str) -> Result<String, PluginError> {
    let data = api.query(USERS_QUERY, json!({ "name": name }))?;
    data["users"]["nodes"][0]["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| {
            PluginError::invalid_input(format!(
                "Linear has no user `{name}` (matched by display name, name or email)"
            ))
        })
}

pub fn get_issue(_project: &Project, id: &str) -> Result<Issue, PluginError> {
    let api = Api::new()?;
    issue_of(&fetch_issue(&api, id)?)
}

pub fn list_issues(_project: &Project, filter: &IssueFilter) -> Result<Vec<Issue>, PluginError> {
    let api = Api::new()?;
    let team = api.settings.require_team("list-issues")?.to_string();
    let limit = filter.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let variables_filter = issues_filter(&team, filter);
    let mut issues = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let first = (limit - issues.len() as u32).min(PAGE);
        let data = api.query(
            &issues_query(),
            json!({ "filter": variables_filter, "first": first, "after": after }),
        )?;
        let page = &data["issues"];
        for raw in page["nodes"].as_array().into_iter().flatten() {
            issues.push(issue_of(raw)?);
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_string);
        let more = page["pageInfo"]["hasNextPage"].as_bool() == Some(true);
        if !more || after.is_none() || issues.len() as u32 >= limit {
            break;
        }
    }
    issues.truncate(limit as usize);
    Ok(issues)
}

pub fn create_issue(_project: &Project, new: &NewIssue) -> Result<Issue, PluginError> {
    let api = Api::new()?;
    let team_key = api.settings.require_team("create-issue")?.to_string();
    if new.title.trim().is_empty() {
        return Err(PluginError::invalid_input("an issue needs a title"));
    }
    let (team_id, _) = team(&api, &team_key)?;
    let mut input = create_input(new, &team_id);
    let labels = lookup_labels(&api, &new.labels, &team_key)?;
    if !labels.is_empty() {
        input["labelIds"] = json!(labels);
    }
    if let Some(assignee) = &new.assignee {
        input["assigneeId"] = json!(lookup_user(&api, assignee)?);
    }
    let data = api.mutate(&issue_create_mutation(), json!({ "input": input }))?;
    let created = &data["issueCreate"];
    if created["success"].as_bool() != Some(true) || created["issue"].is_null() {
        return Err(PluginError::other("Linear did not create the issue"));
    }
    issue_of(&created["issue"])
}

pub fn update_issue(_project: &Project, id: &str, update: &IssueUpdate) -> Result<(), PluginError> {
    let api = Api::new()?;
    let raw = fetch_issue(&api, id)?;
    let uuid = raw["id"]
        .as_str()
        .ok_or_else(|| PluginError::other("Linear returned an issue without an id"))?
        .to_string();
    let team_key = raw["team"]["key"]
        .as_str()
        .map(str::to_string)
        .or_else(|| api.settings.team_key.clone())
        .ok_or_else(|| PluginError::other("Linear returned an issue without a team"))?;
    let mut input = serde_json::Map::new();
    if let Some(target) = update.state {
        let current = raw["state"]["type"].as_str().unwrap_or("");
        // Already there (say, in another `completed` state): leave it.
        let named = match target {
            IssueState::InProgress => api.settings.in_progress_state.as_deref(),
            IssueState::Closed => api.settings.done_state.as_deref(),
            _ => None,
        };
        let current_name = raw["state"]["name"].as_str().unwrap_or("");
        let settled = match named {
            Some(name) => current_name.eq_ignore_ascii_case(name),
            None => state_of_type(current) == target,
        };
        if !settled {
            let (_, states) = team(&api, &team_key)?;
            let state = pick_state(&states, target, &api.settings, &team_key)?;
            input.insert("stateId".into(), json!(state.id));
        }
    }
    let current_labels: Vec<(String, String)> = raw["labels"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| {
            Some((
                l["name"].as_str()?.to_string(),
                l["id"].as_str()?.to_string(),
            ))
        })
        .collect();
    let has = |name: &str| {
        current_labels
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    let to_add: Vec<String> = update
        .add_labels
        .iter()
        .filter(|l| !has(l))
        .cloned()
        .collect();
    let added = lookup_labels(&api, &to_add, &team_key)?;
    if !added.is_empty() {
        input.insert("addedLabelIds".into(), json!(added));
    }
    // Labels not on the issue are already what was asked.
    let removed: Vec<&String> = current_labels
        .iter()
        .filter(|(n, _)| {
            update
                .remove_labels
                .iter()
                .any(|r| r.eq_ignore_ascii_case(n))
        })
        .map(|(_, id)| id)
        .collect();
    if !removed.is_empty() {
        input.insert("removedLabelIds".into(), json!(removed));
    }
    if let Some(assignee) = &update.assignee {
        input.insert("assigneeId".into(), json!(lookup_user(&api, assignee)?));
    }
    if !input.is_empty() {
        let data = api.mutate(
            ISSUE_UPDATE_MUTATION,
            json!({ "id": uuid, "input": Value::Object(input) }),
        )?;
        if data["issueUpdate"]["success"].as_bool() != Some(true) {
            return Err(PluginError::other("Linear did not update the issue"));
        }
    }
    if let Some(comment) = update.comment.as_ref().filter(|c| !c.trim().is_empty()) {
        let data = api.mutate(
            COMMENT_CREATE_MUTATION,
            json!({ "input": { "issueId": uuid, "body": comment } }),
        )?;
        if data["commentCreate"]["success"].as_bool() != Some(true) {
            return Err(PluginError::other("Linear did not add the comment"));
        }
    }
    Ok(())
}

/// Linear's own branch name for the issue (what its GitHub integration
/// recognises), else `feat/eng-123` when Linear cannot be asked.
pub fn branch_name(project: &Project, id: &str) -> String {
    match get_issue(project, id) {
        Ok(Issue {
            branch_name: Some(branch),
            ..
        }) => branch,
        _ => settings::fallback_branch(id),
    }
}

/// The issue's web URL: built from `workspace` when set (no request), else
/// the URL Linear returns.
pub fn issue_url(project: &Project, id: &str) -> String {
    let settings = Settings::load_or_default();
    let ident = settings::identifier(id, settings.team_key.as_deref())
        .unwrap_or_else(|_| id.trim().to_string());
    if let Some(url) = settings.issue_url(&ident) {
        return url;
    }
    match get_issue(project, id) {
        Ok(issue) if !issue.url.is_empty() => issue.url,
        _ => format!("{}/issue/{ident}", settings::WEB_URL),
    }
}

pub fn generate_prompt(project: &Project, id: &str) -> Result<String, PluginError> {
    Ok(prompt_of(&get_issue(project, id)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(id: &str, name: &str, kind: &str, position: f64) -> WorkflowState {
        WorkflowState {
            id: id.into(),
            name: name.into(),
            kind: kind.into(),
            position,
        }
    }

    fn states() -> Vec<WorkflowState> {
        vec![
            state("s-backlog", "Backlog", "backlog", 0.0),
            state("s-todo", "Todo", "unstarted", 1.0),
            state("s-review", "In Review", "started", 3.0),
            state("s-progress", "In Progress", "started", 2.0),
            state("s-done", "Done", "completed", 4.0),
            state("s-released", "Released", "completed", 5.0),
            state("s-canceled", "Canceled", "canceled", 6.0),
        ]
    }

    #[test]
    fn state_types_map_both_ways() {
        assert_eq!(state_of_type("backlog"), IssueState::Open);
        assert_eq!(state_of_type("unstarted"), IssueState::Open);
        assert_eq!(state_of_type("triage"), IssueState::Open);
        assert_eq!(state_of_type("started"), IssueState::InProgress);
        assert_eq!(state_of_type("completed"), IssueState::Closed);
        assert_eq!(state_of_type("canceled"), IssueState::Cancelled);
        for s in [
            IssueState::Open,
            IssueState::InProgress,
            IssueState::Closed,
            IssueState::Cancelled,
        ] {
            for kind in types_of_state(s) {
                assert_eq!(state_of_type(kind), s);
            }
        }
    }

    #[test]
    fn the_first_state_of_the_type_is_picked_unless_a_setting_names_one() {
        let states = states();
        let s = Settings::default();
        let pick = |t| pick_state(&states, t, &s, "ENG").unwrap().id.clone();
        assert_eq!(pick(IssueState::InProgress), "s-progress");
        assert_eq!(pick(IssueState::Closed), "s-done");
        assert_eq!(pick(IssueState::Cancelled), "s-canceled");
        assert_eq!(pick(IssueState::Open), "s-todo");
        let named = Settings {
            in_progress_state: Some("in review".into()),
            done_state: Some("Shipped".into()),
            ..Settings::default()
        };
        assert_eq!(
            pick_state(&states, IssueState::InProgress, &named, "ENG")
                .unwrap()
                .id,
            "s-review"
        );
        match pick_state(&states, IssueState::Closed, &named, "ENG") {
            Err(PluginError::InvalidInput(m)) => {
                assert!(
                    m.contains("doneState") && m.contains("Released (completed)"),
                    "{m}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            pick_state(&states[..2], IssueState::Closed, &s, "ENG"),
            Err(PluginError::InvalidInput(m)) if m.contains("completed")
        ));
    }

    #[test]
    fn issues_map_from_linear_json() {
        let raw = json!({
            "id": "9f1c", "identifier": "ENG-12", "title": "Fix login", "description": null,
            "url": "https://linear.app/acme/issue/ENG-12/fix-login", "priority": 2.0,
            "branchName": "ana/eng-12-fix-login",
            "state": { "name": "In Progress", "type": "started" },
            "labels": { "nodes": [{ "id": "l1", "name": "bug" }, { "id": "l2", "name": "ui" }] },
            "assignee": { "name": "Ana Lima", "displayName": "ana" },
            "team": { "key": "ENG" }
        });
        let issue = issue_of(&raw).unwrap();
        assert_eq!(issue.id, "ENG-12");
        assert_eq!(issue.description, "");
        assert_eq!(issue.state, IssueState::InProgress);
        assert_eq!(issue.labels, ["bug", "ui"]);
        assert_eq!(issue.assignee.as_deref(), Some("ana"));
        assert_eq!(issue.priority, Some(2));
        assert_eq!(issue.branch_name.as_deref(), Some("ana/eng-12-fix-login"));
        let bare =
            issue_of(&json!({ "identifier": "ENG-1", "priority": 0, "assignee": null })).unwrap();
        assert_eq!(
            (bare.priority, bare.assignee, bare.branch_name),
            (None, None, None)
        );
        assert!(issue_of(&json!({ "title": "x" })).is_err());
    }

    #[test]
    fn the_list_filter_names_team_states_labels_and_assignee() {
        let filter = IssueFilter {
            state: Some(IssueState::Open),
            labels: vec!["bug".into(), "ui".into()],
            assignee: Some("ana".into()),
            limit: None,
        };
        let f = issues_filter("ENG", &filter);
        let and = f["and"].as_array().unwrap();
        assert_eq!(and[0], json!({ "team": { "key": { "eq": "ENG" } } }));
        assert_eq!(
            and[1],
            json!({ "state": { "type": { "in": ["backlog", "unstarted", "triage"] } } })
        );
        assert_eq!(
            and[2],
            json!({ "labels": { "some": { "name": { "eqIgnoreCase": "bug" } } } })
        );
        assert_eq!(
            and[4]["assignee"]["or"][0],
            json!({ "displayName": { "eqIgnoreCase": "ana" } })
        );
        let any = issues_filter(
            "ENG",
            &IssueFilter {
                state: None,
                labels: vec![],
                assignee: None,
                limit: Some(3),
            },
        );
        assert_eq!(any["and"].as_array().unwrap().len(), 1);
        assert!(issues_query().contains("issues(filter: $filter, first: $first, after: $after"));
        assert!(issue_query().contains("branchName"));
    }

    #[test]
    fn labels_prefer_the_team_and_report_what_is_missing() {
        let data = json!({ "issueLabels": { "nodes": [
            { "id": "ws-bug", "name": "Bug", "team": null },
            { "id": "eng-bug", "name": "bug", "team": { "key": "ENG" } },
            { "id": "ops-ui", "name": "ui", "team": { "key": "OPS" } },
            { "id": "ws-docs", "name": "docs", "team": null },
        ] } });
        let names = ["bug".to_string(), "docs".into(), "ui".into()];
        let (ids, missing) = label_ids(&data, &names, "ENG");
        assert_eq!(ids, ["eng-bug", "ws-docs"]);
        assert_eq!(missing, ["ui"]);
    }

    #[test]
    fn create_input_and_prompt() {
        let new = NewIssue {
            title: " Add dark mode ".into(),
            description: "Users ask.".into(),
            labels: vec![],
            assignee: None,
            priority: Some(9),
        };
        assert_eq!(
            create_input(&new, "team-1"),
            json!({ "teamId": "team-1", "title": "Add dark mode", "description": "Users ask.", "priority": 4 })
        );
        let issue = issue_of(&json!({
            "identifier": "ENG-3", "title": "Add dark mode", "description": "Users ask.",
            "url": "https://linear.app/acme/issue/ENG-3", "labels": { "nodes": [{ "name": "feature" }] }
        }))
        .unwrap();
        let prompt = prompt_of(&issue);
        for needle in [
            "Linear issue ENG-3: Add dark mode",
            "https://linear.app/acme/issue/ENG-3",
            "Labels: feature",
            "Users ask.",
            "Fixes ENG-3",
        ] {
            assert!(prompt.contains(needle), "{needle} in {prompt}");
        }
    }

    #[test]
    fn labels_for_urls_are_this_workspace_and_team_only() {
        let s = Settings {
            workspace: Some("acme".into()),
            team_key: Some("ENG".into()),
            ..Settings::default()
        };
        let label = |url: &str| issue_label(&s, url);
        assert_eq!(
            label("https://linear.app/acme/issue/ENG-12/fix").as_deref(),
            Some("ENG-12")
        );
        assert_eq!(label("https://linear.app/other/issue/ENG-12"), None);
        assert_eq!(label("https://linear.app/acme/issue/OPS-1"), None);
        assert_eq!(label("https://github.com/acme/web/issues/12"), None);
        assert_eq!(
            issue_label(&Settings::default(), "https://linear.app/x/issue/OPS-1").as_deref(),
            Some("OPS-1")
        );
    }
}
