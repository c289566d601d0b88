//! GetItem: one item by its full primary key, optionally projected.
use crate::engine::capacity::{read_units, Consumed};
use crate::engine::{decode_row, keys, Engine};
use crate::error::{Error, Result};
use crate::expr::projection::{
    apply_projection, from_attribute_names, parse_projection, Projection,
};
use crate::model::{Item, Scope};
use crate::ops::capacity::{render, Meter, Report};
use crate::ops::expressions::{check_mixed, Exprs};
use crate::ops::{Input, Output};
use crate::protocol::attr::parse_item;
use crate::protocol::json;
use crate::protocol::typed::KeyRequest;
use serde_json::Value;

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Output> {
    let key = parse_item(input.get("Key").unwrap_or(&Value::Null))?;
    check_mixed(input, &["AttributesToGet"], &["ProjectionExpression"])?;
    let mut exprs = Exprs::read(input)?;
    let projection = read_projection(input, &mut exprs)?;
    exprs.finish(input, &["ProjectionExpression"])?;
    let request = Request {
        table_name: input.table_name(),
        key,
        projection,
        consistent_read: input.bool("ConsistentRead").unwrap_or(false),
        report: Report::of(input),
    };
    execute(engine, scope, request)
}

/// A GetItem read from the body without the general path (`protocol::typed`): the plain shape,
/// which has no projection or expressions to check.
pub fn run_typed(engine: &Engine, scope: &Scope, r: KeyRequest) -> Result<Output> {
    let request = Request {
        table_name: r.table_name,
        key: r.key,
        projection: None,
        consistent_read: r.consistent_read,
        report: Report::parse(r.return_consumed_capacity),
    };
    execute(engine, scope, request)
}

/// A GetItem whose parameters have passed their checks.
struct Request<'a> {
    table_name: &'a str,
    key: Item,
    projection: Option<Projection>,
    consistent_read: bool,
    report: Report,
}

fn execute(engine: &Engine, scope: &Scope, r: Request) -> Result<Output> {
    let meta = engine.table(scope, r.table_name)?;
    let ek = keys::request_key(&meta.key, &r.key)?;
    let stored = engine.get_item(&meta, &ek)?;
    let size = stored.as_ref().map_or(0, |(_, size)| *size as usize);
    let meter = Meter::with_report(engine, r.report, 1.0);
    let consumed = meter.read(
        &meta,
        None,
        Some(&r.key),
        Consumed::table_read(read_units(size, r.consistent_read)),
    )?;
    let mut out = json::Object::with_capacity(stored.as_ref().map_or(0, |(b, _)| b.len() * 2) + 64);
    if let Some((bytes, _)) = stored {
        let buf = out.member("Item");
        match &r.projection {
            Some(p) => json::item(buf, &apply_projection(&decode_row(&bytes)?, p)),
            None => json::stored_item(buf, &bytes)?,
        }
    }
    if let Some(cc) = render(&meta, &consumed, meter.report) {
        out.value("ConsumedCapacity", &cc);
    }
    Ok(Output::Written(out.finish()))
}

/// ProjectionExpression (recording its `#names` as used) or legacy AttributesToGet.
pub fn read_projection(input: Input, exprs: &mut Exprs) -> Result<Option<Projection>> {
    if let Some(p) = read_projection_expression(input, exprs)? {
        return Ok(Some(p));
    }
    let Some(names) = attributes_to_get(input) else {
        return Ok(None);
    };
    if names.iter().any(String::is_empty) {
        return Err(Error::validation("Empty attribute name"));
    }
    if let Some(d) = first_duplicate(&names) {
        return Err(Error::validation(format!(
            "One or more parameter values were invalid: Duplicate value in attribute name: {d}"
        )));
    }
    Ok(Some(from_attribute_names(&names)))
}

/// ProjectionExpression alone, its `#names` recorded as used.
pub fn read_projection_expression(input: Input, exprs: &mut Exprs) -> Result<Option<Projection>> {
    let Some(text) = input.str("ProjectionExpression") else {
        return Ok(None);
    };
    crate::ops::expressions::check_length(text, "ProjectionExpression")?;
    let p = parse_projection(text, &exprs.names)?;
    exprs.used.names.extend(p.used_names.iter().cloned());
    Ok(Some(p))
}

/// The legacy AttributesToGet list, if given.
pub fn attributes_to_get(input: Input) -> Option<Vec<String>> {
    let list = input.list("AttributesToGet")?;
    Some(
        list.iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
    )
}

/// The first name that occurs twice.
pub fn first_duplicate(names: &[String]) -> Option<&str> {
    let mut seen = std::collections::HashSet::new();
    names.iter().find(|n| !seen.insert(*n)).map(String::as_str)
}
