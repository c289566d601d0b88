//! Exports to S3 in the service's layout. ExportTableToPointInTime records the export
//! (IN_PROGRESS); a background job reads the table as it was at the export time (FULL_EXPORT,
//! `storage::rows_at`) or the changes of a period (INCREMENTAL_EXPORT, `storage::changes_between`)
//! from one read snapshot and streams DynamoDB JSON lines through gzip into data files of
//! bounded size, so memory does not grow with the table. Then it writes
//! `<prefix>/AWSDynamoDB/<export id>/manifest-files.json` (one line per data file: item count,
//! MD5, ETag, key) and `manifest-summary.json`, and marks the export COMPLETED (or FAILED with the
//! service's failure code: a missing bucket is `S3NoSuchBucket`). An export cut short by a
//! restart runs again from the start under the same keys.
use super::jobs::failure_code;
use super::{decode_row, keys, Engine};
use crate::engine::clock::iso8601;
use crate::error::{Error, ErrorKind, Result};
use crate::formats::dynamodb_json;
use crate::model::{ExportSpec, Scope, TableMeta};
use crate::objects::ObjectError;
pub use crate::storage::ExportRow;
use crate::storage::{self, RangeRow};
use base64::Engine as _;
use flate2::write::GzEncoder;
use md5::{Digest, Md5};
use std::io::Write;

/// Uncompressed bytes per data file before the next one starts: bounds the memory an export
/// holds (its compressed buffer) whatever the table's size.
pub const DATA_FILE_BYTES: usize = 32 << 20;

impl Engine {
    /// Records an export (IN_PROGRESS) and queues it. A ClientToken seen before with the same
    /// request answers the earlier export; with another request, ExportConflictException.
    pub fn start_export(
        &self,
        scope: &Scope,
        meta: &TableMeta,
        spec: ExportSpec,
    ) -> Result<ExportRow> {
        if let Some(token) = &spec.client_token {
            let earlier = self
                .list_exports(scope)?
                .into_iter()
                .find(|e| e.spec.client_token.as_deref() == Some(token.as_str()));
            if let Some(e) = earlier {
                let mut same = e.spec.clone();
                same.export_time = spec.export_time;
                if same == spec {
                    return Ok(e);
                }
                return Err(Error::new(
                    ErrorKind::ExportConflict,
                    format!("Export with the same client token but different parameters already exists: {token}"),
                ));
            }
        }
        let start = self.now();
        let mut row = ExportRow {
            id: 0,
            account: scope.account.clone(),
            region: scope.region.clone(),
            arn: export_arn(meta, start),
            table: meta.id,
            spec,
            status: "IN_PROGRESS".into(),
            start_time: start,
            end_time: None,
            item_count: 0,
            billed_size: 0,
            manifest: None,
            failure_code: None,
            failure_message: None,
        };
        row.id = self.store.write(|tx| storage::insert_export(tx, &row))?;
        self.jobs_queued();
        Ok(row)
    }

    pub fn export(&self, scope: &Scope, arn: &str) -> Result<ExportRow> {
        self.store
            .read(|conn| storage::export_by_arn(conn, arn))?
            .filter(|e| e.account == scope.account && e.region == scope.region)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::ExportNotFound,
                    format!("Export not found: {arn}"),
                )
            })
    }

    pub fn list_exports(&self, scope: &Scope) -> Result<Vec<ExportRow>> {
        self.store
            .read(|conn| storage::list_exports(conn, &scope.account, &scope.region))
    }

    /// The job behind an export (see the module's comment).
    pub(super) fn run_export(&self, id: i64) -> Result<()> {
        let Some(export) = self.store.read(|conn| storage::export_by_id(conn, id))? else {
            return Ok(());
        };
        if export.status != "IN_PROGRESS" {
            return Ok(());
        }
        let fail = |code: &str, message: &str| {
            let end = self.now();
            self.store
                .write(|tx| storage::fail_export(tx, id, end, code, message))
        };
        let Some(meta) = self.table_by_id(export.table).filter(|m| m.pitr.is_some()) else {
            return fail(
                "TableNotFound",
                "The table was deleted or lost point in time recovery before the export ran",
            );
        };
        let spec = &export.spec;
        if let Err(e) = self.objects.check_bucket(&spec.bucket) {
            return fail(failure_code(&e), &e.to_string());
        }
        let export_id = export
            .arn
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let base = match spec.prefix.as_deref().map(|p| p.trim_matches('/')) {
            Some(p) if !p.is_empty() => format!("{p}/AWSDynamoDB/{export_id}"),
            _ => format!("AWSDynamoDB/{export_id}"),
        };
        let mut files = DataFiles::new(self, &spec.bucket, &base, &export_id);
        let stopped = Error::new(ErrorKind::Internal, "export stopped");
        let read = self.store.read_snapshot(|conn| match spec.from_time {
            None => storage::rows_at(conn, meta.id, spec.export_time, &mut |row: RangeRow| {
                let item = decode_row(&row.item)?;
                files.billed += row.size;
                files.line(|out| dynamodb_json::write_full_line(out, &item))?;
                if self.stopping() {
                    return Err(stopped.clone());
                }
                Ok(())
            }),
            Some(from) => {
                storage::changes_between(conn, meta.id, from, spec.export_time, &mut |c| {
                    let old = c.old.as_deref().map(decode_row).transpose()?;
                    let new = c.new.as_deref().map(decode_row).transpose()?;
                    let Some(any) = new.as_ref().or(old.as_ref()) else {
                        // Created and deleted within the period: nothing to tell.
                        return Ok(());
                    };
                    let keys = keys::key_of(&meta.key, any);
                    let with_old = spec.view.as_deref() == Some("NEW_AND_OLD_IMAGES");
                    files.billed += c.new.as_ref().map_or(0, |n| n.len() as i64);
                    let micros = (c.last_write * 1e6) as i64;
                    files.line(|out| {
                        dynamodb_json::write_change_line(
                            out,
                            micros,
                            &keys,
                            new.as_ref(),
                            old.as_ref().filter(|_| with_old),
                        )
                    })?;
                    if self.stopping() {
                        return Err(stopped.clone());
                    }
                    Ok(())
                })
            }
        });
        match read {
            Ok(()) => {}
            Err(e) if e == stopped => return Ok(()),
            Err(e) => {
                if let Some(object_error) = files.error.take() {
                    return fail(failure_code(&object_error), &object_error.to_string());
                }
                return Err(e);
            }
        }
        let manifest = match files.finish(&export, &meta, self.now()) {
            Ok(m) => m,
            Err(e) => return fail(failure_code(&e), &e.to_string()),
        };
        let (count, billed, end) = (files.count, files.billed, self.now());
        self.store
            .write(|tx| storage::complete_export(tx, id, end, count, billed, &manifest))
    }
}

/// The data files of one export being written: the open gzip stream and what is done.
struct DataFiles<'e> {
    engine: &'e Engine,
    bucket: String,
    base: String,
    export_id: String,
    gz: Option<GzEncoder<Vec<u8>>>,
    raw_bytes: usize,
    file_items: i64,
    /// (key, item count, MD5) of every uploaded file.
    done: Vec<(String, i64, [u8; 16])>,
    count: i64,
    billed: i64,
    /// The storage failure behind an aborted read.
    error: Option<ObjectError>,
}

impl<'e> DataFiles<'e> {
    fn new(engine: &'e Engine, bucket: &str, base: &str, export_id: &str) -> Self {
        DataFiles {
            engine,
            bucket: bucket.to_string(),
            base: base.to_string(),
            export_id: export_id.to_string(),
            gz: None,
            raw_bytes: 0,
            file_items: 0,
            done: Vec::new(),
            count: 0,
            billed: 0,
            error: None,
        }
    }

    /// Appends one line (written by `write`) to the current file, starting a new file when
    /// the current one is full.
    fn line(&mut self, write: impl FnOnce(&mut Vec<u8>)) -> Result<()> {
        let mut line = Vec::with_capacity(256);
        write(&mut line);
        let gz = self
            .gz
            .get_or_insert_with(|| GzEncoder::new(Vec::new(), flate2::Compression::fast()));
        gz.write_all(&line).map_err(Error::internal)?;
        self.raw_bytes += line.len();
        self.file_items += 1;
        self.count += 1;
        if self.raw_bytes >= DATA_FILE_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Uploads the current file, if it holds anything.
    fn flush(&mut self) -> Result<()> {
        let Some(gz) = self.gz.take() else {
            return Ok(());
        };
        let bytes = gz.finish().map_err(Error::internal)?;
        let key = format!(
            "{}/data/{}-{:05}.json.gz",
            self.base,
            self.export_id.replace('-', ""),
            self.done.len()
        );
        let md5: [u8; 16] = Md5::digest(&bytes).into();
        if let Err(e) = self.engine.objects.put(&self.bucket, &key, bytes) {
            self.error = Some(e.clone());
            return Err(Error::new(ErrorKind::Internal, e.to_string()));
        }
        self.done.push((key, self.file_items, md5));
        self.raw_bytes = 0;
        self.file_items = 0;
        Ok(())
    }

    /// Uploads the last data file and the manifests; returns the summary manifest's key.
    fn finish(
        &mut self,
        export: &ExportRow,
        meta: &TableMeta,
        end: f64,
    ) -> std::result::Result<String, ObjectError> {
        if self.flush().is_err() {
            return Err(self
                .error
                .take()
                .unwrap_or_else(|| ObjectError::Other("writing a data file failed".into())));
        }
        let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
        let hex = crate::codec::hex;
        let mut files = String::new();
        for (key, count, md5) in &self.done {
            files.push_str(
                &serde_json::json!({
                    "itemCount": count,
                    "md5Checksum": b64(md5),
                    "etag": hex(md5),
                    "dataFileS3Key": key,
                })
                .to_string(),
            );
            files.push('\n');
        }
        let files_key = format!("{}/manifest-files.json", self.base);
        let summary_key = format!("{}/manifest-summary.json", self.base);
        let spec = &export.spec;
        let time = |t: f64| format!("{}Z", iso8601(t));
        let mut summary = serde_json::json!({
            "version": "2023-08-01",
            "exportArn": export.arn,
            "startTime": time(export.start_time),
            "endTime": time(end),
            "tableArn": meta.arn(),
            "tableId": meta.table_id(),
            "exportTime": time(spec.export_time),
            "s3Bucket": spec.bucket,
            "s3Prefix": spec.prefix,
            "s3SseAlgorithm": spec.sse_algorithm.clone().unwrap_or_else(|| "AES256".into()),
            "s3SseKmsKeyId": spec.sse_kms_key,
            "manifestFilesS3Key": files_key,
            "billedSizeBytes": self.billed,
            "itemCount": self.count,
            "outputFormat": spec.format,
            "exportType": spec.export_type,
        });
        if let Some(from) = spec.from_time {
            summary["exportFromTime"] = serde_json::json!(time(from));
            summary["exportToTime"] = serde_json::json!(time(spec.export_time));
            summary["outputView"] = serde_json::json!(spec.view);
        }
        let summary = summary.to_string();
        let objects = &self.engine.objects;
        objects.put(&self.bucket, &files_key, files.as_bytes().to_vec())?;
        objects.put(
            &self.bucket,
            &format!("{}/manifest-files.md5", self.base),
            b64(&Md5::digest(files.as_bytes())).into_bytes(),
        )?;
        objects.put(&self.bucket, &summary_key, summary.as_bytes().to_vec())?;
        objects.put(
            &self.bucket,
            &format!("{}/manifest-summary.md5", self.base),
            b64(&Md5::digest(summary.as_bytes())).into_bytes(),
        )?;
        Ok(summary_key)
    }
}

/// `<table arn>/export/<14-digit ms>-<8 hex>`, the service's shape.
fn export_arn(meta: &TableMeta, start: f64) -> String {
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
        "{}/export/{ms:014}-{:02x}{:02x}{:02x}{:02x}",
        meta.arn(),
        d[0],
        d[1],
        d[2],
        d[3]
    )
}
