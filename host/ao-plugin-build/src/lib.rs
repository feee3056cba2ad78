//! # ao-plugin-build
//!
//! Plugin authoring for ao, behind `ao plugin new | build`:
//!
//! - [`toolchain`]: builds a Rust, Go or JavaScript plugin project into a
//!   component (cargo for wasm32-wasip2; `go build` for wasip1 then
//!   [`componentize`]; the JS SDK's esbuild + componentize-qjs)
//! - [`componentize`]: a WASI preview1 core module → an `ao:plugin` component
//! - [`scaffold`]: a ready-to-build project per world and language
//! - [`typescript`]: the JS SDK's TypeScript declarations, from the WIT
//! - [`wit`]: the contract, embedded

pub mod componentize;
pub mod scaffold;
pub mod toolchain;
pub mod typescript;
pub mod wit;
