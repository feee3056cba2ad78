//! One integration-test binary (as wasmtime and jj do), one module per topic.

mod agents;
mod claude_flow;
mod cli;
mod conformance;
mod containment;
mod crash;
mod crash_audit;
mod daemon;
mod dashboard;
mod github;
mod github_flow;
mod github_shapes;
mod gitlab;
mod gitlab_flow;
mod helpers;
mod hostile;
mod js_plugin;
mod linear;
mod linear_flow;
mod loading;
mod notifiers;
mod pr_loop;
mod queue;
mod races;
mod real_agents_headless;
mod real_aider;
mod real_claude;
mod real_codex;
mod real_copilot;
mod real_gemini;
mod real_opencode;
mod real_story;
mod session_fixture;
mod sessions;
mod variants;

/// Every `*.rs` file here must be a module above, so no test is forgotten.
#[test]
fn every_test_file_is_registered() {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("integration");
    let main = std::fs::read_to_string(here.join("main.rs")).unwrap();
    for entry in std::fs::read_dir(&here).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(module) = name.strip_suffix(".rs").filter(|m| *m != "main") {
            assert!(
                main.contains(&format!("mod {module};")),
                "integration/{name} is not registered in main.rs"
            );
        }
    }
}
