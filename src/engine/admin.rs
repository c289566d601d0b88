//! What the admin API (`/_awsim/...`) asks of the engine beyond the DynamoDB operations:
//! whole-database snapshots and their restore (which also resets the catalogue), every table's
//! live statistics in one read, and the throttle counter. No HTTP, no JSON.
use super::{catalogue, Engine, TableKey, CLOCK_OFFSET};
use crate::error::{Error, Result};
use crate::model::TableMeta;
use crate::storage::{self, SnapshotInfo, TableStats};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// How long a restore waits for running background jobs to reach their next batch and stop.
const JOB_PAUSE: std::time::Duration = std::time::Duration::from_secs(30);

/// Requests (and batch entries) refused for want of capacity, by table: `Engine::charge` counts
/// each refusal, and the metrics endpoint reports them.
#[derive(Default)]
pub struct Throttles {
    counts: Mutex<HashMap<TableKey, u64>>,
}

impl Throttles {
    /// Counts one throttled request on `meta`'s table.
    pub fn record(&self, meta: &TableMeta) {
        let key = (meta.account.clone(), meta.region.clone(), meta.name.clone());
        *self
            .counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_default() += 1;
    }

    /// The count of one table (0 when it was never throttled).
    pub fn count(&self, account: &str, region: &str, table: &str) -> u64 {
        let key = (account.to_string(), region.to_string(), table.to_string());
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .copied()
            .unwrap_or(0)
    }
}

impl Engine {
    /// Takes a snapshot of the whole database (every account and region).
    pub fn snapshot(&self, name: &str) -> Result<SnapshotInfo> {
        self.store.snapshot(name)
    }

    /// Puts the whole database back as the snapshot `name` saw it, and with it everything the
    /// engine keeps of the database in memory: the catalogue (tables, their metadata, whether
    /// any is global or has PITR), the admin clock's offset (the `settings` row), and the
    /// vector indexes' copies (dropped, rebuilt by the next search). None when there is no
    /// such snapshot. The caller holds `gate` exclusively, so no operation is in flight: an
    /// operation looks its table up once and then uses its id, which the restored database
    /// may give to another table. Background jobs are paused around the swap and then start
    /// over on whatever the restored database holds in progress.
    pub fn restore_snapshot(&self, name: &str) -> Result<Option<SnapshotInfo>> {
        let Some(info) = self.store.snapshots()?.into_iter().find(|s| s.name == name) else {
            return Ok(None);
        };
        if !self.pause_jobs(JOB_PAUSE) {
            self.resume_jobs();
            return Err(Error::internal(
                "a background job (backup, restore, export, import) did not pause; try again",
            ));
        }
        let restored = self.store.restore(name, |conn| {
            let (tables, replicated) = catalogue(storage::load_tables(conn)?);
            let offset = storage::setting(conn, CLOCK_OFFSET)?;
            *self.tables.write().unwrap_or_else(|p| p.into_inner()) = tables;
            self.replicated.store(replicated, Ordering::Release);
            self.clock.set_offset_ms(offset.unwrap_or(0));
            self.vectors.clear();
            Ok(())
        });
        self.resume_jobs();
        Ok(restored?.map(|()| info))
    }

    /// Every snapshot, by name.
    pub fn snapshots(&self) -> Result<Vec<SnapshotInfo>> {
        self.store.snapshots()
    }

    /// Deletes a snapshot; false when there was none.
    pub fn delete_snapshot(&self, name: &str) -> Result<bool> {
        self.store.delete_snapshot(name)
    }

    /// Every table of every account and region with its live statistics, sorted by account,
    /// region and name.
    pub fn all_tables(&self) -> Result<Vec<(Arc<TableMeta>, TableStats)>> {
        let stats: HashMap<i64, TableStats> = self
            .store
            .read(|c| storage::all_table_stats(c))?
            .into_iter()
            .collect();
        let mut out: Vec<(Arc<TableMeta>, TableStats)> = self
            .tables
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|m| (m.clone(), stats.get(&m.id).copied().unwrap_or_default()))
            .collect();
        out.sort_by(|(a, _), (b, _)| {
            (&a.account, &a.region, &a.name).cmp(&(&b.account, &b.region, &b.name))
        });
        Ok(out)
    }
}
