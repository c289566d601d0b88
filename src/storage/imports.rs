//! Rows of imports from S3 (`imports`). Only SQL here: what they mean is `engine/import.rs`'s.
use super::Tx;
use crate::error::{Error, Result};
use crate::model::ImportSpec;
use rusqlite::{params, Connection};

/// One import: what was asked and how far it got.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub id: i64,
    pub account: String,
    pub region: String,
    pub arn: String,
    /// Storage id of the table being filled.
    pub table: i64,
    pub spec: ImportSpec,
    /// IN_PROGRESS, COMPLETED or FAILED.
    pub status: String,
    pub start_time: f64,
    pub end_time: Option<f64>,
    pub processed_bytes: i64,
    pub processed_items: i64,
    pub imported_items: i64,
    pub errors: i64,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
}

/// What an import has done so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportProgress {
    pub processed_bytes: i64,
    pub processed_items: i64,
    pub imported_items: i64,
    pub errors: i64,
}

const IMPORT_COLUMNS: &str = "id, account, region, arn, table_id, spec, status, start_time, end_time, processed_bytes, processed_items, imported_items, errors, failure_code, failure_message";

type RawImport = (
    (i64, String, String, String, i64, String),
    (String, f64, Option<f64>),
    (i64, i64, i64, i64),
    (Option<String>, Option<String>),
);

fn import_row(r: &rusqlite::Row) -> rusqlite::Result<RawImport> {
    Ok((
        (
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ),
        (r.get(6)?, r.get(7)?, r.get(8)?),
        (r.get(9)?, r.get(10)?, r.get(11)?, r.get(12)?),
        (r.get(13)?, r.get(14)?),
    ))
}

fn decode_import(raw: RawImport) -> Result<ImportRow> {
    let ((id, account, region, arn, table, spec), (status, start_time, end_time), counts, fail) =
        raw;
    let spec =
        serde_json::from_str(&spec).map_err(|e| Error::internal(format!("import {id}: {e}")))?;
    Ok(ImportRow {
        id,
        account,
        region,
        arn,
        table,
        spec,
        status,
        start_time,
        end_time,
        processed_bytes: counts.0,
        processed_items: counts.1,
        imported_items: counts.2,
        errors: counts.3,
        failure_code: fail.0,
        failure_message: fail.1,
    })
}

pub fn insert_import(tx: &Tx, i: &ImportRow) -> Result<i64> {
    let spec = serde_json::to_string(&i.spec).map_err(Error::internal)?;
    tx.execute(
        "INSERT INTO imports (account, region, arn, table_id, spec, status, start_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![i.account, i.region, i.arn, i.table, spec, i.status, i.start_time],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn import_by_arn(conn: &Connection, arn: &str) -> Result<Option<ImportRow>> {
    let sql = format!("SELECT {IMPORT_COLUMNS} FROM imports WHERE arn = ?1");
    super::one(conn, &sql, arn, import_row, decode_import)
}

pub fn import_by_id(conn: &Connection, id: i64) -> Result<Option<ImportRow>> {
    let sql = format!("SELECT {IMPORT_COLUMNS} FROM imports WHERE id = ?1");
    super::one(conn, &sql, id, import_row, decode_import)
}

/// The imports of a scope, oldest first.
pub fn list_imports(conn: &Connection, account: &str, region: &str) -> Result<Vec<ImportRow>> {
    let sql = format!(
        "SELECT {IMPORT_COLUMNS} FROM imports WHERE account = ?1 AND region = ?2 ORDER BY id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![account, region], import_row)?;
    rows.map(|r| decode_import(r?)).collect()
}

/// Ids of the imports still in progress (the background jobs to run).
pub fn imports_in_progress(conn: &Connection) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM imports WHERE status = 'IN_PROGRESS'")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Records progress (so DescribeImport shows it while the import runs).
pub fn import_progress(tx: &Tx, id: i64, p: &ImportProgress) -> Result<()> {
    tx.execute(
        "UPDATE imports SET processed_bytes = ?2, processed_items = ?3, imported_items = ?4, errors = ?5 WHERE id = ?1",
        params![id, p.processed_bytes, p.processed_items, p.imported_items, p.errors],
    )?;
    Ok(())
}

pub fn finish_import(
    tx: &Tx,
    id: i64,
    end: f64,
    status: &str,
    failure: Option<(&str, &str)>,
) -> Result<()> {
    tx.execute(
        "UPDATE imports SET status = ?2, end_time = ?3, failure_code = ?4, failure_message = ?5 WHERE id = ?1",
        params![id, status, end, failure.map(|f| f.0), failure.map(|f| f.1)],
    )?;
    Ok(())
}
