//! GetItem: one item by its full primary key, optionally projected.
use super::{consumed_capacity, Input};
use crate::engine::{keys, Engine};
use crate::error::{Error, Result};
use crate::expr::projection::{apply_projection, from_attribute_names, parse_projection};
use crate::model::Scope;
use crate::protocol::attr::{parse_item, render_item};
use serde_json::{Map, Value};

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let key = parse_item(input.get("Key").unwrap_or(&Value::Null))?;
    let names = super::put_item::attribute_names(input)?;
    if input.get("AttributesToGet").is_some() && input.get("ProjectionExpression").is_some() {
        return Err(Error::validation("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"));
    }
    let projection = match (
        input.str("ProjectionExpression"),
        input.list("AttributesToGet"),
    ) {
        (Some(p), _) => Some(parse_projection(p, &names)?),
        (None, Some(list)) => Some(from_attribute_names(
            &list
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect::<Vec<_>>(),
        )),
        _ => None,
    };
    super::put_item::check_unused_names(&names, projection.as_ref().map(|p| &p.used_names))?;
    let meta = engine.table(scope, input.table_name())?;
    let ek = keys::request_key(&meta.key, &key)?;
    let item = engine.get_item(&meta, &ek)?;
    let strong = input.bool("ConsistentRead").unwrap_or(false);
    let size = item
        .as_ref()
        .map(crate::model::size::item_size)
        .unwrap_or(0);
    let units = (size.div_ceil(4096).max(1)) as f64 * if strong { 1.0 } else { 0.5 };
    let mut out = Map::new();
    if let Some(item) = item {
        let item = match &projection {
            Some(p) => apply_projection(&item, p),
            None => item,
        };
        out.insert("Item".into(), render_item(&item));
    }
    if let Some((k, v)) = consumed_capacity(input, &meta.name, units) {
        out.insert(k, v);
    }
    Ok(Value::Object(out))
}
