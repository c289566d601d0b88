//! Whole-database snapshots (the admin API's `/_awsim/snapshots`): a named copy of every table,
//! item, index row, stream record and queue of every account and region, taken and put back
//! with SQLite's online backup API (a page copy: no SQL, no decoding). An in-memory store keeps
//! its snapshots in memory (one `memdb` database each); a file-backed store keeps them as
//! `snapshots/<name>.db` beside `dynamodb.db`, so they survive a restart.
//!
//! Part of `storage`: knows SQLite, nothing of the engine's catalogue. Restoring hands the
//! caller the writer connection, still locked, so the catalogue is reloaded before any write
//! can see the restored database.
use super::{migrations, open_memdb, Store};
use crate::error::{Error, Result};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What the admin API lists about a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotInfo {
    pub name: String,
    /// When it was taken (seconds since the epoch, by the system clock).
    pub created: f64,
    /// The size of the copied database.
    pub size_bytes: u64,
}

/// Where a store keeps its snapshots.
pub(super) enum Shelf {
    /// In-memory store: each snapshot is a private `memdb` database.
    Memory(Mutex<BTreeMap<String, (Connection, SnapshotInfo)>>),
    /// File-backed store: `<dir>/<name>.db`.
    Files(PathBuf),
}

impl Shelf {
    pub(super) fn for_store(db_path: Option<&Path>) -> Shelf {
        match db_path.and_then(Path::parent) {
            Some(dir) => Shelf::Files(dir.join("snapshots")),
            None => Shelf::Memory(Mutex::new(BTreeMap::new())),
        }
    }
}

/// A snapshot name is also a file name: 1 to 128 letters, digits, `-`, `_` and `.`, not
/// starting with a dot.
pub fn valid_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn check_name(name: &str) -> Result<()> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(Error::validation(format!(
            "invalid snapshot name {name:?}: 1 to 128 letters, digits, '-', '_' or '.', not starting with '.'"
        )))
    }
}

/// Copies every page of `from` into `to` in one step (a consistent copy: the source is read in
/// one read transaction, the destination written in one write transaction).
fn copy(from: &Connection, to: &mut Connection) -> Result<()> {
    let backup = Backup::new(from, to)?;
    match backup.step(-1)? {
        StepResult::Done => Ok(()),
        other => Err(Error::internal(format!(
            "snapshot copy did not complete: {other:?}"
        ))),
    }
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

fn database_bytes(conn: &Connection) -> Result<u64> {
    let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    Ok((pages * size) as u64)
}

fn file_info(path: &Path) -> Option<SnapshotInfo> {
    let name = path.file_name()?.to_str()?.strip_suffix(".db")?;
    if !valid_name(name) {
        return None;
    }
    let meta = std::fs::metadata(path).ok()?;
    let created = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0.0, |d| d.as_secs_f64());
    Some(SnapshotInfo {
        name: name.to_string(),
        created,
        size_bytes: meta.len(),
    })
}

fn io(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::internal(format!("{what} {}: {e}", path.display()))
}

impl Store {
    /// Takes a snapshot of the whole database under `name`, replacing one of the same name.
    /// Writes go on meanwhile on a file-backed store (the copy reads one WAL snapshot); an
    /// in-memory store's single connection is busy for the copy.
    pub fn snapshot(&self, name: &str) -> Result<SnapshotInfo> {
        check_name(name)?;
        match &self.snapshots {
            Shelf::Memory(kept) => {
                let mut copy_conn = open_memdb()?;
                self.read(|conn| copy(conn, &mut copy_conn))?;
                let info = SnapshotInfo {
                    name: name.to_string(),
                    created: now(),
                    size_bytes: database_bytes(&copy_conn)?,
                };
                kept.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(name.to_string(), (copy_conn, info.clone()));
                Ok(info)
            }
            Shelf::Files(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| io("creating", dir, e))?;
                let path = dir.join(format!("{name}.db"));
                // Written beside its final name and renamed into place: a snapshot file is
                // either whole or absent, and a restore never reads a half-written one.
                let partial = dir.join(format!(".{name}.db.partial"));
                let _ = std::fs::remove_file(&partial);
                let mut out = Connection::open(&partial)?;
                // A scratch file until renamed: no journal, no syncs.
                out.execute_batch("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")?;
                self.read(|conn| copy(conn, &mut out))?;
                drop(out);
                std::fs::rename(&partial, &path).map_err(|e| io("renaming", &partial, e))?;
                file_info(&path).ok_or_else(|| Error::internal("snapshot file vanished"))
            }
        }
    }

    /// Replaces the whole database by the snapshot `name` (None when there is no such
    /// snapshot), then calls `reload` with the writer connection before releasing it, so the
    /// caller's view of the database (the engine's catalogue) changes before any other write.
    /// The caller must make sure no operation is in flight (see `Engine::restore_snapshot`).
    pub fn restore<T>(
        &self,
        name: &str,
        reload: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<Option<T>> {
        check_name(name)?;
        match &self.snapshots {
            Shelf::Memory(kept) => {
                let kept = kept.lock().unwrap_or_else(|p| p.into_inner());
                let Some((source, _)) = kept.get(name) else {
                    return Ok(None);
                };
                let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
                copy(source, writer.get_mut())?;
                migrations::migrate(writer.get_mut())?;
                reload(&writer).map(Some)
            }
            Shelf::Files(dir) => {
                let path = dir.join(format!("{name}.db"));
                if !path.is_file() {
                    return Ok(None);
                }
                let source = Connection::open(&path)?;
                let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
                copy(&source, writer.get_mut())?;
                // A snapshot file left by an older awsim is brought up to date like a data dir.
                migrations::migrate(writer.get_mut())?;
                reload(&writer).map(Some)
            }
        }
    }

    /// Every snapshot, by name.
    pub fn snapshots(&self) -> Result<Vec<SnapshotInfo>> {
        match &self.snapshots {
            Shelf::Memory(kept) => Ok(kept
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .values()
                .map(|(_, info)| info.clone())
                .collect()),
            Shelf::Files(dir) => {
                let entries = match std::fs::read_dir(dir) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                    Err(e) => return Err(io("reading", dir, e)),
                };
                let mut out: Vec<SnapshotInfo> =
                    entries.filter_map(|e| file_info(&e.ok()?.path())).collect();
                out.sort_by(|a, b| a.name.cmp(&b.name));
                Ok(out)
            }
        }
    }

    /// Deletes the snapshot `name`; false when there was none.
    pub fn delete_snapshot(&self, name: &str) -> Result<bool> {
        check_name(name)?;
        match &self.snapshots {
            Shelf::Memory(kept) => Ok(kept
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(name)
                .is_some()),
            Shelf::Files(dir) => {
                let path = dir.join(format!("{name}.db"));
                match std::fs::remove_file(&path) {
                    Ok(()) => {
                        for extra in ["-wal", "-shm"] {
                            let _ = std::fs::remove_file(dir.join(format!("{name}.db{extra}")));
                        }
                        Ok(true)
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                    Err(e) => Err(io("removing", &path, e)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(store: &Store) -> i64 {
        store
            .read(|c| Ok(c.query_row("SELECT count(*) FROM tables", [], |r| r.get(0))?))
            .unwrap()
    }

    fn add_table(store: &Store, name: &str) {
        store
            .write(|tx| {
                tx.execute(
                    "INSERT INTO tables (account, region, name, meta) VALUES ('a', 'r', ?1, '{}')",
                    [name],
                )?;
                Ok(())
            })
            .unwrap();
    }

    // The core promise: a restore brings back exactly what the snapshot saw, and a later
    // snapshot of the same name replaces the earlier one. Both kinds of store.
    #[test]
    fn restore_brings_back_the_database_as_it_was_when_taken() {
        let dir = std::env::temp_dir().join(format!(
            "awsim-snapshots-unit-{}-{}",
            std::process::id(),
            now()
        ));
        for store in [Store::open(None).unwrap(), Store::open(Some(&dir)).unwrap()] {
            add_table(&store, "one");
            let info = store.snapshot("s1").unwrap();
            assert_eq!(info.name, "s1");
            assert!(info.size_bytes > 0);
            add_table(&store, "two");
            assert_eq!(count(&store), 2);
            let seen = store
                .restore("s1", |c| {
                    Ok(c.query_row("SELECT count(*) FROM tables", [], |r| r.get::<_, i64>(0))?)
                })
                .unwrap();
            assert_eq!(seen, Some(1), "reload sees the restored database");
            assert_eq!(count(&store), 1);
            // Writes after a restore land in the restored database.
            add_table(&store, "three");
            assert_eq!(count(&store), 2);
            assert_eq!(store.restore("missing", |_| Ok(())).unwrap(), None);
            let names: Vec<String> = store
                .snapshots()
                .unwrap()
                .into_iter()
                .map(|s| s.name)
                .collect();
            assert_eq!(names, ["s1"]);
            assert!(store.delete_snapshot("s1").unwrap());
            assert!(!store.delete_snapshot("s1").unwrap());
            assert!(store.snapshots().unwrap().is_empty());
            store.close();
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    // A name becomes a file name: nothing that could climb out of the snapshot directory.
    #[test]
    fn snapshot_names_are_safe_file_names() {
        for good in ["a", "before-test_1", "v1.2"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", ".hidden", "../up", "a/b", "a b", &"x".repeat(129)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
