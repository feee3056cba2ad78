//! The per-plugin key-value store behind `ao:plugin/kv`: one JSON file per
//! plugin inside the data directory, opened through cap-std so a plugin name
//! can never address a file outside it.

use cap_std::ambient_authority;
use cap_std::fs::Dir;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// Largest key, value, and whole store of one plugin.
pub const MAX_KEY_BYTES: usize = 256;
pub const MAX_VALUE_BYTES: usize = 64 << 10;
pub const MAX_STORE_BYTES: usize = 1 << 20;

/// One plugin's store, loaded lazily and written through on change.
pub struct KvStore {
    dir: Dir,
    file: String,
    data: Option<BTreeMap<String, String>>,
}

impl std::fmt::Debug for KvStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KvStore").field("file", &self.file).finish()
    }
}

impl KvStore {
    /// Opens (creating) `root` and addresses `<plugin>.json` inside it.
    pub fn open(root: &Path, plugin: &str) -> std::io::Result<Self> {
        std::fs::create_dir_all(root)?;
        let dir = Dir::open_ambient_dir(root, ambient_authority())?;
        let safe: String = plugin
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Ok(KvStore {
            dir,
            file: format!("{safe}.json"),
            data: None,
        })
    }

    fn data(&mut self) -> Result<&mut BTreeMap<String, String>, String> {
        if self.data.is_none() {
            let loaded = match self.dir.read_to_string(&self.file) {
                Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                    tracing::warn!(file = %self.file, error = %e, "plugin key-value store is corrupt; starting empty");
                    BTreeMap::new()
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
                Err(e) => return Err(format!("cannot read the key-value store: {e}")),
            };
            self.data = Some(loaded);
        }
        Ok(self.data.as_mut().expect("loaded above"))
    }

    /// Reads a key.
    pub fn get(&mut self, key: &str) -> Result<Option<String>, String> {
        Ok(self.data()?.get(key).cloned())
    }

    /// Writes a key, enforcing the size limits.
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
        let data = self.data()?;
        let previous = data.insert(key.to_string(), value.to_string());
        let total: usize = data.iter().map(|(k, v)| k.len() + v.len()).sum();
        if total > MAX_STORE_BYTES {
            match previous {
                Some(p) => data.insert(key.to_string(), p),
                None => data.remove(key),
            };
            return Err(format!(
                "the store would hold {total} bytes; the limit is {MAX_STORE_BYTES}"
            ));
        }
        self.flush()
    }

    /// Deletes a key.
    pub fn delete(&mut self, key: &str) -> Result<(), String> {
        if self.data()?.remove(key).is_some() {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the store atomically (temporary file, then rename).
    fn flush(&mut self) -> Result<(), String> {
        let json =
            serde_json::to_vec(self.data.as_ref().expect("loaded")).map_err(|e| e.to_string())?;
        let tmp = format!(".{}.tmp", self.file);
        let write = || -> std::io::Result<()> {
            let mut f = self.dir.create(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()?;
            self.dir.rename(&tmp, &self.dir, &self.file)
        };
        write().map_err(|e| format!("cannot write the key-value store: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_persist_and_limits_hold() {
        let tmp = tempfile::tempdir().unwrap();
        let mut kv = KvStore::open(tmp.path(), "../../etc/passwd").unwrap();
        kv.set("etag", "W/\"1\"").unwrap();
        assert!(
            tmp.path().join("______etc_passwd.json").exists(),
            "the file stays inside the store directory"
        );
        let mut again = KvStore::open(tmp.path(), "../../etc/passwd").unwrap();
        assert_eq!(again.get("etag").unwrap().as_deref(), Some("W/\"1\""));
        assert!(again.set("big", &"x".repeat(MAX_VALUE_BYTES + 1)).is_err());
        again.delete("etag").unwrap();
        assert_eq!(again.get("etag").unwrap(), None);
    }
}
