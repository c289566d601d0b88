//! The dispatcher: the one place that joins the wire (`protocol`) to the operations (`ops`).
//! `protocol` turns a target and body into a validated request and renders results; `ops` runs
//! operations on typed input; neither imports the other's entry points. The dispatch table is one
//! `match` on (service, operation); an operation of the model that is not served yet answers
//! UnknownOperationException.
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::model::Scope;
use crate::ops::{
    backups, batches, bulk, control, exports, imports, items, partiql, reads, streams, tables,
    Input, Output,
};
use crate::protocol::{self, Service};
use serde_json::Value;
use std::sync::Arc;

/// What a request says besides its body: the operation, the credential scope, the host it was
/// sent to.
pub struct Headers {
    /// The operation `X-Amz-Target` names (`protocol::resolve_target`), or why it names none.
    pub operation: Result<(Service, &'static str)>,
    /// The caller as the Authorization header's credential scope names it (unchecked).
    pub scope: Scope,
    /// The `Host` header: the address DescribeEndpoints answers.
    pub host: Option<String>,
    /// Strict authentication: the verified caller, or why the request is refused (checked
    /// after the target and body, as the service orders its checks). None: permissive, the
    /// scope read from the Authorization header unchecked.
    pub verified: Option<Result<Scope>>,
}

/// Handles one request end to end. Blocking engine work runs on tokio's blocking pool.
pub async fn handle(
    engine: Arc<Engine>,
    headers: Headers,
    body: bytes::Bytes,
) -> protocol::Response {
    let Headers {
        operation,
        scope: claimed,
        host,
        verified,
    } = headers;
    // The caller's scope, checked by each path after the body (the service's order).
    let scope = match verified {
        None => Ok(claimed),
        Some(v) => v,
    };
    let result = match operation {
        Err(e) => Err(e),
        Ok((service, op)) if inline(service, op) => inline_op(engine, scope, host, op, body).await,
        Ok((service, op)) => general(engine, scope, host, service, op, body).await,
    };
    protocol::render(result)
}

/// Operations short enough to run on the async worker that read the request: a point read or
/// write of one item holds the store for a few microseconds, less than the hop to the blocking
/// pool and back costs (two context switches and wake-ups per request). Everything that may
/// read or write many items (queries, scans, batches, transactions, table changes) stays on the
/// blocking pool, so a long request never holds up the connections of a worker.
fn inline(service: Service, op: &str) -> bool {
    service == Service::DynamoDb
        && matches!(op, "GetItem" | "PutItem" | "UpdateItem" | "DeleteItem")
}

/// Runs an inline operation. Writes go through the engine's combiner (`engine/combine.rs`),
/// which runs the writes that arrive together in one transaction at the writer connection,
/// with no worker ever sleeping on it. A read goes straight to the store, unless it would
/// have to wait for the writer connection (an in-memory store's reads share it) while writes
/// hold or await it: then it joins them.
async fn inline_op(
    engine: Arc<Engine>,
    scope: Result<Scope>,
    host: Option<String>,
    op: &'static str,
    body: bytes::Bytes,
) -> Result<Vec<u8>> {
    use std::sync::atomic::Ordering;
    let write = op != "GetItem";
    let _writing = write.then(|| Writing::new(&engine.inline_writers));
    let joins =
        write || engine.reads_use_writer() && engine.inline_writers.load(Ordering::Acquire) > 0;
    if !joins {
        return run_inline(&engine, &scope, host.as_deref(), op, &body);
    }
    // The request's span (its id) follows the work to whichever worker leads its batch.
    let span = tracing::Span::current();
    let e = engine.clone();
    let work = move || {
        let _entered = span.enter();
        run_inline(&e, &scope, host.as_deref(), op, &body)
    };
    engine.inline(Box::new(work)).await
}

/// A write counted in `Engine::inline_writers` until dropped (also when its request is given
/// up while it waits).
struct Writing<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Writing<'a> {
    fn new(count: &'a std::sync::atomic::AtomicUsize) -> Writing<'a> {
        count.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Writing(count)
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Runs an inline operation on this thread, a panic answered as an internal error. The plain
/// GetItem and PutItem are read without a `Value` tree (`protocol::typed`); any other shape
/// takes the general path, which gives the same answer (and every error).
fn run_inline(
    engine: &Engine,
    scope: &Result<Scope>,
    host: Option<&str>,
    op: &'static str,
    body: &[u8],
) -> Result<Vec<u8>> {
    let scope = || scope.as_ref().map_err(Clone::clone);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        match op {
            "GetItem" => {
                if let Some(request) = protocol::typed::key_request(body) {
                    return items::get_item::run_typed(engine, scope()?, request)
                        .map(Output::into_bytes);
                }
            }
            "PutItem" => {
                if let Some(request) = protocol::typed::put_request(body) {
                    return items::put_item::run_typed(engine, scope()?, request)
                        .map(|tree| Output::Tree(tree).into_bytes());
                }
            }
            _ => {}
        }
        let doc = protocol::parse_body(body)?;
        run(engine, scope()?, host, Service::DynamoDb, op, &doc).map(Output::into_bytes)
    }))
    .unwrap_or_else(|_| Err(Error::internal("operation panicked")))
}

/// The general path: the body parsed into a `Value`, the caller's scope, then the operation
/// (validated against the model first) on the blocking pool.
async fn general(
    engine: Arc<Engine>,
    scope: Result<Scope>,
    host: Option<String>,
    service: Service,
    op: &'static str,
    body: bytes::Bytes,
) -> Result<Vec<u8>> {
    let doc = protocol::parse_body(&body)?;
    let scope = scope?;
    // The request's span (its id) follows the operation onto the blocking thread.
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        run(&engine, &scope, host.as_deref(), service, op, &doc).map(Output::into_bytes)
    })
    .await
    .unwrap_or_else(|e| Err(Error::internal(format!("operation panicked: {e}"))))
}

/// Handles a query-protocol request (form-encoded, XML answer): STS GetCallerIdentity, the one
/// action served this way. The caller is its account's root: awsim has no users.
pub fn handle_query(headers: &Headers, body: &[u8]) -> protocol::Response {
    use protocol::query;
    let params = query::parse_form(body);
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let version = param("Version");
    match param("Action") {
        None => query::error(
            "MissingAction",
            "The request must contain the parameter Action.",
        ),
        Some("GetCallerIdentity") if version == Some(query::STS_VERSION) => {
            let scope = &headers.scope;
            query::caller_identity(&scope.account, &control::caller_arn(scope), &scope.account)
        }
        Some(action) => query::unknown_action(action, version),
    }
}

/// `GET /_awsim/insights/<table>` (README): the keys contributor insights counted on the
/// table and its GSIs. The table is the caller's (the Authorization header's account and
/// region, or `account=` / `region=` in the query); `minutes=` (1-60, default 60) and `top=`
/// (default 10) shape the answer. Returns the HTTP status and the JSON body.
pub fn insights(
    engine: &Engine,
    authorization: Option<&str>,
    table: &str,
    query: &str,
) -> (u16, Value) {
    let mut scope = Scope::from_authorization(authorization);
    let (mut minutes, mut top) = (crate::engine::insights::WINDOW_SLOTS, 10);
    for (k, v) in protocol::query::parse_form(query.as_bytes()) {
        match k.as_str() {
            "account" => scope.account = v,
            "region" => scope.region = v,
            "minutes" => minutes = v.parse().unwrap_or(minutes),
            "top" => top = v.parse().unwrap_or(top),
            _ => {}
        }
    }
    match control::contributor_insights::report(engine, &scope, table, minutes, top) {
        Ok(v) => (200, v),
        Err(e) => (
            if e.kind == ErrorKind::ResourceNotFound {
                404
            } else {
                400
            },
            serde_json::json!({"error": e.message.unwrap_or_default()}),
        ),
    }
}

/// Runs one operation for in-process callers (tests, migrations), its output as a JSON tree.
pub fn call(
    engine: &Engine,
    scope: &Scope,
    service: Service,
    op: &str,
    body: &Value,
) -> Result<Value> {
    match run(engine, scope, None, service, op, body)? {
        Output::Tree(v) => Ok(v),
        Output::Written(b) => serde_json::from_slice(&b).map_err(Error::internal),
    }
}

/// Validates `body` against the service model, then runs the operation. `host` is the address
/// the client used, when known.
pub fn run(
    engine: &Engine,
    scope: &Scope,
    host: Option<&str>,
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
        (Service::DynamoDb, "SearchVectors") => reads::search_vectors::run(e, s, i),
        (Service::DynamoDb, "ExecuteStatement") => return partiql::execute_statement::run(e, s, i),
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
        (Service::DynamoDb, "StartBulkPutItems") => bulk::start_bulk_put_items::run(e, s, i),
        (Service::DynamoDb, "DescribeBulkOperation") => bulk::describe_bulk_operation::run(e, s, i),
        (Service::DynamoDb, "ListBulkOperations") => bulk::list_bulk_operations::run(e, s, i),
        (Service::DynamoDb, "CancelBulkOperation") => bulk::cancel_bulk_operation::run(e, s, i),
        (Service::DynamoDb, "BatchExecuteStatement") => {
            partiql::batch_execute_statement::run(e, s, i)
        }
        (Service::DynamoDb, "ExecuteTransaction") => partiql::execute_transaction::run(e, s, i),
        (Service::DynamoDb, "TagResource") => control::tags::tag_resource(e, s, i),
        (Service::DynamoDb, "UntagResource") => control::tags::untag_resource(e, s, i),
        (Service::DynamoDb, "ListTagsOfResource") => control::tags::list_tags_of_resource(e, s, i),
        (Service::DynamoDb, "PutResourcePolicy") => control::policies::put_resource_policy(e, s, i),
        (Service::DynamoDb, "GetResourcePolicy") => control::policies::get_resource_policy(e, s, i),
        (Service::DynamoDb, "DeleteResourcePolicy") => {
            control::policies::delete_resource_policy(e, s, i)
        }
        (Service::DynamoDb, "EnableKinesisStreamingDestination") => {
            control::kinesis::enable(e, s, i)
        }
        (Service::DynamoDb, "DisableKinesisStreamingDestination") => {
            control::kinesis::disable(e, s, i)
        }
        (Service::DynamoDb, "UpdateKinesisStreamingDestination") => {
            control::kinesis::update(e, s, i)
        }
        (Service::DynamoDb, "DescribeKinesisStreamingDestination") => {
            control::kinesis::describe(e, s, i)
        }
        (Service::DynamoDb, "DescribeTableReplicaAutoScaling") => {
            control::auto_scaling::describe(e, s, i)
        }
        (Service::DynamoDb, "UpdateTableReplicaAutoScaling") => {
            control::auto_scaling::update(e, s, i)
        }
        (Service::DynamoDb, "CreateGlobalTable") => control::global_tables::create(e, s, i),
        (Service::DynamoDb, "UpdateGlobalTable") => control::global_tables::update(e, s, i),
        (Service::DynamoDb, "DescribeGlobalTable") => control::global_tables::describe(e, s, i),
        (Service::DynamoDb, "ListGlobalTables") => control::global_tables::list(e, s, i),
        (Service::DynamoDb, "DescribeGlobalTableSettings") => {
            control::global_tables::describe_settings(e, s, i)
        }
        (Service::DynamoDb, "UpdateGlobalTableSettings") => {
            control::global_tables::update_settings(e, s, i)
        }
        (Service::DynamoDb, "UpdateContributorInsights") => {
            control::contributor_insights::update(e, s, i)
        }
        (Service::DynamoDb, "DescribeContributorInsights") => {
            control::contributor_insights::describe(e, s, i)
        }
        (Service::DynamoDb, "ListContributorInsights") => {
            control::contributor_insights::list(e, s, i)
        }
        (Service::DynamoDb, "DescribeLimits") => control::limits::describe_limits(),
        (Service::DynamoDb, "DescribeEndpoints") => control::limits::describe_endpoints(s, host),
        // awsim's own operation (README), not part of DynamoDB.
        (Service::DynamoDb, "TruncateTable") => control::truncate_table::run(e, s, i),
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
