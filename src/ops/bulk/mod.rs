//! The bulk family (2026): StartBulkPutItems, DescribeBulkOperation, ListBulkOperations,
//! CancelBulkOperation. The operation itself (objects, formats, batches, cancellation, the
//! error report) is the engine's background job (`engine/bulk.rs`); this module renders a
//! BulkOperationDescription.
pub mod cancel_bulk_operation;
pub mod describe_bulk_operation;
pub mod list_bulk_operations;
pub mod start_bulk_put_items;

use crate::engine::bulk::BulkRow;
use serde_json::{json, Map, Value};

/// A map of index name to `{member: bytes}`, or None when no index was written.
fn by_index(list: &[(String, i64)], member: &str) -> Option<Value> {
    (!list.is_empty()).then(|| {
        list.iter()
            .map(|(name, bytes)| (name.clone(), json!({ member: bytes })))
            .collect::<Map<String, Value>>()
            .into()
    })
}

pub fn render_description(b: &BulkRow) -> Value {
    let spec = &b.spec;
    let p = &b.progress;
    let parsed = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    let mut m = Map::new();
    m.insert("BulkOperationArn".into(), json!(b.arn));
    m.insert("BulkOperationStatus".into(), json!(b.status));
    m.insert(
        "TableDetails".into(),
        json!([{ "TableName": spec.table_arn, "TableId": spec.table_id }]),
    );
    if let Some(t) = &spec.client_token {
        m.insert("ClientToken".into(), json!(t));
    }
    m.insert("InputS3Configuration".into(), parsed(&spec.input_config));
    m.insert("OutputS3Configuration".into(), parsed(&spec.output_config));
    m.insert("StartTime".into(), json!(b.start_time));
    if let Some(t) = b.end_time {
        m.insert("EndTime".into(), json!(t));
    }
    m.insert("ProcessedItemCount".into(), json!(p.processed_items));
    m.insert("ProcessedInputBytes".into(), json!(p.processed_bytes));
    if let Some(total) = p.total_bytes {
        m.insert("TotalInputBytes".into(), json!(total));
    }
    let index_bytes: i64 = p.lsi_bytes.iter().chain(&p.gsi_bytes).map(|(_, b)| b).sum();
    let mut usage = Map::new();
    usage.insert("TableName".into(), json!(spec.table_arn));
    usage.insert("BulkPutBytes".into(), json!(p.table_bytes + index_bytes));
    usage.insert("Table".into(), json!({ "BulkPutBytes": p.table_bytes }));
    for (name, list, member) in [
        ("LocalSecondaryIndexes", &p.lsi_bytes, "BulkPutBytes"),
        ("GlobalSecondaryIndexes", &p.gsi_bytes, "BulkPutBytes"),
        ("VectorIndexes", &p.vector_bytes, "BulkPutVectorBytes"),
    ] {
        if let Some(v) = by_index(list, member) {
            usage.insert(name.into(), v);
        }
    }
    m.insert("BulkOperationUsage".into(), json!([usage]));
    m.insert("FailedItemCount".into(), json!(p.failed_items));
    if let Some(c) = &b.failure_code {
        m.insert("FailureCode".into(), json!(c));
    }
    if let Some(msg) = &b.failure_message {
        m.insert("FailureMessage".into(), json!(msg));
    }
    if let Some(u) = spec.max_write_units {
        m.insert("MaxWriteRequestUnits".into(), json!(u));
    }
    m.insert(
        "PerformanceTier".into(),
        json!(spec.performance_tier.as_deref().unwrap_or("STANDARD")),
    );
    Value::Object(m)
}
