//! CancelBulkOperation: an operation in progress becomes CANCELLING (its job stops before its
//! next batch and ends it CANCELLED; items already written stay). Cancelling one that is
//! already cancelling answers CANCELLING again; one that has ended is a ValidationException.
use crate::engine::Engine;
use crate::error::Result;
use crate::model::Scope;
use crate::ops::Input;
use serde_json::{json, Value};

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let arn = input.str("BulkOperationArn").unwrap_or_default();
    let op = engine.cancel_bulk_operation(scope, arn)?;
    Ok(json!({ "BulkOperationArn": op.arn, "BulkOperationStatus": op.status }))
}
