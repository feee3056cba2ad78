//! Each tracker and SCM plugin a project uses, asked for one cheap thing
//! with the user's credentials (the newest issue; the PR of the default
//! branch): the answer says whether the token works, the service answers and
//! the settings point at something that exists.

use super::Check;
use crate::context::Context;
use ao_plugin_host::Catalog;
use ao_plugin_host::bindings::v0_1::PluginError;
use ao_plugin_host::bindings::v0_1::ao::plugin::tracker_types::IssueFilter;
use ao_plugin_host::{CallError, CallErrorKind};
use std::time::Instant;

/// What to do about a failed probe, by the kind of failure.
fn fix_for(error: &CallError, plugin: &str, project: &str, role: &str) -> String {
    let docs = format!("docs/providers/{plugin}.md");
    match error.plugin_error() {
        Some(PluginError::Auth(_)) => format!(
            "set the token secret named above (exported in ao's environment) to a token with the scopes listed in {docs}"
        ),
        Some(PluginError::Denied(_)) => format!(
            "grant what it asks for under plugins.{plugin}.grant in agent-orchestrator.yaml"
        ),
        Some(PluginError::NotFound(_)) => format!(
            "check projects.{project}.repo and projects.{project}.{role} (the project, team or URL it names)"
        ),
        Some(PluginError::InvalidInput(_)) => {
            format!("fix the setting named above under projects.{project}.{role}")
        }
        Some(PluginError::RateLimited(_)) => {
            "the service is rate limiting this token; wait, or use fewer sessions".to_string()
        }
        _ => format!(
            "check the network and the plugin's apiUrl under projects.{project}.{role}; the service did not answer"
        ),
    }
}

fn probe(
    ctx: &Context,
    catalog: &Catalog,
    project: &ao_core::config::ProjectConfig,
    role: &str,
) -> Option<Check> {
    let reference = if role == "tracker" {
        &project.tracker
    } else {
        &project.scm
    };
    if reference.is_local() {
        return None;
    }
    let plugin = &reference.plugin;
    let name = format!("{role} {plugin} ({})", project.id);
    let Some(found) = catalog.get(plugin) else {
        return Some(Check {
            name,
            ok: false,
            detail: format!("no plugin named `{plugin}`"),
            fix: Some("see `ao plugin ls` for the plugins ao found".into()),
            required: true,
        });
    };
    let label = format!("{plugin} ({})", project.id);
    let mut instance =
        found
            .plugin
            .instantiate(ctx.instance_settings(found, &label, reference.settings.clone()));
    let p = ao_sessions::wit_project(project);
    let started = Instant::now();
    let outcome = if role == "tracker" {
        let filter = IssueFilter {
            state: None,
            labels: Vec::new(),
            assignee: None,
            limit: Some(1),
        };
        instance
            .with_tracker("list-issues", |s, g| g.call_list_issues(s, &p, &filter))
            .map(|issues| format!("{} issue(s) read", issues.len()))
    } else {
        let branch = project.default_branch.clone();
        instance
            .with_scm("detect-pr", |s, g| g.call_detect_pr(s, &p, &branch))
            .map(|_| "pull requests read".to_string())
    };
    let ms = started.elapsed().as_millis();
    Some(match outcome {
        Ok(what) => Check {
            name,
            ok: true,
            detail: format!("credentials accepted, {what} in {ms} ms"),
            fix: None,
            required: true,
        },
        Err(error) => Check {
            fix: Some(fix_for(&error, plugin, &project.id, role)),
            detail: match error.plugin_error() {
                Some(e) => ao_plugin_host::error::describe(e),
                None if matches!(error.kind, CallErrorKind::Timeout) => {
                    format!("no answer within the plugin's time limit ({ms} ms)")
                }
                None => error.to_string(),
            },
            name,
            ok: false,
            required: !matches!(error.plugin_error(), Some(PluginError::RateLimited(_))),
        },
    })
}

/// One check per (project, tracker or SCM plugin).
pub fn checks(ctx: &Context, catalog: &Catalog) -> Vec<Check> {
    ctx.config
        .projects
        .values()
        .flat_map(|project| {
            ["tracker", "scm"]
                .into_iter()
                .filter_map(|role| probe(ctx, catalog, project, role))
        })
        .collect()
}
