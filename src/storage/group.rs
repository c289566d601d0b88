//! Group commit: the writes of several requests in one transaction (issue 19).
//!
//! `Store::group(f)` takes the writer connection, begins one write transaction and runs `f`.
//! Every `write`, `read` and `read_snapshot` that `f` makes on this store from this thread
//! runs inside that transaction instead of taking the connection and beginning its own: each
//! sees the writes made before it in the group, and the group commits once. A write that fails
//! after changing something (or panics, or loses the transaction to SQLite) cannot be undone
//! alone, so it spoils the group: the group rolls back whole and says so, and its caller runs
//! each member again on its own. A write that fails before changing anything (a failed
//! condition, a missing table) is just that write's answer.
//!
//! Why: every transaction of SQLite's copies each page it touches into its journal first and
//! runs a BEGIN and a COMMIT; writes that arrive together share those. The caller releases no
//! answer before the group commits, so an acknowledged write is still a committed one.
use super::{conn::Hot, Conn, HeldStats, Open, Store};
use std::cell::Cell;
use std::sync::MutexGuard;

/// The group this thread is running, if any: its store, its connection and its spoiled flag.
/// Set only for the duration of `Store::group`'s call of `f`, on the stack frame that owns
/// all three.
#[derive(Clone, Copy)]
struct Current {
    store: *const Store,
    conn: *const Conn,
    spoiled: *const Cell<bool>,
}

thread_local! {
    static CURRENT: Cell<Option<Current>> = const { Cell::new(None) };
}

/// The running group's connection, for a write or read on `store` from this thread.
pub(super) struct Member<'a> {
    pub conn: &'a Conn,
    spoiled: &'a Cell<bool>,
}

/// Clears the thread's group when `Store::group` leaves, also by a panic.
struct Clear(Option<Current>);

impl Drop for Clear {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

/// Spoils the group if dropped armed: the write it watches panicked.
struct Watch<'a> {
    spoiled: &'a Cell<bool>,
    armed: bool,
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.spoiled.set(true);
        }
    }
}

impl Store {
    /// Runs `f` with this thread's writes and reads on this store in one write transaction
    /// (module docs). `Some(out)` when it committed; `None` when nothing of it was kept: the
    /// transaction could not begin, a member spoiled it, or the commit failed.
    pub fn group<R>(&self, f: impl FnOnce() -> R) -> Option<R> {
        let conn: MutexGuard<'_, Conn> = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let mut open = Open::begin(&conn, Hot::BeginImmediate).ok()?;
        // The members' table statistics are summed and written once, before the commit.
        let held = HeldStats::hold(&conn);
        let spoiled = Cell::new(false);
        let previous = CURRENT.with(|c| {
            c.replace(Some(Current {
                store: self,
                conn: &*conn,
                spoiled: &spoiled,
            }))
        });
        let clear = Clear(previous);
        let out = f();
        drop(clear);
        if spoiled.get() || conn.is_autocommit() {
            return None;
        }
        if let Some(held) = held {
            held.write().ok()?;
        }
        conn.with(Hot::Commit, |s| s.execute([])).ok()?;
        open.committed = true;
        Some(out)
    }

    /// The group this thread runs on this store, if any.
    pub(super) fn member(&self) -> Option<Member<'_>> {
        let current = CURRENT.with(|c| c.get())?;
        if !std::ptr::eq(current.store, self) {
            return None;
        }
        // SAFETY: `current` was set by `group` on this thread from references to its own
        // locals and its writer guard, and is cleared before they go; `group` is still running
        // further up this thread's stack.
        unsafe {
            Some(Member {
                conn: &*current.conn,
                spoiled: &*current.spoiled,
            })
        }
    }
}

impl Member<'_> {
    /// Runs one write of the group: `f`'s error is its own, unless it leaves a change behind
    /// (or the transaction gone), which spoils the group.
    pub(super) fn write<T>(
        &self,
        f: impl FnOnce(&Conn) -> crate::error::Result<T>,
    ) -> crate::error::Result<T> {
        // A spoiled group, or one whose transaction SQLite ended: the write must not run, or
        // it would commit on its own (autocommit) and again when its request runs alone.
        if self.spoiled.get() || self.conn.is_autocommit() {
            self.spoiled.set(true);
            return Err(crate::error::Error::internal("the batch was rolled back"));
        }
        let before = self.conn.total_changes();
        let mut watch = Watch {
            spoiled: self.spoiled,
            armed: true,
        };
        let out = f(self.conn);
        watch.armed = false;
        if self.conn.is_autocommit() || (out.is_err() && self.conn.total_changes() != before) {
            self.spoiled.set(true);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Store, Tx};
    use crate::error::{Error, Result};

    fn store() -> Store {
        let store = Store::open(None).unwrap();
        store
            .write(|tx| Ok(tx.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER)")?))
            .unwrap();
        store
    }

    fn put(tx: &Tx, k: i64, v: i64) -> Result<()> {
        tx.execute("INSERT OR REPLACE INTO t VALUES (?1, ?2)", (k, v))?;
        Ok(())
    }

    fn rows(store: &Store) -> Vec<(i64, i64)> {
        store
            .read(|c| {
                let mut s = c.prepare("SELECT k, v FROM t ORDER BY k")?;
                let rows = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .unwrap()
    }

    #[test]
    fn members_see_each_other_and_commit_together() {
        let store = store();
        let out = store.group(|| {
            store.write(|tx| put(tx, 1, 10)).unwrap();
            // A later member reads the earlier one's write, inside the same transaction.
            let seen: i64 = store
                .read(|c| Ok(c.query_row("SELECT v FROM t WHERE k = 1", [], |r| r.get(0))?))
                .unwrap();
            store.write(|tx| put(tx, 2, seen + 1)).unwrap();
            store
                .read_snapshot(|c| {
                    Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))?)
                })
                .unwrap()
        });
        assert_eq!(out, Some(2));
        assert_eq!(rows(&store), vec![(1, 10), (2, 11)]);
    }

    #[test]
    fn a_member_failing_before_any_change_keeps_the_group() {
        let store = store();
        let out = store.group(|| {
            store.write(|tx| put(tx, 1, 10)).unwrap();
            let failed = store.write(|_| -> Result<()> { Err(Error::validation("no")) });
            store.write(|tx| put(tx, 2, 20)).unwrap();
            failed.is_err()
        });
        assert_eq!(out, Some(true));
        assert_eq!(rows(&store), vec![(1, 10), (2, 20)]);
    }

    #[test]
    fn a_member_failing_after_a_change_spoils_the_whole_group() {
        let store = store();
        let out = store.group(|| {
            store.write(|tx| put(tx, 1, 10)).unwrap();
            let _ = store.write(|tx| -> Result<()> {
                put(tx, 2, 20)?;
                Err(Error::validation("no"))
            });
        });
        assert_eq!(out, None);
        assert_eq!(rows(&store), vec![]);
        // The store is usable again, outside any group.
        store.write(|tx| put(tx, 3, 30)).unwrap();
        assert_eq!(rows(&store), vec![(3, 30)]);
    }

    #[test]
    fn no_member_runs_once_the_transaction_is_gone() {
        let store = store();
        let out = store.group(|| {
            store.write(|tx| put(tx, 1, 10)).unwrap();
            // SQLite ends a transaction itself on some faults (a full disk, out of memory).
            let _ = store.write(|tx| Ok(tx.execute_batch("ROLLBACK")?));
            store.write(|tx| put(tx, 2, 20)).is_err()
        });
        assert_eq!(out, None);
        // Nothing was committed on its own meanwhile.
        assert_eq!(rows(&store), vec![]);
    }

    #[test]
    fn a_member_panicking_spoils_the_group() {
        let store = store();
        let out = store.group(|| {
            store.write(|tx| put(tx, 1, 10)).unwrap();
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                store.write(|tx| -> Result<()> {
                    put(tx, 2, 20)?;
                    panic!("boom")
                })
            }));
            caught.is_err()
        });
        assert_eq!(out, None);
        assert_eq!(rows(&store), vec![]);
    }

    // The members' table statistics are summed and written once, when the group commits; a
    // spoiled or panicked group writes none, and later writes update the row at once again.
    #[test]
    fn statistics_are_written_at_commit_and_dropped_with_a_spoiled_group() {
        use super::super::{put_item, table_stats, ItemRow};
        let store = store();
        store
            .write(|tx| Ok(tx.execute_batch("INSERT INTO table_stats (id) VALUES (9)")?))
            .unwrap();
        let stats = || {
            let s = store.read(|c| table_stats(c, 9)).unwrap();
            (s.item_count, s.size_bytes)
        };
        let item = |tx: &Tx, k: &[u8]| {
            let row = ItemRow {
                table: 9,
                pk: k,
                sk: b"",
                bytes: b"x",
                size: 10,
                expires: None,
            };
            put_item(tx, &row, None)
        };
        let seen_inside = store.group(|| {
            store.write(|tx| item(tx, b"a")).unwrap();
            store.write(|tx| item(tx, b"b")).unwrap();
            store.read(|c| table_stats(c, 9)).unwrap().item_count
        });
        assert_eq!(seen_inside, Some(0));
        assert_eq!(stats(), (2, 20));
        let spoiled = store.group(|| {
            store.write(|tx| item(tx, b"c")).unwrap();
            let _ = store.write(|tx| -> Result<()> {
                item(tx, b"d")?;
                Err(Error::validation("no"))
            });
        });
        assert_eq!(spoiled, None);
        assert_eq!(stats(), (2, 20));
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            store.group(|| {
                store.write(|tx| item(tx, b"e")).unwrap();
                panic!("boom")
            })
        }));
        assert!(panicked.is_err());
        assert_eq!(stats(), (2, 20));
        store.write(|tx| item(tx, b"f")).unwrap();
        assert_eq!(stats(), (3, 30));
    }

    #[test]
    fn another_store_on_the_same_thread_is_not_in_the_group() {
        let (a, b) = (store(), store());
        let out = a.group(|| {
            a.write(|tx| put(tx, 1, 10)).unwrap();
            // b commits on its own, whatever becomes of a's group.
            b.write(|tx| put(tx, 7, 70)).unwrap();
            let _ = a.write(|tx| -> Result<()> {
                put(tx, 2, 20)?;
                Err(Error::validation("no"))
            });
        });
        assert_eq!(out, None);
        assert_eq!(rows(&a), vec![]);
        assert_eq!(rows(&b), vec![(7, 70)]);
    }
}
