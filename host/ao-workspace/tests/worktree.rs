//! Against real git: a bare "origin", a clone, worktrees made from the remote.

use ao_workspace::worktree::{self, RemoveError, WorktreeSpec};
use std::path::Path;
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

/// origin (bare) with one commit on main, and a clone of it.
fn fixture() -> (tempfile::TempDir, std::path::PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let origin = root.path().join("origin.git");
    let seed = root.path().join("seed");
    git(
        root.path(),
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            origin.to_str().unwrap(),
        ],
    );
    git(
        root.path(),
        &["init", "-q", "-b", "main", seed.to_str().unwrap()],
    );
    std::fs::write(seed.join("README.md"), "hello\n").unwrap();
    git(&seed, &["add", "."]);
    git(&seed, &["commit", "-q", "-m", "first"]);
    git(
        &seed,
        &["remote", "add", "origin", origin.to_str().unwrap()],
    );
    git(&seed, &["push", "-q", "origin", "main"]);
    let clone = root.path().join("clone");
    git(
        root.path(),
        &[
            "clone",
            "-q",
            origin.to_str().unwrap(),
            clone.to_str().unwrap(),
        ],
    );
    // origin moves on after the clone: the worktree must start from the fetched tip.
    std::fs::write(seed.join("NEW.md"), "newer\n").unwrap();
    git(&seed, &["add", "."]);
    git(&seed, &["commit", "-q", "-m", "second"]);
    git(&seed, &["push", "-q", "origin", "main"]);
    (root, clone)
}

fn spec(root: &Path, clone: &Path, name: &str) -> WorktreeSpec {
    WorktreeSpec {
        repo: clone.to_path_buf(),
        remote: "origin".into(),
        default_branch: "main".into(),
        branch: format!("feat/{name}"),
        path: root.join("worktrees").join(name),
        name: name.into(),
    }
}

#[test]
fn a_worktree_starts_from_the_fetched_remote_branch() {
    let (root, clone) = fixture();
    let wt = worktree::create(&spec(root.path(), &clone, "web-1")).unwrap();
    assert!(
        wt.path.join("NEW.md").exists(),
        "the worktree has origin's newest commit"
    );
    assert_eq!(
        git(&wt.path, &["rev-parse", "--abbrev-ref", "HEAD"]),
        "feat/web-1"
    );
    assert_eq!(git(&wt.path, &["rev-parse", "HEAD"]), wt.base_commit);
    // The same branch again is refused, and nothing is left half-made.
    let mut again = spec(root.path(), &clone, "web-2");
    again.branch = "feat/web-1".into();
    assert!(
        worktree::create(&again)
            .unwrap_err()
            .to_string()
            .contains("already exists")
    );
    assert!(!again.path.exists());
}

#[test]
fn removal_refuses_to_lose_uncommitted_or_unpushed_work() {
    let (root, clone) = fixture();
    let s = spec(root.path(), &clone, "web-1");
    let wt = worktree::create(&s).unwrap();
    std::fs::write(wt.path.join("work.txt"), "draft").unwrap();
    let refused = worktree::remove(&clone, "web-1", &wt.path, false)
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(&refused[0], RemoveError::Uncommitted(f) if f == &["work.txt".to_string()]),
        "{refused:?}"
    );
    git(&wt.path, &["add", "."]);
    git(&wt.path, &["commit", "-q", "-m", "work"]);
    let refused = worktree::remove(&clone, "web-1", &wt.path, false)
        .unwrap()
        .unwrap_err();
    assert_eq!(refused, [RemoveError::Unpushed(1)]);
    git(&wt.path, &["push", "-q", "origin", "feat/web-1"]);
    worktree::remove(&clone, "web-1", &wt.path, false)
        .unwrap()
        .unwrap();
    assert!(!wt.path.exists());
    assert!(!git(&clone, &["worktree", "list"]).contains("web-1"));
}

#[test]
fn force_removes_anyway_and_bad_input_is_explained() {
    let (root, clone) = fixture();
    let wt = worktree::create(&spec(root.path(), &clone, "web-1")).unwrap();
    std::fs::write(wt.path.join("work.txt"), "draft").unwrap();
    worktree::remove(&clone, "web-1", &wt.path, true)
        .unwrap()
        .unwrap();
    assert!(!wt.path.exists());

    let mut bad = spec(root.path(), &clone, "web-3");
    bad.default_branch = "trunk".into();
    let err = worktree::create(&bad).unwrap_err().to_string();
    assert!(err.contains("git fetch origin trunk"), "{err}");
    let not_repo = spec(root.path(), root.path(), "web-4");
    assert!(worktree::create(&not_repo).is_err());
}
