//! DeleteItem: removes one item by key (ReturnValues NONE | ALL_OLD), optionally conditional.
use crate::engine::{keys, Engine};
use crate::error::Result;
use crate::model::{Item, Scope};
use crate::ops::capacity::{render, Meter};
use crate::ops::expressions::{read_write_condition, run_check};
use crate::ops::items::put_item::return_all_old;
use crate::ops::{item_collection_metrics, Input};
use crate::protocol::attr::{parse_item, render_item};
use serde_json::{Map, Value};
use std::cell::RefCell;

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let key = parse_item(input.get("Key").unwrap_or(&Value::Null))?;
    let all_old = return_all_old(input, false)?;
    let check = read_write_condition(input)?;
    let meta = engine.table(scope, input.table_name())?;
    let ek = keys::request_key(&meta.key, &key)?;
    let meter = Meter::new(engine, input, 1.0);
    let active = meter.active(&meta);
    let consumed = RefCell::new(None);
    let cond = |old: Option<&Item>| {
        if active {
            *consumed.borrow_mut() = Some(meter.write(&meta, &key, old, None, 0)?);
        }
        run_check(&check, old)
    };
    let old = engine.delete_item(&meta, &ek, Some(&cond))?;
    let mut out = Map::new();
    if let (true, Some(old)) = (all_old, &old) {
        out.insert("Attributes".into(), render_item(old));
    }
    if let Some(c) = consumed.into_inner() {
        if let Some(cc) = render(&meta, &c, meter.report) {
            out.insert("ConsumedCapacity".into(), cc);
            crate::ops::add_vector_write_capacity(&mut out, &meta, old.as_ref(), None);
        }
    }
    if let Some((k, v)) = item_collection_metrics(engine, input, &meta, &key)? {
        out.insert(k, v);
    }
    Ok(Value::Object(out))
}
