//! Capacity: what a request consumes, by the service's unit rules, and the token buckets that
//! enforce provisioned throughput and on-demand maximums.
//!
//! Units: a read costs one unit per started 4 KB (half for an eventually consistent read), a
//! write one per started 1 KB of the larger of the old and the new item; a secondary index
//! costs what its entry changes (nothing when its projection is unchanged, one write for an
//! entry added, removed or rewritten, two when its key moves). Transactions double all of it
//! (the caller's factor).
//!
//! Buckets: one per (table or GSI, read or write) of a table with limits: provisioned capacity
//! (refilled at RCU/WCU per second, holding up to 300 seconds of it) or an on-demand maximum
//! (MaxRead/WriteRequestUnits per second, holding one second of it). LSIs have no capacity of
//! their own: their reads and writes are charged to the table. A GSI's writes are charged to
//! the GSI, and a write its GSI cannot afford is refused as a whole, as the service refuses it.
//! Buckets refill lazily from the engine clock (so tests move time instead of sleeping), start
//! full, and are rebuilt (full, at the new size) when their limit changes (UpdateTable), the
//! table's other buckets keeping their level; nothing here is persisted (a restart refills).
//!
//! A request is admitted when every bucket it draws from holds what it costs, or is full (so a
//! request larger than a whole burst still runs, on a full bucket, and leaves it in debt); then
//! all of it is taken at once. A refused request takes nothing. `charge` is the only entry: a
//! table without limits (PAY_PER_REQUEST without OnDemandThroughput) returns before touching
//! any lock, and so does everything under `--no-throttle`.
//!
//! Depends on `model` and the engine's clock; no JSON, no wire names beyond the service's
//! messages and throttling reason strings.
use super::Engine;
use crate::error::{Error, ErrorDetail, ErrorKind, Result, ThrottlingReason};
use crate::model::size::{item_size, value_size};
use crate::model::{BillingMode, IndexDef, IndexKind, Item, ProjectionType, TableMeta};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

/// Seconds of unused provisioned capacity a bucket keeps (the service's burst capacity).
pub const BURST_SECONDS: f64 = 300.0;

/// Seconds of an on-demand maximum a bucket keeps: the maximum is a ceiling on throughput per
/// second, not an allowance that accumulates.
pub const ON_DEMAND_BURST_SECONDS: f64 = 1.0;

/// The service's message for a table out of provisioned capacity.
pub const TABLE_EXCEEDED: &str = "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.";

/// The service's message for a GSI out of provisioned capacity.
pub const INDEX_EXCEEDED: &str = "The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API.";

/// The message of a request refused by an on-demand maximum.
pub const ON_DEMAND_EXCEEDED: &str =
    "Throughput exceeds the maximum OnDemandThroughput configured on table or index";

/// Units consumed on one resource.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Units {
    pub read: f64,
    pub write: f64,
}

impl Units {
    pub fn total(&self) -> f64 {
        self.read + self.write
    }
    fn add(&mut self, other: Units) {
        self.read += other.read;
        self.write += other.write;
    }
    fn scale(&mut self, factor: f64) {
        self.read *= factor;
        self.write *= factor;
    }
}

/// What a request consumed on one table: on the table itself and on each secondary index it
/// touched (by position in `TableMeta::indexes()`: the GSIs, then the LSIs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Consumed {
    pub table: Units,
    pub indexes: Vec<(usize, Units)>,
}

impl Consumed {
    /// A read of the table alone.
    pub fn table_read(units: f64) -> Consumed {
        Consumed {
            table: Units {
                read: units,
                write: 0.0,
            },
            indexes: Vec::new(),
        }
    }

    /// A read of an index (`base` units for the table items an LSI read fetched).
    pub fn index_read(meta: &TableMeta, index: &IndexDef, units: f64, base: f64) -> Consumed {
        let mut c = Consumed::table_read(base);
        if let Some(at) = meta.indexes().position(|ix| ix.name == index.name) {
            c.add_index(
                at,
                Units {
                    read: units,
                    write: 0.0,
                },
            );
        }
        c
    }

    pub fn total(&self) -> f64 {
        self.table.total() + self.indexes.iter().map(|(_, u)| u.total()).sum::<f64>()
    }

    /// Everything read (table and indexes).
    pub fn read(&self) -> f64 {
        self.table.read + self.indexes.iter().map(|(_, u)| u.read).sum::<f64>()
    }

    /// Everything written (table and indexes).
    pub fn write(&self) -> f64 {
        self.table.write + self.indexes.iter().map(|(_, u)| u.write).sum::<f64>()
    }

    pub fn add_index(&mut self, at: usize, units: Units) {
        match self.indexes.iter_mut().find(|(i, _)| *i == at) {
            Some((_, u)) => u.add(units),
            None => self.indexes.push((at, units)),
        }
    }

    /// Adds another consumption of the same table.
    pub fn add(&mut self, other: &Consumed) {
        self.table.add(other.table);
        for (at, u) in &other.indexes {
            self.add_index(*at, *u);
        }
    }

    /// Multiplies every unit (transactions: 2).
    pub fn scale(&mut self, factor: f64) {
        self.table.scale(factor);
        for (_, u) in &mut self.indexes {
            u.scale(factor);
        }
    }
}

/// Read units of `size` bytes read in one go: per started 4 KB, half when eventually
/// consistent; never less than one unit's worth (a read that finds nothing costs that too).
pub fn read_units(size: usize, consistent: bool) -> f64 {
    size.div_ceil(4096).max(1) as f64 * if consistent { 1.0 } else { 0.5 }
}

/// Write units of one item write: per started 1 KB of the larger of the old and the new item.
pub fn write_units(old_size: usize, new_size: usize) -> f64 {
    old_size.max(new_size).div_ceil(1024).max(1) as f64
}

/// What replacing `old` by `new` costs (either may be absent: a put of a new item, a delete).
/// `new_size` is the new item's size; `new` itself is needed only when the table has
/// secondary indexes (their upkeep compares the old and new entries), so a caller writing to a
/// table without indexes may pass None with the size.
pub fn write_cost(
    meta: &TableMeta,
    old: Option<&Item>,
    new: Option<&Item>,
    new_size: usize,
) -> Consumed {
    let old_size = old.map_or(0, item_size);
    let mut c = Consumed {
        table: Units {
            read: 0.0,
            write: write_units(old_size, new_size),
        },
        indexes: Vec::new(),
    };
    for (at, ix) in meta.indexes().enumerate() {
        let units = index_upkeep(meta, ix, old, new);
        if units > 0.0 {
            c.indexes.push((
                at,
                Units {
                    read: 0.0,
                    write: units,
                },
            ));
        }
    }
    c
}

/// Write units an index spends when an item goes from `old` to `new`: nothing if the item is
/// in it neither before nor after, or its entry is unchanged; an entry added, removed or
/// rewritten costs its (larger) size per started 1 KB; an entry whose index key moved is a
/// delete and a put.
fn index_upkeep(meta: &TableMeta, ix: &IndexDef, old: Option<&Item>, new: Option<&Item>) -> f64 {
    let kb = |size: usize| size.div_ceil(1024).max(1) as f64;
    let o = old.filter(|i| in_index(ix, i));
    let n = new.filter(|i| in_index(ix, i));
    match (o, n) {
        (None, None) => 0.0,
        (Some(o), None) => kb(entry_size(meta, ix, o)),
        (None, Some(n)) => kb(entry_size(meta, ix, n)),
        (Some(o), Some(n)) => {
            if ix.key.attrs().any(|a| o.get(&a.name) != n.get(&a.name)) {
                kb(entry_size(meta, ix, o)) + kb(entry_size(meta, ix, n))
            } else if same_entry(meta, ix, o, n) {
                0.0
            } else {
                kb(entry_size(meta, ix, o).max(entry_size(meta, ix, n)))
            }
        }
    }
}

/// Whether the item has an entry in the index: every index key attribute, of its type.
fn in_index(ix: &IndexDef, item: &Item) -> bool {
    ix.key.attrs().all(|a| {
        item.get(&a.name)
            .is_some_and(|v| v.scalar_type() == Some(a.ty.scalar()))
    })
}

/// Whether the index holds attribute `name` of an item.
fn projects(meta: &TableMeta, ix: &IndexDef, name: &str) -> bool {
    match ix.projection.ty {
        ProjectionType::All => true,
        ty => {
            meta.key.contains(name)
                || ix.key.contains(name)
                || (ty == ProjectionType::Include
                    && ix
                        .projection
                        .non_key_attributes
                        .iter()
                        .flatten()
                        .any(|n| n == name))
        }
    }
}

/// The size of an item's entry in the index (its projected attributes), without building it.
pub(crate) fn entry_size(meta: &TableMeta, ix: &IndexDef, item: &Item) -> usize {
    if ix.projection.ty == ProjectionType::All {
        return item_size(item);
    }
    item.iter()
        .filter(|(k, _)| projects(meta, ix, k))
        .map(|(k, v)| k.len() + value_size(v))
        .sum()
}

/// Whether two items (with the same index key) have the same entry in the index.
fn same_entry(meta: &TableMeta, ix: &IndexDef, a: &Item, b: &Item) -> bool {
    if ix.projection.ty == ProjectionType::All {
        return a == b;
    }
    let held_a = a.iter().filter(|(k, _)| projects(meta, ix, k));
    let held_b = b.iter().filter(|(k, _)| projects(meta, ix, k));
    held_a.eq(held_b)
}

/// Whether a table has any limit to enforce: provisioned capacity, or an on-demand maximum on
/// the table or one of its GSIs. A table without limits is never throttled, and costs nothing
/// here beyond this check.
pub fn limited(meta: &TableMeta) -> bool {
    match meta.billing_mode {
        BillingMode::Provisioned => true,
        BillingMode::PayPerRequest => {
            meta.on_demand.is_some_and(|(r, w)| r > 0 || w > 0)
                || meta
                    .gsis
                    .iter()
                    .any(|g| g.on_demand.is_some_and(|(r, w)| r > 0 || w > 0))
        }
    }
}

/// One bucket's limit: units per second and what it holds at most; a rate of 0 is no limit.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Limit {
    rate: f64,
    max: f64,
    on_demand: bool,
}

const UNLIMITED: Limit = Limit {
    rate: 0.0,
    max: 0.0,
    on_demand: false,
};

impl Limit {
    fn provisioned(units: i64) -> Limit {
        let rate = units.max(0) as f64;
        Limit {
            rate,
            max: rate * BURST_SECONDS,
            on_demand: false,
        }
    }
    fn on_demand(max: i64) -> Limit {
        if max <= 0 {
            return UNLIMITED;
        }
        let rate = max as f64;
        Limit {
            rate,
            max: rate * ON_DEMAND_BURST_SECONDS,
            on_demand: true,
        }
    }
}

/// The limits of a resource (the table, or its GSI `gsi`) as (read, write).
fn limits(meta: &TableMeta, gsi: Option<&IndexDef>) -> (Limit, Limit) {
    match (meta.billing_mode, gsi) {
        (BillingMode::Provisioned, None) => (
            Limit::provisioned(meta.throughput.read),
            Limit::provisioned(meta.throughput.write),
        ),
        (BillingMode::Provisioned, Some(g)) => match &g.throughput {
            Some(t) => (Limit::provisioned(t.read), Limit::provisioned(t.write)),
            None => (UNLIMITED, UNLIMITED),
        },
        (BillingMode::PayPerRequest, None) => match meta.on_demand {
            Some((r, w)) => (Limit::on_demand(r), Limit::on_demand(w)),
            None => (UNLIMITED, UNLIMITED),
        },
        (BillingMode::PayPerRequest, Some(g)) => match g.on_demand {
            Some((r, w)) => (Limit::on_demand(r), Limit::on_demand(w)),
            None => (UNLIMITED, UNLIMITED),
        },
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    /// Engine time of the last refill.
    at: f64,
}

/// A table's buckets: slot 0 reads and 1 writes of the table, then 2 + 2i and 3 + 2i those of
/// GSI i (by position in `TableMeta::gsis`).
struct TableBuckets {
    /// What the slots were built from: a GSI's name (None for the table) and the limit.
    slots: Vec<(Option<String>, Limit)>,
    /// Never held across anything but arithmetic: a request takes it once to check and take.
    state: Mutex<Vec<Bucket>>,
}

impl TableBuckets {
    fn slots_of(meta: &TableMeta) -> Vec<(Option<String>, Limit)> {
        let (r, w) = limits(meta, None);
        let mut slots = vec![(None, r), (None, w)];
        for g in &meta.gsis {
            let (r, w) = limits(meta, Some(g));
            slots.push((Some(g.name.clone()), r));
            slots.push((Some(g.name.clone()), w));
        }
        slots
    }

    /// Whether these buckets were built from `meta`'s limits (checked without allocating).
    fn matches(&self, meta: &TableMeta) -> bool {
        if self.slots.len() != 2 + 2 * meta.gsis.len() {
            return false;
        }
        let (r, w) = limits(meta, None);
        if self.slots[0].1 != r || self.slots[1].1 != w {
            return false;
        }
        meta.gsis.iter().enumerate().all(|(i, g)| {
            let (r, w) = limits(meta, Some(g));
            let (a, b) = (&self.slots[2 + 2 * i], &self.slots[3 + 2 * i]);
            a.0.as_deref() == Some(&g.name) && a.1 == r && b.1 == w
        })
    }
}

/// The buckets of every limited table, by table incarnation (id and creation time, so a table
/// created again under a reused id starts afresh).
#[derive(Default)]
pub struct Buckets {
    /// Read on every charge of a limited table, written only when a table's limits change.
    tables: RwLock<HashMap<(i64, u64), Arc<TableBuckets>>>,
}

impl Buckets {
    /// Drops a deleted table's buckets.
    pub fn forget(&self, meta: &TableMeta) {
        let key = (meta.id, meta.created.to_bits());
        self.tables
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key);
    }

    fn of(&self, meta: &TableMeta, now: f64) -> Arc<TableBuckets> {
        let key = (meta.id, meta.created.to_bits());
        if let Some(tb) = self
            .tables
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            if tb.matches(meta) {
                return tb.clone();
            }
        }
        let mut tables = self.tables.write().unwrap_or_else(|p| p.into_inner());
        if let Some(tb) = tables.get(&key).filter(|tb| tb.matches(meta)) {
            return tb.clone();
        }
        // New limits (UpdateTable): a bucket whose limit changed, or that is new, starts full
        // at its new size; the others (the table's when only a GSI changed, and so on) keep
        // what they hold.
        let slots = TableBuckets::slots_of(meta);
        let old = tables.get(&key).map(|tb| {
            let state = tb.state.lock().unwrap_or_else(|p| p.into_inner()).clone();
            (tb.slots.clone(), state)
        });
        let state = slots
            .iter()
            .enumerate()
            .map(|(i, (name, limit))| {
                let kept = old.as_ref().and_then(|(slots, state)| {
                    let j = slots
                        .iter()
                        .enumerate()
                        .position(|(j, (n, l))| j % 2 == i % 2 && n == name && l == limit)?;
                    state.get(j).copied()
                });
                kept.unwrap_or(Bucket {
                    tokens: limit.max,
                    at: now,
                })
            })
            .collect();
        let tb = Arc::new(TableBuckets {
            slots,
            state: Mutex::new(state),
        });
        tables.insert(key, tb.clone());
        tb
    }
}

/// Calls `f(slot, units)` for each bucket slot `c` draws from (LSIs count as the table).
fn for_each_need(meta: &TableMeta, c: &Consumed, mut f: impl FnMut(usize, f64)) {
    let mut table = c.table;
    let gsis = meta.gsis.len();
    for (at, u) in &c.indexes {
        if *at < gsis {
            f(2 + 2 * at, u.read);
            f(3 + 2 * at, u.write);
        } else {
            table.add(*u);
        }
    }
    f(0, table.read);
    f(1, table.write);
}

impl Engine {
    /// Whether requests on this table are charged against buckets (it has limits, and
    /// throttling is on): the cheap check every operation makes before any metering work.
    pub fn charges(&self, meta: &TableMeta) -> bool {
        self.throttle && limited(meta)
    }

    /// Takes `c` from the table's buckets, or refuses it whole: ProvisionedThroughputExceeded
    /// (provisioned capacity) or ThrottlingException (an on-demand maximum), with a reason per
    /// resource short of capacity.
    pub fn charge(&self, meta: &TableMeta, c: &Consumed) -> Result<()> {
        if !self.charges(meta) {
            return Ok(());
        }
        let charged = self.capacity.charge(meta, c, self.now());
        if charged.is_err() {
            // `/_awsim/metrics`' awsim_throttled_requests_total.
            self.throttles.record(meta);
        }
        charged
    }

    /// Gives back what `charge` took for a request that was refused after all (the rest of
    /// its transaction or batch was throttled): a throttled request takes nothing.
    pub fn refund(&self, meta: &TableMeta, c: &Consumed) {
        if self.charges(meta) {
            self.capacity.refund(meta, c, self.now());
        }
    }

    /// Units a table's resource could spend now, (read, write), of the table (`index` None)
    /// or of a GSI; None where there is no limit.
    pub fn available(&self, meta: &TableMeta, index: Option<&str>) -> (Option<f64>, Option<f64>) {
        if !limited(meta) {
            return (None, None);
        }
        self.capacity.available(meta, index, self.now())
    }
}

impl Buckets {
    /// `Engine::charge` at time `now`.
    pub fn charge(&self, meta: &TableMeta, c: &Consumed, now: f64) -> Result<()> {
        let tb = self.of(meta, now);
        let mut state = tb.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut short: Vec<usize> = Vec::new();
        for_each_need(meta, c, |slot, need| {
            let limit = tb.slots[slot].1;
            if need <= 0.0 || limit.rate <= 0.0 {
                return;
            }
            let b = &mut state[slot];
            b.tokens = (b.tokens + (now - b.at).max(0.0) * limit.rate).min(limit.max);
            b.at = b.at.max(now);
            let full = b.tokens >= limit.max - 1e-9;
            if b.tokens + 1e-9 < need && !full && !short.contains(&slot) {
                short.push(slot);
            }
        });
        if !short.is_empty() {
            return Err(throttled(meta, &tb, &mut short));
        }
        for_each_need(meta, c, |slot, need| {
            if need > 0.0 && tb.slots[slot].1.rate > 0.0 {
                state[slot].tokens -= need;
            }
        });
        Ok(())
    }

    /// `Engine::refund` at time `now`.
    pub fn refund(&self, meta: &TableMeta, c: &Consumed, now: f64) {
        let tb = self.of(meta, now);
        let mut state = tb.state.lock().unwrap_or_else(|p| p.into_inner());
        for_each_need(meta, c, |slot, need| {
            let limit = tb.slots[slot].1;
            if need > 0.0 && limit.rate > 0.0 {
                state[slot].tokens = (state[slot].tokens + need).min(limit.max);
            }
        });
    }

    /// `Engine::available` at time `now`.
    pub fn available(
        &self,
        meta: &TableMeta,
        index: Option<&str>,
        now: f64,
    ) -> (Option<f64>, Option<f64>) {
        let tb = self.of(meta, now);
        let state = tb.state.lock().unwrap_or_else(|p| p.into_inner());
        let base = match index {
            None => 0,
            Some(name) => match meta.gsis.iter().position(|g| g.name == name) {
                Some(i) => 2 + 2 * i,
                None => return (None, None),
            },
        };
        let level = |slot: usize| {
            let limit = tb.slots[slot].1;
            let b = state[slot];
            (limit.rate > 0.0)
                .then(|| (b.tokens + (now - b.at).max(0.0) * limit.rate).min(limit.max))
        };
        (level(base), level(base + 1))
    }
}

/// The refusal of a request short of capacity on the given slots (reasons listed table first,
/// then the GSIs in their order, reads before writes).
fn throttled(meta: &TableMeta, tb: &TableBuckets, short: &mut [usize]) -> Error {
    short.sort_unstable();
    let short = &*short;
    let on_demand = short.iter().any(|s| tb.slots[*s].1.on_demand);
    let table_short = short.iter().any(|s| *s < 2);
    let limit = if on_demand {
        "MaxOnDemandThroughputExceeded"
    } else {
        "ProvisionedThroughputExceeded"
    };
    let reasons = short
        .iter()
        .map(|&slot| {
            let op = if slot % 2 == 0 { "Read" } else { "Write" };
            let (resource, arn) = match &tb.slots[slot].0 {
                None => ("Table", meta.arn()),
                Some(g) => ("Index", format!("{}/index/{g}", meta.arn())),
            };
            ThrottlingReason {
                reason: format!("{resource}{op}{limit}"),
                resource: arn,
            }
        })
        .collect();
    let (kind, message) = match (on_demand, table_short) {
        (true, _) => (ErrorKind::ThroughputThrottled, ON_DEMAND_EXCEEDED),
        (false, true) => (ErrorKind::ProvisionedThroughputExceeded, TABLE_EXCEEDED),
        (false, false) => (ErrorKind::ProvisionedThroughputExceeded, INDEX_EXCEEDED),
    };
    Error {
        kind,
        message: Some(message.into()),
        detail: Some(Box::new(ErrorDetail::ThrottlingReasons(reasons))),
    }
}

/// Whether an error is a refusal for capacity (what batches turn into unprocessed items).
pub fn is_throttle(e: &Error) -> bool {
    matches!(
        e.kind,
        ErrorKind::ProvisionedThroughputExceeded | ErrorKind::ThroughputThrottled
    )
}

/// Whether an index is a GSI (by position in `TableMeta::indexes()`).
pub fn is_global(meta: &TableMeta, at: usize) -> bool {
    at < meta.gsis.len()
}

/// The index at a position of `TableMeta::indexes()`.
pub fn index_at(meta: &TableMeta, at: usize) -> Option<&IndexDef> {
    meta.indexes().nth(at)
}

/// The kind of the index at a position of `TableMeta::indexes()`.
pub fn kind_at(meta: &TableMeta, at: usize) -> IndexKind {
    if is_global(meta, at) {
        IndexKind::Global
    } else {
        IndexKind::Local
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AttributeValue, KeyAttr, KeySchema, KeyType, Projection, Throughput};

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    fn item(pairs: &[(&str, &str)]) -> Item {
        pairs.iter().map(|(k, v)| (k.to_string(), s(v))).collect()
    }

    fn key(hash: &str, range: Option<&str>) -> KeySchema {
        KeySchema::new(
            KeyAttr {
                name: hash.into(),
                ty: KeyType::S,
            },
            range.map(|r| KeyAttr {
                name: r.into(),
                ty: KeyType::S,
            }),
        )
    }

    fn index(name: &str, kind: IndexKind, k: KeySchema, ty: ProjectionType) -> IndexDef {
        IndexDef {
            name: name.into(),
            kind,
            key: k,
            projection: Projection {
                ty,
                non_key_attributes: None,
            },
            throughput: (kind == IndexKind::Global).then(|| Throughput {
                read: 3,
                write: 3,
                ..Default::default()
            }),
            status: "ACTIVE".into(),
            backfilling: false,
            on_demand: None,
            warm: None,
        }
    }

    /// The table DynamoDB Local's recorded answers were taken on (tab1): a GSI on `g` (ALL) and
    /// an LSI on `l` (KEYS_ONLY).
    fn table() -> TableMeta {
        let json = serde_json::json!({
            "id": 1, "account": "a", "region": "r", "name": "tab1",
            "key": {"hash": {"name": "pk", "ty": "S"}, "range": {"name": "sk", "ty": "S"}},
            "attribute_definitions": [], "billing_mode": "Provisioned",
            "throughput": {"read": 5, "write": 5, "last_increase": 0.0, "last_decrease": 0.0, "decreases_today": 0},
            "created": 0.0, "last_update_to_pay_per_request": null, "gsis": [], "lsis": [],
            "stream": null, "sse": null, "table_class": null, "deletion_protection": false,
            "tags": [], "status": "ACTIVE"
        });
        let mut meta: TableMeta = serde_json::from_value(json).unwrap();
        meta.gsis.push(index(
            "gsi1",
            IndexKind::Global,
            key("g", None),
            ProjectionType::All,
        ));
        meta.lsis.push(index(
            "lsi1",
            IndexKind::Local,
            key("pk", Some("l")),
            ProjectionType::KeysOnly,
        ));
        meta
    }

    fn units(c: &Consumed) -> (f64, Vec<(usize, f64)>) {
        (
            c.table.write,
            c.indexes.iter().map(|(i, u)| (*i, u.write)).collect(),
        )
    }

    // The index upkeep rules, as DynamoDB Local answered them for the same writes.
    #[test]
    fn index_upkeep_follows_the_recorded_answers() {
        let meta = table();
        let a = item(&[("pk", "a"), ("sk", "1"), ("g", "x"), ("l", "y")]);
        let size = |i: &Item| item_size(i);
        // A new item: one write each in the table, the GSI and the LSI.
        let c = write_cost(&meta, None, Some(&a), size(&a));
        assert_eq!(units(&c), (1.0, vec![(0, 1.0), (1, 1.0)]));
        // The GSI key moves: a delete and a put there; the LSI entry is unchanged.
        let b = item(&[("pk", "a"), ("sk", "1"), ("g", "x2"), ("l", "y")]);
        let c = write_cost(&meta, Some(&a), Some(&b), size(&b));
        assert_eq!(units(&c), (1.0, vec![(0, 2.0)]));
        // The same item again: the table only.
        let c = write_cost(&meta, Some(&b), Some(&b), size(&b));
        assert_eq!(units(&c), (1.0, vec![]));
        // A non-key attribute: the ALL GSI rewrites its entry, the KEYS_ONLY LSI does not.
        let mut z = b.clone();
        z.insert("z".into(), s("q"));
        let c = write_cost(&meta, Some(&b), Some(&z), size(&z));
        assert_eq!(units(&c), (1.0, vec![(0, 1.0)]));
        // A delete: every entry removed.
        let c = write_cost(&meta, Some(&z), None, 0);
        assert_eq!(units(&c), (1.0, vec![(0, 1.0), (1, 1.0)]));
        // Deleting nothing: the minimum write.
        let c = write_cost(&meta, None, None, 0);
        assert_eq!(units(&c), (1.0, vec![]));
        // A 3 KB item: 3 units in the table and in the ALL GSI, 1 in the KEYS_ONLY LSI.
        let mut big = a.clone();
        big.insert("big".into(), s(&"a".repeat(3000)));
        let c = write_cost(&meta, None, Some(&big), size(&big));
        assert_eq!(units(&c), (3.0, vec![(0, 3.0), (1, 1.0)]));
    }

    // A bucket holds 300 seconds of capacity, refills with the clock, and a refusal takes
    // nothing.
    #[test]
    fn buckets_burst_refill_and_refuse_whole() {
        let b = Buckets::default();
        let mut meta = table();
        meta.gsis.clear();
        meta.lsis.clear();
        meta.throughput.write = 2;
        let w = |units: f64| Consumed {
            table: Units {
                read: 0.0,
                write: units,
            },
            indexes: vec![],
        };
        b.charge(&meta, &w(599.0), 0.0).unwrap();
        let err = b.charge(&meta, &w(2.0), 0.0).unwrap_err();
        assert_eq!(err.kind, ErrorKind::ProvisionedThroughputExceeded);
        assert_eq!(err.message.as_deref(), Some(TABLE_EXCEEDED));
        b.charge(&meta, &w(1.0), 0.0).unwrap();
        b.charge(&meta, &w(2.0), 1.0).unwrap();
        assert!(b.charge(&meta, &w(0.5), 1.0).is_err());
        // A day later the bucket holds 300 seconds, no more.
        assert_eq!(b.available(&meta, None, 86_401.0).1, Some(600.0));
        // New limits: rebuilt, full at the new size.
        meta.throughput.write = 3;
        assert_eq!(b.available(&meta, None, 1.0).1, Some(900.0));
    }

    // UpdateTable rebuilds the buckets whose limits changed; the others keep their level.
    #[test]
    fn a_rebuild_keeps_the_buckets_whose_limits_did_not_change() {
        let b = Buckets::default();
        let mut meta = table();
        meta.lsis.clear();
        let w = |table: f64, gsi: f64| Consumed {
            table: Units {
                read: 0.0,
                write: table,
            },
            indexes: vec![(
                0,
                Units {
                    read: 0.0,
                    write: gsi,
                },
            )],
        };
        // Table 5 WCU (1500), GSI 3 WCU (900).
        b.charge(&meta, &w(1000.0, 800.0), 0.0).unwrap();
        meta.throughput.write = 6;
        assert_eq!(b.available(&meta, None, 0.0).1, Some(1800.0));
        assert_eq!(b.available(&meta, Some("gsi1"), 0.0).1, Some(100.0));
        if let Some(t) = &mut meta.gsis[0].throughput {
            t.write = 4;
        }
        assert_eq!(b.available(&meta, None, 0.0).1, Some(1800.0));
        assert_eq!(b.available(&meta, Some("gsi1"), 0.0).1, Some(1200.0));
    }

    // A request larger than the whole burst runs on a full bucket and leaves it in debt.
    #[test]
    fn an_oversized_request_runs_on_a_full_bucket_only() {
        let b = Buckets::default();
        let mut meta = table();
        meta.gsis.clear();
        meta.lsis.clear();
        meta.throughput.write = 1;
        let w = Consumed {
            table: Units {
                read: 0.0,
                write: 400.0,
            },
            indexes: vec![],
        };
        b.charge(&meta, &w, 0.0).unwrap();
        assert!(b.charge(&meta, &w, 0.0).is_err());
        assert!(b.charge(&meta, &w, 399.0).is_err());
        b.charge(&meta, &w, 400.0).unwrap();
    }

    // A GSI's writes are the GSI's: a table write its GSI cannot afford is refused, with the
    // index's reason and message, and takes nothing from the table either.
    #[test]
    fn a_gsi_short_of_capacity_refuses_the_write() {
        let b = Buckets::default();
        let mut meta = table();
        meta.throughput.write = 10;
        let a = item(&[("pk", "a"), ("sk", "1"), ("g", "x"), ("l", "y")]);
        let c = write_cost(&meta, None, Some(&a), item_size(&a));
        // The GSI (3 WCU) holds 900; the table (10 WCU) 3000, of which each write takes two
        // (the item and its LSI entry).
        for _ in 0..900 {
            b.charge(&meta, &c, 0.0).unwrap();
        }
        let err = b.charge(&meta, &c, 0.0).unwrap_err();
        assert_eq!(err.message.as_deref(), Some(INDEX_EXCEEDED));
        let Some(ErrorDetail::ThrottlingReasons(r)) = err.detail.as_deref() else {
            panic!("no reasons: {err:?}")
        };
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].reason, "IndexWriteProvisionedThroughputExceeded");
        assert!(r[0].resource.ends_with(":table/tab1/index/gsi1"));
        assert_eq!(b.available(&meta, None, 0.0).1, Some(1200.0));
    }

    // Without limits nothing is charged, whatever the request costs; with `--no-throttle`
    // neither.
    #[test]
    fn unlimited_tables_are_never_throttled() {
        let mut meta = table();
        meta.billing_mode = BillingMode::PayPerRequest;
        for g in &mut meta.gsis {
            g.throughput = None;
        }
        assert!(!limited(&meta));
        let e = Engine::open(&crate::Config::in_memory()).unwrap();
        e.charge(&meta, &Consumed::table_read(1e12)).unwrap();
        // An on-demand maximum on writes only: reads stay free, writes are capped.
        meta.on_demand = Some((-1, 10));
        assert!(limited(&meta));
        e.charge(&meta, &Consumed::table_read(1e12)).unwrap();
        let w = Consumed {
            table: Units {
                read: 0.0,
                write: 10.0,
            },
            indexes: vec![],
        };
        let b = Buckets::default();
        b.charge(&meta, &w, 0.0).unwrap();
        let err = b.charge(&meta, &w, 0.0).unwrap_err();
        assert_eq!(err.kind, ErrorKind::ThroughputThrottled);
        assert_eq!(err.message.as_deref(), Some(ON_DEMAND_EXCEEDED));
        let Some(ErrorDetail::ThrottlingReasons(r)) = err.detail.as_deref() else {
            panic!("no reasons: {err:?}")
        };
        assert_eq!(r[0].reason, "TableWriteMaxOnDemandThroughputExceeded");
        // `--no-throttle`: charged nothing, whatever the limits.
        let mut config = crate::Config::in_memory();
        config.throttle = false;
        let off = Engine::open(&config).unwrap();
        for _ in 0..3 {
            off.charge(&meta, &w).unwrap();
        }
    }
}
