//! Observing sessions: gather each source's claim (hook reports from the
//! store, the transcript through the agent plugin, the screen through the
//! agent plugin), reconcile them, and record the conclusion when it changes.
//! Screens come from one capture per runtime for all sessions.

use crate::SessionManager;
use crate::launch::session_context;
use crate::reconcile::{Activity, AgeLimits, Claim, Evidence, Source, reconcile};
use crate::transcript::{Tail, candidates, read_tail};
use ao_core::state::{AgentInfo, Session, now_ms};
use ao_plugin_host::PluginInstance;
use ao_plugin_host::bindings::v0_1::{SessionContext, SessionInfo};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One session's conclusion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub id: String,
    /// Whether its runtime (tmux pane, process) is there.
    pub alive: bool,
    /// `None`: nothing is known yet ("unknown").
    pub activity: Option<Activity>,
    pub source: Option<Source>,
    /// Whether this observation changed what the store had.
    pub changed: bool,
}

impl Observed {
    pub fn activity_name(&self) -> &'static str {
        self.activity.map_or("unknown", Activity::as_str)
    }

    pub fn source_name(&self) -> &'static str {
        self.source.map_or("none", Source::as_str)
    }
}

impl SessionManager {
    /// Concludes the activity of each listed session (as [`SessionManager::list`]
    /// returns them) and records changes.
    pub fn observe(&mut self, sessions: &[(Session, bool)], limits: &AgeLimits) -> Vec<Observed> {
        let screens = self.screens(sessions);
        let now = now_ms();
        let mut out = Vec::with_capacity(sessions.len());
        for (session, running) in sessions {
            let evidence = Evidence {
                running: *running,
                hook: hook_claim(session),
                transcript: None,
                terminal: None,
                previous: previous(session),
            };
            let evidence = if *running {
                self.read_agent(session, screens.get(&session.id), evidence)
            } else {
                evidence
            };
            let conclusion = reconcile(&evidence, limits, now);
            let changed = match conclusion {
                Some((activity, source)) if source != Source::Previous => self
                    .store
                    .set_activity(&session.id, activity.as_str(), source.as_str())
                    .unwrap_or_else(|e| {
                        tracing::warn!("{}: cannot record activity: {e}", session.id);
                        false
                    }),
                _ => false,
            };
            out.push(Observed {
                id: session.id.clone(),
                alive: *running,
                activity: conclusion.map(|c| c.0),
                source: conclusion.map(|c| c.1),
                changed,
            });
        }
        out
    }

    /// The screens of the running sessions: one capture per runtime.
    fn screens(&self, sessions: &[(Session, bool)]) -> BTreeMap<String, String> {
        let mut by_runtime: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (s, running) in sessions.iter().filter(|(_, running)| *running) {
            let _ = running;
            by_runtime
                .entry(s.runtime.as_deref().unwrap_or("tmux"))
                .or_default()
                .push(s.id.clone());
        }
        let mut screens = BTreeMap::new();
        for (kind, names) in by_runtime {
            if let Ok(runtime) = self.runtimes.get(kind) {
                match runtime.capture_all(&names, 50) {
                    Ok(captured) => screens.extend(captured),
                    Err(e) => tracing::warn!("cannot read {kind} screens: {e}"),
                }
            }
        }
        screens
    }

    /// The agent plugin's readings of the transcript and the screen.
    fn read_agent(
        &mut self,
        session: &Session,
        screen: Option<&String>,
        mut evidence: Evidence,
    ) -> Evidence {
        let Ok(project) = self.project(&session.project_id) else {
            return evidence;
        };
        let name = Self::agent_name(session, &project);
        let Ok(mut agent) = self.take_agent(&project, &name) else {
            return evidence;
        };
        if let Some(screen) = screen {
            evidence.terminal = agent
                .activity_from_terminal(screen)
                .ok()
                .flatten()
                .map(|r| Activity::from(r.state));
        }
        let workspace = session
            .workspace_path
            .clone()
            .map(PathBuf::from)
            .unwrap_or_else(|| self.workspace_path(&project.id, &session.id));
        let context = session_context(
            &session.id,
            &workspace,
            session.agent_session_id.clone(),
            session.created_at,
        );
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let mut allowed = agent
            .effective_capabilities()
            .read_dir_paths(home.as_deref());
        // The workspace only for a plugin that requests it and is granted it.
        if agent.effective_capabilities().reads_workspace() {
            allowed.push(workspace.clone());
        }
        if let Some(tail) = self.session_transcript(session, &mut agent, &context, &allowed) {
            if let Ok(Some(report)) = agent.activity_from_transcript(&context, &tail.text) {
                evidence.transcript = Some(Claim {
                    activity: report.state.into(),
                    at: tail.modified_ms,
                });
            }
            let seen = self.info_read_at.get(&session.id).copied();
            if seen != Some(tail.modified_ms)
                && let Ok(Some(info)) = agent.session_info(&context, &tail.text)
            {
                self.info_read_at
                    .insert(session.id.clone(), tail.modified_ms);
                self.record_agent_info(session, info);
            }
        }
        self.return_agent(&project, &name, agent);
        evidence
    }
}

/// At most this many recent files are offered to a plugin to find its
/// session's transcript in a shared directory.
const TRANSCRIPT_CANDIDATES: usize = 12;

impl SessionManager {
    /// The tail of the session's transcript: the file found before, or the
    /// newest of the plugin's paths that the plugin recognises as this
    /// session's (its session info names an agent session), which is then
    /// kept. A file no plugin call claims is never read as the session's.
    fn session_transcript(
        &mut self,
        session: &Session,
        agent: &mut PluginInstance,
        context: &SessionContext,
        allowed: &[PathBuf],
    ) -> Option<Tail> {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        if let Some(pinned) = &session.transcript_path {
            return read_tail(std::slice::from_ref(pinned), allowed, home.as_deref());
        }
        let paths = agent.transcript_paths(context).ok()?;
        // Written since shortly before the session began (clocks and
        // start-up differ by a little).
        let since = session.created_at - 60_000;
        for candidate in candidates(
            &paths,
            allowed,
            home.as_deref(),
            since,
            TRANSCRIPT_CANDIDATES,
        ) {
            let Some(tail) = read_tail(std::slice::from_ref(&candidate), allowed, home.as_deref())
            else {
                continue;
            };
            let claimed = agent
                .session_info(context, &tail.text)
                .ok()
                .flatten()
                .is_some_and(|info| info.agent_session_id.is_some());
            if claimed {
                if let Err(e) = self
                    .store
                    .set_transcript_path(&session.id, Some(&candidate))
                {
                    tracing::warn!("{}: cannot record its transcript: {e}", session.id);
                }
                return Some(tail);
            }
        }
        None
    }

    /// Keeps what the agent's transcript says of the session: its own
    /// session id (for resuming it), its summary or title, its cost.
    fn record_agent_info(&mut self, session: &Session, info: SessionInfo) {
        if session.agent_session_id.is_none()
            && let Some(agent_session) = &info.agent_session_id
        {
            let _ = self.store.set_agent_session_id(&session.id, agent_session);
        }
        let cost = info.cost.as_ref();
        let recorded = AgentInfo {
            summary: info.summary.map(|s| s.chars().take(300).collect()),
            summary_is_fallback: info.summary_is_fallback,
            input_tokens: cost.map(|c| i64::from(c.input_tokens)),
            output_tokens: cost.map(|c| i64::from(c.output_tokens)),
            // Cents are enough, and keep the stored value from churning.
            cost_usd: cost.map(|c| (c.estimated_cost_usd * 10_000.0).round() / 10_000.0),
        };
        if recorded != session.agent_info
            && let Err(e) = self.store.set_agent_info(&session.id, &recorded)
        {
            tracing::warn!(
                "{}: cannot record the agent's summary and cost: {e}",
                session.id
            );
        }
    }
}

fn hook_claim(session: &Session) -> Option<Claim> {
    Some(Claim {
        activity: Activity::parse(session.reported_activity.as_deref()?)?,
        at: session.reported_at?,
    })
}

fn previous(session: &Session) -> Option<(Activity, Source, i64)> {
    Some((
        Activity::parse(session.activity.as_deref()?)?,
        Source::parse(session.activity_source.as_deref()?)?,
        session.activity_at.unwrap_or(session.updated_at),
    ))
}
