//! Background jobs: the long work that requests only queue (copying a table into a backup,
//! loading a restored table, exports, imports, bulk puts). A job's whole state is in SQLite (a CREATING backup row, a table
//! whose restore is in progress), so the list of jobs to run is read from there: at start-up it
//! holds whatever a stopped or killed server left unfinished (an import's table is CREATING with
//! its import IN_PROGRESS, and is loaded by the import's job, not as a restore), and each job starts over from a
//! clean slate, so it finishes (or fails cleanly) instead of staying in progress forever.
//! `server.rs` runs them off the request path; in-process callers can run them inline.
use super::Engine;
use crate::error::{Error, Result};
use crate::objects::ObjectError;
use crate::storage;
use std::sync::atomic::Ordering;

/// One unit of background work, named by what it works on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Job {
    /// Copy a table's items into the backup with this storage id.
    Backup(i64),
    /// Load the items of the restored table with this storage id.
    Restore(i64),
    /// Write the export with this storage id to S3.
    Export(i64),
    /// Load the import with this storage id from S3.
    Import(i64),
    /// Run (or finish cancelling) the bulk put operation with this storage id.
    BulkPut(i64),
}

/// The FailureCode of a job that an object storage error ended (the service's `S3...` codes).
pub(super) fn failure_code(e: &ObjectError) -> &'static str {
    match e {
        ObjectError::NoSuchBucket(_) => "S3NoSuchBucket",
        ObjectError::NoSuchKey(_) => "S3NoSuchKey",
        ObjectError::AccessDenied(_) => "S3AccessDenied",
        ObjectError::Other(_) => "UNKNOWN",
    }
}

impl Engine {
    /// Jobs waiting to run that are not running in this process yet.
    pub fn pending_jobs(&self) -> Result<Vec<Job>> {
        let mut jobs: Vec<Job> = self
            .store
            .read(|c| storage::creating_backups(c))?
            .into_iter()
            .map(Job::Backup)
            .collect();
        jobs.extend(
            self.store
                .read(|c| storage::exports_in_progress(c))?
                .into_iter()
                .map(Job::Export),
        );
        jobs.extend(
            self.store
                .read(|c| storage::imports_in_progress(c))?
                .into_iter()
                .map(Job::Import),
        );
        jobs.extend(
            self.store
                .read(|c| storage::bulk_unfinished(c))?
                .into_iter()
                .map(Job::BulkPut),
        );
        jobs.extend(
            self.tables
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .values()
                .filter(|m| m.restore.as_ref().is_some_and(|r| r.in_progress))
                .map(|m| Job::Restore(m.id)),
        );
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        jobs.retain(|j| !running.contains(j));
        Ok(jobs)
    }

    /// Marks `job` as running here; false when it already is, or while jobs are paused.
    pub fn claim_job(&self, job: &Job) -> bool {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        !self.paused.load(Ordering::SeqCst) && running.insert(job.clone())
    }

    /// Gives a claimed job back (it ended, or could not be started; the runner tries again).
    pub fn release_job(&self, job: &Job) {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        running.remove(job);
        if running.is_empty() {
            self.jobs_idle.notify_all();
        }
    }

    /// Pauses the jobs for a snapshot restore: none starts from now on, running ones stop at
    /// their next batch (leaving their work to start over, as on shutdown). Blocks until none
    /// runs; false when some still did after `wait` (then they are left paused: call
    /// `resume_jobs` either way).
    pub fn pause_jobs(&self, wait: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + wait;
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        self.paused.store(true, Ordering::SeqCst);
        while !running.is_empty() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            running = self
                .jobs_idle
                .wait_timeout(running, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }

    /// Ends a pause: the runner is woken and starts whatever the database now holds pending.
    pub fn resume_jobs(&self) {
        {
            let _running = self.running.lock().unwrap_or_else(|p| p.into_inner());
            self.paused.store(false, Ordering::SeqCst);
        }
        self.jobs_queued();
    }

    /// Runs a claimed job to its end (or until the engine stops) and releases it. A failure is
    /// logged; the job has already left its objects in a final state.
    pub fn run_job(&self, job: &Job) {
        let result = match job {
            Job::Backup(id) => self.run_backup(*id),
            Job::Restore(id) => self.run_restore(*id),
            Job::Export(id) => self.run_export(*id),
            Job::Import(id) => self.run_import(*id),
            Job::BulkPut(id) => self.run_bulk_put(*id),
        };
        if let Err(e) = result {
            tracing::warn!("background job {job:?} failed: {e}");
            if !self.stopping() {
                if let Err(e) = self.give_up(job, &e) {
                    tracing::warn!("background job {job:?} could not be ended: {e}");
                }
            }
        }
        self.release_job(job);
    }

    /// Leaves what a failed job worked on in a final state, so nothing stays in progress for
    /// a retry that would meet the same failure (a full disk, a damaged row): a backup still
    /// CREATING is removed (the service has no failed backups), a table still being restored is
    /// dropped, an export still in progress is FAILED, an import still in progress is FAILED with
    /// its half-made table removed, a bulk put in progress or cancelling is FAILED (what it
    /// wrote stays). The failures are `InternalServerError` with `why`'s message.
    fn give_up(&self, job: &Job, why: &Error) -> Result<()> {
        const CODE: &str = "InternalServerError";
        let message = why.message.clone().unwrap_or_default();
        match job {
            Job::Backup(id) => {
                let creating = self
                    .store
                    .read(|c| storage::backup_by_id(c, *id))?
                    .is_some_and(|b| b.status == "CREATING");
                if creating {
                    self.store.write(|tx| storage::delete_backup(tx, *id))?;
                }
                Ok(())
            }
            Job::Restore(id) => {
                let restoring = self
                    .table_by_id(*id)
                    .is_some_and(|m| m.restore.as_ref().is_some_and(|r| r.in_progress));
                if restoring {
                    self.drop_table_by_id(*id)?;
                }
                Ok(())
            }
            Job::Export(id) => {
                let running = self
                    .store
                    .read(|c| storage::export_by_id(c, *id))?
                    .is_some_and(|x| x.status == "IN_PROGRESS");
                if running {
                    let end = self.now();
                    self.store.write(|tx| {
                        storage::fail_export(
                            tx,
                            *id,
                            end,
                            CODE,
                            "The export could not be completed",
                        )
                    })?;
                }
                Ok(())
            }
            Job::Import(id) => {
                let running = self
                    .store
                    .read(|c| storage::import_by_id(c, *id))?
                    .filter(|i| i.status == "IN_PROGRESS");
                if let Some(import) = running {
                    self.drop_table_by_id(import.table)?;
                    let end = self.now();
                    let failure = Some((CODE, message.as_str()));
                    self.store
                        .write(|tx| storage::finish_import(tx, *id, end, "FAILED", failure))?;
                }
                Ok(())
            }
            Job::BulkPut(id) => {
                let running = self
                    .store
                    .read(|c| storage::bulk_status(c, *id))?
                    .is_some_and(|s| s == "IN_PROGRESS" || s == "CANCELLING");
                if running {
                    let end = self.now();
                    let failure = Some((CODE, message.as_str()));
                    self.store
                        .write(|tx| storage::finish_bulk(tx, *id, end, "FAILED", failure))?;
                }
                Ok(())
            }
        }
    }

    /// Runs every pending job inline, until none is left (in-process callers and tests that
    /// have no server running jobs in the background).
    /// Gives up (an error) when a pass leaves exactly the jobs it ran pending: they made no
    /// progress (stopped, paused, or failing without ending), and another pass would loop.
    pub fn run_pending_jobs(&self) -> Result<()> {
        let mut last: Vec<Job> = Vec::new();
        loop {
            let jobs = self.pending_jobs()?;
            if jobs.is_empty() {
                return Ok(());
            }
            if jobs == last {
                return Err(Error::internal(format!(
                    "background jobs make no progress: {jobs:?}"
                )));
            }
            last = jobs.clone();
            for job in jobs {
                if self.claim_job(&job) {
                    self.run_job(&job);
                }
            }
        }
    }

    /// Tells the runner that a request queued work.
    pub(super) fn jobs_queued(&self) {
        self.jobs_ready.notify_one();
    }

    /// Asks running jobs to stop at their next batch (the server is stopping); they resume
    /// from the start at the next start-up.
    pub fn stop_jobs(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Whether a running job should stop at its next batch: the server is stopping, or a
    /// restore paused the jobs.
    pub(super) fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst) || self.paused.load(Ordering::SeqCst)
    }

    /// How many jobs run in this process now.
    pub fn running_jobs(&self) -> usize {
        self.running.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::call;
    use crate::model::Scope;
    use crate::protocol::Service;
    use serde_json::{json, Value};

    // A restore whose load the store refuses (the database is at its size cap) ends with the
    // half-restored table removed, instead of a table CREATING for ever and a job runner that
    // keeps running it.
    #[test]
    fn a_restore_the_store_refuses_ends_without_its_table() {
        let dir = std::env::temp_dir().join(format!("awsim-jobs-full-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut config = crate::Config::in_memory();
        config.in_memory = false;
        config.data_dir = dir.clone();
        let scope = Scope {
            account: "000000000000".into(),
            region: "us-east-1".into(),
        };
        let run = |engine: &Engine, op: &str, body: Value| {
            call(engine, &scope, Service::DynamoDb, op, &body).unwrap()
        };
        let engine = Engine::open(&config).unwrap();
        run(
            &engine,
            "CreateTable",
            json!({
                "TableName": "source",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST",
            }),
        );
        for chunk in (0..3000).collect::<Vec<_>>().chunks(25) {
            let puts: Vec<Value> = chunk
                .iter()
                .map(|i| json!({"PutRequest": {"Item": {"pk": {"S": format!("k{i}")}, "v": {"S": "x".repeat(200)}}}}))
                .collect();
            run(
                &engine,
                "BatchWriteItem",
                json!({"RequestItems": {"source": puts}}),
            );
        }
        let backup = run(
            &engine,
            "CreateBackup",
            json!({"TableName": "source", "BackupName": "nightly"}),
        );
        let arn = backup["BackupDetails"]["BackupArn"].clone();
        engine.run_pending_jobs().unwrap();
        engine.close();
        drop(engine);

        let size = std::fs::metadata(dir.join("dynamodb.db")).unwrap().len();
        config.max_db_bytes = Some(size + 64 * 1024);
        let engine = Engine::open(&config).unwrap();
        run(
            &engine,
            "RestoreTableFromBackup",
            json!({"BackupArn": arn, "TargetTableName": "restored"}),
        );
        engine.run_pending_jobs().unwrap();
        assert!(!engine.table_exists(&scope, "restored"));
        assert!(engine.table_exists(&scope, "source"));
        engine.close();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
