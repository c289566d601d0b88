//! Scan: every item of a table or index in scan order (a hash of the partition key, then the sort
//! key; see `codec::key`), page by page, optionally one segment of a parallel scan.
use crate::engine::read::{in_segment, Mode, Read};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::Scope;
use crate::ops::expressions::Check;
use crate::ops::expressions::{check_mixed, Exprs};
use crate::ops::items::get_item::read_projection;
use crate::ops::reads;
use crate::ops::Input;

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<crate::ops::Output> {
    let meta = engine.table(scope, input.table_name())?;
    let index = reads::index(&meta, input)?;
    reads::check_consistent_read(index, input)?;
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
    let start = reads::read_start_key(&meta, index, input, true)?;
    reads::check_filter_projected(&meta, index, filter.as_ref())?;
    let (output, fetch_base) = reads::select(&meta, index, input, projection)?;
    let segment = match (input.i64("Segment"), input.i64("TotalSegments")) {
        (Some(s), Some(t)) => {
            if s >= t {
                return Err(Error::validation(format!(
                    "1 validation error detected: Value '{s}' at 'segment' failed to satisfy constraint: Member must have value less than or equal to {}",
                    t - 1
                )));
            }
            Some((s as u32, t as u32))
        }
        (Some(_), None) => {
            return Err(Error::validation(
                "If segment is specified, total segment must also be specified",
            ))
        }
        (None, Some(_)) => {
            return Err(Error::validation(
                "If total segments is specified, a particular segment must also be specified for this request",
            ))
        }
        (None, None) => None,
    };
    if let (Some((s, t)), Some(start)) = (segment, &start) {
        let inside = start
            .get(&meta.key.hash.name)
            .is_some_and(|h| in_segment(h, s, t));
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
