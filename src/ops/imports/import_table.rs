//! ImportTable: a new table from S3 objects. The table parameters are checked as CreateTable
//! checks its own (the name must be free: ResourceInUseException); ION is not read by awsim;
//! CSV options only with CSV. The table answers CREATING and the import IN_PROGRESS; the engine
//! loads it in the background.
use super::render_description;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::{ImportSpec, Scope};
use crate::ops::tables::create_table::parse_table;
use crate::ops::Input;
use serde_json::{json, Value};

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let format = input.str("InputFormat").unwrap_or_default();
    if format == "ION" {
        return Err(Error::validation(
            "awsim reads imports in DYNAMODB_JSON and CSV only; ION is not supported",
        ));
    }
    let csv = input.obj("InputFormatOptions").and_then(|o| o.obj("Csv"));
    if csv.is_some() && format != "CSV" {
        return Err(Error::validation(
            "InputFormatOptions.Csv can only be specified when InputFormat is CSV",
        ));
    }
    let params = input
        .obj("TableCreationParameters")
        .ok_or_else(|| Error::validation("TableCreationParameters is required"))?;
    let meta = parse_table(engine, scope, params)?;
    let source = input.obj("S3BucketSource");
    let spec = ImportSpec {
        bucket: source
            .and_then(|s| s.str("S3Bucket"))
            .unwrap_or_default()
            .to_string(),
        bucket_owner: source
            .and_then(|s| s.str("S3BucketOwner"))
            .map(String::from),
        prefix: source.and_then(|s| s.str("S3KeyPrefix")).map(String::from),
        format: format.to_string(),
        csv_delimiter: csv.and_then(|c| c.str("Delimiter")).map(String::from),
        csv_header: csv.and_then(|c| c.list("HeaderList")).map(|l| {
            l.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        }),
        compression: input
            .str("InputCompressionType")
            .unwrap_or("NONE")
            .to_string(),
        table_parameters: Value::Object(params.0.clone()).to_string(),
        table_arn: String::new(),
        table_id: String::new(),
        client_token: input.str("ClientToken").map(String::from),
    };
    let import = engine.start_import(scope, meta, spec)?;
    Ok(json!({ "ImportTableDescription": render_description(&import) }))
}
