//! UpdateContinuousBackups and DescribeContinuousBackups: point-in-time recovery on or off
//! (RecoveryPeriodInDays 1–35, 35 by default) and the restorable window. Continuous backups
//! themselves are always ENABLED, as on every table of the service.
use crate::engine::pitr::window;
use crate::engine::Engine;
use crate::error::Result;
use crate::model::{Scope, TableMeta};
use crate::ops::backups::table_name;
use crate::ops::Input;
use serde_json::{json, Value};

pub fn render(meta: &TableMeta, now: f64) -> Value {
    let pitr = match &meta.pitr {
        Some(p) => {
            let (earliest, latest) = window(p, now);
            json!({
                "PointInTimeRecoveryStatus": "ENABLED",
                "RecoveryPeriodInDays": p.period_days,
                "EarliestRestorableDateTime": earliest,
                "LatestRestorableDateTime": latest,
            })
        }
        None => json!({"PointInTimeRecoveryStatus": "DISABLED"}),
    };
    json!({
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": pitr,
    })
}

pub fn describe(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let meta = engine.pitr_table(
        scope,
        table_name(input.str("TableName").unwrap_or_default()),
    )?;
    Ok(json!({ "ContinuousBackupsDescription": render(&meta, engine.now()) }))
}

pub fn update(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let name = table_name(input.str("TableName").unwrap_or_default());
    let spec = input.obj("PointInTimeRecoverySpecification");
    let enabled = spec
        .and_then(|s| s.bool("PointInTimeRecoveryEnabled"))
        .unwrap_or(false);
    let period = spec.and_then(|s| s.i64("RecoveryPeriodInDays"));
    let meta = engine.update_continuous_backups(scope, name, enabled, period)?;
    Ok(json!({ "ContinuousBackupsDescription": render(&meta, engine.now()) }))
}
