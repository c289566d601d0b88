//! UpdateItem: applies an UpdateExpression (or legacy AttributeUpdates) to the item at a key,
//! creating it when absent, optionally conditional; every ReturnValues mode.
use crate::engine::{keys, Engine};
use crate::error::{Error, Result};
use crate::expr::ast::{Action, Update};
use crate::expr::projection::{apply_projection, PathElem, Projection};
use crate::expr::update::{apply_update, get_path, Dialect};
use crate::expr::validate::action_type_name;
use crate::expr::validate::Ctx;
use crate::model::size::item_size;
use crate::model::{Item, Scope, TableMeta};
use crate::ops::capacity::{render, Meter};
use crate::ops::expressions::{check_mixed, write_condition, Check, Exprs, Legacy};
use crate::ops::{item_collection_metrics, Input};
use crate::protocol::attr::{parse_item, parse_value, render_item};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// The update to apply: from UpdateExpression, or AttributeUpdates translated into the same AST
/// over generated placeholders, with its condition. What UpdateItem and a transaction's Update
/// action share.
pub struct UpdatePlan {
    dialect: Dialect,
    update: Update,
    /// The resolved path of every action, in order.
    pub paths: Vec<Vec<PathElem>>,
    names: BTreeMap<String, String>,
    values: BTreeMap<String, crate::model::AttributeValue>,
    check: Option<Check>,
}

impl UpdatePlan {
    /// An UpdateExpression already parsed and validated against `exprs`.
    pub fn from_expression(
        update: Update,
        paths: Vec<Vec<PathElem>>,
        exprs: &Exprs,
        check: Option<Check>,
    ) -> UpdatePlan {
        UpdatePlan {
            dialect: Dialect::Expression,
            update,
            paths,
            names: exprs.names.clone(),
            values: exprs.values.clone(),
            check,
        }
    }

    /// The new item for the current one (`None`: absent, updated from its `key` alone, an
    /// upsert): the condition first, then the key-attribute rule, then the actions. `Ok(None)`
    /// when the item is absent and the update only removes (REMOVE, DELETE): nothing is
    /// written then, not even the key.
    pub fn apply(&self, meta: &TableMeta, key: &Item, old: Option<&Item>) -> Result<Option<Item>> {
        if let Some(c) = &self.check {
            c.check(old)?;
        }
        // Checked after the condition, as the service does.
        for path in &self.paths {
            if let Some(PathElem::Attr(first)) = path.first() {
                if meta.key.contains(first) {
                    return Err(Error::validation(format!(
                        "One or more parameter values were invalid: Cannot update attribute {first}. This attribute is part of the key"
                    )));
                }
            }
        }
        // (An update without actions, only a Key, still creates the key-only item.)
        let actions = &self.update.actions;
        let removes_only = !actions.is_empty()
            && actions
                .iter()
                .all(|a| matches!(a, Action::Remove(_) | Action::Delete(..)));
        if old.is_none() && removes_only {
            return Ok(None);
        }
        let ctx = Ctx {
            names: &self.names,
            values: &self.values,
        };
        apply_update(
            &self.update,
            &self.paths,
            old.unwrap_or(key),
            &ctx,
            self.dialect,
        )
        .map(Some)
    }
}

/// UpdateItem's whole expression side, in the service's order: the mixing rule, placeholders,
/// the update (UpdateExpression or AttributeUpdates), the condition, unused placeholders.
fn read_update(input: Input) -> Result<UpdatePlan> {
    check_mixed(
        input,
        &["AttributeUpdates", "Expected", "ConditionalOperator"],
        &["UpdateExpression", "ConditionExpression"],
    )?;
    let mut exprs = Exprs::read(input)?;
    let update = exprs.update(input)?;
    let mut plan = match update {
        Some((update, paths)) => UpdatePlan::from_expression(update, paths, &exprs, None),
        None => attribute_updates(input)?,
    };
    plan.check = write_condition(input, &mut exprs)?;
    exprs.finish(input, &["UpdateExpression", "ConditionExpression"])?;
    Ok(plan)
}

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let key = parse_item(input.get("Key").unwrap_or(&Value::Null))?;
    let plan = read_update(input)?;
    let return_values = input.str("ReturnValues").unwrap_or("NONE");

    let meta = engine.table(scope, input.table_name())?;
    let ek = keys::request_key(&meta.key, &key)?;
    let meter = Meter::new(engine, input, 1.0);
    let active = meter.active(&meta);
    let consumed = RefCell::new(None);
    let apply = |old: Option<&Item>| {
        let applied = plan.apply(&meta, &key, old);
        if active {
            metered_update(&meter, &meta, &key, old, &applied, &consumed)?;
        }
        applied
    };
    let (old, new) = engine.update_item(&meta, &ek, &apply)?;

    let mut out = Map::new();
    let attributes = match return_values {
        "ALL_OLD" => old.clone(),
        "ALL_NEW" => new.clone(),
        "UPDATED_OLD" => old.as_ref().map(|o| updated_attributes(o, &plan.paths)),
        "UPDATED_NEW" => new.as_ref().map(|n| updated_attributes(n, &plan.paths)),
        _ => None,
    };
    if let Some(attrs) = attributes.filter(|a| !a.is_empty()) {
        out.insert("Attributes".into(), render_item(&attrs));
    }
    if let Some(c) = consumed.into_inner() {
        if let Some(cc) = render(&meta, &c, meter.report) {
            out.insert("ConsumedCapacity".into(), cc);
            crate::ops::add_vector_write_capacity(&mut out, &meta, old.as_ref(), new.as_ref());
        }
    }
    if let Some((k, v)) = item_collection_metrics(engine, input, &meta, &key)? {
        out.insert(k, v);
    }
    Ok(Value::Object(out))
}

/// Meters an update inside its write transaction: from `old` to what `applied` made of it (an
/// update refused by its condition, or one that leaves no item, costs the old item's write),
/// the units kept in `consumed`. Err when throttled: the update is then refused whole.
pub fn metered_update<'a>(
    meter: &Meter<'a>,
    meta: &'a crate::model::TableMeta,
    key: &Item,
    old: Option<&Item>,
    applied: &Result<Option<Item>>,
    consumed: &RefCell<Option<crate::engine::capacity::Consumed>>,
) -> Result<()> {
    let new = match applied {
        Ok(Some(new)) => Some(new),
        Ok(None) => None,
        Err(_) => old,
    };
    let c = meter.write(meta, key, old, new, new.map_or(0, item_size))?;
    *consumed.borrow_mut() = Some(c);
    Ok(())
}

/// UPDATED_OLD / UPDATED_NEW: exactly the updated paths that have a value in `item`, as a
/// projection of those paths (`SET a.b = :v` gives `{"a": {"b": ...}}`), as the service
/// answers (DynamoDB Local returns the whole top-level attribute).
pub fn updated_attributes(item: &Item, paths: &[Vec<PathElem>]) -> Item {
    let present: Vec<Vec<PathElem>> = paths
        .iter()
        .filter(|p| get_path(item, p).is_some())
        .cloned()
        .collect();
    apply_projection(
        item,
        &Projection {
            paths: present,
            used_names: Default::default(),
        },
    )
}

/// Legacy AttributeUpdates: `{attr: {Action: PUT|ADD|DELETE, Value}}`.
fn attribute_updates(input: Input) -> Result<UpdatePlan> {
    let mut legacy = Legacy::default();
    let mut update = Update::default();
    let mut paths = Vec::new();
    if let Some(map) = input.get("AttributeUpdates").and_then(Value::as_object) {
        for (attr, spec) in map {
            if attr.is_empty() {
                return Err(Error::validation("Empty attribute name"));
            }
            let value = spec
                .get("Value")
                .filter(|v| !v.is_null())
                .map(|v| parse_value(v, 0))
                .transpose()?;
            let action = spec.get("Action").and_then(Value::as_str).unwrap_or("PUT");
            let path = legacy.path(attr);
            let act = match (action, value) {
                ("PUT", Some(v)) => Action::Set(path, legacy.value(v)),
                ("DELETE", None) => Action::Remove(path),
                ("DELETE", Some(v)) => {
                    if !v.is_set() {
                        return Err(Error::validation(format!(
                            "One or more parameter values were invalid: DELETE action with value is not supported for the type {}",
                            action_type_name(&v)
                        )));
                    }
                    Action::Delete(path, legacy.value(v))
                }
                ("ADD", Some(v)) => {
                    if !(v.is_set()
                        || matches!(
                            v,
                            crate::model::AttributeValue::N(_) | crate::model::AttributeValue::L(_)
                        ))
                    {
                        return Err(Error::validation(format!(
                            "One or more parameter values were invalid: ADD action is not supported for the type {}",
                            action_type_name(&v)
                        )));
                    }
                    Action::Add(path, legacy.value(v))
                }
                (_, None) => {
                    return Err(Error::validation(
                        "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified",
                    ))
                }
                (_, Some(_)) => unreachable!("the model admits ADD, PUT and DELETE only"),
            };
            paths.push(vec![PathElem::Attr(attr.clone())]);
            update.actions.push(act);
        }
    }
    Ok(UpdatePlan {
        dialect: Dialect::AttributeUpdates,
        update,
        paths,
        names: legacy.names,
        values: legacy.values,
        check: None,
    })
}
