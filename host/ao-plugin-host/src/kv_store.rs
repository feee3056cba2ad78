//! The per-plugin key-value store behind `ao:plugin/kv`: a table in ao's
//! state database (SQLite, WAL), keyed by plugin name. The plugin host owns
//! this one table (`plugin_kv`) and creates it if needed; the plugin name
//! is only ever a bound parameter, so no plugin can reach another's keys.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::Path;
use std::time::Duration;

/// Largest key, value, and whole store of one plugin.
pub const MAX_KEY_BYTES: usize = 256;
pub const MAX_VALUE_BYTES: usize = 64 << 10;
pub const MAX_STORE_BYTES: usize = 1 << 20;

/// One plugin's store.
pub struct KvStore {
    conn: Connection,
    plugin: String,
}

impl std::fmt::Debug for KvStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KvStore")
            .field("plugin", &self.plugin)
            .finish()
    }
}

impl KvStore {
    /// Opens (creating) the database file `database` for `plugin`'s keys.
    pub fn open(database: &Path, plugin: &str) -> Result<Self, String> {
        if let Some(parent) = database.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let conn = Connection::open(database).map_err(|e| e.to_string())?;
        let setup = || -> rusqlite::Result<()> {
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.busy_timeout(Duration::from_secs(5))?;
            conn.execute_batch(
                "CREATE TABLE IF NOT EXISTS plugin_kv (
                    plugin      TEXT NOT NULL,
                    key         TEXT NOT NULL,
                    value       TEXT NOT NULL,
                    updated_at  INTEGER NOT NULL,
                    PRIMARY KEY (plugin, key)
                )",
            )
        };
        setup().map_err(|e| format!("{}: {e}", database.display()))?;
        Ok(KvStore {
            conn,
            plugin: plugin.to_string(),
        })
    }

    /// Reads a key.
    pub fn get(&mut self, key: &str) -> Result<Option<String>, String> {
        self.conn
            .query_row(
                "SELECT value FROM plugin_kv WHERE plugin = ?1 AND key = ?2",
                params![self.plugin, key],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| format!("cannot read the key-value store: {e}"))
    }

    /// Writes a key, enforcing the size limits, in one transaction.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        if key.len() > MAX_KEY_BYTES {
            return Err(format!(
                "key is {} bytes; the limit is {MAX_KEY_BYTES}",
                key.len()
            ));
        }
        if value.len() > MAX_VALUE_BYTES {
            return Err(format!(
                "value is {} bytes; the limit is {MAX_VALUE_BYTES}",
                value.len()
            ));
        }
        let mut write = || -> rusqlite::Result<Option<usize>> {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let others: i64 = tx.query_row(
                "SELECT COALESCE(SUM(length(CAST(key AS BLOB)) + length(CAST(value AS BLOB))), 0)
                 FROM plugin_kv WHERE plugin = ?1 AND key <> ?2",
                params![self.plugin, key],
                |r| r.get(0),
            )?;
            let total = others as usize + key.len() + value.len();
            if total > MAX_STORE_BYTES {
                return Ok(Some(total));
            }
            tx.execute(
                "INSERT INTO plugin_kv (plugin, key, value, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (plugin, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                params![self.plugin, key, value, now_ms()],
            )?;
            tx.commit()?;
            Ok(None)
        };
        match write() {
            Ok(None) => Ok(()),
            Ok(Some(total)) => Err(format!(
                "the store would hold {total} bytes; the limit is {MAX_STORE_BYTES}"
            )),
            Err(e) => Err(format!("cannot write the key-value store: {e}")),
        }
    }

    /// Every key of this plugin with its value, by key.
    pub fn entries(&mut self) -> Result<Vec<(String, String)>, String> {
        let mut stmt = self
            .conn
            .prepare("SELECT key, value FROM plugin_kv WHERE plugin = ?1 ORDER BY key")
            .map_err(|e| e.to_string())?;
        let rows = stmt
            .query_map([&self.plugin], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| e.to_string())?;
        rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
    }

    /// Deletes a key.
    pub fn delete(&mut self, key: &str) -> Result<(), String> {
        self.conn
            .execute(
                "DELETE FROM plugin_kv WHERE plugin = ?1 AND key = ?2",
                params![self.plugin, key],
            )
            .map(|_| ())
            .map_err(|e| format!("cannot write the key-value store: {e}"))
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_persist_per_plugin_and_limits_hold() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("ao.db");
        let mut kv = KvStore::open(&db, "../../etc/passwd").unwrap();
        kv.set("etag", "W/\"1\"").unwrap();
        let mut other = KvStore::open(&db, "github").unwrap();
        assert_eq!(other.get("etag").unwrap(), None, "plugins never share keys");
        let mut again = KvStore::open(&db, "../../etc/passwd").unwrap();
        assert_eq!(again.get("etag").unwrap().as_deref(), Some("W/\"1\""));
        assert!(again.set("big", &"x".repeat(MAX_VALUE_BYTES + 1)).is_err());
        again.delete("etag").unwrap();
        assert_eq!(again.get("etag").unwrap(), None);
    }

    #[test]
    fn a_plugin_cannot_grow_past_its_whole_store_limit() {
        let tmp = tempfile::tempdir().unwrap();
        let mut kv = KvStore::open(&tmp.path().join("ao.db"), "p").unwrap();
        let value = "v".repeat(MAX_VALUE_BYTES - 10);
        let fits = MAX_STORE_BYTES / MAX_VALUE_BYTES;
        for i in 0..fits {
            kv.set(&format!("k{i}"), &value).unwrap();
        }
        let err = kv.set("one-more", &value).unwrap_err();
        assert!(err.contains("limit"), "{err}");
        // Replacing an existing key counts its new size only.
        kv.set("k0", "small").unwrap();
        kv.set("one-more", &value).unwrap();
    }
}
