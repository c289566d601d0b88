//! TransactGetItems: up to 100 Gets over several tables, read in one SQLite snapshot (a
//! concurrent transaction is seen whole or not at all). Responses come in request order, `{}`
//! for a missing item. Checked in DynamoDB Local's order: the count, then one pass over the
//! Gets (table, projection, key, same item twice).
use crate::engine::capacity::{read_units, Consumed};
use crate::engine::keys::{self, EncodedKey};
use crate::engine::Engine;
use crate::error::{CancellationReason, Error, Result};
use crate::expr::projection::{apply_projection, Projection};
use crate::model::{java_default_capacity, Scope, TableMeta};
use crate::ops::batches::{java_order, table_name};
use crate::ops::capacity::{add_to, render_list, Meter};
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
    // Transactional reads cost twice a strongly consistent read, missing items included; all
    // are charged or none: a Get its table cannot afford cancels the transaction.
    let meter = Meter::new(engine, input, 2.0);
    let mut responses = Vec::with_capacity(ready.len());
    let mut units: Vec<(&TableMeta, Consumed)> = Vec::new();
    for (at, ((g, item), key)) in ready.iter().zip(found).zip(&parsed).enumerate() {
        let mut entry = Map::new();
        let size = item.as_ref().map_or(0, |(_, s)| *s);
        let mut c = Consumed::table_read(read_units(size, true));
        c.scale(2.0);
        let c = match meter.read(&g.meta, None, Some(key), c) {
            Ok(c) => c,
            Err(e) => {
                meter.refund();
                let reasons = (0..ready.len())
                    .map(|i| match i == at {
                        true => CancellationReason::from_error(e.clone()),
                        false => CancellationReason::none(),
                    })
                    .collect();
                return Err(Error::cancelled(reasons));
            }
        };
        add_to(&mut units, &g.meta, &c);
        if let Some((item, _)) = item {
            let item = match &g.projection {
                Some(p) => apply_projection(&item, p),
                None => item,
            };
            entry.insert("Item".into(), render_item(&item));
        }
        responses.push(Value::Object(entry));
    }

    let mut out = Map::new();
    let tables: Vec<&str> = units.iter().map(|(m, _)| m.name.as_str()).collect();
    let ordered: Vec<(&TableMeta, Consumed)> =
        java_order(&tables, java_default_capacity(tables.len()))
            .into_iter()
            .map(|i| units[i].clone())
            .collect();
    if let Some(cc) = render_list(&ordered, meter.report) {
        out.insert("ConsumedCapacity".into(), cc);
    }
    out.insert("Responses".into(), Value::Array(responses));
    Ok(Value::Object(out))
}
