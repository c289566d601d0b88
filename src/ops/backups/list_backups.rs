//! ListBackups: the caller's backups, oldest first, filtered by table (name or ARN), creation
//! time (lower bound inclusive, upper bound exclusive) and BackupType (USER by default; awsim
//! makes USER backups only), paged by Limit and ExclusiveStartBackupArn.
use super::{render_summary, table_name};
use crate::engine::Engine;
use crate::error::Result;
use crate::model::Scope;
use crate::ops::Input;
use serde_json::{json, Map, Value};

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let table = input.str("TableName").map(table_name);
    let lower = input.get("TimeRangeLowerBound").and_then(Value::as_f64);
    let upper = input.get("TimeRangeUpperBound").and_then(Value::as_f64);
    let wanted = input.str("BackupType").unwrap_or("USER");
    let limit = input.i64("Limit").map(|l| l as usize);
    let mut backups: Vec<_> = engine
        .list_backups(scope, table)?
        .into_iter()
        .filter(|b| lower.is_none_or(|t| b.created >= t))
        .filter(|b| upper.is_none_or(|t| b.created < t))
        .filter(|b| wanted == "ALL" && b.backup_type != "AWS_BACKUP" || b.backup_type == wanted)
        .collect();
    if let Some(start) = input.str("ExclusiveStartBackupArn") {
        if let Some(i) = backups.iter().position(|b| b.arn == start) {
            backups.drain(..=i);
        }
    }
    let mut out = Map::new();
    let more = limit.is_some_and(|l| backups.len() > l);
    if let Some(l) = limit {
        backups.truncate(l);
    }
    out.insert(
        "BackupSummaries".into(),
        Value::Array(backups.iter().map(render_summary).collect()),
    );
    if more {
        if let Some(last) = backups.last() {
            out.insert("LastEvaluatedBackupArn".into(), json!(last.arn));
        }
    }
    Ok(Value::Object(out))
}
