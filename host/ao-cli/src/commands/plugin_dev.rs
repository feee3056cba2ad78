//! `ao plugin new | build | test`: writing plugins (ao-plugin-build) and
//! holding them to the conformance suite (ao-conformance).

use crate::context::Context;
use crate::error::{CommandError, Result};
use crate::ui;
use anstream::{print, println};
use ao_plugin_build::{scaffold, toolchain};
use ao_plugin_host::LoadedPlugin;
use std::path::{Path, PathBuf};

pub fn new(name: &str, world: &str, lang: &str, dir: Option<PathBuf>) -> Result<()> {
    let lang = toolchain::Lang::parse(lang).ok_or_else(|| {
        CommandError::user(format!("--lang {lang}: unknown language")).hint("use rust, go or js")
    })?;
    let dir = dir.unwrap_or_else(|| PathBuf::from(name));
    let written = scaffold::write(&dir, name, world, lang)
        .map_err(|e| CommandError::user(format!("{e:#}")))?;
    let s = ui::styles();
    println!(
        "{}created{} {} ({} files)",
        s.ok.render(),
        s.ok.render_reset(),
        dir.display(),
        written.len()
    );
    for f in &written {
        println!("  {}", f.display());
    }
    println!();
    println!(
        "Next: ao plugin build {0} && ao plugin test {0}/{1}.wasm",
        dir.display(),
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    );
    Ok(())
}

pub fn build(dir: Option<PathBuf>) -> Result<()> {
    let dir = dir.unwrap_or_else(|| PathBuf::from("."));
    let started = std::time::Instant::now();
    let built = toolchain::build(&dir).map_err(|e| CommandError::user(format!("{e:#}")))?;
    let size = std::fs::metadata(&built.wasm).map(|m| m.len()).unwrap_or(0);
    let s = ui::styles();
    println!(
        "{}built{} {} ({:?}, {} KiB, {:.1} s)",
        s.ok.render(),
        s.ok.render_reset(),
        built.wasm.display(),
        built.lang,
        size / 1024,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub fn test(ctx: &Context, file: &Path, as_json: bool) -> Result<()> {
    let bytes = std::fs::read(file)
        .map_err(|e| CommandError::user(format!("{}: cannot read: {e}", file.display())))?;
    let plugin = LoadedPlugin::load(&ctx.engine, &ctx.cache, &bytes, &file.display().to_string())?;
    let report = ao_conformance::run(&plugin);
    if as_json {
        let checks: Vec<_> = report
            .checks
            .iter()
            .map(|c| serde_json::json!({ "name": c.name, "passed": c.passed, "detail": c.detail, "observed": c.observed }))
            .collect();
        let (passed, failed) = report.counts();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "plugin": report.plugin, "passed": passed, "failed": failed,
                "notCovered": report.not_covered, "checks": checks,
            }))
            .unwrap()
        );
    } else {
        print!("{}", report.render());
    }
    if report.passed() {
        Ok(())
    } else {
        let (_, failed) = report.counts();
        Err(CommandError::external(format!(
            "{}: {failed} conformance check(s) failed",
            file.display()
        ))
        .hint("each FAIL line says what the contract expects and what the plugin returned"))
    }
}
