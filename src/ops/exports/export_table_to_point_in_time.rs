//! ExportTableToPointInTime: checks the request (ION is not written by awsim; an incremental
//! export needs its period, a full one no period), the table (TableNotFoundException), PITR
//! (PointInTimeRecoveryUnavailableException) and the times against the PITR window
//! (InvalidExportTimeException), then records the export IN_PROGRESS; the engine writes it to
//! S3 in the background.
use super::render_description;
use crate::engine::pitr::window;
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{ExportSpec, Scope};
use crate::ops::backups::table_name;
use crate::ops::Input;
use serde_json::{json, Value};

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let format = input.str("ExportFormat").unwrap_or("DYNAMODB_JSON");
    if format == "ION" {
        return Err(Error::validation(
            "awsim writes exports in DYNAMODB_JSON only; ION is not supported",
        ));
    }
    let export_type = input.str("ExportType").unwrap_or("FULL_EXPORT");
    let incremental = input.obj("IncrementalExportSpecification");
    let at = input.get("ExportTime").and_then(Value::as_f64);
    let period = match (export_type, incremental) {
        ("INCREMENTAL_EXPORT", None) => {
            return Err(Error::validation(
                "IncrementalExportSpecification is required for INCREMENTAL_EXPORT",
            ))
        }
        ("INCREMENTAL_EXPORT", Some(_)) if at.is_some() => {
            return Err(Error::validation(
                "ExportTime cannot be specified for INCREMENTAL_EXPORT",
            ))
        }
        ("INCREMENTAL_EXPORT", Some(spec)) => {
            let from = spec.get("ExportFromTime").and_then(Value::as_f64);
            let to = spec.get("ExportToTime").and_then(Value::as_f64);
            let (Some(from), Some(to)) = (from, to) else {
                return Err(Error::validation(
                    "ExportFromTime and ExportToTime are required for INCREMENTAL_EXPORT",
                ));
            };
            if from >= to {
                return Err(Error::validation(
                    "ExportFromTime must be before ExportToTime",
                ));
            }
            let view = spec.str("ExportViewType").unwrap_or("NEW_AND_OLD_IMAGES");
            Some((from, to, view.to_string()))
        }
        (_, Some(_)) => {
            return Err(Error::validation(
                "IncrementalExportSpecification can only be specified for INCREMENTAL_EXPORT",
            ))
        }
        _ => None,
    };
    let name = table_name(input.str("TableArn").unwrap_or_default());
    let meta = engine.pitr_table(scope, name)?;
    let Some(pitr) = &meta.pitr else {
        return Err(Error::new(
            ErrorKind::PointInTimeRecoveryUnavailable,
            format!("Point in time recovery is not enabled for table '{name}'"),
        ));
    };
    let (earliest, latest) = window(pitr, engine.now());
    let outside = |t: f64| t < earliest || t > latest;
    let (export_time, from_time, view) = match period {
        Some((from, to, view)) => {
            if outside(from) || outside(to) {
                return Err(invalid_time());
            }
            (to, Some(from), Some(view))
        }
        None => {
            let t = at.unwrap_or(latest);
            if outside(t) {
                return Err(invalid_time());
            }
            (t, None, None)
        }
    };
    let spec = ExportSpec {
        table_arn: meta.arn(),
        table_id: meta.table_id(),
        bucket: input.str("S3Bucket").unwrap_or_default().to_string(),
        bucket_owner: input.str("S3BucketOwner").map(String::from),
        prefix: input.str("S3Prefix").map(String::from),
        sse_algorithm: input.str("S3SseAlgorithm").map(String::from),
        sse_kms_key: input.str("S3SseKmsKeyId").map(String::from),
        format: format.to_string(),
        export_type: export_type.to_string(),
        export_time,
        from_time,
        view,
        client_token: input.str("ClientToken").map(String::from),
    };
    let export = engine.start_export(scope, &meta, spec)?;
    Ok(json!({ "ExportDescription": render_description(&export) }))
}

fn invalid_time() -> Error {
    Error::new(
        ErrorKind::InvalidExportTime,
        "The specified ExportTime is outside of the point in time recovery window.",
    )
}
