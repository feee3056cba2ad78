//! The PR loop, one cycle at a time (the daemon runs it after each
//! activity pass): find each session's PR, learn its facts from the
//! project's SCM, move the session's status, and react — wake the agent
//! with the CI failure or the review comments, tell people when they are
//! needed, merge when allowed, clean up after the merge.

use crate::facts::{Ci, PrFacts, ReviewDecision};
use crate::notify::{Notice, Notifiers};
use crate::status::{AgentFacts, SessionStatus, message_for_agent, session_status, verdict};
use crate::{local_scm, plugin_scm};
use ao_core::config::ProjectConfig;
use ao_core::config::integrations::Action;
use ao_core::state::{Session, Transition, now_ms};
use ao_plugin_host::Clock;
use ao_sessions::reconcile::Activity;
use ao_sessions::{Observed, SessionManager};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a webhook delivery was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("no project `{0}`")]
    UnknownProject(String),
    #[error("project `{0}` uses the local SCM, which has no webhooks")]
    NoWebhooks(String),
    #[error("{0}")]
    Rejected(String),
    /// A genuine delivery seen before (a replay, or the SCM sending it twice).
    #[error("delivery `{0}` was already received; ignored")]
    Duplicate(String),
}

/// What one cycle did, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CycleReport {
    /// (session, what happened), e.g. ("web-1", "ci-failed: sent to agent").
    pub actions: Vec<(String, String)>,
}

#[derive(Default)]
pub struct PrLoop {
    /// The time the cadence follows (a manual clock in simulations).
    clock: Clock,
    notifiers: Notifiers,
    scm_plugins: plugin_scm::Instances,
    conflicts: local_scm::ConflictMemo,
    /// When each session's PR was last looked at through a plugin, and
    /// how it looked then (the cadence).
    polled: HashMap<String, Poll>,
    /// When a merged session's cleanup was first held back for a busy agent (ms).
    merged_seen: HashMap<String, i64>,
    /// The live sessions seen per project since its last `all-complete`.
    live: BTreeMap<String, BTreeSet<String>>,
    /// Issues whose closing after a merge failed (the tracker was down or
    /// slow), tried again on later cycles.
    closes: Vec<PendingClose>,
    /// Webhook deliveries acted on (replays are ignored).
    deliveries: crate::deliveries::Deliveries,
}

/// An issue to close after its PR merged: (session, project, issue), and
/// the attempts made.
struct PendingClose {
    session: String,
    project: String,
    issue: String,
    attempts: u32,
}

/// Attempts at closing an issue before ao gives up and says so.
const CLOSE_ATTEMPTS: u32 = 10;

/// `agent-stuck` without a `threshold`: idle this long is stuck.
const STUCK_AFTER: Duration = Duration::from_secs(600);

/// How long cleanup after a merge waits for a busy agent to finish its turn (ms).
const CLEANUP_GRACE_MS: i64 = 300_000;

/// Cadence for PRs behind an SCM plugin, to spend API quota where things
/// move: every cycle while CI runs, while the agent works, and for two
/// minutes after anything changed; every two minutes once settled.
struct Poll {
    at_ms: i64,
    changed_at_ms: i64,
    fingerprint: String,
    ci_pending: bool,
}

const SETTLED_AFTER_MS: i64 = 120_000;

impl Poll {
    fn due(&self, agent_busy: bool, now_ms: i64) -> bool {
        agent_busy
            || self.ci_pending
            || now_ms - self.changed_at_ms < SETTLED_AFTER_MS
            || now_ms - self.at_ms >= SETTLED_AFTER_MS
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

    /// A loop whose cadence follows `clock` (simulations move it by hand).
    pub fn with_clock(clock: Clock) -> PrLoop {
        PrLoop {
            clock,
            ..PrLoop::default()
        }
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
        let agents: HashMap<&str, AgentFacts> = sessions
            .iter()
            .map(|s| (s.id.as_str(), agent_facts(s, observed)))
            .collect();
        let agents = &agents;
        // Statuses settled with their PR's facts; the others are settled after.
        let mut settled: HashSet<String> = HashSet::new();
        // Local SCMs: one listing of the remote's branches per project.
        let mut heads: HashMap<String, local_scm::RemoteHeads> = HashMap::new();
        // Plugin SCMs: sessions batched per project, one enrichment call each.
        let mut batches: HashMap<String, Vec<(Session, plugin_scm::PrInfo)>> = HashMap::new();
        for session in sessions.iter().cloned() {
            // Another repository's project of the same name is not ours.
            let Some(project) = manager
                .config
                .projects
                .get(&session.project_id)
                .filter(|_| manager.owns(&session))
                .cloned()
            else {
                continue;
            };
            self.live
                .entry(project.id.clone())
                .or_default()
                .insert(session.id.clone());
            // Under an operation, or without its workspace: not the PR's to move.
            if session.is_held() {
                continue;
            }
            let agent = agents[session.id.as_str()];
            let busy = agent.activity == Some(Activity::Active);
            if !project.scm.is_local() {
                match self.plugin_pr_due(manager, &session, &project, busy) {
                    Ok(Some(info)) => batches
                        .entry(project.id.clone())
                        .or_default()
                        .push((session, info)),
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
            match self.follow_pr(
                manager,
                &session,
                &project,
                project_heads,
                &agent,
                &mut report,
            ) {
                Ok(true) => {
                    settled.insert(session.id.clone());
                }
                Ok(false) => {}
                Err(e) => tracing::warn!("{}: PR loop: {e}", session.id),
            }
        }
        for (project_id, batch) in batches {
            let project = manager.config.projects[&project_id].clone();
            let infos: Vec<plugin_scm::PrInfo> = batch.iter().map(|(_, i)| i.clone()).collect();
            let facts = match self.scm_plugins.enrich(manager, &project, &infos) {
                Ok(f) => f,
                Err(e) => {
                    tracing::warn!("{project_id}: PR loop: {e}");
                    continue;
                }
            };
            for (session, info) in batch {
                let Some(pr) = facts.iter().find(|f| f.number == i64::from(info.number)) else {
                    continue;
                };
                let now = self.clock.now_ms();
                let print = fingerprint(pr);
                let changed_at_ms = match self.polled.get(&session.id) {
                    Some(p) if p.fingerprint == print => p.changed_at_ms,
                    _ => now,
                };
                self.polled.insert(
                    session.id.clone(),
                    Poll {
                        at_ms: now,
                        changed_at_ms,
                        fingerprint: print,
                        ci_pending: pr.ci == Ci::Pending,
                    },
                );
                let agent = agents[session.id.as_str()];
                match self.apply(manager, &session, &project, pr, &agent, &mut report) {
                    Ok(()) => {
                        settled.insert(session.id.clone());
                    }
                    Err(e) => tracing::warn!("{}: PR loop: {e}", session.id),
                }
            }
        }
        // The rest: status from the agent and what their PR said last.
        for session in sessions.iter().filter(|s| !settled.contains(&s.id)) {
            let Some(project) = manager
                .config
                .projects
                .get(&session.project_id)
                .filter(|_| manager.owns(session))
                .cloned()
            else {
                continue;
            };
            if session.is_held() {
                continue;
            }
            let status = session_status(
                &agents[session.id.as_str()],
                session.pr_status.as_deref(),
                stuck_after_ms(&project),
                now_ms(),
            );
            if let Err(e) = self.settle(manager, session, &project, status, None, &mut report) {
                tracing::warn!("{}: PR loop: {e}", session.id);
            }
        }
        self.retry_closes(manager, &mut report);
        self.all_complete(manager, &mut report);
        report
    }

    /// Closes the issues whose closing failed on an earlier cycle, once a
    /// cycle each; gives up (and says so) after [`CLOSE_ATTEMPTS`].
    fn retry_closes(&mut self, manager: &SessionManager, report: &mut CycleReport) {
        let pending = std::mem::take(&mut self.closes);
        for mut close in pending {
            let Some(project) = manager.config.projects.get(&close.project) else {
                continue;
            };
            close.attempts += 1;
            match crate::tracker::close_issue(manager, project, &close.issue) {
                Ok(()) => report
                    .actions
                    .push((close.session, format!("issue {} closed", close.issue))),
                Err(e) if close.attempts >= CLOSE_ATTEMPTS => {
                    tracing::warn!(
                        "{}: gave up closing issue {} after {} attempts: {e}",
                        close.session,
                        close.issue,
                        close.attempts
                    );
                    report.actions.push((
                        close.session,
                        format!("issue {} left open: {e}", close.issue),
                    ));
                }
                Err(_) => self.closes.push(close),
            }
        }
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
        let now = self.clock.now_ms();
        if self
            .polled
            .get(&session.id)
            .is_some_and(|p| !p.due(agent_busy, now))
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
        // `group/sub/name` on GitLab: the namespace owns the name.
        let (owner, repo) = project
            .repo
            .as_deref()
            .and_then(|r| r.rsplit_once('/'))
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

    /// A session on the local SCM: detect its PR, read its facts and apply
    /// them. `false`: it has no PR.
    fn follow_pr(
        &mut self,
        manager: &mut SessionManager,
        session: &Session,
        project: &ProjectConfig,
        heads: &local_scm::RemoteHeads,
        agent: &AgentFacts,
        report: &mut CycleReport,
    ) -> Result<bool, String> {
        let Some(branch) = session.branch.clone() else {
            return Ok(false);
        };
        let logs = manager.paths.data.join("logs");
        let workspace = session.workspace_path.as_ref().map(PathBuf::from);
        let Some(pr) = local_scm::detect(&mut manager.store, project, &branch, heads)? else {
            return Ok(false);
        };
        let facts = local_scm::facts(
            &mut manager.store,
            project,
            &pr,
            heads,
            &mut self.conflicts,
            workspace.as_deref(),
            &logs,
        )?;
        self.apply(manager, session, project, &facts, agent, report)?;
        Ok(true)
    }

    /// A PR's facts: record them with the session's status, then react.
    fn apply(
        &mut self,
        manager: &mut SessionManager,
        session: &Session,
        project: &ProjectConfig,
        pr: &PrFacts,
        agent: &AgentFacts,
        report: &mut CycleReport,
    ) -> Result<(), String> {
        let id = session.id.as_str();
        let verdict = verdict(pr);
        let status = session_status(
            agent,
            Some(verdict.status),
            stuck_after_ms(project),
            now_ms(),
        );
        self.settle(
            manager,
            session,
            project,
            status,
            Some((pr, verdict.status)),
            report,
        )?;
        // Resolved triggers start counting afresh next time.
        let resolved = [
            ("ci-failed", pr.ci == Ci::Passing),
            ("changes-requested", pr.review == ReviewDecision::Approved),
            ("bot-comments", pr.bot_comments.is_empty()),
            ("merge-conflicts", !pr.has_conflicts),
        ];
        for (key, _) in resolved.iter().filter(|(_, done)| *done) {
            let _ = manager.store.reset_reaction(id, key);
        }
        let Some((key, fingerprint)) = verdict.reaction else {
            return Ok(());
        };
        let busy = agent.activity == Some(Activity::Active);
        self.react(
            manager,
            session,
            project,
            key,
            &fingerprint,
            Some(pr),
            busy,
            report,
        )
    }

    /// Records the session's status (and its PR's facts, when just read) if
    /// anything changed, in one transition; a new status that needs a person
    /// fires its reaction.
    fn settle(
        &mut self,
        manager: &mut SessionManager,
        session: &Session,
        project: &ProjectConfig,
        status: SessionStatus,
        pr: Option<(&PrFacts, &str)>,
        report: &mut CycleReport,
    ) -> Result<(), String> {
        let id = session.id.as_str();
        let status_changed = session.status != status.status;
        let pr_changed = pr.is_some_and(|(pr, pr_status)| {
            session.pr_status.as_deref() != Some(pr_status)
                || session.pr_number != Some(pr.number)
                || session.pr_state.as_deref() != Some(pr.state.as_str())
                || session.ci.as_deref() != Some(pr.ci.as_str())
                || session.review.as_deref() != Some(pr.review.as_str())
        });
        if !status_changed && !pr_changed {
            return Ok(());
        }
        let first_seen = pr.is_some() && session.pr_number.is_none();
        let event = match pr {
            _ if first_seen => "pr.created".to_string(),
            Some((_, pr_status)) if status_changed && status.status == pr_status => {
                format!("pr.{pr_status}")
            }
            _ if status_changed => format!("session.{}", status.status),
            _ => "pr.updated".to_string(),
        };
        manager
            .store
            .transition(
                id,
                &Transition {
                    status: Some(status.status.clone()),
                    reason: Some(status.reason.clone()),
                    pr_number: pr.map(|(pr, _)| pr.number),
                    pr_url: pr.map(|(pr, _)| pr.url.clone()),
                    pr_state: pr.map(|(pr, _)| pr.state.as_str().into()),
                    ci: pr.map(|(pr, _)| pr.ci.as_str().into()),
                    review: pr.map(|(pr, _)| pr.review.as_str().into()),
                    pr_status: pr.map(|(_, s)| s.to_string()),
                    event,
                    data: pr.map(|(pr, _)| {
                        serde_json::json!({ "head": pr.head, "conflicts": pr.has_conflicts })
                    }),
                    ..Transition::default()
                },
            )
            .map_err(|e| e.to_string())?;
        if let Some((pr, _)) = pr.filter(|_| first_seen) {
            report
                .actions
                .push((id.to_string(), format!("pr #{} found", pr.number)));
        }
        let key = match status.status.as_str() {
            _ if !status_changed => return Ok(()),
            "needs_input" => "agent-needs-input",
            "stuck" => "agent-stuck",
            "exited" => "agent-exited",
            _ => return Ok(()),
        };
        // Each arrival in the state is a new trigger.
        let fingerprint = format!("{}:{}", status.status, now_ms());
        let pr = pr.map(|(pr, _)| pr);
        self.react(
            manager,
            session,
            project,
            key,
            &fingerprint,
            pr,
            false,
            report,
        )
    }

    /// Runs reaction `key` for the trigger `fingerprint`: once per trigger,
    /// and escalated to people once when the agent does not resolve it.
    #[allow(clippy::too_many_arguments)]
    fn react(
        &mut self,
        manager: &mut SessionManager,
        session: &Session,
        project: &ProjectConfig,
        key: &str,
        fingerprint: &str,
        pr: Option<&PrFacts>,
        agent_busy: bool,
        report: &mut CycleReport,
    ) -> Result<(), String> {
        let id = session.id.as_str();
        let reaction = project.reactions[key].clone();
        // Do not talk over an agent in the middle of a turn, nor clean up
        // under it (for at most CLEANUP_GRACE after the merge); try next cycle.
        if agent_busy && reaction.action == Action::SendToAgent {
            return Ok(());
        }
        if agent_busy && reaction.action == Action::Cleanup {
            let now = self.clock.now_ms();
            let since = *self.merged_seen.entry(id.to_string()).or_insert(now);
            if now - since < CLEANUP_GRACE_MS {
                return Ok(());
            }
        }
        if reaction.action == Action::None {
            return Ok(());
        }
        let attempt = manager
            .store
            .reaction_attempt(id, key, fingerprint)
            .map_err(|e| e.to_string())?;
        let pr_url = pr.map(|p| p.url.clone()).or_else(|| session.pr_url.clone());
        let notice = |kind: &str, priority: &str, message: String| Notice {
            kind: kind.to_string(),
            priority: priority.to_string(),
            session: id.to_string(),
            project: project.id.clone(),
            message,
            pr_url: pr_url.clone(),
        };
        if reaction.action == Action::SendToAgent
            && reaction.overdue(attempt.attempts, attempt.first_at, now_ms())
        {
            if !attempt.escalated {
                let tries = attempt
                    .attempts
                    .saturating_sub(u32::from(attempt.new_trigger));
                let minutes = (now_ms() - attempt.first_at) / 60_000;
                self.notifiers.send(
                    manager,
                    &notice(
                        "reaction.escalated",
                        "urgent",
                        format!(
                            "{id}: {key} is still unresolved after {tries} attempt(s) by the agent over {minutes} min; please look"
                        ),
                    ),
                );
                let _ = manager.store.mark_escalated(id, key);
                report
                    .actions
                    .push((id.to_string(), format!("{key}: escalated to people")));
            }
            return Ok(());
        }
        if !attempt.new_trigger {
            return Ok(());
        }
        let outcome = match (reaction.action, pr) {
            (Action::SendToAgent, _) => {
                let message = match pr {
                    Some(pr) => message_for_agent(key, pr, reaction.message.as_deref()),
                    None => reaction.message.clone().unwrap_or_else(|| {
                        "ao: you have been idle for a while. If you are stuck, say what blocks you; otherwise carry on with the task.".into()
                    }),
                };
                match manager.send(id, &message, false) {
                    Ok(_) => format!("sent to agent (attempt {})", attempt.attempts),
                    Err(e) => {
                        // Not delivered: take the attempt back so the next cycle retries.
                        let _ = manager.store.retract_attempt(id, key);
                        format!("could not reach the agent: {e}")
                    }
                }
            }
            (Action::Notify, _) => {
                let number = pr.map_or(0, |p| p.number);
                let message = reaction.message.clone().unwrap_or_else(|| match key {
                    "approved-and-green" => format!(
                        "{id}: PR #{number} is approved and green, ready to merge (`ao merge {id}`)"
                    ),
                    "pr-merged" => format!("{id}: PR #{number} merged"),
                    "pr-closed" => format!("{id}: PR #{number} was closed without merging"),
                    "agent-needs-input" => format!("{id} is waiting for your input"),
                    "agent-stuck" => format!("{id} has been idle too long; it may be stuck"),
                    "agent-exited" => format!("{id}'s agent exited"),
                    other => format!("{id}: {other} on PR #{number}"),
                });
                let kind = match key {
                    "agent-needs-input" => "session.needs_input",
                    "agent-stuck" => "session.stuck",
                    "agent-exited" => "session.exited",
                    other => other,
                };
                self.notifiers
                    .send(manager, &notice(kind, &reaction.priority, message));
                "notified".to_string()
            }
            (Action::AutoMerge, Some(pr)) => match self.merge(manager, session, project, pr) {
                Ok(()) => "merged".to_string(),
                Err(e) => {
                    let _ = manager.store.retract_attempt(id, key);
                    format!("merge failed: {e}")
                }
            },
            (Action::Cleanup, Some(pr)) => {
                let (_, note) = manager
                    .finish(id, "merged", "pr_merged", true)
                    .map_err(|e| e.to_string())?;
                self.merged_seen.remove(id);
                if let Some(issue) = &session.issue_id
                    && let Err(e) = crate::tracker::close_issue(manager, project, issue)
                {
                    tracing::warn!("{id}: cannot close issue {issue} yet (will retry): {e}");
                    self.closes.push(PendingClose {
                        session: id.to_string(),
                        project: project.id.clone(),
                        issue: issue.clone(),
                        attempts: 1,
                    });
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
            _ => return Ok(()),
        };
        report
            .actions
            .push((id.to_string(), format!("{key}: {outcome}")));
        Ok(())
    }

    /// `all-complete`: once a project that had live sessions has none left
    /// (and nothing queued), people hear how they ended.
    fn all_complete(&mut self, manager: &mut SessionManager, report: &mut CycleReport) {
        let queued: HashSet<String> = manager
            .store
            .queued_spawns()
            .unwrap_or_default()
            .into_iter()
            .map(|q| q.project_id)
            .collect();
        let projects: Vec<String> = self.live.keys().cloned().collect();
        for project_id in projects {
            let Some(project) = manager.config.projects.get(&project_id).cloned() else {
                continue;
            };
            let Ok(sessions) = manager.store.sessions(Some(&project_id), true) else {
                continue;
            };
            let seen = &self.live[&project_id];
            let ended: Vec<&Session> = sessions.iter().filter(|s| seen.contains(&s.id)).collect();
            if queued.contains(&project_id)
                || ended.is_empty()
                || ended.iter().any(|s| !s.is_terminal())
            {
                continue;
            }
            let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
            for s in &ended {
                *tally.entry(s.status.as_str()).or_default() += 1;
            }
            let summary = tally
                .iter()
                .map(|(status, n)| format!("{n} {status}"))
                .collect::<Vec<_>>()
                .join(", ");
            self.live.remove(&project_id);
            let reaction = &project.reactions["all-complete"];
            if reaction.action != Action::Notify {
                continue;
            }
            let message = reaction
                .message
                .clone()
                .unwrap_or_else(|| format!("{project_id}: all sessions are done ({summary})"));
            self.notifiers.send(
                manager,
                &Notice {
                    kind: "summary.all_complete".into(),
                    priority: reaction.priority.clone(),
                    session: String::new(),
                    project: project_id.clone(),
                    message,
                    pr_url: None,
                },
            );
            report
                .actions
                .push((project_id, format!("all-complete: {summary}")));
        }
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
        let (delivery, event) = self
            .scm_plugins
            .webhook(manager, &project, request)
            .map_err(WebhookError::Rejected)?;
        if let Some(id) = delivery
            && !self.deliveries.first_time(project_id, &id)
        {
            return Err(WebhookError::Duplicate(id));
        }
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

/// What this cycle knows of a session's agent.
fn agent_facts(session: &Session, observed: &[Observed]) -> AgentFacts {
    let seen = observed.iter().find(|o| o.id == session.id);
    AgentFacts {
        alive: seen.is_none_or(|o| o.alive),
        activity: seen.and_then(|o| o.activity),
        activity_at: session.activity_at,
        reported: session
            .reported_activity
            .as_deref()
            .and_then(Activity::parse)
            .zip(session.reported_at),
    }
}

fn stuck_after_ms(project: &ProjectConfig) -> i64 {
    let threshold = project.reactions["agent-stuck"]
        .threshold
        .unwrap_or(STUCK_AFTER);
    threshold.as_millis() as i64
}

fn scratch_dir(data: &Path, id: &str) -> PathBuf {
    data.join("tmp").join(format!("merge-{id}"))
}
