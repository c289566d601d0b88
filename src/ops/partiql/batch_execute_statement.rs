//! BatchExecuteStatement: up to 25 statements (the model's limit), all reads (SELECTs of one item each, read in one
//! snapshot as BatchGetItem reads) or all writes (each INSERT, UPDATE or DELETE run on its own,
//! as ExecuteStatement runs it). A statement that fails gets an `Error` entry (`Code`,
//! `Message`, and the item for a failed condition with ALL_OLD) in its place; the others run.
//! Mixing reads and writes, or naming one item twice, fails the whole call.
use super::{project_nested, read_params, resolve, return_old_on_failure, statements, write};
use crate::engine::capacity::{read_units, Consumed};
use crate::engine::keys::{self, EncodedKey};
use crate::engine::Engine;
use crate::error::{Error, ErrorDetail, ErrorKind, Result};
use crate::model::{Item, Scope, TableMeta};
use crate::ops::capacity::{add_to, render_list, Meter};
use crate::ops::Input;
use crate::partiql::plan::{Mode, Plan};
use crate::protocol::attr::render_item;
use serde_json::{Map, Value};
use std::sync::Arc;

/// One statement after planning: its table and plan, or the error that becomes its entry.
type Planned = Result<(Arc<TableMeta>, Plan), Error>;

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let list = input.list("Statements").map(Vec::as_slice).unwrap_or(&[]);
    let stmts = statements(list);
    let mut kinds = Vec::with_capacity(stmts.len());
    let mut planned: Vec<Planned> = Vec::with_capacity(stmts.len());
    for s in &stmts {
        let text = s.str("Statement").unwrap_or_default();
        let one = (|| {
            let params = read_params(*s)?;
            let r = resolve(engine, scope, text, &params, Mode::Batch)?;
            kinds.push(r.prep.kind.is_read());
            let plan = r.plan(text, &params, Mode::Batch)?;
            Ok((r.meta, plan))
        })();
        planned.push(one);
    }
    // (At most 25 statements: a model constraint, checked before the operation runs.)
    let reads = kinds.first().copied().unwrap_or(true);
    if kinds.iter().any(|k| *k != reads) {
        return Err(Error::validation(
            "Read and write requests together in the same batch is not supported.",
        ));
    }
    check_duplicates(&planned)?;
    let tables: Vec<Option<Arc<TableMeta>>> = planned
        .iter()
        .map(|p| p.as_ref().ok().map(|(meta, _)| meta.clone()))
        .collect();
    let meter = Meter::new(engine, input, 1.0);
    let mut units: Vec<(&TableMeta, Consumed)> = Vec::new();
    let responses = if reads {
        read_all(engine, &meter, &tables, planned, &mut units)?
    } else {
        let mut out = Vec::with_capacity(planned.len());
        for ((s, p), meta) in stmts.iter().zip(planned).zip(&tables) {
            out.push(match (p, meta) {
                (Err(e), _) => error_entry(e, None)?,
                (Ok(_), None) => return Err(Error::internal("a statement without its table")),
                (Ok((_, plan)), Some(meta)) => {
                    match write(engine, &meter, meta, plan, return_old_on_failure(*s)) {
                        Ok(w) => {
                            add_to(&mut units, meta, &w.consumed);
                            let mut m = Map::new();
                            m.insert("TableName".into(), Value::String(meta.name.clone()));
                            if let Some(item) = w.returned.filter(|i| !i.is_empty()) {
                                m.insert("Item".into(), render_item(&item));
                            }
                            Value::Object(m)
                        }
                        Err(e) => error_entry(e, Some(&meta.name))?,
                    }
                }
            });
        }
        out
    };
    let mut out = Map::new();
    out.insert("Responses".into(), Value::Array(responses));
    if let Some(cc) = render_list(&units, meter.report) {
        out.insert("ConsumedCapacity".into(), cc);
    }
    Ok(Value::Object(out))
}

/// The key a planned statement reads or writes.
fn key_of(meta: &TableMeta, plan: &Plan) -> Option<Item> {
    match plan {
        Plan::Select(s) => s.key.clone(),
        Plan::Insert(item) => Some(keys::key_of(&meta.key, item)),
        Plan::Update(u) => Some(u.key.clone()),
        Plan::Delete { key, .. } | Plan::Exists { key, .. } => Some(key.clone()),
    }
}

fn check_duplicates(planned: &[Planned]) -> Result<()> {
    let mut seen: Vec<(i64, EncodedKey)> = Vec::new();
    for (meta, plan) in planned.iter().flatten() {
        let Some(key) = key_of(meta, plan) else {
            continue;
        };
        let k = (meta.id, keys::stored_key(&meta.key, &key));
        if seen.contains(&k) {
            return Err(Error::validation(
                "Provided list of item keys contains duplicates",
            ));
        }
        seen.push(k);
    }
    Ok(())
}

/// The SELECTs, all read in one snapshot; each charged on its own (a throttled one gets its
/// error entry).
fn read_all<'a>(
    engine: &Engine,
    meter: &Meter<'a>,
    tables: &'a [Option<Arc<TableMeta>>],
    planned: Vec<Planned>,
    units: &mut Vec<(&'a TableMeta, Consumed)>,
) -> Result<Vec<Value>> {
    // Each statement: its table, plan and key, or its error.
    let mut ready = Vec::with_capacity(planned.len());
    for p in planned {
        ready.push(p.and_then(|(meta, plan)| {
            let Plan::Select(s) = plan else {
                return Err(Error::internal("a write in a batch of reads"));
            };
            let key = s.key.clone().unwrap_or_default();
            let ek = keys::request_key(&meta.key, &key)?;
            Ok((meta, s, ek))
        }));
    }
    let lookups: Vec<(&TableMeta, &EncodedKey)> = ready
        .iter()
        .flatten()
        .map(|(meta, _, ek)| (&**meta, ek))
        .collect();
    let mut found = engine.get_items(&lookups, None)?.into_iter();
    let mut out = Vec::with_capacity(ready.len());
    for (r, table) in ready.into_iter().zip(tables) {
        out.push(match (r, table) {
            (Err(e), _) => error_entry(e, None)?,
            (Ok(_), None) => return Err(Error::internal("a statement without its table")),
            (Ok((meta, s, _)), Some(table)) => {
                let item = found.next().flatten();
                let size = item.as_ref().map_or(0, |(_, size)| *size);
                let key = s.key.as_ref();
                let c = Consumed::table_read(read_units(size, false));
                match meter.read(table, None, key, c) {
                    Ok(c) => add_to(units, table, &c),
                    Err(e) => {
                        out.push(error_entry(e, Some(&meta.name))?);
                        continue;
                    }
                }
                let mut m = Map::new();
                m.insert("TableName".into(), Value::String(meta.name.clone()));
                if let Some((item, _)) = item {
                    m.insert(
                        "Item".into(),
                        render_item(&project_nested(&item, &s.projection)),
                    );
                }
                Value::Object(m)
            }
        });
    }
    Ok(out)
}

/// A statement's error as its response entry; a fault of ours fails the whole call.
fn error_entry(e: Error, table: Option<&str>) -> Result<Value> {
    let code = match e.kind {
        ErrorKind::ConditionalCheckFailed => "ConditionalCheckFailed",
        ErrorKind::DuplicateItem => "DuplicateItem",
        ErrorKind::ResourceNotFound => "ResourceNotFound",
        ErrorKind::ProvisionedThroughputExceeded => "ProvisionedThroughputExceeded",
        ErrorKind::ThroughputThrottled => "ThrottlingError",
        ErrorKind::Internal => return Err(e),
        _ => "ValidationError",
    };
    let mut err = Map::new();
    err.insert("Code".into(), Value::String(code.into()));
    if let Some(m) = &e.message {
        err.insert("Message".into(), Value::String(m.clone()));
    }
    if let Some(ErrorDetail::Item(item)) = e.detail.as_deref() {
        err.insert("Item".into(), render_item(item));
    }
    let mut m = Map::new();
    m.insert("Error".into(), Value::Object(err));
    if let Some(t) = table {
        m.insert("TableName".into(), Value::String(t.into()));
    }
    Ok(Value::Object(m))
}
