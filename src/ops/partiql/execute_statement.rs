//! ExecuteStatement: one PartiQL statement. A SELECT whose WHERE clause fixes the partition key
//! (`=` or IN, alone or under AND/OR) reads those partitions in key order as Query pages do
//! (the sort key conditions bound each walk), any other SELECT is a Scan; either way the whole
//! WHERE clause filters what is read, `Limit` counts what is read, and a page stops at `Limit`
//! or 1 MiB with a NextToken to continue. INSERT, UPDATE and DELETE are PutItem, UpdateItem and
//! DeleteItem with the statement's conditions. Checks run in the service's order: parameters,
//! the statement's syntax and clauses, the table, then the plan against its schema.
use super::{check, project, read_params, request_digest, resolve, write, PageToken};
use crate::engine::read::{hull, intersect, Mode as ReadMode, Read, SortBound, SortCond};
use crate::engine::{decode_row, Engine};
use crate::error::{Error, Result};
use crate::expr::ast::CmpOp;
use crate::expr::projection::PathElem;
use crate::model::{IndexDef, IndexKind, Item, Scope, TableMeta};
use crate::ops::capacity::{render, Meter};
use crate::ops::reads;
use crate::ops::{Input, Output};
use crate::partiql::plan::{Mode, Plan, SelectPlan, SortRange, SortTerm};
use crate::protocol::json;

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Output> {
    let text = input.str("Statement").unwrap_or_default();
    let params = read_params(input)?;
    let r = resolve(engine, scope, text, &params, Mode::Single)?;
    let plan = r.plan(text, &params, Mode::Single)?;
    let return_old = super::return_old_on_failure(input);
    match plan {
        Plan::Select(s) => select(engine, input, text, &r.meta, &s),
        Plan::Exists { .. } => Err(Error::internal("EXISTS planned outside a transaction")),
        write_plan => {
            let meter = Meter::new(engine, input, 1.0);
            let w = write(engine, &meter, &r.meta, write_plan, return_old)?;
            let mut out = json::Object::with_capacity(256);
            let items = out.member("Items");
            items.push(b'[');
            if let Some(item) = &w.returned {
                if !item.is_empty() {
                    json::item(items, item);
                }
            }
            out.buffer().push(b']');
            if let Some(cc) = render(&r.meta, &w.consumed, meter.report) {
                out.value("ConsumedCapacity", &cc);
            }
            Ok(Output::Written(out.finish()))
        }
    }
}

/// The sort key range a plan's conditions leave, as the encoded ends a walk takes.
pub fn sort_bounds(range: &SortRange) -> (SortBound, SortBound) {
    match range {
        SortRange::Any => (None, None),
        SortRange::Term(t) => match t {
            SortTerm::Cmp(op, v) => {
                let c = match op {
                    CmpOp::Eq => SortCond::Eq(v.clone()),
                    CmpOp::Lt => SortCond::Lt(v.clone()),
                    CmpOp::Le => SortCond::Le(v.clone()),
                    CmpOp::Gt => SortCond::Gt(v.clone()),
                    CmpOp::Ge => SortCond::Ge(v.clone()),
                    CmpOp::Ne => SortCond::Any,
                };
                c.bounds()
            }
            SortTerm::Between(a, b) => SortCond::Between(a.clone(), b.clone()).bounds(),
            SortTerm::BeginsWith(p) => SortCond::BeginsWith(p.clone()).bounds(),
            SortTerm::In(values) => values
                .iter()
                .map(|v| SortCond::Eq(v.clone()).bounds())
                .reduce(hull)
                .unwrap_or((None, None)),
        },
        SortRange::And(parts) => parts
            .iter()
            .map(sort_bounds)
            .reduce(intersect)
            .unwrap_or((None, None)),
        SortRange::Or(parts) => parts
            .iter()
            .map(sort_bounds)
            .reduce(hull)
            .unwrap_or((None, None)),
    }
}

/// Top-level names a path list reads, in order, once each.
fn top_names<'a>(paths: impl Iterator<Item = &'a Vec<PathElem>>, out: &mut Vec<String>) {
    for p in paths {
        if let Some(PathElem::Attr(a)) = p.first() {
            if !out.contains(a) {
                out.push(a.clone());
            }
        }
    }
}

/// Whether an index read must fetch whole items from the table: a GSI that does not hold what
/// the statement selects refuses it; an LSI reads what it lacks from the table.
fn fetch_base(meta: &TableMeta, ix: Option<&IndexDef>, plan: &SelectPlan) -> Result<bool> {
    let Some(ix) = ix else {
        return Ok(false);
    };
    let Some(held) = reads::projected(meta, ix) else {
        return Ok(false);
    };
    // The projection only: a filter on what the index lacks is simply false.
    let mut needed = Vec::new();
    if let Some(p) = &plan.projection {
        top_names(p.iter().map(|(path, _)| path), &mut needed);
    }
    let missing: Vec<String> = needed.into_iter().filter(|n| !held.contains(n)).collect();
    if missing.is_empty() {
        return Ok(false);
    }
    if ix.kind == IndexKind::Global {
        return Err(Error::validation(format!(
            "One or more parameter values were invalid: Global secondary index {} does not project [{}]",
            ix.name,
            missing.join(", ")
        )));
    }
    Ok(true)
}

/// Runs one page of a SELECT.
fn select(
    engine: &Engine,
    input: Input,
    text: &str,
    meta: &TableMeta,
    plan: &SelectPlan,
) -> Result<Output> {
    let ix = plan.index.as_deref().and_then(|n| meta.index(n));
    reads::check_consistent_read(ix, input)?;
    let fetch_base = fetch_base(meta, ix, plan)?;
    let digest = request_digest(text, input.list("Parameters"));
    let token = input
        .str("NextToken")
        .map(|t| PageToken::decode(t, &digest))
        .transpose()?;
    let filter = plan.filter.as_ref().map(|c| check(c, false));
    let limit = input.i64("Limit").map(|l| l.max(1) as usize);
    let partitions: Vec<_> = match &plan.partitions {
        Some(p) if plan.order.hash_desc => p.iter().rev().map(Some).collect(),
        Some(p) => p.iter().map(Some).collect(),
        None => vec![None],
    };
    let (lo, hi) = sort_bounds(&plan.sort);
    let sort = SortCond::Range(lo, hi);
    let (mut at, mut start) = match token {
        Some(t) if t.partition < partitions.len() => {
            (t.partition, Some(t.start).filter(|s| !s.is_empty()))
        }
        Some(_) => return Err(Error::validation("Invalid NextToken")),
        None => (0, None),
    };
    let plain = filter.is_none() && plan.projection.is_none();

    let mut out = json::Object::with_capacity(4096);
    out.member("Items").push(b'[');
    let mut count = 0usize;
    let (mut scanned, mut bytes, mut units, mut base_blocks) = (0usize, 0i64, 0u64, 0i64);
    let mut next: Option<PageToken> = None;
    while at < partitions.len() {
        let mode = match partitions[at] {
            Some(p) => ReadMode::Query {
                partition: p.clone(),
                sort: sort.clone(),
                forward: !plan.order.range_desc,
            },
            None => ReadMode::Scan { segment: None },
        };
        let read = Read {
            index: ix,
            mode,
            start: start.as_ref(),
            limit: limit.map(|l| l.saturating_sub(scanned).max(1)),
            fetch_base,
            spent: bytes,
        };
        let page = engine.read_page(meta, &read, &mut |row| {
            let decoded = match &filter {
                Some(f) => {
                    let item = decode_row(row)?;
                    if !f.passes(Some(&item)) {
                        return Ok(());
                    }
                    Some(item)
                }
                None => None,
            };
            count += 1;
            let buf = out.buffer();
            if count > 1 {
                buf.push(b',');
            }
            if plain {
                json::stored_item(buf, row)?;
            } else {
                let item = match decoded {
                    Some(item) => item,
                    None => decode_row(row)?,
                };
                json::item(buf, &project(&item, &plan.projection));
            }
            Ok(())
        })?;
        scanned += page.scanned;
        bytes += page.bytes;
        units += (page.bytes.max(0) as u64).div_ceil(4096);
        base_blocks += page.base_blocks;
        if let Some(last) = page.last {
            // Cut at Limit: always resumable (as the service answers, even when nothing
            // follows); cut at 1 MiB: when rows or partitions follow.
            if !page.by_size || page.more {
                next = Some(PageToken {
                    partition: at,
                    start: last,
                });
            } else if at + 1 < partitions.len() {
                next = Some(PageToken {
                    partition: at + 1,
                    start: Item::new(),
                });
            }
            break;
        }
        start = None;
        at += 1;
    }
    out.buffer().push(b']');
    if let Some(t) = &next {
        out.value("NextToken", &serde_json::Value::String(t.encode(&digest)));
    }
    let factor = if input.bool("ConsistentRead").unwrap_or(false) {
        1.0
    } else {
        0.5
    };
    // A SELECT of one partition counts it for contributor insights, as a Query does.
    let partition = match &plan.partitions {
        Some(p) if p.len() == 1 => p.first().map(std::slice::from_ref),
        _ => None,
    };
    if let Some(cc) = reads::charge_read(
        engine,
        input,
        meta,
        ix,
        partition,
        units as f64 * factor,
        base_blocks as f64 * factor,
    )? {
        out.value("ConsumedCapacity", &cc);
    }
    Ok(Output::Written(out.finish()))
}
