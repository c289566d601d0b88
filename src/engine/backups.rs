//! On-demand backups and restores. CreateBackup records the backup (CREATING) with the table's
//! metadata; a background job copies the items out of one read snapshot into `backup_items`
//! (writes to the table go on meanwhile) and makes it AVAILABLE. A restore (from a backup or a
//! point in time, `pitr.rs`) creates the target table CREATING with its RestoreSummary; a job
//! loads its items with their index rows and makes it ACTIVE. Backups keep their own copy of the
//! items, so they outlive their table and restarts. No JSON, no wire names.
use super::{decode_row, keys, ttl, Engine};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{RestoreSource, Scope, TableMeta};
pub use crate::storage::BackupRow;
use crate::storage::Tx;
use crate::storage::{self, RangeRow};
use md5::{Digest, Md5};
use std::sync::Arc;

impl Engine {
    /// Records a backup of `table` (CREATING) and queues the copy of its items.
    pub fn create_backup(&self, scope: &Scope, table: &str, name: &str) -> Result<BackupRow> {
        let meta = self.table_any(scope, table).map_err(|_| {
            Error::new(
                ErrorKind::TableNotFound,
                format!("Table not found: {table}"),
            )
        })?;
        if meta.status != "ACTIVE" || meta.restore.as_ref().is_some_and(|r| r.in_progress) {
            return Err(Error::new(
                ErrorKind::TableInUse,
                format!("Table is being created: {table}"),
            ));
        }
        let created = self.now();
        let mut row = BackupRow {
            id: 0,
            account: scope.account.clone(),
            region: scope.region.clone(),
            arn: backup_arn(&meta, name, created),
            name: name.to_string(),
            table_name: meta.name.clone(),
            meta: (*meta).clone(),
            status: "CREATING".into(),
            backup_type: "USER".into(),
            created,
            item_count: 0,
            size_bytes: 0,
        };
        row.id = self.store.write(|tx| storage::insert_backup(tx, &row))?;
        self.jobs_queued();
        Ok(row)
    }

    /// The backup with this ARN in the caller's account and region.
    pub fn backup(&self, scope: &Scope, arn: &str) -> Result<BackupRow> {
        self.store
            .read(|conn| storage::backup_by_arn(conn, arn))?
            .filter(|b| b.account == scope.account && b.region == scope.region)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::BackupNotFound,
                    format!("Backup not found for the given BackupARN: {arn}"),
                )
            })
    }

    /// The scope's backups (of one table, if named), oldest first.
    pub fn list_backups(&self, scope: &Scope, table: Option<&str>) -> Result<Vec<BackupRow>> {
        self.store
            .read(|conn| storage::list_backups(conn, &scope.account, &scope.region, table))
    }

    /// Deletes a backup and its items; refused while it is being created or restored from.
    pub fn delete_backup(&self, scope: &Scope, arn: &str) -> Result<BackupRow> {
        let backup = self.backup(scope, arn)?;
        self.check_backup_idle(&backup)?;
        self.store
            .write(|tx| storage::delete_backup(tx, backup.id))?;
        Ok(backup)
    }

    /// BackupInUse while the backup is still being created or a restore reads it.
    pub fn check_backup_idle(&self, backup: &BackupRow) -> Result<()> {
        let restoring = self
            .tables
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .any(|m| {
                m.restore
                    .as_ref()
                    .is_some_and(|r| r.in_progress && r.source == RestoreSource::Backup(backup.id))
            });
        if backup.status == "CREATING" || restoring {
            return Err(Error::new(
                ErrorKind::BackupInUse,
                format!("Backup is being used by another operation: {}", backup.arn),
            ));
        }
        Ok(())
    }

    /// Creates a restored table (CREATING, its `restore` in progress) and queues the load of
    /// its items. The caller has built the metadata (overrides applied).
    pub fn restore_table(&self, mut meta: TableMeta) -> Result<Arc<TableMeta>> {
        meta.status = "CREATING".into();
        let name = meta.name.clone();
        let created = self.create_table(meta).map_err(|e| match e.kind {
            ErrorKind::ResourceInUse => Error::new(
                ErrorKind::TableAlreadyExists,
                format!("Table already exists: {name}"),
            ),
            _ => e,
        })?;
        self.jobs_queued();
        Ok(created)
    }

    /// The job behind CreateBackup: copies the source table's items (one snapshot) into the
    /// backup, then makes it AVAILABLE. A backup whose table is gone before the copy could
    /// start is removed.
    pub(super) fn run_backup(&self, id: i64) -> Result<()> {
        let Some(backup) = self.store.read(|conn| storage::backup_by_id(conn, id))? else {
            return Ok(());
        };
        if backup.status != "CREATING" {
            return Ok(());
        }
        let source = backup.meta.id;
        if self.table_by_id(source).is_none() {
            self.store.write(|tx| storage::delete_backup(tx, id))?;
            return Err(Error::internal(format!(
                "backup {} removed: its table was deleted before the copy",
                backup.arn
            )));
        }
        self.store.write(|tx| storage::clear_backup_items(tx, id))?;
        let (mut count, mut size) = (0i64, 0i64);
        let done = self.store.copy_rows(
            |conn, f| storage::table_rows(conn, source, f),
            |tx, rows| {
                count += rows.len() as i64;
                size += rows.iter().map(|r| r.size).sum::<i64>();
                storage::put_backup_items(tx, id, &rows)
            },
            &|| self.stopping(),
        )?;
        if done {
            self.store
                .write(|tx| storage::finish_backup(tx, id, count, size))?;
        }
        Ok(())
    }

    /// The job behind a restore: loads the table's items from its source (a backup, or a table
    /// as it was at a point in time) with their index rows, then makes it ACTIVE. Starts over
    /// from an empty table, so a restore cut short by a restart simply runs again. A source
    /// that is gone fails the restore: the half-made table is removed.
    pub(super) fn run_restore(&self, id: i64) -> Result<()> {
        let Some(meta) = self.table_by_id(id) else {
            return Ok(());
        };
        let Some(restore) = meta.restore.clone().filter(|r| r.in_progress) else {
            return Ok(());
        };
        let source_ok = match &restore.source {
            RestoreSource::Backup(b) => self
                .store
                .read(|conn| storage::backup_by_id(conn, *b))?
                .is_some(),
            RestoreSource::PointInTime { table, .. } => {
                self.table_by_id(*table).is_some_and(|m| m.pitr.is_some())
            }
        };
        if !source_ok {
            self.drop_table_by_id(id)?;
            return Err(Error::internal(format!(
                "restore of {} failed: its source is gone; the table was removed",
                meta.name
            )));
        }
        self.store.write(|tx| storage::clear_table_rows(tx, id))?;
        let done = self.store.copy_rows(
            |conn, f| match &restore.source {
                RestoreSource::Backup(b) => storage::backup_rows(conn, *b, f),
                RestoreSource::PointInTime { table, at } => storage::rows_at(conn, *table, *at, f),
            },
            |tx, rows| {
                for row in rows {
                    restore_row(tx, &meta, row)?;
                }
                Ok(())
            },
            &|| self.stopping(),
        )?;
        if done {
            self.update_by_id(id, |m| {
                m.status = "ACTIVE".into();
                if let Some(r) = m.restore.as_mut() {
                    r.in_progress = false;
                }
            })?;
        }
        Ok(())
    }

    /// The catalogue's table with this storage id.
    pub(super) fn table_by_id(&self, id: i64) -> Option<Arc<TableMeta>> {
        self.tables
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .find(|m| m.id == id)
            .cloned()
    }

    /// Changes the metadata of the table with this storage id (no index or stream changes).
    pub(super) fn update_by_id(&self, id: i64, change: impl FnOnce(&mut TableMeta)) -> Result<()> {
        self.write_catalogue(|tx, tables| {
            let Some((k, old)) = tables.iter().find(|(_, m)| m.id == id) else {
                return Ok(());
            };
            let (k, mut meta) = (k.clone(), (**old).clone());
            change(&mut meta);
            storage::update_table_meta(tx, &meta)?;
            tables.insert(k, Arc::new(meta));
            Ok(())
        })
    }

    /// Removes the table with this storage id and its rows (a restore that failed).
    pub(super) fn drop_table_by_id(&self, id: i64) -> Result<()> {
        self.write_catalogue(|tx, tables| {
            tables.retain(|_, m| m.id != id);
            storage::delete_table(tx, id)
        })
    }
}

/// Writes one restored item with its index rows and TTL expiry. Items whose index key has the
/// wrong type are left out of that index, as a backfill leaves them.
pub(super) fn restore_row(tx: &Tx, meta: &TableMeta, row: RangeRow) -> Result<()> {
    let needs_item =
        meta.indexes().next().is_some() || meta.ttl.is_some() || !meta.vector_indexes.is_empty();
    let item = if needs_item {
        Some(decode_row(&row.item)?)
    } else {
        None
    };
    let expires = item.as_ref().and_then(|i| ttl::expiry(meta, i));
    let stored = storage::ItemRow {
        table: meta.id,
        pk: &row.pk,
        sk: &row.sk,
        bytes: &row.item,
        size: row.size,
        expires,
    };
    storage::put_item(tx, &stored, None)?;
    if let Some(item) = item {
        let key = keys::EncodedKey {
            pk: row.pk,
            sk: row.sk,
        };
        for ix in meta.indexes() {
            if let Ok(Some(ik)) = keys::index_key(&meta.key, ix, &item) {
                super::add_index_row(tx, meta, ix, &key, &ik, &item)?;
            }
        }
        if !meta.vector_indexes.is_empty() {
            // As a backfill: an item whose attributes do not fit an index is left out of it.
            let entries: Vec<_> = meta
                .vector_indexes
                .iter()
                .map(|ix| super::vectors::entry(meta, ix, &item).ok().flatten())
                .collect();
            super::vectors::write(tx, meta, &key, &entries)?;
        }
    }
    Ok(())
}

/// `<table arn>/backup/<14-digit creation ms>-<8 hex>`, the service's shape.
fn backup_arn(meta: &TableMeta, name: &str, created: f64) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let ms = (created * 1000.0) as u64;
    let mut h = Md5::new();
    h.update(meta.arn().as_bytes());
    h.update(name.as_bytes());
    h.update(ms.to_be_bytes());
    h.update(
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .to_be_bytes(),
    );
    h.update(std::process::id().to_be_bytes());
    let d = h.finalize();
    format!(
        "{}/backup/{ms:014}-{:02x}{:02x}{:02x}{:02x}",
        meta.arn(),
        d[0],
        d[1],
        d[2],
        d[3]
    )
}
