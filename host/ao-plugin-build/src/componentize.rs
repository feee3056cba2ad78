//! A WASI preview1 core module (what `GOOS=wasip1 go build -buildmode=c-shared`
//! makes) → an `ao:plugin` component: the world's type information is embedded,
//! then wit-component wraps the module with the preview1 *reactor* adapter,
//! which maps its WASI calls onto WASI preview 2.

use anyhow::{Context, Result};
use wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER;
use wit_component::{ComponentEncoder, StringEncoding};

/// Turns a core module exporting `world`'s functions into a component.
pub fn core_module_to_component(core: &[u8], world: &str) -> Result<Vec<u8>> {
    let (resolve, world_id) = crate::wit::resolve(world)?;
    let mut module = core.to_vec();
    wit_component::embed_component_metadata(&mut module, &resolve, world_id, StringEncoding::UTF8)
        .context("embedding the world's type information")?;
    ComponentEncoder::default()
        .validate(true)
        .module(&module)
        .context("reading the core module (is it a wasip1 module built with -buildmode=c-shared?)")?
        .adapter(
            "wasi_snapshot_preview1",
            WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
        )
        .context("adding the WASI preview1 reactor adapter")?
        .encode()
        .context("encoding the component (do the module's exports match the world?)")
}
