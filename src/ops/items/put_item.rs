//! PutItem: writes a whole item (ReturnValues NONE | ALL_OLD), optionally conditional
//! (ConditionExpression or legacy Expected), the condition checked inside the write transaction.
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::{Item, Scope};
use crate::ops::capacity::{render, Meter, Report};
use crate::ops::expressions::{read_write_condition, run_check, Check};
use crate::ops::{item_collection_entry, Input};
use crate::protocol::attr::{parse_item, render_item};
use crate::protocol::typed::PutRequest;
use serde_json::{Map, Value};
use std::cell::RefCell;

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
    let request = Request {
        table_name: input.table_name(),
        item,
        all_old,
        check,
        report: Report::of(input),
        collection_metrics: input.str("ReturnItemCollectionMetrics") == Some("SIZE"),
    };
    execute(engine, scope, request)
}

/// A PutItem read from the body without the general path (`protocol::typed`): the plain
/// shape, which has no condition to check.
pub fn run_typed(engine: &Engine, scope: &Scope, r: PutRequest) -> Result<Value> {
    let request = Request {
        table_name: r.table_name,
        item: r.item,
        all_old: r.all_old,
        check: None,
        report: Report::parse(r.return_consumed_capacity),
        collection_metrics: false,
    };
    execute(engine, scope, request)
}

/// A PutItem whose parameters have passed their checks.
struct Request<'a> {
    table_name: &'a str,
    item: Item,
    all_old: bool,
    check: Option<Check>,
    report: Report,
    collection_metrics: bool,
}

fn execute(engine: &Engine, scope: &Scope, r: Request) -> Result<Value> {
    let Request {
        table_name,
        item,
        all_old,
        check,
        report,
        collection_metrics,
    } = r;
    let meta = engine.table(scope, table_name)?;
    let item_key = crate::engine::keys::key_of(&meta.key, &item);
    let meter = Meter::with_report(engine, report, 1.0);
    let active = meter.active(&meta);
    // Metering compares index entries: the new item is kept for it only where there are any.
    let kept = meter.needs_item(&meta).then(|| item.clone());
    let size = if active {
        crate::model::size::item_size(&item)
    } else {
        0
    };
    let consumed = RefCell::new(None);
    let cond = |old: Option<&Item>| {
        if active {
            let c = meter.write(&meta, &item_key, old, kept.as_ref(), size)?;
            *consumed.borrow_mut() = Some(c);
        }
        run_check(&check, old)
    };
    let written = (!meta.vector_indexes.is_empty()).then(|| item.clone());
    // Nothing to meter or check: the engine may write a new key without reading it first.
    let needs_old = active || check.is_some();
    let old = engine.put_item(&meta, item, needs_old.then_some(&cond as _))?;
    let mut out = Map::new();
    if let (true, Some(old)) = (all_old, &old) {
        out.insert("Attributes".into(), render_item(old));
    }
    if let Some(c) = consumed.into_inner() {
        if let Some(cc) = render(&meta, &c, meter.report) {
            out.insert("ConsumedCapacity".into(), cc);
            crate::ops::add_vector_write_capacity(&mut out, &meta, old.as_ref(), written.as_ref());
        }
    }
    if collection_metrics {
        if let Some(m) = item_collection_entry(engine, &meta, &item_key)? {
            out.insert("ItemCollectionMetrics".into(), m);
        }
    }
    Ok(Value::Object(out))
}
