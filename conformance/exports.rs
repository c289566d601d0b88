//! Exports to and imports from S3 end to end through aws-sdk-dynamodb, in the default local
//! object store (`{data_dir}/s3/<bucket>/...`): a full export of 10,000 items lays out the
//! service's files (manifest summary and files, gzip'd DynamoDB JSON data with matching MD5s and
//! counts) holding exactly the table's items, and imports back into a new table identical by
//! Scan; an incremental export holds exactly the period's changes; CSV and ZSTD imports count
//! malformed lines and import the rest; a missing bucket fails the export or import with the
//! service's code instead of hanging. With `AWSIM_TEST_S3_ENDPOINT` set, the export/import round
//! trip (and a bulk put of the export) runs against that S3-compatible server.
use aws_sdk_dynamodb::primitives::DateTime;
use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, CsvOptions, ExportStatus, ExportType, ExportViewType,
    ImportStatus, IncrementalExportSpecification, InputCompressionType, InputFormat,
    InputFormatOptions, KeyType, PointInTimeRecoverySpecification, PutRequest, S3BucketSource,
    ScalarAttributeType, TableCreationParameters, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use base64::Engine as _;
use md5::{Digest, Md5};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

mod support;
use support::{start, wait_for};

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

async fn table_with_pitr(db: &Client, name: &str) {
    support::hash_table(db, name).send().await.unwrap();
    db.update_continuous_backups()
        .table_name(name)
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

async fn load(db: &Client, table: &str, n: usize) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(25) {
        let writes = chunk
            .iter()
            .map(|i| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .item("pk", s(&format!("item{i:05}")))
                            .item("n", AttributeValue::N(i.to_string()))
                            .item(
                                "tags",
                                AttributeValue::Ss(vec!["a".into(), format!("t{}", i % 7)]),
                            )
                            .item("blob", AttributeValue::B(vec![*i as u8, 0, 255].into()))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect();
        db.batch_write_item()
            .request_items(table, writes)
            .send()
            .await
            .unwrap();
    }
}

/// The table's items by Scan, each as its DynamoDB JSON (the wire's AttributeValue JSON).
async fn scan_json(server: &support::Server, table: &str) -> BTreeMap<String, Value> {
    let client = reqwest::Client::new();
    let mut out = BTreeMap::new();
    let mut start: Option<Value> = None;
    loop {
        let mut body = serde_json::json!({"TableName": table});
        if let Some(k) = start.take() {
            body["ExclusiveStartKey"] = k;
        }
        let page: Value = client
            .post(format!("http://{}/", server.addr))
            .header("X-Amz-Target", "DynamoDB_20120810.Scan")
            .header("Content-Type", "application/x-amz-json-1.0")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for item in page["Items"].as_array().unwrap() {
            out.insert(item["pk"]["S"].as_str().unwrap().to_string(), item.clone());
        }
        match page.get("LastEvaluatedKey") {
            Some(k) => start = Some(k.clone()),
            None => return out,
        }
    }
}

fn table_parameters(name: &str) -> TableCreationParameters {
    TableCreationParameters::builder()
        .table_name(name)
        .key_schema(support::key("pk", KeyType::Hash))
        .attribute_definitions(support::def("pk", ScalarAttributeType::S))
        .billing_mode(BillingMode::PayPerRequest)
        .build()
        .unwrap()
}

/// Imports `prefix` of `bucket` into a new table `name` and waits for the import to end.
async fn import_into(
    db: &Client,
    name: &str,
    bucket: &str,
    prefix: &str,
    format: InputFormat,
    compression: InputCompressionType,
    options: Option<InputFormatOptions>,
) -> aws_sdk_dynamodb::types::ImportTableDescription {
    let started = db
        .import_table()
        .s3_bucket_source(
            S3BucketSource::builder()
                .s3_bucket(bucket)
                .s3_key_prefix(prefix)
                .build()
                .unwrap(),
        )
        .input_format(format)
        .set_input_format_options(options)
        .input_compression_type(compression)
        .table_creation_parameters(table_parameters(name))
        .send()
        .await
        .unwrap()
        .import_table_description
        .unwrap();
    let arn = started.import_arn.unwrap();
    wait_for("import finished", || async {
        let d = db.describe_import().import_arn(&arn).send().await.ok()?;
        let d = d.import_table_description?;
        (d.import_status != Some(ImportStatus::InProgress)).then_some(d)
    })
    .await
}

async fn wait_export(db: &Client, arn: &str) -> aws_sdk_dynamodb::types::ExportDescription {
    wait_for("export finished", || async {
        let d = db.describe_export().export_arn(arn).send().await.ok()?;
        let d = d.export_description?;
        (d.export_status != Some(ExportStatus::InProgress)).then_some(d)
    })
    .await
}

/// Reads an export's files under `bucket_dir` and checks the manifests; returns its data lines.
fn read_export(bucket_dir: &Path, manifest: &str) -> (Value, Vec<Value>) {
    let summary: Value =
        serde_json::from_slice(&std::fs::read(bucket_dir.join(manifest)).unwrap()).unwrap();
    let files_key = summary["manifestFilesS3Key"].as_str().unwrap();
    let files = std::fs::read_to_string(bucket_dir.join(files_key)).unwrap();
    let mut lines = Vec::new();
    let mut total = 0;
    for entry in files.lines() {
        let entry: Value = serde_json::from_str(entry).unwrap();
        let key = entry["dataFileS3Key"].as_str().unwrap();
        assert!(key.contains("/data/") && key.ends_with(".json.gz"), "{key}");
        let gz = std::fs::read(bucket_dir.join(key)).unwrap();
        let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(&gz));
        assert_eq!(entry["md5Checksum"], md5);
        let mut text = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut text)
            .unwrap();
        let n = text.lines().count();
        assert_eq!(entry["itemCount"], n);
        total += n;
        lines.extend(
            text.lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap()),
        );
    }
    assert_eq!(summary["itemCount"], total);
    (summary, lines)
}

// The service's export layout and content: every item of a 10,000-item table exactly once, as
// the table holds it (checked against a Scan), with manifests whose counts and MD5s hold.
#[tokio::test]
async fn full_export_of_10000_items_matches_the_table() {
    let dir = support::temp_dir("exports");
    let server = start(Some(dir.clone())).await;
    let db = server.dynamodb();
    table_with_pitr(&db, "catalog").await;
    load(&db, "catalog", 10_000).await;
    let bucket_dir = dir.join("s3").join("exports-bucket");
    std::fs::create_dir_all(&bucket_dir).unwrap();
    let started = db
        .export_table_to_point_in_time()
        .table_arn("arn:aws:dynamodb:us-east-1:000000000000:table/catalog")
        .s3_bucket("exports-bucket")
        .s3_prefix("nightly")
        .send()
        .await
        .unwrap()
        .export_description
        .unwrap();
    assert_eq!(started.export_status, Some(ExportStatus::InProgress));
    let arn = started.export_arn.unwrap();
    let done = wait_export(&db, &arn).await;
    assert_eq!(done.export_status, Some(ExportStatus::Completed));
    assert_eq!(done.item_count, Some(10_000));
    let manifest = done.export_manifest.unwrap();
    let export_id = arn.rsplit('/').next().unwrap();
    assert_eq!(
        manifest,
        format!("nightly/AWSDynamoDB/{export_id}/manifest-summary.json")
    );
    let (summary, lines) = read_export(&bucket_dir, &manifest);
    assert_eq!(summary["exportType"], "FULL_EXPORT");
    assert_eq!(summary["outputFormat"], "DYNAMODB_JSON");
    let exported: BTreeMap<String, Value> = lines
        .into_iter()
        .map(|l| {
            (
                l["Item"]["pk"]["S"].as_str().unwrap().to_string(),
                l["Item"].clone(),
            )
        })
        .collect();
    assert_eq!(exported.len(), 10_000);
    assert_eq!(exported, scan_json(&server, "catalog").await);

    let listed = db.list_exports().send().await.unwrap();
    assert_eq!(listed.export_summaries().len(), 1);

    // The export's root imports back as the same table.
    let prefix = manifest.trim_end_matches("/manifest-summary.json");
    let import = import_into(
        &db,
        "catalog_copy",
        "exports-bucket",
        prefix,
        InputFormat::DynamodbJson,
        InputCompressionType::Gzip,
        None,
    )
    .await;
    assert_eq!(
        import.import_status,
        Some(ImportStatus::Completed),
        "{:?}",
        import.failure_message
    );
    assert_eq!(import.imported_item_count, 10_000);
    assert_eq!(import.error_count, 0);
    assert_eq!(
        scan_json(&server, "catalog_copy").await,
        scan_json(&server, "catalog").await
    );

    // And a bulk put of the same root into an existing table gives the same table again.
    support::hash_table(&db, "catalog_bulk")
        .send()
        .await
        .unwrap();
    let op = bulk_put(
        &server,
        json!({
            "TableName": "catalog_bulk",
            "InputS3Configuration": {"S3Bucket": "exports-bucket", "S3KeyPrefix": prefix,
                "InputFormat": "DYNAMODB_JSON", "InputCompressionType": "GZIP"},
            "OutputS3Configuration": {"S3Bucket": "exports-bucket", "OutputType": ["ERROR"]},
        }),
    )
    .await;
    assert_eq!(op["BulkOperationStatus"], "COMPLETED", "{op}");
    assert_eq!(
        (
            op["ProcessedItemCount"].as_i64(),
            op["FailedItemCount"].as_i64()
        ),
        (Some(10_000), Some(0))
    );
    assert_eq!(
        scan_json(&server, "catalog_bulk").await,
        scan_json(&server, "catalog").await
    );
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// One call over the wire with a JSON body (the bulk operations are newer than the SDK this
/// crate builds with): the status and the body.
async fn raw(server: &support::Server, op: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("http://{}/", server.addr))
        .header("X-Amz-Target", format!("DynamoDB_20120810.{op}"))
        .header("Content-Type", "application/x-amz-json-1.0")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Waits until the bulk operation is no longer in progress; its description.
async fn wait_bulk(server: &support::Server, arn: &str) -> Value {
    wait_for("bulk operation finished", || async {
        let (_, out) = raw(
            server,
            "DescribeBulkOperation",
            &json!({"BulkOperationArn": arn}),
        )
        .await;
        let d = out["BulkOperationDescription"].clone();
        (d["BulkOperationStatus"] != "IN_PROGRESS" && d["BulkOperationStatus"] != "CANCELLING")
            .then_some(d)
    })
    .await
}

/// Starts a bulk put and waits for it to end; its description.
async fn bulk_put(server: &support::Server, request: Value) -> Value {
    let (status, out) = raw(server, "StartBulkPutItems", &request).await;
    assert_eq!(status, 200, "{out}");
    let started = &out["BulkOperationDescription"];
    assert_eq!(started["BulkOperationStatus"], "IN_PROGRESS");
    wait_bulk(server, started["BulkOperationArn"].as_str().unwrap()).await
}

// A bulk put into an existing table: malformed lines and items without the key are counted,
// reported to the output bucket (object, line, reason) and skipped; the other lines are
// written over what the table held. ClientToken names one operation; ListBulkOperations pages
// newest first; a missing input bucket fails the operation; an operation queued before a
// restart finishes after it.
#[tokio::test]
async fn bulk_put_reports_malformed_lines_and_writes_the_rest() {
    let dir = support::temp_dir("bulk");
    let server = start(Some(dir.clone())).await;
    let db = server.dynamodb();
    support::hash_table(&db, "people").send().await.unwrap();
    db.put_item()
        .table_name("people")
        .item("pk", s("ann"))
        .item("age", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    let input = dir.join("s3").join("incoming").join("people");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::create_dir_all(dir.join("s3").join("reports")).unwrap();
    let part1 = "{\"Item\":{\"pk\":{\"S\":\"ann\"},\"age\":{\"N\":\"41\"}}}\nnot json\n{\"Item\":{\"name\":{\"S\":\"no key\"}}}\n";
    let part2 = "{\"Item\":{\"pk\":{\"S\":\"bob\"},\"tags\":{\"SS\":[\"a\",\"b\"]}}}\n\n{\"Item\":{\"pk\":{\"N\":\"7\"}}}\n";
    let gz = |text: &str| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut e, text.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    std::fs::write(input.join("part-1.json.gz"), gz(part1)).unwrap();
    std::fs::write(input.join("part-2.json.gz"), gz(part2)).unwrap();
    let request = json!({
        "TableName": "arn:aws:dynamodb:us-east-1:000000000000:table/people",
        "InputS3Configuration": {"S3Bucket": "incoming", "S3KeyPrefix": "people",
            "InputFormat": "DYNAMODB_JSON", "InputCompressionType": "GZIP"},
        "OutputS3Configuration": {"S3Bucket": "reports", "S3KeyPrefix": "runs", "OutputType": ["ERROR"]},
        "ClientToken": "load-people-1",
    });
    let op = bulk_put(&server, request.clone()).await;
    assert_eq!(op["BulkOperationStatus"], "COMPLETED_WITH_ERRORS", "{op}");
    assert_eq!(op["ProcessedItemCount"], 5);
    assert_eq!(op["FailedItemCount"], 3);
    assert!(op["EndTime"].as_f64().unwrap() >= op["StartTime"].as_f64().unwrap());
    assert_eq!(op["ProcessedInputBytes"], op["TotalInputBytes"]);
    assert_eq!(op["PerformanceTier"], "STANDARD");
    let usage = &op["BulkOperationUsage"][0];
    assert!(usage["Table"]["BulkPutBytes"].as_i64().unwrap() > 0);
    let people = scan_json(&server, "people").await;
    assert_eq!(people.len(), 2);
    assert_eq!(people["ann"]["age"]["N"], "41");
    assert_eq!(people["bob"]["tags"]["SS"], json!(["a", "b"]));

    // The report: the three failed lines, in input order, with the object and line.
    let arn = op["BulkOperationArn"].as_str().unwrap().to_string();
    let id = arn.rsplit('/').next().unwrap();
    let base = dir.join("s3/reports/runs/AWSDynamoDB").join(id);
    let summary: Value =
        serde_json::from_slice(&std::fs::read(base.join("manifest-summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["failedItemCount"], 3);
    let errors: Vec<Value> = std::fs::read_to_string(base.join("errors/part-00000.json"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let at: Vec<(&str, i64)> = errors
        .iter()
        .map(|e| {
            (
                e["ObjectKey"].as_str().unwrap(),
                e["LineNumber"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        at,
        [
            ("people/part-1.json.gz", 2),
            ("people/part-1.json.gz", 3),
            ("people/part-2.json.gz", 3)
        ]
    );
    assert_eq!(errors[1]["ErrorCode"], "ValidationError");
    assert_eq!(errors[0]["Record"], "not json");

    // The same token and request: the same operation; the token with another request: refused.
    let (_, again) = raw(&server, "StartBulkPutItems", &request).await;
    assert_eq!(
        again["BulkOperationDescription"]["BulkOperationArn"],
        arn.as_str()
    );
    let mut other = request.clone();
    other["InputS3Configuration"]["S3KeyPrefix"] = json!("elsewhere");
    let (status, refused) = raw(&server, "StartBulkPutItems", &other).await;
    assert_eq!(status, 400);
    assert_eq!(
        refused["__type"],
        "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException"
    );

    // A missing input bucket fails the operation (nothing written).
    let mut missing = request.clone();
    missing["ClientToken"] = json!("load-people-2");
    missing["InputS3Configuration"]["S3Bucket"] = json!("no-such-bucket");
    let failed = bulk_put(&server, missing).await;
    assert_eq!(failed["BulkOperationStatus"], "FAILED");
    assert_eq!(failed["FailureCode"], "S3NoSuchBucket");
    let (status, refused) = raw(
        &server,
        "CancelBulkOperation",
        &json!({"BulkOperationArn": failed["BulkOperationArn"]}),
    )
    .await;
    assert_eq!(
        (status, refused["__type"].as_str()),
        (400, Some("com.amazon.coral.validate#ValidationException"))
    );

    // Newest first, one per page.
    let (_, page1) = raw(&server, "ListBulkOperations", &json!({"MaxResults": 1})).await;
    assert_eq!(
        page1["BulkOperationsSummaryList"][0]["BulkOperationArn"],
        failed["BulkOperationArn"]
    );
    let (_, page2) = raw(
        &server,
        "ListBulkOperations",
        &json!({"MaxResults": 1, "NextToken": page1["NextToken"]}),
    )
    .await;
    assert_eq!(
        page2["BulkOperationsSummaryList"][0]["BulkOperationArn"],
        arn.as_str()
    );
    assert!(page2.get("NextToken").is_none());
    let (status, missing) = raw(
        &server,
        "DescribeBulkOperation",
        &json!({"BulkOperationArn": format!("{arn}0")}),
    )
    .await;
    assert_eq!(
        (status, missing["__type"].as_str()),
        (
            400,
            Some("com.amazonaws.dynamodb.v20120810#ResourceNotFoundException")
        )
    );
    server.shutdown().await;

    // Queued by an in-process engine that runs no jobs, then a restart: it finishes.
    let mut config = awsim::Config::in_memory();
    config.in_memory = false;
    config.data_dir = dir.clone();
    let engine = awsim::engine::Engine::open(&config).unwrap();
    let scope = awsim::model::Scope {
        account: "000000000000".into(),
        region: "us-east-1".into(),
    };
    std::fs::write(
        input.join("part-3.json.gz"),
        gz("{\"Item\":{\"pk\":{\"S\":\"cy\"}}}\n"),
    )
    .unwrap();
    let mut queued = request.clone();
    queued["ClientToken"] = json!("load-people-3");
    let out = awsim::dispatch::call(
        &engine,
        &scope,
        awsim::protocol::Service::DynamoDb,
        "StartBulkPutItems",
        &queued,
    )
    .unwrap();
    let queued_arn = out["BulkOperationDescription"]["BulkOperationArn"]
        .as_str()
        .unwrap()
        .to_string();
    engine.close();
    drop(engine);
    let server = start(Some(dir.clone())).await;
    let done = wait_bulk(&server, &queued_arn).await;
    assert_eq!(done["BulkOperationStatus"], "COMPLETED_WITH_ERRORS");
    assert_eq!(
        (
            done["ProcessedItemCount"].as_i64(),
            done["FailedItemCount"].as_i64()
        ),
        (Some(6), Some(3))
    );
    assert_eq!(scan_json(&server, "people").await.len(), 3);
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

// An incremental export holds each key written in the period once, with its image at the end
// of the period (none when deleted) and at its start (with NEW_AND_OLD_IMAGES); writes outside
// the period are not in it. A missing bucket fails the export with S3NoSuchBucket.
#[tokio::test]
async fn incremental_export_holds_the_period_and_missing_buckets_fail() {
    let dir = support::temp_dir("exports-incremental");
    let server = start(Some(dir.clone())).await;
    let db = server.dynamodb();
    table_with_pitr(&db, "events").await;
    let put = |pk: &'static str, v: &'static str| {
        let db = db.clone();
        async move {
            db.put_item()
                .table_name("events")
                .item("pk", s(pk))
                .item("v", s(v))
                .send()
                .await
                .unwrap();
        }
    };
    put("before", "1").await;
    put("changed", "old").await;
    put("deleted", "x").await;
    server.advance(60).await;
    let from = server.now().await;
    server.advance(1).await;
    put("changed", "new").await;
    put("added", "1").await;
    db.delete_item()
        .table_name("events")
        .key("pk", s("deleted"))
        .send()
        .await
        .unwrap();
    put("flash", "1").await;
    db.delete_item()
        .table_name("events")
        .key("pk", s("flash"))
        .send()
        .await
        .unwrap();
    server.advance(60).await;
    let to = server.now().await;
    server.advance(1).await;
    put("after", "1").await;

    let bucket_dir = dir.join("s3").join("inc");
    std::fs::create_dir_all(&bucket_dir).unwrap();
    let arn = db
        .export_table_to_point_in_time()
        .table_arn("events")
        .s3_bucket("inc")
        .export_type(ExportType::IncrementalExport)
        .incremental_export_specification(
            IncrementalExportSpecification::builder()
                .export_from_time(DateTime::from_secs_f64(from))
                .export_to_time(DateTime::from_secs_f64(to))
                .export_view_type(ExportViewType::NewAndOldImages)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .export_description
        .unwrap()
        .export_arn
        .unwrap();
    let done = wait_export(&db, &arn).await;
    assert_eq!(done.export_status, Some(ExportStatus::Completed));
    let (_, lines) = read_export(&bucket_dir, &done.export_manifest.unwrap());
    let by_key: BTreeMap<String, Value> = lines
        .into_iter()
        .map(|l| (l["Keys"]["pk"]["S"].as_str().unwrap().to_string(), l))
        .collect();
    assert_eq!(
        by_key.keys().collect::<Vec<_>>(),
        ["added", "changed", "deleted"]
    );
    assert_eq!(by_key["changed"]["NewImage"]["v"]["S"], "new");
    assert_eq!(by_key["changed"]["OldImage"]["v"]["S"], "old");
    assert!(by_key["added"].get("OldImage").is_none());
    assert!(by_key["deleted"].get("NewImage").is_none());
    assert_eq!(by_key["deleted"]["OldImage"]["v"]["S"], "x");
    assert!(by_key["added"]["Metadata"]["WriteTimestampMicros"]["N"].is_string());

    let arn = db
        .export_table_to_point_in_time()
        .table_arn("events")
        .s3_bucket("no-such-bucket")
        .send()
        .await
        .unwrap()
        .export_description
        .unwrap()
        .export_arn
        .unwrap();
    let failed = wait_export(&db, &arn).await;
    assert_eq!(failed.export_status, Some(ExportStatus::Failed));
    assert_eq!(failed.failure_code.as_deref(), Some("S3NoSuchBucket"));
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

// Optional: the same export, and its import back, against a real S3-compatible server (path-style), e.g.
// `moto_server -p 5000` with `AWSIM_TEST_S3_ENDPOINT=http://127.0.0.1:5000`. The bucket
// `awsim-test` must exist there. Skipped, saying so, when the variable is unset.
#[tokio::test]
async fn export_to_a_real_s3_compatible_server() {
    let Ok(endpoint) = std::env::var("AWSIM_TEST_S3_ENDPOINT") else {
        println!("skipped: AWSIM_TEST_S3_ENDPOINT is not set (point it at an S3-compatible server with a bucket named awsim-test)");
        return;
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = awsim::Config::in_memory();
    config.s3_endpoint = Some(endpoint.clone());
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(awsim::server::run(listener, config, async {
        let _ = rx.await;
    }));
    let server = support::Server::from_parts(addr, stop, done);
    let db = server.dynamodb();
    table_with_pitr(&db, "remote").await;
    load(&db, "remote", 500).await;
    let arn = db
        .export_table_to_point_in_time()
        .table_arn("remote")
        .s3_bucket("awsim-test")
        .s3_prefix("it")
        .send()
        .await
        .unwrap()
        .export_description
        .unwrap()
        .export_arn
        .unwrap();
    let done = wait_export(&db, &arn).await;
    assert_eq!(
        done.export_status,
        Some(ExportStatus::Completed),
        "{:?}",
        done.failure_message
    );
    assert_eq!(done.item_count, Some(500));
    // The manifest is in the remote bucket.
    let objects = awsim::objects::Objects::new(awsim::objects::Location::Endpoint(endpoint));
    let manifest = done.export_manifest.unwrap();
    let manifest_for_prefix = manifest.clone();
    let manifest_key_prefix = move |_: &Value| {
        manifest_for_prefix
            .trim_end_matches("/manifest-summary.json")
            .to_string()
    };
    let summary = tokio::task::spawn_blocking(move || objects.get("awsim-test", &manifest))
        .await
        .unwrap()
        .unwrap();
    let summary: Value = serde_json::from_slice(&summary).unwrap();
    assert_eq!(summary["itemCount"], 500);
    let prefix = manifest_key_prefix(&summary);
    let import = import_into(
        &db,
        "remote_copy",
        "awsim-test",
        &prefix,
        InputFormat::DynamodbJson,
        InputCompressionType::Gzip,
        None,
    )
    .await;
    assert_eq!(
        import.import_status,
        Some(ImportStatus::Completed),
        "{:?}",
        import.failure_message
    );
    assert_eq!(import.imported_item_count, 500);
    assert_eq!(
        scan_json(&server, "remote_copy").await,
        scan_json(&server, "remote").await
    );
    // A bulk put of the same objects into an existing table, its report in the remote bucket.
    support::hash_table(&db, "remote_bulk")
        .send()
        .await
        .unwrap();
    let op = bulk_put(
        &server,
        json!({
            "TableName": "remote_bulk",
            "InputS3Configuration": {"S3Bucket": "awsim-test", "S3KeyPrefix": prefix,
                "InputFormat": "DYNAMODB_JSON", "InputCompressionType": "GZIP"},
            "OutputS3Configuration": {"S3Bucket": "awsim-test", "S3KeyPrefix": "bulk-reports", "OutputType": ["ERROR"]},
        }),
    )
    .await;
    assert_eq!(op["BulkOperationStatus"], "COMPLETED", "{op}");
    assert_eq!(
        scan_json(&server, "remote_bulk").await,
        scan_json(&server, "remote").await
    );
    server.shutdown().await;
}

// Imports in the other formats and compressions: CSV (header line, quoted fields) compressed
// with ZSTD, DynamoDB JSON uncompressed; malformed lines (bad JSON, a missing key, a wrong field
// count) are counted and skipped, the rest imported. A missing bucket fails the import.
#[tokio::test]
async fn imports_count_bad_lines_and_import_the_rest() {
    let dir = support::temp_dir("imports");
    let server = start(Some(dir.clone())).await;
    let db = server.dynamodb();
    let bucket = dir.join("s3").join("incoming");
    std::fs::create_dir_all(bucket.join("csv")).unwrap();
    std::fs::create_dir_all(bucket.join("json")).unwrap();
    let csv = "pk;city;note\na;Lyon;\"x; \"\"y\"\"\"\nb;Oslo\nc;Rome;z;extra\n";
    let zst = zstd::encode_all(csv.as_bytes(), 3).unwrap();
    std::fs::write(bucket.join("csv/part-1.csv.zst"), zst).unwrap();
    let import = import_into(
        &db,
        "from_csv",
        "incoming",
        "csv",
        InputFormat::Csv,
        InputCompressionType::Zstd,
        Some(
            InputFormatOptions::builder()
                .csv(CsvOptions::builder().delimiter(";").build())
                .build(),
        ),
    )
    .await;
    assert_eq!(import.import_status, Some(ImportStatus::Completed));
    assert_eq!(
        (
            import.processed_item_count,
            import.imported_item_count,
            import.error_count
        ),
        (3, 2, 1)
    );
    let got = scan_json(&server, "from_csv").await;
    assert_eq!(got["a"]["note"]["S"], "x; \"y\"");
    assert_eq!(got["b"]["city"]["S"], "Oslo");
    assert!(got["b"].get("note").is_none());

    let json = "{\"Item\":{\"pk\":{\"S\":\"k1\"},\"n\":{\"N\":\"1\"}}}\nnot json\n{\"Item\":{\"other\":{\"S\":\"x\"}}}\n{\"Item\":{\"pk\":{\"S\":\"k2\"}}}\n";
    std::fs::write(bucket.join("json/data.json"), json).unwrap();
    let import = import_into(
        &db,
        "from_json",
        "incoming",
        "json",
        InputFormat::DynamodbJson,
        InputCompressionType::None,
        None,
    )
    .await;
    assert_eq!(import.import_status, Some(ImportStatus::Completed));
    assert_eq!(
        (
            import.processed_item_count,
            import.imported_item_count,
            import.error_count
        ),
        (4, 2, 2)
    );
    assert_eq!(scan_json(&server, "from_json").await.len(), 2);

    let import = import_into(
        &db,
        "from_nowhere",
        "no-such-bucket",
        "",
        InputFormat::DynamodbJson,
        InputCompressionType::None,
        None,
    )
    .await;
    assert_eq!(import.import_status, Some(ImportStatus::Failed));
    assert_eq!(import.failure_code.as_deref(), Some("S3NoSuchBucket"));
    let err = db
        .describe_table()
        .table_name("from_nowhere")
        .send()
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("ResourceNotFoundException"));
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
