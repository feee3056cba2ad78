//! `./target/release/ao-bench [--quick]`: what ao costs, measured on this
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
//!   sessions, the daemon with 50 connected viewers.

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

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    // `ao-bench [--quick] [plugins|languages|sessions|github|gitlab|dashboard]`: one section only.
    let only = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let wanted = |name: &str| only.as_deref().is_none_or(|o| o == name);
    if wanted("plugins") {
        plugins::run(quick);
        println!();
    }
    if wanted("languages") {
        languages::run(quick);
        println!();
    }
    if wanted("sessions") {
        sessions::run(quick);
        println!();
    }
    if wanted("github") {
        forges::github(quick);
        println!();
    }
    if wanted("gitlab") {
        forges::gitlab(quick);
        println!();
    }
    if wanted("dashboard") {
        dashboard::run(quick);
    }
}
