use super::*;

fn new(prefix: &str) -> NewSession {
    NewSession {
        project_id: "web".into(),
        prefix: prefix.into(),
        agent: Some("claude-code".into()),
        ..NewSession::default()
    }
}

#[test]
fn ids_are_reserved_in_sequence_per_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.create_session(&new("web")).unwrap().id, "web-1");
    assert_eq!(store.create_session(&new("web")).unwrap().id, "web-2");
    assert_eq!(store.create_session(&new("api")).unwrap().id, "api-1");
    // A reopened store continues the sequence.
    drop(store);
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.create_session(&new("web")).unwrap().id, "web-3");
}

#[test]
fn concurrent_spawns_never_share_an_id() {
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path()).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let mut store = Store::open(&path).unwrap();
                (0..25)
                    .map(|_| store.create_session(&new("web")).unwrap().id)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut ids: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 100);
}

#[test]
fn transitions_are_recorded_in_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let s = store.create_session(&new("web")).unwrap();
    store
        .transition(
            &s.id,
            &Transition {
                status: Some("working".into()),
                event: "session.working".into(),
                branch: Some("feat/x".into()),
                ..Transition::default()
            },
        )
        .unwrap();
    let s = store
        .transition(
            &s.id,
            &Transition {
                status: Some("killed".into()),
                reason: Some("manually_killed".into()),
                event: "session.killed".into(),
                ..Transition::default()
            },
        )
        .unwrap();
    assert_eq!(
        (s.status.as_str(), s.reason.as_deref(), s.branch.as_deref()),
        ("killed", Some("manually_killed"), Some("feat/x"))
    );
    let history: Vec<(String, Option<String>, Option<String>)> = store
        .events(&s.id)
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.from_status, e.to_status))
        .collect();
    assert_eq!(
        history,
        [
            ("session.created".into(), None, Some("spawning".into())),
            (
                "session.working".into(),
                Some("spawning".into()),
                Some("working".into())
            ),
            (
                "session.killed".into(),
                Some("working".into()),
                Some("killed".into())
            ),
        ]
    );
    // Terminal sessions are hidden unless asked for.
    assert!(store.sessions(None, false).unwrap().is_empty());
    assert_eq!(store.sessions(Some("web"), true).unwrap().len(), 1);
    assert!(matches!(
        store.transition("web-99", &Transition::default()),
        Err(StateError::UnknownSession(_))
    ));
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        migrations::MIGRATIONS.len() as i64
    );
    store.conn.pragma_update(None, "user_version", 99).unwrap();
    drop(store);
    let err = Store::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("newer ao"), "{err}");
}
