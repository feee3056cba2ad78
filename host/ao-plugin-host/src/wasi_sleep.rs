//! WASI sleeps bounded by the call's deadline.
//!
//! wasmtime-wasi answers `monotonic-clock.subscribe-duration` and
//! `subscribe-instant` with a pollable that blocks the host thread for as
//! long as the guest asks, and epoch interruption only stops wasm code, so
//! a guest's `std::thread::sleep` could run far past its deadline. These
//! two functions replace wasmtime-wasi's in the linker: a wait that fits in
//! the call's remaining time is made as asked; one that does not waits out
//! the remaining time and then stops the call as a timeout, like a loop
//! would be stopped.

use crate::services::HostState;
use std::time::Duration;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock::Host as _;
use wasmtime_wasi::p2::{DynPollable, Pollable, subscribe};

/// The WASI clock interface wasmtime-wasi provides (guests built against
/// any 0.2.x link to it by semver).
const MONOTONIC_CLOCK: &str = "wasi:clocks/monotonic-clock@0.2.12";

/// A wait that ends at `until` (never past the call's deadline).
enum Wait {
    /// Zero time: ready after one yield, as wasmtime-wasi does, so a busy
    /// poll loop does not starve the runtime.
    Now {
        yielded: bool,
    },
    Until(tokio::time::Instant),
}

#[wasmtime_wasi::async_trait]
impl Pollable for Wait {
    async fn ready(&mut self) {
        match self {
            Wait::Now { yielded: true } => {}
            Wait::Now { yielded } => {
                *yielded = true;
                tokio::task::yield_now().await;
            }
            Wait::Until(at) => tokio::time::sleep_until(*at).await,
        }
    }
}

fn bounded_wait(state: &mut HostState, asked: Duration) -> wasmtime::Result<Resource<DynPollable>> {
    let remaining = state.remaining();
    tracing::trace!(plugin = %state.label, "WASI wait of {asked:?} with {remaining:?} left");
    if asked > remaining {
        std::thread::sleep(remaining);
        return Err(wasmtime::Trap::Interrupt.into());
    }
    let wait = asked;
    let resource = if wait.is_zero() {
        state.table.push(Wait::Now { yielded: false })?
    } else {
        state
            .table
            .push(Wait::Until(tokio::time::Instant::now() + wait))?
    };
    subscribe(&mut state.table, resource)
}

/// Replaces the two clock subscriptions of `linker` (after wasmtime-wasi's
/// own were added).
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut clock = linker.instance(MONOTONIC_CLOCK)?;
    clock.func_wrap(
        "subscribe-duration",
        |mut store, (nanos,): (u64,)| -> wasmtime::Result<(Resource<DynPollable>,)> {
            Ok((bounded_wait(store.data_mut(), Duration::from_nanos(nanos))?,))
        },
    )?;
    clock.func_wrap(
        "subscribe-instant",
        |mut store, (when,): (u64,)| -> wasmtime::Result<(Resource<DynPollable>,)> {
            let state = store.data_mut();
            let now = {
                let mut view = wasmtime_wasi::clocks::WasiClocksCtxView {
                    ctx: state.wasi.clocks(),
                    table: &mut state.table,
                };
                view.now()?
            };
            let asked = Duration::from_nanos(when.saturating_sub(now));
            Ok((bounded_wait(state, asked)?,))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}
