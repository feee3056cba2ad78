//! The real agent CLIs, installed by `scripts/install-agent-clis` into
//! `.cache/agent-clis/bin` at the versions pinned in tests/agent-clis.lock,
//! and what each needs to run offline against the [`ModelServer`]: config
//! files written into a throw-away HOME (onboarding done, folders trusted,
//! update checks and telemetry off) and the environment to start it with.
//! docs/agents/real-clis.md explains every setting.

use crate::model_server::ModelServer;
use std::path::{Path, PathBuf};

/// One of the agent CLIs ao drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agent {
    Claude,
    Codex,
    OpenCode,
    Gemini,
    Aider,
    Copilot,
}

/// The model name each CLI is configured with (Codex needs one it knows,
/// or it leaves out its apply_patch tool).
pub const CODEX_MODEL: &str = "gpt-5.5";
pub const TEST_MODEL: &str = "test-model";

/// Fake keys: the CLIs refuse to start without one; the server never logs
/// them. Claude Code remembers approved keys by their last 20 characters.
const ANTHROPIC_KEY: &str = "sk-ant-ao-tests-0000000000000000000000";
const OTHER_KEY: &str = "ao-tests-key";

impl Agent {
    pub const ALL: [Agent; 6] = [
        Agent::Claude,
        Agent::Codex,
        Agent::OpenCode,
        Agent::Gemini,
        Agent::Aider,
        Agent::Copilot,
    ];

    /// The binary's name in the bin dir (and in tests/agent-clis.lock).
    pub fn binary_name(self) -> &'static str {
        match self {
            Agent::Claude => "claude",
            Agent::Codex => "codex",
            Agent::OpenCode => "opencode",
            Agent::Gemini => "gemini",
            Agent::Aider => "aider",
            Agent::Copilot => "copilot",
        }
    }

    /// The binary, or a panic that says how to install it (tests fail, never
    /// skip, when a CLI is missing).
    pub fn binary(self) -> PathBuf {
        let path = bin_dir().join(self.binary_name());
        assert!(
            path.exists(),
            "{} is missing: run scripts/install-agent-clis (installs the CLIs pinned in tests/agent-clis.lock into .cache/agent-clis)",
            path.display()
        );
        path
    }

    /// The version pinned in tests/agent-clis.lock.
    pub fn pinned_version(self) -> String {
        let lock = repo_root().join("tests/agent-clis.lock");
        let text = std::fs::read_to_string(&lock)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", lock.display()));
        text.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|f| f.len() == 4 && !f[0].starts_with('#') && f[3] == self.binary_name())
            .map(|f| f[2].to_string())
            .unwrap_or_else(|| panic!("{} has no line for {}", lock.display(), self.binary_name()))
    }

    /// Arguments for one non-interactive turn on `prompt` that may edit files
    /// and run commands without asking.
    pub fn headless_args(self, prompt: &str) -> Vec<String> {
        let args: &[&str] = match self {
            // As root this needs IS_SANDBOX=1 (set by `offline_env`).
            Agent::Claude => &["-p", prompt, "--dangerously-skip-permissions"],
            Agent::Codex => &["exec", "--sandbox", "workspace-write", prompt],
            Agent::OpenCode => &["run", prompt],
            // Without --yolo, -p leaves out every tool that would ask.
            Agent::Gemini => &["--yolo", "-p", prompt],
            Agent::Aider => &["--yes-always", "--message", prompt],
            Agent::Copilot => &["-p", prompt, "--allow-all-tools"],
        };
        args.iter().map(|s| s.to_string()).collect()
    }
}

/// The repository root (tests/ is this crate's directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `.cache/agent-clis/bin`, where every CLI's binary is.
pub fn bin_dir() -> PathBuf {
    repo_root().join(".cache/agent-clis/bin")
}

/// Where Copilot CLI unpacks its package (~235 MB): shared by all tests,
/// filled by scripts/install-agent-clis.
pub fn copilot_cache() -> PathBuf {
    repo_root().join(".cache/agent-clis/copilot-cache")
}

/// Writes `agent`'s offline configuration into `home` (a fresh temporary
/// directory) for `trusted` folders, pointed at `server`, and returns the
/// complete environment to start it with (use with `env_clear`): PATH with
/// the bin dir first, HOME and XDG dirs inside `home`, a git identity, and
/// the agent's own variables.
pub fn offline_env(
    agent: Agent,
    home: &Path,
    trusted: &[&Path],
    server: &ModelServer,
) -> Vec<(String, String)> {
    let mut env = base_env(home);
    let set = |env: &mut Vec<(String, String)>, k: &str, v: &str| {
        env.push((k.to_string(), v.to_string()));
    };
    match agent {
        Agent::Claude => {
            write_claude_config(home, trusted);
            set(&mut env, "ANTHROPIC_BASE_URL", &server.url());
            set(&mut env, "ANTHROPIC_API_KEY", ANTHROPIC_KEY);
            // Root may bypass permissions only inside a declared sandbox.
            set(&mut env, "IS_SANDBOX", "1");
            set(&mut env, "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
            set(&mut env, "DISABLE_AUTOUPDATER", "1");
            set(&mut env, "DISABLE_TELEMETRY", "1");
            set(&mut env, "DISABLE_ERROR_REPORTING", "1");
        }
        Agent::Codex => {
            write_codex_config(home, trusted, server);
            set(
                &mut env,
                "CODEX_HOME",
                &home.join(".codex").display().to_string(),
            );
            // The key variable the codex plugin is granted by default.
            set(&mut env, "OPENAI_API_KEY", OTHER_KEY);
        }
        Agent::OpenCode => {
            write_opencode_config(home, server);
            set(&mut env, "OPENCODE_DISABLE_MODELS_FETCH", "1");
            set(&mut env, "OPENCODE_DISABLE_AUTOUPDATE", "1");
            set(&mut env, "OPENCODE_DISABLE_LSP_DOWNLOAD", "1");
            set(&mut env, "OPENCODE_DISABLE_SHARE", "1");
            // OpenCode installs its plugin package into the config dir in the
            // background; a closed local port makes that fail at once.
            set(&mut env, "npm_config_registry", "http://127.0.0.1:9/");
        }
        Agent::Gemini => {
            write_gemini_config(home, trusted);
            set(&mut env, "GOOGLE_GEMINI_BASE_URL", &server.url());
            set(&mut env, "GEMINI_API_KEY", OTHER_KEY);
        }
        Agent::Aider => {
            write_aider_config(home, server);
            set(&mut env, "OPENAI_API_KEY", OTHER_KEY);
        }
        Agent::Copilot => {
            write_copilot_config(home, trusted);
            set(&mut env, "COPILOT_OFFLINE", "true");
            set(&mut env, "COPILOT_PROVIDER_BASE_URL", &server.openai_url());
            set(&mut env, "COPILOT_PROVIDER_API_KEY", OTHER_KEY);
            set(&mut env, "COPILOT_MODEL", TEST_MODEL);
            set(&mut env, "COPILOT_PROVIDER_MAX_PROMPT_TOKENS", "128000");
            set(&mut env, "COPILOT_PROVIDER_MAX_OUTPUT_TOKENS", "8192");
            set(&mut env, "COPILOT_AUTO_UPDATE", "false");
            // The binary unpacks ~235 MB on first start: once, shared.
            set(
                &mut env,
                "COPILOT_PKG_CACHE_HOME",
                &copilot_cache().display().to_string(),
            );
        }
    }
    env
}

fn base_env(home: &Path) -> Vec<(String, String)> {
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into())
    );
    let h = |sub: &str| home.join(sub).display().to_string();
    write(
        &home.join(".gitconfig"),
        "[user]\n\tname = ao tests\n\temail = ao-tests@example.com\n[init]\n\tdefaultBranch = main\n",
    );
    [
        ("PATH", path),
        ("HOME", home.display().to_string()),
        ("XDG_CONFIG_HOME", h(".config")),
        ("XDG_DATA_HOME", h(".local/share")),
        ("XDG_STATE_HOME", h(".local/state")),
        ("XDG_CACHE_HOME", h(".cache")),
        ("LANG", "C.UTF-8".into()),
        ("TERM", "xterm-256color".into()),
        ("NO_UPDATE_NOTIFIER", "1".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn write_claude_config(home: &Path, trusted: &[&Path]) {
    let projects: serde_json::Map<String, serde_json::Value> = trusted
        .iter()
        .map(|p| {
            (
                p.display().to_string(),
                serde_json::json!({"hasTrustDialogAccepted": true,
                    "hasCompletedProjectOnboarding": true, "allowedTools": []}),
            )
        })
        .collect();
    let key_suffix = &ANTHROPIC_KEY[ANTHROPIC_KEY.len() - 20..];
    let config = serde_json::json!({
        "hasCompletedOnboarding": true,
        "lastOnboardingVersion": Agent::Claude.pinned_version(),
        "customApiKeyResponses": {"approved": [key_suffix], "rejected": []},
        "bypassPermissionsModeAccepted": true,
        "projects": projects,
    });
    write(
        &home.join(".claude.json"),
        &serde_json::to_string_pretty(&config).unwrap(),
    );
}

/// The `[tui]` and `[notice]` entries are what Codex writes once its
/// interactive UI has shown the model-upgrade dialog ("Meet GPT-6 Sol",
/// default: try the new model) and its availability notice.
fn write_codex_config(home: &Path, trusted: &[&Path], server: &ModelServer) {
    let mut toml = format!(
        "model = \"{CODEX_MODEL}\"\nmodel_provider = \"ao-tests\"\ncheck_for_update_on_startup = false\n\n\
         [model_providers.ao-tests]\nname = \"ao-tests model server\"\nbase_url = \"{}\"\n\
         wire_api = \"responses\"\nenv_key = \"OPENAI_API_KEY\"\n\
         request_max_retries = 0\nstream_max_retries = 0\n\n\
         [tui]\nscreen_reader_detection_done = true\n\n\
         [tui.model_availability_nux]\n\"gpt-6.1-sol\" = 1\n\n\
         [notice.model_migrations]\n\"{CODEX_MODEL}\" = \"gpt-6-sol\"\n",
        server.openai_url()
    );
    for dir in trusted {
        toml.push_str(&format!(
            "\n[projects.\"{}\"]\ntrust_level = \"trusted\"\n",
            dir.display()
        ));
    }
    write(&home.join(".codex/config.toml"), &toml);
}

fn write_opencode_config(home: &Path, server: &ModelServer) {
    let config = serde_json::json!({
        "$schema": "https://opencode.ai/config.json",
        "model": format!("ao-tests/{TEST_MODEL}"),
        "small_model": format!("ao-tests/{TEST_MODEL}"),
        "autoupdate": false,
        "share": "disabled",
        "provider": {"ao-tests": {
            "npm": "@ai-sdk/openai-compatible",
            "name": "ao-tests model server",
            "options": {"baseURL": server.openai_url(), "apiKey": OTHER_KEY},
            "models": {TEST_MODEL: {"name": "Test model", "tool_call": true}}
        }}
    });
    write(
        &home.join(".config/opencode/opencode.json"),
        &serde_json::to_string_pretty(&config).unwrap(),
    );
    // What its first run leaves in the config dir: OpenCode npm-installs
    // `@opencode-ai/plugin` there before it starts unless `node_modules`
    // exists and package-lock.json names every package.json dependency
    // (offline the install takes ~70 s to fail, and is tried on every start).
    let dir = home.join(".config/opencode");
    let plugin = serde_json::json!({"@opencode-ai/plugin": "1.18.33"});
    write(
        &dir.join("package.json"),
        &serde_json::json!({ "dependencies": plugin }).to_string(),
    );
    write(
        &dir.join("package-lock.json"),
        &serde_json::json!({"lockfileVersion": 3, "packages": {"": {"dependencies": plugin}}})
            .to_string(),
    );
    std::fs::create_dir_all(dir.join("node_modules")).unwrap();
}

fn write_gemini_config(home: &Path, trusted: &[&Path]) {
    let settings = serde_json::json!({
        "security": {"auth": {"selectedType": "gemini-api-key"}},
        "privacy": {"usageStatisticsEnabled": false},
        "general": {"enableAutoUpdate": false, "enableAutoUpdateNotification": false}
    });
    write(
        &home.join(".gemini/settings.json"),
        &serde_json::to_string_pretty(&settings).unwrap(),
    );
    let folders: serde_json::Map<String, serde_json::Value> = trusted
        .iter()
        .map(|p| (p.display().to_string(), "TRUST_FOLDER".into()))
        .collect();
    write(
        &home.join(".gemini/trustedFolders.json"),
        &serde_json::Value::Object(folders).to_string(),
    );
}

fn write_aider_config(home: &Path, server: &ModelServer) {
    write(
        &home.join(".aider.conf.yml"),
        &format!(
            "openai-api-base: {}\nmodel: openai/{TEST_MODEL}\nedit-format: diff\n\
             check-update: false\nshow-release-notes: false\nanalytics-disable: true\n\
             show-model-warnings: false\ngitignore: false\n",
            server.openai_url()
        ),
    );
    // Known model metadata: without it Aider downloads litellm's price list.
    write(
        &home.join(".aider.model.metadata.json"),
        &serde_json::json!({format!("openai/{TEST_MODEL}"): {
            "max_input_tokens": 128000, "max_output_tokens": 8192, "max_tokens": 8192,
            "input_cost_per_token": 0.000001, "output_cost_per_token": 0.000002,
            "litellm_provider": "openai", "mode": "chat"}})
        .to_string(),
    );
}

fn write_copilot_config(home: &Path, trusted: &[&Path]) {
    let folders: Vec<String> = trusted.iter().map(|p| p.display().to_string()).collect();
    write(
        &home.join(".copilot/config.json"),
        &serde_json::json!({ "trustedFolders": folders }).to_string(),
    );
}
