//! GitLab webhooks: the secret token check (`X-Gitlab-Token`, compared in
//! constant time) and the deliveries that matter to ao (merge request,
//! pipeline, job, note and push hooks) as events.

use crate::settings::{Repo, Settings};
use ao_plugin_sdk::{
    PluginError, Project, WebhookEvent, WebhookKind, WebhookRequest, WebhookVerification, secrets,
};
use serde_json::{Value, json};

use ao_plugin_sdk::webhook_header as header;

/// Equal bytes, in time that does not depend on where they differ.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn verify(request: &WebhookRequest) -> Result<WebhookVerification, PluginError> {
    let settings = Settings::load()?;
    let Some(secret_name) = settings.webhook_secret.as_deref() else {
        return Err(PluginError::invalid_input(
            "set `webhookSecret` to the name of the secret holding the webhook's secret token (and grant that secret)",
        ));
    };
    let secret = secrets::get(secret_name)?;
    // The event's UUID names this delivery (`X-Gitlab-Webhook-UUID` names
    // the hook, the same for every delivery).
    let delivery_id = header(request, "x-gitlab-event-uuid").map(str::to_string);
    let event_type = header(request, "x-gitlab-event").map(str::to_string);
    let reason = match header(request, "x-gitlab-token") {
        None => Some("no X-Gitlab-Token header".to_string()),
        Some(token) if !same_secret(token.as_bytes(), secret.as_bytes()) => {
            Some("X-Gitlab-Token does not match the webhook's secret token".to_string())
        }
        Some(_) => None,
    };
    Ok(WebhookVerification {
        ok: reason.is_none(),
        reason,
        delivery_id,
        event_type,
    })
}

fn string(value: &Value) -> Option<String> {
    value.as_str().map(str::to_string)
}

fn number(value: &Value) -> Option<u32> {
    value.as_u64().and_then(|n| u32::try_from(n).ok())
}

pub fn parse(
    project: &Project,
    request: &WebhookRequest,
) -> Result<Option<WebhookEvent>, PluginError> {
    let Some(event) = header(request, "x-gitlab-event") else {
        return Err(PluginError::invalid_input(
            "no X-Gitlab-Event header: not a GitLab webhook delivery",
        ));
    };
    let payload: Value = serde_json::from_slice(&request.body)
        .map_err(|e| PluginError::invalid_input(format!("webhook body is not JSON: {e}")))?;
    Ok(event_of(project, event, &payload))
}

/// The event a delivery stands for; `None` for other projects and other hooks.
pub fn event_of(project: &Project, event: &str, payload: &Value) -> Option<WebhookEvent> {
    let repository = string(&payload["project"]["path_with_namespace"]);
    if let (Ok(ours), Some(theirs)) = (Repo::of(project), repository.as_deref())
        && !ours.is(theirs)
    {
        return None;
    }
    let attrs = &payload["object_attributes"];
    let (kind, action, pr_number, branch, sha, data) = match event {
        "Merge Request Hook" => (
            WebhookKind::PullRequest,
            attrs["action"].as_str().unwrap_or("update").to_string(),
            number(&attrs["iid"]),
            string(&attrs["source_branch"]),
            string(&attrs["last_commit"]["id"]),
            json!({
                "title": attrs["title"], "state": attrs["state"], "draft": attrs["draft"],
                "url": attrs["url"], "baseBranch": attrs["target_branch"],
                "mergeStatus": attrs["detailed_merge_status"], "sender": payload["user"]["username"],
            }),
        ),
        "Pipeline Hook" => (
            WebhookKind::Ci,
            attrs["status"].as_str().unwrap_or("").to_string(),
            number(&payload["merge_request"]["iid"]),
            string(&attrs["ref"]),
            string(&attrs["sha"]),
            json!({
                "pipeline": attrs["id"], "status": attrs["status"], "url": attrs["url"],
                "failedJobs": payload["builds"].as_array().map(|jobs| jobs.iter()
                    .filter(|j| j["status"] == "failed").map(|j| j["name"].clone()).collect::<Vec<_>>()),
            }),
        ),
        "Job Hook" => (
            WebhookKind::Ci,
            payload["build_status"].as_str().unwrap_or("").to_string(),
            None,
            string(&payload["ref"]),
            string(&payload["sha"]),
            json!({ "name": payload["build_name"], "status": payload["build_status"], "job": payload["build_id"] }),
        ),
        "Note Hook" => {
            let mr = &payload["merge_request"];
            (
                WebhookKind::Comment,
                attrs["action"].as_str().unwrap_or("create").to_string(),
                number(&mr["iid"]),
                string(&mr["source_branch"]),
                string(&mr["last_commit"]["id"]),
                json!({
                    "author": payload["user"]["username"], "body": attrs["note"],
                    "url": attrs["url"], "noteableType": attrs["noteable_type"],
                }),
            )
        }
        "Push Hook" => (
            WebhookKind::Push,
            "push".to_string(),
            None,
            payload["ref"]
                .as_str()
                .map(|r| r.trim_start_matches("refs/heads/").to_string()),
            string(&payload["checkout_sha"]).or_else(|| string(&payload["after"])),
            json!({ "before": payload["before"], "after": payload["after"] }),
        ),
        _ => (
            WebhookKind::Unknown,
            event.to_string(),
            None,
            None,
            None,
            json!({}),
        ),
    };
    Some(WebhookEvent {
        kind,
        action,
        pr_number,
        branch,
        sha,
        repository,
        data: data.to_string(),
    })
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
    fn secret_tokens_compare_whole() {
        assert!(same_secret(b"s3cret", b"s3cret"));
        assert!(!same_secret(b"s3cret", b"s3cres"));
        assert!(!same_secret(b"s3cret", b"s3cret-and-more"));
    }

    #[test]
    fn pipeline_and_merge_request_hooks_name_the_mr() {
        let pipeline = json!({
            "object_kind": "pipeline",
            "object_attributes": {"id": 31, "ref": "feat/issue-1", "sha": "abc", "status": "failed"},
            "merge_request": {"iid": 4},
            "builds": [{"name": "test", "status": "failed"}, {"name": "lint", "status": "success"}],
            "project": {"path_with_namespace": "acme/platform/web"}
        });
        let e = event_of(&project(), "Pipeline Hook", &pipeline).unwrap();
        assert_eq!(
            (e.kind, e.action.as_str(), e.pr_number),
            (WebhookKind::Ci, "failed", Some(4))
        );
        assert!(e.data.contains("\"failedJobs\":[\"test\"]"), "{}", e.data);
        let mr = json!({
            "object_attributes": {"iid": 4, "action": "update", "source_branch": "feat/issue-1",
                                  "last_commit": {"id": "def"}},
            "project": {"path_with_namespace": "acme/platform/web"}
        });
        let e = event_of(&project(), "Merge Request Hook", &mr).unwrap();
        assert_eq!(
            (e.kind, e.branch.as_deref(), e.sha.as_deref()),
            (WebhookKind::PullRequest, Some("feat/issue-1"), Some("def"))
        );
        let other = json!({"project": {"path_with_namespace": "acme/other"}});
        assert!(event_of(&project(), "Merge Request Hook", &other).is_none());
    }
}
