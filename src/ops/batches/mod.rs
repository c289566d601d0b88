//! What the four multi-item operations (BatchGetItem, BatchWriteItem, TransactWriteItems,
//! TransactGetItems) share: the orders DynamoDB Local walks their tables in and their item
//! collection metrics (capacity is `ops::capacity`'s).
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
