//! The same tracker in Rust, Go and JavaScript (examples/tracker-*), and one
//! notifier per language, held to one conformance suite (ao-conformance):
//! each passes every check, and the three trackers return the same values.
//! `./scripts/test` builds the examples first (`ao plugin build`).

use crate::helpers::*;
use ao_conformance::Report;

fn example(dir: &str) -> String {
    let path = format!(
        "{}/../examples/{dir}/{dir}.wasm",
        env!("CARGO_MANIFEST_DIR")
    );
    assert!(
        std::path::Path::new(&path).exists(),
        "{path} is missing: run ./scripts/test, which builds the examples (`ao plugin build examples/{dir}`)"
    );
    path
}

fn run(dir: &str) -> Report {
    let plugin = load_file(&example(dir));
    let report = ao_conformance::run(&plugin);
    assert!(report.passed(), "{}", report.render());
    report
}

#[test]
fn the_tracker_passes_the_same_suite_in_rust_go_and_js() {
    let rust = run("tracker-rust");
    let go = run("tracker-go");
    let js = run("tracker-js");
    assert!(
        rust.checks.len() >= 20,
        "the tracker suite runs every check: {}",
        rust.render()
    );
    for name in [
        "tracker.get-issue",
        "tracker.list-open",
        "tracker.create-issue",
        "tracker.update-issue",
        "tracker.branch-name",
        "tracker.generate-prompt",
        "tracker.error-not-found",
        "tracker.error-rate-limited",
        "tracker.error-auth",
        "tracker.error-denied-capability",
    ] {
        assert!(
            rust.checks.iter().any(|c| c.name == name),
            "missing check {name}"
        );
    }
    assert_eq!(rust.transcript(), go.transcript(), "Rust and Go differ");
    assert_eq!(rust.transcript(), js.transcript(), "Rust and JS differ");
}

#[test]
fn a_notifier_in_each_language_passes_the_suite() {
    for dir in ["notifier-rust", "notifier-go", "notifier-ts"] {
        let report = run(dir);
        assert_eq!(
            report.checks.len(),
            5,
            "{dir}: manifest, delivery and three errors: {}",
            report.render()
        );
    }
}

#[test]
fn the_suite_fails_a_plugin_that_breaks_the_contract() {
    // A role without checks yet is reported, not silently passed.
    let agent = load_builtin("custom.wasm");
    let report = ao_conformance::run(&agent);
    assert_eq!(report.not_covered, ["agent"]);
    // And a tracker that answers wrongly fails named checks: the GitHub
    // plugin speaks GitHub's API, not the example service's.
    let github = load_builtin("github.wasm");
    let report = ao_conformance::run(&github);
    assert!(!report.passed(), "{}", report.render());
    assert!(
        report
            .checks
            .iter()
            .any(|c| c.name == "tracker.get-issue" && !c.passed),
        "{}",
        report.render()
    );
}
