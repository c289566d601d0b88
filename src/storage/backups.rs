//! Rows of on-demand backups (`backups`, `backup_items`) and of point-in-time recovery's change
//! log (`pitr_log`), and the streaming copy every backup and restore is made of. Only SQL here:
//! what the rows mean is the engine's (`engine/backups.rs`, `engine/pitr.rs`).
use super::Tx;
use super::{RangeRow, Store};
use crate::error::{Error, Result};
use crate::model::TableMeta;
use rusqlite::{params, Connection};

/// Rows written per write transaction by a background copy: small enough that foreground
/// writes never wait long, large enough that the copy is not dominated by commits.
pub const COPY_BATCH: usize = 2000;

impl Store {
    /// Streams rows out of one consistent read (`read` hands each row to its callback) into
    /// batched writes (`write` gets up to [`COPY_BATCH`] rows per call). A file-backed store
    /// reads one WAL snapshot on a reader connection while each batch commits on its own, so
    /// writes to other rows go on meanwhile; an in-memory store has one connection and does the
    /// whole copy in one write transaction (the read then sees its own writes only in tables it
    /// does not read). `stop` is asked between batches: true ends the copy with `Ok(false)`.
    pub fn copy_rows(
        &self,
        read: impl FnOnce(&Connection, &mut dyn FnMut(RangeRow) -> Result<()>) -> Result<()>,
        mut write: impl FnMut(&Tx, Vec<RangeRow>) -> Result<()>,
        stop: &dyn Fn() -> bool,
    ) -> Result<bool> {
        // Not `Error::internal`: a stop is expected and not logged as a fault.
        let stopped = Error::new(crate::error::ErrorKind::Internal, "copy stopped");
        if self.path.is_none() {
            let out = self.write(|tx| {
                let mut batch = Vec::with_capacity(COPY_BATCH);
                read(tx, &mut |row| {
                    batch.push(row);
                    if batch.len() == COPY_BATCH {
                        if stop() {
                            return Err(stopped.clone());
                        }
                        write(tx, std::mem::take(&mut batch))?;
                    }
                    Ok(())
                })?;
                write(tx, batch)
            });
            return match out {
                Err(e) if e == stopped => Ok(false),
                other => other.map(|_| true),
            };
        }
        let out = self.read_snapshot(|conn| {
            let mut batch = Vec::with_capacity(COPY_BATCH);
            read(conn, &mut |row| {
                batch.push(row);
                if batch.len() == COPY_BATCH {
                    if stop() {
                        return Err(stopped.clone());
                    }
                    let rows = std::mem::take(&mut batch);
                    self.write(|tx| write(tx, rows))?;
                }
                Ok(())
            })?;
            self.write(|tx| write(tx, batch))
        });
        match out {
            Err(e) if e == stopped => Ok(false),
            other => other.map(|_| true),
        }
    }
}

// ---- backups ------------------------------------------------------------------------------

/// An on-demand backup: the table's metadata when it was requested, and its state.
#[derive(Debug, Clone)]
pub struct BackupRow {
    pub id: i64,
    pub account: String,
    pub region: String,
    pub arn: String,
    pub name: String,
    pub table_name: String,
    /// The table's metadata at the request (its `id` is the source table's storage id).
    pub meta: TableMeta,
    /// `CREATING` until its items are copied, then `AVAILABLE`.
    pub status: String,
    pub backup_type: String,
    pub created: f64,
    pub item_count: i64,
    pub size_bytes: i64,
}

const BACKUP_COLUMNS: &str = "id, account, region, arn, name, table_name, table_meta, status, backup_type, created, item_count, size_bytes";

/// A row as read, its metadata still JSON (rusqlite's row closure cannot fail with our error).
type RawBackup = (
    (i64, String, String, String, String, String),
    String,
    (String, String, f64, i64, i64),
);

fn backup_row(r: &rusqlite::Row) -> rusqlite::Result<RawBackup> {
    Ok((
        (
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ),
        r.get(6)?,
        (r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?),
    ))
}

/// The row with its metadata decoded from the stored JSON.
fn decode_backup(raw: RawBackup) -> Result<BackupRow> {
    let ((id, account, region, arn, name, table_name), meta, rest) = raw;
    let (status, backup_type, created, item_count, size_bytes) = rest;
    let meta =
        serde_json::from_str(&meta).map_err(|e| Error::internal(format!("backup {id}: {e}")))?;
    Ok(BackupRow {
        id,
        account,
        region,
        arn,
        name,
        table_name,
        meta,
        status,
        backup_type,
        created,
        item_count,
        size_bytes,
    })
}

pub fn insert_backup(tx: &Tx, b: &BackupRow) -> Result<i64> {
    let meta = serde_json::to_string(&b.meta).map_err(Error::internal)?;
    tx.execute(
        "INSERT INTO backups (account, region, arn, name, table_name, table_meta, status, backup_type, created, item_count, size_bytes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![b.account, b.region, b.arn, b.name, b.table_name, meta, b.status, b.backup_type, b.created, b.item_count, b.size_bytes],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn backup_by_arn(conn: &Connection, arn: &str) -> Result<Option<BackupRow>> {
    let sql = format!("SELECT {BACKUP_COLUMNS} FROM backups WHERE arn = ?1");
    super::one(conn, &sql, arn, backup_row, decode_backup)
}

pub fn backup_by_id(conn: &Connection, id: i64) -> Result<Option<BackupRow>> {
    let sql = format!("SELECT {BACKUP_COLUMNS} FROM backups WHERE id = ?1");
    super::one(conn, &sql, id, backup_row, decode_backup)
}

/// The backups of a scope (optionally of one table), oldest first, then by id.
pub fn list_backups(
    conn: &Connection,
    account: &str,
    region: &str,
    table: Option<&str>,
) -> Result<Vec<BackupRow>> {
    let sql = format!(
        "SELECT {BACKUP_COLUMNS} FROM backups WHERE account = ?1 AND region = ?2 AND (?3 IS NULL OR table_name = ?3) ORDER BY created, id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![account, region, table], backup_row)?;
    rows.map(|r| decode_backup(r?)).collect()
}

/// Ids of the backups still being created (the background jobs to run).
pub fn creating_backups(conn: &Connection) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM backups WHERE status = 'CREATING'")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub fn finish_backup(tx: &Tx, id: i64, count: i64, size: i64) -> Result<()> {
    tx.execute(
        "UPDATE backups SET status = 'AVAILABLE', item_count = ?2, size_bytes = ?3 WHERE id = ?1",
        params![id, count, size],
    )?;
    Ok(())
}

/// Removes a backup's items (all of them, or what a stopped copy left).
pub fn clear_backup_items(tx: &Tx, id: i64) -> Result<()> {
    tx.execute("DELETE FROM backup_items WHERE backup_id = ?1", [id])?;
    Ok(())
}

pub fn delete_backup(tx: &Tx, id: i64) -> Result<()> {
    clear_backup_items(tx, id)?;
    tx.execute("DELETE FROM backups WHERE id = ?1", [id])?;
    Ok(())
}

pub fn put_backup_items(tx: &Tx, id: i64, rows: &[RangeRow]) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR REPLACE INTO backup_items (backup_id, pk, sk, item, size) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for r in rows {
        stmt.execute(params![id, r.pk, r.sk, r.item, r.size])?;
    }
    Ok(())
}

/// Calls `f` with every item of a table, in key order.
pub fn table_rows(
    conn: &Connection,
    table: i64,
    f: &mut dyn FnMut(RangeRow) -> Result<()>,
) -> Result<()> {
    let mut stmt =
        conn.prepare("SELECT pk, sk, item, size FROM items WHERE table_id = ?1 ORDER BY pk, sk")?;
    let mut rows = stmt.query([table])?;
    while let Some(r) = rows.next()? {
        f(range_row(r)?)?;
    }
    Ok(())
}

/// Calls `f` with every item of a backup, in key order.
pub fn backup_rows(
    conn: &Connection,
    backup: i64,
    f: &mut dyn FnMut(RangeRow) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT pk, sk, item, size FROM backup_items WHERE backup_id = ?1 ORDER BY pk, sk",
    )?;
    let mut rows = stmt.query([backup])?;
    while let Some(r) = rows.next()? {
        f(range_row(r)?)?;
    }
    Ok(())
}

fn range_row(r: &rusqlite::Row) -> rusqlite::Result<RangeRow> {
    Ok(RangeRow {
        pk: r.get(0)?,
        sk: r.get(1)?,
        item: r.get(2)?,
        size: r.get(3)?,
    })
}

/// Removes every item and index row of a table and zeroes its statistics (a restore that
/// starts over).
pub fn clear_table_rows(tx: &Tx, table: i64) -> Result<()> {
    tx.execute("DELETE FROM items WHERE table_id = ?1", [table])?;
    tx.execute("DELETE FROM index_items WHERE table_id = ?1", [table])?;
    tx.execute(
        "UPDATE table_stats SET item_count = 0, size_bytes = 0 WHERE id = ?1",
        [table],
    )?;
    Ok(())
}

// ---- point-in-time recovery -----------------------------------------------------------------

/// Logs one change of an item of a PITR table: what the item was before the change at `at`
/// (None: it did not exist). Restoring to a time T takes, for each key changed after T, the
/// old image of its first change after T, and the current item for every other key.
pub fn log_change(
    tx: &Tx,
    table: i64,
    pk: &[u8],
    sk: &[u8],
    at: f64,
    old: Option<(&[u8], i64)>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO pitr_log (table_id, pk, sk, at, old, old_size) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![table, pk, sk, at, old.map(|o| o.0), old.map(|o| o.1)])?;
    Ok(())
}

/// Calls `f` with every item of `table` as it was at `at` (a time at or after the earliest
/// logged one): first the items unchanged since, then the old images of the changed ones.
pub fn rows_at(
    conn: &Connection,
    table: i64,
    at: f64,
    f: &mut dyn FnMut(RangeRow) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT pk, sk, item, size FROM items i WHERE table_id = ?1 AND NOT EXISTS
             (SELECT 1 FROM pitr_log l WHERE l.table_id = ?1 AND l.pk = i.pk AND l.sk = i.sk AND l.at > ?2)
         ORDER BY pk, sk",
    )?;
    let mut rows = stmt.query(params![table, at])?;
    while let Some(r) = rows.next()? {
        f(range_row(r)?)?;
    }
    // SQLite returns the bare columns of the row holding min(seq): the first change after `at`.
    let mut stmt = conn.prepare(
        "SELECT pk, sk, old, old_size, min(seq) FROM pitr_log WHERE table_id = ?1 AND at > ?2 GROUP BY pk, sk",
    )?;
    let mut rows = stmt.query(params![table, at])?;
    while let Some(r) = rows.next()? {
        let old: Option<Vec<u8>> = r.get(2)?;
        if let Some(item) = old {
            f(RangeRow {
                pk: r.get(0)?,
                sk: r.get(1)?,
                item,
                size: r.get(3)?,
            })?;
        }
    }
    Ok(())
}

/// Forgets the changes of `table` logged before `before` (past its recovery period), or all
/// of them (`before` = infinity: PITR disabled or the table deleted).
pub fn purge_log(tx: &Tx, table: i64, before: f64) -> Result<usize> {
    Ok(tx
        .prepare_cached("DELETE FROM pitr_log WHERE table_id = ?1 AND at < ?2")?
        .execute(params![table, before])?)
}

/// How many changes of `table` are logged (tests: storage grows with changes).
pub fn log_len(conn: &Connection, table: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM pitr_log WHERE table_id = ?1")?
        .query_row([table], |r| r.get(0))?)
}
