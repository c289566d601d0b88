//! StartBulkPutItems: checks what the model leaves to the service (the output bucket is
//! required, a KMS key only with KMS; ION is not read by awsim), then the table (name or ARN;
//! ResourceNotFoundException), then records the operation IN_PROGRESS; the engine writes the
//! items in the background. A ClientToken names one operation for 8 hours.
use super::render_description;
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{BulkSpec, Scope};
use crate::ops::Input;
use serde_json::{json, Value};

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let source = input.obj("InputS3Configuration");
    let target = input.obj("OutputS3Configuration");
    let output_bucket = target.and_then(|t| t.str("S3Bucket"));
    if output_bucket.is_none() {
        return Err(Error::validation(
            "1 validation error detected: Value null at 'outputS3Configuration.s3Bucket' failed to satisfy constraint: Member must not be null",
        ));
    }
    let sse = target.and_then(|t| t.str("S3SseAlgorithm"));
    if target.and_then(|t| t.str("S3SseKmsKeyId")).is_some() && sse != Some("KMS") {
        return Err(Error::validation(
            "S3SseKmsKeyId can only be specified when S3SseAlgorithm is KMS",
        ));
    }
    let format = source
        .and_then(|s| s.str("InputFormat"))
        .unwrap_or_default();
    if format == "ION" {
        return Err(Error::validation(
            "awsim reads bulk put input in DYNAMODB_JSON only; ION is not supported",
        ));
    }
    let name = input.table_name();
    let meta = engine.table(scope, name).map_err(|_| {
        Error::new(
            ErrorKind::ResourceNotFound,
            format!("Requested resource not found: Table: {name} not found"),
        )
    })?;
    let config = |c: Option<Input>| Value::Object(c.map(|c| c.0.clone()).unwrap_or_default());
    let spec = BulkSpec {
        table_arn: meta.arn(),
        table_id: meta.table_id(),
        input_bucket: source
            .and_then(|s| s.str("S3Bucket"))
            .unwrap_or_default()
            .to_string(),
        input_prefix: source.and_then(|s| s.str("S3KeyPrefix")).map(String::from),
        format: format.to_string(),
        compression: source
            .and_then(|s| s.str("InputCompressionType"))
            .unwrap_or("NONE")
            .to_string(),
        output_bucket: output_bucket.unwrap_or_default().to_string(),
        output_prefix: target.and_then(|t| t.str("S3KeyPrefix")).map(String::from),
        output_types: target
            .and_then(|t| t.list("OutputType"))
            .map(|l| {
                l.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        input_config: config(source).to_string(),
        output_config: config(target).to_string(),
        client_token: input.str("ClientToken").map(String::from),
        max_write_units: input.i64("MaxWriteRequestUnits"),
        performance_tier: input.str("PerformanceTier").map(String::from),
    };
    let op = engine.start_bulk_put(scope, &meta, spec)?;
    Ok(json!({ "BulkOperationDescription": render_description(&op) }))
}
