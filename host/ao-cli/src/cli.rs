//! Command-line arguments (clap derive). Parsing only: nothing here acts.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Run many AI coding agents in parallel, each in its own worktree, and
/// shepherd their work to merged pull requests.
#[derive(Debug, Parser)]
#[command(
    name = "ao",
    version,
    about,
    propagate_version = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// Use this config file instead of looking for agent-orchestrator.yaml.
    #[arg(long, global = true, env = "AO_CONFIG_PATH", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// More log output on stderr (-v info, -vv debug, -vvv trace). AO_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, inspect and install plugins (WebAssembly components).
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Send notifications through the configured notifiers.
    #[command(subcommand)]
    Notify(NotifyCommand),
    /// Run the daemon in the foreground: the lifecycle loop and the HTTP API on 127.0.0.1.
    Start {
        /// Port of the HTTP API (default: `port` from the config, else 3000).
        #[arg(long)]
        port: Option<u16>,
        /// Seconds between lifecycle cycles.
        #[arg(long, default_value_t = 2)]
        interval: u64,
        /// Run in the background; logs go to the data directory's daemon.log.
        #[arg(long, short)]
        detach: bool,
        /// Address to serve the dashboard and API on. Anything but loopback
        /// requires a token (one is made and printed if none is given).
        #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
        bind: std::net::IpAddr,
        /// The dashboard/API token; required by every request when set.
        #[arg(long, env = "AO_DASHBOARD_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// Stop the daemon; sessions keep running.
    Stop,
    /// Write a commented starter agent-orchestrator.yaml for the repository you are in.
    Init {
        /// Overwrite an existing agent-orchestrator.yaml.
        #[arg(long)]
        force: bool,
    },
    /// Start a coding agent on a task, in its own worktree, branch and terminal session.
    ///
    /// Over `maxConcurrentSessions` the task waits in a queue and starts when
    /// a session ends. A second spawn for an issue already being worked on is
    /// refused with the session that has it.
    Spawn(SpawnArgs),
    /// Spawn one session per issue (duplicates skipped; over the limit, queued).
    BatchSpawn(BatchSpawnArgs),
    /// Type a message into a session: waits while the agent is busy, checks the
    /// text arrived, and restores a session whose agent is gone first.
    Send(SendArgs),
    /// Sessions with their live activity (one screen capture for all of them).
    Status(StatusArgs),
    /// Review a session's pull request (local SCM): approve, request changes, or comment.
    Review(ReviewArgs),
    /// Merge a session's pull request into the default branch, through its project's SCM.
    Merge {
        /// The session whose PR to merge.
        session: String,
    },
    /// The local tracker's issues (`.ao/issues/<id>.md` in the repository).
    #[command(subcommand)]
    Issue(IssueCommand),
    /// Validate the config, or print its JSON Schema for editors.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// For agents and their hooks: declare the session's current state.
    Report {
        /// working, ready, needs-input, blocked, exited (hyphens or underscores).
        #[arg(value_parser = ["working", "ready", "idle", "needs-input", "needs_input", "waiting", "blocked", "exited", "pr-created", "completed"])]
        state: String,
        /// The session (default: $AO_SESSION_ID, set in every session).
        #[arg(long, short, env = "AO_SESSION_ID")]
        session: String,
        /// A short note (the question asked, the PR opened…).
        #[arg(long)]
        note: Option<String>,
        /// Called from an agent hook: never fail loudly, never block the agent.
        #[arg(long, hide = true)]
        from_hook: bool,
    },
    /// List, attach to, restore and kill sessions.
    #[command(subcommand)]
    Session(SessionCommand),
    /// Trust the repository's agent-orchestrator.yaml and .ao/plugins/ as
    /// they are now: their plugins, grants, limits, notifiers and commands
    /// take effect. A later change to either asks again.
    Trust {
        /// The config file, or a directory to look for it from (default:
        /// the config this command would use).
        path: Option<PathBuf>,
        /// Forget the trust in this config instead.
        #[arg(long, conflicts_with = "list")]
        revoke: bool,
        /// List the configs you trust.
        #[arg(long)]
        list: bool,
    },
    /// Check that everything ao needs is in place (git, tmux, agent CLIs, config, plugins), with fixes.
    Doctor {
        #[arg(long)]
        json: bool,
        /// Repair a damaged state database: the damaged file is kept aside;
        /// what SQLite can still read is salvaged, else the newest automatic
        /// backup is restored, else a new database is made.
        #[arg(long)]
        repair: bool,
        /// With --repair: restore this backup (see `<data>/backups/`).
        #[arg(long, requires = "repair", value_name = "BACKUP")]
        from: Option<PathBuf>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(visible_alias = "completion")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// List every plugin ao can use: built-in, the user's, the project's.
    #[command(visible_alias = "list")]
    Ls {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one plugin: roles, WIT version, requested and granted capabilities.
    Info {
        /// The plugin's name (see `ao plugin ls`).
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Validate a .wasm file and print its manifest, without installing it.
    Check {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Check a .wasm file, show what it asks for, and copy it into the plugin directory.
    Install {
        file: PathBuf,
        /// Install into this project's .ao/plugins/ instead of the user's directory.
        #[arg(long)]
        project: bool,
        /// Replace an installed plugin of the same name.
        #[arg(long)]
        force: bool,
        /// Allow the plugin to take the name of a plugin built into ao (it
        /// then runs wherever a config names that plugin).
        #[arg(long)]
        replace: bool,
    },
    /// Write a ready-to-build plugin project (with a README and a test) into ./NAME.
    New {
        /// The plugin's name, `[a-z0-9-]+`; also the directory.
        name: String,
        /// The role it plays: tracker, scm, notifier, agent or tracker-scm.
        #[arg(long, default_value = "notifier")]
        world: String,
        /// rust, go or js (TypeScript).
        #[arg(long, default_value = "rust")]
        lang: String,
        /// Where to create the project (default: ./NAME).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Build a plugin project (Rust, Go or JS) into DIR/<dir name>.wasm.
    Build {
        /// The project directory (default: the current one).
        dir: Option<PathBuf>,
    },
    /// Run the conformance suite of the plugin's roles against fake services on 127.0.0.1.
    Test {
        file: PathBuf,
        /// Print the checks and what the plugin returned as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct SpawnArgs {
    /// The issue to work on (names the branch `feat/issue-N`).
    #[arg(value_name = "ISSUE")]
    pub task: Option<String>,
    /// The task in words (with an issue: added to it).
    #[arg(long)]
    pub prompt: Option<String>,
    /// The project (default: the only one in the config).
    #[arg(long, short)]
    pub project: Option<String>,
    /// The agent plugin to use instead of the project's.
    #[arg(long)]
    pub agent: Option<String>,
    /// Same as ISSUE.
    #[arg(long, hide = true, conflicts_with = "task")]
    pub issue: Option<String>,
}

#[derive(Debug, Args)]
pub struct BatchSpawnArgs {
    /// The issues, one session each.
    #[arg(required = true, value_name = "ISSUE")]
    pub issues: Vec<String>,
    /// Added to every issue's task.
    #[arg(long)]
    pub prompt: Option<String>,
    /// The project (default: the only one in the config).
    #[arg(long, short)]
    pub project: Option<String>,
    /// The agent plugin to use instead of the project's.
    #[arg(long)]
    pub agent: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// The session id (see `ao session ls`).
    pub session: String,
    /// The message; several words are joined with spaces.
    pub message: Vec<String>,
    /// Read the message from a file instead.
    #[arg(short, long, conflicts_with = "message")]
    pub file: Option<PathBuf>,
    /// Send at once, even if the agent is busy.
    #[arg(long)]
    pub no_wait: bool,
    /// Seconds to wait for a busy agent before giving up.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[arg(long, conflicts_with = "watch")]
    pub json: bool,
    /// Include killed, merged and failed sessions.
    #[arg(long, short)]
    pub all: bool,
    /// Only this project's sessions.
    #[arg(long, short)]
    pub project: Option<String>,
    /// Redraw every few seconds until interrupted.
    #[arg(long, short)]
    pub watch: bool,
    /// Also sessions and queued tasks of projects not in this config
    /// (another repository's, sharing the data directory).
    #[arg(long)]
    pub all_projects: bool,
    /// Seconds between redraws with --watch.
    #[arg(long, default_value_t = 2, value_name = "SECS")]
    pub interval: u64,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// The session whose PR to review.
    pub session: String,
    #[arg(value_enum)]
    pub verdict: Verdict,
    /// What to tell the agent (required to request changes).
    #[arg(long, short)]
    pub message: Option<String>,
    /// Who reviews (default: $USER).
    #[arg(long)]
    pub author: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Verdict {
    Approve,
    RequestChanges,
    Comment,
}

#[derive(Debug, Subcommand)]
pub enum IssueCommand {
    /// List the issues of a project.
    #[command(visible_alias = "list")]
    Ls {
        #[arg(long, short)]
        project: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show one issue as the agent would get it.
    Show {
        id: String,
        #[arg(long, short)]
        project: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the JSON Schema of agent-orchestrator.yaml, for editor completion and checks.
    ///
    /// Save it (`ao config schema > agent-orchestrator.schema.json`) and point
    /// your editor at it, e.g. with a first line
    /// `# yaml-language-server: $schema=./agent-orchestrator.schema.json`.
    Schema,
    /// Validate the config and print where it was found.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// List sessions.
    #[command(visible_alias = "list")]
    Ls {
        /// Include killed, merged and failed sessions.
        #[arg(long, short)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Stop a session's agent and remove its worktree (kept if it holds unsaved work).
    Kill {
        session: String,
        /// Remove the worktree even if it has uncommitted or unpushed work.
        #[arg(long)]
        force: bool,
    },
    /// Bring back a session whose agent died or was killed (re-creates its worktree if needed).
    Restore {
        session: String,
        /// Start an ended session (merged, killed, cleaned up) again.
        #[arg(long)]
        reopen: bool,
    },
    /// Attach your terminal to a session (tmux: detach with Ctrl-b d; process: Ctrl-]).
    Attach { session: String },
    /// Attach an existing PR to a session: its branch is checked out in the
    /// session's workspace and ao follows the PR from then on.
    #[command(name = "claim-pr")]
    ClaimPr {
        /// The PR: a number (`42`) or its URL.
        pr: String,
        /// The session (default: $AO_SESSION_ID, set in every session).
        #[arg(env = "AO_SESSION_ID")]
        session: String,
        /// Take the PR from the session that has it.
        #[arg(long)]
        takeover: bool,
    },
    /// End every session whose work is over: PR merged or closed, or agent gone.
    Cleanup {
        /// Only this project's sessions.
        #[arg(long, short)]
        project: Option<String>,
        /// Show what would be cleaned up, and do nothing.
        #[arg(long)]
        dry_run: bool,
        /// Remove workspaces even if they hold uncommitted or unpushed work.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Send a test notification through one notifier, or through all of them.
    Test(NotifyTest),
}

#[derive(Debug, Args)]
pub struct NotifyTest {
    /// A notifier name from `notifiers:` in agent-orchestrator.yaml (default: all).
    pub notifier: Option<String>,
    /// The text to send.
    #[arg(
        long,
        short,
        default_value = "Test notification from ao: if you can read this, notifications work."
    )]
    pub message: String,
    /// The priority of the test event.
    #[arg(long, value_enum, default_value_t = Priority::Info)]
    pub priority: Priority,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Priority {
    Urgent,
    Action,
    Warning,
    Info,
}
