//! A connection with the statements of every item read and write prepared once and held.
//!
//! rusqlite's statement cache (`prepare_cached`) hashes the SQL text, unlinks the statement from
//! its LRU list, allocates a new key for it and hashes it again to put it back: on every use.
//! For PutItem's five statements that was about 8 % of its CPU (issue 19). A held statement
//! is one array index away.
use rusqlite::{Connection, Statement};
use std::cell::RefCell;

/// The held statements.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Hot {
    Begin,
    BeginImmediate,
    Commit,
    Rollback,
    GetItem,
    PutItem,
    InsertNewItem,
    DeleteItem,
    AdjustStats,
}

const HOT: usize = 9;

impl Hot {
    fn sql(self) -> &'static str {
        match self {
            Hot::Begin => "BEGIN",
            Hot::BeginImmediate => "BEGIN IMMEDIATE",
            Hot::Commit => "COMMIT",
            Hot::Rollback => "ROLLBACK",
            Hot::GetItem => {
                "SELECT item, size FROM items WHERE table_id = ?1 AND pk = ?2 AND sk = ?3"
            }
            Hot::PutItem => {
                "INSERT OR REPLACE INTO items (table_id, pk, sk, item, size, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
            }
            Hot::InsertNewItem => {
                "INSERT INTO items (table_id, pk, sk, item, size, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING"
            }
            Hot::DeleteItem => "DELETE FROM items WHERE table_id = ?1 AND pk = ?2 AND sk = ?3",
            Hot::AdjustStats => {
                "UPDATE table_stats SET item_count = item_count + ?1, size_bytes = size_bytes + ?2 WHERE id = ?3"
            }
        }
    }
}

/// A connection and its held statements. It derefs to the connection for everything else.
pub struct Conn {
    // Declared before `conn`, so finalized before the connection closes.
    held: [RefCell<Option<Statement<'static>>>; HOT],
    /// Table statistics changes being summed instead of written (`storage::stats_deferred`):
    /// (table id, item count change, size change), one entry per table.
    held_stats: RefCell<Option<Vec<(i64, i64, i64)>>>,
    // Boxed: the held statements point at it, so it never moves.
    conn: Box<Connection>,
}

// SAFETY: a `Statement` is not `Send` only because it borrows its `Connection` (which is `Send`
// but not `Sync`). The held statements borrow this `Conn`'s own boxed connection and nothing
// else, so the connection and every reference to it always move between threads together.
unsafe impl Send for Conn {}

impl Conn {
    pub fn new(conn: Connection) -> Conn {
        Conn {
            held: Default::default(),
            held_stats: RefCell::new(None),
            conn: Box::new(conn),
        }
    }

    /// Starts summing statistics changes instead of writing them; false if already summing.
    pub(crate) fn hold_stats(&self) -> bool {
        let mut held = self.held_stats.borrow_mut();
        if held.is_some() {
            return false;
        }
        *held = Some(Vec::new());
        true
    }

    /// Adds a change to the sums, if summing (true); false: the caller writes it.
    pub(crate) fn add_held_stats(&self, table: i64, count: i64, size: i64) -> bool {
        let mut held = self.held_stats.borrow_mut();
        let Some(sums) = held.as_mut() else {
            return false;
        };
        match sums.iter_mut().find(|(t, _, _)| *t == table) {
            Some((_, c, s)) => {
                *c += count;
                *s += size;
            }
            None => sums.push((table, count, size)),
        }
        true
    }

    /// Stops summing and returns the sums.
    pub(crate) fn release_stats(&self) -> Vec<(i64, i64, i64)> {
        self.held_stats.borrow_mut().take().unwrap_or_default()
    }

    /// Runs `f` with the held statement `which`, preparing it the first time. A statement in
    /// use further up the stack is not shared: `f` then gets one from rusqlite's cache.
    pub(crate) fn with<T>(
        &self,
        which: Hot,
        f: impl for<'s> FnOnce(&mut Statement<'s>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        let Ok(mut slot) = self.held[which as usize].try_borrow_mut() else {
            let mut own = self.conn.prepare_cached(which.sql())?;
            return f(&mut own);
        };
        let stmt = match &mut *slot {
            Some(stmt) => stmt,
            empty => {
                let stmt = self.conn.prepare(which.sql())?;
                // SAFETY: the statement borrows `*self.conn`, which is boxed (it never moves)
                // and outlives it: `held` is dropped before `conn`, and `get_mut` finalizes
                // every held statement before anyone may replace the connection. `f` cannot
                // keep it or put a shorter-lived statement in its place: it must accept a
                // statement of any lifetime.
                empty.insert(unsafe {
                    std::mem::transmute::<Statement<'_>, Statement<'static>>(stmt)
                })
            }
        };
        f(stmt)
    }

    /// The connection to change (migrations, restoring a snapshot into it): the held
    /// statements are finalized first and prepared again when next used.
    pub fn get_mut(&mut self) -> &mut Connection {
        for cell in &mut self.held {
            *cell.get_mut() = None;
        }
        &mut self.conn
    }
}

impl std::ops::Deref for Conn {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_statements_are_reused_and_a_nested_use_gets_its_own() {
        let conn = Conn::new(Connection::open_in_memory().unwrap());
        conn.execute_batch("CREATE TABLE table_stats (id INTEGER PRIMARY KEY, item_count INTEGER, size_bytes INTEGER); INSERT INTO table_stats VALUES (1, 0, 0);")
            .unwrap();
        for _ in 0..3 {
            conn.with(Hot::AdjustStats, |s| s.execute((1, 10, 1)))
                .unwrap();
        }
        // The same statement asked for while it is in use.
        conn.with(Hot::AdjustStats, |outer| {
            conn.with(Hot::AdjustStats, |inner| inner.execute((1, 10, 1)))?;
            outer.execute((1, 10, 1))
        })
        .unwrap();
        let got: (i64, i64) = conn
            .query_row("SELECT item_count, size_bytes FROM table_stats", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(got, (5, 50));
    }

    #[test]
    fn a_changed_connection_prepares_its_statements_again() {
        let mut conn = Conn::new(Connection::open_in_memory().unwrap());
        let create = "CREATE TABLE table_stats (id INTEGER PRIMARY KEY, item_count INTEGER, size_bytes INTEGER); INSERT INTO table_stats VALUES (1, 0, 0);";
        conn.execute_batch(create).unwrap();
        conn.with(Hot::AdjustStats, |s| s.execute((1, 1, 1)))
            .unwrap();
        *conn.get_mut() = Connection::open_in_memory().unwrap();
        conn.execute_batch(create).unwrap();
        assert_eq!(
            conn.with(Hot::AdjustStats, |s| s.execute((1, 1, 1)))
                .unwrap(),
            1
        );
    }
}
