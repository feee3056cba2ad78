//! Intent before effect: steps recorded with their owner, taken over once.

use super::*;
use crate::process::ProcessId;

fn task(issue: &str) -> NewSession {
    NewSession {
        project_id: "web".into(),
        prefix: "web".into(),
        issue_id: Some(issue.into()),
        ..NewSession::default()
    }
}

#[test]
fn a_new_session_is_owned_by_its_spawner_and_records_its_steps() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let s = store.create_session(&task("1")).unwrap();
    assert_eq!(s.owner(), Some(ProcessId::current()));
    assert_eq!(s.op_step.as_deref(), Some("reserved"));
    let s = store
        .record_step(
            &s.id,
            &Step {
                name: "workspace".into(),
                branch: Some("feat/issue-1".into()),
                workspace_path: Some("/w/web-1".into()),
                data: Some(serde_json::json!({ "repo": "/r" })),
                ..Step::default()
            },
        )
        .unwrap();
    assert_eq!(s.branch.as_deref(), Some("feat/issue-1"));
    assert_eq!(s.workspace_path.as_deref(), Some("/w/web-1"));
    let s = store
        .record_step(
            &s.id,
            &Step {
                name: "runtime".into(),
                data: Some(serde_json::json!({ "inlinePrompt": false })),
                ..Step::default()
            },
        )
        .unwrap();
    assert_eq!(s.op_facts()["repo"], "/r", "facts accumulate");
    assert_eq!(s.op_facts()["inlinePrompt"], false);
    assert_eq!(store.in_operation().unwrap().len(), 1);
    let done = store
        .transition(
            &s.id,
            &Transition {
                status: Some("working".into()),
                event: "session.working".into(),
                ..Transition::default()
            },
        )
        .unwrap();
    assert_eq!(done.owner(), None, "a finished operation has no owner");
    assert!(store.in_operation().unwrap().is_empty());
}

#[test]
fn a_dead_owners_operation_is_taken_over_by_one_process_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let s = store.create_session(&task("1")).unwrap();
    // As if another process (now gone) owned it.
    store
        .conn
        .execute(
            "UPDATE sessions SET owner_pid = 999999999, owner_start = 1",
            [],
        )
        .unwrap();
    let s = store.session(&s.id).unwrap();
    assert!(!s.owner().unwrap().is_running());
    let mut other = Store::open(dir.path()).unwrap();
    assert!(store.take_over(&s, "test").unwrap());
    assert!(
        !other.take_over(&s, "test").unwrap(),
        "the second taker loses"
    );
    let kinds: Vec<String> = store
        .events(&s.id)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(
        kinds.contains(&"operation.taken_over".to_string()),
        "{kinds:?}"
    );
}

#[test]
fn parallel_spawns_of_one_issue_let_exactly_one_through() {
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path()).unwrap();
    let handles: Vec<_> = (0..12)
        .map(|_| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || Store::open(&path).unwrap().create_session(&task("7")))
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let winners = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(winners, 1);
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(r, StateError::DuplicateIssue { existing, .. } if existing == "web-1"),
            "{r}"
        );
    }
}

#[test]
fn a_queued_issue_blocks_a_spawn_and_the_other_way_round() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store
        .enqueue_spawn("web", Some("3"), "t", None, None)
        .unwrap();
    let err = store.create_session(&task("3")).unwrap_err();
    assert!(err.to_string().contains("queue entry"), "{err}");
    store.create_session(&task("4")).unwrap();
    let err = store
        .enqueue_spawn("web", Some("4"), "t", None, None)
        .unwrap_err();
    assert!(err.to_string().contains("web-1"), "{err}");
}
