//! Database semantics: the table catalogue, items and their index rows, all through `storage`.
//! No HTTP, no JSON, no `__type` strings: callers get typed results and `Error`s.
pub mod admin;
pub mod backups;
pub mod bulk;
pub mod capacity;
pub mod clock;
pub mod combine;
pub mod export;
pub mod import;
pub mod insights;
pub mod jobs;
pub mod keys;
pub mod pitr;
mod put_hint;
pub mod read;
pub mod replication;
pub mod streams;
pub mod transact;
pub mod ttl;
pub mod vectors;

use crate::codec::item as codec;
use crate::error::{Error, ErrorKind, Result};
use crate::model::size::{item_size, MAX_ITEM_SIZE};
use crate::model::{IndexDef, Item, Scope, TableMeta};
use crate::storage::Tx;
use crate::storage::{self, Store, TableStats};
use crate::Config;
use clock::{Clock, OffsetClock};
use keys::{EncodedKey, IndexKey};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, RwLock};

type TableKey = (String, String, String);

/// Who made a write: a client, the TTL sweeper, or global-table replication from another region.
/// It decides the stream record's `userIdentity` and whether the write is replicated onward
/// (only a write made here is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Client,
    Ttl,
    Replication,
}

/// A condition on the current item of a write; the expression language plugs in here. Returns
/// Err(ConditionalCheckFailed...) to refuse the write.
pub type Condition<'a> = &'a dyn Fn(Option<&Item>) -> Result<()>;

pub struct Engine {
    store: Store,
    /// Every table's metadata, by (account, region, name). Changed only while the store's write
    /// lock is held, so it never disagrees with SQLite.
    tables: RwLock<HashMap<TableKey, Arc<TableMeta>>>,
    pub clock: Arc<OffsetClock>,
    /// Set once any table belongs to a replication group or has point-in-time recovery (at
    /// open, or when that changes). Only then does a write look its table up again under the
    /// write lock (`fresh`), so that plain tables pay nothing for global or PITR ones, and a
    /// write that looked its table up before PITR was enabled still logs its change.
    replicated: std::sync::atomic::AtomicBool,
    /// Held shared by every operation the server runs (and by its background tasks) and
    /// exclusively by a snapshot restore (`admin.rs`), which so waits for the operations in
    /// flight and lets none see the database change under it. A tokio lock: the server holds
    /// it across the `.await` of an operation; taking it costs an uncontended semaphore.
    pub gate: tokio::sync::RwLock<()>,
    /// How the operations that run inline on an async worker share the store's one writer
    /// connection (`dispatch::inline`): writes that arrive together run as one batch in one
    /// transaction, led by one of them, the others awaiting their answers without blocking
    /// their workers (`combine.rs`).
    pub combiner: combine::Combiner<Result<Vec<u8>>>,
    /// Inline writes in flight: while there are none, an inline read goes straight to the
    /// store's mutex (held for a microsecond by another read) instead of joining a batch.
    pub inline_writers: std::sync::atomic::AtomicUsize,
    /// Requests refused for want of capacity, by table (the metrics endpoint reads it).
    pub throttles: admin::Throttles,
    /// Background jobs (backups, restores, exports, imports) running in this process.
    running: Mutex<HashSet<jobs::Job>>,
    /// Wakes the job runner (`server.rs`) when a request queues work.
    pub jobs_ready: tokio::sync::Notify,
    /// Set when the server stops: jobs end at their next batch and resume at the next start.
    stopping: AtomicBool,
    /// Set while a snapshot restore replaces the database: no job starts, running ones stop at
    /// their next batch as on shutdown, and start over from the restored database after it.
    /// Changed only under `running`'s lock, so no claim slips past it.
    paused: AtomicBool,
    /// Signalled (with `running`'s lock) when the last running job ends.
    jobs_idle: std::sync::Condvar,
    /// "S3", where exports go and imports come from.
    pub objects: crate::objects::Objects,
    /// In-memory copies of vector indexes for SearchVectors (SQLite holds the truth).
    vectors: vectors::VectorCache,
    /// Whether limits are enforced (`--no-throttle` clears it; metering goes on).
    throttle: bool,
    /// The token buckets of tables with limits (`capacity.rs`).
    capacity: capacity::Buckets,
    /// Key counts of tables and GSIs with contributor insights enabled (`insights.rs`).
    insights: insights::Insights,
}

/// The `settings` row holding the admin clock's offset in milliseconds.
const CLOCK_OFFSET: &str = "clock_offset_ms";

/// DescribeTable's live numbers.
pub struct TableView {
    pub meta: Arc<TableMeta>,
    pub stats: TableStats,
    pub index_stats: HashMap<String, TableStats>,
}

/// A catalogue key as its three parts, owned (`TableKey`) or borrowed: the request path looks a
/// table up without building a key (three Strings) for it.
trait KeyParts {
    fn parts(&self) -> (&str, &str, &str);
}

impl KeyParts for TableKey {
    fn parts(&self) -> (&str, &str, &str) {
        (&self.0, &self.1, &self.2)
    }
}

impl KeyParts for (&str, &str, &str) {
    fn parts(&self) -> (&str, &str, &str) {
        *self
    }
}

impl<'a> std::borrow::Borrow<dyn KeyParts + 'a> for TableKey {
    fn borrow(&self) -> &(dyn KeyParts + 'a) {
        self
    }
}

// As a tuple of Strings hashes: each part as a str, in order.
impl std::hash::Hash for dyn KeyParts + '_ {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.parts().hash(h)
    }
}

impl PartialEq for dyn KeyParts + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn KeyParts + '_ {}

fn key(scope: &Scope, name: &str) -> TableKey {
    (
        scope.account.clone(),
        scope.region.clone(),
        name.to_string(),
    )
}

impl Engine {
    /// Whether reads run on the writer connection (an in-memory store).
    pub fn reads_use_writer(&self) -> bool {
        self.store.reads_use_writer()
    }

    /// Runs an inline operation's `work` through the combiner: in a batch with the others
    /// that arrive meanwhile, one write transaction for the batch (`combine.rs`).
    pub async fn inline(&self, work: combine::Work<Result<Vec<u8>>>) -> Result<Vec<u8>> {
        let group = |batch: &mut dyn FnMut() -> Vec<Result<Vec<u8>>>| self.store.group(batch);
        let gone = || Err(Error::internal("operation panicked"));
        self.combiner.run(work, &group, gone).await
    }

    pub fn open(config: &Config) -> Result<Engine> {
        let store = Store::open(if config.in_memory {
            None
        } else {
            Some(&config.data_dir)
        })?;
        if let Some(bytes) = config.max_db_bytes {
            store.limit_size(bytes)?;
        }
        // Vector removals are kept only for in-memory copies; none exists yet.
        store.write(storage::vectors::purge_removed)?;
        let (tables, replicated) = catalogue(store.read(|c| storage::load_tables(c))?);
        let objects = crate::objects::Objects::new(object_location(config)?);
        // Time moved by the admin API stays moved across a restart: stream records, TTL
        // expiries and PITR history written at the moved time stay in order.
        let offset = store.read(|c| storage::setting(c, CLOCK_OFFSET))?;
        Ok(Engine {
            store,
            tables: RwLock::new(tables),
            clock: Arc::new(OffsetClock::with_offset_ms(offset.unwrap_or(0))),
            replicated: std::sync::atomic::AtomicBool::new(replicated),
            throttle: config.throttle,
            capacity: Default::default(),
            insights: Default::default(),
            gate: tokio::sync::RwLock::new(()),
            combiner: combine::Combiner::default(),
            inline_writers: std::sync::atomic::AtomicUsize::new(0),
            throttles: admin::Throttles::default(),
            running: Mutex::new(HashSet::new()),
            jobs_ready: tokio::sync::Notify::new(),
            stopping: AtomicBool::new(false),
            paused: AtomicBool::new(false),
            jobs_idle: std::sync::Condvar::new(),
            objects,
            vectors: vectors::VectorCache::default(),
        })
    }

    /// Moves awsim's clock on by `seconds` and records the new offset, so a restart keeps it.
    pub fn advance_clock(&self, seconds: f64) -> Result<()> {
        self.store.write(|tx| {
            let offset = self.clock.advance(seconds);
            storage::set_setting(tx, CLOCK_OFFSET, offset)
        })
    }

    /// The table's metadata as the catalogue has it now, when that may differ from the `meta` a
    /// request looked up before it took the write lock: a replication group formed or changed
    /// meanwhile, and the write must be queued for the group as it is at commit. Called under
    /// the write lock; None when nothing can differ (no table is global) or nothing did.
    pub(crate) fn fresh(&self, meta: &TableMeta) -> Option<Arc<TableMeta>> {
        if !self.replicated.load(std::sync::atomic::Ordering::Acquire) {
            return None;
        }
        let tables = self.tables.read().unwrap_or_else(|p| p.into_inner());
        tables
            .get(&(meta.account.clone(), meta.region.clone(), meta.name.clone()))
            .filter(|m| m.id == meta.id && !std::ptr::eq(&***m, meta))
            .cloned()
    }

    /// Records that some table is now global or has PITR (see `fresh`).
    pub(crate) fn mark_replicated(&self) {
        self.replicated
            .store(true, std::sync::atomic::Ordering::Release);
    }

    pub fn close(&self) {
        self.store.close();
    }

    pub fn now(&self) -> f64 {
        self.clock.now()
    }

    /// A table the data plane may use: a table still being restored or imported (CREATING) is
    /// not found yet, as in the service.
    pub fn table(&self, scope: &Scope, name: &str) -> Result<Arc<TableMeta>> {
        let meta = self.table_any(scope, name)?;
        if meta.status == "CREATING" {
            return Err(Error::table_not_found());
        }
        Ok(meta)
    }

    /// A table whatever its state (DescribeTable, DeleteTable, name collisions).
    pub fn table_any(&self, scope: &Scope, name: &str) -> Result<Arc<TableMeta>> {
        self.tables
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(scope.account.as_str(), scope.region.as_str(), name) as &dyn KeyParts)
            .cloned()
            .ok_or_else(Error::table_not_found)
    }

    pub fn table_exists(&self, scope: &Scope, name: &str) -> bool {
        self.table_any(scope, name).is_ok()
    }

    /// Names of the scope's tables, sorted as ListTables returns them.
    pub fn table_names(&self, scope: &Scope) -> Vec<String> {
        let tables = self.tables.read().unwrap_or_else(|p| p.into_inner());
        let mut names: Vec<String> = tables
            .keys()
            .filter(|(a, r, _)| *a == scope.account && *r == scope.region)
            .map(|(_, _, n)| n.clone())
            .collect();
        names.sort();
        names
    }

    /// Every table of an account, in every region.
    pub fn account_tables(&self, account: &str) -> Vec<Arc<TableMeta>> {
        let tables = self.tables.read().unwrap_or_else(|p| p.into_inner());
        tables
            .iter()
            .filter(|((a, _, _), _)| a == account)
            .map(|(_, m)| m.clone())
            .collect()
    }

    pub fn describe(&self, scope: &Scope, name: &str) -> Result<TableView> {
        let meta = self.table_any(scope, name)?;
        self.view(meta)
    }

    pub fn view(&self, meta: Arc<TableMeta>) -> Result<TableView> {
        self.store.read(|conn| {
            let stats = storage::table_stats(conn, meta.id)?;
            let mut index_stats = HashMap::new();
            for ix in meta.indexes() {
                index_stats.insert(
                    ix.name.clone(),
                    storage::index_stats(conn, meta.id, &ix.name)?,
                );
            }
            for ix in &meta.vector_indexes {
                let (item_count, size_bytes) = storage::vectors::stats(conn, meta.id, &ix.name)?;
                index_stats.insert(
                    ix.name.clone(),
                    TableStats {
                        item_count,
                        size_bytes,
                    },
                );
            }
            Ok(TableView {
                meta: meta.clone(),
                stats,
                index_stats,
            })
        })
    }

    /// Runs `f` in a write transaction over a copy of the table catalogue, which replaces the
    /// catalogue only once the transaction has committed: a commit that fails (a full disk)
    /// leaves the catalogue as the disk is, and no reader sees a table change that a crash
    /// before the commit would take back. The catalogue stays locked until then, so table
    /// changes apply one at a time.
    fn write_catalogue<T>(
        &self,
        f: impl FnOnce(&Tx, &mut HashMap<TableKey, Arc<TableMeta>>) -> Result<T>,
    ) -> Result<T> {
        let (mut guard, tables, out) = self.store.write(|tx| {
            let guard = self.tables.write().unwrap_or_else(|p| p.into_inner());
            let mut tables = (*guard).clone();
            let out = f(tx, &mut tables)?;
            Ok((guard, tables, out))
        })?;
        *guard = tables;
        Ok(out)
    }

    /// Creates a table; `meta.id` is assigned here.
    pub fn create_table(&self, mut meta: TableMeta) -> Result<Arc<TableMeta>> {
        self.write_catalogue(|tx, tables| {
            let k = (meta.account.clone(), meta.region.clone(), meta.name.clone());
            if tables.contains_key(&k) {
                return Err(Error::new(
                    ErrorKind::ResourceInUse,
                    format!("Table already exists: {}", meta.name),
                ));
            }
            streams::sync(tx, None, &mut meta, self.now())?;
            meta.id = storage::insert_table(tx, &meta)?;
            let meta = Arc::new(meta);
            tables.insert(k, meta.clone());
            Ok(meta)
        })
    }

    /// Deletes a table with its items and index rows; returns its last description.
    pub fn delete_table(
        &self,
        scope: &Scope,
        name: &str,
        check: impl FnOnce(&TableMeta) -> Result<()>,
    ) -> Result<TableView> {
        let meta = self.table_any(scope, name)?;
        if meta.status == "CREATING" {
            return Err(Error::new(
                ErrorKind::ResourceInUse,
                format!("Attempt to change a resource which is still in use: Table is being created: {name}"),
            ));
        }
        check(&meta)?;
        let view = self.view(meta.clone())?;
        self.write_catalogue(|tx, tables| {
            let Some(current) = tables.remove(&key(scope, name)) else {
                return Err(Error::table_not_found());
            };
            // A replica of a global table leaves its group (the others stop replicating to it).
            replication::leave_group(tx, tables, &current)?;
            if meta.pitr.is_some() {
                storage::purge_log(tx, meta.id, f64::INFINITY)?;
            }
            // The stream stays readable until its retention ends.
            if let Some(stream) = meta.stream.as_ref().filter(|s| s.enabled && s.id > 0) {
                storage::disable_stream(tx, stream.id, self.now())?;
            }
            storage::vectors::forget_table(tx, meta.id)?;
            storage::delete_table(tx, meta.id)
        })?;
        self.vectors.forget(meta.id, None);
        // Its buckets and contributor insights' counts go with it.
        self.capacity.forget(&meta);
        self.forget_insights(&meta);
        Ok(view)
    }

    /// Applies `change` to a copy of the table's metadata and persists it. New GSIs (present in
    /// the new metadata only) are backfilled from the items; removed ones lose their rows.
    pub fn update_table(
        &self,
        scope: &Scope,
        name: &str,
        change: impl FnOnce(&mut TableMeta) -> Result<()>,
    ) -> Result<Arc<TableMeta>> {
        self.write_catalogue(|tx, tables| {
            let k = key(scope, name);
            let old = tables.get(&k).cloned().ok_or_else(Error::table_not_found)?;
            let mut meta = (*old).clone();
            change(&mut meta)?;
            for gone in old.gsis.iter().filter(|g| meta.index(&g.name).is_none()) {
                storage::drop_index_rows(tx, meta.id, &gone.name)?;
            }
            let added: Vec<IndexDef> = meta
                .gsis
                .iter()
                .filter(|g| old.index(&g.name).is_none())
                .cloned()
                .collect();
            if !added.is_empty() {
                backfill(tx, &meta, &added)?;
            }
            // Vector indexes likewise.
            for gone in old
                .vector_indexes
                .iter()
                .filter(|v| meta.vector_index(&v.name).is_none())
            {
                storage::vectors::drop_rows(tx, meta.id, Some(&gone.name))?;
                self.vectors.forget(meta.id, Some(&gone.name));
            }
            let added: Vec<crate::model::VectorIndexDef> = meta
                .vector_indexes
                .iter()
                .filter(|v| old.vector_index(&v.name).is_none())
                .cloned()
                .collect();
            if !added.is_empty() {
                vectors::backfill(tx, &meta, &added)?;
            }
            streams::sync(tx, Some(&old), &mut meta, self.now())?;
            if old.ttl != meta.ttl {
                ttl::reindex(tx, &meta)?;
            }
            if old.pitr.is_some() && meta.pitr.is_none() {
                storage::purge_log(tx, meta.id, f64::INFINITY)?;
            }
            storage::update_table_meta(tx, &meta)?;
            let meta = Arc::new(meta);
            tables.insert(k, meta.clone());
            if meta.pitr.is_some() {
                // Writes that looked the table up before now re-read it (`fresh`) and log.
                self.mark_replicated();
            }
            Ok(meta)
        })
    }

    /// TruncateTable: deletes every item of the table with its index rows in one transaction
    /// and returns how many there were. With a stream, replicas or PITR each item is removed
    /// as a DeleteItem would (REMOVE record, replicated deletion, logged change); otherwise in
    /// bulk.
    pub fn truncate_table(&self, meta: &TableMeta) -> Result<u64> {
        self.store.write(|tx| {
            let current = self
                .tables
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .get(&(meta.account.clone(), meta.region.clone(), meta.name.clone()))
                .cloned()
                .ok_or_else(Error::table_not_found)?;
            let meta = &*current;
            let per_item = meta.stream.as_ref().is_some_and(|s| s.enabled && s.id > 0)
                || meta.is_replicated()
                || meta.pitr.is_some();
            if !per_item {
                storage::vectors::drop_rows(tx, meta.id, None)?;
                return storage::truncate_items(tx, meta.id);
            }
            let mut keys = Vec::new();
            storage::for_each_item(tx, meta.id, |pk, sk, _| {
                keys.push(EncodedKey {
                    pk: pk.to_vec(),
                    sk: sk.to_vec(),
                });
                Ok(())
            })?;
            let now = self.now();
            let mut deleted = 0;
            for key in keys {
                if let Some(current) = read_current(tx, meta.id, &key)? {
                    remove_item(tx, meta, &key, &current, now, Origin::Client)?;
                    deleted += 1;
                }
            }
            Ok(deleted)
        })
    }

    /// One item as stored (the codec's bytes, for callers that render it without decoding)
    /// and its size by the service's rules.
    pub fn get_item(&self, meta: &TableMeta, key: &EncodedKey) -> Result<Option<(Vec<u8>, i64)>> {
        self.store
            .read(|conn| storage::get_item_with_size(conn, meta.id, &key.pk, &key.sk))
    }

    /// Size in bytes of the item collection (the partition's items and their LSI rows) holding
    /// `item`'s key; None for a table without LSIs, which has no item collections.
    pub fn item_collection_size(&self, meta: &TableMeta, item: &Item) -> Result<Option<i64>> {
        if meta.lsis.is_empty() {
            return Ok(None);
        }
        let key = keys::stored_key(&meta.key, item);
        let lsis: Vec<&str> = meta.lsis.iter().map(|l| l.name.as_str()).collect();
        self.store
            .read(|conn| storage::collection_size(conn, meta.id, &key.pk, &lsis))
            .map(Some)
    }

    /// Writes a whole item; returns the item it replaced. `condition` sees the current item
    /// (and may refuse the write); without one, a new key is written without reading first.
    pub fn put_item(
        &self,
        meta: &TableMeta,
        item: Item,
        condition: Option<Condition>,
    ) -> Result<Option<Item>> {
        let prepared = Prepared::new(
            meta,
            item,
            "Item size has exceeded the maximum allowed size",
        )?;
        self.store.write(|tx| {
            let fresh = self.fresh(meta);
            let meta = fresh.as_deref().unwrap_or(meta);
            // Nothing to check: the item is inserted if its key is free, which is then known
            // to hold no old item; else the old one is read and replaced as below. (Unless
            // this table's puts have lately found their keys taken: reading first is then
            // cheaper, `put_hint`.)
            let unchecked = condition.is_none();
            let tried = unchecked && put_hint::insert_first(meta.id);
            if tried {
                let inserted = insert_new(tx, meta, &prepared)?;
                put_hint::record(meta.id, !inserted);
                if inserted {
                    return after_write(tx, meta, &prepared, None, self.now(), Origin::Client)
                        .map(|()| None);
                }
            }
            let old = read_current(tx, meta.id, &prepared.key)?;
            if unchecked && !tried {
                put_hint::record(meta.id, old.is_some());
            }
            if let Some(cond) = condition {
                cond(old.as_ref().map(|(i, _)| i))?;
            }
            write_prepared(
                tx,
                meta,
                &prepared,
                old.as_ref(),
                self.now(),
                Origin::Client,
            )?;
            Ok(old.map(|(i, _)| i))
        })
    }

    /// Reads the item at `key` and replaces it with `update(current)` in one transaction (the
    /// update checks its own condition). Returns the old and the new item.
    pub fn update_item(
        &self,
        meta: &TableMeta,
        key: &EncodedKey,
        update: &dyn Fn(Option<&Item>) -> Result<Option<Item>>,
    ) -> Result<(Option<Item>, Option<Item>)> {
        self.store.write(|tx| {
            let old = read_current(tx, meta.id, key)?;
            // None: an update that leaves an absent item absent (it only removes).
            let Some(new) = update(old.as_ref().map(|(i, _)| i))? else {
                return Ok((old.map(|(i, _)| i), None));
            };
            let prepared = Prepared::new(
                meta,
                new,
                "Item size to update has exceeded the maximum allowed size",
            )?;
            let fresh = self.fresh(meta);
            write_prepared(
                tx,
                fresh.as_deref().unwrap_or(meta),
                &prepared,
                old.as_ref(),
                self.now(),
                Origin::Client,
            )?;
            Ok((old.map(|(i, _)| i), Some(prepared.item)))
        })
    }

    /// Deletes an item by key; returns the deleted item.
    pub fn delete_item(
        &self,
        meta: &TableMeta,
        key: &EncodedKey,
        condition: Option<Condition>,
    ) -> Result<Option<Item>> {
        self.store.write(|tx| {
            let old = read_current(tx, meta.id, key)?;
            if let Some(cond) = condition {
                cond(old.as_ref().map(|(i, _)| i))?;
            }
            if let Some(current) = &old {
                let fresh = self.fresh(meta);
                let meta = fresh.as_deref().unwrap_or(meta);
                remove_item(tx, meta, key, current, self.now(), Origin::Client)?;
            }
            Ok(old.map(|(i, _)| i))
        })
    }
}

/// The catalogue of the tables stored, and whether any of them is global or has PITR (the
/// `replicated` flag, see `Engine::fresh`).
fn catalogue(metas: Vec<TableMeta>) -> (HashMap<TableKey, Arc<TableMeta>>, bool) {
    let tables: HashMap<TableKey, Arc<TableMeta>> = metas
        .into_iter()
        .map(|m| {
            (
                (m.account.clone(), m.region.clone(), m.name.clone()),
                Arc::new(m),
            )
        })
        .collect();
    let replicated = tables
        .values()
        .any(|m| !m.replicas.is_empty() || m.pitr.is_some());
    (tables, replicated)
}

/// Decodes a stored item row; a corrupt row is an internal fault, never a panic.
pub fn decode_row(bytes: &[u8]) -> Result<Item> {
    Ok(codec::decode_item(bytes)?)
}

/// An item ready to be written: its key, size, encoded bytes and index keys, all validated.
struct Prepared<'m> {
    meta: &'m TableMeta,
    key: EncodedKey,
    size: usize,
    bytes: Vec<u8>,
    index_keys: Vec<(&'m IndexDef, IndexKey)>,
    /// The item's entry in each vector index of the table (None: not in it).
    vectors: Vec<Option<vectors::Entry>>,
    item: Item,
}

impl<'m> Prepared<'m> {
    fn new(meta: &'m TableMeta, item: Item, too_large: &str) -> Result<Prepared<'m>> {
        let key = keys::item_key(&meta.key, &item)?;
        let size = item_size(&item);
        if size > MAX_ITEM_SIZE {
            return Err(Error::validation(too_large));
        }
        // Index keys are computed (and validated) once, before anything is written.
        let mut index_keys = Vec::new();
        for ix in meta.indexes() {
            if let Some(ik) = keys::index_key(&meta.key, ix, &item)? {
                index_keys.push((ix, ik));
            }
        }
        let vectors = vectors::entries(meta, &item)?;
        Ok(Prepared {
            meta,
            key,
            size,
            bytes: codec::encode_item(&item),
            index_keys,
            vectors,
            item,
        })
    }

    /// The item's row in `meta` (the table as it is now: TTL may have changed since).
    fn row<'a>(&'a self, meta: &TableMeta) -> storage::ItemRow<'a> {
        storage::ItemRow {
            table: meta.id,
            pk: &self.key.pk,
            sk: &self.key.sk,
            bytes: &self.bytes,
            size: self.size as i64,
            expires: ttl::expiry(meta, &self.item),
        }
    }
}

/// Replaces `old` (the current row, if any) by `p`: index rows, statistics, TTL expiry and the
/// stream record included.
fn write_prepared(
    tx: &Tx,
    meta: &TableMeta,
    p: &Prepared,
    old: Option<&(Item, i64)>,
    now: f64,
    origin: Origin,
) -> Result<()> {
    if let Some((old_item, _)) = old {
        remove_index_rows(tx, meta, &p.key, old_item)?;
    }
    storage::put_item(tx, &p.row(meta), old.map(|(_, s)| *s))?;
    after_write(tx, meta, p, old, now, origin)
}

/// Inserts `p` if its key holds no item yet (statistics included); false, with nothing
/// written, if it does.
fn insert_new(tx: &Tx, meta: &TableMeta, p: &Prepared) -> Result<bool> {
    storage::insert_new_item(tx, &p.row(meta))
}

/// The rest of a write once `p`'s row has replaced `old` (and `old`'s index rows are gone):
/// the PITR log, index rows, vector entries, the replication record and the stream record.
fn after_write(
    tx: &Tx,
    meta: &TableMeta,
    p: &Prepared,
    old: Option<&(Item, i64)>,
    now: f64,
    origin: Origin,
) -> Result<()> {
    if meta.pitr.is_some() {
        let old_bytes = old.map(|(i, s)| (codec::encode_item(i), *s));
        let old_row = old_bytes.as_ref().map(|(b, s)| (b.as_slice(), *s));
        storage::log_change(tx, meta.id, &p.key.pk, &p.key.sk, now, old_row)?;
    }
    for (ix, ik) in &p.index_keys {
        add_index_row(tx, meta, ix, &p.key, ik, &p.item)?;
    }
    if !meta.vector_indexes.is_empty() {
        vectors::write(tx, meta, &p.key, &p.vectors)?;
    }
    if origin != Origin::Replication {
        replication::record(tx, meta, &p.key, Some(&p.bytes), now)?;
    }
    streams::emit(tx, meta, now, old.map(|(i, _)| i), Some(&p.item), origin)
}

/// Deletes the current item at `key` (read by the caller): index rows, statistics and the
/// stream record included.
fn remove_item(
    tx: &Tx,
    meta: &TableMeta,
    key: &EncodedKey,
    current: &(Item, i64),
    now: f64,
    origin: Origin,
) -> Result<()> {
    let (item, size) = current;
    remove_index_rows(tx, meta, key, item)?;
    if !meta.vector_indexes.is_empty() {
        vectors::remove(tx, meta, key)?;
    }
    storage::delete_item(tx, meta.id, &key.pk, &key.sk, *size)?;
    if meta.pitr.is_some() {
        let old = codec::encode_item(item);
        storage::log_change(tx, meta.id, &key.pk, &key.sk, now, Some((&old, *size)))?;
    }
    if origin != Origin::Replication {
        replication::record(tx, meta, key, None, now)?;
    }
    streams::emit(tx, meta, now, Some(item), None, origin)
}

fn read_current(tx: &Tx, table: i64, key: &EncodedKey) -> Result<Option<(Item, i64)>> {
    let Some((bytes, size)) = storage::get_item_with_size(tx, table, &key.pk, &key.sk)? else {
        return Ok(None);
    };
    let item = decode_row(&bytes)?;
    Ok(Some((item, size)))
}

fn add_index_row(
    tx: &Tx,
    meta: &TableMeta,
    ix: &IndexDef,
    key: &EncodedKey,
    ik: &IndexKey,
    item: &Item,
) -> Result<()> {
    let projected = keys::project_for_index(meta, ix, item);
    let row = storage::IndexRow {
        index: &ix.name,
        ipk: &ik.pk,
        isk: &ik.sk,
        tie: &ik.tie,
        pk: &key.pk,
        sk: &key.sk,
        projected: &codec::encode_item(&projected),
        size: item_size(&projected) as i64,
    };
    storage::put_index_row(tx, meta.id, &row)
}

fn remove_index_rows(tx: &Tx, meta: &TableMeta, key: &EncodedKey, old: &Item) -> Result<()> {
    for ix in meta.indexes() {
        if let Ok(Some(ik)) = keys::index_key(&meta.key, ix, old) {
            let row = storage::IndexRowKey {
                ipk: &ik.pk,
                isk: &ik.sk,
                tie: &ik.tie,
                pk: &key.pk,
                sk: &key.sk,
            };
            storage::delete_index_row(tx, meta.id, &ix.name, &row)?;
        }
    }
    Ok(())
}

/// Fills new GSIs from the table's items. Items whose index key has the wrong type are skipped,
/// as the service leaves them out of the index.
fn backfill(tx: &Tx, meta: &TableMeta, added: &[IndexDef]) -> Result<()> {
    // Streams the items (index rows go to another SQLite table, so writing while reading is fine).
    storage::for_each_item(tx, meta.id, |pk, sk, bytes| {
        let item = decode_row(bytes)?;
        let key = EncodedKey {
            pk: pk.to_vec(),
            sk: sk.to_vec(),
        };
        for ix in added {
            if let Ok(Some(ik)) = keys::index_key(&meta.key, ix, &item) {
                add_index_row(tx, meta, ix, &key, &ik, &item)?;
            }
        }
        Ok(())
    })
}

/// Where exports go: the configured S3 endpoint, else `{data_dir}/s3`, or for an in-memory run
/// a fresh temporary directory (logged, so its exports can be found).
fn object_location(config: &Config) -> Result<crate::objects::Location> {
    use crate::objects::Location;
    if let Some(url) = &config.s3_endpoint {
        return Ok(Location::Endpoint(url.clone()));
    }
    if config.in_memory {
        // Not created here: a bucket is a directory the user makes (`mkdir -p <dir>/<bucket>`),
        // and most in-memory runs (tests) never export.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("awsim-s3-{}-{n}", std::process::id()));
        tracing::info!(
            "in-memory run: S3 buckets are directories under {}",
            dir.display()
        );
        return Ok(Location::Directory(dir));
    }
    let dir = config.data_dir.join("s3");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::internal(format!("creating {}: {e}", dir.display())))?;
    Ok(Location::Directory(dir))
}

/// For tests: an in-memory engine and the default account's scope, answering through the
/// dispatcher (a refused call panics, naming its operation).
#[cfg(test)]
pub(crate) struct TestEngine {
    pub engine: Engine,
    pub scope: Scope,
}

#[cfg(test)]
impl TestEngine {
    pub fn new() -> TestEngine {
        TestEngine {
            engine: Engine::open(&crate::Config::in_memory()).unwrap(),
            scope: Scope {
                account: "000000000000".into(),
                region: "us-east-1".into(),
            },
        }
    }

    /// A DynamoDB call.
    pub fn call(&self, op: &str, body: serde_json::Value) -> serde_json::Value {
        self.call_service(crate::protocol::Service::DynamoDb, op, body)
    }

    pub fn call_service(
        &self,
        service: crate::protocol::Service,
        op: &str,
        body: serde_json::Value,
    ) -> serde_json::Value {
        crate::dispatch::call(&self.engine, &self.scope, service, op, &body)
            .unwrap_or_else(|e| panic!("{op}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    // A table is found by its borrowed key parts exactly as by its owned key (same hash, same
    // equality), or every lookup of the request path would miss.
    #[test]
    fn borrowed_catalogue_keys_find_owned_ones() {
        let mut m = std::collections::HashMap::new();
        m.insert(("1".to_string(), "r".to_string(), "t".to_string()), 7);
        let hit: &dyn super::KeyParts = &("1", "r", "t");
        let miss: &dyn super::KeyParts = &("1", "rt", "");
        assert_eq!(m.get(hit), Some(&7));
        assert_eq!(m.get(miss), None);
    }

    // A put without a condition inserts a new key without reading it first, and replaces an
    // existing one through the read: both keep the statistics, the index and the stream true.
    #[test]
    fn puts_of_new_and_existing_keys_keep_stats_indexes_and_streams() {
        use crate::protocol::Service;
        use serde_json::{json, Value};
        let t = super::TestEngine::new();
        let (engine, scope) = (&t.engine, &t.scope);
        let call = |op: &str, body: Value| t.call(op, body);
        call(
            "CreateTable",
            json!({
                "TableName": "tbl", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "GlobalSecondaryIndexes": [{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}],
                "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}
            }),
        );
        let put = |g: &str, pad: &str| {
            call(
                "PutItem",
                json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}, "g": {"S": g}, "pad": {"S": pad}}, "ReturnValues": "ALL_OLD"}),
            )
        };
        let stats = || {
            let meta = engine.table(scope, "tbl").unwrap();
            engine
                .store
                .read(|conn| crate::storage::table_stats(conn, meta.id))
                .unwrap()
        };
        let in_index = |g: &str| {
            call(
                "Query",
                json!({"TableName": "tbl", "IndexName": "by-g", "KeyConditionExpression": "g = :g", "ExpressionAttributeValues": {":g": {"S": g}}}),
            )["Count"]
                .as_i64()
                .unwrap()
        };
        // New key: no old item, counted once.
        assert!(put("x", "12345").get("Attributes").is_none());
        let first = stats();
        assert_eq!(first.item_count, 1);
        assert_eq!(in_index("x"), 1);
        // Same key: the old item comes back, the count stays, the size follows the new item.
        let old = put("y", "1");
        assert_eq!(old["Attributes"]["g"], json!({"S": "x"}));
        let second = stats();
        assert_eq!(second.item_count, 1);
        assert_eq!(second.size_bytes, first.size_bytes - 4);
        assert_eq!((in_index("x"), in_index("y")), (0, 1));
        // The stream saw an INSERT, then a MODIFY with the old image.
        let arn = call("DescribeTable", json!({"TableName": "tbl"}))["Table"]["LatestStreamArn"]
            .as_str()
            .unwrap()
            .to_string();
        let streams = |op: &str, body: Value| t.call_service(Service::Streams, op, body);
        let shard = streams("DescribeStream", json!({"StreamArn": arn}))["StreamDescription"]
            ["Shards"][0]["ShardId"]
            .clone();
        let iterator = streams(
            "GetShardIterator",
            json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
        )["ShardIterator"]
            .clone();
        let got = streams("GetRecords", json!({"ShardIterator": iterator}));
        let records = got["Records"].as_array().unwrap();
        let events: Vec<&str> = records
            .iter()
            .map(|r| r["eventName"].as_str().unwrap())
            .collect();
        assert_eq!(events, ["INSERT", "MODIFY"]);
        assert_eq!(records[1]["dynamodb"]["OldImage"]["g"], json!({"S": "x"}));
        // BatchWriteItem and TransactWriteItems, over an existing key and a new one each.
        let item = |pk: &str, g: &str| json!({"pk": {"S": pk}, "g": {"S": g}});
        call(
            "BatchWriteItem",
            json!({"RequestItems": {"tbl": [{"PutRequest": {"Item": item("a", "z")}}, {"PutRequest": {"Item": item("b", "z")}}]}}),
        );
        assert_eq!((in_index("y"), in_index("z")), (0, 2));
        call(
            "TransactWriteItems",
            json!({"TransactItems": [{"Put": {"TableName": "tbl", "Item": item("b", "w")}}, {"Put": {"TableName": "tbl", "Item": item("c", "w")}}]}),
        );
        assert_eq!((in_index("z"), in_index("w")), (1, 2));
        let id = engine.table(scope, "tbl").unwrap().id;
        let truth: (i64, i64) = engine
            .store
            .read(|conn| {
                Ok(conn.query_row(
                    "SELECT count(*), sum(size) FROM items WHERE table_id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .unwrap();
        let kept = stats();
        assert_eq!((kept.item_count, kept.size_bytes), truth);
        assert_eq!(truth.0, 3);
        // Overwrites turn this thread's hint for the table to reading first (`put_hint`): a
        // new key is then found free by the read, and counted all the same.
        assert_eq!(put("y", "1")["Attributes"]["g"], json!({"S": "z"}));
        for _ in 0..5 {
            assert_eq!(put("y", "1")["Attributes"]["g"], json!({"S": "y"}));
        }
        assert!(!super::put_hint::insert_first(
            engine.table(scope, "tbl").unwrap().id
        ));
        call(
            "PutItem",
            json!({"TableName": "tbl", "Item": {"pk": {"S": "n"}, "g": {"S": "y"}}}),
        );
        assert_eq!((stats().item_count, in_index("y")), (4, 2));
    }
}
