//! DescribeExport: an export's description with its real state (IN_PROGRESS, then COMPLETED
//! with its manifest, item count and billed size, or FAILED with the failure code).
use super::render_description;
use crate::engine::Engine;
use crate::error::Result;
use crate::model::Scope;
use crate::ops::Input;
use serde_json::{json, Value};

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let export = engine.export(scope, input.str("ExportArn").unwrap_or_default())?;
    Ok(json!({ "ExportDescription": render_description(&export) }))
}
