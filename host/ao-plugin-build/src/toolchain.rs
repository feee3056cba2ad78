//! `ao plugin build DIR`: the language's own toolchain first (cargo, go, npm),
//! then whatever the result needs to be an `ao:plugin` component.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The language of a plugin project, from the files at its root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// `Cargo.toml`: built for `wasm32-wasip2`, which emits a component.
    Rust,
    /// `go.mod`: a wasip1 core module, componentized by ao.
    Go,
    /// `package.json`: bundled and componentized by the JS SDK (QuickJS).
    Js,
}

impl Lang {
    /// `rust`, `go`, `js`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "rust" | "rs" => Some(Lang::Rust),
            "go" | "golang" => Some(Lang::Go),
            "js" | "javascript" | "ts" | "typescript" => Some(Lang::Js),
            _ => None,
        }
    }

    /// Which language the project in `dir` is written in.
    pub fn detect(dir: &Path) -> Result<Lang> {
        if dir.join("Cargo.toml").is_file() {
            Ok(Lang::Rust)
        } else if dir.join("go.mod").is_file() {
            Ok(Lang::Go)
        } else if dir.join("package.json").is_file() {
            Ok(Lang::Js)
        } else {
            bail!(
                "{}: no Cargo.toml, go.mod or package.json here, so no plugin project to build \
                 (create one with `ao plugin new NAME --world W --lang rust|go|js`)",
                dir.display()
            )
        }
    }
}

/// What a build made.
#[derive(Debug)]
pub struct Built {
    /// The component, `DIR/<dir name>.wasm`.
    pub wasm: PathBuf,
    /// The project's language.
    pub lang: Lang,
}

/// The output file of a project: `DIR/<dir name>.wasm`.
pub fn output_path(dir: &Path) -> Result<PathBuf> {
    let dir = dir
        .canonicalize()
        .with_context(|| format!("{}: no such directory", dir.display()))?;
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .context("the project directory has no name")?
        .to_string();
    Ok(dir.join(format!("{name}.wasm")))
}

/// A tool on PATH, or a message saying how to install it.
fn require(program: &str, install: &str) -> Result<()> {
    match Command::new(program).arg("--version").output() {
        Ok(_) => Ok(()),
        Err(_) => bail!("`{program}` was not found on PATH; install it: {install}"),
    }
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("{what}: could not start {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("{what} failed ({status}); its output is above");
    }
    Ok(())
}

/// Builds the plugin project in `dir` into `DIR/<dir name>.wasm`.
pub fn build(dir: &Path) -> Result<Built> {
    let lang = Lang::detect(dir)?;
    let out = output_path(dir)?;
    match lang {
        Lang::Rust => build_rust(dir, &out)?,
        Lang::Go => build_go(dir, &out)?,
        Lang::Js => build_js(dir, &out)?,
    }
    Ok(Built { wasm: out, lang })
}

fn build_rust(dir: &Path, out: &Path) -> Result<()> {
    require(
        "cargo",
        "https://rustup.rs, then `rustup target add wasm32-wasip2`",
    )?;
    let targets = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    if let Ok(t) = targets
        && !String::from_utf8_lossy(&t.stdout).contains("wasm32-wasip2")
    {
        bail!(
            "the Rust target wasm32-wasip2 is not installed; install it: rustup target add wasm32-wasip2"
        );
    }
    // CARGO_TARGET_DIR (shared by several plugins) wins over DIR/target.
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("target"));
    run(
        Command::new("cargo")
            .current_dir(dir)
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-wasip2",
                "--target-dir",
            ])
            .arg(&target_dir),
        "cargo build",
    )?;
    let release = target_dir.join("wasm32-wasip2/release");
    let name = cargo_package_name(dir)?.replace('-', "_");
    let built = release.join(format!("{name}.wasm"));
    std::fs::copy(&built, out).with_context(|| {
        format!(
            "{}: cargo built no such file (is `crate-type = [\"cdylib\"]` set in Cargo.toml?)",
            built.display()
        )
    })?;
    Ok(())
}

/// `name = "..."` of the `[package]` table.
fn cargo_package_name(dir: &Path) -> Result<String> {
    let text = std::fs::read_to_string(dir.join("Cargo.toml"))?;
    let mut in_package = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package
            && let Some(rest) = line.strip_prefix("name")
            && let Some(value) = rest.trim_start().strip_prefix('=')
        {
            return Ok(value.trim().trim_matches('"').to_string());
        }
    }
    bail!(
        "{}: no `name` under [package]",
        dir.join("Cargo.toml").display()
    )
}

fn build_go(dir: &Path, out: &Path) -> Result<()> {
    require(
        "go",
        "Go 1.25 or newer from https://go.dev/dl (or `apt-get install golang-go` where it is new enough); no TinyGo needed",
    )?;
    let world = go_world(dir)?;
    let tmp = tempfile::tempdir()?;
    let core = tmp.path().join("core.wasm");
    run(
        Command::new("go")
            .current_dir(dir)
            .env("GOOS", "wasip1")
            .env("GOARCH", "wasm")
            .args([
                "build",
                "-buildmode=c-shared",
                "-ldflags=-checklinkname=0 -s -w",
                "-trimpath",
                "-buildvcs=false",
                "-o",
            ])
            .arg(&core)
            .arg("."),
        "go build (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared)",
    )?;
    let bytes = std::fs::read(&core)?;
    let component = crate::componentize::core_module_to_component(&bytes, &world)
        .with_context(|| format!("{}: making a component of the Go module", dir.display()))?;
    std::fs::write(out, component).with_context(|| format!("{}: cannot write", out.display()))?;
    Ok(())
}

/// The world a Go plugin exports: the `sdk/go/worlds/<world>` package it imports.
pub fn go_world(dir: &Path) -> Result<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("go") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        for (short, _) in crate::wit::WORLDS {
            let import = format!("/sdk/go/worlds/{}\"", short.replace('-', ""));
            if text.contains(&import) && !found.contains(short) {
                found.push(*short);
            }
        }
    }
    match found.as_slice() {
        [one] => Ok(one.to_string()),
        [] => bail!(
            "{}: no Go file imports a world package of the SDK (e.g. `.../sdk/go/worlds/tracker`), so ao cannot tell which world to build",
            dir.display()
        ),
        many => bail!(
            "{}: Go files import several world packages ({}); a plugin exports one world (use `trackerscm` for tracker + scm)",
            dir.display(),
            many.join(", ")
        ),
    }
}

fn build_js(dir: &Path, out: &Path) -> Result<()> {
    require(
        "node",
        "Node.js 20 or newer (`apt-get install nodejs npm`, or https://nodejs.org)",
    )?;
    require("npm", "npm comes with Node.js (`apt-get install npm`)")?;
    if !dir.join("node_modules").is_dir() {
        let ci = dir.join("package-lock.json").is_file();
        run(
            Command::new("npm").current_dir(dir).args([
                if ci { "ci" } else { "install" },
                "--no-audit",
                "--no-fund",
            ]),
            "npm install (the SDK and its build tools: esbuild, componentize-qjs)",
        )?;
    }
    run(
        Command::new("npm")
            .current_dir(dir)
            .args(["run", "--silent", "build"]),
        "npm run build",
    )?;
    if !out.is_file() {
        bail!(
            "{}: `npm run build` made no such file; its build script should write `-o {}`",
            out.display(),
            out.file_name().unwrap_or_default().to_string_lossy()
        );
    }
    Ok(())
}
