//! Global tables: a table's replicas are tables of the same name in other regions of the same
//! account, all listing the same replication group. Replication is asynchronous and never
//! blocks the writer:
//!
//! - every client write (PutItem, UpdateItem, DeleteItem, batches, transactions, TTL deletions,
//!   TruncateTable) of a replicated table stamps the item with a version and appends one row per
//!   other region to `replication_queue`, inside the write's own transaction (`record`), so a
//!   committed write is never lost, a cancelled one never replicated, and a restart resumes;
//! - a background task (`server.rs`, like the TTL sweeper) calls [`Engine::replicate`], which
//!   applies the queue in order in short write transactions of its own: the replica takes the
//!   write if its version is newer than the replica's (last writer wins: the version is the
//!   write's time in milliseconds, made strictly greater than the item's previous version, ties
//!   broken by region name), with index rows and a stream record marked as replicated;
//! - a deletion leaves its version behind as a tombstone, so an older write arriving later does
//!   not resurrect the item; tombstones are purged after 24 hours.
//!
//! Group changes (a replica added or removed, a 2017.11.29 group formed) update every member's
//! metadata in one transaction; a new 2019.11.21 replica starts as a copy of its source's items
//! and item versions.
use super::clock::iso8601;
use super::keys::{self, EncodedKey};
use super::{
    add_index_row, decode_row, read_current, remove_item, streams, ttl, write_prepared, Engine,
    Origin, Prepared, TableKey,
};
use crate::error::{Error, Result};
use crate::model::size::item_size;
use crate::model::{Replica, Scope, StreamState, TableMeta};
use crate::storage::Tx;
use crate::storage::{self, ItemVersion, ReplicationRow};
use std::collections::HashMap;
use std::sync::Arc;

/// The two versions of global tables.
pub const VERSION_2019: &str = "2019.11.21";
pub const VERSION_2017: &str = "2017.11.29";

/// Queued writes applied per write transaction.
pub const BATCH: usize = 100;

/// How long a deletion's tombstone is kept.
pub const TOMBSTONE_SECS: f64 = 24.0 * 3600.0;

/// Called by every write made in this region, inside its transaction: stamps the item's new
/// version and queues the write for every other region of the group.
pub(super) fn record(
    tx: &Tx,
    meta: &TableMeta,
    key: &EncodedKey,
    item: Option<&[u8]>,
    now: f64,
) -> Result<()> {
    if !meta.is_replicated() {
        return Ok(());
    }
    let now_ms = (now * 1000.0) as i64;
    let version = match storage::item_version(tx, meta.id, &key.pk, &key.sk)? {
        Some(v) => now_ms.max(v.version + 1),
        None => now_ms,
    };
    let stamp = ItemVersion {
        version,
        origin: meta.region.clone(),
        deleted: item.is_none(),
    };
    storage::set_item_version(tx, meta.id, &key.pk, &key.sk, &stamp, now)?;
    for target in meta.replica_targets() {
        storage::enqueue_replication(
            tx,
            &ReplicationRow {
                id: 0,
                account: meta.account.clone(),
                table_name: meta.name.clone(),
                origin: meta.region.clone(),
                target: target.to_string(),
                pk: key.pk.clone(),
                sk: key.sk.clone(),
                item: item.map(<[u8]>::to_vec),
                version,
            },
        )?;
    }
    Ok(())
}

/// Applies one queued write to the target region's replica, if it is newer than what the
/// replica holds.
fn apply(tx: &Tx, meta: &TableMeta, row: &ReplicationRow, now: f64) -> Result<()> {
    if let Some(v) = storage::item_version(tx, meta.id, &row.pk, &row.sk)? {
        if (v.version, v.origin.as_str()) >= (row.version, row.origin.as_str()) {
            return Ok(());
        }
    }
    let key = EncodedKey {
        pk: row.pk.clone(),
        sk: row.sk.clone(),
    };
    let old = read_current(tx, meta.id, &key)?;
    match &row.item {
        Some(bytes) => {
            let item = decode_row(bytes)?;
            let prepared = match Prepared::new(
                meta,
                item,
                "Item size has exceeded the maximum allowed size",
            ) {
                Ok(p) => p,
                Err(e) => {
                    // Only possible when the replicas' indexes differ (a GSI key of another
                    // type); the replica cannot hold the item, as the service would fail it.
                    tracing::warn!(
                        "replication of an item of {} to {} skipped: {e}",
                        meta.name,
                        meta.region
                    );
                    return Ok(());
                }
            };
            write_prepared(tx, meta, &prepared, old.as_ref(), now, Origin::Replication)?;
        }
        None => {
            if let Some(current) = &old {
                remove_item(tx, meta, &key, current, now, Origin::Replication)?;
            }
        }
    }
    let stamp = ItemVersion {
        version: row.version,
        origin: row.origin.clone(),
        deleted: row.item.is_none(),
    };
    storage::set_item_version(tx, meta.id, &row.pk, &row.sk, &stamp, now)
}

/// Writes `item` into a new replica as it is in the source: item, index rows, TTL expiry; no
/// stream record (the copy is not a write).
fn copy_item(tx: &Tx, meta: &TableMeta, pk: &[u8], sk: &[u8], bytes: &[u8]) -> Result<()> {
    let item = decode_row(bytes)?;
    let key = EncodedKey {
        pk: pk.to_vec(),
        sk: sk.to_vec(),
    };
    let row = storage::ItemRow {
        table: meta.id,
        pk,
        sk,
        bytes,
        size: item_size(&item) as i64,
        expires: ttl::expiry(meta, &item),
    };
    storage::put_item(tx, &row, None)?;
    for ix in meta.indexes() {
        if let Ok(Some(ik)) = keys::index_key(&meta.key, ix, &item) {
            add_index_row(tx, meta, ix, &key, &ik, &item)?;
        }
    }
    Ok(())
}

/// A replication group as every member records it.
struct Group<'a> {
    /// The regions whose table of the name is updated.
    members: &'a [String],
    /// What they record as their group (empty: not global).
    replicas: &'a [Replica],
    version: Option<&'a str>,
    created: Option<f64>,
}

/// Sets the group of every member table (by region) and persists it.
fn set_group(
    tx: &Tx,
    tables: &mut HashMap<TableKey, Arc<TableMeta>>,
    account: &str,
    name: &str,
    group: Group,
) -> Result<()> {
    for region in group.members {
        let k = (account.to_string(), region.clone(), name.to_string());
        let Some(current) = tables.get(&k) else {
            continue;
        };
        let mut meta = (**current).clone();
        meta.replicas = group.replicas.to_vec();
        meta.global_version = group.version.map(String::from);
        meta.global_created = group.created;
        storage::update_table_meta(tx, &meta)?;
        tables.insert(k, Arc::new(meta));
    }
    Ok(())
}

/// A group of one region is no group: the table stops being global.
fn shrink(group: Vec<Replica>) -> Vec<Replica> {
    if group.len() > 1 {
        group
    } else {
        Vec::new()
    }
}

/// Removes `meta`'s region from the group of the other members, and the writes still queued
/// for it. Called when a replica is deleted or leaves its group.
pub(super) fn leave_group(
    tx: &Tx,
    tables: &mut HashMap<TableKey, Arc<TableMeta>>,
    meta: &TableMeta,
) -> Result<()> {
    if meta.replicas.is_empty() {
        return Ok(());
    }
    let rest: Vec<Replica> = meta
        .replicas
        .iter()
        .filter(|r| r.region != meta.region)
        .cloned()
        .collect();
    let members: Vec<String> = rest.iter().map(|r| r.region.clone()).collect();
    // A 2017.11.29 global table may have a single replica; a 2019.11.21 table alone is no
    // longer global.
    let group = match meta.global_version.as_deref() {
        Some(VERSION_2017) => rest,
        _ => shrink(rest),
    };
    let version = (!group.is_empty())
        .then_some(meta.global_version.as_deref())
        .flatten();
    let created = (!group.is_empty()).then_some(meta.global_created).flatten();
    set_group(
        tx,
        tables,
        &meta.account,
        &meta.name,
        Group {
            members: &members,
            replicas: &group,
            version,
            created,
        },
    )?;
    storage::drop_replication_to(tx, &meta.account, &meta.name, &meta.region)
}

impl Engine {
    /// Applies queued replicated writes in order, `BATCH` per write transaction, until none is
    /// left; returns how many queued writes were taken (applied, or dropped when their target
    /// no longer replicates from their origin).
    pub fn replicate(&self) -> Result<usize> {
        self.replicate_up_to(usize::MAX)
    }

    /// Like [`Engine::replicate`], but takes at most `max` queued writes (oldest first), so a
    /// test can interleave replication with writes.
    pub fn replicate_up_to(&self, max: usize) -> Result<usize> {
        let mut taken = 0;
        while taken < max {
            let limit = BATCH.min(max - taken);
            let batch = self
                .store
                .read(|conn| storage::pending_replication(conn, limit))?;
            if batch.is_empty() {
                break;
            }
            let n = batch.len();
            self.store.write(|tx| {
                let now = self.now();
                let tables = self.tables.read().unwrap_or_else(|p| p.into_inner());
                for row in &batch {
                    let k = (
                        row.account.clone(),
                        row.target.clone(),
                        row.table_name.clone(),
                    );
                    let target = tables
                        .get(&k)
                        .filter(|m| m.replicas.iter().any(|r| r.region == row.origin));
                    if let Some(meta) = target {
                        apply(tx, meta, row, now)?;
                    }
                    storage::delete_replication(tx, row.id)?;
                }
                Ok(())
            })?;
            taken += n;
            if n < limit {
                break;
            }
        }
        Ok(taken)
    }

    /// How many writes wait to be replicated.
    pub fn replication_backlog(&self) -> Result<i64> {
        self.store.read(|c| storage::replication_backlog(c))
    }

    /// Forgets deletion tombstones past their time.
    pub fn purge_tombstones(&self) -> Result<()> {
        let before = self.now() - TOMBSTONE_SECS;
        self.store.write(|tx| storage::purge_tombstones(tx, before))
    }

    /// The member tables of a group, by region, as they are now.
    pub fn group_members(&self, account: &str, name: &str) -> Vec<Arc<TableMeta>> {
        let tables = self.tables.read().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<Arc<TableMeta>> = tables
            .iter()
            .filter(|((a, _, n), _)| a == account && n == name)
            .map(|(_, m)| m.clone())
            .collect();
        out.sort_by(|a, b| a.region.cmp(&b.region));
        out
    }

    /// UpdateTable ReplicaUpdates Create (2019.11.21): creates the table in `region` with the
    /// source's schema, settings and items, and adds the region to every member's group.
    /// `check` sees the source and the target's current table (if any) under the write lock.
    /// Returns the source's new metadata.
    pub fn add_replica(
        &self,
        scope: &Scope,
        name: &str,
        region: &str,
        check: impl FnOnce(&TableMeta, Option<&TableMeta>) -> Result<()>,
    ) -> Result<Arc<TableMeta>> {
        self.mark_replicated();
        self.write_catalogue(|tx, tables| {
            let now = self.now();
            let src = tables
                .get(&(
                    scope.account.clone(),
                    scope.region.clone(),
                    name.to_string(),
                ))
                .cloned()
                .ok_or_else(Error::table_not_found)?;
            let target_key = (scope.account.clone(), region.to_string(), name.to_string());
            check(&src, tables.get(&target_key).map(|m| &**m))?;
            let mut group = if src.replicas.is_empty() {
                vec![Replica {
                    region: src.region.clone(),
                    status: "ACTIVE".into(),
                    table_class: None,
                    read_override: None,
                }]
            } else {
                src.replicas.clone()
            };
            group.push(Replica {
                region: region.to_string(),
                status: "ACTIVE".into(),
                table_class: None,
                read_override: None,
            });
            let mut target = (*src).clone();
            target.id = 0;
            target.region = region.to_string();
            target.created = now;
            target.tags = Vec::new();
            target.policy = None;
            target.stream_policies = Vec::new();
            target.kinesis = Vec::new();
            target.deletion_protection = false;
            target.status = "ACTIVE".into();
            target.stream = src.stream.as_ref().map(|s| StreamState {
                view_type: s.view_type.clone(),
                label: iso8601(now),
                enabled: s.enabled,
                id: 0,
            });
            target.replicas = group.clone();
            target.global_version = Some(VERSION_2019.into());
            streams::sync(tx, None, &mut target, now)?;
            target.id = storage::insert_table(tx, &target)?;
            storage::for_each_item(tx, src.id, |pk, sk, bytes| {
                copy_item(tx, &target, pk, sk, bytes)
            })?;
            storage::copy_item_versions(tx, src.id, target.id)?;
            tables.insert(target_key, Arc::new(target));
            let members: Vec<String> = group.iter().map(|r| r.region.clone()).collect();
            set_group(
                tx,
                tables,
                &scope.account,
                name,
                Group {
                    members: &members,
                    replicas: &group,
                    version: Some(VERSION_2019),
                    created: None,
                },
            )?;
            tables
                .get(&(
                    scope.account.clone(),
                    scope.region.clone(),
                    name.to_string(),
                ))
                .cloned()
                .ok_or_else(Error::table_not_found)
        })
    }

    /// UpdateTable ReplicaUpdates Delete (2019.11.21): deletes the replica in `region` with
    /// its items and takes the region out of the others' group. Returns the caller's table.
    pub fn remove_replica(
        &self,
        scope: &Scope,
        name: &str,
        region: &str,
        check: impl FnOnce(&TableMeta) -> Result<()>,
    ) -> Result<Arc<TableMeta>> {
        self.write_catalogue(|tx, tables| {
            let now = self.now();
            let own = (
                scope.account.clone(),
                scope.region.clone(),
                name.to_string(),
            );
            let src = tables
                .get(&own)
                .cloned()
                .ok_or_else(Error::table_not_found)?;
            check(&src)?;
            let target_key = (scope.account.clone(), region.to_string(), name.to_string());
            if let Some(target) = tables.remove(&target_key) {
                if let Some(stream) = target.stream.as_ref().filter(|s| s.enabled && s.id > 0) {
                    storage::disable_stream(tx, stream.id, now)?;
                }
                storage::delete_table(tx, target.id)?;
                leave_group(tx, tables, &target)?;
            }
            tables.get(&own).cloned().ok_or_else(Error::table_not_found)
        })
    }

    /// Applies `change` to the caller's table and every other member of its group (just the
    /// table when it is not global) in one transaction; `change` learns which member it edits
    /// from its `region`. Settings the service keeps per global table (replica overrides,
    /// write auto scaling) change this way.
    pub fn update_group(
        &self,
        scope: &Scope,
        name: &str,
        mut change: impl FnMut(&mut TableMeta) -> Result<()>,
    ) -> Result<Arc<TableMeta>> {
        self.write_catalogue(|tx, tables| {
            let own = (
                scope.account.clone(),
                scope.region.clone(),
                name.to_string(),
            );
            let meta = tables
                .get(&own)
                .cloned()
                .ok_or_else(Error::table_not_found)?;
            let mut regions: Vec<String> = meta.replicas.iter().map(|r| r.region.clone()).collect();
            if !regions.contains(&meta.region) {
                regions.push(meta.region.clone());
            }
            for region in regions {
                let k = (scope.account.clone(), region, name.to_string());
                let Some(current) = tables.get(&k) else {
                    continue;
                };
                let mut m = (**current).clone();
                change(&mut m)?;
                storage::update_table_meta(tx, &m)?;
                tables.insert(k, Arc::new(m));
            }
            tables.get(&own).cloned().ok_or_else(Error::table_not_found)
        })
    }

    /// CreateGlobalTable / UpdateGlobalTable (2017.11.29): makes the tables of `name` in
    /// `regions` one replication group (existing tables, none copied). `check` sees every
    /// member with its item count under the write lock (it must not call back into the
    /// engine); regions of the old group not in `regions` leave it.
    pub fn set_legacy_group(
        &self,
        account: &str,
        name: &str,
        regions: &[String],
        check: impl FnOnce(&[(Arc<TableMeta>, i64)]) -> Result<()>,
    ) -> Result<Vec<Arc<TableMeta>>> {
        self.mark_replicated();
        self.write_catalogue(|tx, tables| {
            let now = self.now();
            let members: Vec<Arc<TableMeta>> = regions
                .iter()
                .filter_map(|r| {
                    tables
                        .get(&(account.to_string(), r.clone(), name.to_string()))
                        .cloned()
                })
                .collect();
            let counted = members
                .iter()
                .map(|m| Ok((m.clone(), storage::table_stats(tx, m.id)?.item_count)))
                .collect::<Result<Vec<_>>>()?;
            check(&counted)?;
            let created = members.iter().find_map(|m| m.global_created).unwrap_or(now);
            // Members of the old group that are not in the new one leave it.
            let old: Vec<String> = members
                .iter()
                .flat_map(|m| m.replicas.iter().map(|r| r.region.clone()))
                .filter(|r| !regions.contains(r))
                .collect();
            for region in old {
                let k = (account.to_string(), region, name.to_string());
                if let Some(gone) = tables.get(&k).cloned() {
                    let mut alone = (*gone).clone();
                    alone.replicas = Vec::new();
                    alone.global_version = None;
                    alone.global_created = None;
                    storage::update_table_meta(tx, &alone)?;
                    tables.insert(k, Arc::new(alone));
                    storage::drop_replication_to(tx, account, name, &gone.region)?;
                }
            }
            let group: Vec<Replica> = regions
                .iter()
                .map(|r| Replica {
                    region: r.clone(),
                    status: "ACTIVE".into(),
                    table_class: None,
                    read_override: None,
                })
                .collect();
            let (version, created) = if group.is_empty() {
                (None, None)
            } else {
                (Some(VERSION_2017), Some(created))
            };
            set_group(
                tx,
                tables,
                account,
                name,
                Group {
                    members: regions,
                    replicas: &group,
                    version,
                    created,
                },
            )?;
            Ok(regions
                .iter()
                .filter_map(|r| {
                    tables
                        .get(&(account.to_string(), r.clone(), name.to_string()))
                        .cloned()
                })
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::Engine;
    use crate::model::Scope;
    use crate::protocol::Service;
    use serde_json::{json, Value};

    fn scope(region: &str) -> Scope {
        Scope {
            account: "000000000000".into(),
            region: region.into(),
        }
    }

    fn call(engine: &Engine, region: &str, op: &str, body: Value) -> Value {
        crate::dispatch::call(engine, &scope(region), Service::DynamoDb, op, &body)
            .unwrap_or_else(|e| panic!("{op} in {region}: {e}"))
    }

    fn global_table(engine: &Engine) {
        call(
            engine,
            "us-east-1",
            "CreateTable",
            json!({"TableName": "glob", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}}),
        );
        call(
            engine,
            "us-east-1",
            "UpdateTable",
            json!({"TableName": "glob", "ReplicaUpdates": [{"Create": {"RegionName": "eu-west-1"}}]}),
        );
    }

    fn get(engine: &Engine, region: &str, pk: &str) -> Value {
        call(
            engine,
            region,
            "GetItem",
            json!({"TableName": "glob", "Key": {"pk": {"S": pk}}}),
        )
        .get("Item")
        .cloned()
        .unwrap_or(Value::Null)
    }

    // A write is queued in its own transaction, so an acknowledged write reaches the other
    // region even when the process stops before the replicator ran: the queue is in SQLite.
    #[test]
    fn queued_writes_survive_a_restart() {
        let dir = std::env::temp_dir().join(format!("awsim-repl-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = crate::Config {
            data_dir: dir.clone(),
            in_memory: false,
            ..crate::Config::in_memory()
        };
        {
            let engine = Engine::open(&config).unwrap();
            global_table(&engine);
            call(
                &engine,
                "us-east-1",
                "PutItem",
                json!({"TableName": "glob", "Item": {"pk": {"S": "a"}, "v": {"N": "1"}}}),
            );
            assert_eq!(engine.replication_backlog().unwrap(), 1);
            assert_eq!(get(&engine, "eu-west-1", "a"), Value::Null);
            engine.close();
        }
        let engine = Engine::open(&config).unwrap();
        assert_eq!(engine.replication_backlog().unwrap(), 1);
        assert_eq!(engine.replicate().unwrap(), 1);
        assert_eq!(get(&engine, "eu-west-1", "a")["v"], json!({"N": "1"}));
        engine.close();
        let _ = std::fs::remove_dir_all(&dir);
    }

    // Last writer wins, and a deletion is a write: an older write arriving after a newer
    // deletion must not bring the item back (its tombstone wins), in either region.
    #[test]
    fn later_deletion_beats_an_earlier_write_delivered_late() {
        let engine = Engine::open(&crate::Config::in_memory()).unwrap();
        global_table(&engine);
        call(
            &engine,
            "eu-west-1",
            "PutItem",
            json!({"TableName": "glob", "Item": {"pk": {"S": "k"}, "v": {"S": "west"}}}),
        );
        engine.clock.advance(1.0);
        call(
            &engine,
            "us-east-1",
            "PutItem",
            json!({"TableName": "glob", "Item": {"pk": {"S": "k"}, "v": {"S": "east"}}}),
        );
        call(
            &engine,
            "us-east-1",
            "DeleteItem",
            json!({"TableName": "glob", "Key": {"pk": {"S": "k"}}}),
        );
        engine.replicate().unwrap();
        assert_eq!(get(&engine, "us-east-1", "k"), Value::Null);
        assert_eq!(get(&engine, "eu-west-1", "k"), Value::Null);
    }

    // Each region's stream records every change to its replica; the ones that arrived by
    // replication are marked (rendered with the replication principal), the local ones not,
    // and nothing is replicated back to where it came from.
    #[test]
    fn replicated_writes_are_marked_in_the_receiving_stream() {
        let engine = Engine::open(&crate::Config::in_memory()).unwrap();
        global_table(&engine);
        call(
            &engine,
            "us-east-1",
            "PutItem",
            json!({"TableName": "glob", "Item": {"pk": {"S": "e"}}}),
        );
        call(
            &engine,
            "eu-west-1",
            "PutItem",
            json!({"TableName": "glob", "Item": {"pk": {"S": "w"}}}),
        );
        assert_eq!(engine.replicate().unwrap(), 2);
        assert_eq!(engine.replicate().unwrap(), 0);
        for (region, local, remote) in [("us-east-1", "e", "w"), ("eu-west-1", "w", "e")] {
            let stream = engine.list_streams(&scope(region), Some("glob")).unwrap()[0].id;
            let records = engine.stream_records(stream, 0, 10).unwrap();
            let marks: Vec<(String, bool)> = records
                .iter()
                .map(|r| {
                    let keys = crate::engine::streams::decode(&r.keys).unwrap();
                    let pk = match keys.get("pk") {
                        Some(crate::model::AttributeValue::S(s)) => s.clone(),
                        other => panic!("{other:?}"),
                    };
                    (pk, r.replicated)
                })
                .collect();
            assert_eq!(
                marks,
                [(local.to_string(), false), (remote.to_string(), true)],
                "{region}"
            );
        }
    }

    // A request looks its table up before it takes the write lock; a replica added in between
    // must still receive the write (the write is queued for the group as it is at commit).
    #[test]
    fn a_write_racing_a_new_replica_is_replicated() {
        use crate::model::{AttributeValue, Item};
        let engine = Engine::open(&crate::Config::in_memory()).unwrap();
        call(
            &engine,
            "us-east-1",
            "CreateTable",
            json!({"TableName": "glob", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}}),
        );
        let stale = engine.table(&scope("us-east-1"), "glob").unwrap();
        call(
            &engine,
            "us-east-1",
            "UpdateTable",
            json!({"TableName": "glob", "ReplicaUpdates": [{"Create": {"RegionName": "eu-west-1"}}]}),
        );
        let item: Item = [("pk".to_string(), AttributeValue::S("late".into()))]
            .into_iter()
            .collect();
        engine.put_item(&stale, item, None).unwrap();
        assert_eq!(engine.replicate().unwrap(), 1);
        assert_eq!(
            get(&engine, "eu-west-1", "late")["pk"],
            json!({"S": "late"})
        );
    }

    // A replica added to a table with items starts with them, and a replica that leaves the
    // group stops receiving writes (its queued ones are dropped with it).
    #[test]
    fn new_replicas_start_with_the_items_and_removed_ones_stop() {
        let engine = Engine::open(&crate::Config::in_memory()).unwrap();
        call(
            &engine,
            "us-east-1",
            "CreateTable",
            json!({"TableName": "glob", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "x", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "GlobalSecondaryIndexes": [{"IndexName": "by-x", "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}],
                "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}}),
        );
        call(
            &engine,
            "us-east-1",
            "PutItem",
            json!({"TableName": "glob", "Item": {"pk": {"S": "old"}, "x": {"S": "1"}}}),
        );
        call(
            &engine,
            "us-east-1",
            "UpdateTable",
            json!({"TableName": "glob", "ReplicaUpdates": [{"Create": {"RegionName": "eu-west-1"}}]}),
        );
        let q = call(
            &engine,
            "eu-west-1",
            "Query",
            json!({"TableName": "glob", "IndexName": "by-x", "KeyConditionExpression": "x = :x", "ExpressionAttributeValues": {":x": {"S": "1"}}}),
        );
        assert_eq!(q["Count"], 1);
        call(
            &engine,
            "us-east-1",
            "PutItem",
            json!({"TableName": "glob", "Item": {"pk": {"S": "new"}}}),
        );
        call(
            &engine,
            "us-east-1",
            "UpdateTable",
            json!({"TableName": "glob", "ReplicaUpdates": [{"Delete": {"RegionName": "eu-west-1"}}]}),
        );
        assert_eq!(engine.replication_backlog().unwrap(), 0);
        let d = call(
            &engine,
            "us-east-1",
            "DescribeTable",
            json!({"TableName": "glob"}),
        );
        assert!(d["Table"].get("Replicas").is_none());
        assert!(crate::dispatch::call(
            &engine,
            &scope("eu-west-1"),
            Service::DynamoDb,
            "DescribeTable",
            &json!({"TableName": "glob"})
        )
        .is_err());
    }
}
