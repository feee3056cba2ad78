//! Runs the real `ao` binary with an isolated HOME, config and data
//! directory, so tests never touch the developer's own setup.

use std::path::PathBuf;
use std::process::{Command, Output};

/// An isolated environment for `ao`.
pub struct AoEnv {
    pub dir: tempfile::TempDir,
}

/// The `ao` binary of the same build: next to this executable (the bench
/// binary) or one level up (test executables live in `deps/`).
pub fn ao_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let name = format!("ao{}", std::env::consts::EXE_SUFFIX);
    let here = exe.parent().unwrap();
    let ao = [here, here.parent().unwrap_or(here)]
        .iter()
        .map(|dir| dir.join(&name))
        .find(|p| p.exists())
        .unwrap_or_else(|| here.join(&name));
    assert!(
        ao.exists(),
        "{} not found: run ./scripts/test, or `cargo build --release --workspace --all-targets` first",
        ao.display()
    );
    ao
}

impl AoEnv {
    pub fn new() -> AoEnv {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["home", "config", "data", "cache", "work"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        AoEnv { dir }
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The directory `ao` runs in (where `agent-orchestrator.yaml` goes).
    /// ao's `XDG_CONFIG_HOME`, which its agents get too.
    pub fn xdg_config(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// The user's plugin directory.
    pub fn user_plugins(&self) -> PathBuf {
        self.dir.path().join("config/ao/plugins")
    }

    /// Writes the config the tests' `ao` finds and trusts it, as its user
    /// would (`ao trust`): a config in a working directory is a
    /// repository's, whose grants apply only once trusted.
    pub fn write_config(&self, yaml: &str) -> PathBuf {
        let path = self.write_untrusted_config(yaml);
        // An invalid config cannot be trusted; the test is about its error.
        let _ = self.run(&["trust"]);
        path
    }

    /// Writes the config without trusting it (as a cloned repository has it).
    pub fn write_untrusted_config(&self, yaml: &str) -> PathBuf {
        let path = self.work().join("agent-orchestrator.yaml");
        std::fs::write(&path, yaml).unwrap();
        path
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(ao_path());
        cmd.current_dir(self.work())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.xdg_config())
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .env("NO_COLOR", "1");
        cmd
    }

    /// Runs `ao ARGS` and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }
}

impl Default for AoEnv {
    fn default() -> Self {
        Self::new()
    }
}

/// stdout, stderr and status in one string, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "status: {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
