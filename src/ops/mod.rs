//! One file per operation: read the (already model-validated) input, run the service's semantic
//! checks in its order, call the engine, render the output. This module holds the dispatch table
//! and the small JSON accessors the operations share.
mod batch;
mod batch_get_item;
mod batch_write_item;
mod create_table;
mod delete_item;
mod delete_table;
mod describe_table;
pub mod expressions;
mod get_item;
mod list_tables;
mod put_item;
mod query;
mod reads;
mod scan;
mod streams;
mod time_to_live;
mod transact_get_items;
mod transact_write_items;
mod update_item;
mod update_table;

use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::model::Scope;
use crate::protocol::Service;
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

/// Runs one operation for in-process callers (tests, migrations), its output as a JSON tree.
pub fn dispatch(
    engine: &Engine,
    scope: &Scope,
    service: Service,
    op: &str,
    body: &Value,
) -> Result<Value> {
    match run(engine, scope, service, op, body)? {
        Output::Tree(v) => Ok(v),
        Output::Written(b) => serde_json::from_slice(&b).map_err(Error::internal),
    }
}

/// The one dispatch table: operation name -> handler.
pub fn run(
    engine: &Engine,
    scope: &Scope,
    service: Service,
    op: &str,
    body: &Value,
) -> Result<Output> {
    let model = match service {
        Service::DynamoDb => crate::protocol::shape::dynamodb(),
        Service::Streams => crate::protocol::shape::streams(),
    };
    model.validate(op, body)?;
    let input = Input(body.as_object().expect("bodies are objects"));
    if let Some(name) = input.str("TableName") {
        validate_table_name(name)?;
    }
    let tree = match (service, op) {
        (Service::DynamoDb, "GetItem") => return get_item::run(engine, scope, input),
        (Service::DynamoDb, "Query") => return query::run(engine, scope, input),
        (Service::DynamoDb, "Scan") => return scan::run(engine, scope, input),
        (Service::DynamoDb, "CreateTable") => create_table::run(engine, scope, input),
        (Service::DynamoDb, "DescribeTable") => describe_table::run(engine, scope, input),
        (Service::DynamoDb, "ListTables") => list_tables::run(engine, scope, input),
        (Service::DynamoDb, "DeleteTable") => delete_table::run(engine, scope, input),
        (Service::DynamoDb, "UpdateTable") => update_table::run(engine, scope, input),
        (Service::DynamoDb, "PutItem") => put_item::run(engine, scope, input),
        (Service::DynamoDb, "DeleteItem") => delete_item::run(engine, scope, input),
        (Service::DynamoDb, "UpdateItem") => update_item::run(engine, scope, input),
        (Service::DynamoDb, "UpdateTimeToLive") => time_to_live::update(engine, scope, input),
        (Service::DynamoDb, "DescribeTimeToLive") => time_to_live::describe(engine, scope, input),
        (Service::Streams, "ListStreams") => streams::list_streams(engine, scope, input),
        (Service::Streams, "DescribeStream") => streams::describe_stream(engine, scope, input),
        (Service::Streams, "GetShardIterator") => streams::get_shard_iterator(engine, scope, input),
        (Service::Streams, "GetRecords") => streams::get_records(engine, scope, input),
        (Service::DynamoDb, "BatchGetItem") => batch_get_item::run(engine, scope, input),
        (Service::DynamoDb, "BatchWriteItem") => batch_write_item::run(engine, scope, input),
        (Service::DynamoDb, "TransactWriteItems") => {
            transact_write_items::run(engine, scope, input)
        }
        (Service::DynamoDb, "TransactGetItems") => transact_get_items::run(engine, scope, input),
        // Operations of the model that a later milestone implements.
        _ => Err(Error::new(
            ErrorKind::UnknownOperation,
            "An unknown operation was requested.",
        )),
    };
    tree.map(Output::Tree)
}

/// Table names: 3 to 255 of `[a-zA-Z0-9_.-]` (the model's TableName member also admits an ARN,
/// whose length the model bounds; the name inside it is checked here).
pub fn validate_table_name(name: &str) -> Result<()> {
    let name = name.rsplit_once(":table/").map(|(_, n)| n).unwrap_or(name);
    let ok = (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if !ok {
        return Err(Error::validation(
            "Invalid table/index name.  Table/index names must be between 3 and 255 characters long, and may contain only the characters a-z, A-Z, 0-9, '_', '-', and '.'",
        ));
    }
    Ok(())
}

/// A request body that passed model validation: members have their declared JSON types.
#[derive(Clone, Copy)]
pub struct Input<'a>(pub &'a Map<String, Value>);

impl<'a> Input<'a> {
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
