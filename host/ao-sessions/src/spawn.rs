//! Spawning: a task becomes a session with its own branch, workspace,
//! runtime and agent. Every step is recorded; a failure undoes what was made.

use crate::launch::{environment, launch_config, session_context, write_hooks};
use crate::steps::SpawnStep;
use crate::{SessionError, SessionManager, compose_prompt};
use ao_core::config::ProjectConfig;
use ao_core::state::{NewSession, Session, StateError, Step, Transition};
use ao_plugin_host::PluginInstance;
use ao_plugin_host::bindings::v0_1::{Activity, PromptDelivery};
use ao_runtime::{LaunchSpec, Runtime};
use ao_workspace::WorkspaceKind;
use ao_workspace::prepare::{Preparation, prepare};
use ao_workspace::worktree::WorktreeSpec;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What to spawn.
#[derive(Debug, Clone, Default)]
pub struct SpawnRequest {
    pub project: String,
    /// The task in words; for an issue, added to what the issue says.
    pub prompt: String,
    pub issue: Option<String>,
    /// Overrides the project's agent.
    pub agent: Option<String>,
}

impl SpawnRequest {
    /// The task text the agent is given.
    pub fn task(&self) -> String {
        match (&self.issue, self.prompt.trim()) {
            (Some(issue), "") => format!("Resolve issue #{issue}."),
            (Some(issue), prompt) => format!("Resolve issue #{issue}.\n\n{prompt}"),
            (None, prompt) => prompt.to_string(),
        }
    }
}

impl SessionManager {
    /// Spawns a session now; on any failure undoes what was made and
    /// records why. Refuses a second live session for the same issue
    /// (atomically with reserving the id). Each step is recorded before it
    /// is taken, so if this process dies midway another one can undo it
    /// (see [`SessionManager::recover`]).
    pub fn spawn(&mut self, request: &SpawnRequest) -> Result<Session, SessionError> {
        let project = self.project(&request.project)?;
        self.refuse_duplicate(&project.id, request.issue.as_deref())?;
        let agent_name = request
            .agent
            .clone()
            .unwrap_or_else(|| project.agent.clone());
        if let Some(why) = crate::launch_refusal(&agent_name, project.permissions) {
            return Err(SessionError::Other(why));
        }
        let mut agent = self.take_agent(&project, &agent_name)?;
        // The runtime is checked before anything is made.
        self.runtimes.get(&project.runtime)?;
        let session = self
            .store
            .create_session(&NewSession {
                project_id: project.id.clone(),
                prefix: project.session_prefix.clone(),
                agent: Some(agent_name.clone()),
                runtime: Some(project.runtime.clone()),
                issue_id: request.issue.clone(),
                prompt: Some(request.task()),
                config_path: self.config_key(),
            })
            .map_err(duplicate)?;
        let built = self.build(&session, &project, &mut agent, request);
        self.return_agent(&project, &agent_name, agent);
        match built {
            Ok(session) => {
                if let Some(issue) = &request.issue {
                    self.mark_issue_started(&project, issue);
                }
                Ok(session)
            }
            Err(error) => {
                let recorded = self.store.session(&session.id)?;
                let notes = self.undo_spawn(&recorded);
                let mut reason = error.to_string();
                if !notes.is_empty() {
                    reason.push_str(&format!(" (rollback: {})", notes.join("; ")));
                }
                let _ = self.store.transition(
                    &session.id,
                    &Transition {
                        status: Some("errored".into()),
                        reason: Some(reason),
                        event: "session.spawn_failed".into(),
                        ..Transition::default()
                    },
                );
                Err(error)
            }
        }
    }

    /// A task already being worked on (or waiting in the queue) is refused,
    /// naming the session that has it. (A fast early answer: the check that
    /// counts is made again atomically when the session is recorded.)
    pub(crate) fn refuse_duplicate(
        &self,
        project: &str,
        issue: Option<&str>,
    ) -> Result<(), SessionError> {
        let Some(issue) = issue else { return Ok(()) };
        if let Some(existing) = self.store.active_session_for_issue(project, issue)? {
            return Err(SessionError::Duplicate {
                issue: issue.to_string(),
                existing: existing.id,
            });
        }
        if let Some(queued) = self.store.queued_for_issue(project, issue)? {
            return Err(SessionError::Duplicate {
                issue: issue.to_string(),
                existing: format!("queue entry {}", queued.seq),
            });
        }
        Ok(())
    }

    fn build(
        &mut self,
        session: &Session,
        project: &ProjectConfig,
        agent: &mut PluginInstance,
        request: &SpawnRequest,
    ) -> Result<Session, SessionError> {
        let id = session.id.clone();
        let step = |step: &'static str, message: String| SessionError::Step {
            id: id.clone(),
            step,
            message,
        };

        // Workspace: a new branch from the remote default branch.
        let branch = match &request.issue {
            Some(issue) => self.issue_branch(project, issue),
            None => format!("session/{id}"),
        };
        let path = self.workspace_path(&project.id, &id);
        let spec = WorktreeSpec {
            repo: project.path.clone(),
            remote: project.remote.clone(),
            default_branch: project.default_branch.clone(),
            branch: branch.clone(),
            path: path.clone(),
            name: id.clone(),
        };
        let kind = workspace_kind(project)?;
        // What is already there was not made by this spawn: refuse before
        // recording it as ours, so a rollback never removes it.
        if path.exists() {
            return Err(step(
                "workspace",
                format!(
                    "{} already exists; remove it or restore the session that owns it",
                    path.display()
                ),
            ));
        }
        if kind == WorkspaceKind::Worktree
            && ao_workspace::worktree::branch_exists(&project.path, &branch)
                .map_err(|e| step("workspace", e.to_string()))?
        {
            return Err(step(
                "workspace",
                format!(
                    "branch `{branch}` already exists in {}; delete it (`git branch -D {branch}`) or restore the session that used it",
                    project.path.display()
                ),
            ));
        }
        self.store.record_step(
            &id,
            &Step {
                name: SpawnStep::Workspace.as_str().into(),
                branch: Some(branch.clone()),
                workspace_path: Some(path.display().to_string()),
                data: Some(serde_json::json!({
                    "repo": project.path.display().to_string(),
                    "workspace": kind.as_str(),
                })),
                ..Step::default()
            },
        )?;
        self.progress(&format!("{id}: creating a {kind} on {branch}"));
        let progress = &self.progress;
        let mut report = |message: &str| progress(&format!("{id}: {message}"));
        ao_workspace::create(kind, &spec, Some(&mut report))
            .map_err(|e| step("workspace", e.to_string()))?;
        let log = self
            .paths
            .data
            .join("logs")
            .join(format!("{id}-post-create.log"));
        if !project.post_create.is_empty() {
            self.progress(&format!(
                "{id}: running postCreate ({} command{}, log {})",
                project.post_create.len(),
                if project.post_create.len() == 1 {
                    ""
                } else {
                    "s"
                },
                log.display()
            ));
        }
        self.store
            .record_step(&id, &Step::named(SpawnStep::Prepare.as_str()))?;
        let prep = Preparation {
            symlinks: project.symlinks.clone(),
            include: project.include.clone(),
            post_create: project.post_create.clone(),
        };
        prepare(&project.path, &path, &prep, &log)
            .map_err(|e| step("postCreate", e.to_string()))?;

        // Agent: hook files, then the launch command.
        let context = session_context(&id, &path, None, ao_core::state::now_ms());
        write_hooks(agent, &context, &path).map_err(|e| step("agent hooks", e))?;
        let prompt = compose_prompt(&request.task(), project.rules().as_deref());
        let delivery = agent
            .prompt_delivery()
            .map_err(|e| step("agent", e.to_string()))?;
        let inline = matches!(delivery, PromptDelivery::Inline);
        let launch = launch_config(
            &id,
            project,
            &path,
            request.issue.clone(),
            inline.then(|| prompt.clone()),
        );
        let command = agent
            .launch_command(&launch)
            .map_err(|e| step("agent launch command", e.to_string()))?;
        if command.argv.is_empty() {
            return Err(step(
                "agent launch command",
                "the agent plugin returned an empty command".into(),
            ));
        }
        let env = environment(agent, &launch, command.env, project, &self.paths)
            .map_err(|e| step("agent environment", e))?;

        // Runtime.
        self.progress(&format!(
            "{id}: starting {} in {}",
            command.argv[0], project.runtime
        ));
        self.store.record_step(
            &id,
            &Step {
                name: SpawnStep::Runtime.as_str().into(),
                runtime_handle: Some(format!("{}:{id}", project.runtime)),
                data: Some(serde_json::json!({ "inlinePrompt": inline })),
                ..Step::default()
            },
        )?;
        let runtime = self.runtimes.get(&project.runtime)?;
        let (argv, env) =
            crate::agent_env::launch(command.argv, env, &agent.effective_capabilities().secrets);
        runtime
            .create(&LaunchSpec {
                name: id.clone(),
                cwd: path.clone(),
                argv,
                env,
            })
            .map_err(|e| step("runtime", e.to_string()))?;
        self.store
            .record_step(&id, &Step::named(SpawnStep::Prompt.as_str()))?;
        if inline {
            let runtime = self.runtimes.get(&project.runtime)?;
            self.confirm_inline_start(runtime, &id, agent)
                .map_err(|e| step("prompt delivery", e))?;
        } else {
            // One writer at a time on the agent's terminal.
            let terminal = self.terminal_lock(&id, self.ready_timeout)?;
            let runtime = self.runtimes.get(&project.runtime)?;
            deliver_first_prompt(
                &terminal.writer(runtime),
                &id,
                agent,
                &prompt,
                self.ready_timeout,
            )
            .map_err(|e| step("prompt delivery", e))?;
        }
        self.store
            .record_step(&id, &Step::named(SpawnStep::Running.as_str()))?;
        Ok(self.store.transition(
            &id,
            &Transition {
                status: Some("working".into()),
                event: "session.working".into(),
                branch: Some(branch),
                workspace_path: Some(path.display().to_string()),
                runtime_handle: Some(format!("{}:{id}", project.runtime)),
                ..Transition::default()
            },
        )?)
    }

    /// For an agent given its task on the command line: waits until it shows
    /// that it started (a hook report, or a screen its plugin can read). An
    /// agent that exits first fails the spawn with its last output; one held
    /// by a dialog is left running, and its status says what it asks.
    fn confirm_inline_start(
        &self,
        runtime: &dyn Runtime,
        id: &str,
        agent: &mut PluginInstance,
    ) -> Result<(), String> {
        let deadline = Instant::now() + self.ready_timeout;
        let (mut last, mut still_since) = (String::new(), Instant::now());
        let mut first_output: Option<Instant> = None;
        while Instant::now() < deadline {
            if self
                .store
                .session(id)
                .is_ok_and(|s| s.reported_activity.is_some())
            {
                return Ok(());
            }
            if !runtime.is_alive(id) {
                let screen = runtime.capture(id, 20).unwrap_or_default();
                return Err(format!(
                    "the agent exited before it took its task; its last output:\n{}",
                    screen.trim()
                ));
            }
            let screen = runtime.capture(id, 50).map_err(|e| e.to_string())?;
            if let Some(reading) = agent.activity_from_terminal(&screen).ok().flatten() {
                if matches!(reading.state, Activity::WaitingInput | Activity::Blocked) {
                    self.progress(&format!(
                        "{id}: the agent {}",
                        reading.detail.as_deref().unwrap_or("waits for input")
                    ));
                }
                return Ok(());
            }
            // A screen the plugin cannot read: started, once it holds still
            // or has shown output long enough (see deliver_first_prompt).
            if !screen.trim().is_empty()
                && first_output.get_or_insert_with(Instant::now).elapsed() >= NEVER_STILL_LIMIT
            {
                return Ok(());
            }
            if screen != last {
                (last, still_since) = (screen, Instant::now());
            } else if !last.trim().is_empty() && still_since.elapsed() >= STILL_ENOUGH {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Where a session's workspace lives: under the data directory, never
    /// inside the project's repository.
    pub(crate) fn workspace_path(&self, project: &str, id: &str) -> PathBuf {
        self.paths.data.join("worktrees").join(project).join(id)
    }
}

/// A refused duplicate from the store, as the session error that names
/// the session (or queue entry) that has the issue.
pub(crate) fn duplicate(e: StateError) -> SessionError {
    match e {
        StateError::DuplicateIssue { issue, existing } => {
            SessionError::Duplicate { issue, existing }
        }
        other => SessionError::State(other),
    }
}

/// The project's workspace kind (validated with the config, so known).
pub(crate) fn workspace_kind(project: &ProjectConfig) -> Result<WorkspaceKind, SessionError> {
    project
        .workspace
        .parse()
        .map_err(|_| SessionError::Other(format!("unknown workspace kind `{}`", project.workspace)))
}

/// How long an unreadable screen must hold still to count as ready.
const STILL_ENOUGH: Duration = Duration::from_millis(700);
/// How long an unreadable screen that never holds still is given to start.
const NEVER_STILL_LIMIT: Duration = Duration::from_secs(5);

/// Waits until the agent looks ready (its plugin says so, or — for a screen
/// the plugin does not know — its screen has been still for a moment), types
/// the prompt, and checks it was submitted. Never types into a dialog: while
/// the plugin reads the screen as waiting for input (a trust or login
/// question), ao waits, and at the deadline says what the agent is asking.
pub(crate) fn deliver_first_prompt(
    runtime: &dyn Runtime,
    id: &str,
    agent: &mut PluginInstance,
    prompt: &str,
    ready_timeout: Duration,
) -> Result<(), String> {
    let deadline = Instant::now() + ready_timeout;
    let mut last = String::new();
    let mut still_since = Instant::now();
    let mut first_output: Option<Instant> = None;
    loop {
        if !runtime.is_alive(id) {
            let screen = runtime.capture(id, 20).unwrap_or_default();
            return Err(format!(
                "the agent exited before it could be given its task; its last output:\n{}",
                screen.trim()
            ));
        }
        let screen = runtime.capture(id, 50).map_err(|e| e.to_string())?;
        let reading = agent.activity_from_terminal(&screen).ok().flatten();
        if screen != last {
            last = screen.clone();
            still_since = Instant::now();
        }
        // A screen the plugin cannot read: ready once it holds still, or —
        // for an agent that never stops printing (a clock, a spinner) —
        // once it has shown output for a while: waiting longer would only
        // end in a failed spawn.
        let settled = reading.is_none()
            && !screen.trim().is_empty()
            && (still_since.elapsed() >= STILL_ENOUGH
                || first_output.get_or_insert_with(Instant::now).elapsed() >= NEVER_STILL_LIMIT);
        match reading.as_ref().map(|r| r.state) {
            Some(Activity::Ready | Activity::Idle) => break,
            _ if settled => break,
            _ => {}
        }
        if Instant::now() > deadline {
            return Err(match reading {
                Some(r) if matches!(r.state, Activity::WaitingInput | Activity::Blocked) => {
                    format!(
                        "the agent is waiting on a question ao cannot answer ({}); answer it with `ao session attach {id}`, or set the agent up so it does not ask (see the README's agent table)",
                        r.detail.unwrap_or_else(|| "a dialog".into())
                    )
                }
                _ => format!(
                    "the agent did not become ready within {} s; its screen:\n{}",
                    ready_timeout.as_secs(),
                    screen.trim()
                ),
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    type_and_confirm(runtime, id, prompt, Duration::from_secs(3))
}

/// Types `text`, presses Enter once it has landed, and confirms the agent
/// took it (see [`crate::deliver`]).
pub(crate) fn type_and_confirm(
    runtime: &dyn Runtime,
    id: &str,
    text: &str,
    wait: Duration,
) -> Result<(), String> {
    crate::deliver::submit(runtime, id, text, wait).map(|_| ())
}
