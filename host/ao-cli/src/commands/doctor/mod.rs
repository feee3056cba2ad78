//! `ao doctor`: every prerequisite, checked, each failure with its fix.

mod providers;

use crate::context::Context;
use crate::error::{CommandError, Result};
use crate::ui;
use anstream::println;
use serde::Serialize;
use std::path::PathBuf;
use std::process::Command;

#[derive(Debug, Serialize)]
struct Check {
    name: String,
    ok: bool,
    /// Version or detail when ok; the problem otherwise.
    detail: String,
    /// How to fix it, when it is not ok.
    fix: Option<String>,
    /// A missing optional tool is a warning, not a failure.
    required: bool,
}

fn version_of(program: &str, arg: &str) -> Option<String> {
    let out = Command::new(program).arg(arg).output().ok()?;
    let text = String::from_utf8_lossy(if out.stdout.is_empty() {
        &out.stderr
    } else {
        &out.stdout
    })
    .to_string();
    out.status
        .success()
        .then(|| text.lines().next().unwrap_or("").trim().to_string())
}

fn tool(name: &str, program: &str, arg: &str, fix: &str, required: bool) -> Check {
    match version_of(program, arg) {
        Some(v) => Check {
            name: name.into(),
            ok: true,
            detail: v,
            fix: None,
            required,
        },
        None => Check {
            name: name.into(),
            ok: false,
            detail: format!("`{program}` not found on PATH"),
            fix: Some(fix.into()),
            required,
        },
    }
}

/// The CLI each agent plugin drives.
const AGENT_CLIS: &[(&str, &str, &str)] = &[
    (
        "claude-code",
        "claude",
        "npm install -g @anthropic-ai/claude-code",
    ),
    ("codex", "codex", "npm install -g @openai/codex"),
    (
        "aider",
        "aider",
        "python -m pip install aider-install && aider-install",
    ),
    ("opencode", "opencode", "npm install -g opencode-ai"),
    (
        "cursor",
        "cursor-agent",
        "curl https://cursor.com/install -fsS | bash",
    ),
];

/// The API quota each tracker/SCM plugin in use last saw (plugins keep it
/// under the `ratelimit` keys of their key-value data); low quota warns.
fn api_quotas(ctx: &Context) -> Vec<Check> {
    let plugins: std::collections::BTreeSet<&str> = ctx
        .config
        .projects
        .values()
        .flat_map(|p| [&p.tracker, &p.scm])
        .filter(|r| !r.is_local())
        .map(|r| r.plugin.as_str())
        .collect();
    let database = ao_core::state::database_path(&ctx.paths.data);
    let mut checks = Vec::new();
    for plugin in plugins {
        let Ok(mut kv) = ao_plugin_host::kv_store::KvStore::open(&database, plugin) else {
            continue;
        };
        for key in ["ratelimit", "ratelimit.graphql", "ratelimit.complexity"] {
            let Some(seen) = kv
                .get(key)
                .ok()
                .flatten()
                .and_then(|v| serde_json::from_str::<serde_json::Value>(&v).ok())
            else {
                continue;
            };
            let remaining = seen["remaining"].as_u64().unwrap_or(0);
            let limit = seen["limit"].as_u64().unwrap_or(0).max(1);
            let reset_in =
                (seen["resetAt"].as_i64().unwrap_or(0) - ao_core::state::now_ms()).max(0) / 60_000;
            let ok = remaining * 10 >= limit;
            // The plugin names the budget: GitHub's `core`, GitLab's `rest`,
            // Linear's `requests` and `complexity`.
            let api = match seen["resource"].as_str().unwrap_or("") {
                "core" | "rest" | "" => "REST".to_string(),
                "graphql" => "GraphQL".to_string(),
                "requests" => "API requests".to_string(),
                "complexity" => "API complexity".to_string(),
                other => other.to_string(),
            };
            checks.push(Check {
                name: format!("{plugin} {api} quota"),
                ok,
                detail: format!("{remaining}/{limit} left, resets in {reset_in} min (last seen by ao)"),
                fix: (!ok).then(|| {
                    "ao slows down on its own; fewer sessions or a token with a higher limit help".to_string()
                }),
                required: false,
            });
        }
    }
    checks
}

pub fn run(config: Option<PathBuf>, json: bool) -> Result<()> {
    let mut checks = vec![
        tool(
            "git",
            "git",
            "--version",
            "install git (Debian/Ubuntu: sudo apt-get install git; macOS: xcode-select --install)",
            true,
        ),
        tool(
            "tmux",
            "tmux",
            "-V",
            "install tmux (Debian/Ubuntu: sudo apt-get install tmux; macOS: brew install tmux)",
            true,
        ),
    ];
    let ctx = match Context::new(config) {
        Ok(ctx) => {
            let source = ctx.config.source.as_ref().and_then(|s| s.file.clone());
            checks.push(Check {
                name: "config".into(),
                ok: true,
                detail: match &source {
                    Some(f) => format!(
                        "{} ({} project(s), {} notifier(s))",
                        f.display(),
                        ctx.config.projects.len(),
                        ctx.config.notifiers.len()
                    ),
                    None => "no agent-orchestrator.yaml found; using defaults".into(),
                },
                fix: source
                    .is_none()
                    .then(|| "run `ao init` in your repository".into()),
                required: false,
            });
            Some(ctx)
        }
        Err(e) => {
            checks.push(Check {
                name: "config".into(),
                ok: false,
                detail: e.message.clone(),
                fix: e.hints.first().cloned(),
                required: true,
            });
            None
        }
    };
    if let Some(ctx) = &ctx {
        let catalog = ctx.catalog();
        checks.push(Check {
            name: "plugins".into(),
            ok: catalog.failures.is_empty(),
            detail: format!(
                "{} loaded{}",
                catalog.plugins.len(),
                if catalog.failures.is_empty() {
                    String::new()
                } else {
                    format!(", {} failed", catalog.failures.len())
                }
            ),
            fix: catalog.failures.first().map(|f| f.error.to_string()),
            required: true,
        });
        // The agents the config uses are required; the others are informative.
        let used: Vec<&str> = ctx
            .config
            .projects
            .values()
            .map(|p| p.agent.as_str())
            .collect();
        for (agent, program, fix) in AGENT_CLIS {
            let mut check = tool(
                &format!("agent {agent}"),
                program,
                "--version",
                fix,
                used.contains(agent),
            );
            if !check.ok && !check.required {
                check.detail.push_str(" (not used by any project)");
            }
            checks.push(check);
        }
        checks.extend(providers::checks(ctx, &catalog));
        checks.extend(api_quotas(ctx));
        for project in ctx.config.projects.values() {
            let ok = project.path.join(".git").exists();
            checks.push(Check {
                name: format!("project {}", project.id),
                ok,
                detail: if ok {
                    project.path.display().to_string()
                } else {
                    format!("{} is not a git checkout", project.path.display())
                },
                fix: (!ok).then(|| {
                    format!(
                        "set projects.{}.path to the repository's main checkout",
                        project.id
                    )
                }),
                required: true,
            });
        }
    }

    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "checks": checks })).unwrap()
        );
    } else {
        let s = ui::styles();
        for c in &checks {
            let (mark, style) = match (c.ok, c.required) {
                (true, _) => ("✓", s.ok),
                (false, true) => ("✗", s.bad),
                (false, false) => ("!", s.hint),
            };
            println!(
                "{}{mark}{} {:<22} {}",
                style.render(),
                style.render_reset(),
                c.name,
                c.detail
            );
            if let Some(fix) = c.fix.as_ref().filter(|_| !c.ok || c.name == "config") {
                println!("  {}fix:{} {fix}", s.hint.render(), s.hint.render_reset());
            }
        }
    }
    let failed = checks.iter().filter(|c| !c.ok && c.required).count();
    if failed > 0 {
        return Err(CommandError::external(format!(
            "{failed} required check(s) failed"
        )));
    }
    Ok(())
}
