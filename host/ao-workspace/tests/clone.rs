//! Against real git: a bare "origin", the project's checkout cloned from it,
//! and sessions' clones made from origin.

use ao_workspace::{RemoveError, WorkspaceError, WorkspaceKind, WorkspaceSpec, clone};
use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn commit(dir: &Path, file: &str, text: &str, message: &str) {
    std::fs::write(dir.join(file), text).unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", message]);
}

struct Fixture {
    root: tempfile::TempDir,
    origin: PathBuf,
    /// The project's main checkout.
    project: PathBuf,
}

/// origin (bare) with `main`; the project's checkout cloned from it; then
/// origin moves on (NEW.md) while the checkout makes a local commit of its
/// own (LOCAL.md) and sits on another branch: a session's clone must start
/// from origin's `main` and from neither.
fn fixture() -> Fixture {
    let root = tempfile::tempdir().unwrap();
    let origin = root.path().join("origin.git");
    let seed = root.path().join("seed");
    let o = origin.to_str().unwrap();
    git(root.path(), &["init", "-q", "--bare", "-b", "main", o]);
    git(
        root.path(),
        &["init", "-q", "-b", "main", seed.to_str().unwrap()],
    );
    commit(&seed, "README.md", "hello\n", "first");
    git(&seed, &["remote", "add", "origin", o]);
    git(&seed, &["push", "-q", "origin", "main"]);
    let project = root.path().join("project");
    git(root.path(), &["clone", "-q", o, project.to_str().unwrap()]);
    commit(&seed, "NEW.md", "newer\n", "second");
    git(&seed, &["push", "-q", "origin", "main"]);
    commit(&project, "LOCAL.md", "mine\n", "local only");
    git(&project, &["checkout", "-q", "-b", "elsewhere"]);
    Fixture {
        root,
        origin,
        project,
    }
}

impl Fixture {
    fn spec(&self, name: &str) -> WorkspaceSpec {
        WorkspaceSpec {
            repo: self.project.clone(),
            remote: "origin".into(),
            default_branch: "main".into(),
            branch: format!("feat/{name}"),
            path: self.root.path().join("clones").join("web").join(name),
            name: name.into(),
        }
    }

    fn origin_main(&self) -> String {
        git(&self.origin, &["rev-parse", "main"])
    }
}

#[test]
fn a_clone_is_an_independent_repo_on_a_new_branch_from_origins_default_branch() {
    let f = fixture();
    let ws = clone::create(&f.spec("web-1"), None).unwrap();
    assert_eq!(ws.branch, "feat/web-1");
    assert!(ws.path.join("NEW.md").exists(), "origin's newest commit");
    assert!(
        !ws.path.join("LOCAL.md").exists(),
        "not the checkout's local commit"
    );
    assert_eq!(
        git(&ws.path, &["rev-parse", "--abbrev-ref", "HEAD"]),
        "feat/web-1"
    );
    assert_eq!(git(&ws.path, &["rev-parse", "HEAD"]), ws.base_commit);
    assert_eq!(ws.base_commit, f.origin_main());
    assert_eq!(git(&ws.path, &["status", "--porcelain"]), "", "clean");
    // Its own repository (a `.git` directory, not a worktree's `.git`
    // file), whose origin is the project's origin.
    assert!(ws.path.join(".git").is_dir());
    assert_eq!(
        git(&ws.path, &["remote", "get-url", "origin"]),
        f.origin.to_str().unwrap()
    );
    // The project's checkout knows nothing of it.
    assert!(!git(&f.project, &["branch", "--list"]).contains("feat/web-1"));
    assert!(!git(&f.project, &["worktree", "list"]).contains("web-1"));
    // Pushes and pulls go to the same branch name on origin.
    assert_eq!(
        git(&ws.path, &["config", "branch.feat/web-1.remote"]),
        "origin"
    );
    assert_eq!(
        git(&ws.path, &["config", "branch.feat/web-1.merge"]),
        "refs/heads/feat/web-1"
    );

    // The directory is taken now.
    let err = clone::create(&f.spec("web-1"), None).unwrap_err();
    assert!(matches!(err, WorkspaceError::PathExists(_)), "{err}");
}

#[test]
fn a_commit_in_the_clone_is_pushed_to_origin_by_a_plain_push() {
    let f = fixture();
    let ws = clone::create(&f.spec("web-1"), None).unwrap();
    commit(&ws.path, "work.txt", "done\n", "work");
    git(&ws.path, &["push", "-q"]);
    assert_eq!(
        git(&f.origin, &["rev-parse", "feat/web-1"]),
        git(&ws.path, &["rev-parse", "HEAD"])
    );
    assert_eq!(
        git(&ws.path, &["rev-parse", "--abbrev-ref", "@{upstream}"]),
        "origin/feat/web-1"
    );
}

#[test]
fn removal_refuses_to_lose_uncommitted_or_unpushed_work_unless_forced() {
    let f = fixture();
    let ws = clone::create(&f.spec("web-1"), None).unwrap();
    std::fs::write(ws.path.join("work.txt"), "draft").unwrap();
    let refused = clone::remove(&ws.path, false).unwrap().unwrap_err();
    assert_eq!(
        refused,
        [RemoveError::Uncommitted(vec!["work.txt".to_string()])]
    );
    git(&ws.path, &["add", "."]);
    git(&ws.path, &["commit", "-q", "-m", "work"]);
    let refused = clone::remove(&ws.path, false).unwrap().unwrap_err();
    assert_eq!(refused, [RemoveError::Unpushed(1)]);
    git(&ws.path, &["push", "-q"]);
    // A commit on another local branch would be lost with the clone too.
    git(&ws.path, &["checkout", "-q", "-b", "side"]);
    commit(&ws.path, "side.txt", "x\n", "side work");
    git(&ws.path, &["checkout", "-q", "feat/web-1"]);
    let refused = ao_workspace::remove(WorkspaceKind::Clone, &f.project, "web-1", &ws.path, false)
        .unwrap()
        .unwrap_err();
    assert_eq!(refused, [RemoveError::Unpushed(1)]);
    assert!(ws.path.exists(), "nothing removed while refusing");

    ao_workspace::remove(WorkspaceKind::Clone, &f.project, "web-1", &ws.path, true)
        .unwrap()
        .unwrap();
    assert!(!ws.path.exists());
    // Gone already: nothing to do.
    clone::remove(&ws.path, false).unwrap().unwrap();
}

#[test]
fn removal_of_fully_pushed_work_needs_no_force() {
    let f = fixture();
    let ws = clone::create(&f.spec("web-1"), None).unwrap();
    commit(&ws.path, "work.txt", "done\n", "work");
    git(&ws.path, &["push", "-q"]);
    clone::remove(&ws.path, false).unwrap().unwrap();
    assert!(!ws.path.exists());
    // The project's checkout is untouched.
    assert!(f.project.join("LOCAL.md").exists());
}

#[test]
fn attach_restores_a_deleted_clone_from_its_pushed_branch_and_reuses_a_present_one() {
    let f = fixture();
    let spec = f.spec("web-1");
    let ws = clone::create(&spec, None).unwrap();
    commit(&ws.path, "work.txt", "done\n", "work");
    git(&ws.path, &["push", "-q"]);
    let pushed = git(&ws.path, &["rev-parse", "HEAD"]);
    clone::remove(&ws.path, true).unwrap().unwrap();

    let back = ao_workspace::attach(WorkspaceKind::Clone, &spec, None).unwrap();
    assert_eq!(back.path, ws.path);
    assert_eq!(back.base_commit, pushed);
    assert_eq!(git(&back.path, &["rev-parse", "HEAD"]), pushed);
    assert_eq!(
        git(&back.path, &["rev-parse", "--abbrev-ref", "HEAD"]),
        "feat/web-1"
    );
    assert_eq!(
        std::fs::read_to_string(back.path.join("work.txt")).unwrap(),
        "done\n"
    );
    assert_eq!(
        git(&back.path, &["rev-parse", "--abbrev-ref", "@{upstream}"]),
        "origin/feat/web-1"
    );

    // Present: reused as it is, local changes and all.
    std::fs::write(back.path.join("draft.txt"), "wip").unwrap();
    let again = clone::attach(&spec, None).unwrap();
    assert_eq!(again.base_commit, pushed);
    assert!(back.path.join("draft.txt").exists());
    // Present but on another branch: switched back to the session's.
    std::fs::remove_file(back.path.join("draft.txt")).unwrap();
    git(&back.path, &["checkout", "-q", "main"]);
    clone::attach(&spec, None).unwrap();
    assert_eq!(
        git(&back.path, &["rev-parse", "--abbrev-ref", "HEAD"]),
        "feat/web-1"
    );
}

#[test]
fn attach_cannot_restore_a_branch_that_was_never_pushed() {
    let f = fixture();
    let spec = f.spec("web-1");
    let ws = clone::create(&spec, None).unwrap();
    commit(&ws.path, "work.txt", "done\n", "work");
    clone::remove(&ws.path, true).unwrap().unwrap();
    let err = clone::attach(&spec, None).unwrap_err();
    assert!(
        matches!(&err, WorkspaceError::BranchNotPushed { branch, .. } if branch == "feat/web-1"),
        "{err}"
    );
    assert!(!ws.path.exists(), "the failed clone is not left behind");
}

#[test]
fn bad_input_is_explained_and_leaves_nothing_behind() {
    let f = fixture();
    let mut bad = f.spec("web-1");
    bad.default_branch = "trunk".into();
    let err = clone::create(&bad, None).unwrap_err();
    assert!(
        matches!(&err, WorkspaceError::NoRemoteBranch { branch, .. } if branch == "trunk"),
        "{err}"
    );
    assert!(!bad.path.exists());

    let mut unreachable = f.spec("web-2");
    git(
        &f.project,
        &[
            "remote",
            "add",
            "gone",
            f.root.path().join("nowhere.git").to_str().unwrap(),
        ],
    );
    unreachable.remote = "gone".into();
    let err = clone::create(&unreachable, None).unwrap_err().to_string();
    assert!(err.starts_with("`git clone "), "{err}");
    assert!(err.contains("nowhere.git"), "{err}");
    assert!(!unreachable.path.exists());

    let mut not_repo = f.spec("web-3");
    not_repo.repo = f.root.path().to_path_buf();
    assert!(matches!(
        clone::create(&not_repo, None).unwrap_err(),
        WorkspaceError::NotARepo { .. }
    ));

    assert_eq!(
        "clone".parse::<WorkspaceKind>().unwrap(),
        WorkspaceKind::Clone
    );
    assert_eq!(
        "worktree".parse::<WorkspaceKind>().unwrap(),
        WorkspaceKind::Worktree
    );
    let err = "copy".parse::<WorkspaceKind>().unwrap_err().to_string();
    assert!(err.contains("use `worktree` or `clone`"), "{err}");
}

#[test]
fn without_the_remote_the_local_checkout_is_cloned() {
    let root = tempfile::tempdir().unwrap();
    let project = root.path().join("solo");
    git(
        root.path(),
        &["init", "-q", "-b", "main", project.to_str().unwrap()],
    );
    commit(&project, "README.md", "solo\n", "first");
    let spec = WorkspaceSpec {
        repo: project.clone(),
        remote: "origin".into(),
        default_branch: "main".into(),
        branch: "session/solo-1".into(),
        path: root.path().join("clones").join("solo-1"),
        name: "solo-1".into(),
    };
    let ws = ao_workspace::create(WorkspaceKind::Clone, &spec, None).unwrap();
    assert_eq!(ws.base_commit, git(&project, &["rev-parse", "main"]));
    assert!(ws.path.join("README.md").exists());
    assert_eq!(
        PathBuf::from(git(&ws.path, &["remote", "get-url", "origin"])),
        project.canonicalize().unwrap()
    );
    // Its work goes back to the checkout as a branch.
    commit(&ws.path, "work.txt", "done\n", "work");
    git(&ws.path, &["push", "-q"]);
    assert_eq!(
        git(&project, &["rev-parse", "session/solo-1"]),
        git(&ws.path, &["rev-parse", "HEAD"])
    );
}

#[test]
fn progress_is_reported_for_the_clone_and_the_checkout() {
    let f = fixture();
    // Over a transport (not a local hard-linking copy) git counts objects.
    let url = format!("file://{}", f.origin.display());
    git(&f.project, &["remote", "set-url", "origin", &url]);
    let mut seen: Vec<String> = Vec::new();
    let mut record = |m: &str| seen.push(m.to_string());
    let ws =
        ao_workspace::create(WorkspaceKind::Clone, &f.spec("web-1"), Some(&mut record)).unwrap();
    assert_eq!(git(&ws.path, &["remote", "get-url", "origin"]), url);
    assert_eq!(seen[0], "cloning origin", "{seen:?}");
    let counted = |m: &String| {
        m.strip_prefix("cloning origin (")
            .and_then(|r| r.strip_suffix(" objects)"))
            .and_then(|r| r.split_once('/'))
            .is_some_and(|(a, b)| a.parse::<u64>().is_ok() && b.parse::<u64>().is_ok())
    };
    assert!(seen.iter().any(counted), "{seen:?}");
    assert!(
        seen.iter().any(|m| m == "checking out feat/web-1"),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|m| m.starts_with("checking out feat/web-1 (") && m.ends_with(" files)")),
        "{seen:?}"
    );

    // A worktree's fetch reports too.
    let mut fetched: Vec<String> = Vec::new();
    let mut record = |m: &str| fetched.push(m.to_string());
    let mut spec = f.spec("web-2");
    spec.path = f.root.path().join("worktrees").join("web-2");
    let wt = ao_workspace::create(WorkspaceKind::Worktree, &spec, Some(&mut record)).unwrap();
    assert!(wt.path.join("NEW.md").exists());
    assert_eq!(fetched[0], "fetching origin/main", "{fetched:?}");
}
