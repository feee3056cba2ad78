//! Spawning: a task becomes a session with its own branch, workspace,
//! runtime and agent. Every step is recorded; a failure undoes what was made.

use crate::launch::{environment, launch_config, session_context, write_hooks};
use crate::{SessionError, SessionManager, compose_prompt};
use ao_core::config::ProjectConfig;
use ao_core::state::{NewSession, Session, Transition};
use ao_plugin_host::PluginInstance;
use ao_plugin_host::bindings::v0_1::{Activity, PromptDelivery};
use ao_runtime::{LaunchSpec, Runtime};
use ao_workspace::WorkspaceKind;
use ao_workspace::prepare::{Preparation, prepare};
use ao_workspace::worktree::{self, WorktreeSpec};
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

/// Things made so far by a spawn, undone if a later step fails.
#[derive(Default)]
struct Made {
    workspace: Option<(WorkspaceKind, PathBuf, String)>,
    runtime: Option<String>,
}

impl SessionManager {
    /// Spawns a session now; on any failure undoes what was made and
    /// records why. Refuses a second live session for the same issue.
    pub fn spawn(&mut self, request: &SpawnRequest) -> Result<Session, SessionError> {
        let project = self.project(&request.project)?;
        self.refuse_duplicate(&project.id, request.issue.as_deref())?;
        let agent_name = request
            .agent
            .clone()
            .unwrap_or_else(|| project.agent.clone());
        let mut agent = self.take_agent(&project, &agent_name)?;
        // The runtime is checked before anything is made.
        self.runtimes.get(&project.runtime)?;
        let session = self.store.create_session(&NewSession {
            project_id: project.id.clone(),
            prefix: project.session_prefix.clone(),
            agent: Some(agent_name.clone()),
            runtime: Some(project.runtime.clone()),
            issue_id: request.issue.clone(),
            prompt: Some(request.task()),
        })?;
        let mut made = Made::default();
        let built = self.build(&session, &project, &mut agent, request, &mut made);
        self.return_agent(&project, &agent_name, agent);
        match built {
            Ok(session) => {
                if let Some(issue) = &request.issue {
                    self.mark_issue_started(&project, issue);
                }
                Ok(session)
            }
            Err(error) => {
                self.roll_back(&session.id, &project, &made);
                let _ = self.store.transition(
                    &session.id,
                    &Transition {
                        status: Some("errored".into()),
                        reason: Some(error.to_string()),
                        event: "session.spawn_failed".into(),
                        ..Transition::default()
                    },
                );
                Err(error)
            }
        }
    }

    /// A task already being worked on (or waiting in the queue) is refused,
    /// naming the session that has it.
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
        made: &mut Made,
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
        self.progress(&format!("{id}: creating a {kind} on {branch}"));
        let progress = &self.progress;
        let mut report = |message: &str| progress(&format!("{id}: {message}"));
        ao_workspace::create(kind, &spec, Some(&mut report))
            .map_err(|e| step("workspace", e.to_string()))?;
        made.workspace = Some((kind, path.clone(), branch.clone()));
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
        let prompt = compose_prompt(&request.task(), project.agent_rules.as_deref());
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
        let runtime = self.runtimes.get(&project.runtime)?;
        runtime
            .create(&LaunchSpec {
                name: id.clone(),
                cwd: path.clone(),
                argv: command.argv,
                env,
            })
            .map_err(|e| step("runtime", e.to_string()))?;
        made.runtime = Some(project.runtime.clone());
        if !inline {
            deliver_first_prompt(runtime, &id, agent, &prompt, self.ready_timeout)
                .map_err(|e| step("prompt delivery", e))?;
        }
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

    /// Where a session's workspace lives: under the data directory, never
    /// inside the project's repository.
    pub(crate) fn workspace_path(&self, project: &str, id: &str) -> PathBuf {
        self.paths.data.join("worktrees").join(project).join(id)
    }

    fn roll_back(&self, id: &str, project: &ProjectConfig, made: &Made) {
        if let Some(kind) = &made.runtime
            && let Ok(runtime) = self.runtimes.get(kind)
        {
            let _ = runtime.kill(id);
        }
        if let Some((kind, path, branch)) = &made.workspace {
            let _ = ao_workspace::remove(*kind, &project.path, id, path, true);
            // A clone's branch went with the clone; a worktree's is in the repo.
            if *kind == WorkspaceKind::Worktree {
                let _ = worktree::delete_branch(&project.path, branch);
            }
        }
    }
}

/// The project's workspace kind (validated with the config, so known).
pub(crate) fn workspace_kind(project: &ProjectConfig) -> Result<WorkspaceKind, SessionError> {
    project
        .workspace
        .parse()
        .map_err(|_| SessionError::Other(format!("unknown workspace kind `{}`", project.workspace)))
}

/// Waits until the agent looks ready (its plugin says so, or its screen has
/// been still for a moment), types the prompt, and checks it landed.
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
    loop {
        if !runtime.is_alive(id) {
            let screen = runtime.capture(id, 20).unwrap_or_default();
            return Err(format!(
                "the agent exited before it could be given its task; its last output:\n{}",
                screen.trim()
            ));
        }
        let screen = runtime.capture(id, 50).map_err(|e| e.to_string())?;
        let ready = matches!(agent.activity_from_terminal(&screen), Ok(Some(r)) if matches!(r.state, Activity::Ready));
        if screen != last {
            last = screen.clone();
            still_since = Instant::now();
        }
        let settled =
            !screen.trim().is_empty() && still_since.elapsed() >= Duration::from_millis(700);
        if ready || settled {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the agent did not become ready within {} s",
                ready_timeout.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    type_and_confirm(runtime, id, prompt, Duration::from_secs(3))
}

/// Types `text` and waits for the screen to change; retries once.
pub(crate) fn type_and_confirm(
    runtime: &dyn Runtime,
    id: &str,
    text: &str,
    wait: Duration,
) -> Result<(), String> {
    for _attempt in 0..2 {
        let before = runtime.capture(id, 50).map_err(|e| e.to_string())?;
        runtime.send_text(id, text).map_err(|e| e.to_string())?;
        let until = Instant::now() + wait;
        while Instant::now() < until {
            if runtime.capture(id, 50).map_err(|e| e.to_string())? != before {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Err("the text was typed twice but the agent's screen did not change".into())
}
