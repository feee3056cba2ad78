//! Generated bindings for the host services and record types of
//! `ao:plugin@0.1.0`. Use them through `ao-plugin-sdk`.
//!
//! Every role world (one crate each under `worlds/`) maps its imports onto
//! these, so a `PluginError` or an `Event` is one Rust type everywhere.
//! Worlds live in separate crates because wit-bindgen's exported macros are
//! named by interface, and every world exports `ao:plugin/plugin`.

#![allow(missing_docs, clippy::all)]

wit_bindgen::generate!({
    world: "imports",
    path: "../../../wit/v0.1.0",
    generate_all,
});

mod activity;
mod error;
mod events;
mod manifest;
