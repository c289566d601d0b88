//! DescribeBackup: the backup's details, its source table and the table's features as they
//! were when it was taken (the source table may be gone since).
use super::render_description_of;
use crate::engine::Engine;
use crate::error::Result;
use crate::model::Scope;
use crate::ops::Input;
use serde_json::{json, Value};

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let backup = engine.backup(scope, input.str("BackupArn").unwrap_or_default())?;
    Ok(json!({ "BackupDescription": render_description_of(&backup) }))
}
