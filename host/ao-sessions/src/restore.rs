//! Restoring a session whose agent is gone: re-create its workspace if it
//! was removed, then relaunch the agent with its resume command when the
//! plugin has one (the agent's own session continues), else fresh with the
//! original task.

use crate::launch::{environment, launch_config, session_context, write_hooks};
use crate::spawn::deliver_first_prompt;
use crate::{SessionError, SessionManager, compose_prompt};
use ao_core::state::{Session, Transition};
use ao_plugin_host::bindings::v0_1::PromptDelivery;
use ao_runtime::LaunchSpec;
use ao_workspace::worktree::WorktreeSpec;
use std::path::PathBuf;

impl SessionManager {
    pub fn restore(&mut self, id: &str) -> Result<Session, SessionError> {
        let session = self.store.session(id)?;
        if self.is_alive(&session) {
            return Err(SessionError::Other(format!(
                "session {id} is running; nothing to restore"
            )));
        }
        let project = self.project(&session.project_id)?;
        let agent_name = Self::agent_name(&session, &project);
        let mut agent = self.take_agent(&project, &agent_name)?;
        let result = self.relaunch(&session, &project, &mut agent);
        self.return_agent(&project, &agent_name, agent);
        result
    }

    fn relaunch(
        &mut self,
        session: &Session,
        project: &ao_core::config::ProjectConfig,
        agent: &mut ao_plugin_host::PluginInstance,
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
            project.agent_rules.as_deref(),
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
        runtime.create(&LaunchSpec {
            name: id.to_string(),
            cwd: path.clone(),
            argv: command.argv,
            env,
        })?;
        if fresh
            && !inline
            && let Err(e) = deliver_first_prompt(runtime, id, agent, &prompt, self.ready_timeout)
        {
            let _ = runtime.kill(id);
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
