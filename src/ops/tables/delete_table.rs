//! DeleteTable: refused while deletion protection is on; removes items and index rows.
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::Scope;
use crate::ops::tables::describe_table::render_description;
use crate::ops::Input;
use serde_json::{json, Value};

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let name = input.table_name();
    let mut view = engine.delete_table(scope, name, |meta| {
        if meta.deletion_protection {
            return Err(Error::validation("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first."));
        }
        Ok(())
    })?;
    let mut meta = (*view.meta).clone();
    meta.status = "DELETING".into();
    view.meta = std::sync::Arc::new(meta);
    Ok(json!({ "TableDescription": render_description(&view) }))
}
