//! One trait per role. Required methods are the ones ao cannot work without;
//! the rest default to [`PluginError::Unsupported`] or a neutral answer.
//!
//! Each trait is wired to the generated WIT exports by a blanket impl, so a
//! plugin only implements these traits and calls [`crate::export!`].

use crate::*;

/// Every plugin: who it is and what it needs.
pub trait Plugin {
    /// The manifest the host reads before anything else.
    fn manifest() -> Manifest;
}

/// Delivers events to people.
pub trait Notifier: Plugin {
    /// Delivers one event.
    fn notify(event: Event) -> Result<(), PluginError>;

    /// Delivers an event with buttons or links; defaults to [`Notifier::notify`].
    fn notify_with_actions(event: Event, actions: Vec<Action>) -> Result<(), PluginError> {
        let _ = actions;
        Self::notify(event)
    }

    /// Posts a free-form message; returns the message id when the service has one.
    fn post(message: String, context: MessageContext) -> Result<Option<String>, PluginError> {
        let _ = (message, context);
        Err(PluginError::unsupported("post"))
    }
}

/// Reads and updates issues.
pub trait Tracker: Plugin {
    /// One issue by id.
    fn get_issue(project: Project, id: String) -> Result<Issue, PluginError>;
    /// The issue's web URL.
    fn issue_url(project: Project, id: String) -> String;
    /// The branch a session for this issue works on.
    fn branch_name(project: Project, id: String) -> String;
    /// The task text for a coding agent.
    fn generate_prompt(project: Project, id: String) -> Result<String, PluginError>;

    /// Issues matching a filter.
    fn list_issues(project: Project, filter: IssueFilter) -> Result<Vec<Issue>, PluginError> {
        let _ = (project, filter);
        Err(PluginError::unsupported("list-issues"))
    }
    /// Creates an issue.
    fn create_issue(project: Project, issue: NewIssue) -> Result<Issue, PluginError> {
        let _ = (project, issue);
        Err(PluginError::unsupported("create-issue"))
    }
    /// Changes state, labels, assignee, or comments.
    fn update_issue(project: Project, id: String, update: IssueUpdate) -> Result<(), PluginError> {
        let _ = (project, id, update);
        Err(PluginError::unsupported("update-issue"))
    }
    /// True when the issue is closed or cancelled.
    fn is_completed(project: Project, id: String) -> Result<bool, PluginError> {
        let issue = Self::get_issue(project, id)?;
        Ok(matches!(
            issue.state,
            IssueState::Closed | IssueState::Cancelled
        ))
    }
    /// `#42`-style label for a URL this tracker owns.
    fn issue_label(project: Project, url: String) -> Option<String> {
        let _ = (project, url);
        None
    }
}

/// Pull requests, CI and reviews.
pub trait Scm: Plugin {
    /// The open PR for a branch.
    fn detect_pr(project: Project, branch: String) -> Result<Option<PrInfo>, PluginError>;
    /// Open, merged or closed.
    fn get_pr_state(project: Project, pr: PrInfo) -> Result<PrState, PluginError>;
    /// CI checks of the PR's head.
    fn get_ci_checks(project: Project, pr: PrInfo) -> Result<Vec<CiCheck>, PluginError>;
    /// Reviews submitted so far.
    fn get_reviews(project: Project, pr: PrInfo) -> Result<Vec<Review>, PluginError>;
    /// Unresolved review comments, flagged human or bot.
    fn get_pending_comments(
        project: Project,
        pr: PrInfo,
    ) -> Result<Vec<ReviewComment>, PluginError>;
    /// Merges the PR.
    fn merge_pr(project: Project, pr: PrInfo, method: MergeMethod) -> Result<(), PluginError>;
    /// Closes the PR without merging.
    fn close_pr(project: Project, pr: PrInfo) -> Result<(), PluginError>;

    /// State, title and size.
    fn get_pr_summary(project: Project, pr: PrInfo) -> Result<PrSummary, PluginError> {
        let state = Self::get_pr_state(project, pr.clone())?;
        Ok(PrSummary {
            state,
            title: pr.title,
            additions: 0,
            deletions: 0,
        })
    }
    /// Summarises [`Scm::get_ci_checks`].
    fn get_ci_summary(project: Project, pr: PrInfo) -> Result<CiSummary, PluginError> {
        Ok(summarize_checks(&Self::get_ci_checks(project, pr)?))
    }
    /// Derived from the latest review of each author.
    fn get_review_decision(project: Project, pr: PrInfo) -> Result<ReviewDecision, PluginError> {
        let reviews = Self::get_reviews(project, pr)?;
        Ok(
            if reviews
                .iter()
                .any(|r| r.state == ReviewState::ChangesRequested)
            {
                ReviewDecision::ChangesRequested
            } else if reviews.iter().any(|r| r.state == ReviewState::Approved) {
                ReviewDecision::Approved
            } else if reviews.is_empty() {
                ReviewDecision::None
            } else {
                ReviewDecision::Pending
            },
        )
    }
    /// Whether the PR can merge, and why not.
    fn get_mergeability(project: Project, pr: PrInfo) -> Result<Mergeability, PluginError> {
        let _ = (project, pr);
        Err(PluginError::unsupported("get-mergeability"))
    }
    /// Facts for many PRs at once; plugins should override this with one batched query.
    fn enrich_prs(project: Project, prs: Vec<PrInfo>) -> Result<Vec<PrEnrichment>, PluginError> {
        let _ = (project, prs);
        Err(PluginError::unsupported("enrich-prs"))
    }
    /// Checks a webhook's signature.
    fn verify_webhook(
        project: Project,
        request: WebhookRequest,
    ) -> Result<WebhookVerification, PluginError> {
        let _ = (project, request);
        Err(PluginError::unsupported("verify-webhook"))
    }
    /// Turns a webhook into an event ao understands.
    fn parse_webhook(
        project: Project,
        request: WebhookRequest,
    ) -> Result<Option<WebhookEvent>, PluginError> {
        let _ = (project, request);
        Err(PluginError::unsupported("parse-webhook"))
    }
}

/// A PR's mergeability from its enrichment (for `get-mergeability`, which
/// reads the same facts as `enrich-prs`).
pub fn mergeability_of(facts: &PrEnrichment) -> Mergeability {
    Mergeability {
        mergeable: facts.mergeable,
        ci_passing: matches!(facts.ci, CiSummary::Passing | CiSummary::None),
        approved: facts.review_decision == ReviewDecision::Approved,
        no_conflicts: !facts.has_conflicts,
        blockers: facts.blockers.clone(),
    }
}

/// A header of a webhook delivery, by name in any case.
pub fn webhook_header<'a>(request: &'a WebhookRequest, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The branch for an issue: `feat/issue-N` for a numbered one, else
/// `feat/<slug of the id>` (`ENG 12` → `feat/eng-12`).
pub fn issue_branch_name(id: &str, number: Option<u32>) -> String {
    if let Some(n) = number {
        return format!("feat/issue-{n}");
    }
    let slug: String = id
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug: Vec<&str> = slug.split('-').filter(|p| !p.is_empty()).collect();
    if slug.is_empty() {
        return "feat/issue".to_string();
    }
    format!("feat/{}", slug.join("-"))
}

/// Summarises CI checks the way ao reads them: any failure fails, anything
/// still running is pending, no checks is `none`.
pub fn summarize_checks(checks: &[CiCheck]) -> CiSummary {
    if checks.is_empty() {
        CiSummary::None
    } else if checks.iter().any(|c| c.status == CheckStatus::Failed) {
        CiSummary::Failing
    } else if checks
        .iter()
        .any(|c| matches!(c.status, CheckStatus::Pending | CheckStatus::Running))
    {
        CiSummary::Pending
    } else {
        CiSummary::Passing
    }
}

/// Adapts one coding-agent CLI.
pub trait Agent: Plugin {
    /// The executable's name in the process table.
    fn process_name() -> String;
    /// How the first prompt reaches the agent.
    fn prompt_delivery() -> PromptDelivery;
    /// The command that starts the agent.
    fn launch_command(config: LaunchConfig) -> Result<CommandSpec, PluginError>;
    /// Classifies visible terminal text.
    fn activity_from_terminal(text: String) -> Option<ActivityReport>;

    /// Extra environment for the agent.
    fn environment(config: LaunchConfig) -> Result<Vec<(String, String)>, PluginError> {
        let _ = config;
        Ok(Vec::new())
    }
    /// Files written into the workspace before launch.
    fn workspace_hooks(context: SessionContext) -> Result<Vec<HookFile>, PluginError> {
        let _ = context;
        Ok(Vec::new())
    }
    /// Classifies one hook event (JSON).
    fn activity_from_hook_event(context: SessionContext, event: String) -> Option<ActivityReport> {
        let _ = (context, event);
        None
    }
    /// Transcript files the host should tail.
    fn transcript_paths(context: SessionContext) -> Vec<String> {
        let _ = context;
        Vec::new()
    }
    /// Classifies the tail of a transcript.
    fn activity_from_transcript(context: SessionContext, tail: String) -> Option<ActivityReport> {
        let _ = (context, tail);
        None
    }
    /// Summary and cost.
    fn session_info(
        context: SessionContext,
        transcript_tail: String,
    ) -> Result<Option<SessionInfo>, PluginError> {
        let _ = (context, transcript_tail);
        Ok(None)
    }
    /// How to resume after a crash.
    fn restore_command(
        context: SessionContext,
        config: LaunchConfig,
    ) -> Result<Option<CommandSpec>, PluginError> {
        let _ = (context, config);
        Ok(None)
    }
}

/// Implements one exported interface of a world for a plugin type by
/// delegating to the SDK trait. Expanded in the plugin's crate by [`crate::export!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __export_role {
    (plugin, $world:ident, $ty:ident) => {
        impl $crate::__worlds::$world::exports::ao::plugin::plugin::Guest for $ty {
            fn get_manifest() -> $crate::Manifest {
                <$ty as $crate::Plugin>::manifest()
            }
        }
    };
    (notifier, $world:ident, $ty:ident) => {
        impl $crate::__worlds::$world::exports::ao::plugin::notifier::Guest for $ty {
            fn notify(event: $crate::Event) -> Result<(), $crate::PluginError> {
                <$ty as $crate::Notifier>::notify(event)
            }
            fn notify_with_actions(
                event: $crate::Event,
                actions: Vec<$crate::Action>,
            ) -> Result<(), $crate::PluginError> {
                <$ty as $crate::Notifier>::notify_with_actions(event, actions)
            }
            fn post(
                message: String,
                context: $crate::MessageContext,
            ) -> Result<Option<String>, $crate::PluginError> {
                <$ty as $crate::Notifier>::post(message, context)
            }
        }
    };
    (tracker, $world:ident, $ty:ident) => {
        impl $crate::__worlds::$world::exports::ao::plugin::tracker::Guest for $ty {
            fn get_issue(
                p: $crate::Project,
                id: String,
            ) -> Result<$crate::Issue, $crate::PluginError> {
                <$ty as $crate::Tracker>::get_issue(p, id)
            }
            fn list_issues(
                p: $crate::Project,
                f: $crate::IssueFilter,
            ) -> Result<Vec<$crate::Issue>, $crate::PluginError> {
                <$ty as $crate::Tracker>::list_issues(p, f)
            }
            fn create_issue(
                p: $crate::Project,
                i: $crate::NewIssue,
            ) -> Result<$crate::Issue, $crate::PluginError> {
                <$ty as $crate::Tracker>::create_issue(p, i)
            }
            fn update_issue(
                p: $crate::Project,
                id: String,
                u: $crate::IssueUpdate,
            ) -> Result<(), $crate::PluginError> {
                <$ty as $crate::Tracker>::update_issue(p, id, u)
            }
            fn is_completed(p: $crate::Project, id: String) -> Result<bool, $crate::PluginError> {
                <$ty as $crate::Tracker>::is_completed(p, id)
            }
            fn issue_url(p: $crate::Project, id: String) -> String {
                <$ty as $crate::Tracker>::issue_url(p, id)
            }
            fn issue_label(p: $crate::Project, url: String) -> Option<String> {
                <$ty as $crate::Tracker>::issue_label(p, url)
            }
            fn branch_name(p: $crate::Project, id: String) -> String {
                <$ty as $crate::Tracker>::branch_name(p, id)
            }
            fn generate_prompt(
                p: $crate::Project,
                id: String,
            ) -> Result<String, $crate::PluginError> {
                <$ty as $crate::Tracker>::generate_prompt(p, id)
            }
        }
    };
    (scm, $world:ident, $ty:ident) => {
        impl $crate::__worlds::$world::exports::ao::plugin::scm::Guest for $ty {
            fn detect_pr(
                p: $crate::Project,
                b: String,
            ) -> Result<Option<$crate::PrInfo>, $crate::PluginError> {
                <$ty as $crate::Scm>::detect_pr(p, b)
            }
            fn get_pr_state(
                p: $crate::Project,
                pr: $crate::PrInfo,
            ) -> Result<$crate::PrState, $crate::PluginError> {
                <$ty as $crate::Scm>::get_pr_state(p, pr)
            }
            fn get_pr_summary(
                p: $crate::Project,
                pr: $crate::PrInfo,
            ) -> Result<$crate::PrSummary, $crate::PluginError> {
                <$ty as $crate::Scm>::get_pr_summary(p, pr)
            }
            fn get_ci_checks(
                p: $crate::Project,
                pr: $crate::PrInfo,
            ) -> Result<Vec<$crate::CiCheck>, $crate::PluginError> {
                <$ty as $crate::Scm>::get_ci_checks(p, pr)
            }
            fn get_ci_summary(
                p: $crate::Project,
                pr: $crate::PrInfo,
            ) -> Result<$crate::CiSummary, $crate::PluginError> {
                <$ty as $crate::Scm>::get_ci_summary(p, pr)
            }
            fn get_reviews(
                p: $crate::Project,
                pr: $crate::PrInfo,
            ) -> Result<Vec<$crate::Review>, $crate::PluginError> {
                <$ty as $crate::Scm>::get_reviews(p, pr)
            }
            fn get_review_decision(
                p: $crate::Project,
                pr: $crate::PrInfo,
            ) -> Result<$crate::ReviewDecision, $crate::PluginError> {
                <$ty as $crate::Scm>::get_review_decision(p, pr)
            }
            fn get_pending_comments(
                p: $crate::Project,
                pr: $crate::PrInfo,
            ) -> Result<Vec<$crate::ReviewComment>, $crate::PluginError> {
                <$ty as $crate::Scm>::get_pending_comments(p, pr)
            }
            fn get_mergeability(
                p: $crate::Project,
                pr: $crate::PrInfo,
            ) -> Result<$crate::Mergeability, $crate::PluginError> {
                <$ty as $crate::Scm>::get_mergeability(p, pr)
            }
            fn merge_pr(
                p: $crate::Project,
                pr: $crate::PrInfo,
                m: $crate::MergeMethod,
            ) -> Result<(), $crate::PluginError> {
                <$ty as $crate::Scm>::merge_pr(p, pr, m)
            }
            fn close_pr(p: $crate::Project, pr: $crate::PrInfo) -> Result<(), $crate::PluginError> {
                <$ty as $crate::Scm>::close_pr(p, pr)
            }
            fn enrich_prs(
                p: $crate::Project,
                prs: Vec<$crate::PrInfo>,
            ) -> Result<Vec<$crate::PrEnrichment>, $crate::PluginError> {
                <$ty as $crate::Scm>::enrich_prs(p, prs)
            }
            fn verify_webhook(
                p: $crate::Project,
                r: $crate::WebhookRequest,
            ) -> Result<$crate::WebhookVerification, $crate::PluginError> {
                <$ty as $crate::Scm>::verify_webhook(p, r)
            }
            fn parse_webhook(
                p: $crate::Project,
                r: $crate::WebhookRequest,
            ) -> Result<Option<$crate::WebhookEvent>, $crate::PluginError> {
                <$ty as $crate::Scm>::parse_webhook(p, r)
            }
        }
    };
    (agent, $world:ident, $ty:ident) => {
        impl $crate::__worlds::$world::exports::ao::plugin::agent::Guest for $ty {
            fn process_name() -> String {
                <$ty as $crate::Agent>::process_name()
            }
            fn prompt_delivery_mode() -> $crate::PromptDelivery {
                <$ty as $crate::Agent>::prompt_delivery()
            }
            fn launch_command(
                c: $crate::LaunchConfig,
            ) -> Result<$crate::CommandSpec, $crate::PluginError> {
                <$ty as $crate::Agent>::launch_command(c)
            }
            fn environment(
                c: $crate::LaunchConfig,
            ) -> Result<Vec<(String, String)>, $crate::PluginError> {
                <$ty as $crate::Agent>::environment(c)
            }
            fn workspace_hooks(
                c: $crate::SessionContext,
            ) -> Result<Vec<$crate::HookFile>, $crate::PluginError> {
                <$ty as $crate::Agent>::workspace_hooks(c)
            }
            fn activity_from_terminal(t: String) -> Option<$crate::ActivityReport> {
                <$ty as $crate::Agent>::activity_from_terminal(t)
            }
            fn activity_from_hook_event(
                c: $crate::SessionContext,
                e: String,
            ) -> Option<$crate::ActivityReport> {
                <$ty as $crate::Agent>::activity_from_hook_event(c, e)
            }
            fn transcript_paths(c: $crate::SessionContext) -> Vec<String> {
                <$ty as $crate::Agent>::transcript_paths(c)
            }
            fn activity_from_transcript(
                c: $crate::SessionContext,
                t: String,
            ) -> Option<$crate::ActivityReport> {
                <$ty as $crate::Agent>::activity_from_transcript(c, t)
            }
            fn get_session_info(
                c: $crate::SessionContext,
                t: String,
            ) -> Result<Option<$crate::SessionInfo>, $crate::PluginError> {
                <$ty as $crate::Agent>::session_info(c, t)
            }
            fn restore_command(
                c: $crate::SessionContext,
                l: $crate::LaunchConfig,
            ) -> Result<Option<$crate::CommandSpec>, $crate::PluginError> {
                <$ty as $crate::Agent>::restore_command(c, l)
            }
        }
    };
}
