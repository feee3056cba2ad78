//! `ao plugin new`'s projects, language detection, the world a Go module
//! exports, and the JS SDK's generated TypeScript.

use ao_plugin_build::toolchain::{self, Lang};
use ao_plugin_build::{scaffold, typescript, wit};

#[test]
fn worlds_have_short_and_wit_names() {
    assert_eq!(wit::world_name("tracker"), Some("tracker-plugin"));
    assert_eq!(
        wit::world_name("tracker-scm-plugin"),
        Some("tracker-scm-plugin")
    );
    assert_eq!(wit::world_name("nope"), None);
    let err = wit::resolve("nope").unwrap_err().to_string();
    assert!(err.contains("tracker, scm, notifier, agent"), "{err}");
    for (short, _) in wit::WORLDS {
        wit::resolve(short).unwrap();
    }
}

#[test]
fn new_writes_a_project_named_after_the_plugin() {
    let tmp = tempfile::tempdir().unwrap();
    for (lang, manifest, source, example) in [
        (Lang::Rust, "Cargo.toml", "src/lib.rs", "tracker-rust"),
        (Lang::Go, "go.mod", "main.go", "tracker-go"),
        (Lang::Js, "package.json", "src/plugin.ts", "tracker-js"),
    ] {
        let dir = tmp.path().join(format!("my-{example}"));
        let files = scaffold::write(&dir, "acme-issues", "tracker", lang).unwrap();
        assert!(files.iter().any(|f| f.ends_with("README.md")));
        assert!(files.iter().any(|f| f.ends_with("test.sh")));
        let text = std::fs::read_to_string(dir.join(source)).unwrap();
        assert!(
            text.contains("acme-issues"),
            "{lang:?}: the manifest name is the plugin's"
        );
        assert!(
            !text.contains(example),
            "{lang:?}: no trace of the example's name"
        );
        let manifest = std::fs::read_to_string(dir.join(manifest)).unwrap();
        assert!(
            !manifest.contains("../../sdk/"),
            "{lang:?}: the SDK path is absolute: {manifest}"
        );
        assert_eq!(Lang::detect(&dir).unwrap(), lang);
    }
}

#[test]
fn new_refuses_bad_names_full_directories_and_worlds_without_templates() {
    let tmp = tempfile::tempdir().unwrap();
    let err = scaffold::write(&tmp.path().join("x"), "Bad_Name", "tracker", Lang::Go).unwrap_err();
    assert!(err.to_string().contains("[a-z0-9-]+"), "{err}");
    std::fs::write(tmp.path().join("file"), "x").unwrap();
    let err = scaffold::write(tmp.path(), "ok", "tracker", Lang::Go).unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
    let err = scaffold::write(&tmp.path().join("y"), "ok", "scm", Lang::Rust).unwrap_err();
    assert!(
        err.to_string().contains("`tracker` and `notifier`"),
        "{err}"
    );
    let err = scaffold::write(&tmp.path().join("z"), "ok", "nope", Lang::Rust).unwrap_err();
    assert!(err.to_string().contains("unknown world"), "{err}");
}

#[test]
fn build_names_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let err = toolchain::build(tmp.path()).unwrap_err().to_string();
    assert!(
        err.contains("no Cargo.toml, go.mod or package.json"),
        "{err}"
    );
    assert!(err.contains("ao plugin new"), "{err}");
    std::fs::write(tmp.path().join("go.mod"), "module x\n").unwrap();
    std::fs::write(tmp.path().join("main.go"), "package main\nfunc main() {}\n").unwrap();
    let err = toolchain::go_world(tmp.path()).unwrap_err().to_string();
    assert!(err.contains("sdk/go/worlds/tracker"), "{err}");
    std::fs::write(
        tmp.path().join("main.go"),
        "package main\nimport \"github.com/ao-dev/ao/sdk/go/worlds/trackerscm\"\n",
    )
    .unwrap();
    assert_eq!(toolchain::go_world(tmp.path()).unwrap(), "tracker-scm");
}

#[test]
fn typescript_declarations_follow_componentize_qjs() {
    let ts = typescript::declarations().unwrap();
    for expected in [
        "export interface TrackerExports {",
        "  getIssue(project: Project, id: string): Issue;",
        "  issueLabel(project: Project, url: string): string | null | undefined;",
        "  | { tag: \"rate-limited\"; val: RateLimit }",
        "export type IssueState = \"open\" | \"in-progress\" | \"closed\" | \"cancelled\";",
        "  assignee?: string | null;",
        "  body?: Uint8Array | null;",
        "  fetch(request: HttpRequest): HttpResponse;",
        "  headers: Array<[string, string]>;",
    ] {
        assert!(ts.contains(expected), "missing {expected:?}");
    }
    assert!(
        !ts.contains("TrackerProject"),
        "used types name their original"
    );
    let host = typescript::host_modules().unwrap();
    assert!(host.contains("declare module \"ao:plugin/http@0.1.0\""));
}
