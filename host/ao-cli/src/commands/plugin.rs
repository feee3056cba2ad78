//! `ao plugin ls | info | check | install` (and `new | build | test` in plugin_dev.rs).

use crate::cli::PluginCommand;
use crate::context::Context;
use crate::error::{CommandError, Result};
use crate::ui;
use anstream::{eprintln, print, println};
use ao_plugin_host::discovery::{Discovered, PluginSource};
use ao_plugin_host::{Capabilities, LoadedPlugin};
use serde_json::json;
use std::path::{Path, PathBuf};

pub fn run(config: Option<PathBuf>, cmd: PluginCommand) -> Result<()> {
    // Authoring commands (ao-plugin-build, ao-conformance): no config needed to write or build.
    match cmd {
        PluginCommand::New {
            name,
            world,
            lang,
            dir,
        } => return super::plugin_dev::new(&name, &world, &lang, dir),
        PluginCommand::Build { dir } => return super::plugin_dev::build(dir),
        PluginCommand::Test { file, json } => {
            return super::plugin_dev::test(&Context::new(config)?, &file, json);
        }
        _ => {}
    }
    let ctx = Context::new(config)?;
    match cmd {
        PluginCommand::Ls { json } => ls(&ctx, json),
        PluginCommand::Info { name, json } => info(&ctx, &name, json),
        PluginCommand::Check { file, json } => check(&ctx, &file, json),
        PluginCommand::Install {
            file,
            project,
            force,
            replace,
        } => install(&ctx, &file, project, force, replace),
        PluginCommand::New { .. } | PluginCommand::Build { .. } | PluginCommand::Test { .. } => {
            unreachable!("handled above")
        }
    }
}

/// `http: a, b · secrets: X → api.github.com`, or `none`.
fn summarize(c: &Capabilities) -> String {
    let mut parts = Vec::new();
    let secrets: Vec<String> = c
        .secrets
        .iter()
        .map(|name| match c.secret_use.get(name) {
            Some(u) => {
                // No host: it goes nowhere over HTTP (an agent's key, passed
                // to its program).
                let hosts = u.hosts.clone().unwrap_or_default();
                let mut text = if hosts.is_empty() {
                    name.clone()
                } else {
                    format!("{name} → {}", hosts.join("|"))
                };
                if u.read {
                    text.push_str(" (readable)");
                }
                text
            }
            None => name.clone(),
        })
        .collect();
    for (label, items) in [
        ("http", &c.http),
        ("secrets", &secrets),
        ("programs", &c.programs),
        ("read", &c.read_dirs),
    ] {
        if !items.is_empty() {
            parts.push(format!("{label}: {}", items.join(", ")));
        }
    }
    if c.kv {
        parts.push("kv".into());
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(" · ")
    }
}

fn plugin_json(ctx: &Context, d: &Discovered) -> serde_json::Value {
    let m = d.plugin.manifest();
    let effective = Capabilities::effective(&m.requested, &ctx.grant_for(d));
    json!({
        "name": m.name,
        "version": m.version,
        "description": m.description,
        "roles": m.roles,
        "witVersion": d.plugin.surface().wit_version,
        "hostImports": d.plugin.surface().host_imports,
        "source": d.source,
        "requested": m.requested,
        "granted": effective,
        "overrides": d.overrides,
        "shadowsBuiltin": d.shadows_builtin,
        "readsWorkspace": effective.reads_workspace(),
    })
}

fn ls(ctx: &Context, as_json: bool) -> Result<()> {
    let catalog = ctx.catalog();
    if as_json {
        let plugins: Vec<_> = catalog
            .plugins
            .iter()
            .map(|d| plugin_json(ctx, d))
            .collect();
        let failures: Vec<_> = catalog
            .failures
            .iter()
            .map(|f| json!({ "source": f.source, "error": f.error.to_string() }))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "plugins": plugins, "failures": failures }))
                .unwrap()
        );
        return Ok(());
    }
    let rows: Vec<Vec<String>> = catalog
        .plugins
        .iter()
        .map(|d| {
            let m = d.plugin.manifest();
            let mut source = match &d.source {
                PluginSource::Builtin => "built-in".to_string(),
                PluginSource::User(p) => format!("user ({})", p.display()),
                PluginSource::Project(p) => format!("project ({})", p.display()),
            };
            if d.shadows_builtin {
                source.push_str(" REPLACES BUILT-IN");
            }
            let effective = Capabilities::effective(&m.requested, &ctx.grant_for(d));
            vec![
                m.name.clone(),
                m.roles.join("+"),
                m.version.clone(),
                source,
                summarize(&m.requested),
                summarize(&effective),
            ]
        })
        .collect();
    print!(
        "{}",
        ui::table(
            &["NAME", "ROLES", "VERSION", "SOURCE", "REQUESTS", "GRANTED"],
            &rows
        )
    );
    warn_shadowing(&catalog);
    for failure in &catalog.failures {
        let s = ui::styles();
        eprintln!(
            "{}skipped:{} {}",
            s.bad.render(),
            s.bad.render_reset(),
            failure.error
        );
    }
    Ok(())
}

/// One warning per plugin that takes a built-in's name.
pub fn warn_shadowing(catalog: &ao_plugin_host::Catalog) {
    let s = ui::styles();
    for warning in catalog.plugins.iter().filter_map(|d| d.shadow_warning()) {
        eprintln!(
            "{}warning:{} {warning}",
            s.bad.render(),
            s.bad.render_reset()
        );
    }
}

fn info(ctx: &Context, name: &str, as_json: bool) -> Result<()> {
    let catalog = ctx.catalog();
    let Some(d) = catalog.get(name) else {
        let known: Vec<&str> = catalog
            .plugins
            .iter()
            .map(|d| d.plugin.manifest().name.as_str())
            .collect();
        return Err(CommandError::user(format!("no plugin named `{name}`"))
            .hint(format!("installed plugins: {}", known.join(", "))));
    };
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&plugin_json(ctx, d)).unwrap()
        );
        return Ok(());
    }
    let m = d.plugin.manifest();
    let effective = Capabilities::effective(&m.requested, &ctx.grant_for(d));
    println!("{} {}", m.name, m.version);
    println!("  {}", m.description);
    println!("  roles:        {}", m.roles.join(", "));
    println!(
        "  wit:          ao:plugin@{}",
        d.plugin.surface().wit_version
    );
    println!(
        "  uses:         {}",
        d.plugin.surface().host_imports.join(", ")
    );
    println!("  source:       {}", d.source);
    if let Some(o) = &d.overrides {
        println!("  overrides:    {o}");
    }
    if let Some(warning) = d.shadow_warning() {
        println!("  WARNING:      {warning}");
    }
    println!("  requests:     {}", summarize(&m.requested));
    println!("  granted:      {}", summarize(&effective));
    if m.roles.iter().any(|r| r == "agent") {
        println!(
            "  workspace:    {}",
            if effective.reads_workspace() {
                "reads each session's workspace (granted `$WORKSPACE`)"
            } else {
                "cannot read session workspaces (it would request `$WORKSPACE` in readDirs)"
            }
        );
        let env = if effective.secrets.is_empty() {
            "none of ao's secrets".to_string()
        } else {
            effective.secrets.join(", ")
        };
        println!("  agent env:    PATH, HOME, TERM, LANG and its own keys: {env}");
    }
    let not_granted = not_granted(&m.requested, &effective);
    if !not_granted.is_empty() {
        println!(
            "  not granted:  {} (grant under plugins.{}.grant in agent-orchestrator.yaml, e.g.:)",
            not_granted.join(", "),
            m.name
        );
        for line in grant_snippet(&m.name, &m.requested).lines() {
            println!("    {line}");
        }
    }
    Ok(())
}

/// Concrete requested items the effective set lacks (wildcards excluded).
fn not_granted(requested: &Capabilities, effective: &Capabilities) -> Vec<String> {
    let mut out = Vec::new();
    for (label, req, eff) in [
        ("http", &requested.http, &effective.http),
        ("secrets", &requested.secrets, &effective.secrets),
        ("programs", &requested.programs, &effective.programs),
        ("readDirs", &requested.read_dirs, &effective.read_dirs),
    ] {
        for item in req.iter().filter(|i| *i != "*" && !eff.contains(i)) {
            out.push(format!("{label} {item}"));
        }
    }
    if requested.kv && !effective.kv {
        out.push("kv".into());
    }
    out
}

fn load_file(ctx: &Context, file: &Path) -> Result<LoadedPlugin> {
    let bytes = std::fs::read(file)
        .map_err(|e| CommandError::user(format!("{}: cannot read: {e}", file.display())))?;
    Ok(LoadedPlugin::load(
        &ctx.engine,
        &ctx.cache,
        &bytes,
        &file.display().to_string(),
    )?)
}

fn print_manifest(plugin: &LoadedPlugin) {
    let m = plugin.manifest();
    println!("{} {} — {}", m.name, m.version, m.description);
    println!("  roles:    {}", m.roles.join(", "));
    println!("  wit:      ao:plugin@{}", plugin.surface().wit_version);
    println!("  uses:     {}", plugin.surface().host_imports.join(", "));
    println!("  requests: {}", summarize(&m.requested));
}

fn check(ctx: &Context, file: &Path, as_json: bool) -> Result<()> {
    let plugin = load_file(ctx, file)?;
    if as_json {
        let m = plugin.manifest();
        let out = json!({
            "name": m.name, "version": m.version, "description": m.description, "roles": m.roles,
            "witVersion": plugin.surface().wit_version, "hostImports": plugin.surface().host_imports,
            "requested": m.requested, "loadMs": plugin.load_time().as_secs_f64() * 1000.0,
        });
        println!("{}", serde_json::to_string_pretty(&out).unwrap());
    } else {
        let s = ui::styles();
        println!(
            "{}valid{} {}",
            s.ok.render(),
            s.ok.render_reset(),
            file.display()
        );
        print_manifest(&plugin);
    }
    Ok(())
}

/// A YAML flow sequence of quoted strings (`*` alone is not valid YAML).
fn yaml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|i| serde_json::to_string(i).unwrap_or_default())
        .collect();
    format!("[{}]", quoted.join(", "))
}

/// The grant block to paste under `plugins:`, for what `requested` asks.
pub fn grant_snippet(name: &str, requested: &Capabilities) -> String {
    let mut out = format!("plugins:\n  {name}:\n    grant:\n");
    for (key, items) in [
        ("http", &requested.http),
        ("secrets", &requested.secrets),
        ("programs", &requested.programs),
        ("readDirs", &requested.read_dirs),
    ] {
        if !items.is_empty() {
            out.push_str(&format!("      {key}: {}\n", yaml_list(items)));
        }
    }
    if requested.kv {
        out.push_str("      kv: true\n");
    }
    out
}

fn install(ctx: &Context, file: &Path, project: bool, force: bool, replace: bool) -> Result<()> {
    let plugin = load_file(ctx, file)?;
    let name = plugin.manifest().name.clone();
    let dir = if project {
        ctx.project_plugins().ok_or_else(|| {
            CommandError::user(
                "--project needs a project: no agent-orchestrator.yaml was found here or above",
            )
            .hint("run it inside the project, or pass --config PATH")
        })?
    } else {
        ctx.paths.user_plugins.clone()
    };
    let target = dir.join(format!("{name}.wasm"));
    let catalog = ctx.catalog();
    if let Some(existing) = catalog.get(&name) {
        let builtin = existing.source == PluginSource::Builtin || existing.shadows_builtin;
        if builtin && !replace {
            return Err(CommandError::user(format!(
                "`{name}` is the name of a plugin built into ao: installing this file would \
                 replace the built-in {name} wherever a config names it (its settings, e.g. a webhook URL, go to this file)"
            ))
            .hint(format!(
                "if that is what you want, pass --replace; otherwise rebuild the plugin under another name than `{name}`"
            )));
        }
        let replaces_file = !matches!(existing.source, PluginSource::Builtin);
        if replaces_file && !force {
            return Err(CommandError::user(format!(
                "a plugin named `{name}` is already installed ({})",
                existing.source
            ))
            .hint("pass --force to replace it"));
        }
    }
    std::fs::create_dir_all(&dir)?;
    // Copy to a temporary name, then rename: a half-written plugin is never loaded.
    let tmp = dir.join(format!(".{name}.wasm.partial"));
    std::fs::copy(file, &tmp)?;
    std::fs::rename(&tmp, &target)?;

    let s = ui::styles();
    println!(
        "{}installed{} {} → {}",
        s.ok.render(),
        s.ok.render_reset(),
        name,
        target.display()
    );
    if project {
        println!(
            "The repository's plugins changed: run `ao trust` to use it (and to keep this config's grants)"
        );
    }
    print_manifest(&plugin);
    if replace
        && catalog
            .get(&name)
            .is_some_and(|d| d.source == PluginSource::Builtin)
    {
        eprintln!(
            "{}warning:{} `{name}` now replaces the built-in plugin of that name; `ao plugin ls`, `ao doctor` and `ao start` say so",
            s.bad.render(),
            s.bad.render_reset()
        );
    }
    let requested = &plugin.manifest().requested;
    if !requested.is_empty() {
        println!();
        println!(
            "It gets nothing until you grant it. To allow what it requests, add to agent-orchestrator.yaml:"
        );
        print!("{}", grant_snippet(&name, requested));
    }
    Ok(())
}
