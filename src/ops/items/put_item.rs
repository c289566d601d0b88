//! PutItem: writes a whole item (ReturnValues NONE | ALL_OLD), optionally conditional
//! (ConditionExpression or legacy Expected), the condition checked inside the write transaction.
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::{Item, Scope};
use crate::ops::expressions::{read_write_condition, run_check};
use crate::ops::{consumed_capacity, item_collection_metrics, Input};
use crate::protocol::attr::{parse_item, render_item};
use serde_json::{Map, Value};

/// ReturnValues for PutItem and DeleteItem: only NONE and ALL_OLD. PutItem says so in the
/// service's words (as public suites recorded them); DeleteItem keeps DynamoDB Local's (no
/// service answer known).
pub fn return_all_old(input: Input, put: bool) -> Result<bool> {
    match input.str("ReturnValues") {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(_) if put => Err(Error::validation(
            "ReturnValues can only be ALL_OLD or NONE",
        )),
        Some(_) => Err(Error::validation("Return values set to invalid value")),
    }
}

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let item = parse_item(input.get("Item").unwrap_or(&Value::Null))?;
    let all_old = return_all_old(input, true)?;
    let check = read_write_condition(input)?;
    let meta = engine.table(scope, input.table_name())?;
    let size = crate::model::size::item_size(&item);
    let item_key = crate::engine::keys::key_of(&meta.key, &item);
    let cond = |old: Option<&Item>| run_check(&check, old);
    let written = (!meta.vector_indexes.is_empty()).then(|| item.clone());
    let old = engine.put_item(&meta, item, Some(&cond))?;
    let old_size = old.as_ref().map(crate::model::size::item_size).unwrap_or(0);
    let mut out = Map::new();
    if let (true, Some(old)) = (all_old, &old) {
        out.insert("Attributes".into(), render_item(old));
    }
    let units = size.max(old_size).div_ceil(1024).max(1) as f64;
    if let Some((k, v)) = consumed_capacity(input, &meta.name, units) {
        out.insert(k, v);
        crate::ops::add_vector_write_capacity(&mut out, &meta, old.as_ref(), written.as_ref());
    }
    if let Some((k, v)) = item_collection_metrics(engine, input, &meta, &item_key)? {
        out.insert(k, v);
    }
    Ok(Value::Object(out))
}
