//! `linear`: Linear issues as ao's tracker, over Linear's GraphQL API.
//! Pair it with an SCM plugin (`github`) for the pull requests.
//!
//! ```yaml
//! projects:
//!   web:
//!     repo: acme/web
//!     tracker:
//!       plugin: linear
//!       teamKey: ENG            # the team issues are listed from and created in
//!       workspace: acme         # linear.app/acme: issue URLs without a request
//!       # inProgressState: "In Progress"   # optional: a state by name
//!       # doneState: Done                   # optional: a state by name
//!     scm: { plugin: github }
//! plugins:
//!   linear:
//!     grant:                        # the default grant, written out
//!       http: [api.linear.app]
//!       secrets: [LINEAR_API_KEY]
//!       kv: true
//! ```
//!
//! Settings: `apiUrl` (default `https://api.linear.app/graphql`; another host
//! must be granted), `tokenSecret` (default `LINEAR_API_KEY`), `tokenPrefix`
//! (default empty: a personal API key is sent as `Authorization: <key>`; set
//! `"Bearer "` for an OAuth access token), `teamKey` (required by
//! `list-issues` and `create-issue`), `workspace` (the URL key, for
//! `issue-url` and `issue-label`), `inProgressState`, `doneState` (workflow
//! state names overriding the default choice: the team's first state of type
//! `started`, resp. `completed`, by position).
//!
//! The key never enters the plugin: the host adds the `Authorization` header.
//! A personal API key (Linear: Settings → Security & access → API) acts with
//! its user's access. An OAuth app's token needs the `read` and `write`
//! scopes (or `read`, `issues:create` and `comments:create`).
//!
//! Issues are named by identifier (`ENG-123`), a linear.app issue URL, or a
//! bare number in the `teamKey` team. ao's states map to workflow-state
//! types: open = backlog/unstarted/triage, in-progress = started,
//! closed = completed, cancelled = canceled.
//!
//! Queries are retried (5xx, network errors, short rate-limit waits);
//! mutations never are. Key-value store (capability `kv`):
//! - `ratelimit`: the last seen request quota, JSON
//!   `{"resource":"requests","remaining":1490,"limit":1500,"resetAt":ms,"observedAt":ms}`
//!   (shown by `ao doctor`);
//! - `ratelimit.complexity`: the same for complexity points, plus the `cost`
//!   of the last query.

mod api;
mod settings;
mod tracker;

use ao_plugin_sdk::*;

struct Linear;

impl Plugin for Linear {
    fn manifest() -> Manifest {
        Manifest::new(
            "linear",
            env!("CARGO_PKG_VERSION"),
            "Linear issues (GraphQL): read, list, create, move through workflow states, comment",
        )
        .roles([Role::Tracker])
        .capabilities(
            Capabilities::default()
                // `*`: another host the user grants for `apiUrl`.
                .http_hosts(["api.linear.app", "*"])
                // `*`: the secret named by `tokenSecret`.
                .secrets([settings::DEFAULT_TOKEN_SECRET, "*"])
                .kv(),
        )
    }
}

impl Tracker for Linear {
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
        tracker::issue_url(&project, &id)
    }

    fn issue_label(_project: Project, url: String) -> Option<String> {
        tracker::issue_label(&settings::Settings::load_or_default(), &url)
    }

    fn branch_name(project: Project, id: String) -> String {
        tracker::branch_name(&project, &id)
    }

    fn generate_prompt(project: Project, id: String) -> Result<String, PluginError> {
        tracker::generate_prompt(&project, &id)
    }
}

export!(Linear: tracker);
