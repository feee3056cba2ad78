//! Spawning, messaging, listing and killing sessions.

use crate::{SessionError, compose_prompt};
use ao_core::Paths;
use ao_core::config::{Config, ProjectConfig};
use ao_core::state::{NewSession, Session, Store, Transition};
use ao_plugin_host::bindings::v0_1::{
    LaunchConfig, PermissionMode, Project, PromptDelivery, SessionContext,
};
use ao_plugin_host::discovery::{Catalog, Discovered};
use ao_plugin_host::{InstanceSettings, PluginInstance};
use ao_runtime::LaunchSpec;
use ao_runtime::Runtime;
use ao_runtime::tmux::Tmux;
use ao_workspace::prepare::{Preparation, prepare};
use ao_workspace::worktree::{self, WorktreeSpec};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

/// What to spawn.
#[derive(Debug, Clone, Default)]
pub struct SpawnRequest {
    pub project: String,
    pub prompt: String,
    pub issue: Option<String>,
    /// Overrides the project's agent.
    pub agent: Option<String>,
}

/// Makes the instance settings of a plugin (grants, limits, secrets).
pub type SettingsFor =
    Box<dyn Fn(&Discovered, &str, serde_json::Map<String, serde_json::Value>) -> InstanceSettings>;

/// Owns the store, the runtime and the plugin catalog for session work.
pub struct SessionManager {
    pub config: Config,
    pub paths: Paths,
    pub store: Store,
    pub tmux: Tmux,
    catalog: Catalog,
    settings_for: SettingsFor,
    /// How long to wait for a post-launch agent to be ready for its prompt.
    pub ready_timeout: Duration,
}

/// Things made so far by a spawn, undone if a later step fails.
#[derive(Default)]
struct Made {
    worktree: Option<(PathBuf, String)>,
    runtime: bool,
}

fn now_ms() -> i64 {
    ao_core::state::now_ms()
}

impl SessionManager {
    pub fn new(
        config: Config,
        paths: Paths,
        store: Store,
        tmux: Tmux,
        catalog: Catalog,
        settings_for: SettingsFor,
    ) -> Self {
        SessionManager {
            config,
            paths,
            store,
            tmux,
            catalog,
            settings_for,
            ready_timeout: Duration::from_secs(15),
        }
    }

    fn project(&self, id: &str) -> Result<ProjectConfig, SessionError> {
        self.config
            .projects
            .get(id)
            .cloned()
            .ok_or_else(|| SessionError::UnknownProject(id.to_string()))
    }

    /// A configured instance of the project's agent plugin.
    fn agent(&self, project: &ProjectConfig, name: &str) -> Result<PluginInstance, SessionError> {
        let plugin = self
            .catalog
            .get(name)
            .filter(|d| d.plugin.manifest().roles.iter().any(|r| r == "agent"))
            .ok_or_else(|| SessionError::UnknownAgent(name.to_string()))?;
        let label = format!("{name} ({})", project.id);
        Ok(plugin.plugin.instantiate((self.settings_for)(
            plugin,
            &label,
            project.agent_config.clone(),
        )))
    }

    /// Spawns a session; on any failure undoes what was made and records why.
    pub fn spawn(&mut self, request: &SpawnRequest) -> Result<Session, SessionError> {
        let project = self.project(&request.project)?;
        let agent_name = request
            .agent
            .clone()
            .unwrap_or_else(|| project.agent.clone());
        let mut agent = self.agent(&project, &agent_name)?;
        let session = self.store.create_session(&NewSession {
            project_id: project.id.clone(),
            prefix: project.session_prefix.clone(),
            agent: Some(agent_name),
            runtime: Some(project.runtime.clone()),
            issue_id: request.issue.clone(),
            prompt: Some(request.prompt.clone()),
        })?;
        let mut made = Made::default();
        match self.build(&session, &project, &mut agent, request, &mut made) {
            Ok(session) => Ok(session),
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

        // Workspace: a worktree on a new branch from the remote default branch.
        let branch = match &request.issue {
            Some(issue) => format!("feat/issue-{issue}"),
            None => format!("session/{id}"),
        };
        let path = self
            .paths
            .data
            .join("worktrees")
            .join(&project.id)
            .join(&id);
        let spec = WorktreeSpec {
            repo: project.path.clone(),
            remote: project.remote.clone(),
            default_branch: project.default_branch.clone(),
            branch: branch.clone(),
            path: path.clone(),
            name: id.clone(),
        };
        worktree::create(&spec).map_err(|e| step("workspace", e.to_string()))?;
        made.worktree = Some((path.clone(), branch.clone()));
        let log = self
            .paths
            .data
            .join("logs")
            .join(format!("{id}-post-create.log"));
        let prep = Preparation {
            symlinks: project.symlinks.clone(),
            include: project.include.clone(),
            post_create: project.post_create.clone(),
        };
        prepare(&project.path, &path, &prep, &log)
            .map_err(|e| step("postCreate", e.to_string()))?;

        // Agent: hook files, then the launch command.
        let context = SessionContext {
            session_id: id.clone(),
            workspace_path: path.display().to_string(),
            agent_session_id: None,
            started_at: now_ms(),
            home_dir: std::env::var("HOME").unwrap_or_default(),
        };
        for hook in agent
            .workspace_hooks(&context)
            .map_err(|e| step("agent hooks", e.to_string()))?
        {
            let rel = Path::new(&hook.path);
            if rel.is_absolute() || rel.components().any(|c| matches!(c, Component::ParentDir)) {
                return Err(step(
                    "agent hooks",
                    format!("hook file `{}` would escape the workspace", hook.path),
                ));
            }
            let target = path.join(rel);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| step("agent hooks", e.to_string()))?;
            }
            std::fs::write(&target, &hook.content)
                .map_err(|e| step("agent hooks", e.to_string()))?;
        }
        let prompt = compose_prompt(&request.prompt, project.agent_rules.as_deref());
        let delivery = agent
            .prompt_delivery()
            .map_err(|e| step("agent", e.to_string()))?;
        let inline = matches!(delivery, PromptDelivery::Inline);
        let launch = launch_config(
            id.clone(),
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
        let mut env = agent
            .agent_environment(&launch)
            .map_err(|e| step("agent environment", e.to_string()))?;
        env.extend(command.env);
        env.extend([
            ("AO_SESSION_ID".to_string(), id.clone()),
            ("AO_PROJECT_ID".to_string(), project.id.clone()),
            (
                "AO_DATA_DIR".to_string(),
                self.paths.data.display().to_string(),
            ),
        ]);

        // Runtime.
        self.tmux
            .create(&LaunchSpec {
                name: id.clone(),
                cwd: path.clone(),
                argv: command.argv,
                env,
            })
            .map_err(|e| step("runtime", e.to_string()))?;
        made.runtime = true;
        if !inline {
            self.deliver_first_prompt(&id, agent, &prompt)
                .map_err(|e| step("prompt delivery", e))?;
        }
        Ok(self.store.transition(
            &id,
            &Transition {
                status: Some("working".into()),
                event: "session.working".into(),
                branch: Some(branch),
                workspace_path: Some(path.display().to_string()),
                runtime_handle: Some(format!("tmux:{id}")),
                ..Transition::default()
            },
        )?)
    }

    /// Waits until the agent looks ready (its plugin says so, or its screen
    /// has been still for a moment), types the prompt, and checks it landed.
    fn deliver_first_prompt(
        &self,
        id: &str,
        agent: &mut PluginInstance,
        prompt: &str,
    ) -> Result<(), String> {
        let deadline = Instant::now() + self.ready_timeout;
        let mut last = String::new();
        let mut still_since = Instant::now();
        loop {
            if !self.tmux.is_alive(id) {
                let screen = self.tmux.capture(id, 20).unwrap_or_default();
                return Err(format!(
                    "the agent exited before it could be given its task; its last output:\n{}",
                    screen.trim()
                ));
            }
            let screen = self.tmux.capture(id, 50).map_err(|e| e.to_string())?;
            let ready = matches!(agent.activity_from_terminal(&screen), Ok(Some(r)) if matches!(r.state, ao_plugin_host::bindings::v0_1::Activity::Ready));
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
                    self.ready_timeout.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        for _attempt in 0..2 {
            let before = self.tmux.capture(id, 50).map_err(|e| e.to_string())?;
            self.tmux.send_text(id, prompt).map_err(|e| e.to_string())?;
            let until = Instant::now() + Duration::from_secs(3);
            while Instant::now() < until {
                if self.tmux.capture(id, 50).map_err(|e| e.to_string())? != before {
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Err("the prompt was sent twice but the agent's screen did not change".into())
    }

    fn roll_back(&self, id: &str, project: &ProjectConfig, made: &Made) {
        if made.runtime {
            let _ = self.tmux.kill(id);
        }
        if let Some((path, branch)) = &made.worktree {
            let _ = worktree::remove(&project.path, id, path, true);
            let _ = worktree::delete_branch(&project.path, branch);
        }
    }

    /// Types a message into a live session.
    pub fn send(&mut self, id: &str, message: &str) -> Result<Session, SessionError> {
        let session = self.store.session(id)?;
        if !self.tmux.is_alive(id) {
            return Err(SessionError::Other(format!(
                "session {id} is not running (status {}); restore it first",
                session.status
            )));
        }
        self.tmux.send_text(id, message)?;
        Ok(self.store.transition(
            id,
            &Transition {
                event: "session.message_sent".into(),
                data: Some(serde_json::json!({ "chars": message.chars().count() })),
                ..Transition::default()
            },
        )?)
    }

    /// Ends the runtime; removes the worktree unless that would lose work.
    /// Returns a note about the worktree when it was kept.
    pub fn kill(
        &mut self,
        id: &str,
        force: bool,
    ) -> Result<(Session, Option<String>), SessionError> {
        let session = self.store.session(id)?;
        let _ = self.tmux.kill(id);
        let mut note = None;
        if let (Some(path), Ok(project)) =
            (&session.workspace_path, self.project(&session.project_id))
        {
            match worktree::remove(&project.path, id, Path::new(path), force) {
                Ok(Ok(())) => {}
                Ok(Err(problems)) => {
                    let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
                    note = Some(format!(
                        "kept the worktree {path}: {} (use --force to remove it anyway)",
                        list.join("; ")
                    ));
                }
                Err(e) => note = Some(format!("could not remove the worktree {path}: {e}")),
            }
        }
        let session = self.store.transition(
            id,
            &Transition {
                status: Some("killed".into()),
                reason: Some("manually_killed".into()),
                event: "session.killed".into(),
                ..Transition::default()
            },
        )?;
        Ok((session, note))
    }

    /// Sessions with whether their runtime is alive.
    pub fn list(
        &self,
        project: Option<&str>,
        include_terminal: bool,
    ) -> Result<Vec<(Session, bool)>, SessionError> {
        let live = self.tmux.list().unwrap_or_default();
        Ok(self
            .store
            .sessions(project, include_terminal)?
            .into_iter()
            .map(|s| {
                let alive = live.contains(&s.id) && self.tmux.is_alive(&s.id);
                (s, alive)
            })
            .collect())
    }
}

impl SessionManager {
    /// The current activity of each session and where it came from:
    /// `runtime` (not running), `report` (the agent's hooks, while fresh),
    /// `terminal` (its plugin reading the screen), or `unknown`. All screens
    /// come from one tmux invocation.
    pub fn activities(
        &mut self,
        sessions: &[(Session, bool)],
        fresh_ms: i64,
    ) -> Vec<(String, &'static str)> {
        let names: Vec<String> = sessions
            .iter()
            .filter(|(_, alive)| *alive)
            .map(|(s, _)| s.id.clone())
            .collect();
        let screens = self.tmux.capture_all(&names, 50).unwrap_or_default();
        let now = now_ms();
        sessions
            .iter()
            .map(|(s, alive)| {
                if !alive {
                    return ("exited".to_string(), "runtime");
                }
                if let Some(activity) = s
                    .activity
                    .as_ref()
                    .filter(|_| now - s.updated_at < fresh_ms)
                {
                    return (activity.clone(), "report");
                }
                let classified = self.project(&s.project_id).ok().and_then(|project| {
                    let mut agent = self
                        .agent(&project, s.agent.as_deref().unwrap_or(&project.agent))
                        .ok()?;
                    let screen = screens.get(&s.id)?;
                    agent.activity_from_terminal(screen).ok().flatten()
                });
                match classified {
                    Some(report) => (activity_name(report.state).to_string(), "terminal"),
                    None => ("unknown".to_string(), "terminal"),
                }
            })
            .collect()
    }
}

/// The stored name of an activity (as `ao report` and the dashboard use it).
pub fn activity_name(activity: ao_plugin_host::bindings::v0_1::Activity) -> &'static str {
    use ao_plugin_host::bindings::v0_1::Activity;
    match activity {
        Activity::Active => "active",
        Activity::Ready => "ready",
        Activity::Idle => "idle",
        Activity::WaitingInput => "waiting_input",
        Activity::Blocked => "blocked",
        Activity::Exited => "exited",
    }
}

impl SessionManager {
    /// Revives a session whose agent is gone: re-creates its worktree if it
    /// was removed, then relaunches the agent with its resume command when
    /// the plugin has one, else fresh with the original task.
    pub fn restore(&mut self, id: &str) -> Result<Session, SessionError> {
        let session = self.store.session(id)?;
        if self.tmux.is_alive(id) {
            return Err(SessionError::Other(format!(
                "session {id} is running; nothing to restore"
            )));
        }
        let project = self.project(&session.project_id)?;
        let agent_name = session
            .agent
            .clone()
            .unwrap_or_else(|| project.agent.clone());
        let mut agent = self.agent(&project, &agent_name)?;
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
            .unwrap_or_else(|| self.paths.data.join("worktrees").join(&project.id).join(id));
        if !path.exists() {
            let spec = WorktreeSpec {
                repo: project.path.clone(),
                remote: project.remote.clone(),
                default_branch: project.default_branch.clone(),
                branch: branch.clone(),
                path: path.clone(),
                name: id.to_string(),
            };
            worktree::attach(&spec).map_err(|e| step("workspace", e.to_string()))?;
        }
        // A dead pane left by remain-on-exit holds the name.
        let _ = self.tmux.kill(id);
        let context = SessionContext {
            session_id: id.to_string(),
            workspace_path: path.display().to_string(),
            agent_session_id: None,
            started_at: session.created_at,
            home_dir: std::env::var("HOME").unwrap_or_default(),
        };
        let task = session.prompt.clone().unwrap_or_default();
        let prompt = compose_prompt(
            &format!("(Resumed after an interruption.) {task}"),
            project.agent_rules.as_deref(),
        );
        let inline = matches!(
            agent
                .prompt_delivery()
                .map_err(|e| step("agent", e.to_string()))?,
            PromptDelivery::Inline
        );
        let launch = launch_config(
            id.to_string(),
            &project,
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
        let mut env = agent
            .agent_environment(&launch)
            .map_err(|e| step("agent environment", e.to_string()))?;
        env.extend(command.env);
        env.extend([
            ("AO_SESSION_ID".to_string(), id.to_string()),
            ("AO_PROJECT_ID".to_string(), project.id.clone()),
        ]);
        self.tmux.create(&LaunchSpec {
            name: id.to_string(),
            cwd: path.clone(),
            argv: command.argv,
            env,
        })?;
        let delivered = if fresh && !inline {
            self.deliver_first_prompt(id, &mut agent, &prompt)
        } else {
            Ok(())
        };
        if let Err(e) = delivered {
            let _ = self.tmux.kill(id);
            return Err(step("prompt delivery", e));
        }
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

/// What an agent plugin is told about the session it launches.
fn launch_config(
    session_id: impl Into<String>,
    project: &ProjectConfig,
    path: &Path,
    issue: Option<String>,
    prompt: Option<String>,
) -> LaunchConfig {
    LaunchConfig {
        session_id: session_id.into(),
        project: Project {
            id: project.id.clone(),
            repo: project.repo.clone(),
            path: project.path.display().to_string(),
            default_branch: project.default_branch.clone(),
        },
        workspace_path: path.display().to_string(),
        issue_id: issue,
        prompt,
        permissions: PermissionMode::Permissionless,
        model: project
            .agent_config
            .get("model")
            .and_then(|m| m.as_str())
            .map(str::to_string),
        system_prompt: None,
        system_prompt_file: None,
        agent_config: serde_json::Value::Object(project.agent_config.clone()).to_string(),
    }
}
