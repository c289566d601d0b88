//! ListTables: the scope's table names in order, paged by ExclusiveStartTableName and Limit.
use crate::engine::Engine;
use crate::error::Result;
use crate::model::Scope;
use crate::ops::Input;
use serde_json::{json, Map, Value};

/// The service's page size when no Limit is given.
const DEFAULT_LIMIT: usize = 100;

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let limit = input
        .i64("Limit")
        .map(|l| l as usize)
        .unwrap_or(DEFAULT_LIMIT);
    let names = engine.table_names(scope);
    let start = match input.str("ExclusiveStartTableName") {
        Some(after) => names.partition_point(|n| n.as_str() <= after),
        None => 0,
    };
    let page: Vec<&String> = names[start..].iter().take(limit).collect();
    let mut out = Map::new();
    out.insert("TableNames".into(), json!(page));
    if start + page.len() < names.len() {
        if let Some(last) = page.last() {
            out.insert("LastEvaluatedTableName".into(), json!(last));
        }
    }
    Ok(Value::Object(out))
}
