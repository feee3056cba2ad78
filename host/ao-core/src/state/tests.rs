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

#[test]
fn a_database_at_schema_1_is_migrated_keeping_its_sessions() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut conn = rusqlite::Connection::open(dir.path().join("ao.db")).unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute_batch(migrations::MIGRATIONS[0]).unwrap();
        tx.pragma_update(None, "user_version", 1).unwrap();
        tx.execute(
            "INSERT INTO sessions (id, project_id, prefix, number, status, created_at, updated_at)
             VALUES ('web-1', 'web', 'web', 1, 'working', 1, 1)",
            [],
        )
        .unwrap();
        tx.commit().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        migrations::MIGRATIONS.len() as i64
    );
    let s = store.session("web-1").unwrap();
    assert_eq!(s.status, "working");
    assert_eq!(s.reported_activity, None);
    assert!(store.queued_spawns().unwrap().is_empty());
}

#[test]
fn activity_changes_are_recorded_once_and_reports_take_effect_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let id = store.create_session(&new("web")).unwrap().id;
    assert!(store.set_activity(&id, "active", "terminal").unwrap());
    assert!(
        !store.set_activity(&id, "active", "terminal").unwrap(),
        "no change, no write"
    );
    let first = store.session(&id).unwrap().activity_at.unwrap();
    // Same activity from a better source: recorded, but the activity's age is kept.
    assert!(store.set_activity(&id, "active", "transcript").unwrap());
    let s = store.session(&id).unwrap();
    assert_eq!(
        (s.activity_source.as_deref(), s.activity_at),
        (Some("transcript"), Some(first))
    );

    store
        .record_report(&id, "waiting_input", Some("which DB?"), "needs_input")
        .unwrap();
    let s = store.session(&id).unwrap();
    assert_eq!(s.activity.as_deref(), Some("waiting_input"));
    assert_eq!(s.activity_source.as_deref(), Some("hook"));
    assert_eq!(s.reported_activity.as_deref(), Some("waiting_input"));
    assert!(s.reported_at.is_some());

    let kinds: Vec<String> = store
        .events(&id)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        ["session.created", "activity.changed", "activity.reported"]
    );
    let reported = store.events(&id).unwrap().pop().unwrap();
    assert!(
        reported.data.contains("\"from\":\"active\""),
        "{}",
        reported.data
    );
}

#[test]
fn the_spawn_queue_is_first_in_first_out_and_taken_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let a = store
        .enqueue_spawn("web", Some("7"), "fix 7", None, None)
        .unwrap();
    let b = store
        .enqueue_spawn("web", None, "tidy up", Some("codex"), None)
        .unwrap();
    let queue = store.queued_spawns().unwrap();
    assert_eq!(queue, [a.clone(), b.clone()]);
    assert_eq!(store.queued_for_issue("web", "7").unwrap(), Some(a.clone()));
    assert!(store.dequeue_spawn(a.seq).unwrap());
    assert!(
        !store.dequeue_spawn(a.seq).unwrap(),
        "a second taker gets nothing"
    );
    assert_eq!(store.queued_spawns().unwrap(), [b]);
}

#[test]
fn an_issue_has_at_most_one_live_session_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut task = new("web");
    task.issue_id = Some("42".into());
    let first = store.create_session(&task).unwrap();
    assert_eq!(
        store
            .active_session_for_issue("web", "42")
            .unwrap()
            .unwrap()
            .id,
        first.id
    );
    assert_eq!(store.active_session_for_issue("web", "43").unwrap(), None);
    store
        .transition(
            &first.id,
            &Transition {
                status: Some("killed".into()),
                event: "session.killed".into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(store.active_session_for_issue("web", "42").unwrap(), None);
}

#[test]
fn another_connections_commit_changes_data_version() {
    let dir = tempfile::tempdir().unwrap();
    let watcher = Store::open(dir.path()).unwrap();
    let mut writer = Store::open(dir.path()).unwrap();
    let before = watcher.data_version().unwrap();
    assert_eq!(watcher.data_version().unwrap(), before);
    writer.create_session(&new("web")).unwrap();
    assert_ne!(watcher.data_version().unwrap(), before);
}

#[test]
fn reaction_attempts_count_new_triggers_once_each_and_reset() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let attempt = |store: &mut Store, session: &str, print: &str| {
        let a = store.reaction_attempt(session, "ci-failed", print).unwrap();
        (a.attempts, a.new_trigger)
    };
    assert_eq!(attempt(&mut store, "web-1", "sha1"), (1, true));
    assert_eq!(
        attempt(&mut store, "web-1", "sha1"),
        (1, false),
        "same trigger"
    );
    assert_eq!(attempt(&mut store, "web-1", "sha2"), (2, true));
    assert_eq!(
        attempt(&mut store, "web-2", "sha2"),
        (1, true),
        "per session"
    );
    // A delivery that failed is taken back and tried again.
    store.retract_attempt("web-1", "ci-failed").unwrap();
    assert_eq!(attempt(&mut store, "web-1", "sha2"), (2, true));
    let first = store
        .reaction_attempt("web-1", "ci-failed", "sha2")
        .unwrap();
    assert!(!first.escalated);
    store.mark_escalated("web-1", "ci-failed").unwrap();
    let escalated = store
        .reaction_attempt("web-1", "ci-failed", "sha3")
        .unwrap();
    assert!(escalated.escalated && escalated.first_at == first.first_at);
    store.reset_reaction("web-1", "ci-failed").unwrap();
    let fresh = store
        .reaction_attempt("web-1", "ci-failed", "sha3")
        .unwrap();
    assert_eq!((fresh.attempts, fresh.escalated), (1, false));
}

#[test]
fn local_prs_ci_runs_and_reviews_are_kept_per_pr() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let pr = store.open_local_pr("web", "feat/issue-1", "abc").unwrap();
    assert_eq!((pr.number, pr.state.as_str()), (1, "open"));
    assert_eq!(
        store.local_pr_for_branch("web", "feat/issue-1").unwrap(),
        Some(pr.clone())
    );
    let run = store
        .start_ci_run("web", pr.number, "abc", "/tmp/ci.log")
        .unwrap();
    assert_eq!(run.status, "running");
    store.finish_ci_run(run.id, 2).unwrap();
    let done = store.latest_ci_run("web", pr.number).unwrap().unwrap();
    assert_eq!((done.status.as_str(), done.exit_code), ("failed", Some(2)));
    store
        .add_review("web", pr.number, "request-changes", "add a test", "ana")
        .unwrap();
    store
        .add_review("web", pr.number, "approve", "", "ana")
        .unwrap();
    let verdicts: Vec<String> = store
        .reviews("web", pr.number)
        .unwrap()
        .into_iter()
        .map(|r| r.verdict)
        .collect();
    assert_eq!(verdicts, ["request-changes", "approve"]);
    store
        .set_local_pr(pr.number, "merged", Some("def"))
        .unwrap();
    let merged = store.local_pr("web", pr.number).unwrap().unwrap();
    assert_eq!(
        (merged.state.as_str(), merged.head_sha.as_deref()),
        ("merged", Some("def"))
    );
}
