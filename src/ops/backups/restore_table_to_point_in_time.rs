//! RestoreTableToPointInTime: a new table holding exactly the source table's items as they
//! were at RestoreDateTime (or at the latest restorable time), with the same overrides as a
//! restore from a backup. The source needs PITR and the time must lie in its window.
use super::{restore_output, restore_target_exists, restored_meta, table_name};
use crate::engine::pitr::window;
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{RestoreSource, RestoreState, Scope};
use crate::ops::Input;
use serde_json::Value;

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let target = input.str("TargetTableName").unwrap_or_default();
    let source_name = match (input.str("SourceTableArn"), input.str("SourceTableName")) {
        (Some(arn), _) => table_name(arn),
        (None, Some(name)) => name,
        (None, None) => {
            return Err(Error::validation(
                "Either SourceTableArn or SourceTableName must be specified",
            ))
        }
    };
    let latest = input.bool("UseLatestRestorableTime").unwrap_or(false);
    let at = input.get("RestoreDateTime").and_then(Value::as_f64);
    if latest && at.is_some() {
        return Err(Error::validation(
            "Only one of RestoreDateTime or UseLatestRestorableTime can be specified",
        ));
    }
    if !latest && at.is_none() {
        return Err(Error::validation(
            "Either RestoreDateTime or UseLatestRestorableTime must be specified",
        ));
    }
    let source = engine.pitr_table(scope, source_name)?;
    let Some(pitr) = &source.pitr else {
        return Err(Error::new(
            ErrorKind::PointInTimeRecoveryUnavailable,
            format!("Point in time recovery is not enabled for table '{source_name}'"),
        ));
    };
    restore_target_exists(engine, scope, target)?;
    let now = engine.now();
    let (earliest, latest_time) = window(pitr, now);
    let at = at.unwrap_or(latest_time);
    if at < earliest || at > latest_time {
        return Err(Error::new(
            ErrorKind::InvalidRestoreTime,
            "An invalid restore time was specified. RestoreDateTime must be between EarliestRestorableDateTime and LatestRestorableDateTime.",
        ));
    }
    let restore = RestoreState {
        source_backup_arn: None,
        source_table_arn: Some(source.arn()),
        restore_time: at,
        in_progress: true,
        source: RestoreSource::PointInTime {
            table: source.id,
            at,
        },
    };
    let meta = restored_meta(engine, scope, input, &source, target, restore)?;
    restore_output(engine, meta)
}
