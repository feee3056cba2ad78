//! The `ao:plugin` WIT contract, embedded so that `ao plugin build` needs no
//! checkout of ao's repository: a Go author needs only Go and `ao`.

use anyhow::{Context, Result};
use wit_parser::{Resolve, WorldId};

/// The WIT version the embedded contract speaks.
pub const WIT_VERSION: &str = "0.1.0";

/// `(file name, contents)` of every file of `wit/v0.1.0`.
pub const FILES: &[(&str, &str)] = &[
    ("agent.wit", include_str!("../../../wit/v0.1.0/agent.wit")),
    ("host.wit", include_str!("../../../wit/v0.1.0/host.wit")),
    (
        "notifier.wit",
        include_str!("../../../wit/v0.1.0/notifier.wit"),
    ),
    ("plugin.wit", include_str!("../../../wit/v0.1.0/plugin.wit")),
    ("scm.wit", include_str!("../../../wit/v0.1.0/scm.wit")),
    (
        "tracker.wit",
        include_str!("../../../wit/v0.1.0/tracker.wit"),
    ),
    ("types.wit", include_str!("../../../wit/v0.1.0/types.wit")),
    ("worlds.wit", include_str!("../../../wit/v0.1.0/worlds.wit")),
];

/// The worlds a plugin can target, as `ao plugin new --world` names them, with
/// their WIT world names.
pub const WORLDS: &[(&str, &str)] = &[
    ("tracker", "tracker-plugin"),
    ("scm", "scm-plugin"),
    ("notifier", "notifier-plugin"),
    ("agent", "agent-plugin"),
    ("tracker-scm", "tracker-scm-plugin"),
];

/// `tracker` → `tracker-plugin`; a WIT world name is accepted as it is.
pub fn world_name(world: &str) -> Option<&'static str> {
    WORLDS
        .iter()
        .find(|(short, long)| *short == world || *long == world)
        .map(|(_, long)| *long)
}

/// Writes the contract into `dir` (for tools that read WIT from disk:
/// componentize-qjs, wit-bindgen).
pub fn write_to(dir: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    for (name, text) in FILES {
        std::fs::write(dir.join(name), text)
            .with_context(|| format!("{}: cannot write", dir.join(name).display()))?;
    }
    Ok(())
}

/// The parsed contract and the id of one of its worlds.
pub fn resolve(world: &str) -> Result<(Resolve, WorldId)> {
    let long = world_name(world).with_context(|| {
        format!(
            "unknown world `{world}`: use one of {}",
            WORLDS
                .iter()
                .map(|(s, _)| *s)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let dir = tempfile::tempdir()?;
    write_to(dir.path())?;
    let mut resolve = Resolve::default();
    let (pkg, _) = resolve.push_dir(dir.path())?;
    let id = resolve.select_world(&[pkg], Some(long))?;
    Ok((resolve, id))
}
