//! SCMs that are plugins (GitHub, GitLab…): `detect-pr` finds a branch's
//! PR (the plugin keeps one conditional PR-list request per repository and
//! cycle), `enrich-prs` fetches its facts in one batched call.

use crate::facts::{Ci, Comment, PrFacts, PrState, ReviewDecision};
use ao_core::config::ProjectConfig;
use ao_core::state::Session;
use ao_plugin_host::PluginInstance;
use ao_plugin_host::bindings::v0_1::ao::plugin::scm_types as wit;
use ao_sessions::SessionManager;
use std::collections::HashMap;

pub use wit::{PrInfo, WebhookEvent, WebhookRequest};

fn facts_of(info: &wit::PrInfo, e: wit::PrEnrichment) -> PrFacts {
    PrFacts {
        number: e.number.into(),
        url: info.url.clone(),
        state: match e.state {
            wit::PrState::Open => PrState::Open,
            wit::PrState::Merged => PrState::Merged,
            wit::PrState::Closed => PrState::Closed,
        },
        // No head SHA in the enrichment: the newest check time stands in,
        // so a new CI run is a new trigger.
        head: e
            .ci_checks
            .iter()
            .filter_map(|c| c.completed_at.or(c.started_at))
            .max()
            .map(|t| t.to_string()),
        ci: match e.ci {
            wit::CiSummary::Pending => Ci::Pending,
            wit::CiSummary::Passing => Ci::Passing,
            wit::CiSummary::Failing => Ci::Failing,
            wit::CiSummary::None => Ci::None,
        },
        failing_checks: e
            .ci_checks
            .iter()
            .filter(|c| matches!(c.status, wit::CheckStatus::Failed))
            .map(|c| match &c.url {
                Some(url) => format!("{} ({url})", c.name),
                None => c.name.clone(),
            })
            .collect(),
        // The first failed check whose log the plugin could quote.
        ci_log_tail: e
            .ci_checks
            .iter()
            .filter(|c| matches!(c.status, wit::CheckStatus::Failed))
            .find_map(|c| {
                c.log_excerpt
                    .as_ref()
                    .map(|log| format!("[{}]\n{}", c.name, log.trim_end()))
            }),
        review: match e.review_decision {
            wit::ReviewDecision::Approved => ReviewDecision::Approved,
            wit::ReviewDecision::ChangesRequested => ReviewDecision::ChangesRequested,
            wit::ReviewDecision::Pending => ReviewDecision::Pending,
            wit::ReviewDecision::None => ReviewDecision::None,
        },
        comments: comments(&e.unresolved_comments, false),
        bot_comments: comments(&e.unresolved_comments, true),
        has_conflicts: e.has_conflicts,
    }
}

/// The unresolved comments written by bots (or by people).
fn comments(all: &[wit::ReviewComment], bots: bool) -> Vec<Comment> {
    all.iter()
        .filter(|c| !c.is_resolved && c.is_bot == bots)
        .map(|c| Comment {
            id: c.id.clone(),
            text: match (&c.path, c.line) {
                (Some(path), Some(line)) => format!("{} ({path}:{line}): {}", c.author, c.body),
                _ => format!("{}: {}", c.author, c.body),
            },
        })
        .collect()
}

/// One SCM plugin instance per project.
#[derive(Default)]
pub struct Instances {
    by_project: HashMap<String, PluginInstance>,
}

pub(crate) use ao_sessions::wit_project;

impl Instances {
    fn get(
        &mut self,
        manager: &SessionManager,
        project: &ProjectConfig,
    ) -> Result<&mut PluginInstance, String> {
        if !self.by_project.contains_key(&project.id) {
            let label = format!("{} ({})", project.scm.plugin, project.id);
            let instance = manager
                .instantiate(
                    &project.scm.plugin,
                    "scm",
                    &label,
                    project.scm.settings.clone(),
                )
                .map_err(|e| e.to_string())?;
            self.by_project.insert(project.id.clone(), instance);
        }
        Ok(self
            .by_project
            .get_mut(&project.id)
            .expect("inserted above"))
    }

    pub fn detect(
        &mut self,
        manager: &SessionManager,
        project: &ProjectConfig,
        branch: &str,
    ) -> Result<Option<wit::PrInfo>, String> {
        let p = wit_project(project);
        self.get(manager, project)?
            .with_scm("detect-pr", |store, g| g.call_detect_pr(store, &p, branch))
            .map_err(|e| e.to_string())
    }

    /// The facts of many PRs in one call (one batched query for GitHub).
    pub fn enrich(
        &mut self,
        manager: &SessionManager,
        project: &ProjectConfig,
        prs: &[wit::PrInfo],
    ) -> Result<Vec<PrFacts>, String> {
        if prs.is_empty() {
            return Ok(Vec::new());
        }
        let p = wit_project(project);
        let enriched = self
            .get(manager, project)?
            .with_scm("enrich-prs", |store, g| g.call_enrich_prs(store, &p, prs))
            .map_err(|e| e.to_string())?;
        Ok(enriched
            .into_iter()
            .filter_map(|e| {
                let info = prs.iter().find(|i| i.number == e.number)?;
                Some(facts_of(info, e))
            })
            .collect())
    }

    /// Verifies and parses a webhook delivery; `Err` when it is not
    /// genuine. With the event comes the delivery's id, when the SCM gives one.
    pub fn webhook(
        &mut self,
        manager: &SessionManager,
        project: &ProjectConfig,
        request: &wit::WebhookRequest,
    ) -> Result<(Option<String>, Option<wit::WebhookEvent>), String> {
        let p = wit_project(project);
        let instance = self.get(manager, project)?;
        let verified = instance
            .with_scm("verify-webhook", |store, g| {
                g.call_verify_webhook(store, &p, request)
            })
            .map_err(|e| e.to_string())?;
        if !verified.ok {
            return Err(verified
                .reason
                .unwrap_or_else(|| "the signature does not match".into()));
        }
        let event = instance
            .with_scm("parse-webhook", |store, g| {
                g.call_parse_webhook(store, &p, request)
            })
            .map_err(|e| e.to_string())?;
        Ok((verified.delivery_id, event))
    }

    /// Merges through the plugin (squash, as most teams do).
    pub fn merge(
        &mut self,
        manager: &SessionManager,
        project: &ProjectConfig,
        session: &Session,
        pr: &PrFacts,
    ) -> Result<(), String> {
        let branch = session.branch.clone().unwrap_or_default();
        let info = self
            .detect(manager, project, &branch)?
            .filter(|i| i64::from(i.number) == pr.number)
            .ok_or_else(|| format!("PR #{} is no longer open", pr.number))?;
        let p = wit_project(project);
        self.get(manager, project)?
            .with_scm("merge-pr", |store, g| {
                g.call_merge_pr(store, &p, &info, wit::MergeMethod::Squash)
            })
            .map_err(|e| e.to_string())
    }
}
