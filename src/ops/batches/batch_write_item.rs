//! BatchWriteItem: up to 25 puts and deletes over several tables. Every request is validated
//! first, in DynamoDB Local's order (conformance/notes/batch.md); then all of them are written
//! in one SQLite transaction, so a rejected call writes nothing. UnprocessedItems holds the
//! writes a table (or a GSI) had no capacity for; the others are written.
use crate::engine::capacity::Consumed;
use crate::engine::keys::{self, EncodedKey};
use crate::engine::transact::TxAction;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::size::{item_size, MAX_ITEM_SIZE};
use crate::model::{java_copy_capacity, java_default_capacity, Item, Scope, TableMeta};
use crate::ops::batches::{item_collection_metrics_per_table, java_order, table_name};
use crate::ops::capacity::{add_to, render_list, throttled, Meter};
use crate::ops::Input;
use crate::protocol::attr::parse_item;
use serde_json::{Map, Value};
use std::cell::{Cell, RefCell};
use std::sync::Arc;

/// The most write requests one call may carry, over all tables.
pub const MAX_WRITES: usize = 25;

/// A write's metering, run as its condition inside the write transaction.
type MeterFn<'a> = Box<dyn Fn(Option<&Item>) -> Result<()> + 'a>;

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

    // 3. All writes in one transaction, each metered and charged in it. A write its table
    // (or one of the table's GSIs) cannot afford comes back in UnprocessedItems: the attempt
    // is given up (nothing written, its charges given back) and the others are written again
    // without it; when none is left, the call itself is throttled.
    let meter = Meter::new(engine, input, 1.0);
    let raws: Vec<&Value> = request_items
        .values()
        .flat_map(|list| list.as_array().into_iter().flatten())
        .collect();
    let mut entries: Vec<(&str, &TableMeta, EncodedKey)> = Vec::with_capacity(total);
    let mut items: Vec<Option<Item>> = Vec::with_capacity(total);
    let mut key_items: Vec<Item> = Vec::with_capacity(total);
    for ((name, writes), (meta, keys)) in tables.into_iter().zip(&metas) {
        for (w, key) in writes.into_iter().zip(keys) {
            entries.push((name, meta, key.clone()));
            match w {
                Write::Put(item) => {
                    key_items.push(keys::key_of(&meta.key, &item));
                    items.push(Some(item));
                }
                Write::Delete(key_item) => {
                    key_items.push(key_item);
                    items.push(None);
                }
            }
        }
    }
    let n = entries.len();
    let active: Vec<bool> = entries.iter().map(|(_, m, _)| meter.active(m)).collect();
    let may_throttle = entries.iter().any(|(_, m, _)| engine.charges(m));
    // The new items as metering compares them with the old (only for tables with indexes).
    let kept: Vec<Option<Item>> = entries
        .iter()
        .zip(&items)
        .map(|((_, m, _), item)| item.as_ref().filter(|_| meter.needs_item(m)).cloned())
        .collect();
    let sizes: Vec<usize> = items
        .iter()
        .zip(&active)
        .map(|(item, on)| match (item, on) {
            (Some(item), true) => item_size(item),
            _ => 0,
        })
        .collect();
    let consumed: Vec<RefCell<Option<Consumed>>> = (0..n).map(|_| RefCell::new(None)).collect();
    let throttled_at: Cell<Option<usize>> = Cell::new(None);
    let mut skipped = vec![false; n];
    loop {
        let meters: Vec<MeterFn> = (0..n)
            .map(|i| {
                let (meter, entries, kept, key_items) = (&meter, &entries, &kept, &key_items);
                let (active, sizes, consumed, throttled_at) =
                    (&active, &sizes, &consumed, &throttled_at);
                Box::new(move |old: Option<&Item>| {
                    if !active[i] {
                        return Ok(());
                    }
                    let meta = entries[i].1;
                    match meter.write(meta, &key_items[i], old, kept[i].as_ref(), sizes[i]) {
                        Ok(c) => {
                            *consumed[i].borrow_mut() = Some(c);
                            Ok(())
                        }
                        Err(e) => {
                            throttled_at.set(Some(i));
                            Err(e)
                        }
                    }
                }) as MeterFn
            })
            .collect();
        let mut actions = Vec::with_capacity(n);
        for (i, (_, meta, key)) in entries.iter().enumerate() {
            if skipped[i] {
                continue;
            }
            // Nothing to meter: nothing to see of the old item (a put of a new key then
            // writes without reading it first).
            let condition = active[i].then_some(&*meters[i]);
            actions.push(match &mut items[i] {
                Some(item) if may_throttle => TxAction::Put {
                    meta,
                    item: item.clone(),
                    condition,
                },
                Some(_) => TxAction::Put {
                    meta,
                    item: items[i].take().unwrap_or_default(),
                    condition,
                },
                None => TxAction::Delete {
                    meta,
                    key: key.clone(),
                    condition,
                },
            });
        }
        throttled_at.set(None);
        match engine.write_batch(actions) {
            Ok(_) => break,
            Err(e) => {
                meter.refund();
                let at = throttled_at.get().filter(|_| throttled(&e));
                let Some(at) = at else {
                    return Err(e);
                };
                skipped[at] = true;
                if skipped.iter().all(|s| *s) {
                    return Err(e);
                }
            }
        }
    }

    let mut units: Vec<(&TableMeta, Consumed)> = Vec::new();
    let mut unprocessed = Map::new();
    let mut collections: Vec<(&TableMeta, Item)> = Vec::new();
    for (i, (name, meta, _)) in entries.iter().enumerate() {
        if skipped[i] {
            let list = unprocessed
                .entry(name.to_string())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let (Value::Array(list), Some(raw)) = (list, raws.get(i)) {
                list.push((*raw).clone());
            }
            continue;
        }
        add_to(
            &mut units,
            meta,
            &consumed[i].borrow().clone().unwrap_or_default(),
        );
        collections.push((meta, key_items[i].clone()));
    }
    let names: Vec<&str> = units.iter().map(|(m, _)| m.name.as_str()).collect();
    let ordered: Vec<(&TableMeta, Consumed)> =
        java_order(&names, java_default_capacity(names.len()))
            .into_iter()
            .map(|i| units[i].clone())
            .collect();
    let mut out = Map::new();
    out.insert("UnprocessedItems".into(), Value::Object(unprocessed));
    if let Some(cc) = render_list(&ordered, meter.report) {
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
