//! Builds every crate of `plugins-wasm/` for `wasm32-wasip2` (like wasmtime's
//! test-programs artifacts) and generates:
//! - `BUILTINS`: the first-party plugins, embedded with `include_bytes!`;
//! - `fixtures::*`: paths of the test fixtures, for the host's tests.
//!
//! The guest workspace has its own target directory (`target/plugins-wasm`),
//! so building it never contends with, or rebuilds, the host.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A first-party plugin shipped in the binary: its crate and default grant
/// (what it gets when `plugins.<name>.grant` is absent from the config).
struct Shipped {
    krate: &'static str,
    http: &'static [&'static str],
    programs: &'static [&'static str],
    read_dirs: &'static [&'static str],
    secrets: &'static [&'static str],
    kv: bool,
}

impl Shipped {
    const fn new(krate: &'static str) -> Self {
        Shipped {
            krate,
            http: &[],
            programs: &[],
            read_dirs: &[],
            secrets: &[],
            kv: false,
        }
    }
    /// Hosts it may reach.
    const fn http(mut self, hosts: &'static [&'static str]) -> Self {
        self.http = hosts;
        self
    }
    /// Programs it may run.
    const fn programs(mut self, programs: &'static [&'static str]) -> Self {
        self.programs = programs;
        self
    }
    /// Directories it may read.
    const fn read_dirs(mut self, dirs: &'static [&'static str]) -> Self {
        self.read_dirs = dirs;
        self
    }
    /// Secrets it may use.
    const fn secrets(mut self, names: &'static [&'static str]) -> Self {
        self.secrets = names;
        self
    }
    /// Its private key-value store.
    const fn kv(mut self) -> Self {
        self.kv = true;
        self
    }
}

const SHIPPED: &[Shipped] = &[
    Shipped::new("notifier-webhook"),
    Shipped::new("notifier-slack").http(&["hooks.slack.com"]),
    Shipped::new("notifier-discord").http(&["discord.com", "discordapp.com"]),
    Shipped::new("notifier-desktop").programs(&["notify-send", "osascript"]),
    // Agents: the keys their programs get from ao's environment (see
    // ao-sessions' agent_env); nothing else of it reaches them.
    Shipped::new("agent-claude-code")
        .read_dirs(&["~/.claude/projects"])
        // IS_SANDBOX: the user's word that this machine is disposable (root
        // may bypass permissions); DISABLE_*: its telemetry and update switches.
        .secrets(&["ANTHROPIC_*", "CLAUDE_*", "IS_SANDBOX", "DISABLE_*"]),
    Shipped::new("agent-custom"),
    Shipped::new("agent-codex")
        .read_dirs(&["~/.codex/sessions"])
        .secrets(&["OPENAI_*", "CODEX_*"]),
    // $WORKSPACE: the chat history ao keeps there.
    Shipped::new("agent-aider")
        .read_dirs(&["$WORKSPACE"])
        .secrets(&[
            "AIDER_*",
            "OPENAI_*",
            "ANTHROPIC_*",
            "GEMINI_*",
            "OPENROUTER_*",
        ]),
    // $WORKSPACE: the record its bridge plugin writes there.
    Shipped::new("agent-opencode")
        .read_dirs(&["$WORKSPACE"])
        .secrets(&[
            "OPENCODE_*",
            "ANTHROPIC_*",
            "OPENAI_*",
            "GEMINI_*",
            "GOOGLE_*",
        ]),
    Shipped::new("agent-cursor").secrets(&["CURSOR_*"]),
    Shipped::new("agent-gemini")
        .read_dirs(&["~/.gemini/tmp"])
        .secrets(&["GEMINI_*", "GOOGLE_*"]),
    // COPILOT_GITHUB_TOKEN (under COPILOT_*) or GH_TOKEN sign it in;
    // GITHUB_TOKEN stays the GitHub plugin's.
    Shipped::new("agent-copilot")
        .read_dirs(&["~/.copilot/session-state"])
        .secrets(&["COPILOT_*", "GH_TOKEN"]),
    Shipped::new("github")
        .http(&["api.github.com"])
        .secrets(&["GITHUB_TOKEN"])
        .kv(),
    Shipped::new("gitlab")
        .http(&["gitlab.com"])
        .secrets(&["GITLAB_TOKEN"])
        .kv(),
    Shipped::new("linear")
        .http(&["api.linear.app"])
        .secrets(&["LINEAR_API_KEY"])
        .kv(),
];

/// Test-only fixtures: built, never shipped.
const FIXTURES: &[&str] = &[
    "hostile",
    "slow-manifest",
    "bad-manifest",
    "future-version",
    "no-exports",
    "garbage",
];

use sha2::Digest;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.join("../..").canonicalize().unwrap();
    let guest_ws = root.join("plugins-wasm");
    let target_dir = root.join("target/plugins-wasm");
    for dir in ["plugins-wasm", "sdk/rust", "wit"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }

    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(&guest_ws)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--workspace",
        ])
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer build's flags are for the host, not for wasm guests.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_PROFILE_RELEASE_DEBUG",
        "CARGO_PROFILE_RELEASE_INCREMENTAL",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run {cargo}: {e}"));
    if !status.success() {
        panic!(
            "building the WebAssembly plugins in plugins-wasm/ failed.\n\
             If the error above says the target is missing, run: rustup target add wasm32-wasip2"
        );
    }

    let out_dir = target_dir.join("wasm32-wasip2/release");
    let wasm = |krate: &str| -> PathBuf {
        let path = out_dir.join(format!("{}.wasm", krate.replace('-', "_")));
        assert!(
            path.exists(),
            "expected {} after building plugins-wasm",
            path.display()
        );
        path
    };

    let mut code = String::from(
        "/// First-party plugins, embedded at build time.\npub fn builtins() -> Vec<Builtin> {\n    vec![\n",
    );
    for shipped in SHIPPED {
        let Shipped {
            krate,
            http,
            programs,
            read_dirs,
            secrets,
            kv,
        } = shipped;
        let file = krate
            .strip_prefix("notifier-")
            .or_else(|| krate.strip_prefix("agent-"))
            .unwrap_or(krate);
        let path = wasm(krate);
        let bytes = std::fs::read(&path).unwrap();
        let sha256: [u8; 32] = sha2::Sha256::digest(&bytes).into();
        code.push_str(&format!(
            "        Builtin {{ file_name: \"{file}.wasm\", wasm: include_bytes!({path:?}), sha256: {sha256:?}, http: &{http:?}, programs: &{programs:?}, read_dirs: &{read_dirs:?}, secrets: &{secrets:?}, kv: {kv} }},\n",
        ));
    }
    code.push_str("    ]\n}\n\n/// Test fixtures (never shipped): paths of built components.\npub mod fixtures {\n");
    for fixture in FIXTURES {
        let name = fixture.replace('-', "_").to_uppercase();
        code.push_str(&format!(
            "    pub const {name}: &str = {:?};\n",
            wasm(&format!("fixture-{fixture}"))
        ));
    }
    code.push_str("}\n");
    let generated = Path::new(&env::var("OUT_DIR").unwrap()).join("builtins.rs");
    std::fs::write(generated, code).unwrap();
}
