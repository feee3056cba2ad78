//! `ao trust [PATH] [--revoke | --list]`: the user's decision that a
//! repository's config and `.ao/plugins/` may take effect.

use crate::error::{CommandError, Result};
use crate::ui;
use anstream::{print, println};
use ao_core::config::locate;
use ao_core::trust::{self, Origin, TrustState, TrustStore};
use ao_core::{Config, Paths};
use std::path::{Path, PathBuf};

pub fn run(config: Option<PathBuf>, path: Option<PathBuf>, revoke: bool, list: bool) -> Result<()> {
    let paths = Paths::from_env();
    if list {
        return list_trusted(&paths);
    }
    let file = config_file(&paths, config.as_deref(), path.as_deref())?;
    if trust::origin(&file, &paths) == Origin::User {
        println!(
            "{} is your own config (in ao's config directory): it needs no trust",
            file.display()
        );
        return Ok(());
    }
    let mut store = TrustStore::open(&paths.data);
    if revoke {
        if store.revoke(&file)? {
            println!("no longer trusted: {}", file.display());
        } else {
            println!("{} was not trusted", file.display());
        }
        return Ok(());
    }
    // An invalid file is fixed first: trust is for what ao would run.
    let mut parsed = Config::load(&file)?;
    let covered = trust::covered_files(&file);
    let sha = store.trust(&file, ao_core::state::now_ms())?;
    let s = ui::styles();
    println!(
        "{}trusted{} {} (sha256 {})",
        s.ok.render(),
        s.ok.render_reset(),
        file.display(),
        &sha[..12]
    );
    for plugin in &covered[1..] {
        println!("  plugin      {}", plugin.display());
    }
    for field in parsed.drop_untrusted() {
        println!("  takes effect {field}");
    }
    println!(
        "A change to the file or to .ao/plugins/ needs `ao trust` again; `ao trust --revoke` undoes this."
    );
    Ok(())
}

/// The config to decide on: PATH (a file, or a directory to look from),
/// else the one every command would use.
fn config_file(paths: &Paths, explicit: Option<&Path>, path: Option<&Path>) -> Result<PathBuf> {
    let cwd = std::env::current_dir()?;
    let found = match path {
        Some(p) if p.is_file() => Some(p.to_path_buf()),
        Some(dir) => locate::find(None, &cwd.join(dir), &paths.user_config),
        None => locate::find(explicit, &cwd, &paths.user_config),
    };
    found.ok_or_else(|| {
        CommandError::user("no agent-orchestrator.yaml here or above")
            .hint("run it in the repository, or name the file: `ao trust path/to/agent-orchestrator.yaml`")
    })
}

fn list_trusted(paths: &Paths) -> Result<()> {
    let store = TrustStore::open(&paths.data);
    if store.entries.is_empty() {
        println!("no trusted configs; `ao trust` in a repository trusts its config");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = store
        .entries
        .iter()
        .map(|(file, entry)| {
            let state = if !file.exists() {
                "missing"
            } else {
                match store.state(file, Origin::Repository) {
                    TrustState::Trusted => "trusted",
                    _ => "changed",
                }
            };
            vec![
                state.to_string(),
                entry.sha256[..12.min(entry.sha256.len())].to_string(),
                file.display().to_string(),
            ]
        })
        .collect();
    print!("{}", ui::table(&["STATE", "SHA256", "CONFIG"], &rows));
    Ok(())
}
