//! The export family: ExportTableToPointInTime, DescribeExport, ListExports. The export itself
//! (S3 layout, DynamoDB JSON, manifests) is the engine's background job (`engine/export.rs`);
//! this module renders an ExportDescription.
pub mod describe_export;
pub mod export_table_to_point_in_time;
pub mod list_exports;

use crate::engine::export::ExportRow;
use serde_json::{json, Map, Value};

pub fn render_description(e: &ExportRow) -> Value {
    let spec = &e.spec;
    let mut m = Map::new();
    m.insert("ExportArn".into(), json!(e.arn));
    m.insert("ExportStatus".into(), json!(e.status));
    m.insert("StartTime".into(), json!(e.start_time));
    if let Some(t) = e.end_time {
        m.insert("EndTime".into(), json!(t));
    }
    if let Some(k) = &e.manifest {
        m.insert("ExportManifest".into(), json!(k));
    }
    m.insert("TableArn".into(), json!(spec.table_arn));
    m.insert("TableId".into(), json!(spec.table_id));
    if spec.from_time.is_none() {
        m.insert("ExportTime".into(), json!(spec.export_time));
    }
    if let Some(t) = &spec.client_token {
        m.insert("ClientToken".into(), json!(t));
    }
    m.insert("S3Bucket".into(), json!(spec.bucket));
    if let Some(o) = &spec.bucket_owner {
        m.insert("S3BucketOwner".into(), json!(o));
    }
    if let Some(p) = &spec.prefix {
        m.insert("S3Prefix".into(), json!(p));
    }
    m.insert(
        "S3SseAlgorithm".into(),
        json!(spec.sse_algorithm.as_deref().unwrap_or("AES256")),
    );
    if let Some(k) = &spec.sse_kms_key {
        m.insert("S3SseKmsKeyId".into(), json!(k));
    }
    if let Some(c) = &e.failure_code {
        m.insert("FailureCode".into(), json!(c));
    }
    if let Some(msg) = &e.failure_message {
        m.insert("FailureMessage".into(), json!(msg));
    }
    m.insert("ExportFormat".into(), json!(spec.format));
    if e.status == "COMPLETED" {
        m.insert("BilledSizeBytes".into(), json!(e.billed_size));
        m.insert("ItemCount".into(), json!(e.item_count));
    }
    m.insert("ExportType".into(), json!(spec.export_type));
    if let Some(from) = spec.from_time {
        m.insert(
            "IncrementalExportSpecification".into(),
            json!({
                "ExportFromTime": from,
                "ExportToTime": spec.export_time,
                "ExportViewType": spec.view.as_deref().unwrap_or("NEW_AND_OLD_IMAGES"),
            }),
        );
    }
    Value::Object(m)
}
