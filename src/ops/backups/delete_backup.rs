//! DeleteBackup: removes a backup and its copy of the items; refused (BackupInUseException)
//! while it is still being created or a restore reads it. Answers the description with
//! BackupStatus DELETED.
use super::render_description_of;
use crate::engine::Engine;
use crate::error::Result;
use crate::model::Scope;
use crate::ops::Input;
use serde_json::{json, Value};

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let mut backup = engine.delete_backup(scope, input.str("BackupArn").unwrap_or_default())?;
    backup.status = "DELETED".into();
    Ok(json!({ "BackupDescription": render_description_of(&backup) }))
}
