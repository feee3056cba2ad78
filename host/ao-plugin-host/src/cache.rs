//! Compiled plugin code on disk, so only the first start compiles.
//!
//! Entries are keyed by the SHA-256 of the `.wasm` and by the engine's
//! compatibility hash (wasmtime version and configuration). Deserializing
//! compiled code is only safe for bytes we produced, so every entry carries
//! the SHA-256 of the component it was compiled from and a CRC-32 and length
//! of its payload, both checked before wasmtime sees it: a corrupt,
//! truncated or stale entry, or another component's entry put under this
//! one's name, is rebuilt, never run. The checksum guards against damage,
//! not against someone who can write the 0700 directory (they can already
//! run anything as the user); a cryptographic hash of several megabytes
//! cost more than the rest of `ao status`. Entries are 0600 in a 0700
//! directory. Built-ins' SHA-256 is computed when ao is built.

use sha2::{Digest, Sha256};
use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

const MAGIC: &[u8; 8] = b"AOCWASM3";

/// The SHA-256 of a component's bytes: its cache key and binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComponentDigest(pub [u8; 32]);

impl ComponentDigest {
    pub fn of(wasm: &[u8]) -> Self {
        ComponentDigest(Sha256::digest(wasm).into())
    }
}

/// How a component was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded from a verified cache entry.
    Hit,
    /// Compiled and stored (no entry existed).
    Compiled,
    /// An entry existed but failed verification or loading; rebuilt.
    Rebuilt,
    /// Compiled without a cache directory.
    Uncached,
}

/// A directory of compiled components.
#[derive(Debug, Clone)]
pub struct CompiledCache {
    dir: Option<PathBuf>,
}

impl CompiledCache {
    /// A cache in `dir` (created on first write, mode 0700 on Unix).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        CompiledCache {
            dir: Some(dir.into()),
        }
    }

    /// No cache: always compile.
    pub fn disabled() -> Self {
        CompiledCache { dir: None }
    }

    /// The file an entry for these bytes would live in.
    pub fn entry_path(&self, engine: &Engine, wasm: &[u8]) -> Option<PathBuf> {
        self.entry_path_for(engine, &ComponentDigest::of(wasm))
    }

    fn entry_path_for(&self, engine: &Engine, digest: &ComponentDigest) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let mut h = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        let engine_key = h.finish();
        let wasm_key = hex::encode(digest.0);
        Some(dir.join(format!("{wasm_key}-{engine_key:016x}.cwasm")))
    }

    /// Loads the component for `wasm`, compiling and storing it when needed.
    pub fn load(
        &self,
        engine: &Engine,
        wasm: &[u8],
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        self.load_digested(engine, wasm, &ComponentDigest::of(wasm))
    }

    /// [`CompiledCache::load`] for bytes whose digest is already known (a
    /// built-in's, computed when ao was built).
    pub fn load_digested(
        &self,
        engine: &Engine,
        wasm: &[u8],
        digest: &ComponentDigest,
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        let Some(path) = self.entry_path_for(engine, digest) else {
            return Ok((Component::new(engine, wasm)?, CacheOutcome::Uncached));
        };
        let existed = path.exists();
        if existed {
            if let Some(component) = read_verified(engine, &path, digest) {
                return Ok((component, CacheOutcome::Hit));
            }
            tracing::warn!(path = %path.display(), "compiled plugin cache entry is corrupt or stale; rebuilding");
        }
        let compiled = engine.precompile_component(wasm)?;
        // Load from the bytes we just made; a failed cache write only costs speed.
        let component = {
            #[allow(unsafe_code)]
            // SAFETY: `compiled` was produced by this engine a moment ago.
            unsafe {
                Component::deserialize(engine, &compiled)?
            }
        };
        if let Err(e) = write_entry(&path, digest, &compiled) {
            tracing::warn!(path = %path.display(), error = %e, "cannot write compiled plugin cache");
        }
        Ok((
            component,
            if existed {
                CacheOutcome::Rebuilt
            } else {
                CacheOutcome::Compiled
            },
        ))
    }
}

/// The header after [`MAGIC`]: the source's SHA-256, the payload's CRC-32
/// and length.
const HEADER: usize = 32 + 4 + 8;

fn read_verified(engine: &Engine, path: &Path, source: &ComponentDigest) -> Option<Component> {
    let bytes = fs::read(path).ok()?;
    if bytes.len() < MAGIC.len() + HEADER || &bytes[..MAGIC.len()] != MAGIC {
        return None;
    }
    let header = &bytes[MAGIC.len()..MAGIC.len() + HEADER];
    let payload = &bytes[MAGIC.len() + HEADER..];
    // Bound to its key: an entry compiled from another component (copied
    // here under this one's name) is refused, not run as this plugin.
    if header[..32] != source.0 {
        tracing::warn!(path = %path.display(), "compiled plugin cache entry was made from another component; rebuilding");
        return None;
    }
    let crc = u32::from_le_bytes(header[32..36].try_into().ok()?);
    let len = u64::from_le_bytes(header[36..44].try_into().ok()?);
    if payload.len() as u64 != len || crc32fast::hash(payload) != crc {
        return None;
    }
    #[allow(unsafe_code)]
    // SAFETY: the payload is what `precompile_component` wrote (its length
    // and CRC-32 checked above) for this very component (its SHA-256 is
    // recorded in the entry), in a file named by this engine's
    // compatibility hash; wasmtime additionally checks its own header.
    unsafe {
        Component::deserialize(engine, payload).ok()
    }
}

fn write_entry(path: &Path, source: &ComponentDigest, compiled: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().expect("cache entries live in a directory");
    create_private_dir(dir)?;
    let mut tmp = tempfile_in(dir)?;
    tmp.1.write_all(MAGIC)?;
    tmp.1.write_all(&source.0)?;
    tmp.1.write_all(&crc32fast::hash(compiled).to_le_bytes())?;
    tmp.1.write_all(&(compiled.len() as u64).to_le_bytes())?;
    tmp.1.write_all(compiled)?;
    tmp.1.sync_all()?;
    fs::rename(&tmp.0, path)
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// A uniquely named temporary file in `dir` (renamed into place when complete).
fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, fs::File)> {
    let name = format!(".tmp-{}-{:x}", std::process::id(), rand_suffix());
    let path = dir.join(name);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(&path)?;
    Ok((path, file))
}

fn rand_suffix() -> u64 {
    let mut h = DefaultHasher::new();
    std::time::SystemTime::now().hash(&mut h);
    std::thread::current().id().hash(&mut h);
    h.finish()
}
