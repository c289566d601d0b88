//! Checkpoints off the request path (a store on disk).
//!
//! A WAL database copies its log back into the database file now and then: a checkpoint,
//! which ends with an fsync of the file. SQLite runs one itself in the commit that takes the
//! log past 1000 pages, on the writer connection: the request that commits waits for the
//! copy and the fsync (milliseconds), and with it every write queued behind it (PutItem at 16
//! concurrent requests on disk had a p99 of 14 ms, issue 19). Here the writer only notes that
//! a checkpoint is due (`sqlite3_wal_hook`, which replaces SQLite's own), and a thread of
//! the store's runs it on a connection of its own, PASSIVE: it copies what no reader still
//! needs and never blocks the writer.
//!
//! A writer that commits faster than the copy keeps the log from ever being fully copied, and
//! SQLite restarts the log only after a full copy. So past `LIMIT` pages the writer checkpoints
//! itself at commit, as SQLite would have: between its own transactions nothing else writes,
//! and the copy completes. The log stays bounded either way; durability is unchanged (a
//! commit is durable once in the log, whoever copies it later).
use rusqlite::{ffi, Connection};
use std::ffi::{c_char, c_int, c_void};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};

/// Log pages past which a checkpoint is due (SQLite's own automatic threshold).
const DUE: c_int = 1000;
/// Log pages past which the writer checkpoints itself, whatever the thread is doing.
const LIMIT: c_int = 16 * DUE;

/// The store's checkpoint thread: stopped and joined when dropped.
pub(super) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    /// Log pages past which a checkpoint is due, and past which the writer runs it itself.
    due: c_int,
    limit: c_int,
}

#[derive(Default)]
struct State {
    due: bool,
    stop: bool,
    /// Checkpoints run by the thread (tests wait for it).
    done: u64,
}

impl Checkpointer {
    /// Starts the thread for the database at `path` and hands `writer`'s commits to it.
    pub(super) fn start(path: &Path, writer: &Connection) -> crate::error::Result<Checkpointer> {
        Checkpointer::with_limits(path, writer, DUE, LIMIT)
    }

    fn with_limits(
        path: &Path,
        writer: &Connection,
        due: c_int,
        limit: c_int,
    ) -> crate::error::Result<Checkpointer> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let shared = Arc::new(Shared {
            state: Mutex::default(),
            wake: Condvar::new(),
            due,
            limit,
        });
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("awsim-checkpoint".into())
                .spawn(move || run(&conn, &shared))
                .map_err(crate::error::Error::internal)?
        };
        // SAFETY: `writer` is open; the hook's argument is the `Shared` this checkpointer keeps
        // alive, and the store drops its writer connection (and with it the hook) before its
        // checkpointer (field order in `Store`).
        unsafe {
            ffi::sqlite3_wal_hook(
                writer.handle(),
                Some(committed),
                Arc::as_ptr(&shared) as *mut c_void,
            );
        }
        Ok(Checkpointer {
            shared,
            thread: Some(thread),
        })
    }

    /// Checkpoints the thread has run so far.
    #[cfg(test)]
    pub(super) fn done(&self) -> u64 {
        self.shared.state.lock().unwrap().done
    }

    /// Waits until the thread has run more than `n` checkpoints (tests).
    #[cfg(test)]
    pub(super) fn wait_past(&self, n: u64) {
        let state = self.shared.state.lock().unwrap();
        let (_state, timeout) = self
            .shared
            .wake
            .wait_timeout_while(state, std::time::Duration::from_secs(10), |s| s.done <= n)
            .unwrap();
        assert!(!timeout.timed_out(), "no checkpoint ran");
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.shared
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .stop = true;
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The thread: a PASSIVE checkpoint each time one is due, until stopped.
fn run(conn: &Connection, shared: &Shared) {
    loop {
        {
            let state = shared.state.lock().unwrap_or_else(|p| p.into_inner());
            let mut state = shared
                .wake
                .wait_while(state, |s| !s.due && !s.stop)
                .unwrap_or_else(|p| p.into_inner());
            if state.stop {
                return;
            }
            state.due = false;
        }
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!("background checkpoint failed: {e}");
        }
        shared.state.lock().unwrap_or_else(|p| p.into_inner()).done += 1;
        shared.wake.notify_all();
    }
}

/// The writer's WAL hook, after each commit: `pages` is the log's length.
unsafe extern "C" fn committed(
    arg: *mut c_void,
    db: *mut ffi::sqlite3,
    name: *const c_char,
    pages: c_int,
) -> c_int {
    // SAFETY: `arg` is the checkpointer's `Shared`, alive for as long as the hook is set.
    let shared = unsafe { &*(arg as *const Shared) };
    if pages >= shared.limit {
        // SAFETY: `db` is the committing connection and `name` its database's name, as SQLite
        // passes them; a checkpoint from the hook is what SQLite's own hook does.
        unsafe {
            ffi::sqlite3_wal_checkpoint_v2(
                db,
                name,
                ffi::SQLITE_CHECKPOINT_PASSIVE,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            );
        }
    } else if pages >= shared.due {
        let mut state = shared.state.lock().unwrap_or_else(|p| p.into_inner());
        if !state.due {
            state.due = true;
            shared.wake.notify_all();
        }
    }
    ffi::SQLITE_OK
}

#[cfg(test)]
mod tests {
    use super::super::Store;

    fn fill(store: &Store, from: i64, rows: i64) {
        store
            .write(|tx| {
                let mut s = tx.prepare("INSERT INTO t VALUES (?1, randomblob(3000))")?;
                for k in from..from + rows {
                    s.execute([k])?;
                }
                Ok(())
            })
            .unwrap();
    }

    /// A fresh data directory, removed when dropped.
    struct Dir(std::path::PathBuf);

    impl Dir {
        fn new(name: &str) -> Dir {
            let dir =
                std::env::temp_dir().join(format!("awsim-ckpt-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            Dir(dir)
        }
        fn path(&self) -> &std::path::Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn wal_pages(dir: &std::path::Path) -> u64 {
        let bytes = std::fs::metadata(dir.join("dynamodb.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
        bytes / 4096
    }

    /// A file store's writer and readers read the file through a memory map.
    #[test]
    fn file_connections_map_the_database() {
        let dir = Dir::new("mmap");
        let store = Store::open(Some(dir.path())).unwrap();
        let mapped = |conn: &rusqlite::Connection| -> crate::error::Result<i64> {
            Ok(conn.query_row("PRAGMA mmap_size", [], |r| r.get(0))?)
        };
        assert_eq!(store.write(|tx| mapped(tx)).unwrap(), 2_147_418_112);
        assert_eq!(store.read(|conn| mapped(conn)).unwrap(), 2_147_418_112);
    }

    /// Commits that take the log past the threshold get it checkpointed by the thread, and the
    /// log is reused from its start (it does not grow) once the copy is complete.
    #[test]
    fn the_thread_checkpoints_the_log_and_it_stops_growing() {
        let dir = Dir::new("thread");
        let store = Store::open(Some(dir.path())).unwrap();
        store
            .write(|tx| Ok(tx.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)")?))
            .unwrap();
        let checkpointer = store._checkpointer.as_ref().unwrap();
        let before = checkpointer.done();
        fill(&store, 0, 1200);
        checkpointer.wait_past(before);
        let after_first = wal_pages(dir.path());
        // The next commits restart the log instead of appending to it.
        for i in 0..10 {
            fill(&store, 10_000 + i * 10, 10);
        }
        assert!(wal_pages(dir.path()) <= after_first, "the log kept growing");
        // Everything is there, whoever copied it.
        let n: i64 = store
            .read(|c| Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(n, 1300);
    }

    /// Past the limit the writer checkpoints itself: the log stays bounded even if the thread
    /// never runs (here it is never due).
    #[test]
    fn the_log_stays_bounded_without_the_thread() {
        let dir = Dir::new("bounded");
        let mut store = Store::open(Some(dir.path())).unwrap();
        let path = dir.path().join("dynamodb.db");
        let never =
            super::Checkpointer::with_limits(&path, &store.writer.lock().unwrap(), i32::MAX, 200)
                .unwrap();
        store._checkpointer = Some(never);
        store
            .write(|tx| Ok(tx.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)")?))
            .unwrap();
        for i in 0..40 {
            fill(&store, i * 100, 100);
        }
        assert_eq!(store._checkpointer.as_ref().unwrap().done(), 0);
        let pages = wal_pages(dir.path());
        assert!(pages <= 400, "the log grew to {pages} pages");
    }
}
