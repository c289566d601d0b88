//! ListExports: the caller's exports, oldest first, optionally of one table (TableArn), paged
//! by MaxResults (at most 25) with NextToken (the last ARN of the previous page).
use crate::engine::Engine;
use crate::error::Result;
use crate::model::Scope;
use crate::ops::Input;
use serde_json::{json, Map, Value};

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let table = input.str("TableArn");
    let max = input.i64("MaxResults").unwrap_or(25) as usize;
    let mut exports: Vec<_> = engine
        .list_exports(scope)?
        .into_iter()
        .filter(|e| {
            table.is_none_or(|t| {
                e.spec.table_arn == t || e.spec.table_arn.ends_with(&format!(":table/{t}"))
            })
        })
        .collect();
    if let Some(token) = input.str("NextToken") {
        if let Some(i) = exports.iter().position(|e| e.arn == token) {
            exports.drain(..=i);
        }
    }
    let more = exports.len() > max;
    exports.truncate(max);
    let mut out = Map::new();
    out.insert(
        "ExportSummaries".into(),
        Value::Array(
            exports
                .iter()
                .map(|e| json!({"ExportArn": e.arn, "ExportStatus": e.status, "ExportType": e.spec.export_type}))
                .collect(),
        ),
    );
    if more {
        if let Some(last) = exports.last() {
            out.insert("NextToken".into(), json!(last.arn));
        }
    }
    Ok(Value::Object(out))
}
