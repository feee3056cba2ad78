//! `gitlab`: GitLab issues (tracker) and merge requests, pipelines,
//! approvals and discussions (SCM) over GitLab's REST API (v4) and GraphQL,
//! on gitlab.com or a self-managed instance.
//!
//! ```yaml
//! projects:
//!   web:
//!     repo: acme/platform/web          # nested groups work
//!     tracker: { plugin: gitlab }
//!     scm:
//!       plugin: gitlab
//!       webhookSecret: GITLAB_WEBHOOK_SECRET   # optional, for webhooks
//! plugins:
//!   gitlab:
//!     grant:                      # the default grant, written out
//!       http: [gitlab.com]
//!       secrets: [GITLAB_TOKEN]   # + GITLAB_WEBHOOK_SECRET when used
//!       kv: true
//! ```
//!
//! Settings: `apiUrl` (default `https://gitlab.com/api/v4`; a self-managed
//! instance's `https://HOST/api/v4`, whose host must then be granted),
//! `tokenSecret` (default `GITLAB_TOKEN`; a personal, project or group
//! access token with the `api` scope), `graphqlUrl` (default
//! `https://HOST/api/graphql`), `webUrl` (default derived from `apiUrl`),
//! `webhookSecret` (a secret name), `inProgressLabel` (the label that marks
//! an issue in progress), `cacheTtlMs` (default 5000), `logExcerptBytes`
//! (default 3000: how much of a failed job's log reaches the agent).
//!
//! The token never enters the plugin: the host adds `Authorization: Bearer …`.
//!
//! Requests:
//! - `detect-pr` reads ONE merge request list per project per cycle with
//!   `If-None-Match`; a 304 reuses the list kept in KV.
//! - `enrich-prs` is one GraphQL query for up to 25 merge requests (pipeline
//!   jobs, approvals, reviewers, discussions, mergeability); the per-MR calls
//!   reuse its answer within the cycle. A failed job's log is read once.
//! - Reads are retried (5xx, short `Retry-After`); writes never are. A longer
//!   wait goes back as `rate-limited`; `RateLimit-*` headers are kept in KV
//!   under `ratelimit` for `ao doctor`.

mod api;
mod graphql;
mod jobs;
mod merge_requests;
mod settings;
mod tracker;
mod webhook;

use ao_plugin_sdk::*;
use api::Api;
use settings::{Repo, Settings};

struct GitLab;

impl Plugin for GitLab {
    fn manifest() -> Manifest {
        Manifest::new(
            "gitlab",
            env!("CARGO_PKG_VERSION"),
            "GitLab issues, merge requests, pipelines and approvals (REST v4 + GraphQL)",
        )
        .roles([Role::Tracker, Role::Scm])
        .capabilities(
            Capabilities::default()
                // `*`: a self-managed instance the user grants for `apiUrl`.
                .http_hosts(["gitlab.com", "*"])
                // `*`: the secrets named by `tokenSecret` and `webhookSecret`.
                .secrets([settings::DEFAULT_TOKEN_SECRET, "*"])
                .kv(),
        )
    }
}

fn client(project: &Project) -> Result<(Api, Repo), PluginError> {
    Ok((Api::new()?, Repo::of(project)?))
}

impl Tracker for GitLab {
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

impl Scm for GitLab {
    fn detect_pr(project: Project, branch: String) -> Result<Option<PrInfo>, PluginError> {
        let (api, repo) = client(&project)?;
        merge_requests::detect(&api, &repo, &branch)
    }

    fn get_pr_state(project: Project, pr: PrInfo) -> Result<PrState, PluginError> {
        let (api, repo) = client(&project)?;
        Ok(merge_requests::get(&api, &repo, pr.number)?.pr_state())
    }

    fn get_pr_summary(project: Project, pr: PrInfo) -> Result<PrSummary, PluginError> {
        let (api, repo) = client(&project)?;
        let facts = graphql::enrich_one(&api, &repo, &pr)?;
        Ok(PrSummary {
            state: facts.state,
            title: facts.title,
            additions: facts.additions,
            deletions: facts.deletions,
        })
    }

    fn get_ci_checks(project: Project, pr: PrInfo) -> Result<Vec<CiCheck>, PluginError> {
        let (api, repo) = client(&project)?;
        Ok(graphql::enrich_one(&api, &repo, &pr)?.ci_checks)
    }

    fn get_reviews(project: Project, pr: PrInfo) -> Result<Vec<Review>, PluginError> {
        let (api, repo) = client(&project)?;
        merge_requests::reviews(&api, &repo, pr.number)
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
        merge_requests::merge(&api, &repo, pr.number, method)
    }

    fn close_pr(project: Project, pr: PrInfo) -> Result<(), PluginError> {
        let (api, repo) = client(&project)?;
        merge_requests::close(&api, &repo, pr.number)
    }

    fn enrich_prs(project: Project, prs: Vec<PrInfo>) -> Result<Vec<PrEnrichment>, PluginError> {
        if prs.is_empty() {
            return Ok(Vec::new());
        }
        let (api, repo) = client(&project)?;
        let iids: Vec<u32> = prs.iter().map(|p| p.number).collect();
        graphql::enrich(&api, &repo, &iids)
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

export!(GitLab: tracker + scm);
