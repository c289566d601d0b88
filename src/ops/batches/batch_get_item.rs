//! BatchGetItem: up to 100 keys over several tables, each table with its own projection and
//! ConsistentRead. Validated in DynamoDB Local's order (conformance/notes/batch.md), read in one
//! snapshot, answered up to 16 MB of items with the rest in UnprocessedKeys (shaped like the
//! request's entries, so an SDK can send them back as they are), as are the keys of a table
//! out of read capacity (when no key at all could be read, the call is throttled).
use crate::engine::capacity::{read_units, Consumed};
use crate::engine::keys::{self, EncodedKey};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::expr::projection::{apply_projection, Projection};
use crate::model::{java_copy_capacity, Item, Scope, TableMeta};
use crate::ops::batches::{java_order, table_name};
use crate::ops::capacity::{render_list, Meter};
use crate::ops::expressions::Exprs;
use crate::ops::items::get_item::{attributes_to_get, first_duplicate, read_projection};
use crate::ops::Input;
use crate::protocol::attr::{parse_item, render_item};
use serde_json::{Map, Value};
use std::sync::Arc;

/// The most keys one call may request, over all tables.
pub const MAX_KEYS: usize = 100;

/// The most item data one response carries (the service's 16 MB); later keys are unprocessed.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// One table's entry of RequestItems.
struct TableRequest<'a> {
    /// As written in the request (a name or an ARN): the key of Responses and UnprocessedKeys.
    name: &'a str,
    entry: Input<'a>,
    /// The keys as sent, for duplicate detection and UnprocessedKeys.
    raw_keys: Vec<&'a Value>,
    keys: Vec<Item>,
}

/// A table ready to read: its metadata, encoded keys and projection.
struct Ready {
    meta: Arc<TableMeta>,
    keys: Vec<EncodedKey>,
    projection: Option<Projection>,
}

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let empty = Map::new();
    let request_items = input
        .get("RequestItems")
        .and_then(Value::as_object)
        .unwrap_or(&empty);

    if request_items.is_empty() {
        return Err(Error::validation(
            "The requestItems parameter is required for BatchGetItem",
        ));
    }
    let mut tables = Vec::with_capacity(request_items.len());
    for (name, entry) in request_items {
        let entry = Input(entry.as_object().unwrap_or(&empty));
        let raw_keys: Vec<&Value> = entry.list("Keys").into_iter().flatten().collect();
        tables.push(TableRequest {
            name,
            entry,
            raw_keys,
            keys: Vec::new(),
        });
    }

    // 0. The key list's model bound, per table, worded by the operation (no value printed).
    for t in &tables {
        if t.raw_keys.len() > MAX_KEYS {
            return Err(Error::validation(format!(
                "1 validation error detected: Value at 'RequestItems.{}.member.Keys' failed to satisfy constraint: Member must have length less than or equal to {MAX_KEYS}",
                t.name
            )));
        }
    }

    // 1. Expression parameters over the whole request.
    let has = |member: &str| tables.iter().any(|t| t.entry.get(member).is_some());
    if has("ProjectionExpression") && has("AttributesToGet") {
        return Err(Error::validation(
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
        ));
    }
    for t in &tables {
        if t.entry.get("ExpressionAttributeNames").is_some()
            && t.entry.get("ProjectionExpression").is_none()
        {
            return Err(Error::validation(
                "ExpressionAttributeNames can only be specified when using expressions",
            ));
        }
    }

    // 2. Per table in request order: the key list, its values, empty and duplicate keys, and
    // the running key count.
    let mut total = 0;
    for t in &mut tables {
        if t.raw_keys.is_empty() {
            return Err(Error::validation(format!(
                "The list of keys in RequestItems for BatchGetItem is required: {} has empty list",
                t.name
            )));
        }
        t.keys = t
            .raw_keys
            .iter()
            .map(|v| parse_item(v))
            .collect::<Result<Vec<_>>>()?;
        if t.keys.iter().any(Item::is_empty) {
            return Err(Error::validation(format!(
                "The list of keys in RequestItems for BatchGetItem may not contain null or empty values: {} has one or more empty keys",
                t.name
            )));
        }
        // Compared as sent (attribute order aside): `1` and `1.0` are two keys here.
        let duplicate = t
            .raw_keys
            .iter()
            .enumerate()
            .any(|(i, k)| t.raw_keys[..i].contains(k));
        if duplicate {
            return Err(Error::validation(
                "Provided list of item keys contains duplicates",
            ));
        }
        total += t.keys.len();
        if total > MAX_KEYS {
            return Err(Error::validation(
                "Too many items requested for the BatchGetItem call",
            ));
        }
    }
    for t in &tables {
        if let Some(d) = attributes_to_get(t.entry)
            .as_deref()
            .and_then(first_duplicate)
        {
            return Err(Error::validation(format!(
                "One or more parameter values were invalid: Duplicate value in attribute name: {d}"
            )));
        }
    }

    // 3. Per table in DynamoDB Local's map order: name, table, keys; then the projections.
    let names: Vec<&str> = tables.iter().map(|t| t.name).collect();
    let order = java_order(&names, java_copy_capacity(names.len()));
    let mut ready: Vec<Option<Ready>> = tables.iter().map(|_| None).collect();
    for &i in &order {
        let t = &tables[i];
        let meta = engine.table(scope, table_name(t.name))?;
        let keys = t
            .keys
            .iter()
            .map(|k| keys::request_key(&meta.key, k))
            .collect::<Result<Vec<_>>>()?;
        ready[i] = Some(Ready {
            meta,
            keys,
            projection: None,
        });
    }
    for &i in &order {
        let entry = tables[i].entry;
        let mut exprs = Exprs::read(entry)?;
        let projection = read_projection(entry, &mut exprs)?;
        exprs.finish(entry, &["ProjectionExpression"])?;
        if let Some(r) = ready[i].as_mut() {
            r.projection = projection;
        }
    }
    let ready: Vec<Ready> = ready.into_iter().flatten().collect();

    // 4. One snapshot, tables and keys in request order, up to the response cap.
    let wanted: Vec<(&TableMeta, &EncodedKey)> = ready
        .iter()
        .flat_map(|r| r.keys.iter().map(|k| (&*r.meta, k)))
        .collect();
    let found = engine.get_items(&wanted, Some(MAX_RESPONSE_BYTES))?;
    let mut found = found.into_iter();

    // Each key is charged on its own: once its table is out of capacity, the table's other
    // keys come back unprocessed (none at all processed: the call is throttled).
    let meter = Meter::new(engine, input, 1.0);
    let mut responses = Map::new();
    let mut unprocessed = Map::new();
    let mut units = vec![Consumed::default(); tables.len()];
    let mut processed = 0usize;
    let mut refusal: Option<Error> = None;
    for (i, (t, r)) in tables.iter().zip(&ready).enumerate() {
        let consistent = t.entry.bool("ConsistentRead").unwrap_or(false);
        let mut items = Vec::new();
        let mut left = Vec::new();
        let mut throttled = false;
        for (raw, key) in t.raw_keys.iter().zip(&t.keys) {
            let found = found.next();
            let size = match &found {
                // A key that finds nothing still costs the minimum read.
                Some(f) if !throttled => f.as_ref().map_or(0, |(_, size)| *size),
                _ => {
                    left.push((*raw).clone());
                    continue;
                }
            };
            let c = Consumed::table_read(read_units(size, consistent));
            match meter.read(&r.meta, None, Some(key), c) {
                Ok(c) => units[i].add(&c),
                Err(e) if crate::engine::capacity::is_throttle(&e) => {
                    throttled = true;
                    refusal = Some(e);
                    left.push((*raw).clone());
                    continue;
                }
                Err(e) => return Err(e),
            }
            processed += 1;
            if let Some(Some((item, _))) = found {
                let item = match &r.projection {
                    Some(p) => apply_projection(&item, p),
                    None => item,
                };
                items.push(render_item(&item));
            }
        }
        responses.insert(t.name.to_string(), Value::Array(items));
        if !left.is_empty() {
            let mut entry = t.entry.0.clone();
            entry.insert("Keys".into(), Value::Array(left));
            unprocessed.insert(t.name.to_string(), Value::Object(entry));
        }
    }

    if let (0, Some(e)) = (processed, refusal) {
        return Err(e);
    }
    let mut out = Map::new();
    out.insert("Responses".into(), Value::Object(responses));
    out.insert("UnprocessedKeys".into(), Value::Object(unprocessed));
    let entries: Vec<(&TableMeta, Consumed)> = order
        .iter()
        .map(|&i| (&*ready[i].meta, units[i].clone()))
        .collect();
    if let Some(cc) = render_list(&entries, meter.report) {
        out.insert("ConsumedCapacity".into(), cc);
    }
    Ok(Value::Object(out))
}
