//! CreateBackup: records an on-demand backup of a table (CREATING) and answers at once; the
//! engine copies the items from one read snapshot in the background, then the backup is
//! AVAILABLE. A missing table is TableNotFoundException, as the service names it.
use super::{render_details, table_name};
use crate::engine::Engine;
use crate::error::Result;
use crate::model::Scope;
use crate::ops::Input;
use serde_json::{json, Value};

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let table = table_name(input.str("TableName").unwrap_or_default());
    let name = input.str("BackupName").unwrap_or_default();
    let backup = engine.create_backup(scope, table, name)?;
    Ok(json!({ "BackupDetails": render_details(&backup) }))
}
