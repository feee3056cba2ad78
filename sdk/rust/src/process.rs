//! Running a granted program. No shell is involved: arguments are passed as is.

use crate::PluginError;
use ao_plugin_imports::ao::plugin::process as host;
pub use host::Output;

/// Runs `program` with `args` and waits for it.
pub fn run(program: &str, args: &[&str]) -> Result<Output, PluginError> {
    host::run(&host::Command {
        program: program.to_string(),
        args: args.iter().map(|a| a.to_string()).collect(),
        stdin: None,
        timeout_ms: None,
    })
}
