//! `github`: GitHub issues (tracker) and pull requests, CI and reviews (SCM)
//! over GitHub's REST and GraphQL APIs, spending as little quota as it can.
//!
//! ```yaml
//! projects:
//!   web:
//!     repo: acme/web
//!     tracker: { plugin: github }
//!     scm:
//!       plugin: github
//!       webhookSecret: GITHUB_WEBHOOK_SECRET   # optional, for verify-webhook
//! plugins:
//!   github:
//!     grant:                      # the default grant, written out
//!       http: [api.github.com]
//!       secrets: [GITHUB_TOKEN]   # + GITHUB_WEBHOOK_SECRET when used
//!       kv: true
//! ```
//!
//! Settings: `apiUrl` (default `https://api.github.com`; `https://HOST/api/v3`
//! for GitHub Enterprise Server, whose host must then be granted),
//! `tokenSecret` (default `GITHUB_TOKEN`), `graphqlUrl` (default
//! `<apiUrl>/graphql`, or `https://HOST/api/graphql`), `webUrl` (default
//! derived from `apiUrl`), `webhookSecret` (a secret name), `cacheTtlMs`
//! (default 5000: how long one cycle reuses a PR list or enrichment).
//!
//! The token never enters the plugin: the host adds `Authorization: Bearer …`.
//!
//! Quota:
//! - `detect-pr` reads ONE list per repository per cycle
//!   (`GET /repos/{o}/{r}/pulls?state=all&sort=updated&per_page=100`) with
//!   `If-None-Match`; a 304 is free and reuses the list kept in KV.
//! - Other GETs are conditional too (ETags kept in memory).
//! - `enrich-prs` is one GraphQL query for up to 25 PRs; the per-PR review,
//!   comment and mergeability calls reuse its answer within the cycle.
//! - Reads are retried (5xx, short `Retry-After`); writes never are. A longer
//!   wait is returned as `rate-limited` with the time to wait.
//!
//! Key-value store (capability `kv`):
//! - `ratelimit`: the last seen REST quota, JSON
//!   `{"resource":"core","remaining":4990,"limit":5000,"resetAt":ms,"observedAt":ms}`;
//!   `ratelimit.graphql`: the same for GraphQL, plus `cost` of the last query.
//! - `pulls:owner/name`: `{"etag": "…", "prs": [...]}`, the PR list behind the ETag.

mod api;
mod graphql;
mod pulls;
mod settings;
mod tracker;
mod webhook;

use ao_plugin_sdk::*;
use api::Api;
use settings::{Repo, Settings};

struct GitHub;

impl Plugin for GitHub {
    fn manifest() -> Manifest {
        Manifest::new(
            "github",
            env!("CARGO_PKG_VERSION"),
            "GitHub issues, pull requests, CI and reviews (REST + GraphQL, ETag-cached)",
        )
        .roles([Role::Tracker, Role::Scm])
        .capabilities(
            Capabilities::default()
                // `*`: a GitHub Enterprise host the user grants for `apiUrl`.
                .http_hosts(["api.github.com", "*"])
                // `*`: the secrets named by `tokenSecret` and `webhookSecret`.
                .secrets([settings::DEFAULT_TOKEN_SECRET, "*"])
                .kv(),
        )
    }
}

fn client(project: &Project) -> Result<(Api, Repo), PluginError> {
    Ok((Api::new()?, Repo::of(project)?))
}

impl Tracker for GitHub {
    fn get_issue(project: Project, id: String) -> Result<Issue, PluginError> {
        tracker::get_issue(&project, &id)
    }

    fn list_issues(project: Project, filter: IssueFilter) -> Result<Vec<Issue>, PluginError> {
        tracker::list_issues(&project, &filter)
    }

    fn create_issue(project: Project, issue: NewIssue) -> Result<Issue, PluginError> {
        tracker::create_issue(&project, &issue)
    }

    fn update_issue(project: Project, id: String, update: IssueUpdate) -> Result<(), PluginError> {
        tracker::update_issue(&project, &id, &update)
    }

    fn issue_url(project: Project, id: String) -> String {
        tracker::issue_url(&Settings::load_or_default(), &project, &id)
    }

    fn issue_label(project: Project, url: String) -> Option<String> {
        tracker::issue_label(&Settings::load_or_default(), &project, &url)
    }

    fn branch_name(_project: Project, id: String) -> String {
        tracker::branch_name(&id)
    }

    fn generate_prompt(project: Project, id: String) -> Result<String, PluginError> {
        tracker::generate_prompt(&project, &id)
    }
}

impl Scm for GitHub {
    fn detect_pr(project: Project, branch: String) -> Result<Option<PrInfo>, PluginError> {
        let (api, repo) = client(&project)?;
        pulls::detect_pr(&api, &repo, &branch)
    }

    fn get_pr_state(project: Project, pr: PrInfo) -> Result<PrState, PluginError> {
        let (api, repo) = client(&project)?;
        pulls::pr_state(&api, &repo, pr.number)
    }

    fn get_pr_summary(project: Project, pr: PrInfo) -> Result<PrSummary, PluginError> {
        let (api, repo) = client(&project)?;
        pulls::pr_summary(&api, &repo, pr.number)
    }

    fn get_ci_checks(project: Project, pr: PrInfo) -> Result<Vec<CiCheck>, PluginError> {
        let (api, repo) = client(&project)?;
        pulls::ci_checks(&api, &repo, pr.number)
    }

    fn get_reviews(project: Project, pr: PrInfo) -> Result<Vec<Review>, PluginError> {
        let (api, repo) = client(&project)?;
        pulls::reviews(&api, &repo, pr.number)
    }

    fn get_review_decision(project: Project, pr: PrInfo) -> Result<ReviewDecision, PluginError> {
        let (api, repo) = client(&project)?;
        Ok(graphql::enrich_one(&api, &repo, &pr)?.review_decision)
    }

    fn get_pending_comments(
        project: Project,
        pr: PrInfo,
    ) -> Result<Vec<ReviewComment>, PluginError> {
        let (api, repo) = client(&project)?;
        Ok(graphql::enrich_one(&api, &repo, &pr)?.unresolved_comments)
    }

    fn get_mergeability(project: Project, pr: PrInfo) -> Result<Mergeability, PluginError> {
        let (api, repo) = client(&project)?;
        Ok(ao_plugin_sdk::mergeability_of(&graphql::enrich_one(
            &api, &repo, &pr,
        )?))
    }

    fn merge_pr(project: Project, pr: PrInfo, method: MergeMethod) -> Result<(), PluginError> {
        let (api, repo) = client(&project)?;
        pulls::merge(&api, &repo, pr.number, method)
    }

    fn close_pr(project: Project, pr: PrInfo) -> Result<(), PluginError> {
        let (api, repo) = client(&project)?;
        pulls::close(&api, &repo, pr.number)
    }

    fn enrich_prs(project: Project, prs: Vec<PrInfo>) -> Result<Vec<PrEnrichment>, PluginError> {
        if prs.is_empty() {
            return Ok(Vec::new());
        }
        let (api, repo) = client(&project)?;
        let numbers: Vec<u32> = prs.iter().map(|p| p.number).collect();
        graphql::enrich(&api, &repo, &numbers)
    }

    fn verify_webhook(
        _project: Project,
        request: WebhookRequest,
    ) -> Result<WebhookVerification, PluginError> {
        webhook::verify(&request)
    }

    fn parse_webhook(
        project: Project,
        request: WebhookRequest,
    ) -> Result<Option<WebhookEvent>, PluginError> {
        webhook::parse(&project, &request)
    }
}

export!(GitHub: tracker + scm);
