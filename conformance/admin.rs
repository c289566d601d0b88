//! The admin endpoints for test suites and operators, end to end over HTTP: whole-database
//! snapshots and restores (every account and region, the catalogue with them, requests in
//! flight unharmed), seeding from a file (`--seed`, `AWSIM_SEED`, idempotent), the Prometheus
//! metrics and JSON logs whose request ids match `x-amzn-RequestId`.
use serde_json::{json, Value};
use std::io::BufRead;
use std::time::{Duration, Instant};

/// One DynamoDB call as `account` in `region` (the access key is the account).
async fn call(endpoint: &str, account: &str, region: &str, op: &str, body: Value) -> (u16, Value) {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={account}/20260101/{region}/dynamodb/aws4_request, \
         SignedHeaders=host, Signature=00"
    );
    let resp = reqwest::Client::new()
        .post(endpoint)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", format!("DynamoDB_20120810.{op}"))
        .header("authorization", auth)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

const US: (&str, &str) = ("000000000000", "us-east-1");
const OTHER: (&str, &str) = ("111111111111", "eu-west-1");

async fn ddb(endpoint: &str, who: (&str, &str), op: &str, body: Value) -> Value {
    let (status, v) = call(endpoint, who.0, who.1, op, body.clone()).await;
    assert_eq!(status, 200, "{op} {body} -> {v}");
    v
}

async fn admin(endpoint: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::Client::new();
    let url = format!("{endpoint}/_awsim/{path}");
    let req = match method {
        "GET" => client.get(url),
        "DELETE" => client.delete(url),
        _ => client.post(url),
    };
    let req = match body {
        Some(b) => req.body(b.to_string()),
        None => req,
    };
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn table(name: &str) -> Value {
    json!({
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    })
}

async fn count(endpoint: &str, who: (&str, &str), name: &str) -> u64 {
    ddb(
        endpoint,
        who,
        "Scan",
        json!({"TableName": name, "Select": "COUNT"}),
    )
    .await["Count"]
        .as_u64()
        .unwrap()
}

fn temp_dir(what: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!("awsim-admin-{what}-{}-{nanos}", std::process::id()))
}

// The promise of a snapshot: everything, in every account and region, comes back as it was,
// and the engine's catalogue with it. A table deleted after the snapshot returns with its
// items; one created after it is gone, even though the new table reused the old one's
// internal id (a stale catalogue would show the new table's name over the old one's rows).
#[tokio::test]
async fn restore_brings_back_every_account_and_region_and_the_catalogue() {
    for dir in [None, Some(temp_dir("restore"))] {
        let mut builder = awsim::Server::builder();
        if let Some(dir) = &dir {
            builder = builder.data_dir(dir);
        }
        let server = builder.start().unwrap();
        let e = server.endpoint_url();
        ddb(&e, US, "CreateTable", table("first")).await;
        ddb(&e, OTHER, "CreateTable", table("elsewhere")).await;
        for i in 0..30 {
            let item = json!({"pk": {"S": format!("k{i}")}, "v": {"N": i.to_string()}});
            ddb(
                &e,
                US,
                "PutItem",
                json!({"TableName": "first", "Item": item}),
            )
            .await;
        }
        ddb(
            &e,
            OTHER,
            "PutItem",
            json!({"TableName": "elsewhere", "Item": {"pk": {"S": "x"}, "v": {"S": "before"}}}),
        )
        .await;
        let (status, taken) = admin(&e, "POST", "snapshots", Some(json!({"name": "base"}))).await;
        assert_eq!(status, 200, "{taken}");
        assert_eq!(taken["name"], "base");
        assert!(taken["size_bytes"].as_u64().unwrap() > 0);

        // Everything changes.
        ddb(&e, US, "DeleteTable", json!({"TableName": "first"})).await;
        ddb(&e, US, "CreateTable", table("later")).await;
        ddb(
            &e,
            US,
            "PutItem",
            json!({"TableName": "later", "Item": {"pk": {"S": "new"}}}),
        )
        .await;
        ddb(
            &e,
            OTHER,
            "PutItem",
            json!({"TableName": "elsewhere", "Item": {"pk": {"S": "x"}, "v": {"S": "after"}}}),
        )
        .await;

        let (status, restored) = admin(&e, "POST", "snapshots/base/restore", None).await;
        assert_eq!(status, 200, "{restored}");
        assert!(restored["elapsed_ms"].as_f64().is_some());
        let names = ddb(&e, US, "ListTables", json!({})).await;
        assert_eq!(names["TableNames"], json!(["first"]));
        let (status, gone) = call(
            &e,
            US.0,
            US.1,
            "DescribeTable",
            json!({"TableName": "later"}),
        )
        .await;
        assert_eq!(
            (status, gone["__type"].as_str().unwrap()),
            (
                400,
                "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
            )
        );
        assert_eq!(count(&e, US, "first").await, 30);
        let described = ddb(&e, US, "DescribeTable", json!({"TableName": "first"})).await;
        assert_eq!(described["Table"]["ItemCount"], 30);
        let got = ddb(
            &e,
            OTHER,
            "GetItem",
            json!({"TableName": "elsewhere", "Key": {"pk": {"S": "x"}}}),
        )
        .await;
        assert_eq!(got["Item"]["v"], json!({"S": "before"}));
        // The restored database takes writes like any other.
        ddb(
            &e,
            US,
            "PutItem",
            json!({"TableName": "first", "Item": {"pk": {"S": "k99"}}}),
        )
        .await;
        assert_eq!(count(&e, US, "first").await, 31);
        drop(server);
        if let Some(dir) = dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

// Snapshots are managed by name: listed, replaced by a new one of the same name, deleted; a
// bad name is refused before anything touches the disk, a missing one is a 404.
#[tokio::test]
async fn snapshots_are_listed_replaced_and_deleted_by_name() {
    let server = awsim::Server::start().unwrap();
    let e = server.endpoint_url();
    ddb(&e, US, "CreateTable", table("tbl")).await;
    admin(&e, "POST", "snapshots", Some(json!({"name": "one"}))).await;
    ddb(
        &e,
        US,
        "PutItem",
        json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}}}),
    )
    .await;
    admin(&e, "POST", "snapshots", Some(json!({"name": "one"}))).await;
    admin(&e, "POST", "snapshots", Some(json!({"name": "two"}))).await;
    let (_, list) = admin(&e, "GET", "snapshots", None).await;
    let names: Vec<&str> = list["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["one", "two"]);
    ddb(
        &e,
        US,
        "DeleteItem",
        json!({"TableName": "tbl", "Key": {"pk": {"S": "a"}}}),
    )
    .await;
    admin(&e, "POST", "snapshots/one/restore", None).await;
    assert_eq!(
        count(&e, US, "tbl").await,
        1,
        "the second 'one' replaced the first"
    );
    assert_eq!(admin(&e, "DELETE", "snapshots/one", None).await.0, 200);
    assert_eq!(admin(&e, "DELETE", "snapshots/one", None).await.0, 404);
    assert_eq!(
        admin(&e, "POST", "snapshots/one/restore", None).await.0,
        404
    );
    for bad in [
        json!({"name": "../x"}),
        json!({"name": ""}),
        json!({"nom": "x"}),
    ] {
        let (status, body) = admin(&e, "POST", "snapshots", Some(bad.clone())).await;
        assert_eq!(status, 400, "{bad} -> {body}");
    }
    assert_eq!(
        admin(&e, "POST", "snapshots/.hidden/restore", None).await.0,
        400
    );
}

// A snapshot of a file-backed server is a file beside the database: a restarted server can
// still restore it.
#[tokio::test]
async fn file_backed_snapshots_survive_a_restart() {
    let dir = temp_dir("files");
    {
        let server = awsim::Server::builder().data_dir(&dir).start().unwrap();
        let e = server.endpoint_url();
        ddb(&e, US, "CreateTable", table("tbl")).await;
        server.snapshot("empty-table").unwrap();
        ddb(
            &e,
            US,
            "PutItem",
            json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}}}),
        )
        .await;
    }
    assert!(dir.join("snapshots/empty-table.db").is_file());
    let server = awsim::Server::builder().data_dir(&dir).start().unwrap();
    let e = server.endpoint_url();
    assert_eq!(count(&e, US, "tbl").await, 1);
    server.restore("empty-table").unwrap();
    assert_eq!(count(&e, US, "tbl").await, 0);
    drop(server);
    let _ = std::fs::remove_dir_all(dir);
}

/// Polls `check` until it returns Some: a state reached by a background job (bounded: 3000
/// tries 10 ms apart, then a panic naming `what`).
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..3000 {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never happened: {what}");
}

async fn clock_now(e: &str) -> f64 {
    admin(e, "GET", "clock", None).await.1["now"]
        .as_f64()
        .unwrap()
}

/// The key of SearchVectors' best match for `vector` on `docs`.
async fn nearest(e: &str, vector: [u8; 4]) -> String {
    let search: Vec<Value> = vector.iter().map(|x| json!({"N": x.to_string()})).collect();
    let found = ddb(
        e,
        US,
        "SearchVectors",
        json!({"TableName": "docs", "IndexName": "byEmb", "SearchVector": search, "TopK": 1}),
    )
    .await;
    found["SearchResults"][0]["Item"]["pk"]["S"]
        .as_str()
        .unwrap_or_else(|| panic!("no result: {found}"))
        .to_string()
}

async fn put_doc(e: &str, pk: &str, emb: [u8; 4]) {
    let emb: Vec<Value> = emb.iter().map(|x| json!({"N": x.to_string()})).collect();
    ddb(
        e,
        US,
        "PutItem",
        json!({"TableName": "docs", "Item": {"pk": {"S": pk}, "emb": {"L": emb}}}),
    )
    .await;
}

// A snapshot is the whole database, not only tables and items: backups and their items, the
// PITR setting, vector index rows and the admin clock's offset (the `settings` table) come back
// too, and so does what the engine keeps of them in memory: SearchVectors does not answer
// from a copy of the vectors taken after the snapshot, the clock is the snapshot's (also after
// a restart of a file-backed server), and background jobs run on the restored database.
#[tokio::test]
async fn restore_brings_back_backups_pitr_vectors_and_the_clock() {
    for dir in [None, Some(temp_dir("everything"))] {
        let mut builder = awsim::Server::builder();
        if let Some(dir) = &dir {
            builder = builder.data_dir(dir);
        }
        let server = builder.start().unwrap();
        let e = server.endpoint_url();
        let mut docs = table("docs");
        docs["VectorIndexes"] = json!([{
            "IndexName": "byEmb", "VectorAttribute": {"AttributeName": "emb"}, "Dimensions": 4,
            "DistanceFunction": "COSINE", "Projection": {"ProjectionType": "KEYS_ONLY"}}]);
        ddb(&e, US, "CreateTable", docs).await;
        put_doc(&e, "d1", [1, 0, 0, 0]).await;
        put_doc(&e, "d2", [0, 1, 0, 0]).await;
        // The first search loads the index's in-memory copy.
        assert_eq!(nearest(&e, [1, 0, 0, 0]).await, "d1");
        ddb(
            &e,
            US,
            "UpdateContinuousBackups",
            json!({"TableName": "docs",
                   "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}),
        )
        .await;
        let arn = ddb(
            &e,
            US,
            "CreateBackup",
            json!({"TableName": "docs", "BackupName": "before"}),
        )
        .await["BackupDetails"]["BackupArn"]
            .as_str()
            .unwrap()
            .to_string();
        let backup_status = |e: String, arn: String| async move {
            let (status, v) =
                call(&e, US.0, US.1, "DescribeBackup", json!({"BackupArn": arn})).await;
            (status == 200).then(|| {
                v["BackupDescription"]["BackupDetails"]["BackupStatus"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
        };
        eventually("the backup is available", || {
            let (e, arn) = (e.clone(), arn.clone());
            async move { backup_status(e, arn).await.filter(|s| s == "AVAILABLE") }
        })
        .await;
        admin(&e, "POST", "clock", Some(json!({"advance_seconds": 3600}))).await;
        let taken_at = clock_now(&e).await;
        let (status, body) = admin(&e, "POST", "snapshots", Some(json!({"name": "all"}))).await;
        assert_eq!(status, 200, "{body}");

        // Everything changes: the backup goes, the vectors change (and are searched, so the
        // in-memory copy follows them), PITR is turned off, the clock moves a day on.
        ddb(&e, US, "DeleteBackup", json!({"BackupArn": arn})).await;
        ddb(
            &e,
            US,
            "DeleteItem",
            json!({"TableName": "docs", "Key": {"pk": {"S": "d1"}}}),
        )
        .await;
        put_doc(&e, "d3", [1, 1, 0, 0]).await;
        assert_eq!(nearest(&e, [1, 0, 0, 0]).await, "d3");
        ddb(
            &e,
            US,
            "UpdateContinuousBackups",
            json!({"TableName": "docs",
                   "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": false}}),
        )
        .await;
        admin(&e, "POST", "clock", Some(json!({"advance_seconds": 86400}))).await;

        let (status, body) = admin(&e, "POST", "snapshots/all/restore", None).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            nearest(&e, [1, 0, 0, 0]).await,
            "d1",
            "vectors as they were"
        );
        assert_eq!(count(&e, US, "docs").await, 2);
        let now = clock_now(&e).await;
        assert!(
            now >= taken_at && now < taken_at + 3600.0,
            "the clock is the snapshot's: {now} vs {taken_at}"
        );
        let pitr = ddb(
            &e,
            US,
            "DescribeContinuousBackups",
            json!({"TableName": "docs"}),
        )
        .await;
        assert_eq!(
            pitr["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
                ["PointInTimeRecoveryStatus"],
            "ENABLED"
        );
        assert_eq!(
            backup_status(e.clone(), arn.clone()).await.as_deref(),
            Some("AVAILABLE")
        );
        // The restored backup's items are there, and the job runner restores from it.
        ddb(
            &e,
            US,
            "RestoreTableFromBackup",
            json!({"BackupArn": arn, "TargetTableName": "from_backup"}),
        )
        .await;
        eventually("the restored table is active", || {
            let e = e.clone();
            async move {
                let v = ddb(&e, US, "DescribeTable", json!({"TableName": "from_backup"})).await;
                (v["Table"]["TableStatus"] == "ACTIVE").then_some(())
            }
        })
        .await;
        assert_eq!(count(&e, US, "from_backup").await, 2);
        drop(server);
        if let Some(dir) = dir {
            // The restored offset is the one kept on disk: a restart keeps the snapshot's clock.
            let server = awsim::Server::builder().data_dir(&dir).start().unwrap();
            let now = clock_now(&server.endpoint_url()).await;
            assert!(
                now >= taken_at && now < taken_at + 3600.0,
                "{now} vs {taken_at}"
            );
            drop(server);
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

// Restores between tests happen while other clients may still be talking to the server: no
// request may fail or see a half-restored database. Writers run flat out while the database is
// restored again and again; every answer is a success, and once they stop a last restore
// leaves exactly the snapshot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restores_never_break_requests_in_flight() {
    let server = awsim::Server::start().unwrap();
    let e = server.endpoint_url();
    ddb(&e, US, "CreateTable", table("busy")).await;
    for i in 0..20 {
        ddb(
            &e,
            US,
            "PutItem",
            json!({"TableName": "busy", "Item": {"pk": {"S": format!("base{i}")}}}),
        )
        .await;
    }
    admin(&e, "POST", "snapshots", Some(json!({"name": "base"}))).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (e, stop) = (e.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut answered = 0;
            for i in 0..10_000 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let item = json!({"pk": {"S": format!("w{w}-{i}")}, "n": {"N": i.to_string()}});
                let (status, body) = call(
                    &e,
                    US.0,
                    US.1,
                    "PutItem",
                    json!({"TableName": "busy", "Item": item}),
                )
                .await;
                assert_eq!(status, 200, "a write during restores failed: {body}");
                let (status, body) = call(
                    &e,
                    US.0,
                    US.1,
                    "Query",
                    json!({
                    "TableName": "busy", "KeyConditionExpression": "pk = :p",
                    "ExpressionAttributeValues": {":p": {"S": "base0"}}}),
                )
                .await;
                assert_eq!(status, 200, "a read during restores failed: {body}");
                assert_eq!(body["Count"], 1, "the snapshot's items are always there");
                answered += 1;
            }
            answered
        }));
    }
    for _ in 0..15 {
        let (status, body) = admin(&e, "POST", "snapshots/base/restore", None).await;
        assert_eq!(status, 200, "{body}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut answered = 0;
    for w in writers {
        answered += w.await.unwrap();
    }
    assert!(answered > 0);
    admin(&e, "POST", "snapshots/base/restore", None).await;
    assert_eq!(count(&e, US, "busy").await, 20);
    let described = ddb(&e, US, "DescribeTable", json!({"TableName": "busy"})).await;
    assert_eq!(
        described["Table"]["ItemCount"], 20,
        "statistics restored with the rows"
    );
}

fn write_seed(path: &std::path::Path, items: usize) {
    let items: Vec<Value> = (0..items)
        .map(|i| json!({"pk": {"S": format!("u{i}")}, "name": {"S": format!("User {i}")}, "expires": {"N": "4102444800"}}))
        .collect();
    let doc = json!({"tables": [
        {
            "TableName": "users",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "name", "AttributeType": "S"}
            ],
            "BillingMode": "PAY_PER_REQUEST",
            "GlobalSecondaryIndexes": [{
                "IndexName": "by-name",
                "KeySchema": [{"AttributeName": "name", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"}
            }],
            "TimeToLiveSpecification": {"AttributeName": "expires", "Enabled": true},
            "Items": items,
        },
        {
            "account": OTHER.0,
            "region": OTHER.1,
            "TableName": "orders",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        }
    ]});
    std::fs::write(path, doc.to_string()).unwrap();
}

// Seeding loads what the file says (tables in any account and region, indexes, TTL, items),
// and loading it again over the same directory changes nothing: tables are kept, items put
// back as the file has them.
#[tokio::test]
async fn a_seed_file_loads_tables_and_items_and_loading_it_again_is_harmless() {
    let dir = temp_dir("seed");
    std::fs::create_dir_all(&dir).unwrap();
    let seed = dir.join("seed.json");
    write_seed(&seed, 120);
    let data = dir.join("data");
    {
        let server = awsim::Server::builder()
            .data_dir(&data)
            .seed(&seed)
            .start()
            .unwrap();
        let e = server.endpoint_url();
        assert_eq!(count(&e, US, "users").await, 120);
        let by_name = ddb(
            &e,
            US,
            "Query",
            json!({"TableName": "users", "IndexName": "by-name",
            "KeyConditionExpression": "#n = :n", "ExpressionAttributeNames": {"#n": "name"},
            "ExpressionAttributeValues": {":n": {"S": "User 7"}}}),
        )
        .await;
        assert_eq!(
            by_name["Items"],
            json!([{"pk": {"S": "u7"}, "name": {"S": "User 7"}}])
        );
        let ttl = ddb(&e, US, "DescribeTimeToLive", json!({"TableName": "users"})).await;
        assert_eq!(ttl["TimeToLiveDescription"]["TimeToLiveStatus"], "ENABLED");
        let orders = ddb(&e, OTHER, "DescribeTable", json!({"TableName": "orders"})).await;
        assert_eq!(
            orders["Table"]["ProvisionedThroughput"]["ReadCapacityUnits"],
            5
        );
        // A change the next seeding puts back, and one it leaves alone.
        ddb(
            &e,
            US,
            "PutItem",
            json!({"TableName": "users", "Item": {"pk": {"S": "u1"}, "name": {"S": "Changed"}}}),
        )
        .await;
        ddb(
            &e,
            US,
            "PutItem",
            json!({"TableName": "users", "Item": {"pk": {"S": "extra"}, "name": {"S": "Extra"}}}),
        )
        .await;
    }
    let server = awsim::Server::builder()
        .data_dir(&data)
        .seed(&seed)
        .start()
        .unwrap();
    let e = server.endpoint_url();
    assert_eq!(
        count(&e, US, "users").await,
        121,
        "the seed's items and the extra one"
    );
    let u1 = ddb(
        &e,
        US,
        "GetItem",
        json!({"TableName": "users", "Key": {"pk": {"S": "u1"}}}),
    )
    .await;
    assert_eq!(u1["Item"]["name"], json!({"S": "User 1"}));
    drop(server);
    let _ = std::fs::remove_dir_all(dir);
}

// A seed file the service would refuse stops the start-up with a message that says where.
#[test]
fn a_bad_seed_file_stops_the_start_with_the_table_and_the_reason() {
    let dir = temp_dir("bad-seed");
    std::fs::create_dir_all(&dir).unwrap();
    let seed = dir.join("seed.json");
    std::fs::write(
        &seed,
        json!({"tables": [{
            "TableName": "tbl",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
            "Items": [{"pk": {"S": "ok"}}, {"pk": {"N": "1"}}]
        }]})
        .to_string(),
    )
    .unwrap();
    let err = awsim::Server::builder()
        .seed(&seed)
        .start()
        .err()
        .expect("refused");
    let text = err.to_string();
    assert!(text.contains("table \"tbl\""), "{text}");
    assert!(text.contains("items 0..2"), "{text}");
    assert!(
        text.contains("BatchWriteItem: ValidationException"),
        "{text}"
    );
    std::fs::write(&seed, "{\"tables\": 3}").unwrap();
    let err = awsim::Server::builder()
        .seed(&seed)
        .start()
        .err()
        .expect("refused");
    assert!(
        err.to_string().contains("expected {\"tables\": [...]}"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

// Prometheus reads these names and labels: requests and latency by operation, errors by
// operation and __type (with unknown operations folded into one label), per-table gauges and
// the throttle counter.
#[tokio::test]
async fn metrics_count_requests_errors_latency_and_tables() {
    let server = awsim::Server::start().unwrap();
    let e = server.endpoint_url();
    ddb(&e, US, "CreateTable", table("metered")).await;
    ddb(
        &e,
        US,
        "PutItem",
        json!({"TableName": "metered", "Item": {"pk": {"S": "a"}, "v": {"S": "0123456789"}}}),
    )
    .await;
    ddb(
        &e,
        US,
        "GetItem",
        json!({"TableName": "metered", "Key": {"pk": {"S": "a"}}}),
    )
    .await;
    let (status, _) = call(
        &e,
        US.0,
        US.1,
        "GetItem",
        json!({"TableName": "nope", "Key": {"pk": {"S": "a"}}}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = call(&e, US.0, US.1, "NoSuchThing", json!({})).await;
    assert_eq!(status, 400);
    let resp = reqwest::get(format!("{e}/_awsim/metrics")).await.unwrap();
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = resp.text().await.unwrap();
    for line in [
        "awsim_requests_total{operation=\"GetItem\"} 2",
        "awsim_requests_total{operation=\"PutItem\"} 1",
        "awsim_requests_total{operation=\"unknown\"} 1",
        "awsim_errors_total{operation=\"GetItem\",type=\"ResourceNotFoundException\"} 1",
        "awsim_errors_total{operation=\"unknown\",type=\"UnknownOperationException\"} 1",
        "awsim_request_duration_seconds_count{operation=\"GetItem\"} 2",
        "awsim_request_duration_seconds_bucket{operation=\"GetItem\",le=\"+Inf\"} 2",
        "awsim_table_items{account=\"000000000000\",region=\"us-east-1\",table=\"metered\"} 1",
        "awsim_throttled_requests_total{account=\"000000000000\",region=\"us-east-1\",table=\"metered\"} 0",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
    }
    let size = text
        .lines()
        .find_map(|l| l.strip_prefix("awsim_table_size_bytes{account=\"000000000000\",region=\"us-east-1\",table=\"metered\"} "))
        .unwrap();
    assert_eq!(size, "14", "pk(2+1) + v(1+10)");
    assert!(!text.contains("NoSuchThing"), "a client cannot mint labels");
}

/// The real binary, its stdout and stderr lines delivered through a channel.
struct Binary {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    /// Every line received so far (stdout and stderr interleave in no fixed order).
    seen: std::cell::RefCell<Vec<String>>,
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Binary {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Binary {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_awsim"))
            .args(args)
            .envs(env.iter().copied())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx2.send(line);
            }
        });
        Binary {
            child,
            lines,
            seen: Default::default(),
        }
    }

    /// The first line (seen already, or awaited with a bound) for which `f` gives a value.
    fn line<T>(&self, what: &str, mut f: impl FnMut(&str) -> Option<T>) -> T {
        if let Some(v) = self.seen.borrow().iter().find_map(|l| f(l)) {
            return v;
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no line with {what} in {:?}", self.seen.borrow()));
            self.seen.borrow_mut().push(line.clone());
            if let Some(v) = f(&line) {
                return v;
            }
        }
    }
}

// With --log-format json every line is a JSON object, and a request's line carries the same
// id the client got in x-amzn-RequestId, so a client-side failure can be found in the logs.
// The seed comes from AWSIM_SEED, and its summary is logged too.
#[tokio::test]
async fn json_logs_carry_the_request_id_the_client_saw_and_awsim_seed_is_read() {
    let dir = temp_dir("logs");
    std::fs::create_dir_all(&dir).unwrap();
    let seed = dir.join("seed.json");
    write_seed(&seed, 3);
    let seed_path = seed.to_str().unwrap();
    let bin = Binary::start(
        &[
            "--in-memory",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--log-format",
            "json",
        ],
        &[("AWSIM_SEED", seed_path), ("AWSIM_LOG_LEVEL", "info")],
    );
    let summary: Value = bin.line("the seed summary", |l| {
        let v: Value = serde_json::from_str(l).ok()?;
        v["message"]
            .as_str()?
            .starts_with("seeded from")
            .then_some(v)
    });
    assert!(
        summary["message"]
            .as_str()
            .unwrap()
            .contains("2 tables created"),
        "{summary}"
    );
    let addr = bin.line("the listening address", |l| {
        l.strip_prefix("awsim listening on ")
            .map(|rest| rest.split(' ').next().unwrap().to_string())
    });
    let resp = reqwest::Client::new()
        .post(&addr)
        .header("x-amz-target", "DynamoDB_20120810.GetItem")
        .header("content-type", "application/x-amz-json-1.0")
        .body(json!({"TableName": "users", "Key": {"pk": {"S": "u1"}}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let id = resp.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    let logged: Value = bin.line("the request's line", |l| {
        let v: Value = serde_json::from_str(l).ok()?;
        (v["request_id"] == id.as_str()).then_some(v)
    });
    assert_eq!(logged["operation"], "GetItem", "{logged}");
    assert_eq!(logged["status"], 200, "{logged}");
    assert_eq!(logged["level"], "INFO");
    assert!(logged["ms"].as_f64().is_some(), "{logged}");
    drop(bin);
    let _ = std::fs::remove_dir_all(dir);
}

// The throttle counter counts refusals for capacity: a 1-WCU table takes one 300 KB write on its
// full burst bucket (and goes into debt), then refuses the next.
#[tokio::test]
async fn metrics_count_throttled_requests() {
    let server = awsim::Server::start().unwrap();
    let e = server.endpoint_url();
    let mut t = table("slow");
    t["BillingMode"] = json!("PROVISIONED");
    t["ProvisionedThroughput"] = json!({"ReadCapacityUnits": 1, "WriteCapacityUnits": 1});
    ddb(&e, US, "CreateTable", t).await;
    let big = "x".repeat(300 * 1024);
    let put = |k: &str| json!({"TableName": "slow", "Item": {"pk": {"S": k}, "v": {"S": big}}});
    ddb(&e, US, "PutItem", put("a")).await;
    let (status, v) = call(&e, US.0, US.1, "PutItem", put("b")).await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["__type"]
            .as_str()
            .unwrap()
            .ends_with("#ProvisionedThroughputExceededException"),
        "{v}"
    );
    let text = reqwest::get(format!("{e}/_awsim/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = "awsim_throttled_requests_total{account=\"000000000000\",region=\"us-east-1\",table=\"slow\"} 1";
    assert!(
        text.lines().any(|l| l == line),
        "missing {line:?} in\n{text}"
    );
}
