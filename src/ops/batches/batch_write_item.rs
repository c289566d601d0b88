//! BatchWriteItem: up to 25 puts and deletes over several tables. Every request is validated
//! first, in DynamoDB Local's order (conformance/notes/batch.md); then all of them are written
//! in one SQLite transaction, so a rejected call writes nothing. Everything is always processed:
//! UnprocessedItems is `{}`.
use crate::engine::keys::{self, EncodedKey};
use crate::engine::transact::TxAction;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::size::{item_size, MAX_ITEM_SIZE};
use crate::model::{java_copy_capacity, java_default_capacity, Item, Scope, TableMeta};
use crate::ops::batches::{
    add_units, capacity_list, item_collection_metrics_per_table, java_order, table_name,
    write_units,
};
use crate::ops::Input;
use crate::protocol::attr::parse_item;
use serde_json::{Map, Value};
use std::sync::Arc;

/// The most write requests one call may carry, over all tables.
pub const MAX_WRITES: usize = 25;

enum Write {
    Put(Item),
    Delete(Item),
}

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let empty = Map::new();
    let request_items = input
        .get("RequestItems")
        .and_then(Value::as_object)
        .unwrap_or(&empty);

    if request_items.is_empty() {
        return Err(Error::validation(
            "The requestItems parameter is required for BatchWriteItem",
        ));
    }
    // 1. Per table in request order (the model has refused an empty list or more than 25 for
    // one table): each request counted over all tables (the 26th is refused before it is
    // read) and parsed: its shape, attribute values and item size.
    let mut tables: Vec<(&str, Vec<Write>)> = Vec::with_capacity(request_items.len());
    let mut total = 0;
    for (name, list) in request_items {
        // The model bounds each list (1 to 25); a JSON null passes it.
        let Some(list) = list.as_array() else {
            return Err(Error::validation(format!(
                "The batch write request list for a table cannot be null or empty: {name}"
            )));
        };
        let mut writes = Vec::with_capacity(list.len());
        for request in list {
            total += 1;
            if total > MAX_WRITES {
                return Err(Error::validation(
                    "Too many items requested for the BatchWriteItem call",
                ));
            }
            writes.push(parse_write(Input(request.as_object().unwrap_or(&empty)))?);
        }
        tables.push((name, writes));
    }

    // 2. Per table in DynamoDB Local's map order: name, table, then each request's key and
    // its uniqueness within the table.
    let names: Vec<&str> = tables.iter().map(|(n, _)| *n).collect();
    let mut metas: Vec<Option<(Arc<TableMeta>, Vec<EncodedKey>)>> =
        tables.iter().map(|_| None).collect();
    for i in java_order(&names, java_copy_capacity(names.len())) {
        let (name, writes) = &tables[i];
        let meta = engine.table(scope, table_name(name))?;
        let mut seen: Vec<EncodedKey> = Vec::with_capacity(writes.len());
        for w in writes {
            let key = match w {
                Write::Put(item) if item.is_empty() => {
                    return Err(Error::validation("Item to put in PutItem cannot be null"))
                }
                Write::Put(item) => keys::item_key(&meta.key, item)?,
                Write::Delete(key) => keys::request_key(&meta.key, key)?,
            };
            // Encoded keys: numerically equal keys (`1`, `1.0`) are the same item.
            if seen.contains(&key) {
                return Err(Error::validation(
                    "Provided list of item keys contains duplicates",
                ));
            }
            seen.push(key);
        }
        metas[i] = Some((meta, seen));
    }
    let metas: Vec<(Arc<TableMeta>, Vec<EncodedKey>)> = metas.into_iter().flatten().collect();

    // 3. All writes in one transaction.
    let mut actions = Vec::with_capacity(total);
    let mut written: Vec<&str> = Vec::with_capacity(total);
    let mut collections: Vec<(&TableMeta, Item)> = Vec::new();
    for ((_, writes), (meta, keys)) in tables.into_iter().zip(&metas) {
        for (w, key) in writes.into_iter().zip(keys) {
            actions.push(match w {
                Write::Put(item) => {
                    collections.push((meta, keys::key_of(&meta.key, &item)));
                    TxAction::Put {
                        meta,
                        item,
                        condition: None,
                    }
                }
                Write::Delete(key_item) => {
                    collections.push((meta, key_item));
                    TxAction::Delete {
                        meta,
                        key: key.clone(),
                        condition: None,
                    }
                }
            });
            written.push(&meta.name);
        }
    }
    let touched = engine.write_batch(actions)?;

    let mut units: Vec<(String, f64)> = Vec::new();
    for (table, t) in written.iter().zip(&touched) {
        add_units(&mut units, table, write_units(t.old_size, t.new_size));
    }
    let tables: Vec<&str> = units.iter().map(|(t, _)| t.as_str()).collect();
    let ordered: Vec<(String, f64)> = java_order(&tables, java_default_capacity(tables.len()))
        .into_iter()
        .map(|i| units[i].clone())
        .collect();
    let mut out = Map::new();
    out.insert("UnprocessedItems".into(), Value::Object(Map::new()));
    if let Some(cc) = capacity_list(input, &ordered) {
        out.insert("ConsumedCapacity".into(), cc);
    }
    if let Some(m) = item_collection_metrics_per_table(engine, input, &collections)? {
        out.insert("ItemCollectionMetrics".into(), m);
    }
    Ok(Value::Object(out))
}

/// One WriteRequest: exactly one of PutRequest (with an Item within the size limit) and
/// DeleteRequest (with a Key), in DynamoDB Local's words.
fn parse_write(request: Input) -> Result<Write> {
    let put = request.obj("PutRequest");
    let delete = request.obj("DeleteRequest");
    let member = |r: Input, name: &str| -> Result<Item> {
        match r.get(name) {
            Some(v) => parse_item(v),
            None => Err(Error::validation(
                "The supplied Item contains a null AttributeValue",
            )),
        }
    };
    match (put, delete) {
        (Some(put), None) => {
            let item = member(put, "Item")?;
            if item_size(&item) > MAX_ITEM_SIZE {
                return Err(Error::validation(
                    "Item size has exceeded the maximum allowed size",
                ));
            }
            Ok(Write::Put(item))
        }
        (None, Some(delete)) => Ok(Write::Delete(member(delete, "Key")?)),
        // Sic: DynamoDB Local answers a WriteRequest with both or neither member in the words
        // of an attribute value with several types.
        _ => Err(Error::validation(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
        )),
    }
}
