//! PutItem: writes a whole item (ReturnValues NONE | ALL_OLD). Conditions plug into the
//! engine's `Condition` seam; the expression language lands with UpdateItem.
use super::{consumed_capacity, Input};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::Scope;
use crate::protocol::attr::{parse_item, render_item};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet};

/// ExpressionAttributeNames, checked for the service's empty-map rule.
pub fn attribute_names(input: Input) -> Result<BTreeMap<String, String>> {
    let Some(names) = input
        .get("ExpressionAttributeNames")
        .and_then(Value::as_object)
    else {
        return Ok(BTreeMap::new());
    };
    if names.is_empty() {
        return Err(Error::validation(
            "ExpressionAttributeNames must not be empty",
        ));
    }
    Ok(names
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect())
}

/// Every ExpressionAttributeNames entry must be used by some expression of the request.
pub fn check_unused_names(
    names: &BTreeMap<String, String>,
    used: Option<&HashSet<String>>,
) -> Result<()> {
    let unused: Vec<&String> = names
        .keys()
        .filter(|k| !used.is_some_and(|u| u.contains(*k)))
        .collect();
    if !unused.is_empty() {
        return Err(Error::validation(format!(
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
            unused
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(())
}

/// ReturnValues for PutItem and DeleteItem: only NONE and ALL_OLD.
pub fn return_all_old(input: Input) -> Result<bool> {
    match input.str("ReturnValues") {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(_) => Err(Error::validation("Return values set to invalid value")),
    }
}

/// Conditional writes arrive with the expression language (next milestone); until then a
/// request that carries one is refused rather than silently applied unconditionally.
pub fn refuse_conditions(input: Input) -> Result<()> {
    for m in ["ConditionExpression", "Expected"] {
        if input.get(m).is_some() {
            return Err(Error::validation(format!(
                "awsim does not evaluate {m} yet"
            )));
        }
    }
    Ok(())
}

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let item = parse_item(input.get("Item").unwrap_or(&Value::Null))?;
    let all_old = return_all_old(input)?;
    let names = attribute_names(input)?;
    refuse_conditions(input)?;
    check_unused_names(&names, None)?;
    let meta = engine.table(scope, input.table_name())?;
    let size = crate::model::size::item_size(&item);
    let old = engine.put_item(&meta, item, None)?;
    let old_size = old.as_ref().map(crate::model::size::item_size).unwrap_or(0);
    let mut out = Map::new();
    if let (true, Some(old)) = (all_old, &old) {
        out.insert("Attributes".into(), render_item(old));
    }
    let units = size.max(old_size).div_ceil(1024).max(1) as f64;
    if let Some((k, v)) = consumed_capacity(input, &meta.name, units) {
        out.insert(k, v);
    }
    Ok(Value::Object(out))
}
