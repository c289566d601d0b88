//! Imports from S3 into a new table. ImportTable creates the table (CREATING, hidden from the
//! data plane) and records the import (IN_PROGRESS); a background job reads every object under
//! the prefix (an awsim or service export's manifests and checksums are skipped, so an export's
//! root imports as is), decompresses it (GZIP, ZSTD or NONE), parses it line by line (DynamoDB
//! JSON, or CSV records) and writes the items with their index rows in batches. A line that does
//! not parse, lacks the key or breaks a limit is counted in ErrorCount and skipped (logged with
//! its object and line); the rest is imported. Then the table is ACTIVE and the import
//! COMPLETED. A missing bucket fails the import (and removes the table). An import cut short by
//! a restart starts over on an emptied table.
use super::jobs::failure_code;
use super::{keys, Engine};
use crate::codec::item as codec;
use crate::error::{Error, ErrorKind, Result};
use crate::formats::{csv, dynamodb_json};
use crate::model::size::{item_size, MAX_ITEM_SIZE};
use crate::model::{ImportSpec, Item, KeyType, Scope, TableMeta};
use crate::objects::{ObjectError, ObjectReader};
pub use crate::storage::ImportRow;
use crate::storage::{self, ImportProgress, RangeRow, COPY_BATCH};
use md5::{Digest, Md5};
use std::io::{BufRead, BufReader, Read};

impl Engine {
    /// Creates the table (CREATING) and records the import; the caller has checked the table
    /// parameters. A ClientToken seen before answers the earlier import when the request is the
    /// same, ImportConflictException when it is not.
    pub fn start_import(
        &self,
        scope: &Scope,
        mut meta: TableMeta,
        spec: ImportSpec,
    ) -> Result<ImportRow> {
        if let Some(token) = &spec.client_token {
            let earlier = self
                .list_imports(scope)?
                .into_iter()
                .find(|i| i.spec.client_token.as_deref() == Some(token.as_str()));
            if let Some(i) = earlier {
                let mut same = spec.clone();
                same.table_arn = i.spec.table_arn.clone();
                same.table_id = i.spec.table_id.clone();
                if same == i.spec {
                    return Ok(i);
                }
                return Err(Error::new(
                    ErrorKind::ImportConflict,
                    format!("Import with the same client token but different parameters already exists: {token}"),
                ));
            }
        }
        meta.status = "CREATING".into();
        let start = self.now();
        let table = self.create_table(meta)?;
        let mut spec = spec;
        spec.table_arn = table.arn();
        spec.table_id = table.table_id();
        let mut row = ImportRow {
            id: 0,
            account: scope.account.clone(),
            region: scope.region.clone(),
            arn: import_arn(&table, start),
            table: table.id,
            spec,
            status: "IN_PROGRESS".into(),
            start_time: start,
            end_time: None,
            processed_bytes: 0,
            processed_items: 0,
            imported_items: 0,
            errors: 0,
            failure_code: None,
            failure_message: None,
        };
        row.id = self.store.write(|tx| storage::insert_import(tx, &row))?;
        self.jobs_queued();
        Ok(row)
    }

    pub fn import(&self, scope: &Scope, arn: &str) -> Result<ImportRow> {
        self.store
            .read(|conn| storage::import_by_arn(conn, arn))?
            .filter(|i| i.account == scope.account && i.region == scope.region)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::ImportNotFound,
                    format!("Import not found: {arn}"),
                )
            })
    }

    pub fn list_imports(&self, scope: &Scope) -> Result<Vec<ImportRow>> {
        self.store
            .read(|conn| storage::list_imports(conn, &scope.account, &scope.region))
    }

    /// The job behind ImportTable (see the module's comment). An import the store refuses to
    /// load (a full disk, damage) is ended by `jobs::give_up`.
    pub(super) fn run_import(&self, id: i64) -> Result<()> {
        let Some(import) = self.store.read(|conn| storage::import_by_id(conn, id))? else {
            return Ok(());
        };
        if import.status != "IN_PROGRESS" {
            return Ok(());
        }
        let finish = |status: &str, failure: Option<(&str, &str)>| {
            let end = self.now();
            self.store
                .write(|tx| storage::finish_import(tx, id, end, status, failure))
        };
        let Some(meta) = self.table_by_id(import.table) else {
            return finish(
                "FAILED",
                Some(("TableNotFound", "The table was deleted during the import")),
            );
        };
        let spec = &import.spec;
        let objects = match self
            .objects
            .list_sized(&spec.bucket, spec.prefix.as_deref().unwrap_or(""))
        {
            Ok(k) => k,
            Err(e) => return self.fail_import(id, meta.id, &e),
        };
        self.store
            .write(|tx| storage::clear_table_rows(tx, meta.id))?;
        let mut progress = ImportProgress::default();
        let mut batch: Vec<RangeRow> = Vec::with_capacity(COPY_BATCH);
        let flush = |batch: &mut Vec<RangeRow>, progress: &ImportProgress| {
            let rows = std::mem::take(batch);
            self.store.write(|tx| {
                for row in rows {
                    super::backups::restore_row(tx, &meta, row)?;
                }
                storage::import_progress(tx, id, progress)
            })
        };
        let key_types: Vec<(String, KeyType)> = meta
            .key
            .attrs()
            .chain(meta.indexes().flat_map(|ix| ix.key.attrs()))
            .map(|a| (a.name.clone(), a.ty))
            .collect();
        let on_item = |batch: &mut Vec<RangeRow>,
                       progress: &mut ImportProgress,
                       key: &str,
                       line_no: usize,
                       parsed: std::result::Result<Item, String>| {
            progress.processed_items += 1;
            match parsed.and_then(|item| prepare(&meta, item)) {
                Ok(row) => {
                    progress.imported_items += 1;
                    batch.push(row);
                }
                Err(why) => {
                    tracing::warn!("import {}: {key} line {line_no}: {why}", import.arn);
                    progress.errors += 1;
                }
            }
        };
        for (key, size) in objects.iter().filter(|(k, _)| !is_export_artifact(k)) {
            if self.stopping() {
                return Ok(());
            }
            let reader = match self.objects.reader(&spec.bucket, key) {
                Ok(r) => r,
                Err(e) => return self.fail_import(id, meta.id, &e),
            };
            progress.processed_bytes += *size as i64;
            let mut lines = match open_lines(reader, &spec.compression) {
                Ok(l) => l,
                Err(why) => {
                    tracing::warn!("import {}: {key}: {why}", import.arn);
                    progress.errors += 1;
                    continue;
                }
            };
            if spec.format == "CSV" {
                // Records may span lines (quoted newlines): the object is read whole.
                let mut text = String::new();
                if let Err(why) = lines.read_to_string(&mut text) {
                    tracing::warn!("import {}: {key}: {why}", import.arn);
                    progress.errors += 1;
                    continue;
                }
                let delimiter = spec
                    .csv_delimiter
                    .as_deref()
                    .and_then(|d| d.chars().next())
                    .unwrap_or(',');
                let mut records = csv::records(&text, delimiter).into_iter().enumerate();
                let header = match &spec.csv_header {
                    Some(h) => h.clone(),
                    None => match records.next() {
                        Some((_, Ok(h))) => h,
                        _ => continue,
                    },
                };
                for (i, record) in records {
                    let parsed = record.and_then(|f| csv::item(&header, &f, &key_types));
                    on_item(&mut batch, &mut progress, key, i + 1, parsed);
                }
            } else {
                let mut line = Vec::new();
                let mut line_no = 0;
                loop {
                    line.clear();
                    match lines.read_until(b'\n', &mut line) {
                        Ok(0) => break,
                        Ok(_) => {}
                        Err(why) => {
                            tracing::warn!(
                                "import {}: {key} after line {line_no}: {why}",
                                import.arn
                            );
                            progress.errors += 1;
                            break;
                        }
                    }
                    line_no += 1;
                    let text = trim_line(&line);
                    if text.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    let parsed = dynamodb_json::parse_line(text);
                    on_item(&mut batch, &mut progress, key, line_no, parsed);
                    if batch.len() >= COPY_BATCH {
                        flush(&mut batch, &progress)?;
                    }
                }
            }
            if batch.len() >= COPY_BATCH {
                flush(&mut batch, &progress)?;
            }
        }
        flush(&mut batch, &progress)?;
        self.update_by_id(meta.id, |m| m.status = "ACTIVE".into())?;
        finish("COMPLETED", None)
    }

    /// Fails an import on an object storage error and removes its half-made table.
    fn fail_import(&self, id: i64, table: i64, e: &ObjectError) -> Result<()> {
        let code = failure_code(e);
        self.drop_table_by_id(table)?;
        let end = self.now();
        self.store
            .write(|tx| storage::finish_import(tx, id, end, "FAILED", Some((code, &e.to_string()))))
    }
}

/// An export's manifests and checksums, which an import of the export's root skips.
pub(super) fn is_export_artifact(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    name.starts_with("manifest-") || name.ends_with(".md5") || name == "_started"
}

/// An object's lines, decompressed (GZIP, ZSTD or NONE) as they are read.
pub(super) fn open_lines<'a>(
    reader: ObjectReader<'a>,
    compression: &str,
) -> std::result::Result<Box<dyn BufRead + 'a>, String> {
    const BUFFER: usize = 256 * 1024;
    Ok(match compression {
        "GZIP" => Box::new(BufReader::with_capacity(
            BUFFER,
            flate2::read::MultiGzDecoder::new(reader),
        )),
        "ZSTD" => Box::new(BufReader::with_capacity(
            BUFFER,
            zstd::stream::read::Decoder::new(reader)
                .map_err(|e| format!("cannot decompress ({compression}): {e}"))?,
        )),
        _ => Box::new(BufReader::with_capacity(BUFFER, reader)),
    })
}

/// A line as `read_until` gives it, without its `\n` (or `\r\n`).
pub(super) fn trim_line(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// An imported item ready to be written: its key valid for the table, within the size limit.
fn prepare(meta: &TableMeta, item: Item) -> std::result::Result<RangeRow, String> {
    let key = keys::item_key(&meta.key, &item).map_err(|e| e.message.unwrap_or_default())?;
    let size = item_size(&item);
    if size > MAX_ITEM_SIZE {
        return Err("Item size has exceeded the maximum allowed size".into());
    }
    Ok(RangeRow {
        pk: key.pk,
        sk: key.sk,
        item: codec::encode_item(&item),
        size: size as i64,
    })
}

/// `<table arn>/import/<14-digit ms>-<8 hex>`.
fn import_arn(meta: &TableMeta, start: f64) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let ms = (start * 1000.0) as u64;
    let mut h = Md5::new();
    h.update(meta.arn().as_bytes());
    h.update(ms.to_be_bytes());
    h.update(
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .to_be_bytes(),
    );
    h.update(std::process::id().to_be_bytes());
    let d = h.finalize();
    format!(
        "{}/import/{ms:014}-{:02x}{:02x}{:02x}{:02x}",
        meta.arn(),
        d[0],
        d[1],
        d[2],
        d[3]
    )
}
