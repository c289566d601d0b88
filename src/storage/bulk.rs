//! Rows of bulk put operations (`bulk_operations`) and the error records they keep for their
//! reports (`bulk_errors`). Only SQL here: what they mean is `engine/bulk.rs`'s.
use super::Tx;
use crate::error::{Error, Result};
use crate::model::BulkSpec;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

/// One bulk operation: what was asked and how far it got.
#[derive(Debug, Clone)]
pub struct BulkRow {
    pub id: i64,
    pub account: String,
    pub region: String,
    pub arn: String,
    /// Storage id of the table written to.
    pub table: i64,
    pub spec: BulkSpec,
    /// IN_PROGRESS, COMPLETED, COMPLETED_WITH_ERRORS, CANCELLING, CANCELLED or FAILED.
    pub status: String,
    pub start_time: f64,
    pub end_time: Option<f64>,
    pub progress: BulkProgress,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
}

/// What a bulk operation has done so far, and where it resumes: every input object whose key
/// sorts before `object` is done, and `object` itself up to line `line` (`u64::MAX`: to its
/// end). Keys rather than positions, so objects added or removed meanwhile move nothing. Saved
/// in the transaction that writes the items it counts, so a restart neither repeats nor skips a
/// line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkProgress {
    pub object: Option<String>,
    pub line: u64,
    pub processed_items: i64,
    pub failed_items: i64,
    pub processed_bytes: i64,
    pub total_bytes: Option<i64>,
    /// Bulk put bytes: the table's (the items written), then each local and global secondary
    /// index's (the entries written), then each vector index's (the vectors written), by
    /// index name.
    pub table_bytes: i64,
    pub lsi_bytes: Vec<(String, i64)>,
    pub gsi_bytes: Vec<(String, i64)>,
    pub vector_bytes: Vec<(String, i64)>,
}

const BULK_COLUMNS: &str = "id, account, region, arn, table_id, spec, status, start_time, end_time, progress, failure_code, failure_message";

type RawBulk = (
    (i64, String, String, String, i64, String),
    (String, f64, Option<f64>, String),
    (Option<String>, Option<String>),
);

fn bulk_row(r: &rusqlite::Row) -> rusqlite::Result<RawBulk> {
    Ok((
        (
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ),
        (r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?),
        (r.get(10)?, r.get(11)?),
    ))
}

fn decode_bulk(raw: RawBulk) -> Result<BulkRow> {
    let ((id, account, region, arn, table, spec), (status, start_time, end_time, progress), fail) =
        raw;
    let damaged = |e: serde_json::Error| Error::internal(format!("bulk operation {id}: {e}"));
    Ok(BulkRow {
        id,
        account,
        region,
        arn,
        table,
        spec: serde_json::from_str(&spec).map_err(damaged)?,
        status,
        start_time,
        end_time,
        progress: serde_json::from_str(&progress).map_err(damaged)?,
        failure_code: fail.0,
        failure_message: fail.1,
    })
}

fn json(v: &impl Serialize) -> Result<String> {
    serde_json::to_string(v).map_err(Error::internal)
}

pub fn insert_bulk(tx: &Tx, b: &BulkRow) -> Result<i64> {
    tx.execute(
        "INSERT INTO bulk_operations (account, region, arn, table_id, spec, status, start_time, progress) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![b.account, b.region, b.arn, b.table, json(&b.spec)?, b.status, b.start_time, json(&b.progress)?],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn bulk_by_arn(conn: &Connection, arn: &str) -> Result<Option<BulkRow>> {
    let sql = format!("SELECT {BULK_COLUMNS} FROM bulk_operations WHERE arn = ?1");
    super::one(conn, &sql, arn, bulk_row, decode_bulk)
}

pub fn bulk_by_id(conn: &Connection, id: i64) -> Result<Option<BulkRow>> {
    let sql = format!("SELECT {BULK_COLUMNS} FROM bulk_operations WHERE id = ?1");
    super::one(conn, &sql, id, bulk_row, decode_bulk)
}

/// The bulk operations of a scope started at or after `since`, newest first.
pub fn list_bulk(
    conn: &Connection,
    account: &str,
    region: &str,
    since: f64,
) -> Result<Vec<BulkRow>> {
    let sql = format!(
        "SELECT {BULK_COLUMNS} FROM bulk_operations WHERE account = ?1 AND region = ?2 AND start_time >= ?3 ORDER BY id DESC"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![account, region, since], bulk_row)?;
    rows.map(|r| decode_bulk(r?)).collect()
}

/// Ids of the bulk operations a job still has to run or stop (the background jobs to run).
pub fn bulk_unfinished(conn: &Connection) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM bulk_operations WHERE status IN ('IN_PROGRESS', 'CANCELLING')",
    )?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The operation's status as it is now (a cancellation arrives while its job runs).
pub fn bulk_status(conn: &Connection, id: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT status FROM bulk_operations WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// Moves an IN_PROGRESS operation to `status` (CANCELLING); false when it was not in progress.
pub fn bulk_transition(tx: &Tx, id: i64, status: &str) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE bulk_operations SET status = ?2 WHERE id = ?1 AND status = 'IN_PROGRESS'",
        params![id, status],
    )? == 1)
}

/// Records progress and the error records found since the last save, in the transaction that
/// wrote the items they count.
pub fn bulk_progress(tx: &Tx, id: i64, p: &BulkProgress, errors: &[String]) -> Result<()> {
    tx.execute(
        "UPDATE bulk_operations SET progress = ?2 WHERE id = ?1",
        params![id, json(p)?],
    )?;
    let mut insert =
        tx.prepare_cached("INSERT INTO bulk_errors (operation_id, record) VALUES (?1, ?2)")?;
    for record in errors {
        insert.execute(params![id, record])?;
    }
    Ok(())
}

/// The error records of an operation, in the order they were found: `f` gets each in turn.
pub fn bulk_errors(
    conn: &Connection,
    id: i64,
    f: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn
        .prepare_cached("SELECT record FROM bulk_errors WHERE operation_id = ?1 ORDER BY rowid")?;
    let mut rows = stmt.query([id])?;
    while let Some(row) = rows.next()? {
        f(row.get_ref(0)?.as_str().map_err(Error::internal)?)?;
    }
    Ok(())
}

pub fn finish_bulk(
    tx: &Tx,
    id: i64,
    end: f64,
    status: &str,
    failure: Option<(&str, &str)>,
) -> Result<()> {
    tx.execute(
        "UPDATE bulk_operations SET status = ?2, end_time = ?3, failure_code = ?4, failure_message = ?5 WHERE id = ?1",
        params![id, status, end, failure.map(|f| f.0), failure.map(|f| f.1)],
    )?;
    tx.execute("DELETE FROM bulk_errors WHERE operation_id = ?1", [id])?;
    Ok(())
}
