//! `ao plugin new NAME --world W --lang L`: a ready-to-build project. The
//! templates are ao's own examples (`examples/{tracker,notifier}-{rust,go,js}`),
//! which pass the conformance suite, renamed to NAME; each project gets a
//! README and `test.sh` (build, then `ao plugin test`).

use crate::toolchain::Lang;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// `(path in project, contents)`, with `__NAME__` for the example's name.
type Files = &'static [(&'static str, &'static str)];

const TRACKER_RUST: Files = &[
    (
        "Cargo.toml",
        include_str!("../../../examples/tracker-rust/Cargo.toml"),
    ),
    (
        "src/lib.rs",
        include_str!("../../../examples/tracker-rust/src/lib.rs"),
    ),
];
const NOTIFIER_RUST: Files = &[
    (
        "Cargo.toml",
        include_str!("../../../examples/notifier-rust/Cargo.toml"),
    ),
    (
        "src/lib.rs",
        include_str!("../../../examples/notifier-rust/src/lib.rs"),
    ),
];
const TRACKER_GO: Files = &[
    (
        "go.mod",
        include_str!("../../../examples/tracker-go/go.mod"),
    ),
    (
        "main.go",
        include_str!("../../../examples/tracker-go/main.go"),
    ),
];
const NOTIFIER_GO: Files = &[
    (
        "go.mod",
        include_str!("../../../examples/notifier-go/go.mod"),
    ),
    (
        "main.go",
        include_str!("../../../examples/notifier-go/main.go"),
    ),
];
const TRACKER_JS: Files = &[
    (
        "package.json",
        include_str!("../../../examples/tracker-js/package.json"),
    ),
    (
        "src/plugin.ts",
        include_str!("../../../examples/tracker-js/src/plugin.ts"),
    ),
    (
        "tsconfig.json",
        include_str!("../../../examples/tracker-js/tsconfig.json"),
    ),
];
const NOTIFIER_JS: Files = &[
    (
        "package.json",
        include_str!("../../../examples/notifier-ts/package.json"),
    ),
    (
        "src/plugin.ts",
        include_str!("../../../examples/notifier-ts/src/plugin.ts"),
    ),
    (
        "tsconfig.json",
        include_str!("../../../examples/tracker-js/tsconfig.json"),
    ),
];

/// Where the SDKs are: `AO_SDK_DIR`, else the `sdk/` of the checkout ao was built from.
pub fn sdk_dir() -> Result<PathBuf> {
    let dir = match std::env::var_os("AO_SDK_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sdk"),
    };
    dir.canonicalize().with_context(|| {
        format!(
            "the ao SDKs are not at {}: set AO_SDK_DIR to the `sdk/` directory of an ao checkout",
            dir.display()
        )
    })
}

/// Writes the project; returns the files written.
pub fn write(dir: &Path, name: &str, world: &str, lang: Lang) -> Result<Vec<PathBuf>> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        bail!("plugin name `{name}`: use lowercase letters, digits and `-` ([a-z0-9-]+)");
    }
    let (files, example) = match (world, lang) {
        ("tracker", Lang::Rust) => (TRACKER_RUST, "tracker-rust"),
        ("tracker", Lang::Go) => (TRACKER_GO, "tracker-go"),
        ("tracker", Lang::Js) => (TRACKER_JS, "tracker-js"),
        ("notifier", Lang::Rust) => (NOTIFIER_RUST, "notifier-rust"),
        ("notifier", Lang::Go) => (NOTIFIER_GO, "notifier-go"),
        ("notifier", Lang::Js) => (NOTIFIER_JS, "notifier-ts"),
        (w, _) if crate::wit::world_name(w).is_some() => bail!(
            "--world {w}: ao plugin new has templates for `tracker` and `notifier` so far; \
             for {w}, start from a notifier and implement the `{w}` interface of wit/v0.1.0 \
             (the SDK has its trait/interface)"
        ),
        (w, _) => {
            bail!("--world {w}: unknown world; use tracker, notifier, scm, agent or tracker-scm")
        }
    };
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!(
            "{}: already exists and is not empty; choose another NAME or --dir",
            dir.display()
        );
    }
    let sdk = sdk_dir()?;
    let mut written = Vec::new();
    let fix = |text: &str| -> String {
        text.replace(example, name)
            // Paths to the SDK, relative in the examples, absolute here.
            .replace("../../sdk/", &format!("{}/", sdk.display()))
    };
    for (path, text) in files {
        let target = dir.join(path);
        std::fs::create_dir_all(target.parent().unwrap_or(dir))?;
        std::fs::write(&target, fix(text))
            .with_context(|| format!("{}: cannot write", target.display()))?;
        written.push(target);
    }
    let wasm = format!(
        "{}.wasm",
        dir.file_name().and_then(|n| n.to_str()).unwrap_or(name)
    );
    let readme = format!(
        "# {name}\n\nAn ao {world} plugin in {lang}, made by `ao plugin new`. It starts as ao's example \
         {world} ({example}); change it to talk to your service.\n\n```sh\nao plugin build .          # → {wasm}\n\
         ao plugin test {wasm}      # the conformance suite of its role, against fake services\n\
         ao plugin install {wasm}   # then grant what it asks for in agent-orchestrator.yaml\n```\n\n\
         `./test.sh` runs the first two. The plugin reaches only what its manifest requests *and* you grant: \
         HTTP hosts, secrets, programs.\n",
        lang = match lang {
            Lang::Rust => "Rust (ao-plugin-sdk)",
            Lang::Go => "Go (sdk/go; needs only Go ≥ 1.25 and ao)",
            Lang::Js => "TypeScript (ao-plugin-sdk for JS; needs Node ≥ 20)",
        },
    );
    let readme_path = dir.join("README.md");
    std::fs::write(&readme_path, readme)?;
    written.push(readme_path);
    let test = dir.join("test.sh");
    std::fs::write(
        &test,
        format!(
            "#!/usr/bin/env bash\n# Builds the plugin and runs ao's conformance suite on it.\nset -euo pipefail\ncd \"$(dirname \"$0\")\"\nao plugin build .\nao plugin test {wasm}\n"
        ),
    )?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&test, std::fs::Permissions::from_mode(0o755))?;
    }
    written.push(test);
    Ok(written)
}
