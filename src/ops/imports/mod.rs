//! The import family: ImportTable, DescribeImport, ListImports. The import itself (objects,
//! decompression, formats, per-line errors) is the engine's background job
//! (`engine/import.rs`); this module renders an ImportTableDescription.
pub mod describe_import;
pub mod import_table;
pub mod list_imports;

use crate::engine::import::ImportRow;
use serde_json::{json, Map, Value};

pub fn bucket_source(i: &ImportRow) -> Value {
    let mut s = Map::new();
    if let Some(o) = &i.spec.bucket_owner {
        s.insert("S3BucketOwner".into(), json!(o));
    }
    s.insert("S3Bucket".into(), json!(i.spec.bucket));
    if let Some(p) = &i.spec.prefix {
        s.insert("S3KeyPrefix".into(), json!(p));
    }
    Value::Object(s)
}

pub fn render_description(i: &ImportRow) -> Value {
    let spec = &i.spec;
    let mut m = Map::new();
    m.insert("ImportArn".into(), json!(i.arn));
    m.insert("ImportStatus".into(), json!(i.status));
    m.insert("TableArn".into(), json!(spec.table_arn));
    m.insert("TableId".into(), json!(spec.table_id));
    if let Some(t) = &spec.client_token {
        m.insert("ClientToken".into(), json!(t));
    }
    m.insert("S3BucketSource".into(), bucket_source(i));
    m.insert("ErrorCount".into(), json!(i.errors));
    m.insert("InputFormat".into(), json!(spec.format));
    if spec.csv_delimiter.is_some() || spec.csv_header.is_some() {
        let mut csv = Map::new();
        if let Some(d) = &spec.csv_delimiter {
            csv.insert("Delimiter".into(), json!(d));
        }
        if let Some(h) = &spec.csv_header {
            csv.insert("HeaderList".into(), json!(h));
        }
        m.insert("InputFormatOptions".into(), json!({ "Csv": csv }));
    }
    m.insert("InputCompressionType".into(), json!(spec.compression));
    let params: Value = serde_json::from_str(&spec.table_parameters).unwrap_or(Value::Null);
    m.insert("TableCreationParameters".into(), params);
    m.insert("StartTime".into(), json!(i.start_time));
    if let Some(t) = i.end_time {
        m.insert("EndTime".into(), json!(t));
    }
    m.insert("ProcessedSizeBytes".into(), json!(i.processed_bytes));
    m.insert("ProcessedItemCount".into(), json!(i.processed_items));
    m.insert("ImportedItemCount".into(), json!(i.imported_items));
    if let Some(c) = &i.failure_code {
        m.insert("FailureCode".into(), json!(c));
    }
    if let Some(msg) = &i.failure_message {
        m.insert("FailureMessage".into(), json!(msg));
    }
    Value::Object(m)
}
