//! The one wasmtime [`Engine`] configuration shared by compilation and
//! loading (a `.cwasm` only loads into an engine configured the same way),
//! and the epoch ticker that enforces call deadlines.

use std::sync::{Arc, Weak};
use std::thread;
use std::time::Duration;
use wasmtime::{Config, Engine, OptLevel};

/// How often the epoch advances; call deadlines are counted in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// A wasmtime engine with epoch interruption and its ticker thread.
#[derive(Clone)]
pub struct PluginEngine {
    engine: Engine,
    _ticker: Arc<Ticker>,
}

/// Keeps the ticker alive; the thread ends once every engine handle is gone.
struct Ticker;

impl PluginEngine {
    /// Builds the engine and starts its ticker.
    pub fn new() -> anyhow::Result<Self> {
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .cranelift_opt_level(OptLevel::Speed)
            // Deep recursion must trap well before it can hurt the host.
            .max_wasm_stack(1 << 20);
        let engine = Engine::new(&config).map_err(|e| anyhow::anyhow!("{e:#}"))?;
        let ticker = Arc::new(Ticker);
        let weak: Weak<Ticker> = Arc::downgrade(&ticker);
        let weak_engine = engine.weak();
        thread::Builder::new()
            .name("ao-epoch-ticker".into())
            .spawn(move || {
                while weak.strong_count() > 0 {
                    thread::sleep(EPOCH_TICK);
                    match weak_engine.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })?;
        Ok(PluginEngine {
            engine,
            _ticker: ticker,
        })
    }

    /// The underlying engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Ticks in a duration, rounded up, at least one.
    pub fn ticks(duration: Duration) -> u64 {
        (duration.as_millis().div_ceil(EPOCH_TICK.as_millis())).max(1) as u64
    }
}
