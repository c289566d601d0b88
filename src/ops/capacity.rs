//! What every data operation shares about capacity: `Meter` works out what a read or a write
//! consumes (`engine::capacity` has the unit rules), charges it to the table's buckets (a
//! throttled request fails with the engine's error and changes nothing), counts the key for
//! contributor insights, and gives back what a request took when the rest of it was throttled;
//! `render` / `render_list` write ReturnConsumedCapacity's answer (TOTAL, INDEXES).
//!
//! A table without limits, without contributor insights and with ReturnConsumedCapacity NONE
//! is not metered at all (`Meter::active`): writes pay one check, no sizes or index keys.
use crate::engine::capacity::{kind_at, write_cost, Consumed, Units};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::{IndexDef, IndexKind, Item, TableMeta};
use crate::ops::Input;
use serde_json::{Map, Value};
use std::cell::RefCell;

/// ReturnConsumedCapacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    None,
    Total,
    Indexes,
}

impl Report {
    pub fn of(input: Input) -> Report {
        Report::parse(input.str("ReturnConsumedCapacity"))
    }

    /// ReturnConsumedCapacity's value, if given.
    pub fn parse(value: Option<&str>) -> Report {
        match value {
            Some("TOTAL") => Report::Total,
            Some("INDEXES") => Report::Indexes,
            _ => Report::None,
        }
    }
}

/// Meters the reads and writes of one request (all its tables), remembering what it charged.
pub struct Meter<'a> {
    engine: &'a Engine,
    pub report: Report,
    /// 2 for transactions (every unit counts twice), else 1.
    factor: f64,
    /// Charges taken so far, per table, given back by `refund`.
    charged: RefCell<Vec<(&'a TableMeta, Consumed)>>,
    /// Keys to count for contributor insights (table, GSI or None, key, throttled), counted
    /// when the request is over (the meter dropped): an attempt given up (`refund`) leaves
    /// only its throttled keys, so a batch retried without its throttled writes counts each
    /// written key once.
    keys: RefCell<Vec<Counted<'a>>>,
}

type Counted<'a> = (&'a TableMeta, Option<&'a IndexDef>, Item, bool);

impl Drop for Meter<'_> {
    fn drop(&mut self) {
        for (meta, index, key, throttled) in self.keys.get_mut().drain(..) {
            self.engine.record_key(meta, index, &key, throttled);
        }
    }
}

impl<'a> Meter<'a> {
    pub fn new(engine: &'a Engine, input: Input, factor: f64) -> Meter<'a> {
        Meter::with_report(engine, Report::of(input), factor)
    }

    /// A meter that reports as `report` says.
    pub fn with_report(engine: &'a Engine, report: Report, factor: f64) -> Meter<'a> {
        Meter {
            engine,
            report,
            factor,
            charged: RefCell::new(Vec::new()),
            keys: RefCell::new(Vec::new()),
        }
    }

    /// Counts `item`'s key in the table (`index` None) or a GSI for contributor insights, once
    /// the request is over.
    fn count(
        &self,
        meta: &'a TableMeta,
        index: Option<&'a IndexDef>,
        item: &Item,
        throttled: bool,
    ) {
        let schema = index.map_or(&meta.key, |i| &i.key);
        let key: Item = schema
            .attrs()
            .filter_map(|a| item.get(&a.name).map(|v| (a.name.clone(), v.clone())))
            .collect();
        self.keys.borrow_mut().push((meta, index, key, throttled));
    }

    /// Whether requests on `meta` need metering: capacity is reported, charged, or counted by
    /// contributor insights.
    pub fn active(&self, meta: &TableMeta) -> bool {
        self.report != Report::None || self.engine.charges(meta) || self.engine.insights_on(meta)
    }

    /// Whether a write's new item must be kept for metering: the table has indexes, whose
    /// upkeep compares the old and the new entries.
    pub fn needs_item(&self, meta: &TableMeta) -> bool {
        self.active(meta) && (!meta.gsis.is_empty() || !meta.lsis.is_empty())
    }

    /// Meters a write of the item at `key` from `old` to `new` (`new_size` its size; `new`
    /// itself may be None on a table without indexes) and charges it: Err when throttled.
    pub fn write(
        &self,
        meta: &'a TableMeta,
        key: &Item,
        old: Option<&Item>,
        new: Option<&Item>,
        new_size: usize,
    ) -> Result<Consumed> {
        let mut c = write_cost(meta, old, new, new_size);
        c.scale(self.factor);
        let result = self.charge(meta, c);
        if self.engine.insights_on(meta) {
            let throttled = result.is_err();
            self.count(meta, None, key, throttled);
            if let Some(item) = new.or(old) {
                for g in meta
                    .gsis
                    .iter()
                    .filter(|g| meta.insights(Some(&g.name)).is_some())
                {
                    self.count(meta, Some(g), item, throttled);
                }
            }
        }
        result
    }

    /// Meters a transaction's condition check on the item at `key` (a strongly consistent
    /// read of `old`) and charges it.
    pub fn check(&self, meta: &'a TableMeta, key: &Item, old: Option<&Item>) -> Result<Consumed> {
        let size = old.map_or(0, crate::model::size::item_size);
        let mut c = Consumed::table_read(crate::engine::capacity::read_units(size, true));
        c.scale(self.factor);
        self.read(meta, None, Some(key), c)
    }

    /// Charges a read `c` of the table (`index` None) or one of its indexes, counting `key`
    /// (the item read, or a Query's partition) for contributor insights.
    pub fn read(
        &self,
        meta: &'a TableMeta,
        index: Option<&'a IndexDef>,
        key: Option<&Item>,
        c: Consumed,
    ) -> Result<Consumed> {
        let result = self.charge(meta, c);
        if let (true, Some(key)) = (self.engine.insights_on(meta), key) {
            // An LSI's keys are the table's partition: counted as the table's.
            let target = index.filter(|i| i.kind == IndexKind::Global);
            self.count(meta, target, key, result.is_err());
        }
        result
    }

    fn charge(&self, meta: &'a TableMeta, c: Consumed) -> Result<Consumed> {
        if !self.engine.charges(meta) {
            return Ok(c);
        }
        self.engine.charge(meta, &c)?;
        self.charged.borrow_mut().push((meta, c.clone()));
        Ok(c)
    }

    /// Gives back everything charged so far (the request was throttled after all), and
    /// forgets the keys it accessed (its throttled keys still count).
    pub fn refund(&self) {
        for (meta, c) in self.charged.borrow_mut().drain(..) {
            self.engine.refund(meta, &c);
        }
        self.keys
            .borrow_mut()
            .retain(|(_, _, _, throttled)| *throttled);
    }

    /// Gives back what was charged if `e` is a refusal for capacity (a transaction cancelled
    /// for one), and returns `e`.
    pub fn refund_if_throttled(&self, e: Error) -> Error {
        if throttled(&e) {
            self.refund();
        }
        e
    }
}

/// Whether an error is a refusal for capacity, or a transaction cancelled for one.
pub fn throttled(e: &Error) -> bool {
    use crate::error::ErrorDetail;
    crate::engine::capacity::is_throttle(e)
        || matches!(e.detail.as_deref(), Some(ErrorDetail::CancellationReasons(r))
            if r.iter().any(|r| r.code == "ProvisionedThroughputExceeded" || r.code == "ThrottlingError"))
}

/// One ConsumedCapacity entry for `meta`, or None when not asked for. INDEXES adds `Table`
/// and each index touched (GSIs and LSIs apart). Only CapacityUnits, as DynamoDB Local answers
/// (transactions included; the model also has ReadCapacityUnits / WriteCapacityUnits, which
/// its recorded answers never carry).
pub fn render(meta: &TableMeta, c: &Consumed, report: Report) -> Option<Value> {
    if report == Report::None {
        return None;
    }
    let units = |read: f64, write: f64| {
        let mut m = Map::new();
        m.insert("CapacityUnits".into(), (read + write).into());
        m
    };
    let mut cc = units(c.read(), c.write());
    cc.insert("TableName".into(), Value::String(meta.name.clone()));
    if report == Report::Indexes {
        let Units { read, write } = c.table;
        cc.insert("Table".into(), Value::Object(units(read, write)));
        let mut gsis = Map::new();
        let mut lsis = Map::new();
        for (at, u) in &c.indexes {
            let Some(ix) = crate::engine::capacity::index_at(meta, *at) else {
                continue;
            };
            let into = match kind_at(meta, *at) {
                IndexKind::Global => &mut gsis,
                IndexKind::Local => &mut lsis,
            };
            into.insert(ix.name.clone(), Value::Object(units(u.read, u.write)));
        }
        if !lsis.is_empty() {
            cc.insert("LocalSecondaryIndexes".into(), Value::Object(lsis));
        }
        if !gsis.is_empty() {
            cc.insert("GlobalSecondaryIndexes".into(), Value::Object(gsis));
        }
    }
    Some(Value::Object(cc))
}

/// The ConsumedCapacity list of a multi-table operation: one entry per table, in the order
/// given.
pub fn render_list(entries: &[(&TableMeta, Consumed)], report: Report) -> Option<Value> {
    if report == Report::None {
        return None;
    }
    Some(Value::Array(
        entries
            .iter()
            .filter_map(|(meta, c)| render(meta, c, report))
            .collect(),
    ))
}

/// Adds `c` to the entry of `meta`, keeping first-appearance order.
pub fn add_to<'m>(list: &mut Vec<(&'m TableMeta, Consumed)>, meta: &'m TableMeta, c: &Consumed) {
    match list.iter_mut().find(|(m, _)| m.id == meta.id) {
        Some((_, sum)) => sum.add(c),
        None => list.push((meta, c.clone())),
    }
}
