//! The guarantee of one engine per SQLite file: an OS advisory lock on `<db>.lock`, held
//! for the store's lifetime. The operating system drops it when the process dies, so a
//! crashed engine never leaves a stale lock behind (unlike a pid file).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use fs4::fs_std::FileExt;

use crate::store::StoreError;

/// An exclusive lock on a database's sidecar lock file; released on drop.
#[derive(Debug)]
pub(super) struct EngineLock {
    // Holding the open file holds the lock.
    _file: File,
}

/// `<db>.lock` next to the database file.
pub(super) fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".lock");
    db.with_file_name(name)
}

impl EngineLock {
    /// Lock `db`'s sidecar file, or fail with [`StoreError::AlreadyInUse`] naming who holds it.
    pub(super) fn acquire(db: &Path) -> Result<EngineLock, StoreError> {
        let path = lock_path(db);
        let io_error = |source| StoreError::Io {
            path: path.display().to_string(),
            source,
        };
        // Not truncated on open: while another engine holds it, it describes that engine.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_error)?;
        if !file.try_lock_exclusive().map_err(io_error)? {
            let mut holder = String::new();
            // Best effort: the description is for the message only.
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(StoreError::AlreadyInUse {
                path: db.display().to_string(),
                holder: if holder.is_empty() {
                    "another process".to_owned()
                } else {
                    holder.to_owned()
                },
            });
        }
        let description = format!(
            "ferry process {} since {}",
            std::process::id(),
            chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
        );
        file.set_len(0).map_err(io_error)?;
        file.seek(SeekFrom::Start(0)).map_err(io_error)?;
        file.write_all(description.as_bytes()).map_err(io_error)?;
        file.flush().map_err(io_error)?;
        Ok(EngineLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_file_sits_next_to_the_database() {
        assert_eq!(
            lock_path(Path::new("/data/ferry.db")),
            PathBuf::from("/data/ferry.db.lock")
        );
    }

    #[test]
    fn second_lock_names_the_holder_and_first_release_frees_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("ferry.db");
        let first = EngineLock::acquire(&db).unwrap();
        match EngineLock::acquire(&db) {
            Err(StoreError::AlreadyInUse { path, holder }) => {
                assert_eq!(path, db.display().to_string());
                assert!(
                    holder.contains(&std::process::id().to_string()),
                    "holder: {holder}"
                );
            }
            other => panic!("expected AlreadyInUse, got {other:?}"),
        }
        drop(first);
        EngineLock::acquire(&db).expect("free after the first holder is gone");
    }
}
