//! `ao-model-server`: the tests' scripted model server, for running the real
//! agent CLIs by hand against it (docs/agents/real-clis.md shows each CLI's
//! settings). Prints one line per request; `--log FILE` keeps every request
//! in full as JSON lines.

use ao_tests::model_server::{ModelServer, Script, shorten};
use std::path::PathBuf;
use std::time::Duration;

const USAGE: &str = "usage: ao-model-server [--port N] [--log FILE] SCRIPT.json|SCRIPT.yaml
  The script: {\"slow_ms\": 0, \"rules\": [{\"when\": \"TEXT\", \"steps\": [
    {\"write_file\": {\"path\": \"a.txt\", \"content\": \"…\"}},
    {\"edit_file\": {\"path\": \"a.txt\", \"old\": \"…\", \"new\": \"…\"}},
    {\"shell\": \"touch b\"}, {\"ask_permission\": \"touch c\"},
    {\"say\": \"Done.\"}]}], \"otherwise\": []}";

fn main() {
    if let Err(e) = run() {
        eprintln!("ao-model-server: {e}");
        std::process::exit(2);
    }
}

fn run() -> anyhow::Result<()> {
    let mut port = 0u16;
    let mut log = None;
    let mut script = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = args.next().unwrap_or_default();
                port = value.parse().map_err(|_| {
                    anyhow::anyhow!("--port wants a number, got {value:?}\n{USAGE}")
                })?;
            }
            "--log" => {
                log = Some(PathBuf::from(args.next().ok_or_else(|| {
                    anyhow::anyhow!("--log wants a file name\n{USAGE}")
                })?))
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ if script.is_none() && !arg.starts_with('-') => script = Some(PathBuf::from(arg)),
            _ => anyhow::bail!("unexpected argument {arg:?}\n{USAGE}"),
        }
    }
    let script = match script {
        Some(path) => Script::from_file(&path)?,
        None => anyhow::bail!("no script file given\n{USAGE}"),
    };
    let server = ModelServer::bind(port, script, log)?;
    println!("listening on {}", server.url());
    let mut seen = 0;
    loop {
        let requests = server.requests();
        for r in &requests[seen..] {
            println!(
                "{} {} [{:?} {}] user={:?} tool_results={} → {}",
                r.method,
                r.path,
                r.api,
                r.model,
                r.user_text.as_deref().map(|t| shorten(t, 60)),
                r.tool_results.len(),
                shorten(&r.answered, 160)
            );
        }
        seen = requests.len();
        std::thread::sleep(Duration::from_millis(200));
    }
}
