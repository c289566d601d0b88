//! What the four multi-item operations (BatchGetItem, BatchWriteItem, TransactWriteItems,
//! TransactGetItems) share: the orders DynamoDB Local walks their tables in, their
//! ConsumedCapacity lists, and capacity unit rules.
pub mod batch_get_item;
pub mod batch_write_item;
pub mod transact_get_items;
pub mod transact_write_items;
use crate::engine::Engine;
use crate::error::Result;
use crate::model::{java_hash_order_in, Item, TableMeta};
use crate::ops::{item_collection_entry, Input};
use serde_json::{Map, Value};

/// The table name inside a `TableName` or RequestItems key that may be a table ARN.
pub fn table_name(name: &str) -> &str {
    name.rsplit_once(":table/").map(|(_, n)| n).unwrap_or(name)
}

/// Indices of `names` in the iteration order of a Java HashMap of the given table size (the
/// order DynamoDB Local validates RequestItems in and lists some ConsumedCapacity entries in).
pub fn java_order(names: &[&str], capacity: usize) -> Vec<usize> {
    let indexed: Vec<(usize, &str)> = names.iter().copied().enumerate().collect();
    java_hash_order_in(&indexed, |(_, n)| n, capacity)
        .into_iter()
        .map(|(i, _)| *i)
        .collect()
}

/// Adds `units` to the entry of `table`, keeping first-appearance order.
pub fn add_units(list: &mut Vec<(String, f64)>, table: &str, units: f64) {
    match list.iter_mut().find(|(t, _)| t == table) {
        Some((_, u)) => *u += units,
        None => list.push((table.to_string(), units)),
    }
}

/// `ReturnConsumedCapacity` TOTAL / INDEXES: one ConsumedCapacity entry per table, in the
/// order given.
pub fn capacity_list(input: Input, entries: &[(String, f64)]) -> Option<Value> {
    let mode = input.str("ReturnConsumedCapacity").unwrap_or("NONE");
    if mode == "NONE" {
        return None;
    }
    let list = entries
        .iter()
        .map(|(table, units)| {
            let mut cc = Map::new();
            cc.insert("TableName".into(), Value::String(table.clone()));
            cc.insert("CapacityUnits".into(), (*units).into());
            if mode == "INDEXES" {
                let mut t = Map::new();
                t.insert("CapacityUnits".into(), (*units).into());
                cc.insert("Table".into(), Value::Object(t));
            }
            Value::Object(cc)
        })
        .collect();
    Some(Value::Array(list))
}

/// Read units of one item: per started 4 KB, 0.5 eventually consistent, 1.0 strongly.
pub fn read_units(size: usize, consistent: bool) -> f64 {
    size.div_ceil(4096).max(1) as f64 * if consistent { 1.0 } else { 0.5 }
}

/// Write units of one write: per started 1 KB of the larger of the old and the new item.
pub fn write_units(old_size: usize, new_size: usize) -> f64 {
    old_size.max(new_size).div_ceil(1024).max(1) as f64
}

/// `ReturnItemCollectionMetrics: SIZE` of a multi-item write: per table with LSIs, one entry
/// per written item (its key given here), in write order; None when there is nothing to report
/// (not asked, or no table with LSIs), as for a table without item collections.
pub fn item_collection_metrics_per_table(
    engine: &Engine,
    input: Input,
    written: &[(&TableMeta, Item)],
) -> Result<Option<Value>> {
    if input.str("ReturnItemCollectionMetrics") != Some("SIZE") {
        return Ok(None);
    }
    let mut tables = Map::new();
    for (meta, key) in written {
        if let Some(entry) = item_collection_entry(engine, meta, key)? {
            let list = tables
                .entry(meta.name.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = list {
                list.push(entry);
            }
        }
    }
    Ok((!tables.is_empty()).then_some(Value::Object(tables)))
}
