//! ListBulkOperations: the caller's operations of the last 90 days, newest first, MaxResults
//! per page (10 unless asked, at most 25 by the model), NextToken the previous page's last ARN
//! as `ops::hex_token`.
use crate::engine::Engine;
use crate::error::Result;
use crate::model::Scope;
use crate::ops::{from_hex_token, hex_token, Input};
use serde_json::{json, Map, Value};

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let size = input.i64("MaxResults").unwrap_or(10) as usize;
    let mut ops = engine.list_bulk_operations(scope)?;
    if let Some(token) = input.str("NextToken") {
        let after = from_hex_token(token);
        match ops.iter().position(|x| x.arn == after) {
            Some(i) => drop(ops.drain(..=i)),
            None => ops.clear(),
        }
    }
    let more = ops.len() > size;
    ops.truncate(size);
    let summaries = ops
        .iter()
        .map(|b| {
            let mut m = Map::new();
            m.insert("BulkOperationArn".into(), json!(b.arn));
            m.insert("BulkOperationStatus".into(), json!(b.status));
            m.insert("StartTime".into(), json!(b.start_time));
            if let Some(t) = b.end_time {
                m.insert("EndTime".into(), json!(t));
            }
            Value::Object(m)
        })
        .collect();
    let mut out = Map::new();
    out.insert("BulkOperationsSummaryList".into(), Value::Array(summaries));
    if more {
        if let Some(last) = ops.last() {
            out.insert("NextToken".into(), json!(hex_token(&last.arn)));
        }
    }
    Ok(Value::Object(out))
}
