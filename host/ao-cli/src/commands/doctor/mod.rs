//! `ao doctor`: every prerequisite, checked, each failure with its fix.

mod database;
mod providers;

pub use database::repair;

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

/// The first line a program prints for `arg` (`--version`), or `None` if it
/// is missing, fails, or has not answered within 5 s (it is killed then: an
/// agent CLI that ignores `--version` and starts must not hang the doctor).
fn version_of(program: &str, arg: &str) -> Option<String> {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let mut child = Command::new(program)
        .arg(arg)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait().ok()?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().ok()?;
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
    ("gemini", "gemini", "npm install -g @google/gemini-cli"),
    ("copilot", "copilot", "npm install -g @github/copilot"),
];

/// Whether Claude Code trusts the project's checkout (`~/.claude.json`,
/// `projects.<path>.hasTrustDialogAccepted`). Its worktrees inherit that
/// trust; without it every session stops at Claude Code's "trust this
/// folder?" dialog (default: "No, exit") until a person answers. ao does not
/// answer it for you. `None` when Claude Code has no config yet.
fn claude_trust(project: &str, path: &std::path::Path) -> Option<Check> {
    let home = std::env::var_os("HOME")?;
    let text = std::fs::read_to_string(std::path::Path::new(&home).join(".claude.json")).ok()?;
    let config: serde_json::Value = serde_json::from_str(&text).ok()?;
    let key = path.display().to_string();
    let trusted = config["projects"][key.as_str()]["hasTrustDialogAccepted"] == true;
    Some(Check {
        name: format!("claude trust {project}"),
        ok: trusted,
        detail: if trusted {
            format!("Claude Code trusts {key} (and so its worktrees)")
        } else {
            format!("Claude Code has not been told to trust {key}")
        },
        fix: (!trusted).then(|| {
            format!(
                "run `claude` once in {key} and choose \"Yes, I trust this folder\"; until then each session waits at that question (status needs_input)"
            )
        }),
        required: false,
    })
}

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
    checks.push(database::check(&ao_core::Paths::from_env()));
    if let Some(ctx) = &ctx {
        if let Some(file) = &ctx.trust.file {
            let state = ctx.trust.state;
            let ok = ctx.trust.ignored.is_empty();
            let detail = match state {
                ao_core::trust::TrustState::User => "your own config".to_string(),
                ao_core::trust::TrustState::Trusted => format!("trusted: {}", file.display()),
                _ if ok => "not trusted; it asks for nothing that needs trust".to_string(),
                ao_core::trust::TrustState::Changed => format!(
                    "changed since you trusted it; ignoring {}",
                    ctx.trust.ignored.join(", ")
                ),
                _ => format!("not trusted; ignoring {}", ctx.trust.ignored.join(", ")),
            };
            checks.push(Check {
                name: "trust".into(),
                ok,
                detail,
                fix: (!ok).then(|| format!("review {}, then run `ao trust`", file.display())),
                required: false,
            });
        }
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
        for d in &catalog.plugins {
            if let Some(warning) = d.shadow_warning() {
                checks.push(Check {
                    name: format!("plugin {}", d.plugin.manifest().name),
                    ok: false,
                    detail: warning,
                    fix: Some(format!(
                        "remove {} unless you meant to replace the built-in",
                        d.source
                    )),
                    required: false,
                });
            }
        }
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
        for project in ctx.config.projects.values() {
            if let Some(why) = ao_sessions::launch_refusal(&project.agent, project.permissions) {
                checks.push(Check {
                    name: format!("permissions {}", project.id),
                    ok: false,
                    detail: format!(
                        "{} with `permissions: {}` would not start",
                        project.agent,
                        project.permissions.as_str()
                    ),
                    fix: Some(why),
                    required: true,
                });
            }
        }
        for project in ctx
            .config
            .projects
            .values()
            .filter(|p| p.agent == "claude-code")
        {
            if let Some(check) = claude_trust(&project.id, &project.path) {
                checks.push(check);
            }
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
