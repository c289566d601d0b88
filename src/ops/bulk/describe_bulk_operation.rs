//! DescribeBulkOperation: the caller's operation by ARN (ResourceNotFoundException otherwise),
//! with its progress as the job last saved it.
use super::render_description;
use crate::engine::Engine;
use crate::error::Result;
use crate::model::Scope;
use crate::ops::Input;
use serde_json::{json, Value};

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let arn = input.str("BulkOperationArn").unwrap_or_default();
    let op = engine.bulk_operation(scope, arn)?;
    Ok(json!({ "BulkOperationDescription": render_description(&op) }))
}
