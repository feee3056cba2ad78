//! `./target/release/ao-bench [--quick] [SECTION...]` (`--help` lists them): what ao costs, measured on this
//! machine. Prints tables; asserts nothing.
//!
//! - plugins: load, instantiate and call costs of a Rust and a JS plugin;
//! - languages: the same tracker in Rust, Go and JS (examples/tracker-*);
//! - sessions: `ao status` with 100 and 500 sessions, spawn to agent
//!   running, tmux processes per lifecycle cycle with 50 sessions, and the
//!   daemon's memory and idle CPU with 50 sessions;
//! - github, gitlab: requests per simulated hour for 20 idle sessions
//!   (charged ones on GitHub), and how soon a CI failure reaches the agent;
//! - dashboard: a change to the browser's stream, the board API with 200
//!   sessions, the daemon with 50 connected viewers;
//! - agents: spawn → first prompt with the real Claude Code, against the
//!   CLI's own start-up.

mod agents;
mod dashboard;
mod forges;
mod languages;
mod plugins;
mod sessions;

use std::time::Duration;

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub fn fmt(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.1} µs")
    }
}

/// The benchmark's sections, in the order they run.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Section {
    /// Load, instantiate and call costs of a Rust and a JS plugin.
    Plugins,
    /// The same tracker in Rust, Go and JS.
    Languages,
    /// `ao status` at 100/500 sessions, spawn, the daemon's cycle, memory and CPU.
    Sessions,
    /// GitHub requests per simulated hour; a CI failure to the agent.
    Github,
    /// GitLab requests per simulated hour; a pipeline failure to the agent.
    Gitlab,
    /// The dashboard's stream, board API and many viewers.
    Dashboard,
    /// Spawn → first prompt with the real Claude Code, against its own start-up.
    Agents,
}

/// What ao costs, measured on this machine: prints tables, asserts nothing.
#[derive(clap::Parser)]
#[command(name = "ao-bench")]
struct Args {
    /// Fewer rounds and smaller sizes (what CI runs, about a minute).
    #[arg(long)]
    quick: bool,
    /// Only these sections (all when none is given).
    #[arg(value_enum)]
    sections: Vec<Section>,
}

fn main() {
    let args = <Args as clap::Parser>::parse();
    let quick = args.quick;
    let wanted = |s: Section| args.sections.is_empty() || args.sections.contains(&s);
    if wanted(Section::Plugins) {
        plugins::run(quick);
        println!();
    }
    if wanted(Section::Languages) {
        languages::run(quick);
        println!();
    }
    if wanted(Section::Sessions) {
        sessions::run(quick);
        println!();
    }
    if wanted(Section::Github) {
        forges::github(quick);
        println!();
    }
    if wanted(Section::Gitlab) {
        forges::gitlab(quick);
        println!();
    }
    if wanted(Section::Dashboard) {
        dashboard::run(quick);
        println!();
    }
    if wanted(Section::Agents) {
        agents::run(quick);
    }
}
