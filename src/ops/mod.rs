//! One file per operation, grouped by family (tables, items, reads, batches, partiql, streams,
//! control, backups, exports, imports): read the (already model-validated) input, run the
//! service's semantic checks in its order, call the engine, render the output. This module
//! holds what the operations share (the input accessors, the output type, item collection
//! metrics, vector indexes' write capacity; `capacity.rs` meters and reports ConsumedCapacity);
//! the dispatch table that picks an operation is `crate::dispatch`, above both this module and
//! `protocol`.
pub mod backups;
pub mod batches;
pub mod bulk;
pub mod capacity;
pub mod control;
pub mod exports;
pub mod expressions;
pub mod imports;
pub mod items;
pub mod partiql;
pub mod reads;
pub mod streams;
pub mod tables;

use crate::engine::Engine;
use crate::error::Result;
use serde_json::{Map, Value};

/// An operation's output: a JSON tree, or a body already written (the item-heavy reads write
/// their items straight into bytes: `protocol::json`).
pub enum Output {
    Tree(Value),
    Written(Vec<u8>),
}

impl Output {
    /// The response body.
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Output::Tree(v) => serde_json::to_vec(&v).unwrap_or_else(|_| b"{}".to_vec()),
            Output::Written(b) => b,
        }
    }
}

/// A request body that passed model validation: members have their declared JSON types.
#[derive(Clone, Copy)]
pub struct Input<'a>(pub &'a Map<String, Value>);

impl<'a> Input<'a> {
    /// A structure in a list or map of the request: model validation lets a `null` entry
    /// through, and the service reads it as a structure with no members, like `{}`.
    pub fn entry(v: &'a Value) -> Input<'a> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        Input(v.as_object().unwrap_or_else(|| EMPTY.get_or_init(Map::new)))
    }

    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }
    pub fn str(&self, name: &str) -> Option<&'a str> {
        self.get(name).and_then(Value::as_str)
    }
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(Value::as_bool)
    }
    pub fn i64(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(Value::as_i64)
    }
    pub fn list(&self, name: &str) -> Option<&'a Vec<Value>> {
        self.get(name).and_then(Value::as_array)
    }
    pub fn obj(&self, name: &str) -> Option<Input<'a>> {
        self.get(name).and_then(Value::as_object).map(Input)
    }
    /// The table name: the model makes it required, so it is present here.
    pub fn table_name(&self) -> &'a str {
        let name = self.str("TableName").unwrap_or_default();
        name.rsplit_once(":table/").map(|(_, n)| n).unwrap_or(name)
    }
}

/// A paging token in the hex shape the model gives ListImports' and ListBulkOperations'
/// NextToken: the previous page's last ARN in hexadecimal, padded with zeros to whole 16-digit
/// groups of at least 112 digits.
pub fn hex_token(arn: &str) -> String {
    let mut hex = crate::codec::hex(arn.as_bytes());
    while hex.len() < 112 || !hex.len().is_multiple_of(16) {
        hex.push('0');
    }
    hex
}

/// The ARN a `hex_token` holds (garbage in, an ARN that matches nothing out).
pub fn from_hex_token(token: &str) -> String {
    let bytes: Vec<u8> = (0..token.len() / 2)
        .filter_map(|i| u8::from_str_radix(&token[2 * i..2 * i + 2], 16).ok())
        .take_while(|b| *b != 0)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `ReturnItemCollectionMetrics: SIZE` on a table with LSIs: the collection holding `key`
/// (after the write) and the service's size estimate, a 1 GB wide range in gigabytes.
pub fn item_collection_metrics(
    engine: &Engine,
    input: Input,
    meta: &crate::model::TableMeta,
    key: &crate::model::Item,
) -> Result<Option<(String, Value)>> {
    if input.str("ReturnItemCollectionMetrics") != Some("SIZE") {
        return Ok(None);
    }
    Ok(item_collection_entry(engine, meta, key)?.map(|m| ("ItemCollectionMetrics".into(), m)))
}

/// One ItemCollectionMetrics entry: the collection holding `key` (now) and its size estimate;
/// None for a table without LSIs.
pub fn item_collection_entry(
    engine: &Engine,
    meta: &crate::model::TableMeta,
    key: &crate::model::Item,
) -> Result<Option<Value>> {
    let Some(bytes) = engine.item_collection_size(meta, key)? else {
        return Ok(None);
    };
    let gb = (bytes as f64 / (1u64 << 30) as f64).floor();
    let hash: crate::model::Item = key
        .get(&meta.key.hash.name)
        .map(|v| (meta.key.hash.name.clone(), v.clone()))
        .into_iter()
        .collect();
    let mut m = Map::new();
    m.insert(
        "ItemCollectionKey".into(),
        crate::protocol::attr::render_item(&hash),
    );
    m.insert(
        "SizeEstimateRangeGB".into(),
        serde_json::json!([gb, gb + 1.0]),
    );
    Ok(Some(Value::Object(m)))
}

/// `ReturnConsumedCapacity`: TOTAL / INDEXES produce a ConsumedCapacity block.
pub fn consumed_capacity(input: Input, table: &str, units: f64) -> Option<(String, Value)> {
    let mode = input.str("ReturnConsumedCapacity").unwrap_or("NONE");
    if mode == "NONE" {
        return None;
    }
    let mut cc = Map::new();
    cc.insert("TableName".into(), Value::String(table.into()));
    cc.insert("CapacityUnits".into(), units.into());
    if mode == "INDEXES" {
        let mut t = Map::new();
        t.insert("CapacityUnits".into(), units.into());
        cc.insert("Table".into(), Value::Object(t));
    }
    Some(("ConsumedCapacity".into(), Value::Object(cc)))
}

/// `ConsumedCapacity.VectorIndexes` of a single-item write (TOTAL or INDEXES): for each vector
/// index whose entry the write changes (the item enters, leaves, or changes what the index holds
/// of it), `VectorWriteRequestBytes`, counted by awsim as the bytes of one vector (dimensions ×
/// 4); the service's count is not published.
pub fn add_vector_write_capacity(
    out: &mut Map<String, Value>,
    meta: &crate::model::TableMeta,
    old: Option<&crate::model::Item>,
    new: Option<&crate::model::Item>,
) {
    let Some(Value::Object(cc)) = out.get_mut("ConsumedCapacity") else {
        return;
    };
    let entry = |ix, item: Option<&crate::model::Item>| {
        item.and_then(|i| crate::engine::vectors::entry(meta, ix, i).ok().flatten())
    };
    let mut changed = Map::new();
    for ix in &meta.vector_indexes {
        let (before, after) = (entry(ix, old), entry(ix, new));
        let same = match (&before, &after) {
            (Some(a), Some(b)) => a.vec == b.vec && a.part == b.part && a.filters == b.filters,
            (None, None) => true,
            _ => false,
        };
        if !same {
            changed.insert(
                ix.name.clone(),
                serde_json::json!({ "VectorWriteRequestBytes": (ix.dimensions * 4) as f64 }),
            );
        }
    }
    if !changed.is_empty() {
        cc.insert("VectorIndexes".into(), Value::Object(changed));
    }
}
