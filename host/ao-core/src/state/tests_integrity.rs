//! The database file: never silently recreated, created and migrated once
//! under a lock, backed up before migrations, repaired without losing ids.

use super::*;
use std::os::unix::fs::PermissionsExt;

fn new(prefix: &str) -> NewSession {
    NewSession {
        project_id: "web".into(),
        prefix: prefix.into(),
        ..NewSession::default()
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn an_empty_database_file_is_refused_with_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ao.db"), b"").unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StateError::Damaged { .. }), "{text}");
    assert!(text.contains("empty"), "{text}");
    assert!(text.contains("ao doctor --repair"), "{text}");
    assert_eq!(
        std::fs::metadata(dir.path().join("ao.db")).unwrap().len(),
        0,
        "the file is left as it was"
    );
}

#[test]
fn a_foreign_or_truncated_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ao.db"), b"not a database at all").unwrap();
    let err = Store::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("not a SQLite database"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    for _ in 0..50 {
        store.create_session(&new("web")).unwrap();
    }
    drop(store);
    let path = dir.path().join("ao.db");
    assert!(
        !file::wal_path(&path).exists()
            || std::fs::metadata(file::wal_path(&path)).unwrap().len() == 0
    );
    let len = std::fs::metadata(&path).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(len / 2).unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, StateError::Damaged { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("truncated") || text.contains("malformed"),
        "{text}"
    );
}

#[test]
fn a_missing_database_next_to_its_backups_is_not_a_new_installation() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    migrations::backup(&store.conn, dir.path(), 5).unwrap();
    drop(store);
    std::fs::remove_file(dir.path().join("ao.db")).unwrap();
    let err = Store::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("missing but backups exist"), "{err}");
    assert!(err.contains("--from"), "names the backup to restore: {err}");
}

#[test]
fn the_database_and_its_directory_are_private() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    Store::open(&data).unwrap();
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("ao.db")), 0o600);
    assert_eq!(mode(&data.join("locks")), 0o700);
}

#[test]
fn concurrent_first_opens_create_the_database_once() {
    for _ in 0..10 {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let data = data.clone();
                std::thread::spawn(move || Store::open(&data).map(|s| s.schema_version().unwrap()))
            })
            .collect();
        for h in handles {
            let version = h.join().unwrap().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(version, migrations::MIGRATIONS.len() as i64);
        }
    }
}

#[test]
fn a_half_built_database_of_a_killed_creator_is_not_left_as_ao_db() {
    let dir = tempfile::tempdir().unwrap();
    // What a creator killed before the rename leaves: only the side file.
    std::fs::write(file::fresh_path(&database_path(dir.path())), b"").unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.create_session(&new("web")).unwrap().id, "web-1");
    assert!(!file::fresh_path(&database_path(dir.path())).exists());
}

#[test]
fn a_migration_is_preceded_by_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut conn = rusqlite::Connection::open(dir.path().join("ao.db")).unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute_batch(migrations::MIGRATIONS[0]).unwrap();
        tx.pragma_update(None, "user_version", 1).unwrap();
        tx.commit().unwrap();
    }
    Store::open(dir.path()).unwrap();
    let backups = file::backups(dir.path());
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert!(
        backups[0]
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("ao-schema1-")
    );
    assert_eq!(mode(&backups[0]), 0o600);
    assert_eq!(mode(&file::backups_dir(dir.path())), 0o700);
    // Opening an up-to-date database makes no more.
    Store::open(dir.path()).unwrap();
    assert_eq!(file::backups(dir.path()).len(), 1);
}

#[test]
fn repair_keeps_the_damaged_file_restores_the_backup_and_never_reuses_an_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.create_session(&new("web")).unwrap();
    migrations::backup(&store.conn, dir.path(), 5).unwrap();
    store.create_session(&new("web")).unwrap();
    drop(store);
    std::fs::write(dir.path().join("ao.db"), b"").unwrap();
    for f in file::database_files(&dir.path().join("ao.db"))
        .iter()
        .skip(1)
    {
        let _ = std::fs::remove_file(f);
    }
    let repaired = repair(dir.path(), None, &["web-2".to_string()]).unwrap();
    assert!(
        matches!(repaired.source, repair::Source::Backup(_)),
        "{repaired:?}"
    );
    let aside = repaired.kept_aside.unwrap();
    assert!(aside.exists(), "the damaged file is kept");
    let mut store = Store::open(dir.path()).unwrap();
    assert!(
        store.session("web-1").is_ok(),
        "the backup's session is back"
    );
    assert_eq!(
        store.create_session(&new("web")).unwrap().id,
        "web-3",
        "web-2 is still in use"
    );
    assert!(matches!(
        repair::check(dir.path()),
        repair::Health::Healthy { .. }
    ));
}

#[test]
fn repair_of_a_damaged_file_without_backup_makes_a_new_database() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ao.db"), b"garbage").unwrap();
    assert!(matches!(
        repair::check(dir.path()),
        repair::Health::Damaged(_)
    ));
    std::fs::create_dir_all(dir.path().join("worktrees/web/web-7")).unwrap();
    let repaired = repair(dir.path(), None, &[]).unwrap();
    assert_eq!(repaired.source, repair::Source::New);
    assert_eq!(repaired.counters, [("web".to_string(), 8)]);
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.create_session(&new("web")).unwrap().id, "web-8");
}

#[test]
fn a_healthy_database_passes_quick_check_and_repair_leaves_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert!(store.quick_check().unwrap().is_empty());
    assert!(store.health().is_ok());
    drop(store);
    let repaired = repair(dir.path(), None, &[]).unwrap();
    assert_eq!(repaired.source, repair::Source::Healthy);
}
