//! The PR loop, one cycle at a time (the daemon runs it after each
//! activity pass): find each session's PR, learn its facts from the
//! project's SCM, move the session's status, and react — wake the agent
//! with the CI failure or the review comments, tell people when they are
//! needed, merge when allowed, clean up after the merge.

use crate::facts::{Ci, PrFacts, ReviewDecision};
use crate::notify::{Notice, Notifiers};
use crate::status::{message_for_agent, verdict};
use crate::{local_scm, plugin_scm};
use ao_core::config::ProjectConfig;
use ao_core::config::integrations::Action;
use ao_core::state::{Session, Transition};
use ao_sessions::reconcile::Activity;
use ao_sessions::{Observed, SessionManager};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Why a webhook delivery was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("no project `{0}`")]
    UnknownProject(String),
    #[error("project `{0}` uses the local SCM, which has no webhooks")]
    NoWebhooks(String),
    #[error("{0}")]
    Rejected(String),
}

/// What one cycle did, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CycleReport {
    /// (session, what happened), e.g. ("web-1", "ci-failed: sent to agent").
    pub actions: Vec<(String, String)>,
}

#[derive(Default)]
pub struct PrLoop {
    notifiers: Notifiers,
    scm_plugins: plugin_scm::Instances,
    /// When each session's PR was last looked at through a plugin, and
    /// how it looked then (the cadence).
    polled: HashMap<String, Poll>,
    /// When a merged session's cleanup was first held back for a busy agent.
    merged_seen: HashMap<String, Instant>,
}

/// How long cleanup after a merge waits for a busy agent to finish its turn.
const CLEANUP_GRACE: Duration = Duration::from_secs(300);

/// Cadence for PRs behind an SCM plugin, to spend API quota where things
/// move: every cycle while CI runs, while the agent works, and for two
/// minutes after anything changed; every two minutes once settled.
struct Poll {
    at: Instant,
    changed_at: Instant,
    fingerprint: String,
    ci_pending: bool,
}

const SETTLED_AFTER: Duration = Duration::from_secs(120);

impl Poll {
    fn due(&self, agent_busy: bool) -> bool {
        agent_busy
            || self.ci_pending
            || self.changed_at.elapsed() < SETTLED_AFTER
            || self.at.elapsed() >= SETTLED_AFTER
    }
}

fn fingerprint(pr: &PrFacts) -> String {
    format!(
        "{}|{}|{}|{:?}|{}|{}",
        pr.state.as_str(),
        pr.ci.as_str(),
        pr.review.as_str(),
        pr.head,
        pr.comments.len(),
        pr.has_conflicts
    )
}

impl PrLoop {
    pub fn new() -> PrLoop {
        PrLoop::default()
    }

    /// One pass over the live sessions. `observed` is this cycle's
    /// activity (from [`SessionManager::observe`]), for the agent reactions.
    pub fn cycle(&mut self, manager: &mut SessionManager, observed: &[Observed]) -> CycleReport {
        let mut report = CycleReport::default();
        let sessions = match manager.store.sessions(None, false) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("PR loop: cannot list sessions: {e}");
                return report;
            }
        };
        // Local SCMs: one listing of the remote's branches per project.
        let mut heads: HashMap<String, local_scm::RemoteHeads> = HashMap::new();
        // Plugin SCMs: sessions batched per project, one enrichment call each.
        let mut batches: HashMap<String, Vec<(Session, bool, plugin_scm::PrInfo)>> = HashMap::new();
        for session in sessions {
            let Some(project) = manager.config.projects.get(&session.project_id).cloned() else {
                continue;
            };
            let activity = observed.iter().find(|o| o.id == session.id);
            if let Some(o) = activity.filter(|o| o.changed) {
                self.agent_reactions(manager, &session, &project, o, &mut report);
            }
            if session.status == "spawning" {
                continue;
            }
            let busy = activity.is_some_and(|o| o.activity == Some(Activity::Active));
            if !project.scm.is_local() {
                match self.plugin_pr_due(manager, &session, &project, busy) {
                    Ok(Some(info)) => batches
                        .entry(project.id.clone())
                        .or_default()
                        .push((session, busy, info)),
                    Ok(None) => {}
                    Err(e) => tracing::warn!("{}: PR loop: {e}", session.id),
                }
                continue;
            }
            if session.branch.is_none() {
                continue;
            }
            if !heads.contains_key(&project.id) {
                match local_scm::remote_heads(&project) {
                    Ok(h) => {
                        heads.insert(project.id.clone(), h);
                    }
                    Err(e) => {
                        tracing::warn!(
                            "{}: cannot list {}'s branches: {e}",
                            project.id,
                            project.remote
                        );
                        continue;
                    }
                }
            }
            let project_heads = &heads[&project.id];
            if let Err(e) = self.follow_pr(
                manager,
                &session,
                &project,
                project_heads,
                busy,
                &mut report,
            ) {
                tracing::warn!("{}: PR loop: {e}", session.id);
            }
        }
        for (project_id, batch) in batches {
            let project = manager.config.projects[&project_id].clone();
            let infos: Vec<plugin_scm::PrInfo> = batch.iter().map(|(_, _, i)| i.clone()).collect();
            let facts = match self.scm_plugins.enrich(manager, &project, &infos) {
                Ok(f) => f,
                Err(e) => {
                    tracing::warn!("{project_id}: PR loop: {e}");
                    continue;
                }
            };
            for (session, busy, info) in batch {
                let Some(pr) = facts.iter().find(|f| f.number == i64::from(info.number)) else {
                    continue;
                };
                let now = Instant::now();
                let print = fingerprint(pr);
                let changed_at = match self.polled.get(&session.id) {
                    Some(p) if p.fingerprint == print => p.changed_at,
                    _ => now,
                };
                self.polled.insert(
                    session.id.clone(),
                    Poll {
                        at: now,
                        changed_at,
                        fingerprint: print,
                        ci_pending: pr.ci == Ci::Pending,
                    },
                );
                if let Err(e) = self.apply(manager, &session, &project, pr, busy, &mut report) {
                    tracing::warn!("{}: PR loop: {e}", session.id);
                }
            }
        }
        report
    }

    /// The session's PR through its SCM plugin, if it is due a look.
    fn plugin_pr_due(
        &mut self,
        manager: &SessionManager,
        session: &Session,
        project: &ProjectConfig,
        agent_busy: bool,
    ) -> Result<Option<plugin_scm::PrInfo>, String> {
        let Some(branch) = session.branch.as_deref() else {
            return Ok(None);
        };
        if self
            .polled
            .get(&session.id)
            .is_some_and(|p| !p.due(agent_busy))
        {
            return Ok(None);
        }
        if let Some(info) = self.scm_plugins.detect(manager, project, branch)? {
            return Ok(Some(info));
        }
        // `detect-pr` sees open PRs only: a known PR that is no longer open
        // is still looked at, to learn that it merged or closed.
        let Some(number) = session.pr_number.and_then(|n| u32::try_from(n).ok()) else {
            return Ok(None);
        };
        let (owner, repo) = project
            .repo
            .as_deref()
            .and_then(|r| r.split_once('/'))
            .unwrap_or_default();
        Ok(Some(plugin_scm::PrInfo {
            number,
            url: session.pr_url.clone().unwrap_or_default(),
            title: String::new(),
            owner: owner.to_string(),
            repo: repo.to_string(),
            branch: branch.to_string(),
            base_branch: project.default_branch.clone(),
            is_draft: false,
        }))
    }

    fn agent_reactions(
        &mut self,
        manager: &mut SessionManager,
        session: &Session,
        project: &ProjectConfig,
        observed: &Observed,
        report: &mut CycleReport,
    ) {
        let key = match observed.activity {
            Some(Activity::WaitingInput) => "agent-needs-input",
            Some(Activity::Exited) => "agent-exited",
            _ => return,
        };
        let reaction = &project.reactions[key];
        if reaction.action != Action::Notify {
            return;
        }
        let fingerprint = format!("{key}:{}", ao_core::state::now_ms() / 1000);
        if !matches!(
            manager
                .store
                .reaction_attempt(&session.id, key, &fingerprint),
            Ok(Some(_))
        ) {
            return;
        }
        let message = match key {
            "agent-needs-input" => format!("{} is waiting for your input", session.id),
            _ => format!("{}'s agent exited", session.id),
        };
        self.notifiers.send(
            manager,
            &Notice {
                kind: format!(
                    "session.{}",
                    key.trim_start_matches("agent-").replace('-', "_")
                ),
                priority: reaction.priority.clone(),
                session: session.id.clone(),
                project: project.id.clone(),
                message: reaction.message.clone().unwrap_or(message),
                pr_url: session.pr_url.clone(),
            },
        );
        report
            .actions
            .push((session.id.clone(), format!("{key}: notified")));
    }

    /// A session on the local SCM: detect its PR and read its facts.
    fn follow_pr(
        &mut self,
        manager: &mut SessionManager,
        session: &Session,
        project: &ProjectConfig,
        heads: &local_scm::RemoteHeads,
        agent_busy: bool,
        report: &mut CycleReport,
    ) -> Result<(), String> {
        let Some(branch) = session.branch.clone() else {
            return Ok(());
        };
        let logs = manager.paths.data.join("logs");
        let workspace = session.workspace_path.as_ref().map(PathBuf::from);
        let Some(pr) = local_scm::detect(&mut manager.store, project, &branch, heads)? else {
            return Ok(());
        };
        let facts = local_scm::facts(
            &mut manager.store,
            project,
            &pr,
            heads,
            workspace.as_deref(),
            &logs,
        )?;
        self.apply(manager, session, project, &facts, agent_busy, report)
    }

    fn apply(
        &mut self,
        manager: &mut SessionManager,
        session: &Session,
        project: &ProjectConfig,
        pr: &PrFacts,
        agent_busy: bool,
        report: &mut CycleReport,
    ) -> Result<(), String> {
        let id = session.id.as_str();
        let verdict = verdict(pr);
        let first_seen = session.pr_number.is_none();
        let changed = session.status != verdict.status
            || session.pr_state.as_deref() != Some(pr.state.as_str())
            || session.ci.as_deref() != Some(pr.ci.as_str())
            || session.review.as_deref() != Some(pr.review.as_str());
        if changed {
            manager
                .store
                .transition(
                    id,
                    &Transition {
                        status: Some(verdict.status.to_string()),
                        reason: Some(format!("pr_{}", verdict.status)),
                        pr_number: Some(pr.number),
                        pr_url: Some(pr.url.clone()),
                        pr_state: Some(pr.state.as_str().into()),
                        ci: Some(pr.ci.as_str().into()),
                        review: Some(pr.review.as_str().into()),
                        event: if first_seen {
                            "pr.created".into()
                        } else {
                            format!("pr.{}", verdict.status)
                        },
                        data: Some(
                            serde_json::json!({ "head": pr.head, "conflicts": pr.has_conflicts }),
                        ),
                        ..Transition::default()
                    },
                )
                .map_err(|e| e.to_string())?;
            if first_seen {
                report
                    .actions
                    .push((id.to_string(), format!("pr #{} found", pr.number)));
            }
        }
        // Resolved triggers start counting afresh next time.
        if pr.ci == Ci::Passing {
            let _ = manager.store.reset_reaction(id, "ci-failed");
        }
        if pr.review == ReviewDecision::Approved {
            let _ = manager.store.reset_reaction(id, "changes-requested");
        }
        if !pr.has_conflicts {
            let _ = manager.store.reset_reaction(id, "merge-conflicts");
        }
        let Some((key, fingerprint)) = verdict.reaction else {
            return Ok(());
        };
        let reaction = project.reactions[key].clone();
        // Do not talk over an agent in the middle of a turn, nor clean up
        // under it (for at most CLEANUP_GRACE after the merge); try next cycle.
        if agent_busy && reaction.action == Action::SendToAgent {
            return Ok(());
        }
        if agent_busy && reaction.action == Action::Cleanup {
            let since = *self
                .merged_seen
                .entry(id.to_string())
                .or_insert_with(Instant::now);
            if since.elapsed() < CLEANUP_GRACE {
                return Ok(());
            }
        }
        let Some(attempts) = manager
            .store
            .reaction_attempt(id, key, &fingerprint)
            .map_err(|e| e.to_string())?
        else {
            return Ok(());
        };
        let notice = |kind: &str, priority: &str, message: String| Notice {
            kind: kind.to_string(),
            priority: priority.to_string(),
            session: id.to_string(),
            project: project.id.clone(),
            message,
            pr_url: Some(pr.url.clone()),
        };
        let outcome = match reaction.action {
            Action::SendToAgent if attempts > reaction.retries.max(1) => {
                self.notifiers.send(
                    manager,
                    &notice(
                        "reaction.escalated",
                        "urgent",
                        format!("{id}: {key} is still unresolved after {} attempts by the agent; please look", attempts - 1),
                    ),
                );
                "escalated to people".to_string()
            }
            Action::SendToAgent => {
                let message = message_for_agent(key, pr, reaction.message.as_deref());
                match manager.send(id, &message, false) {
                    Ok(_) => format!("sent to agent (attempt {attempts})"),
                    Err(e) => {
                        // Not delivered: forget this attempt so the next cycle retries.
                        let _ = manager.store.reset_reaction(id, key);
                        format!("could not reach the agent: {e}")
                    }
                }
            }
            Action::Notify => {
                let message = reaction.message.clone().unwrap_or_else(|| match key {
                    "approved-and-green" => format!(
                        "{id}: PR #{} is approved and green, ready to merge (`ao merge {id}`)",
                        pr.number
                    ),
                    "pr-merged" => format!("{id}: PR #{} merged", pr.number),
                    "pr-closed" => format!("{id}: PR #{} was closed without merging", pr.number),
                    other => format!("{id}: {other} on PR #{}", pr.number),
                });
                self.notifiers
                    .send(manager, &notice(key, &reaction.priority, message));
                "notified".to_string()
            }
            Action::AutoMerge => match self.merge(manager, session, project, pr) {
                Ok(()) => "merged".to_string(),
                Err(e) => {
                    let _ = manager.store.reset_reaction(id, key);
                    format!("merge failed: {e}")
                }
            },
            Action::Cleanup => {
                let (_, note) = manager
                    .finish(id, "merged", "pr_merged", true)
                    .map_err(|e| e.to_string())?;
                self.merged_seen.remove(id);
                if let Some(issue) = &session.issue_id
                    && let Err(e) = crate::tracker::close_issue(manager, project, issue)
                {
                    tracing::warn!("{id}: cannot close issue {issue}: {e}");
                }
                self.notifiers.send(
                    manager,
                    &notice(
                        "merge.completed",
                        &reaction.priority,
                        format!("{id}: PR #{} merged; session cleaned up", pr.number),
                    ),
                );
                let _ = manager.drain_queue();
                note.map_or("cleaned up".to_string(), |n| format!("cleaned up ({n})"))
            }
            Action::None => return Ok(()),
        };
        report
            .actions
            .push((id.to_string(), format!("{key}: {outcome}")));
        Ok(())
    }

    /// A webhook delivery for `project`: its SCM plugin verifies the
    /// signature and parses the event; the sessions it concerns are looked
    /// at in the very next cycle. `Ok(None)`: valid, but nothing ao tracks.
    pub fn webhook(
        &mut self,
        manager: &SessionManager,
        project_id: &str,
        request: &plugin_scm::WebhookRequest,
    ) -> Result<Option<String>, WebhookError> {
        let project = manager
            .config
            .projects
            .get(project_id)
            .cloned()
            .ok_or_else(|| WebhookError::UnknownProject(project_id.to_string()))?;
        if project.scm.is_local() {
            return Err(WebhookError::NoWebhooks(project_id.to_string()));
        }
        let event = self
            .scm_plugins
            .webhook(manager, &project, request)
            .map_err(WebhookError::Rejected)?;
        let Some(event) = event else {
            return Ok(None);
        };
        let sessions = manager
            .store
            .sessions(Some(project_id), false)
            .unwrap_or_default();
        for s in sessions {
            let concerned = match (&event.branch, event.pr_number) {
                (Some(branch), _) if s.branch.as_deref() == Some(branch.as_str()) => true,
                (_, Some(n)) if s.pr_number == Some(i64::from(n)) => true,
                (None, None) => true,
                _ => false,
            };
            if concerned {
                self.polled.remove(&s.id);
            }
        }
        Ok(Some(format!("{:?}", event.kind).to_lowercase()))
    }

    /// Merges a session's PR through its project's SCM.
    pub fn merge(
        &mut self,
        manager: &mut SessionManager,
        session: &Session,
        project: &ProjectConfig,
        pr: &PrFacts,
    ) -> Result<(), String> {
        if project.scm.is_local() {
            let local = manager
                .store
                .local_pr(&project.id, pr.number)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no local PR #{}", pr.number))?;
            let scratch = scratch_dir(&manager.paths.data, &session.id);
            local_scm::merge(&mut manager.store, project, &local, &scratch)
        } else {
            self.scm_plugins.merge(manager, project, session, pr)
        }
    }
}

fn scratch_dir(data: &Path, id: &str) -> PathBuf {
    data.join("tmp").join(format!("merge-{id}"))
}
