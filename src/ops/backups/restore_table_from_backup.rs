//! RestoreTableFromBackup: a new table from an AVAILABLE backup, with the overrides the service
//! accepts (`restored_meta`). The table answers CREATING with its RestoreSummary
//! (RestoreInProgress) and becomes ACTIVE once the background job has loaded its items.
use super::{restore_output, restore_target_exists, restored_meta};
use crate::engine::Engine;
use crate::error::Result;
use crate::model::{RestoreSource, RestoreState, Scope};
use crate::ops::Input;
use serde_json::Value;

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let target = input.str("TargetTableName").unwrap_or_default();
    let backup = engine.backup(scope, input.str("BackupArn").unwrap_or_default())?;
    restore_target_exists(engine, scope, target)?;
    engine.check_backup_idle(&backup)?;
    let restore = RestoreState {
        source_backup_arn: Some(backup.arn.clone()),
        source_table_arn: Some(backup.meta.arn()),
        restore_time: backup.created,
        in_progress: true,
        source: RestoreSource::Backup(backup.id),
    };
    let meta = restored_meta(engine, scope, input, &backup.meta, target, restore)?;
    restore_output(engine, meta)
}
