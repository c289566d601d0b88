//! Scan: every item of a table or index in scan order (a hash of the partition key, then the sort
//! key; see `codec::key`), page by page, optionally one segment of a parallel scan.
use crate::codec::key::hash_tuple;
use crate::engine::read::{in_segment_hash, Mode, Read};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::Scope;
use crate::ops::expressions::Check;
use crate::ops::expressions::{check_mixed, Exprs};
use crate::ops::items::get_item::read_projection;
use crate::ops::reads;
use crate::ops::Input;

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<crate::ops::Output> {
    // Parameters first (the service validates the request before it looks the table up),
    // then what needs the table's schema.
    let segment = segment(input)?;
    check_mixed(
        input,
        &["AttributesToGet", "ScanFilter", "ConditionalOperator"],
        &["ProjectionExpression", "FilterExpression"],
    )?;
    let mut exprs = Exprs::read(input)?;
    let has = |p: &str| input.get(p).is_some();
    if !has("FilterExpression") {
        if has("ExpressionAttributeNames") && !has("ProjectionExpression") {
            return Err(Error::validation(
                "ExpressionAttributeNames can only be specified when using expressions",
            ));
        }
        if has("ExpressionAttributeValues") {
            return Err(Error::validation(
                "ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null",
            ));
        }
    }
    let legacy_filter = reads::legacy_filter(input, "ScanFilter")?;
    let filter = match exprs.condition(input, "FilterExpression")? {
        Some(cond) => Some(Check::new(cond, &exprs, input)),
        None => legacy_filter,
    };
    let projection = read_projection(input, &mut exprs)?;
    exprs.finish(input, &["FilterExpression", "ProjectionExpression"])?;
    let meta = engine.table(scope, input.table_name())?;
    let index = reads::index(&meta, input)?;
    reads::check_consistent_read(index, input)?;
    let start = reads::read_start_key(&meta, index, input, true)?;
    reads::check_filter_projected(&meta, index, filter.as_ref())?;
    let (output, fetch_base) = reads::select(&meta, index, input, projection)?;
    if let (Some((s, t)), Some(start)) = (segment, &start) {
        // Segments cut the scanned table's or index's partitions (a multi-attribute
        // partition by the hash of all its attributes).
        let schema = index.map_or(&meta.key, |ix| &ix.key);
        let values: Option<Vec<_>> = schema.hash_attrs().map(|a| start.get(&a.name)).collect();
        let inside = values.is_some_and(|v| in_segment_hash(&hash_tuple(v), s, t));
        if !inside {
            return Err(Error::validation(
                "Exclusive start key must lie within the segment",
            ));
        }
    }
    let read = Read {
        index,
        mode: Mode::Scan { segment },
        start: start.as_ref(),
        limit: input.i64("Limit").map(|l| l.max(1) as usize),
        fetch_base,
        spent: 0,
    };
    let resume = reads::Resume {
        allowed: true,
        inclusive_end: None,
    };
    reads::run_page(
        engine,
        &meta,
        input,
        &read,
        filter.as_ref(),
        &output,
        resume,
    )
}

/// Segment and TotalSegments come together, and Segment is below TotalSegments (the model
/// bounds each: Segment 0..=999999, TotalSegments 1..=1000000).
fn segment(input: Input) -> Result<Option<(u32, u32)>> {
    match (input.i64("Segment"), input.i64("TotalSegments")) {
        (Some(s), Some(t)) if s >= t => Err(Error::validation(format!(
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {t}"
        ))),
        (Some(s), Some(t)) => Ok(Some((s as u32, t as u32))),
        (Some(_), None) => Err(Error::validation(
            "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
        )),
        (None, Some(_)) => Err(Error::validation(
            "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
        )),
        (None, None) => Ok(None),
    }
}
