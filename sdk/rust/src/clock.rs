//! Wall-clock time and sleeping.

use ao_plugin_imports::ao::plugin::clock as host;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    host::now_ms()
}

/// Sleeps; the host ends the sleep early if the call's deadline comes first.
pub fn sleep_ms(ms: u32) {
    host::sleep_ms(ms)
}
