//! Bulk put (StartBulkPutItems): items read from S3 objects and written into an existing table
//! by a background job. StartBulkPutItems records the operation (IN_PROGRESS); the job lists
//! the objects under the input prefix (an export's manifests and checksums skipped, so an
//! export's root loads as is), decompresses each (GZIP, ZSTD or NONE), parses it line by line
//! (DynamoDB JSON: `{"Item": {...}}` per line) and writes the items in batches, each batch one
//! write transaction holding the items (with their index rows, stream records, PITR log and
//! replication, as a PutItem writes them), the operation's progress, and where it resumes. A
//! line that does not parse, lacks the key or breaks a limit is counted in FailedItemCount and
//! kept as an error record; the rest is written. At the end the error records go to the output
//! location (when ERROR output was asked for) and the operation is COMPLETED, or
//! COMPLETED_WITH_ERRORS. A restart resumes at the saved line, so no line is written twice or
//! skipped. CancelBulkOperation moves it to CANCELLING; the job stops before its next batch
//! (the items already written stay) and ends CANCELLED. MaxWriteRequestUnits paces the job by
//! wall-clock time (the units each write would consume); the table's own capacity is not drawn.
use super::capacity::{entry_size, write_cost};
use super::import::{is_export_artifact, open_lines, trim_line};
use super::jobs::failure_code;
use super::{read_current, write_prepared, Engine, Origin, Prepared};
use crate::error::{Error, ErrorKind, Result};
use crate::formats::dynamodb_json;
use crate::model::{BulkSpec, IndexKind, Scope, TableMeta};
use crate::objects::ObjectError;
use crate::storage::{self, COPY_BATCH};
pub use crate::storage::{BulkProgress, BulkRow};
use md5::{Digest, Md5};
use serde_json::json;
use std::time::{Duration, Instant};

/// How long a ClientToken names its operation (the service's 8 hours).
pub const TOKEN_SECONDS: f64 = 8.0 * 3600.0;
/// How far back ListBulkOperations looks (the service's 90 days).
pub const LISTED_SECONDS: f64 = 90.0 * 86400.0;
/// `BulkProgress::line` of an object read to its end.
const WHOLE: u64 = u64::MAX;
/// Error records per report object.
const RECORDS_PER_REPORT: usize = 10_000;
/// The longest input line kept whole in an error record.
const RECORD_TEXT_MAX: usize = 4096;

/// How a job's pass ended.
enum Ended {
    /// Every object was read.
    Done,
    /// A CancelBulkOperation request was seen.
    Cancelled,
    /// The server is stopping (or a snapshot restore paused the jobs): resume later.
    Stopped,
    /// A test's batch budget ran out.
    Budget,
}

impl Engine {
    /// Records the operation (IN_PROGRESS) for the table `meta`; the caller has checked the
    /// request. A ClientToken seen within 8 hours answers the earlier operation when the
    /// request is the same, IdempotentParameterMismatchException when it is not.
    pub fn start_bulk_put(
        &self,
        scope: &Scope,
        meta: &TableMeta,
        spec: BulkSpec,
    ) -> Result<BulkRow> {
        let now = self.now();
        if let Some(token) = &spec.client_token {
            let earlier = self
                .store
                .read(|c| {
                    storage::list_bulk(c, &scope.account, &scope.region, now - TOKEN_SECONDS)
                })?
                .into_iter()
                .find(|b| b.spec.client_token.as_deref() == Some(token.as_str()));
            if let Some(b) = earlier {
                if b.spec == spec {
                    return Ok(b);
                }
                return Err(Error::new(
                    ErrorKind::IdempotentParameterMismatch,
                    format!("Bulk operation with the same client token but different parameters already exists: {token}"),
                ));
            }
        }
        let mut row = BulkRow {
            id: 0,
            account: scope.account.clone(),
            region: scope.region.clone(),
            arn: bulk_arn(scope, meta, now),
            table: meta.id,
            spec,
            status: "IN_PROGRESS".into(),
            start_time: now,
            end_time: None,
            progress: BulkProgress::default(),
            failure_code: None,
            failure_message: None,
        };
        row.id = self.store.write(|tx| storage::insert_bulk(tx, &row))?;
        self.jobs_queued();
        Ok(row)
    }

    /// The caller's operation with this ARN, or ResourceNotFoundException.
    pub fn bulk_operation(&self, scope: &Scope, arn: &str) -> Result<BulkRow> {
        self.store
            .read(|conn| storage::bulk_by_arn(conn, arn))?
            .filter(|b| b.account == scope.account && b.region == scope.region)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::ResourceNotFound,
                    format!("Requested resource not found: Bulk operation: {arn} not found"),
                )
            })
    }

    /// The caller's operations of the last 90 days, newest first.
    pub fn list_bulk_operations(&self, scope: &Scope) -> Result<Vec<BulkRow>> {
        let since = self.now() - LISTED_SECONDS;
        self.store
            .read(|c| storage::list_bulk(c, &scope.account, &scope.region, since))
    }

    /// CancelBulkOperation: an operation in progress becomes CANCELLING (its job ends it
    /// CANCELLED); one already cancelling stays so; a finished one cannot be cancelled.
    pub fn cancel_bulk_operation(&self, scope: &Scope, arn: &str) -> Result<BulkRow> {
        let mut op = self.bulk_operation(scope, arn)?;
        if op.status == "CANCELLING" {
            return Ok(op);
        }
        if !self
            .store
            .write(|tx| storage::bulk_transition(tx, op.id, "CANCELLING"))?
        {
            let now = self.bulk_operation(scope, arn)?;
            if now.status == "CANCELLING" {
                return Ok(now);
            }
            return Err(Error::validation(format!(
                "Bulk operation {arn} cannot be cancelled because it is in status {}",
                now.status
            )));
        }
        op.status = "CANCELLING".into();
        self.jobs_queued();
        Ok(op)
    }

    /// The job behind StartBulkPutItems (see the module's comment).
    pub(super) fn run_bulk_put(&self, id: i64) -> Result<()> {
        self.run_bulk_put_batches(id, usize::MAX)
    }

    /// The job, stopping (as a restart would) after `budget` batches.
    pub(crate) fn run_bulk_put_batches(&self, id: i64, budget: usize) -> Result<()> {
        let Some(op) = self.store.read(|conn| storage::bulk_by_id(conn, id))? else {
            return Ok(());
        };
        let ended = match op.status.as_str() {
            "IN_PROGRESS" => match self.bulk_pass(&op, budget) {
                Ok(ended) => ended,
                Err(Failure::Objects(e)) => return self.fail_bulk(&op, &e),
                Err(Failure::TableGone) => {
                    return self.finish_bulk(
                        &op,
                        "FAILED",
                        Some((
                            "TableNotFound",
                            "The table was deleted during the bulk operation",
                        )),
                    )
                }
                // The store refused a batch (full disk, damage): `jobs::give_up` ends it.
                Err(Failure::Engine(e)) => return Err(e),
            },
            "CANCELLING" => Ended::Cancelled,
            _ => return Ok(()),
        };
        match ended {
            Ended::Stopped | Ended::Budget => Ok(()),
            Ended::Cancelled => self.report_and_finish(id, "CANCELLED"),
            Ended::Done => self.report_and_finish(id, "COMPLETED"),
        }
    }

    /// Reads and writes from the saved position until the input ends, a cancellation or stop
    /// arrives, or the batch budget runs out.
    fn bulk_pass(&self, op: &BulkRow, mut budget: usize) -> std::result::Result<Ended, Failure> {
        let spec = &op.spec;
        let objects: Vec<(String, u64)> = self
            .objects
            .list_sized(
                &spec.input_bucket,
                spec.input_prefix.as_deref().unwrap_or(""),
            )
            .map_err(Failure::Objects)?
            .into_iter()
            .filter(|(k, _)| !is_export_artifact(k))
            .collect();
        self.objects
            .check_bucket(&spec.output_bucket)
            .map_err(Failure::Objects)?;
        let mut progress = op.progress.clone();
        if progress.total_bytes.is_none() {
            progress.total_bytes = Some(objects.iter().map(|(_, s)| *s as i64).sum());
        }
        let mut pace = Pace::new(spec.max_write_units);
        let mut batch = Batch::default();
        let keep_errors = reports_errors(spec);
        for (key, size) in &objects {
            // Objects before the saved one are done; the saved one is done up to its line.
            let resume_line = match progress.object.as_deref() {
                Some(at) if key.as_str() < at => continue,
                Some(at) if key == at && progress.line == WHOLE => continue,
                Some(at) if key == at => progress.line,
                _ => 0,
            };
            if self.stopping() {
                return Ok(Ended::Stopped);
            }
            if resume_line == 0 {
                progress.processed_bytes += *size as i64;
            }
            progress.object = Some(key.clone());
            progress.line = resume_line;
            let reader = self
                .objects
                .reader(&spec.input_bucket, key)
                .map_err(Failure::Objects)?;
            let mut lines = match open_lines(reader, &spec.compression) {
                Ok(l) => l,
                Err(why) => {
                    batch.fail(spec, key, 0, "InvalidObject", &why, "");
                    progress.line = WHOLE;
                    match self.flush(op, &mut batch, &mut progress, &mut pace)? {
                        Some(ended) => return Ok(ended),
                        None => continue,
                    }
                }
            };
            let mut buf = Vec::new();
            let mut line_no = 0;
            loop {
                buf.clear();
                match lines.read_until(b'\n', &mut buf) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(why) => {
                        // A read or decompression failure midway: what was read stays, the
                        // rest of the object is reported as one error.
                        let why = format!(
                            "cannot read past line {line_no} ({}): {why}",
                            spec.compression
                        );
                        batch.fail(spec, key, 0, "InvalidObject", &why, "");
                        break;
                    }
                }
                line_no += 1;
                let line = trim_line(&buf);
                if line_no <= resume_line || line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match dynamodb_json::parse_line(line) {
                    Ok(item) => {
                        let text = keep_errors.then(|| String::from_utf8_lossy(line).into_owned());
                        batch.items.push((key.clone(), line_no, text, item))
                    }
                    Err(why) => {
                        let text = String::from_utf8_lossy(line);
                        batch.fail(spec, key, line_no, "MalformedRecord", &why, &text)
                    }
                }
                if batch.items.len() + batch.failed >= COPY_BATCH {
                    progress.line = line_no;
                    if let Some(ended) = self.flush(op, &mut batch, &mut progress, &mut pace)? {
                        return Ok(ended);
                    }
                    budget = budget.saturating_sub(1);
                    if budget == 0 {
                        return Ok(Ended::Budget);
                    }
                    if self.stopping() {
                        return Ok(Ended::Stopped);
                    }
                }
            }
            progress.line = WHOLE;
            if let Some(ended) = self.flush(op, &mut batch, &mut progress, &mut pace)? {
                return Ok(ended);
            }
            budget = budget.saturating_sub(1);
            if budget == 0 {
                return Ok(Ended::Budget);
            }
        }
        Ok(Ended::Done)
    }

    /// Writes a batch in one transaction with the progress that counts it (or, when the
    /// operation is being cancelled, writes nothing). Then waits as MaxWriteRequestUnits asks.
    fn flush(
        &self,
        op: &BulkRow,
        batch: &mut Batch,
        progress: &mut BulkProgress,
        pace: &mut Pace,
    ) -> std::result::Result<Option<Ended>, Failure> {
        let items = std::mem::take(&mut batch.items);
        let mut errors = std::mem::take(&mut batch.errors);
        let failed = std::mem::take(&mut batch.failed);
        let spec = &op.spec;
        let outcome = self.store.write(|tx| {
            if storage::bulk_status(tx, op.id)?.as_deref() != Some("IN_PROGRESS") {
                return Ok(Err(Ended::Cancelled));
            }
            let Some(meta) = self.table_by_id(op.table) else {
                return Ok(Ok(None));
            };
            let mut next = progress.clone();
            next.processed_items += (items.len() + failed) as i64;
            next.failed_items += failed as i64;
            let mut units = 0.0;
            let now = self.now();
            // One statistics update for the batch, not one per item.
            let held = storage::HeldStats::hold(tx);
            for (key, line_no, text, item) in items {
                let prepared = match Prepared::new(
                    &meta,
                    item,
                    "Item size has exceeded the maximum allowed size",
                ) {
                    Ok(p) => p,
                    Err(e) => {
                        next.failed_items += 1;
                        let why = e.message.as_deref().unwrap_or_default();
                        let text = text.as_deref().unwrap_or_default();
                        record_failure(
                            spec,
                            &mut errors,
                            &key,
                            line_no,
                            "ValidationError",
                            why,
                            text,
                        );
                        continue;
                    }
                };
                let old = read_current(tx, meta.id, &prepared.key)?;
                if pace.limited() {
                    let old = old.as_ref().map(|(i, _)| i);
                    units += write_cost(&meta, old, Some(&prepared.item), prepared.size).total();
                }
                count_usage(&meta, &prepared, &mut next);
                write_prepared(tx, &meta, &prepared, old.as_ref(), now, Origin::Client)?;
            }
            if let Some(held) = held {
                held.write()?;
            }
            storage::bulk_progress(tx, op.id, &next, &errors)?;
            Ok(Ok(Some((next, units))))
        });
        match outcome.map_err(Failure::Engine)? {
            Err(ended) => Ok(Some(ended)),
            Ok(None) => Err(Failure::TableGone),
            Ok(Some((next, units))) => {
                *progress = next;
                pace.wait(units, || self.stopping());
                Ok(None)
            }
        }
    }

    /// Writes the error report (when asked for) and ends the operation in `status`
    /// (COMPLETED becomes COMPLETED_WITH_ERRORS when any item failed).
    fn report_and_finish(&self, id: i64, status: &str) -> Result<()> {
        let Some(op) = self.store.read(|conn| storage::bulk_by_id(conn, id))? else {
            return Ok(());
        };
        if let Err(e) = self.write_report(&op) {
            return self.fail_bulk(&op, &e);
        }
        let status = match status {
            "COMPLETED" if op.progress.failed_items > 0 => "COMPLETED_WITH_ERRORS",
            s => s,
        };
        let failure = (status == "CANCELLED").then_some((
            "BulkOperationCancelled",
            "The bulk operation was cancelled by a CancelBulkOperation request",
        ));
        self.finish_bulk(&op, status, failure)
    }

    /// The error records, as JSON lines in objects of at most 10,000 records, under
    /// `<prefix>/AWSDynamoDB/<operation id>/errors/`, with a `manifest-summary.json` beside
    /// them giving the counts and the objects.
    fn write_report(&self, op: &BulkRow) -> std::result::Result<(), ObjectError> {
        let spec = &op.spec;
        let base = report_prefix(op);
        let mut files = Vec::new();
        let mut part: Vec<u8> = Vec::new();
        let mut in_part = 0usize;
        let put = |part: &mut Vec<u8>, files: &mut Vec<String>| {
            let key = format!("{base}/errors/part-{:05}.json", files.len());
            self.objects
                .put(&spec.output_bucket, &key, std::mem::take(part))?;
            files.push(key);
            Ok::<_, ObjectError>(())
        };
        let mut failure: Option<ObjectError> = None;
        let read = self.store.read(|conn| {
            storage::bulk_errors(conn, op.id, &mut |record| {
                if failure.is_some() {
                    return Ok(());
                }
                part.extend_from_slice(record.as_bytes());
                part.push(b'\n');
                in_part += 1;
                if in_part == RECORDS_PER_REPORT {
                    in_part = 0;
                    if let Err(e) = put(&mut part, &mut files) {
                        failure = Some(e);
                    }
                }
                Ok(())
            })
        });
        if let Err(e) = read {
            return Err(ObjectError::Other(e.to_string()));
        }
        if let Some(e) = failure {
            return Err(e);
        }
        if in_part > 0 {
            put(&mut part, &mut files)?;
        }
        let summary = json!({
            "version": "2026-01-01",
            "bulkOperationArn": op.arn,
            "tableArn": spec.table_arn,
            "outputType": spec.output_types,
            "processedItemCount": op.progress.processed_items,
            "failedItemCount": op.progress.failed_items,
            "errorRecordFiles": files,
        });
        self.objects.put(
            &spec.output_bucket,
            &format!("{base}/manifest-summary.json"),
            summary.to_string().into_bytes(),
        )
    }

    fn finish_bulk(&self, op: &BulkRow, status: &str, failure: Option<(&str, &str)>) -> Result<()> {
        let end = self.now();
        self.store
            .write(|tx| storage::finish_bulk(tx, op.id, end, status, failure))
    }

    /// Fails an operation on an object storage error (the items written so far stay).
    fn fail_bulk(&self, op: &BulkRow, e: &ObjectError) -> Result<()> {
        let code = failure_code(e);
        self.finish_bulk(op, "FAILED", Some((code, &e.to_string())))
    }
}

/// Why a pass could not go on.
enum Failure {
    Objects(ObjectError),
    TableGone,
    Engine(Error),
}

/// Records parsed since the last save and the errors found among them.
#[derive(Default)]
struct Batch {
    /// (object key, line number, the line when error records are kept, item).
    items: Vec<(String, u64, Option<String>, crate::model::Item)>,
    /// Lines that did not parse (counted; their records in `errors` when ERROR is asked for).
    failed: usize,
    errors: Vec<String>,
}

impl Batch {
    fn fail(&mut self, spec: &BulkSpec, key: &str, line: u64, code: &str, why: &str, text: &str) {
        self.failed += 1;
        record_failure(spec, &mut self.errors, key, line, code, why, text);
    }
}

/// Logs a failed line (or object: line 0) and keeps its error record when the operation
/// reports errors.
fn record_failure(
    spec: &BulkSpec,
    errors: &mut Vec<String>,
    key: &str,
    line: u64,
    code: &str,
    why: &str,
    text: &str,
) {
    tracing::warn!("bulk put into {}: {key} line {line}: {why}", spec.table_arn);
    if reports_errors(spec) {
        errors.push(error_record(key, line, code, why, text));
    }
}

/// Whether the operation asked for ERROR output.
fn reports_errors(spec: &BulkSpec) -> bool {
    spec.output_types.iter().any(|t| t == "ERROR")
}

/// One line of the error report.
fn error_record(key: &str, line: u64, code: &str, message: &str, text: &str) -> String {
    let text = if text.len() > RECORD_TEXT_MAX {
        let mut end = RECORD_TEXT_MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        &text[..end]
    } else {
        text
    };
    let mut record = json!({
        "ObjectKey": key,
        "ErrorCode": code,
        "ErrorMessage": message,
    });
    if line > 0 {
        record["LineNumber"] = json!(line);
        record["Record"] = json!(text);
    }
    record.to_string()
}

/// Adds what writing `p` puts into the table and each of its indexes to the usage counts.
fn count_usage(meta: &TableMeta, p: &Prepared, progress: &mut BulkProgress) {
    fn add(list: &mut Vec<(String, i64)>, name: &str, bytes: i64) {
        match list.iter_mut().find(|(n, _)| n == name) {
            Some((_, b)) => *b += bytes,
            None => list.push((name.to_string(), bytes)),
        }
    }
    progress.table_bytes += p.size as i64;
    for (ix, _) in &p.index_keys {
        let list = match ix.kind {
            IndexKind::Local => &mut progress.lsi_bytes,
            IndexKind::Global => &mut progress.gsi_bytes,
        };
        add(list, &ix.name, entry_size(meta, ix, &p.item) as i64);
    }
    for (ix, entry) in meta.vector_indexes.iter().zip(&p.vectors) {
        if entry.is_some() {
            add(
                &mut progress.vector_bytes,
                &ix.name,
                (ix.dimensions * 4) as i64,
            );
        }
    }
}

/// MaxWriteRequestUnits: the units written in this run may not run ahead of the rate.
struct Pace {
    rate: Option<f64>,
    started: Instant,
    units: f64,
}

impl Pace {
    fn new(max_units: Option<i64>) -> Pace {
        Pace {
            rate: max_units.map(|u| u as f64),
            started: Instant::now(),
            units: 0.0,
        }
    }

    /// Whether there is a rate to hold (only then are a write's units worked out).
    fn limited(&self) -> bool {
        self.rate.is_some()
    }

    /// How long to wait, after `units` more were written, so that the run stays at the rate.
    fn ahead(&mut self, units: f64, elapsed: Duration) -> Duration {
        self.units += units;
        let Some(rate) = self.rate else {
            return Duration::ZERO;
        };
        Duration::from_secs_f64(self.units / rate).saturating_sub(elapsed)
    }

    /// Waits what `ahead` says, in short steps, giving up when `stop` says so.
    fn wait(&mut self, units: f64, stop: impl Fn() -> bool) {
        let mut left = self.ahead(units, self.started.elapsed());
        while !left.is_zero() && !stop() {
            let step = left.min(Duration::from_millis(50));
            std::thread::sleep(step);
            left = left.saturating_sub(step);
        }
    }
}

/// `<prefix>/AWSDynamoDB/<operation id>`, the report's place in the output bucket.
fn report_prefix(op: &BulkRow) -> String {
    let id = op.arn.rsplit('/').next().unwrap_or_default();
    match op
        .spec
        .output_prefix
        .as_deref()
        .map(|p| p.trim_matches('/'))
    {
        Some(p) if !p.is_empty() => format!("{p}/AWSDynamoDB/{id}"),
        _ => format!("AWSDynamoDB/{id}"),
    }
}

/// `arn:aws:dynamodb:<region>:<account>:bulk-operation/<14-digit ms>-<8 hex>`.
fn bulk_arn(scope: &Scope, meta: &TableMeta, start: f64) -> String {
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
        "arn:aws:dynamodb:{}:{}:bulk-operation/{ms:014}-{:02x}{:02x}{:02x}{:02x}",
        scope.region, scope.account, d[0], d[1], d[2], d[3]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::call;
    use crate::protocol::Service;
    use serde_json::Value;

    /// An engine on a fresh data directory with a table `bulk_target` and 5,000 items (plus
    /// one malformed line) in `s3/in/data.json`; returns it with the directory.
    fn engine_with_input(what: &str) -> (Engine, std::path::PathBuf, Scope) {
        let dir = std::env::temp_dir().join(format!("awsim-bulk-{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("s3/in")).unwrap();
        std::fs::create_dir_all(dir.join("s3/out")).unwrap();
        let mut lines = String::new();
        for i in 0..5000 {
            lines.push_str(&format!("{{\"Item\":{{\"pk\":{{\"S\":\"k{i:05}\"}}}}}}\n"));
            if i == 2500 {
                lines.push_str("{oops\n");
            }
        }
        std::fs::write(dir.join("s3/in/data.json"), lines).unwrap();
        let engine = open(&dir);
        let scope = Scope {
            account: "000000000000".into(),
            region: "us-east-1".into(),
        };
        run(
            &engine,
            &scope,
            "CreateTable",
            json!({
                "TableName": "bulk_target",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST",
                "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"},
            }),
        );
        (engine, dir, scope)
    }

    fn open(dir: &std::path::Path) -> Engine {
        open_capped(dir, None)
    }

    /// The engine on `dir`, its database held to `max_bytes`.
    fn open_capped(dir: &std::path::Path, max_bytes: Option<u64>) -> Engine {
        let mut config = crate::Config::in_memory();
        config.in_memory = false;
        config.data_dir = dir.to_path_buf();
        config.max_db_bytes = max_bytes;
        Engine::open(&config).unwrap()
    }

    fn run(engine: &Engine, scope: &Scope, op: &str, body: Value) -> Value {
        call(engine, scope, Service::DynamoDb, op, &body).unwrap()
    }

    fn start(engine: &Engine, scope: &Scope) -> (i64, String) {
        let out = run(
            engine,
            scope,
            "StartBulkPutItems",
            json!({
                "TableName": "bulk_target",
                "InputS3Configuration": {"S3Bucket": "in", "InputFormat": "DYNAMODB_JSON"},
                "OutputS3Configuration": {"S3Bucket": "out", "OutputType": ["ERROR"]},
            }),
        );
        let arn = out["BulkOperationDescription"]["BulkOperationArn"]
            .as_str()
            .unwrap()
            .to_string();
        (engine.bulk_operation(scope, &arn).unwrap().id, arn)
    }

    fn count(engine: &Engine, scope: &Scope) -> (i64, usize) {
        let scanned = run(
            engine,
            scope,
            "Scan",
            json!({"TableName": "bulk_target", "Select": "COUNT"}),
        );
        let meta = engine.table(scope, "bulk_target").unwrap();
        let stream = meta.stream_arn().unwrap();
        let shards = call(
            engine,
            scope,
            Service::Streams,
            "DescribeStream",
            &json!({"StreamArn": stream}),
        )
        .unwrap();
        let shard = shards["StreamDescription"]["Shards"][0]["ShardId"]
            .as_str()
            .unwrap()
            .to_string();
        let mut it = call(
            engine,
            scope,
            Service::Streams,
            "GetShardIterator",
            &json!({
                "StreamArn": stream, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON",
            }),
        )
        .unwrap()["ShardIterator"]
            .as_str()
            .map(String::from);
        let mut records = 0;
        while let Some(i) = it.take() {
            let page = call(
                engine,
                scope,
                Service::Streams,
                "GetRecords",
                &json!({"ShardIterator": i}),
            )
            .unwrap();
            let n = page["Records"].as_array().unwrap().len();
            records += n;
            if n > 0 {
                it = page["NextShardIterator"].as_str().map(String::from);
            }
        }
        (scanned["Count"].as_i64().unwrap(), records)
    }

    // A job cut short after its first batch (as by a restart) has saved exactly what it wrote;
    // after a restart it resumes there, by object key: every line is written once (5,000
    // items, 5,000 INSERT records, 5,001 lines processed, the malformed one failed and
    // reported), even with an object added before it meanwhile.
    #[test]
    fn a_restarted_job_resumes_where_it_stopped() {
        let (engine, dir, scope) = engine_with_input("resume");
        let (id, arn) = start(&engine, &scope);
        engine.run_bulk_put_batches(id, 1).unwrap();
        let op = engine.bulk_operation(&scope, &arn).unwrap();
        assert_eq!(op.status, "IN_PROGRESS");
        assert_eq!(op.progress.processed_items, COPY_BATCH as i64);
        assert_eq!(count(&engine, &scope), (COPY_BATCH as i64, COPY_BATCH));
        engine.close();
        drop(engine);
        // An object that sorts before the one being read appears meanwhile: the saved place is
        // a key, not a position, so nothing already read is read again.
        std::fs::write(
            dir.join("s3/in/added.json"),
            "{\"Item\":{\"pk\":{\"S\":\"added\"}}}\n",
        )
        .unwrap();

        let engine = open(&dir);
        engine.run_pending_jobs().unwrap();
        let op = engine.bulk_operation(&scope, &arn).unwrap();
        assert_eq!(op.status, "COMPLETED_WITH_ERRORS");
        assert_eq!(
            (op.progress.processed_items, op.progress.failed_items),
            (5001, 1)
        );
        assert_eq!(count(&engine, &scope), (5000, 5000));
        let report = std::fs::read_dir(dir.join("s3/out/AWSDynamoDB"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        let errors = std::fs::read_to_string(report.path().join("errors/part-00000.json")).unwrap();
        assert_eq!(errors.lines().count(), 1);
        assert!(errors.contains("\"LineNumber\":2502"), "{errors}");
        engine.close();
        let _ = std::fs::remove_dir_all(&dir);
    }

    // An object that stops decompressing midway (a truncated gzip file): the lines read before
    // the break are written, the rest of the object is one error record, and the operation
    // ends COMPLETED_WITH_ERRORS rather than failing.
    #[test]
    fn a_truncated_object_keeps_the_lines_before_the_break() {
        let (engine, dir, scope) = engine_with_input("truncated");
        std::fs::remove_file(dir.join("s3/in/data.json")).unwrap();
        let mut lines = String::new();
        for i in 0..2000 {
            lines.push_str(&format!(
                "{{\"Item\":{{\"pk\":{{\"S\":\"t{i:05}\"}},\"n\":{{\"N\":\"{i}\"}}}}}}\n"
            ));
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, lines.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        std::fs::write(dir.join("s3/in/cut.json.gz"), &gz[..gz.len() / 2]).unwrap();
        let out = run(
            &engine,
            &scope,
            "StartBulkPutItems",
            json!({
                "TableName": "bulk_target",
                "InputS3Configuration": {"S3Bucket": "in", "InputFormat": "DYNAMODB_JSON", "InputCompressionType": "GZIP"},
                "OutputS3Configuration": {"S3Bucket": "out", "OutputType": ["ERROR"]},
            }),
        );
        let arn = out["BulkOperationDescription"]["BulkOperationArn"]
            .as_str()
            .unwrap()
            .to_string();
        engine.run_pending_jobs().unwrap();
        let op = engine.bulk_operation(&scope, &arn).unwrap();
        assert_eq!(op.status, "COMPLETED_WITH_ERRORS");
        assert_eq!(op.progress.failed_items, 1);
        let written = count(&engine, &scope).0;
        assert!(written > 0 && written < 2000, "{written}");
        assert_eq!(op.progress.processed_items, written + 1);
        let report = std::fs::read_dir(dir.join("s3/out/AWSDynamoDB"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        let errors = std::fs::read_to_string(report.path().join("errors/part-00000.json")).unwrap();
        assert!(
            errors.contains("\"ErrorCode\":\"InvalidObject\""),
            "{errors}"
        );
        engine.close();
        let _ = std::fs::remove_dir_all(&dir);
    }

    // A store that refuses a batch (the disk is full) fails the operation with a code instead
    // of leaving it in progress; what fitted stays.
    #[test]
    fn a_full_store_fails_the_operation() {
        let (engine, dir, scope) = engine_with_input("full");
        engine.close();
        drop(engine);
        let engine = open_capped(&dir, Some(600 * 1024));
        let (_, arn) = start(&engine, &scope);
        let _ = engine.run_pending_jobs();
        let op = engine.bulk_operation(&scope, &arn).unwrap();
        assert_eq!(op.status, "FAILED");
        assert_eq!(op.failure_code.as_deref(), Some("InternalServerError"));
        assert!(op.end_time.is_some());
        engine.close();
        let _ = std::fs::remove_dir_all(&dir);
    }

    // The same for an import: FAILED, its half-made table gone.
    #[test]
    fn a_full_store_fails_an_import() {
        let (engine, dir, scope) = engine_with_input("import-full");
        engine.close();
        drop(engine);
        let engine = open_capped(&dir, Some(200 * 1024));
        let out = run(
            &engine,
            &scope,
            "ImportTable",
            json!({
                "S3BucketSource": {"S3Bucket": "in"},
                "InputFormat": "DYNAMODB_JSON",
                "TableCreationParameters": {
                    "TableName": "imported",
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "BillingMode": "PAY_PER_REQUEST",
                },
            }),
        );
        let arn = out["ImportTableDescription"]["ImportArn"]
            .as_str()
            .unwrap()
            .to_string();
        let _ = engine.run_pending_jobs();
        let import = engine.import(&scope, &arn).unwrap();
        assert_eq!(import.status, "FAILED");
        assert_eq!(import.failure_code.as_deref(), Some("InternalServerError"));
        assert!(!engine.table_exists(&scope, "imported"));
        engine.close();
        let _ = std::fs::remove_dir_all(&dir);
    }

    // A cancellation stops the job before its next batch: what was written stays, the
    // operation ends CANCELLED with a failure code. Cancelling a cancelling operation answers
    // CANCELLING again; a finished operation cannot be cancelled.
    #[test]
    fn a_cancelled_job_keeps_what_it_wrote() {
        let (engine, dir, scope) = engine_with_input("cancel");
        let (id, arn) = start(&engine, &scope);
        engine.run_bulk_put_batches(id, 1).unwrap();
        let out = run(
            &engine,
            &scope,
            "CancelBulkOperation",
            json!({"BulkOperationArn": arn}),
        );
        assert_eq!(out["BulkOperationStatus"], "CANCELLING");
        let again = run(
            &engine,
            &scope,
            "CancelBulkOperation",
            json!({"BulkOperationArn": arn}),
        );
        assert_eq!(again["BulkOperationStatus"], "CANCELLING");
        engine.run_pending_jobs().unwrap();
        let op = engine.bulk_operation(&scope, &arn).unwrap();
        assert_eq!(op.status, "CANCELLED");
        assert!(op.failure_code.is_some() && op.end_time.is_some());
        assert_eq!(count(&engine, &scope).0, COPY_BATCH as i64);
        let refused = call(
            &engine,
            &scope,
            Service::DynamoDb,
            "CancelBulkOperation",
            &json!({"BulkOperationArn": arn}),
        );
        assert_eq!(refused.unwrap_err().kind, ErrorKind::Validation);
        engine.close();
        let _ = std::fs::remove_dir_all(&dir);
    }

    // The pace lets a run write MaxWriteRequestUnits per second: ahead by what the units
    // written need beyond the time already spent, never negative, nothing without a rate.
    #[test]
    fn the_pace_holds_the_rate() {
        let mut pace = Pace::new(Some(1024));
        assert_eq!(
            pace.ahead(512.0, Duration::ZERO),
            Duration::from_millis(500)
        );
        assert_eq!(
            pace.ahead(512.0, Duration::from_millis(250)),
            Duration::from_millis(750)
        );
        assert_eq!(pace.ahead(0.0, Duration::from_secs(5)), Duration::ZERO);
        let mut free = Pace::new(None);
        assert_eq!(free.ahead(1e9, Duration::ZERO), Duration::ZERO);
    }

    // Error records carry the object, line, code and message, and at most 4 KB of the line.
    #[test]
    fn error_records_are_bounded() {
        let long = "x".repeat(10_000);
        let r: serde_json::Value = serde_json::from_str(&error_record(
            "in/a.json",
            3,
            "MalformedRecord",
            "bad",
            &long,
        ))
        .unwrap();
        assert_eq!(r["LineNumber"], 3);
        assert_eq!(r["Record"].as_str().unwrap().len(), RECORD_TEXT_MAX);
        let r: serde_json::Value =
            serde_json::from_str(&error_record("in/b.gz", 0, "InvalidObject", "gzip", "")).unwrap();
        assert!(r.get("LineNumber").is_none());
    }
}
