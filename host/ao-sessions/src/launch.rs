//! What spawn and restore share: the facts an agent plugin is given, its
//! hook files written into the workspace, and the environment ao adds.

use ao_core::Paths;
use ao_core::config::ProjectConfig;
use ao_plugin_host::PluginInstance;
use ao_plugin_host::bindings::v0_1::{LaunchConfig, PermissionMode, Project, SessionContext};
use std::path::{Component, Path};

/// What an agent plugin is told about a running session.
pub(crate) fn session_context(
    id: &str,
    workspace: &Path,
    agent_session_id: Option<String>,
    started_at: i64,
) -> SessionContext {
    SessionContext {
        session_id: id.to_string(),
        workspace_path: workspace.display().to_string(),
        agent_session_id,
        started_at,
        home_dir: std::env::var("HOME").unwrap_or_default(),
    }
}

/// What an agent plugin is told about the session it launches.
pub(crate) fn launch_config(
    session_id: &str,
    project: &ProjectConfig,
    path: &Path,
    issue: Option<String>,
    prompt: Option<String>,
) -> LaunchConfig {
    LaunchConfig {
        session_id: session_id.to_string(),
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

/// Writes the plugin's hook files (e.g. Claude Code settings that call
/// `ao report`) into the workspace; a path escaping it is refused.
pub(crate) fn write_hooks(
    agent: &mut PluginInstance,
    context: &SessionContext,
    workspace: &Path,
) -> Result<(), String> {
    for hook in agent.workspace_hooks(context).map_err(|e| e.to_string())? {
        let rel = Path::new(&hook.path);
        if rel.is_absolute() || rel.components().any(|c| matches!(c, Component::ParentDir)) {
            return Err(format!(
                "hook file `{}` would escape the workspace",
                hook.path
            ));
        }
        let target = workspace.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&target, &hook.content).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The agent's environment: the plugin's, the command's, then ao's own
/// (`AO_SESSION_ID` and friends, which `ao report` in hooks relies on).
pub(crate) fn environment(
    agent: &mut PluginInstance,
    launch: &LaunchConfig,
    command_env: Vec<(String, String)>,
    project: &ProjectConfig,
    paths: &Paths,
) -> Result<Vec<(String, String)>, String> {
    let mut env = agent.agent_environment(launch).map_err(|e| e.to_string())?;
    env.extend(command_env);
    env.extend([
        ("AO_SESSION_ID".to_string(), launch.session_id.clone()),
        ("AO_SESSION".to_string(), launch.session_id.clone()),
        ("AO_PROJECT_ID".to_string(), project.id.clone()),
        ("AO_DATA_DIR".to_string(), paths.data.display().to_string()),
    ]);
    if let Some(issue) = &launch.issue_id {
        env.push(("AO_ISSUE_ID".to_string(), issue.clone()));
    }
    // So the agent's hooks run this same `ao` (`"${AO_BIN:-ao}" report …`),
    // wherever it is installed and whatever the agent does to PATH.
    if let Ok(exe) = std::env::current_exe() {
        env.push(("AO_BIN".to_string(), exe.display().to_string()));
    }
    // So `ao report` run by the agent's hooks finds this same data directory,
    // whatever environment the runtime's server was started with.
    for var in [
        "AO_HOME",
        "XDG_DATA_HOME",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
    ] {
        if let Some(value) = std::env::var_os(var) {
            env.push((var.to_string(), value.to_string_lossy().into_owned()));
        }
    }
    Ok(env)
}
