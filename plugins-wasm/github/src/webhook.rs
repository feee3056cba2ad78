//! GitHub webhook deliveries: `X-Hub-Signature-256` checked in constant
//! time, and the events ao cares about turned into `webhook-event`s.

use crate::settings::{Repo, Settings};
use ao_plugin_sdk::{
    PluginError, Project, WebhookEvent, WebhookKind, WebhookRequest, WebhookVerification, secrets,
};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use ao_plugin_sdk::webhook_header as header;

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Whether `signature` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under `secret`.
pub fn signature_matches(secret: &[u8], body: &[u8], signature: &str) -> bool {
    let Some(expected) = signature
        .trim()
        .strip_prefix("sha256=")
        .and_then(hex_decode)
    else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&expected).is_ok()
}

pub fn verify(request: &WebhookRequest) -> Result<WebhookVerification, PluginError> {
    let settings = Settings::load()?;
    let Some(secret_name) = settings.webhook_secret.as_deref() else {
        return Err(PluginError::invalid_input(
            "set `webhookSecret` to the name of the secret holding the webhook's secret (and grant that secret)",
        ));
    };
    let secret = secrets::get(secret_name)?;
    let delivery_id = header(request, "x-github-delivery").map(str::to_string);
    let event_type = header(request, "x-github-event").map(str::to_string);
    let reason = match header(request, "x-hub-signature-256") {
        None => Some("no X-Hub-Signature-256 header".to_string()),
        Some(signature) if !signature_matches(secret.as_bytes(), &request.body, signature) => {
            Some("X-Hub-Signature-256 does not match the body".to_string())
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
    let Some(event) = header(request, "x-github-event") else {
        return Err(PluginError::invalid_input(
            "no X-GitHub-Event header: not a GitHub webhook delivery",
        ));
    };
    let payload: Value = serde_json::from_slice(&request.body)
        .map_err(|e| PluginError::invalid_input(format!("webhook body is not JSON: {e}")))?;
    let repository = string(&payload["repository"]["full_name"]);
    if let (Ok(ours), Some(theirs)) = (Repo::of(project), repository.as_deref())
        && !ours.is(theirs)
    {
        return Ok(None);
    }
    let action = payload["action"].as_str().unwrap_or("").to_string();
    let pr = &payload["pull_request"];
    let (kind, action, pr_number, branch, sha, data) = match event {
        "pull_request" => (
            WebhookKind::PullRequest,
            action,
            number(&pr["number"]),
            string(&pr["head"]["ref"]),
            string(&pr["head"]["sha"]),
            json!({
                "title": pr["title"], "state": pr["state"], "merged": pr["merged"],
                "draft": pr["draft"], "url": pr["html_url"], "baseBranch": pr["base"]["ref"],
                "sender": payload["sender"]["login"],
            }),
        ),
        "pull_request_review" => (
            WebhookKind::Review,
            action,
            number(&pr["number"]),
            string(&pr["head"]["ref"]),
            string(&pr["head"]["sha"]),
            json!({
                "state": payload["review"]["state"], "author": payload["review"]["user"]["login"],
                "body": payload["review"]["body"], "url": payload["review"]["html_url"],
            }),
        ),
        "pull_request_review_thread" => (
            WebhookKind::Review,
            action,
            number(&pr["number"]),
            string(&pr["head"]["ref"]),
            string(&pr["head"]["sha"]),
            json!({ "threadId": payload["thread"]["node_id"] }),
        ),
        "pull_request_review_comment" => (
            WebhookKind::Comment,
            action,
            number(&pr["number"]),
            string(&pr["head"]["ref"]),
            string(&pr["head"]["sha"]),
            comment_data(&payload["comment"]),
        ),
        "issue_comment" => {
            let issue = &payload["issue"];
            let on_pr = issue.get("pull_request").is_some_and(|p| !p.is_null());
            let mut data = comment_data(&payload["comment"]);
            data["issue"] = issue["number"].clone();
            data["onPullRequest"] = json!(on_pr);
            (
                WebhookKind::Comment,
                action,
                if on_pr {
                    number(&issue["number"])
                } else {
                    None
                },
                None,
                None,
                data,
            )
        }
        "check_run" => {
            let run = &payload["check_run"];
            (
                WebhookKind::Ci,
                action,
                number(&run["pull_requests"][0]["number"]),
                string(&run["check_suite"]["head_branch"]),
                string(&run["head_sha"]),
                json!({
                    "name": run["name"], "status": run["status"], "conclusion": run["conclusion"],
                    "url": run["html_url"],
                }),
            )
        }
        "check_suite" => {
            let suite = &payload["check_suite"];
            (
                WebhookKind::Ci,
                action,
                number(&suite["pull_requests"][0]["number"]),
                string(&suite["head_branch"]),
                string(&suite["head_sha"]),
                json!({ "status": suite["status"], "conclusion": suite["conclusion"] }),
            )
        }
        "status" => (
            WebhookKind::Ci,
            payload["state"].as_str().unwrap_or("").to_string(),
            None,
            string(&payload["branches"][0]["name"]),
            string(&payload["sha"]),
            json!({
                "context": payload["context"], "state": payload["state"],
                "url": payload["target_url"], "description": payload["description"],
            }),
        ),
        "push" => {
            let branch = payload["ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("refs/heads/"));
            if branch.is_none() {
                // A tag: nothing a session works on.
                return Ok(None);
            }
            (
                WebhookKind::Push,
                "push".to_string(),
                None,
                branch.map(str::to_string),
                string(&payload["after"]),
                json!({
                    "before": payload["before"], "after": payload["after"],
                    "forced": payload["forced"], "created": payload["created"], "deleted": payload["deleted"],
                }),
            )
        }
        // `ping` and events about other things.
        _ => return Ok(None),
    };
    Ok(Some(WebhookEvent {
        kind,
        action,
        pr_number,
        branch,
        sha,
        repository,
        data: data.to_string(),
    }))
}

fn comment_data(comment: &Value) -> Value {
    let login = comment["user"]["login"].as_str().unwrap_or("");
    let bot = crate::graphql::is_bot(login, comment["user"]["type"].as_str());
    json!({
        "id": comment["id"], "author": login, "isBot": bot, "body": comment["body"],
        "path": comment["path"], "line": comment["line"], "url": comment["html_url"],
    })
}
