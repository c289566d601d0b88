//! The dispatcher: the one place that joins the wire (`protocol`) to the operations (`ops`).
//! `protocol` turns a target and body into a validated request and renders results; `ops` runs
//! operations on typed input; neither imports the other's entry points. The dispatch table is one
//! `match` on (service, operation); an operation of the model that is not served yet answers
//! UnknownOperationException.
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::model::Scope;
use crate::ops::{
    backups, batches, exports, imports, items, reads, streams, tables, Input, Output,
};
use crate::protocol::{self, Service};
use serde_json::Value;
use std::sync::Arc;

/// Handles one request end to end. Blocking engine work runs on tokio's blocking pool.
pub async fn handle(
    engine: Arc<Engine>,
    target: Option<String>,
    authorization: Option<String>,
    body: bytes::Bytes,
) -> protocol::Response {
    let result = match protocol::resolve_target(target.as_deref()) {
        Err(e) => Err(e),
        Ok((service, op)) => match protocol::parse_body(&body) {
            Err(e) => Err(e),
            Ok(doc) => {
                let scope = Scope::from_authorization(authorization.as_deref());
                tokio::task::spawn_blocking(move || {
                    run(&engine, &scope, service, &op, &doc).map(Output::into_bytes)
                })
                .await
                .unwrap_or_else(|e| Err(Error::internal(format!("operation panicked: {e}"))))
            }
        },
    };
    protocol::render(result)
}

/// Runs one operation for in-process callers (tests, migrations), its output as a JSON tree.
pub fn call(
    engine: &Engine,
    scope: &Scope,
    service: Service,
    op: &str,
    body: &Value,
) -> Result<Value> {
    match run(engine, scope, service, op, body)? {
        Output::Tree(v) => Ok(v),
        Output::Written(b) => serde_json::from_slice(&b).map_err(Error::internal),
    }
}

/// Validates `body` against the service model, then runs the operation.
pub fn run(
    engine: &Engine,
    scope: &Scope,
    service: Service,
    op: &str,
    body: &Value,
) -> Result<Output> {
    protocol::shape::model(service).validate(op, body)?;
    let input = Input(body.as_object().expect("bodies are objects"));
    let (e, s, i) = (engine, scope, input);
    let tree = match (service, op) {
        (Service::DynamoDb, "GetItem") => return items::get_item::run(e, s, i),
        (Service::DynamoDb, "Query") => return reads::query::run(e, s, i),
        (Service::DynamoDb, "Scan") => return reads::scan::run(e, s, i),
        (Service::DynamoDb, "CreateTable") => tables::create_table::run(e, s, i),
        (Service::DynamoDb, "DescribeTable") => tables::describe_table::run(e, s, i),
        (Service::DynamoDb, "ListTables") => tables::list_tables::run(e, s, i),
        (Service::DynamoDb, "DeleteTable") => tables::delete_table::run(e, s, i),
        (Service::DynamoDb, "UpdateTable") => tables::update_table::run(e, s, i),
        (Service::DynamoDb, "UpdateTimeToLive") => tables::time_to_live::update(e, s, i),
        (Service::DynamoDb, "DescribeTimeToLive") => tables::time_to_live::describe(e, s, i),
        (Service::DynamoDb, "PutItem") => items::put_item::run(e, s, i),
        (Service::DynamoDb, "DeleteItem") => items::delete_item::run(e, s, i),
        (Service::DynamoDb, "UpdateItem") => items::update_item::run(e, s, i),
        (Service::DynamoDb, "BatchGetItem") => batches::batch_get_item::run(e, s, i),
        (Service::DynamoDb, "BatchWriteItem") => batches::batch_write_item::run(e, s, i),
        (Service::DynamoDb, "TransactWriteItems") => batches::transact_write_items::run(e, s, i),
        (Service::DynamoDb, "TransactGetItems") => batches::transact_get_items::run(e, s, i),
        (Service::DynamoDb, "CreateBackup") => backups::create_backup::run(e, s, i),
        (Service::DynamoDb, "DescribeBackup") => backups::describe_backup::run(e, s, i),
        (Service::DynamoDb, "ListBackups") => backups::list_backups::run(e, s, i),
        (Service::DynamoDb, "DeleteBackup") => backups::delete_backup::run(e, s, i),
        (Service::DynamoDb, "RestoreTableFromBackup") => {
            backups::restore_table_from_backup::run(e, s, i)
        }
        (Service::DynamoDb, "UpdateContinuousBackups") => {
            backups::continuous_backups::update(e, s, i)
        }
        (Service::DynamoDb, "DescribeContinuousBackups") => {
            backups::continuous_backups::describe(e, s, i)
        }
        (Service::DynamoDb, "RestoreTableToPointInTime") => {
            backups::restore_table_to_point_in_time::run(e, s, i)
        }
        (Service::DynamoDb, "ExportTableToPointInTime") => {
            exports::export_table_to_point_in_time::run(e, s, i)
        }
        (Service::DynamoDb, "DescribeExport") => exports::describe_export::run(e, s, i),
        (Service::DynamoDb, "ListExports") => exports::list_exports::run(e, s, i),
        (Service::DynamoDb, "ImportTable") => imports::import_table::run(e, s, i),
        (Service::DynamoDb, "DescribeImport") => imports::describe_import::run(e, s, i),
        (Service::DynamoDb, "ListImports") => imports::list_imports::run(e, s, i),
        (Service::Streams, "ListStreams") => streams::list_streams(e, s, i),
        (Service::Streams, "DescribeStream") => streams::describe_stream(e, s, i),
        (Service::Streams, "GetShardIterator") => streams::get_shard_iterator(e, s, i),
        (Service::Streams, "GetRecords") => streams::get_records(e, s, i),
        // Operations of the model that a later milestone implements.
        _ => Err(Error::new(
            ErrorKind::UnknownOperation,
            "An unknown operation was requested.",
        )),
    };
    tree.map(Output::Tree)
}
