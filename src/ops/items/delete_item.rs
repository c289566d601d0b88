//! DeleteItem: removes one item by key (ReturnValues NONE | ALL_OLD), optionally conditional.
use crate::engine::{keys, Engine};
use crate::error::Result;
use crate::model::{Item, Scope};
use crate::ops::expressions::{read_write_condition, run_check};
use crate::ops::items::put_item::return_all_old;
use crate::ops::{consumed_capacity, item_collection_metrics, Input};
use crate::protocol::attr::{parse_item, render_item};
use serde_json::{Map, Value};

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let key = parse_item(input.get("Key").unwrap_or(&Value::Null))?;
    let all_old = return_all_old(input, false)?;
    let check = read_write_condition(input)?;
    let meta = engine.table(scope, input.table_name())?;
    let ek = keys::request_key(&meta.key, &key)?;
    let cond = |old: Option<&Item>| run_check(&check, old);
    let old = engine.delete_item(&meta, &ek, Some(&cond))?;
    let mut out = Map::new();
    let size = old.as_ref().map(crate::model::size::item_size).unwrap_or(0);
    if let (true, Some(old)) = (all_old, &old) {
        out.insert("Attributes".into(), render_item(old));
    }
    if let Some((k, v)) = consumed_capacity(input, &meta.name, size.div_ceil(1024).max(1) as f64) {
        out.insert(k, v);
        crate::ops::add_vector_write_capacity(&mut out, &meta, old.as_ref(), None);
    }
    if let Some((k, v)) = item_collection_metrics(engine, input, &meta, &key)? {
        out.insert(k, v);
    }
    Ok(Value::Object(out))
}
