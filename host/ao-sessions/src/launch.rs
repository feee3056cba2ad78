//! What spawn and restore share: the facts an agent plugin is given, its
//! hook files written into the workspace, and the environment ao adds.

use ao_core::Paths;
use ao_core::config::{Permissions, ProjectConfig};
use ao_plugin_host::PluginInstance;
use ao_plugin_host::bindings::v0_1::{LaunchConfig, PermissionMode, Project, SessionContext};
use ao_workspace::host_files;
use std::path::Path;

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

/// The contract's word for the project's `permissions:`.
fn permission_mode(permissions: Permissions) -> PermissionMode {
    match permissions {
        Permissions::Bypass => PermissionMode::Permissionless,
        Permissions::AcceptEdits => PermissionMode::AutoEdit,
        Permissions::Default => PermissionMode::Default,
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
        permissions: permission_mode(project.permissions),
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
/// `ao report`) into the workspace, never through a link, and keeps them out
/// of git (`info/exclude`): they are ao's, not the user's work.
pub(crate) fn write_hooks(
    agent: &mut PluginInstance,
    context: &SessionContext,
    workspace: &Path,
) -> Result<(), String> {
    let hooks = agent.workspace_hooks(context).map_err(|e| e.to_string())?;
    for hook in &hooks {
        host_files::write_no_follow(
            workspace,
            &hook.path,
            hook.content.as_bytes(),
            hook.executable,
        )
        .map_err(|e| e.to_string())?;
    }
    let paths: Vec<&str> = hooks.iter().map(|h| h.path.as_str()).collect();
    if !paths.is_empty() {
        host_files::exclude_from_git(workspace, &paths).map_err(|e| e.to_string())?;
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

/// Why an agent CLI would refuse the launch ao is about to make, in words
/// that end with the fix; `None` when it should start. These are facts about
/// the CLIs themselves that a plugin cannot see (who ao runs as, the
/// environment); spawn, restore and `ao doctor` share them.
pub fn launch_refusal(agent: &str, permissions: Permissions) -> Option<String> {
    let root = rustix::process::geteuid().is_root();
    let sandbox = std::env::var("IS_SANDBOX").is_ok_and(|v| v == "1");
    (agent == "claude-code" && permissions == Permissions::Bypass && root && !sandbox).then(|| {
        "Claude Code refuses to skip permissions (`permissions: bypass`) when run as root; \
         run ao as a normal user, or set `permissions: accept-edits`, or — only on a \
         disposable machine or container — export IS_SANDBOX=1 before starting ao"
            .to_string()
    })
}
