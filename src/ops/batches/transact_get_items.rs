//! TransactGetItems: up to 100 Gets over several tables, read in one SQLite snapshot (a
//! concurrent transaction is seen whole or not at all). Responses come in request order, `{}`
//! for a missing item. Checked in DynamoDB Local's order: the count, then one pass over the
//! Gets (table, projection, key, same item twice).
use crate::engine::keys::{self, EncodedKey};
use crate::engine::Engine;
use crate::error::{CancellationReason, Error, Result};
use crate::expr::projection::{apply_projection, Projection};
use crate::model::{java_default_capacity, Scope, TableMeta};
use crate::ops::batches::{add_units, capacity_list, java_order, table_name};
use crate::ops::expressions::Exprs;
use crate::ops::items::get_item::read_projection_expression;
use crate::ops::Input;
use crate::protocol::attr::{parse_item, render_item};
use serde_json::{Map, Value};
use std::sync::Arc;

/// The most Gets one call may carry.
pub const MAX_GETS: usize = 100;

struct Get {
    meta: Arc<TableMeta>,
    key: EncodedKey,
    projection: Option<Projection>,
}

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let empty = Map::new();
    let items = input
        .list("TransactItems")
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    // The model makes `Get`, its `TableName` and `Key` required: they are present here.
    let gets: Vec<Input> = items
        .iter()
        .map(|i| Input(i.get("Get").and_then(Value::as_object).unwrap_or(&empty)))
        .collect();
    let parsed = gets
        .iter()
        .map(|g| parse_item(g.get("Key").unwrap_or(&Value::Null)))
        .collect::<Result<Vec<_>>>()?;

    let mut ready: Vec<Get> = Vec::with_capacity(gets.len());
    for (get, key) in gets.iter().zip(&parsed) {
        // No name syntax check here: an invalid name is simply not found.
        let meta = engine.table(scope, table_name(get.str("TableName").unwrap_or_default()))?;
        let mut exprs = Exprs::read(*get)?;
        let projection = read_projection_expression(*get, &mut exprs)?;
        exprs.finish(*get, &["ProjectionExpression"])?;
        // A key that does not fit the schema cancels the transaction: a ValidationError
        // reason for this Get, None for the others (the service stops at the first).
        let key = match keys::request_key(&meta.key, key) {
            Ok(key) => key,
            Err(e) => {
                let at = ready.len();
                let reasons = (0..gets.len())
                    .map(|i| match i == at {
                        true => CancellationReason::from_error(e.clone()),
                        false => CancellationReason::none(),
                    })
                    .collect();
                return Err(Error::cancelled(reasons));
            }
        };
        if ready.iter().any(|g| g.meta.id == meta.id && g.key == key) {
            return Err(Error::validation(
                "Transaction request cannot include multiple operations on one item",
            ));
        }
        ready.push(Get {
            meta,
            key,
            projection,
        });
    }

    let wanted: Vec<(&TableMeta, &EncodedKey)> = ready.iter().map(|g| (&*g.meta, &g.key)).collect();
    let found = engine.get_items(&wanted, None)?;
    let mut responses = Vec::with_capacity(ready.len());
    let mut units: Vec<(String, f64)> = Vec::new();
    for (g, item) in ready.iter().zip(found) {
        let mut entry = Map::new();
        let mut size = 0;
        if let Some((item, s)) = item {
            size = s;
            let item = match &g.projection {
                Some(p) => apply_projection(&item, p),
                None => item,
            };
            entry.insert("Item".into(), render_item(&item));
        }
        // Transactional reads cost twice a strongly consistent read, missing items included.
        add_units(
            &mut units,
            &g.meta.name,
            2.0 * size.div_ceil(4096).max(1) as f64,
        );
        responses.push(Value::Object(entry));
    }

    let mut out = Map::new();
    let tables: Vec<&str> = units.iter().map(|(t, _)| t.as_str()).collect();
    let ordered: Vec<(String, f64)> = java_order(&tables, java_default_capacity(tables.len()))
        .into_iter()
        .map(|i| units[i].clone())
        .collect();
    if let Some(cc) = capacity_list(input, &ordered) {
        out.insert("ConsumedCapacity".into(), cc);
    }
    out.insert("Responses".into(), Value::Array(responses));
    Ok(Value::Object(out))
}
