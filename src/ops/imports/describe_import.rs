//! DescribeImport: an import's description with its real progress (processed and imported item
//! counts, ErrorCount) and state (IN_PROGRESS, COMPLETED, or FAILED with the failure code).
use super::render_description;
use crate::engine::Engine;
use crate::error::Result;
use crate::model::Scope;
use crate::ops::Input;
use serde_json::{json, Value};

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let import = engine.import(scope, input.str("ImportArn").unwrap_or_default())?;
    Ok(json!({ "ImportTableDescription": render_description(&import) }))
}
