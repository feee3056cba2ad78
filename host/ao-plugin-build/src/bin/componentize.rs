//! `ao-componentize CORE.wasm WORLD OUT.wasm`: a WASI preview1 core module
//! (e.g. from `GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared`) → an
//! `ao:plugin` component of WORLD (tracker, scm, notifier, agent, tracker-scm).

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [core, world, out] = args.as_slice() else {
        bail!("usage: ao-componentize CORE.wasm WORLD OUT.wasm");
    };
    let bytes = std::fs::read(core).with_context(|| format!("{core}: cannot read"))?;
    let component = ao_plugin_build::componentize::core_module_to_component(&bytes, world)
        .with_context(|| format!("{core}: making a {world} component"))?;
    std::fs::write(out, component).with_context(|| format!("{out}: cannot write"))?;
    Ok(())
}
