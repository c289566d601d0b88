//! Rows of exports to S3 (`exports`) and the change walk an incremental export reads from the
//! PITR log. Only SQL here: what the rows mean is `engine/export.rs`'s.
use super::Tx;
use crate::error::{Error, Result};
use crate::model::ExportSpec;
use rusqlite::{params, Connection, OptionalExtension};

/// One export: what was asked (`spec`) and how far it got.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub id: i64,
    pub account: String,
    pub region: String,
    pub arn: String,
    /// Storage id of the exported table.
    pub table: i64,
    pub spec: ExportSpec,
    /// IN_PROGRESS, COMPLETED or FAILED.
    pub status: String,
    pub start_time: f64,
    pub end_time: Option<f64>,
    pub item_count: i64,
    pub billed_size: i64,
    pub manifest: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
}

const EXPORT_COLUMNS: &str = "id, account, region, arn, table_id, spec, status, start_time, end_time, item_count, billed_size, manifest, failure_code, failure_message";

type RawExport = (
    (i64, String, String, String, i64, String),
    (String, f64, Option<f64>, i64, i64),
    (Option<String>, Option<String>, Option<String>),
);

fn export_row(r: &rusqlite::Row) -> rusqlite::Result<RawExport> {
    Ok((
        (
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ),
        (r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?),
        (r.get(11)?, r.get(12)?, r.get(13)?),
    ))
}

fn decode_export(raw: RawExport) -> Result<ExportRow> {
    let ((id, account, region, arn, table, spec), rest, (manifest, code, message)) = raw;
    let (status, start_time, end_time, item_count, billed_size) = rest;
    let spec =
        serde_json::from_str(&spec).map_err(|e| Error::internal(format!("export {id}: {e}")))?;
    Ok(ExportRow {
        id,
        account,
        region,
        arn,
        table,
        spec,
        status,
        start_time,
        end_time,
        item_count,
        billed_size,
        manifest,
        failure_code: code,
        failure_message: message,
    })
}

pub fn insert_export(tx: &Tx, e: &ExportRow) -> Result<i64> {
    let spec = serde_json::to_string(&e.spec).map_err(Error::internal)?;
    tx.execute(
        "INSERT INTO exports (account, region, arn, table_id, spec, status, start_time, item_count, billed_size)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, 0)",
        params![e.account, e.region, e.arn, e.table, spec, e.status, e.start_time],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn export_by_arn(conn: &Connection, arn: &str) -> Result<Option<ExportRow>> {
    let sql = format!("SELECT {EXPORT_COLUMNS} FROM exports WHERE arn = ?1");
    super::one(conn, &sql, arn, export_row, decode_export)
}

pub fn export_by_id(conn: &Connection, id: i64) -> Result<Option<ExportRow>> {
    let sql = format!("SELECT {EXPORT_COLUMNS} FROM exports WHERE id = ?1");
    super::one(conn, &sql, id, export_row, decode_export)
}

/// The exports of a scope, oldest first.
pub fn list_exports(conn: &Connection, account: &str, region: &str) -> Result<Vec<ExportRow>> {
    let sql = format!(
        "SELECT {EXPORT_COLUMNS} FROM exports WHERE account = ?1 AND region = ?2 ORDER BY id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![account, region], export_row)?;
    rows.map(|r| decode_export(r?)).collect()
}

/// Ids of the exports still in progress (the background jobs to run).
pub fn exports_in_progress(conn: &Connection) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM exports WHERE status = 'IN_PROGRESS'")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub fn complete_export(
    tx: &Tx,
    id: i64,
    end: f64,
    count: i64,
    billed: i64,
    manifest: &str,
) -> Result<()> {
    tx.execute(
        "UPDATE exports SET status = 'COMPLETED', end_time = ?2, item_count = ?3, billed_size = ?4, manifest = ?5 WHERE id = ?1",
        params![id, end, count, billed, manifest],
    )?;
    Ok(())
}

pub fn fail_export(tx: &Tx, id: i64, end: f64, code: &str, message: &str) -> Result<()> {
    tx.execute(
        "UPDATE exports SET status = 'FAILED', end_time = ?2, failure_code = ?3, failure_message = ?4 WHERE id = ?1",
        params![id, end, code, message],
    )?;
    Ok(())
}

/// One key's change over a period: its item at the start (None: absent), at the end, and the
/// time of its last write in the period.
pub struct Change {
    pub pk: Vec<u8>,
    pub sk: Vec<u8>,
    pub old: Option<Vec<u8>>,
    pub new: Option<Vec<u8>>,
    pub last_write: f64,
}

/// Calls `f` with every key of `table` written in (`from`, `to`], in key order: its item as it
/// was at `from` and as it was at `to` (from the PITR log and the current items).
pub fn changes_between(
    conn: &Connection,
    table: i64,
    from: f64,
    to: f64,
    f: &mut dyn FnMut(Change) -> Result<()>,
) -> Result<()> {
    let mut keys = conn.prepare(
        "SELECT pk, sk, max(at) FROM pitr_log WHERE table_id = ?1 AND at > ?2 AND at <= ?3 GROUP BY pk, sk ORDER BY pk, sk",
    )?;
    let mut first_after = conn.prepare_cached(
        "SELECT old FROM pitr_log WHERE table_id = ?1 AND pk = ?2 AND sk = ?3 AND at > ?4 ORDER BY seq LIMIT 1",
    )?;
    let mut current =
        conn.prepare_cached("SELECT item FROM items WHERE table_id = ?1 AND pk = ?2 AND sk = ?3")?;
    let mut rows = keys.query(params![table, from, to])?;
    while let Some(r) = rows.next()? {
        let (pk, sk, last_write): (Vec<u8>, Vec<u8>, f64) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let old: Option<Vec<u8>> = first_after
            .query_row(params![table, pk, sk, from], |r| r.get(0))
            .optional()?
            .flatten();
        let after_to: Option<Option<Vec<u8>>> = first_after
            .query_row(params![table, pk, sk, to], |r| r.get(0))
            .optional()?;
        let new = match after_to {
            Some(image) => image,
            None => current
                .query_row(params![table, pk, sk], |r| r.get(0))
                .optional()?,
        };
        f(Change {
            pk,
            sk,
            old,
            new,
            last_write,
        })?;
    }
    Ok(())
}
