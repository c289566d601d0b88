//! The only module that imports rusqlite: migrations, the writer/reader connections, and the rows
//! for tables, items and index entries. A synchronous API; callers run it off the async threads.
//! Never imports `expr` or anything above `model`.

mod backups;
mod bulk;
mod checkpoint;
mod conn;
mod exports;
mod group;
mod imports;
mod migrations;
mod pcache;
mod snapshots;
pub mod vectors;

pub use backups::*;
pub use bulk::*;
pub use exports::*;
pub use imports::*;
pub use snapshots::{valid_name as valid_snapshot_name, SnapshotInfo};

use crate::error::{Error, Result};
use crate::model::TableMeta;
pub use conn::Conn;
use conn::Hot;
use rusqlite::{params, params_from_iter, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How many read connections a file-backed store keeps around.
const MAX_IDLE_READERS: usize = 8;

/// One writer connection serialises writes; readers run concurrently (WAL) on their own
/// connections. The mutexes are `std` ones: they are only taken on blocking threads and never
/// held across an `.await`.
pub struct Store {
    writer: Mutex<Conn>,
    readers: Mutex<Vec<Conn>>,
    /// `None` for an in-memory store, whose single connection also serves reads.
    path: Option<PathBuf>,
    /// Whole-database snapshots (`snapshots.rs`).
    snapshots: snapshots::Shelf,
    /// Runs a file store's checkpoints off the writer (`checkpoint.rs`). Declared after
    /// `writer`, whose WAL hook points at it: the writer connection closes first.
    _checkpointer: Option<checkpoint::Checkpointer>,
    /// The data directory's `awsim.lock`, locked for as long as the store is open: a second
    /// process on the same directory is refused at startup instead of sharing the writer role.
    _lock: Option<std::fs::File>,
}

/// Live statistics of a table, maintained by every write.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableStats {
    pub item_count: i64,
    pub size_bytes: i64,
}

impl Store {
    /// Opens (creating if needed) `dir/dynamodb.db`, or an in-memory database when `dir` is None.
    ///
    /// Refused with a clear message, never silently reset: a directory that cannot be created
    /// or written, one another process holds (its `awsim.lock`), a file that is not a database
    /// or is another program's, a database written by a newer awsim.
    pub fn open(dir: Option<&Path>) -> Result<Store> {
        configure_library();
        let (conn, path, lock) = match dir {
            Some(dir) => {
                let lock = lock_data_dir(dir)?;
                let path = dir.join("dynamodb.db");
                let conn = Connection::open(&path)
                    .map_err(|e| Error::internal(format!("cannot open {}: {e}", path.display())))?;
                (conn, Some(path), Some(lock))
            }
            // An in-memory database is always new: it starts as the migrations' image. It is
            // SQLite's `:memory:`, whose page cache is the database (no copy of a page in or
            // out); the whole-cache walk its commits used to pay is `pcache`'s to skip.
            None => {
                let conn = Connection::open_in_memory()?;
                (conn, None, None)
            }
        };
        let name = path.as_ref().map_or_else(
            || "the in-memory database".to_string(),
            |p| p.display().to_string(),
        );
        configure(&conn, path.is_some()).map_err(|e| not_ours(&name, e))?;
        let mut conn = conn;
        migrations::check_ours(&conn).map_err(|e| not_ours(&name, e))?;
        migrations::migrate(&mut conn)?;
        let checkpointer = match &path {
            Some(path) => Some(checkpoint::Checkpointer::start(path, &conn)?),
            None => None,
        };
        Ok(Store {
            writer: Mutex::new(Conn::new(conn)),
            _checkpointer: checkpointer,
            readers: Mutex::new(Vec::new()),
            snapshots: snapshots::Shelf::for_store(path.as_deref()),
            path,
            _lock: lock,
        })
    }

    /// Caps the database file at about `bytes` (whole pages): a write that would grow it further
    /// fails as on a full disk (SQLITE_FULL) and is rolled back; reads go on.
    pub fn limit_size(&self, bytes: u64) -> Result<()> {
        let conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let page: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let pages = (bytes as i64 / page.max(1)).max(1);
        conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))?;
        Ok(())
    }

    /// Runs `f` in an immediate write transaction; commits when it returns Ok, rolls back otherwise.
    /// Inside a `group` on this thread, it runs in the group's transaction (`group.rs`).
    pub fn write<T>(&self, f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        if let Some(member) = self.member() {
            return member.write(|conn| f(Tx::of(conn)));
        }
        let conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let mut open = Open::begin(&conn, Hot::BeginImmediate)?;
        let out = f(Tx::of(&conn))?;
        conn.with(Hot::Commit, |s| s.execute([]))?;
        open.committed = true;
        Ok(out)
    }

    /// Whether reads run on the writer connection (an in-memory store has no other).
    pub fn reads_use_writer(&self) -> bool {
        self.path.is_none()
    }

    /// Runs `f` on a read connection (the writer's, for an in-memory store; the group's, inside
    /// a `group` on this thread).
    pub fn read<T>(&self, f: impl FnOnce(&Conn) -> Result<T>) -> Result<T> {
        if let Some(member) = self.member() {
            return f(member.conn);
        }
        let Some(path) = &self.path else {
            let conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
            return f(&conn);
        };
        let pooled = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match pooled {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                c.busy_timeout(std::time::Duration::from_secs(5))?;
                c.execute_batch(MMAP)?;
                Conn::new(c)
            }
        };
        let out = f(&conn);
        let mut readers = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if readers.len() < MAX_IDLE_READERS {
            readers.push(conn);
        }
        out
    }

    /// Runs `f` in one read transaction: every read it makes sees the same committed state,
    /// whatever the writer commits meanwhile (WAL snapshot isolation).
    /// Inside a `group` on this thread: the group's transaction, its own writes included.
    pub fn read_snapshot<T>(&self, f: impl FnOnce(&Conn) -> Result<T>) -> Result<T> {
        if let Some(member) = self.member() {
            return f(member.conn);
        }
        self.read(|conn| {
            // Deferred: the snapshot is taken by the first read and kept to the end. Nothing is
            // written, so the rollback that ends it loses nothing.
            let _open = Open::begin(conn, Hot::Begin)?;
            f(conn)
        })
    }

    /// Checkpoints the WAL so a clean shutdown leaves a single database file behind.
    pub fn close(&self) {
        if self.path.is_some() {
            let conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
            let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
        }
        self.readers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

/// Process-wide SQLite settings, made once before the first connection opens (SQLite refuses
/// them once initialised; a process that opened a connection some other way keeps SQLite's
/// defaults). The page cache is SQLite's own behind `pcache`'s wrapper. Memory statistics off:
/// with them on, every allocation SQLite makes takes a global mutex (a twentieth of PutItem's
/// CPU under load, issue 19); awsim never reads them.
fn configure_library() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        pcache::install();
        // SAFETY: SQLITE_CONFIG_MEMSTATUS takes one int; called before any connection opens
        // (an initialised SQLite answers SQLITE_MISUSE and changes nothing).
        let _ = unsafe {
            rusqlite::ffi::sqlite3_config(
                rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS,
                0 as std::ffi::c_int,
            )
        };
    });
}

/// The one row (or none) `sql` selects with `key`, read by `row` and decoded by `decode`: how
/// backups, exports, imports and bulk operations are looked up by ARN or id.
fn one<K: rusqlite::ToSql, R, T>(
    conn: &Connection,
    sql: &str,
    key: K,
    row: impl FnOnce(&rusqlite::Row) -> rusqlite::Result<R>,
    decode: impl FnOnce(R) -> Result<T>,
) -> Result<Option<T>> {
    conn.prepare_cached(sql)?
        .query_row([key], row)
        .optional()?
        .map(decode)
        .transpose()
}

/// A transaction begun with a cached statement (rusqlite's own transactions parse BEGIN and
/// COMMIT again every time), rolled back when dropped uncommitted: after an error, a panic, or
/// at the end of a read snapshot.
struct Open<'c> {
    conn: &'c Conn,
    committed: bool,
}

impl<'c> Open<'c> {
    fn begin(conn: &'c Conn, begin: Hot) -> Result<Open<'c>> {
        conn.with(begin, |s| s.execute([]))?;
        Ok(Open {
            conn,
            committed: false,
        })
    }
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        if !self.committed {
            let _ = self.conn.with(Hot::Rollback, |s| s.execute([]));
        }
    }
}

/// The write transaction a `Store::write` closure runs in: the writer connection between its
/// BEGIN IMMEDIATE and its COMMIT. Those two are prepared once and cached (rusqlite's
/// `Transaction` parses them again for every write). Only `storage` makes one, so holding a
/// `&Tx` means being inside a write transaction.
#[repr(transparent)]
pub struct Tx(Conn);

impl std::ops::Deref for Tx {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.0
    }
}

impl Tx {
    /// `conn`, which the caller has put in a write transaction, as a `Tx`.
    pub(crate) fn of(conn: &Conn) -> &Tx {
        // SAFETY: `Tx` is `repr(transparent)` over `Conn`, so the two references have the
        // same layout and the same lifetime.
        unsafe { &*(conn as *const Conn as *const Tx) }
    }
}

/// A private in-memory database on SQLite's `memdb` VFS (an in-memory store's snapshots): the
/// database in one buffer, measured by `database_bytes`.
fn open_memdb() -> Result<Connection> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // A name without a leading '/' is private to this connection (nothing else opens it), so
    // memdb takes no mutex around each page it reads or writes (it did, shared: a tenth of
    // PutItem's CPU under load).
    let conn = Connection::open(format!("file:awsim-{}-{n}?vfs=memdb", std::process::id()))?;
    unlimited(&conn)?;
    Ok(conn)
}

/// memdb refuses to grow past 1 GiB unless told otherwise; the limit is memory itself.
fn unlimited(conn: &Connection) -> Result<()> {
    let mut limit: i64 = i64::MAX;
    // SAFETY: `conn` is open; SIZE_LIMIT reads and writes the one i64 it is given.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            rusqlite::ffi::SQLITE_FCNTL_SIZE_LIMIT,
            (&mut limit as *mut i64).cast(),
        )
    };
    if rc != rusqlite::ffi::SQLITE_OK {
        return Err(Error::internal(format!(
            "memdb size limit: SQLite error {rc}"
        )));
    }
    Ok(())
}

/// Creates the data directory if needed and takes its lock file.
fn lock_data_dir(dir: &Path) -> Result<std::fs::File> {
    std::fs::create_dir_all(dir).map_err(|e| {
        Error::internal(format!(
            "cannot create the data directory {}: {e}",
            dir.display()
        ))
    })?;
    let lock_path = dir.join("awsim.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| {
            Error::internal(format!(
                "the data directory {} is not writable: {e}",
                dir.display()
            ))
        })?;
    match lock.try_lock() {
        Ok(()) => Ok(lock),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::internal(format!(
            "another awsim is using the data directory {} (it holds {})",
            dir.display(),
            lock_path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::internal(format!(
            "cannot lock {}: {e}",
            lock_path.display()
        ))),
    }
}

/// A database file that is not awsim's (or not a database at all): said so, with SQLite's reason.
fn not_ours(name: &str, e: Error) -> Error {
    Error::internal(format!(
        "{name} is not an awsim database, or is damaged ({}): refusing to use it",
        e.message.unwrap_or_default()
    ))
}

/// A file store's pages are read through a memory map, up to the 2 GiB SQLite maps at most:
/// no copy from the OS's page cache into each connection's own (disk PutItem and GetItem at 16
/// connections: 6-7 % less CPU). SQLite still writes with `write`, so a stray pointer cannot
/// corrupt the file.
const MMAP: &str = "PRAGMA mmap_size = 2147418112;";

fn configure(conn: &Connection, file: bool) -> Result<()> {
    if file {
        // WAL + synchronous=NORMAL: an acknowledged write survives a process kill (not
        // necessarily a power cut), and readers never block the writer.
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")?;
        conn.execute_batch(MMAP)?;
    }
    conn.execute_batch(
        "PRAGMA foreign_keys=OFF; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16384;",
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(())
}

fn meta_json(meta: &TableMeta) -> Result<String> {
    serde_json::to_string(meta).map_err(Error::internal)
}

// ---- tables -------------------------------------------------------------------------------

/// An integer setting of awsim's own (`settings`), if set.
pub fn setting(conn: &Connection, name: &str) -> Result<Option<i64>> {
    Ok(conn
        .query_row("SELECT value FROM settings WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?)
}

pub fn set_setting(tx: &Tx, name: &str, value: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO settings (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        rusqlite::params![name, value],
    )?;
    Ok(())
}

/// Every table of every account, for the engine's catalogue at start-up.
pub fn load_tables(conn: &Connection) -> Result<Vec<TableMeta>> {
    let mut stmt = conn.prepare("SELECT id, meta FROM tables")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, meta) = row?;
        let mut meta: TableMeta =
            serde_json::from_str(&meta).map_err(|e| Error::internal(format!("table {id}: {e}")))?;
        meta.id = id;
        out.push(meta);
    }
    Ok(out)
}

/// Inserts a new table row and returns its id.
pub fn insert_table(tx: &Tx, meta: &TableMeta) -> Result<i64> {
    tx.execute(
        "INSERT INTO tables (account, region, name, meta) VALUES (?1, ?2, ?3, ?4)",
        params![meta.account, meta.region, meta.name, meta_json(meta)?],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute("INSERT INTO table_stats (id) VALUES (?1)", [id])?;
    Ok(id)
}

pub fn update_table_meta(tx: &Tx, meta: &TableMeta) -> Result<()> {
    tx.execute(
        "UPDATE tables SET meta = ?1 WHERE id = ?2",
        params![meta_json(meta)?, meta.id],
    )?;
    Ok(())
}

/// Deletes a table with all its items and index rows.
pub fn delete_table(tx: &Tx, id: i64) -> Result<()> {
    tx.execute("DELETE FROM items WHERE table_id = ?1", [id])?;
    tx.execute("DELETE FROM index_items WHERE table_id = ?1", [id])?;
    tx.execute("DELETE FROM item_versions WHERE table_id = ?1", [id])?;
    tx.execute("DELETE FROM tables WHERE id = ?1", [id])?;
    tx.execute("DELETE FROM table_stats WHERE id = ?1", [id])?;
    Ok(())
}

/// Deletes every item and index row of a table (TruncateTable without per-item records);
/// returns how many items there were.
pub fn truncate_items(tx: &Tx, id: i64) -> Result<u64> {
    let n = tx.execute("DELETE FROM items WHERE table_id = ?1", [id])?;
    tx.execute("DELETE FROM index_items WHERE table_id = ?1", [id])?;
    tx.execute("DELETE FROM item_versions WHERE table_id = ?1", [id])?;
    tx.execute(
        "UPDATE table_stats SET item_count = 0, size_bytes = 0 WHERE id = ?1",
        [id],
    )?;
    Ok(n as u64)
}

pub fn table_stats(conn: &Connection, id: i64) -> Result<TableStats> {
    Ok(conn
        .prepare_cached("SELECT item_count, size_bytes FROM table_stats WHERE id = ?1")?
        .query_row([id], |r| {
            Ok(TableStats {
                item_count: r.get(0)?,
                size_bytes: r.get(1)?,
            })
        })
        .optional()?
        .unwrap_or_default())
}

/// Every table's live statistics by table id, in one read (the metrics endpoint).
pub fn all_table_stats(conn: &Connection) -> Result<Vec<(i64, TableStats)>> {
    let mut stmt = conn.prepare_cached("SELECT id, item_count, size_bytes FROM table_stats")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            TableStats {
                item_count: r.get(1)?,
                size_bytes: r.get(2)?,
            },
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Live count and size of one index's rows.
pub fn index_stats(conn: &Connection, id: i64, index: &str) -> Result<TableStats> {
    Ok(conn
        .prepare_cached("SELECT count(*), coalesce(sum(size), 0) FROM index_items WHERE table_id = ?1 AND index_name = ?2")?
        .query_row(params![id, index], |r| Ok(TableStats { item_count: r.get(0)?, size_bytes: r.get(1)? }))?)
}

// ---- items --------------------------------------------------------------------------------

/// The stored bytes of one item, if present.
pub fn get_item(conn: &Connection, table: i64, pk: &[u8], sk: &[u8]) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .prepare_cached("SELECT item FROM items WHERE table_id = ?1 AND pk = ?2 AND sk = ?3")?
        .query_row(params![table, pk, sk], |r| r.get(0))
        .optional()?)
}

/// The stored bytes of one item with its size (by the service's rules), if present.
pub fn get_item_with_size(
    conn: &Conn,
    table: i64,
    pk: &[u8],
    sk: &[u8],
) -> Result<Option<(Vec<u8>, i64)>> {
    Ok(conn.with(Hot::GetItem, |s| {
        s.query_row(params![table, pk, sk], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
    })?)
}

/// One item row as written: its key, its stored bytes, its size by the service's rules and its
/// TTL expiry (epoch seconds, when its table has TTL enabled).
pub struct ItemRow<'a> {
    pub table: i64,
    pub pk: &'a [u8],
    pub sk: &'a [u8],
    pub bytes: &'a [u8],
    pub size: i64,
    pub expires: Option<f64>,
}

/// Inserts or replaces an item; `old_size` is the replaced item's size (for the table stats).
pub fn put_item(tx: &Tx, row: &ItemRow, old_size: Option<i64>) -> Result<()> {
    write_row(tx, Hot::PutItem, row)?;
    let (dc, ds) = match old_size {
        Some(old) => (0, row.size - old),
        None => (1, row.size),
    };
    adjust_stats(tx, row.table, dc, ds)
}

/// Inserts an item whose key holds none yet; false, and nothing written, when one is there.
/// One descent of the B-tree where reading the current item first and then writing takes two.
pub fn insert_new_item(tx: &Tx, row: &ItemRow) -> Result<bool> {
    let inserted = write_row(tx, Hot::InsertNewItem, row)?;
    if inserted == 0 {
        return Ok(false);
    }
    adjust_stats(tx, row.table, 1, row.size)?;
    Ok(true)
}

/// Runs an item row's write statement (`which`); how many rows it wrote.
fn write_row(tx: &Tx, which: Hot, row: &ItemRow) -> Result<usize> {
    let ItemRow {
        table,
        pk,
        sk,
        bytes,
        size,
        expires,
    } = *row;
    Ok(tx.with(which, |s| {
        s.execute(params![table, pk, sk, bytes, size, expires])
    })?)
}

/// Deletes an item of the given size (already read by the caller).
pub fn delete_item(tx: &Tx, table: i64, pk: &[u8], sk: &[u8], size: i64) -> Result<()> {
    let n = tx.with(Hot::DeleteItem, |s| s.execute(params![table, pk, sk]))?;
    if n > 0 {
        adjust_stats(tx, table, -1, -size)?;
    }
    Ok(())
}

fn adjust_stats(tx: &Tx, table: i64, count: i64, size: i64) -> Result<()> {
    if tx.add_held_stats(table, count, size) {
        return Ok(());
    }
    write_stats(tx, table, count, size)
}

fn write_stats(conn: &Conn, table: i64, count: i64, size: i64) -> Result<()> {
    conn.with(Hot::AdjustStats, |s| s.execute(params![count, size, table]))?;
    Ok(())
}

/// Table statistics changes summed per table while held, instead of one row update per
/// write: a batch or a group of writes then updates each table's row once, when `write` is
/// called. Dropped without `write` (an error, a panic), the sums are discarded: the caller's
/// transaction is being rolled back. Nothing may read the statistics while they are held (no
/// write path does).
pub(crate) struct HeldStats<'a>(&'a Conn);

impl<'a> HeldStats<'a> {
    /// Holds `conn`'s statistics changes from now on; None if they are held already (by an
    /// outer batch or group, which writes the sums).
    pub(crate) fn hold(conn: &'a Conn) -> Option<HeldStats<'a>> {
        conn.hold_stats().then_some(HeldStats(conn))
    }

    /// Writes the sums (in the caller's open transaction) and stops holding.
    pub(crate) fn write(self) -> Result<()> {
        let sums = self.0.release_stats();
        for (table, count, size) in sums {
            if count != 0 || size != 0 {
                write_stats(self.0, table, count, size)?;
            }
        }
        Ok(())
    }
}

impl Drop for HeldStats<'_> {
    fn drop(&mut self) {
        self.0.release_stats();
    }
}

/// One row of a secondary index: the index key, the base key it points at, the projected item.
pub struct IndexRow<'a> {
    pub index: &'a str,
    pub ipk: &'a [u8],
    pub isk: &'a [u8],
    pub tie: &'a [u8],
    pub pk: &'a [u8],
    pub sk: &'a [u8],
    pub projected: &'a [u8],
    pub size: i64,
}

pub fn put_index_row(tx: &Tx, table: i64, row: &IndexRow) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO index_items (table_id, index_name, ipk, isk, t, pk, sk, item, size) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![table, row.index, row.ipk, row.isk, row.tie, row.pk, row.sk, row.projected, row.size])?;
    Ok(())
}

pub fn delete_index_row(tx: &Tx, table: i64, index: &str, key: &IndexRowKey) -> Result<()> {
    tx.prepare_cached(
        "DELETE FROM index_items WHERE table_id = ?1 AND index_name = ?2 AND ipk = ?3 AND isk = ?4 AND t = ?5 AND pk = ?6 AND sk = ?7",
    )?
    .execute(params![table, index, key.ipk, key.isk, key.tie, key.pk, key.sk])?;
    Ok(())
}

/// Where an index row sits: its index key, tie-breaker and the base item's key.
pub struct IndexRowKey<'a> {
    pub ipk: &'a [u8],
    pub isk: &'a [u8],
    pub tie: &'a [u8],
    pub pk: &'a [u8],
    pub sk: &'a [u8],
}

/// Bytes of an item collection: the items of one partition and their rows in the given LSIs.
pub fn collection_size(conn: &Connection, table: i64, pk: &[u8], lsis: &[&str]) -> Result<i64> {
    let mut total: i64 = conn
        .prepare_cached("SELECT coalesce(sum(size), 0) FROM items WHERE table_id = ?1 AND pk = ?2")?
        .query_row(params![table, pk], |r| r.get(0))?;
    for index in lsis {
        total += conn
            .prepare_cached("SELECT coalesce(sum(size), 0) FROM index_items WHERE table_id = ?1 AND index_name = ?2 AND ipk = ?3")?
            .query_row(params![table, index, pk], |r| r.get::<_, i64>(0))?;
    }
    Ok(total)
}

/// Removes every row of one index (UpdateTable deleting a GSI).
pub fn drop_index_rows(tx: &Tx, table: i64, index: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM index_items WHERE table_id = ?1 AND index_name = ?2",
        params![table, index],
    )?;
    Ok(())
}

/// Sets the TTL expiry of one stored item (enabling TTL on a table with data).
pub fn set_expiry(tx: &Tx, table: i64, pk: &[u8], sk: &[u8], expires: Option<f64>) -> Result<()> {
    tx.prepare_cached("UPDATE items SET expires = ?4 WHERE table_id = ?1 AND pk = ?2 AND sk = ?3")?
        .execute(params![table, pk, sk, expires])?;
    Ok(())
}

/// Clears every TTL expiry of a table (TTL disabled).
pub fn clear_expiry(tx: &Tx, table: i64) -> Result<()> {
    tx.execute(
        "UPDATE items SET expires = NULL WHERE table_id = ?1 AND expires IS NOT NULL",
        [table],
    )?;
    Ok(())
}

/// Keys (pk, sk) of up to `limit` items of `table` whose expiry lies in [from, before).
pub fn expired(
    conn: &Connection,
    table: i64,
    from: f64,
    before: f64,
    limit: usize,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT pk, sk FROM items WHERE table_id = ?1 AND expires >= ?2 AND expires < ?3 LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![table, from, before, limit as i64], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

// ---- streams ------------------------------------------------------------------------------

/// A stream: enabled on a table at `created`, readable until retention ends after `disabled`.
#[derive(Debug, Clone)]
pub struct StreamRow {
    pub id: i64,
    pub account: String,
    pub region: String,
    pub table_name: String,
    pub label: String,
    pub view_type: String,
    /// The table's key schema, as JSON (DescribeStream's KeySchema).
    pub key_schema: String,
    pub created: f64,
    pub shard_id: String,
    pub disabled: Option<f64>,
}

pub fn insert_stream(tx: &Tx, s: &StreamRow) -> Result<i64> {
    tx.execute(
        "INSERT INTO streams (account, region, table_name, label, view_type, key_schema, created, shard_id, disabled)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![s.account, s.region, s.table_name, s.label, s.view_type, s.key_schema, s.created, s.shard_id, s.disabled],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn disable_stream(tx: &Tx, id: i64, at: f64) -> Result<()> {
    tx.execute(
        "UPDATE streams SET disabled = ?2 WHERE id = ?1 AND disabled IS NULL",
        params![id, at],
    )?;
    Ok(())
}

fn stream_row(r: &rusqlite::Row) -> rusqlite::Result<StreamRow> {
    Ok(StreamRow {
        id: r.get(0)?,
        account: r.get(1)?,
        region: r.get(2)?,
        table_name: r.get(3)?,
        label: r.get(4)?,
        view_type: r.get(5)?,
        key_schema: r.get(6)?,
        created: r.get(7)?,
        shard_id: r.get(8)?,
        disabled: r.get(9)?,
    })
}

const STREAM_COLUMNS: &str =
    "id, account, region, table_name, label, view_type, key_schema, created, shard_id, disabled";

/// The streams of a scope (optionally of one table), newest first (as ListStreams lists them).
pub fn list_streams(
    conn: &Connection,
    account: &str,
    region: &str,
    table: Option<&str>,
) -> Result<Vec<StreamRow>> {
    let sql = format!(
        "SELECT {STREAM_COLUMNS} FROM streams WHERE account = ?1 AND region = ?2 AND (?3 IS NULL OR table_name = ?3) ORDER BY id DESC"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![account, region, table], stream_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub fn find_stream(
    conn: &Connection,
    account: &str,
    region: &str,
    table: &str,
    label: &str,
) -> Result<Option<StreamRow>> {
    let sql = format!(
        "SELECT {STREAM_COLUMNS} FROM streams WHERE account = ?1 AND region = ?2 AND table_name = ?3 AND label = ?4"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![account, region, table, label], stream_row)
        .optional()?)
}

pub fn stream_by_id(conn: &Connection, id: i64) -> Result<Option<StreamRow>> {
    let sql = format!("SELECT {STREAM_COLUMNS} FROM streams WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], stream_row)
        .optional()?)
}

/// One change record of a stream.
#[derive(Debug, Clone)]
pub struct StreamRecord {
    pub seq: i64,
    pub created: f64,
    pub event: String,
    pub keys: Vec<u8>,
    pub new_image: Option<Vec<u8>>,
    pub old_image: Option<Vec<u8>>,
    pub size: i64,
    pub by_ttl: bool,
    /// Written by global-table replication (the write was made in another region).
    pub replicated: bool,
}

/// Appends a record; its sequence number (returned) is greater than every earlier one.
pub fn put_stream_record(tx: &Tx, stream: i64, r: &StreamRecord) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO stream_records (stream_id, created, event, keys, new_image, old_image, size, by_ttl, replicated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![stream, r.created, r.event, r.keys, r.new_image, r.old_image, r.size, r.by_ttl, r.replicated])?;
    Ok(tx.last_insert_rowid())
}

/// Up to `limit` records of a stream with sequence numbers greater than `after`, in order.
pub fn stream_records(
    conn: &Connection,
    stream: i64,
    after: i64,
    limit: usize,
) -> Result<Vec<StreamRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, created, event, keys, new_image, old_image, size, by_ttl, replicated FROM stream_records
         WHERE stream_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![stream, after, limit as i64], |r| {
        Ok(StreamRecord {
            seq: r.get(0)?,
            created: r.get(1)?,
            event: r.get(2)?,
            keys: r.get(3)?,
            new_image: r.get(4)?,
            old_image: r.get(5)?,
            size: r.get(6)?,
            by_ttl: r.get(7)?,
            replicated: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The first and last sequence numbers of a stream's retained records.
pub fn stream_bounds(conn: &Connection, stream: i64) -> Result<Option<(i64, i64)>> {
    Ok(conn
        .prepare_cached("SELECT min(seq), max(seq) FROM stream_records WHERE stream_id = ?1")?
        .query_row([stream], |r| {
            Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, Option<i64>>(1)?))
        })
        .map(|(a, b)| a.zip(b))?)
}

/// The highest sequence number ever given (0 before the first record).
/// The last sequence number of `stream` written before `time` (0 when none): an AT_TIMESTAMP
/// iterator reads the records after it. Walks the stream's records in order (its index).
pub fn sequence_before(conn: &Connection, stream: i64, time: f64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(max(seq), 0) FROM stream_records WHERE stream_id = ?1 AND created < ?2",
        )?
        .query_row(params![stream, time], |r| r.get(0))?)
}

pub fn last_sequence(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT coalesce(max(seq), 0) FROM stream_records")?
        .query_row([], |r| r.get(0))?)
}

/// Drops records older than `before` and streams disabled before it (24-hour retention).
pub fn purge_streams(tx: &Tx, before: f64) -> Result<()> {
    tx.execute("DELETE FROM stream_records WHERE created < ?1", [before])?;
    tx.execute(
        "DELETE FROM streams WHERE disabled IS NOT NULL AND disabled < ?1",
        [before],
    )?;
    Ok(())
}

/// Calls `f` with every stored item of a table (backfilling a new GSI).
pub fn for_each_item(
    tx: &Tx,
    table: i64,
    mut f: impl FnMut(&[u8], &[u8], &[u8]) -> Result<()>,
) -> Result<()> {
    let mut stmt = tx.prepare("SELECT pk, sk, item FROM items WHERE table_id = ?1")?;
    let mut rows = stmt.query([table])?;
    while let Some(r) = rows.next()? {
        let (pk, sk, item): (Vec<u8>, Vec<u8>, Vec<u8>) = (r.get(0)?, r.get(1)?, r.get(2)?);
        f(&pk, &sk, &item)?;
    }
    Ok(())
}

// ---- global-table replication ----------------------------------------------------------------

/// A write waiting to reach the replica of its table in another region.
#[derive(Debug, Clone)]
pub struct ReplicationRow {
    pub id: i64,
    pub account: String,
    pub table_name: String,
    /// The region the write was made in.
    pub origin: String,
    /// The region it goes to.
    pub target: String,
    pub pk: Vec<u8>,
    pub sk: Vec<u8>,
    /// The item as written (codec bytes); None for a deletion.
    pub item: Option<Vec<u8>>,
    /// The write's version (milliseconds, unique per item and origin; last writer wins).
    pub version: i64,
}

pub fn enqueue_replication(tx: &Tx, r: &ReplicationRow) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO replication_queue (account, table_name, origin, target, pk, sk, item, version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        r.account,
        r.table_name,
        r.origin,
        r.target,
        r.pk,
        r.sk,
        r.item,
        r.version
    ])?;
    Ok(())
}

/// The oldest `limit` writes waiting to be replicated, in the order they were made.
pub fn pending_replication(conn: &Connection, limit: usize) -> Result<Vec<ReplicationRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, account, table_name, origin, target, pk, sk, item, version
         FROM replication_queue ORDER BY id LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit as i64], |r| {
        Ok(ReplicationRow {
            id: r.get(0)?,
            account: r.get(1)?,
            table_name: r.get(2)?,
            origin: r.get(3)?,
            target: r.get(4)?,
            pk: r.get(5)?,
            sk: r.get(6)?,
            item: r.get(7)?,
            version: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub fn delete_replication(tx: &Tx, id: i64) -> Result<()> {
    tx.prepare_cached("DELETE FROM replication_queue WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// How many writes wait to be replicated.
pub fn replication_backlog(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM replication_queue")?
        .query_row([], |r| r.get(0))?)
}

/// Forgets the writes still due to one region's replica of a table (the replica was removed).
pub fn drop_replication_to(tx: &Tx, account: &str, table: &str, target: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM replication_queue WHERE account = ?1 AND table_name = ?2 AND target = ?3",
        params![account, table, target],
    )?;
    Ok(())
}

/// The version of the last write of a replicated item (a deletion included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemVersion {
    pub version: i64,
    pub origin: String,
    pub deleted: bool,
}

pub fn item_version(
    conn: &Connection,
    table: i64,
    pk: &[u8],
    sk: &[u8],
) -> Result<Option<ItemVersion>> {
    Ok(conn
        .prepare_cached(
            "SELECT version, origin, deleted FROM item_versions WHERE table_id = ?1 AND pk = ?2 AND sk = ?3",
        )?
        .query_row(params![table, pk, sk], |r| {
            Ok(ItemVersion {
                version: r.get(0)?,
                origin: r.get(1)?,
                deleted: r.get(2)?,
            })
        })
        .optional()?)
}

/// Records the version of an item's last write; `at` (epoch seconds) dates a tombstone.
pub fn set_item_version(
    tx: &Tx,
    table: i64,
    pk: &[u8],
    sk: &[u8],
    v: &ItemVersion,
    at: f64,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO item_versions (table_id, pk, sk, version, origin, deleted, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![table, pk, sk, v.version, v.origin, v.deleted, at])?;
    Ok(())
}

/// Copies every item version of one table to another (a new replica starts where its source is).
pub fn copy_item_versions(tx: &Tx, from: i64, to: i64) -> Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO item_versions (table_id, pk, sk, version, origin, deleted, at)
         SELECT ?2, pk, sk, version, origin, deleted, at FROM item_versions WHERE table_id = ?1",
        params![from, to],
    )?;
    Ok(())
}

/// Forgets deletions older than `before` (their tombstones only matter while a replicated write
/// could still be in flight).
pub fn purge_tombstones(tx: &Tx, before: f64) -> Result<()> {
    tx.execute(
        "DELETE FROM item_versions WHERE deleted = 1 AND at < ?1",
        [before],
    )?;
    Ok(())
}

// ---- transaction tokens ------------------------------------------------------------------

/// A ClientRequestToken remembered from a committed TransactWriteItems.
pub struct TokenRow {
    /// Identifies the request the token came with.
    pub fingerprint: Vec<u8>,
    /// When it committed (epoch seconds, engine clock).
    pub at: f64,
    /// What the transaction wrote, encoded by the engine.
    pub result: String,
}

pub fn get_token(tx: &Tx, account: &str, region: &str, token: &str) -> Result<Option<TokenRow>> {
    Ok(tx
        .prepare_cached(
            "SELECT fingerprint, at, result FROM transact_tokens WHERE account = ?1 AND region = ?2 AND token = ?3",
        )?
        .query_row(params![account, region, token], |r| {
            Ok(TokenRow {
                fingerprint: r.get(0)?,
                at: r.get(1)?,
                result: r.get(2)?,
            })
        })
        .optional()?)
}

pub fn put_token(tx: &Tx, account: &str, region: &str, token: &str, row: &TokenRow) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO transact_tokens (account, region, token, fingerprint, at, result) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![account, region, token, row.fingerprint, row.at, row.result])?;
    Ok(())
}

/// Forgets every token remembered before `before`.
pub fn expire_tokens(tx: &Tx, before: f64) -> Result<()> {
    tx.prepare_cached("DELETE FROM transact_tokens WHERE at < ?1")?
        .execute([before])?;
    Ok(())
}

// ---- range reads (Query and Scan) ------------------------------------------------------------

/// One ordered range read over a table's items (columns `pk, sk`) or one index's rows (columns
/// `ipk, isk, t, pk, sk`). The row order is the order of those columns, the primary key of the
/// SQLite table, so every read is a walk along that key: never a sort, never a full-table pass
/// for a Query.
pub struct Range<'a> {
    pub table: i64,
    pub index: Option<&'a str>,
    /// Query: equality on the first column (the partition); bounds then apply to the next one.
    pub partition: Option<&'a [u8]>,
    pub lower: Bound<'a>,
    pub upper: Bound<'a>,
    pub descending: bool,
}

/// A bound of a range read.
pub enum Bound<'a> {
    None,
    /// On the first column after the partition: (value, inclusive).
    Column(&'a [u8], bool),
    /// Strictly after (lower) or before (upper) a position: every column after the partition.
    Position(Vec<&'a [u8]>),
}

/// A row of a range read.
pub struct RangeRow {
    pub pk: Vec<u8>,
    pub sk: Vec<u8>,
    pub item: Vec<u8>,
    pub size: i64,
}

impl Range<'_> {
    fn columns(&self) -> &'static [&'static str] {
        if self.index.is_some() {
            &["ipk", "isk", "t", "pk", "sk"]
        } else {
            &["pk", "sk"]
        }
    }

    /// The SQL and its parameters (after `table_id` and `index_name`).
    fn sql(&self) -> (String, Vec<&[u8]>) {
        let cols = self.columns();
        let free = if self.partition.is_some() {
            &cols[1..]
        } else {
            cols
        };
        let mut sql = String::with_capacity(200);
        let mut args: Vec<&[u8]> = Vec::with_capacity(8);
        let first = if self.index.is_some() { 3 } else { 2 };
        sql.push_str(match self.index {
            Some(_) => {
                "SELECT pk, sk, item, size FROM index_items WHERE table_id = ?1 AND index_name = ?2"
            }
            None => "SELECT pk, sk, item, size FROM items WHERE table_id = ?1",
        });
        // Appends ` AND <lhs> <op> ?n` binding `v`.
        let cond = |sql: &mut String, args: &mut Vec<&'_ [u8]>, lhs: &str, op: &str| {
            use std::fmt::Write;
            let _ = write!(sql, " AND {lhs} {op} ?{}", first + args.len());
        };
        if let Some(p) = self.partition {
            cond(&mut sql, &mut args, cols[0], "=");
            args.push(p);
        }
        for (bound, lower) in [(&self.lower, true), (&self.upper, false)] {
            match bound {
                Bound::None => {}
                Bound::Column(v, inclusive) => {
                    let op = match (lower, inclusive) {
                        (true, true) => ">=",
                        (true, false) => ">",
                        (false, true) => "<=",
                        (false, false) => "<",
                    };
                    cond(&mut sql, &mut args, free[0], op);
                    args.push(v);
                }
                Bound::Position(values) => {
                    let n = values.len().min(free.len());
                    sql.push_str(" AND (");
                    sql.push_str(&free[..n].join(", "));
                    sql.push_str(if lower { ") > (" } else { ") < (" });
                    for (i, v) in values[..n].iter().enumerate() {
                        if i > 0 {
                            sql.push_str(", ");
                        }
                        sql.push_str(&format!("?{}", first + args.len()));
                        args.push(v);
                    }
                    sql.push(')');
                }
            }
        }
        sql.push_str(" ORDER BY ");
        let dir = if self.descending { " DESC" } else { "" };
        let order: Vec<String> = free.iter().map(|c| format!("{c}{dir}")).collect();
        sql.push_str(&order.join(", "));
        (sql, args)
    }
}

/// Walks a range in order, calling `f` with each row until it returns false.
pub fn read_range(
    conn: &Connection,
    range: &Range,
    mut f: impl FnMut(RangeRow) -> Result<bool>,
) -> Result<()> {
    let (sql, args) = range.sql();
    let mut stmt = conn.prepare_cached(&sql)?;
    let head: [&dyn rusqlite::ToSql; 2] = [&range.table, &range.index.unwrap_or("")];
    let n_head = if range.index.is_some() { 2 } else { 1 };
    let params = head[..n_head]
        .iter()
        .copied()
        .chain(args.iter().map(|a| a as &dyn rusqlite::ToSql));
    let mut rows = stmt.query(params_from_iter(params))?;
    while let Some(r) = rows.next()? {
        let row = RangeRow {
            pk: r.get(0)?,
            sk: r.get(1)?,
            item: r.get(2)?,
            size: r.get(3)?,
        };
        if !f(row)? {
            break;
        }
    }
    Ok(())
}

/// SQLite's plan for a range read (the EXPLAIN QUERY PLAN detail lines), for tests.
pub fn range_plan(conn: &Connection, range: &Range) -> Result<Vec<String>> {
    let (sql, args) = range.sql();
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let head: [&dyn rusqlite::ToSql; 2] = [&range.table, &range.index.unwrap_or("")];
    let n_head = if range.index.is_some() { 2 } else { 1 };
    let params = head[..n_head]
        .iter()
        .copied()
        .chain(args.iter().map(|a| a as &dyn rusqlite::ToSql));
    let rows = stmt.query_map(params_from_iter(params), |r| r.get::<_, String>(3))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(range: &Range) -> String {
        let store = Store::open(None).unwrap();
        store
            .read(|conn| range_plan(conn, range))
            .unwrap()
            .join(" | ")
    }

    fn range<'a>(index: Option<&'a str>, partition: Option<&'a [u8]>) -> Range<'a> {
        Range {
            table: 1,
            index,
            partition,
            lower: Bound::None,
            upper: Bound::None,
            descending: false,
        }
    }

    // Every read must be a walk along the primary key: a SEARCH bounded by the partition and the
    // range, never a SCAN of the whole SQLite table, never a sort into a temporary B-tree. (A
    // multi-attribute GSI key is one tuple-encoded `ipk` and `isk` (`codec::key`): its Query is
    // the first case here, whatever its prefix shape.)
    #[test]
    fn query_and_scan_walk_the_primary_key() {
        let (p, lo, hi) = (&b"p"[..], &b"a"[..], &b"z"[..]);
        let mut q = range(Some("gsi"), Some(p));
        q.lower = Bound::Column(lo, true);
        q.upper = Bound::Column(hi, false);
        let got = plan(&q);
        assert!(got.contains("SEARCH index_items USING PRIMARY KEY (table_id=? AND index_name=? AND ipk=? AND isk>? AND isk<?)"), "{got}");

        let mut resume = range(Some("gsi"), Some(p));
        resume.lower = Bound::Position(vec![lo, lo, lo, lo]);
        resume.descending = true;
        let got = plan(&resume);
        assert!(got.contains("SEARCH index_items USING PRIMARY KEY (table_id=? AND index_name=? AND ipk=? AND (isk,t,pk,sk)>(?,?,?,?))"), "{got}");

        let mut table = range(None, Some(p));
        table.upper = Bound::Column(hi, true);
        let got = plan(&table);
        assert!(
            got.contains("SEARCH items USING PRIMARY KEY (table_id=? AND pk=? AND sk<?)"),
            "{got}"
        );

        // A scan of one segment, resumed after a key.
        let mut scan = range(None, None);
        scan.lower = Bound::Position(vec![lo, lo]);
        scan.upper = Bound::Column(hi, false);
        let got = plan(&scan);
        assert!(
            got.contains("SEARCH items USING PRIMARY KEY (table_id=? AND (pk,sk)>(?,?) AND pk<?)"),
            "{got}"
        );

        let lsi_scan = range(Some("lsi"), None);
        let got = plan(&lsi_scan);
        assert!(
            got.contains("SEARCH index_items USING PRIMARY KEY (table_id=? AND index_name=?)"),
            "{got}"
        );

        for r in [&q, &resume, &table, &scan, &lsi_scan] {
            let got = plan(r);
            assert!(
                !got.contains("SCAN") && !got.contains("TEMP B-TREE"),
                "{got}"
            );
        }
    }
}
