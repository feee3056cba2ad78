//! `ao-gen-bindings js SDK_DIR`: writes the JavaScript SDK's files generated
//! from the WIT contract (`types/wit.d.ts`, `types/host.d.ts`, `wit/`).
//! Run by `scripts/gen-bindings`, which also generates the Go bindings.

use anyhow::{Context, Result, bail};
use std::path::PathBuf;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [lang, dir] = args.as_slice() else {
        bail!("usage: ao-gen-bindings js SDK_DIR");
    };
    if lang != "js" {
        bail!(
            "only `js` is generated here; the Go bindings come from wit-bindgen (scripts/gen-bindings)"
        );
    }
    let dir = PathBuf::from(dir);
    let types = dir.join("types");
    std::fs::create_dir_all(&types).with_context(|| format!("{}", types.display()))?;
    std::fs::write(
        types.join("wit.d.ts"),
        ao_plugin_build::typescript::declarations()?,
    )?;
    std::fs::write(
        types.join("host.d.ts"),
        ao_plugin_build::typescript::host_modules()?,
    )?;
    let wit = dir.join("wit");
    if wit.exists() {
        std::fs::remove_dir_all(&wit)?;
    }
    ao_plugin_build::wit::write_to(&wit)?;
    Ok(())
}
