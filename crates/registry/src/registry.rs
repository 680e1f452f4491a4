//! The running registry: the snapshot in force, swapped whole on reload.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use crate::build::read_bounded;
use crate::error::{ConfigError, ConfigErrorKind};
use crate::snapshot::Snapshot;

/// A registry file larger than this is refused unread.
pub const MAX_CONFIG_FILE: u64 = 4 * 1024 * 1024;

/// The registry loaded from a file. Readers take [`Registry::snapshot`] once per exchange
/// (lock-free) and keep it for the whole exchange; [`Registry::reload`] builds a new snapshot
/// beside the old one and swaps it in only if it validated whole.
#[derive(Debug)]
pub struct Registry {
    path: PathBuf,
    current: ArcSwap<Snapshot>,
    /// Serialises reloads (SIGHUP and the admin call may race), so generations increase by
    /// one per swap and a slower reload of an older file cannot overwrite a newer one.
    reload: Mutex<()>,
}

impl Registry {
    /// Loads and validates the registry file; the first snapshot is generation 1.
    pub fn load(path: impl Into<PathBuf>) -> Result<Registry, ConfigError> {
        let path = path.into();
        let snapshot = read(&path, 1)?;
        Ok(Registry {
            path,
            current: ArcSwap::from_pointee(snapshot),
            reload: Mutex::new(()),
        })
    }

    /// Reads the file again. If the new registry validates whole, it replaces the running one
    /// and its generation is returned; otherwise the running snapshot stays and the error says
    /// why.
    pub fn reload(&self) -> Result<u64, ConfigError> {
        self.reload_checked(|_| Ok(()))
    }

    /// [`Registry::reload`], with a check of the caller's on the new snapshot before it is
    /// swapped in (the gateway's own rules: its operator certificate must never be federal).
    pub fn reload_checked(
        &self,
        check: impl FnOnce(&Snapshot) -> Result<(), ConfigError>,
    ) -> Result<u64, ConfigError> {
        // A poisoned lock only means an earlier reload panicked between lock and swap; the
        // snapshot itself is never left half-written, so carry on.
        let _guard = self
            .reload
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let generation = self.current.load().generation() + 1;
        let snapshot = read(&self.path, generation)?;
        check(&snapshot).map_err(|e| e.in_file(self.path.clone()))?;
        self.current.store(Arc::new(snapshot));
        Ok(generation)
    }

    /// The snapshot in force: cheap and lock-free, for the hot path.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// The registry file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn read(path: &Path, generation: u64) -> Result<Snapshot, ConfigError> {
    let in_file = |e: ConfigError| e.in_file(path.to_path_buf());
    let bytes = read_bounded(path, MAX_CONFIG_FILE).map_err(|k| in_file(ConfigError::new(k)))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| in_file(ConfigError::new(ConfigErrorKind::NotUtf8)))?;
    // Certificate paths are relative to the registry file, wherever the process runs from.
    let base = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    Snapshot::parse(&text, base, generation).map_err(in_file)
}
