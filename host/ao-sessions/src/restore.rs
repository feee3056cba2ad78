//! Restoring a session whose agent is gone: re-create its workspace if it
//! was removed, then relaunch the agent with its resume command when the
//! plugin has one (the agent's own session continues), else fresh with the
//! original task.

use crate::launch::{environment, launch_config, session_context, write_hooks};
use crate::spawn::deliver_first_prompt;
use crate::terminal::TerminalLock;
use crate::{SessionError, SessionManager, compose_prompt};
use ao_core::state::{Session, Transition};
use ao_plugin_host::PluginInstance;
use ao_plugin_host::bindings::v0_1::{Activity, PromptDelivery};
use ao_runtime::{LaunchSpec, Runtime};
use ao_workspace::worktree::WorktreeSpec;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How to restore.
#[derive(Debug, Clone, Copy, Default)]
pub struct RestoreOptions {
    /// Start an ended session (merged, killed…) again.
    pub reopen: bool,
}

impl SessionManager {
    /// Restores a session whose agent is gone or whose workspace is lost.
    pub fn restore(&mut self, id: &str) -> Result<Session, SessionError> {
        self.restore_with(id, RestoreOptions::default())
    }

    /// [`SessionManager::restore`]: ended sessions only with `reopen`, and
    /// only while `maxConcurrentSessions` has a free slot.
    pub fn restore_with(
        &mut self,
        id: &str,
        options: RestoreOptions,
    ) -> Result<Session, SessionError> {
        self.restore_inner(id, options, None)
    }

    /// `terminal`: the session's terminal lock, when the caller (send)
    /// already holds it.
    pub(crate) fn restore_inner(
        &mut self,
        id: &str,
        options: RestoreOptions,
        terminal: Option<&TerminalLock>,
    ) -> Result<Session, SessionError> {
        let session = self.store.session(id)?;
        if matches!(session.status.as_str(), "spawning" | "killing") {
            return Err(SessionError::Other(format!(
                "session {id} is {}; restore it when that is done",
                session.status
            )));
        }
        if session.is_terminal() && !options.reopen {
            return Err(SessionError::Other(format!(
                "session {id} has ended ({}); restoring starts its agent again: use `ao session restore {id} --reopen`",
                session.status
            )));
        }
        let workspace_lost = session.status == "workspace_lost"
            || session
                .workspace_path
                .as_deref()
                .is_some_and(|p| !std::path::Path::new(p).exists());
        let alive = self.is_alive(&session);
        if alive && !workspace_lost {
            return Err(SessionError::Other(format!(
                "session {id} is running; nothing to restore"
            )));
        }
        // An agent still running in a lost workspace is replaced (no new
        // slot); any other restore starts one more agent.
        if !alive && self.free_slots()? == Some(0) {
            return Err(SessionError::Other(format!(
                "maxConcurrentSessions ({}) agents are running; end one (`ao session kill`) or raise the limit, then restore {id}",
                self.config.max_concurrent_sessions.unwrap_or_default()
            )));
        }
        if !self.owns(&session) {
            return Err(SessionError::UnknownProject(session.project_id.clone()));
        }
        let project = self.project(&session.project_id)?;
        let agent_name = Self::agent_name(&session, &project);
        if let Some(why) = crate::launch_refusal(&agent_name, project.permissions) {
            return Err(SessionError::Other(why));
        }
        let mut agent = self.take_agent(&project, &agent_name)?;
        let result = self.relaunch(&session, &project, &mut agent, terminal);
        self.return_agent(&project, &agent_name, agent);
        result
    }

    fn relaunch(
        &mut self,
        session: &Session,
        project: &ao_core::config::ProjectConfig,
        agent: &mut ao_plugin_host::PluginInstance,
        terminal: Option<&TerminalLock>,
    ) -> Result<Session, SessionError> {
        let id = session.id.as_str();
        let step = |step: &'static str, message: String| SessionError::Step {
            id: id.to_string(),
            step,
            message,
        };
        let branch = session.branch.clone().ok_or_else(|| {
            step(
                "restore",
                "the session never got a branch; spawn it again".into(),
            )
        })?;
        let path = session
            .workspace_path
            .clone()
            .map(PathBuf::from)
            .unwrap_or_else(|| self.workspace_path(&project.id, id));
        if !path.exists() {
            self.progress(&format!("{id}: re-creating the workspace on {branch}"));
            let spec = WorktreeSpec {
                repo: project.path.clone(),
                remote: project.remote.clone(),
                default_branch: project.default_branch.clone(),
                branch: branch.clone(),
                path: path.clone(),
                name: id.to_string(),
            };
            let kind = crate::spawn::workspace_kind(project)?;
            let progress = &self.progress;
            let mut report = |message: &str| progress(&format!("{id}: {message}"));
            ao_workspace::attach(kind, &spec, Some(&mut report))
                .map_err(|e| step("workspace", e.to_string()))?;
        }
        let runtime_kind = session.runtime.clone().unwrap_or_else(|| "tmux".into());
        // A dead session left for its last output still holds the name.
        if let Ok(runtime) = self.runtimes.get(&runtime_kind) {
            let _ = runtime.kill(id);
        }
        // The agent may have outlived its terminal (Gemini CLI ignores the
        // hangup): two agents on one session file would each go on with the
        // conversation.
        let left = crate::leftovers::end(id, &self.paths.data, crate::leftovers::GRACE);
        if left > 0 {
            self.progress(&format!(
                "{id}: ended {left} process(es) left from its previous terminal"
            ));
        }
        let context = session_context(
            id,
            &path,
            session.agent_session_id.clone(),
            session.created_at,
        );
        write_hooks(agent, &context, &path).map_err(|e| step("agent hooks", e))?;
        let task = session.prompt.clone().unwrap_or_default();
        let prompt = compose_prompt(
            &format!("(Resumed after an interruption.) {task}"),
            project.rules().as_deref(),
        );
        let inline = matches!(
            agent
                .prompt_delivery()
                .map_err(|e| step("agent", e.to_string()))?,
            PromptDelivery::Inline
        );
        let launch = launch_config(
            id,
            project,
            &path,
            session.issue_id.clone(),
            inline.then(|| prompt.clone()),
        );
        let resumed = agent
            .restore_command(&context, &launch)
            .map_err(|e| step("agent restore command", e.to_string()))?;
        let fresh = resumed.is_none();
        let command = match resumed {
            Some(command) => command,
            None => agent
                .launch_command(&launch)
                .map_err(|e| step("agent launch command", e.to_string()))?,
        };
        let env = environment(agent, &launch, command.env, project, &self.paths)
            .map_err(|e| step("agent environment", e))?;
        let runtime = self.runtimes.get(&runtime_kind)?;
        let (argv, env) =
            crate::agent_env::launch(command.argv, env, &agent.effective_capabilities().secrets);
        runtime.create(&LaunchSpec {
            name: id.to_string(),
            cwd: path.clone(),
            argv,
            env,
        })?;
        let own_lock;
        let terminal = match terminal {
            Some(held) => held,
            None => {
                own_lock = self.terminal_lock(id, self.ready_timeout)?;
                &own_lock
            }
        };
        if fresh
            && !inline
            && let Err(e) = deliver_first_prompt(
                &terminal.writer(runtime),
                id,
                agent,
                &prompt,
                self.ready_timeout,
            )
        {
            let _ = runtime.kill(id);
            return Err(step("prompt delivery", e));
        }
        if !fresh {
            wait_until_up(&terminal.writer(runtime), id, agent, self.ready_timeout);
        }
        // A resumed agent may keep its transcript in a new file: found again.
        let _ = self.store.set_transcript_path(id, None);
        self.info_read_at.remove(id);
        Ok(self.store.transition(
            id,
            &Transition {
                status: Some("working".into()),
                reason: Some(if fresh {
                    "restored with a fresh agent".into()
                } else {
                    "resumed the agent's session".into()
                }),
                event: "session.restored".into(),
                workspace_path: Some(path.display().to_string()),
                ..Transition::default()
            },
        )?)
    }
}

/// A resumed agent takes the next message only once it is up (OpenCode
/// drops what is typed while it starts): waits until its plugin reads the
/// screen as anything but busy — or, for a screen the plugin cannot read,
/// until it holds still — up to `timeout`. Never fails: a slow agent is
/// still restored, and `ao send` retries its Enter.
fn wait_until_up(runtime: &dyn Runtime, id: &str, agent: &mut PluginInstance, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let (mut last, mut still_since) = (String::new(), Instant::now());
    while Instant::now() < deadline && runtime.is_alive(id) {
        let screen = runtime.capture(id, 50).unwrap_or_default();
        match agent.activity_from_terminal(&screen).ok().flatten() {
            Some(reading) if reading.state != Activity::Active => return,
            Some(_) => {}
            None if screen != last => (last, still_since) = (screen, Instant::now()),
            None if !last.trim().is_empty()
                && still_since.elapsed() >= Duration::from_millis(700) =>
            {
                return;
            }
            None => {}
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
