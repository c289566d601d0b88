//! Capacity end to end: provisioned throughput and on-demand maximums enforced with token
//! buckets refilled by awsim's clock (moved with `/_awsim/clock`, never slept on), the SDK's
//! retry strategy recovering from ProvisionedThroughputExceededException, batches answering
//! throttled items as unprocessed, throttled transactions cancelled and writing nothing, GSIs
//! with their own capacity, `--no-throttle`, and contributor insights counting real traffic
//! (and surviving a restart).
//!
//! Buckets start full and hold 300 seconds of capacity; the tests drain them with requests
//! larger than a whole burst (admitted on a full bucket, which they leave in debt), so the real
//! time that passes while a test runs (milliseconds) never refills enough to matter.
mod support;

use aws_sdk_dynamodb::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// One API call as raw JSON: (HTTP status, body).
async fn call(server: &support::Server, op: &str, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("http://{}/", server.addr))
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", format!("DynamoDB_20120810.{op}"))
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20260421/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x",
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn ok(server: &support::Server, op: &str, body: Value) -> Value {
    let (status, v) = call(server, op, body).await;
    assert_eq!(status, 200, "{op}: {v}");
    v
}

async fn get_json(server: &support::Server, path: &str) -> Value {
    reqwest::get(format!("http://{}{path}", server.addr))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A provisioned table keyed by `pk` (S), with an optional GSI on `g` (S, ALL projection).
fn provisioned(name: &str, rcu: i64, wcu: i64, gsi: Option<(i64, i64)>) -> Value {
    let mut t = json!({
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "ProvisionedThroughput": {"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu},
    });
    if let Some((r, w)) = gsi {
        t["AttributeDefinitions"]
            .as_array_mut()
            .unwrap()
            .push(json!({"AttributeName": "g", "AttributeType": "S"}));
        t["GlobalSecondaryIndexes"] = json!([{
            "IndexName": "by_g",
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
            "ProvisionedThroughput": {"ReadCapacityUnits": r, "WriteCapacityUnits": w},
        }]);
    }
    t
}

/// An item `pk` of exactly `kb` KB by the service's size rules (a write of it costs `kb`
/// units).
fn item(pk: &str, kb: usize) -> Value {
    let data = kb * 1024 - ("pk".len() + pk.len() + "data".len());
    json!({"pk": {"S": pk}, "data": {"S": "x".repeat(data)}})
}

fn put(table: &str, item: Value) -> Value {
    json!({"TableName": table, "Item": item, "ReturnConsumedCapacity": "TOTAL"})
}

/// A bucket of 1 WCU (300 units of burst) drained by a 399 KB item: admitted on the full
/// bucket, which it leaves 99 units in debt.
async fn drain_writes(server: &support::Server, table: &str) {
    let v = ok(server, "PutItem", put(table, item("drain", 399))).await;
    assert_eq!(v["ConsumedCapacity"]["CapacityUnits"], 399.0);
}

fn assert_throttled(v: &Value, ty: &str, reason: &str) {
    assert_eq!(
        v["__type"],
        format!("com.amazonaws.dynamodb.v20120810#{ty}"),
        "{v}"
    );
    let key = if ty == "ThrottlingException" {
        "throttlingReasons"
    } else {
        "ThrottlingReasons"
    };
    assert_eq!(v[key][0]["reason"], reason, "{v}");
}

/// Records the error code of each attempt the SDK makes, and wakes whoever waits for a
/// throttled one.
#[derive(Debug, Clone, Default)]
struct Attempts {
    throttled: Arc<AtomicUsize>,
    all: Arc<AtomicUsize>,
    notify: Arc<tokio::sync::Notify>,
}

impl Intercept for Attempts {
    fn name(&self) -> &'static str {
        "Attempts"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.all.fetch_add(1, Ordering::SeqCst);
        let body = context.response().body().bytes().unwrap_or_default();
        if String::from_utf8_lossy(body).contains("ProvisionedThroughputExceededException") {
            self.throttled.fetch_add(1, Ordering::SeqCst);
            self.notify.notify_one();
        }
        Ok(())
    }
}

// The point of enforcing throughput: an application's retry code meets the throttling it will
// meet in production. The SDK's standard retry strategy sees ProvisionedThroughputExceeded-
// Exception, backs off and retries; another task moves awsim's clock once the first throttled
// attempt is seen, the bucket refills, and the same call succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_retries_a_throttled_write_until_the_clock_refills_the_bucket() {
    let server = support::start(None).await;
    ok(&server, "CreateTable", provisioned("retries", 1, 1, None)).await;
    drain_writes(&server, "retries").await;

    let attempts = Attempts::default();
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://{}", server.addr))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(20)
                .with_initial_backoff(Duration::from_millis(5))
                .with_max_backoff(Duration::from_millis(50)),
        )
        .interceptor(attempts.clone())
        .build();
    let client = aws_sdk_dynamodb::Client::from_conf(config);

    // The clock mover: waits for the first throttled attempt, then moves time 5 minutes on.
    let addr = server.addr;
    let notify = attempts.notify.clone();
    let mover = tokio::spawn(async move {
        notify.notified().await;
        reqwest::Client::new()
            .post(format!("http://{addr}/_awsim/clock"))
            .body(r#"{"advance_seconds": 300}"#)
            .send()
            .await
            .unwrap();
    });
    let out = client
        .put_item()
        .table_name("retries")
        .item("pk", AttributeValue::S("after".into()))
        .send()
        .await
        .expect("the SDK's retries outlast the throttling");
    mover.await.unwrap();
    assert!(out.consumed_capacity().is_none());
    assert!(attempts.throttled.load(Ordering::SeqCst) >= 1);
    assert_eq!(
        attempts.all.load(Ordering::SeqCst),
        attempts.throttled.load(Ordering::SeqCst) + 1,
        "every attempt but the last was throttled"
    );
    let got = client
        .get_item()
        .table_name("retries")
        .key("pk", AttributeValue::S("after".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert!(got.item().is_some());

    // Without retries the typed error is what the application sees (the bucket refilled
    // first, so the draining write is admitted).
    server.advance(400).await;
    drain_writes(&server, "retries").await;
    let err = client
        .put_item()
        .table_name("retries")
        .item("pk", AttributeValue::S("refused".into()))
        .customize()
        .config_override(aws_sdk_dynamodb::Config::builder().retry_config(RetryConfig::disabled()))
        .send()
        .await
        .unwrap_err();
    let err = err.into_service_error();
    assert!(
        err.is_provisioned_throughput_exceeded_exception(),
        "{err:?}"
    );
    server.shutdown().await;
}

// A throttled write changes nothing, and the answer is the service's: the message, and a
// reason naming the resource and what ran out. Moving the clock refills the bucket.
#[tokio::test]
async fn a_drained_table_refuses_writes_until_time_passes() {
    let server = support::start(None).await;
    ok(&server, "CreateTable", provisioned("drained", 1, 1, None)).await;
    drain_writes(&server, "drained").await;
    let (status, v) = call(&server, "PutItem", put("drained", item("late", 1))).await;
    assert_eq!(status, 400);
    assert_throttled(
        &v,
        "ProvisionedThroughputExceededException",
        "TableWriteProvisionedThroughputExceeded",
    );
    assert_eq!(
        v["message"],
        "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."
    );
    assert!(v["ThrottlingReasons"][0]["resource"]
        .as_str()
        .unwrap()
        .ends_with(":table/drained"));
    // Not applied: the item is not there (a consistent read costs 1 of the 300 RCU).
    let got = ok(
        &server,
        "GetItem",
        json!({"TableName": "drained", "Key": {"pk": {"S": "late"}}, "ConsistentRead": true}),
    )
    .await;
    assert!(got.get("Item").is_none());
    // 99 units of debt, then 1 unit per second: 90 seconds later it still is not enough...
    server.advance(90).await;
    let (status, _) = call(&server, "PutItem", put("drained", item("late", 1))).await;
    assert_eq!(status, 400);
    // ... ten seconds later it is.
    server.advance(10).await;
    ok(&server, "PutItem", put("drained", item("late", 1))).await;
    server.shutdown().await;
}

// UpdateTable rebuilds the buckets at the new capacity: a drained table takes writes at once.
#[tokio::test]
async fn update_table_rebuilds_the_buckets() {
    let server = support::start(None).await;
    ok(&server, "CreateTable", provisioned("rebuilt", 1, 1, None)).await;
    drain_writes(&server, "rebuilt").await;
    let (status, _) = call(&server, "PutItem", put("rebuilt", item("a", 1))).await;
    assert_eq!(status, 400);
    ok(
        &server,
        "UpdateTable",
        json!({"TableName": "rebuilt", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 2}}),
    )
    .await;
    ok(&server, "PutItem", put("rebuilt", item("a", 1))).await;
    server.shutdown().await;
}

// Reads are charged by the service's rules (4 KB per unit, half for an eventually consistent
// read) against the table's own read bucket.
#[tokio::test]
async fn reads_drain_the_read_bucket_only() {
    let server = support::start(None).await;
    ok(&server, "CreateTable", provisioned("reads", 1, 1000, None)).await;
    ok(&server, "PutItem", put("reads", item("big", 390))).await;
    let get = |consistent: bool| {
        json!({"TableName": "reads", "Key": {"pk": {"S": "big"}}, "ConsistentRead": consistent,
               "ReturnConsumedCapacity": "TOTAL"})
    };
    // 390 KB: 98 units consistent, 49 eventually consistent; the bucket holds 300.
    for _ in 0..3 {
        let v = ok(&server, "GetItem", get(true)).await;
        assert_eq!(v["ConsumedCapacity"]["CapacityUnits"], 98.0);
    }
    let (status, v) = call(&server, "GetItem", get(true)).await;
    assert_eq!(status, 400, "{v}");
    assert_throttled(
        &v,
        "ProvisionedThroughputExceededException",
        "TableReadProvisionedThroughputExceeded",
    );
    // Writes have their own bucket.
    ok(&server, "PutItem", put("reads", item("small", 1))).await;
    // A Query is charged by what it reads: throttled too.
    let (status, _) = call(
        &server,
        "Query",
        json!({"TableName": "reads", "KeyConditionExpression": "pk = :p",
               "ExpressionAttributeValues": {":p": {"S": "big"}}}),
    )
    .await;
    assert_eq!(status, 400);
    server.shutdown().await;
}

// BatchWriteItem writes what the tables can take and answers the rest as UnprocessedItems
// (exactly as sent, ready to be sent again); when nothing can be written the call itself is
// throttled. Unprocessed writes are not applied.
#[tokio::test]
async fn batch_writes_return_throttled_items_as_unprocessed() {
    let server = support::start(None).await;
    ok(
        &server,
        "CreateTable",
        provisioned("batched", 1000, 1, None),
    )
    .await;
    let request = |items: Vec<Value>| {
        json!({"RequestItems": {"batched": items.into_iter()
            .map(|i| json!({"PutRequest": {"Item": i}})).collect::<Vec<_>>()},
            "ReturnConsumedCapacity": "TOTAL"})
    };
    // 300 units in the bucket: a takes 200, b (200) does not fit, c (1) does.
    let v = ok(
        &server,
        "BatchWriteItem",
        request(vec![item("a", 200), item("b", 200), item("c", 1)]),
    )
    .await;
    let unprocessed = v["UnprocessedItems"]["batched"].as_array().unwrap();
    assert_eq!(unprocessed.len(), 1);
    assert_eq!(unprocessed[0]["PutRequest"]["Item"]["pk"]["S"], "b");
    assert_eq!(v["ConsumedCapacity"][0]["CapacityUnits"], 201.0);
    // Nothing fits: the call is throttled.
    let (status, e) = call(&server, "BatchWriteItem", request(vec![item("b", 200)])).await;
    assert_eq!(status, 400, "{e}");
    assert_throttled(
        &e,
        "ProvisionedThroughputExceededException",
        "TableWriteProvisionedThroughputExceeded",
    );
    let count = |v: &Value| v["Table"]["ItemCount"].as_i64().unwrap();
    assert_eq!(
        count(&ok(&server, "DescribeTable", json!({"TableName": "batched"})).await),
        2
    );
    // Sent again once time has passed, it is written.
    server.advance(300).await;
    let v = ok(&server, "BatchWriteItem", request(vec![item("b", 200)])).await;
    assert_eq!(v["UnprocessedItems"], json!({}));
    assert_eq!(
        count(&ok(&server, "DescribeTable", json!({"TableName": "batched"})).await),
        3
    );
    server.shutdown().await;
}

// BatchGetItem reads what the tables can afford and answers the other keys as
// UnprocessedKeys; none at all is a throttled call.
#[tokio::test]
async fn batch_gets_return_throttled_keys_as_unprocessed() {
    let server = support::start(None).await;
    ok(&server, "CreateTable", provisioned("gets", 1, 1000, None)).await;
    for pk in ["a", "b", "c", "d"] {
        ok(&server, "PutItem", put("gets", item(pk, 390))).await;
    }
    let keys: Vec<Value> = ["a", "b", "c", "d"]
        .iter()
        .map(|k| json!({"pk": {"S": k}}))
        .collect();
    let v = ok(
        &server,
        "BatchGetItem",
        json!({"RequestItems": {"gets": {"Keys": keys, "ConsistentRead": true}},
               "ReturnConsumedCapacity": "TOTAL"}),
    )
    .await;
    // 98 units each, 300 in the bucket: three read, the fourth unprocessed.
    assert_eq!(v["Responses"]["gets"].as_array().unwrap().len(), 3);
    assert_eq!(
        v["UnprocessedKeys"]["gets"]["Keys"],
        json!([{"pk": {"S": "d"}}])
    );
    assert_eq!(v["UnprocessedKeys"]["gets"]["ConsistentRead"], true);
    assert_eq!(v["ConsumedCapacity"][0]["CapacityUnits"], 294.0);
    let (status, e) = call(
        &server,
        "BatchGetItem",
        json!({"RequestItems": {"gets": {"Keys": [{"pk": {"S": "d"}}], "ConsistentRead": true}}}),
    )
    .await;
    assert_eq!(status, 400, "{e}");
    assert_throttled(
        &e,
        "ProvisionedThroughputExceededException",
        "TableReadProvisionedThroughputExceeded",
    );
    server.shutdown().await;
}

// A transaction a table cannot afford is cancelled, with the service's reason on the action
// that ran short, and writes nothing, not even on the tables that had capacity.
#[tokio::test]
async fn throttled_transactions_are_cancelled_and_write_nothing() {
    let server = support::start(None).await;
    ok(&server, "CreateTable", provisioned("tight", 1, 1, None)).await;
    ok(
        &server,
        "CreateTable",
        json!({"TableName": "loose", "BillingMode": "PAY_PER_REQUEST",
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}),
    )
    .await;
    // 200 KB in a transaction: 400 units, admitted on the full bucket.
    let v = ok(
        &server,
        "TransactWriteItems",
        json!({"TransactItems": [{"Put": {"TableName": "tight", "Item": item("big", 200)}}],
               "ReturnConsumedCapacity": "TOTAL"}),
    )
    .await;
    assert_eq!(v["ConsumedCapacity"][0]["CapacityUnits"], 400.0);
    let (status, e) = call(
        &server,
        "TransactWriteItems",
        json!({"TransactItems": [
            {"Put": {"TableName": "loose", "Item": item("x", 1)}},
            {"Put": {"TableName": "tight", "Item": item("y", 1)}}]}),
    )
    .await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(
        e["__type"],
        "com.amazonaws.dynamodb.v20120810#TransactionCanceledException"
    );
    assert_eq!(e["CancellationReasons"][0], json!({"Code": "None"}));
    assert_eq!(
        e["CancellationReasons"][1]["Code"],
        "ProvisionedThroughputExceeded"
    );
    assert_eq!(
        e["Message"],
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ProvisionedThroughputExceeded]"
    );
    let got = ok(
        &server,
        "GetItem",
        json!({"TableName": "loose", "Key": {"pk": {"S": "x"}}}),
    )
    .await;
    assert!(got.get("Item").is_none(), "a cancelled transaction wrote");
    // A TransactGetItems the table cannot afford: cancelled the same way.
    ok(
        &server,
        "UpdateTable",
        json!({"TableName": "tight", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1000}}),
    )
    .await;
    ok(&server, "PutItem", put("tight", item("huge", 390))).await;
    let gets = json!({"TransactItems": [
        {"Get": {"TableName": "tight", "Key": {"pk": {"S": "huge"}}}},
        {"Get": {"TableName": "tight", "Key": {"pk": {"S": "big"}}}}]});
    // 196 + 100 units of 300: one read, then 4 left.
    ok(&server, "TransactGetItems", gets.clone()).await;
    let (status, e) = call(&server, "TransactGetItems", gets).await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(
        e["CancellationReasons"][0]["Code"],
        "ProvisionedThroughputExceeded"
    );
    server.shutdown().await;
}

// A GSI's writes are charged to the GSI: a table write its GSI cannot afford is refused with
// the index's reason and message; a write that leaves the GSI alone goes through.
#[tokio::test]
async fn a_gsi_without_capacity_throttles_the_writes_that_reach_it() {
    let server = support::start(None).await;
    ok(
        &server,
        "CreateTable",
        provisioned("indexed", 1000, 1000, Some((1, 1))),
    )
    .await;
    let mut big = item("a", 399);
    big["g"] = json!({"S": "x"});
    let v = ok(
        &server,
        "PutItem",
        json!({"TableName": "indexed", "Item": big, "ReturnConsumedCapacity": "INDEXES"}),
    )
    .await;
    assert_eq!(
        v["ConsumedCapacity"]["GlobalSecondaryIndexes"]["by_g"]["CapacityUnits"],
        400.0
    );
    let mut small = item("b", 1);
    small["g"] = json!({"S": "y"});
    let (status, e) = call(&server, "PutItem", put("indexed", small)).await;
    assert_eq!(status, 400);
    assert_throttled(
        &e,
        "ProvisionedThroughputExceededException",
        "IndexWriteProvisionedThroughputExceeded",
    );
    assert_eq!(e["message"], "The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API.");
    assert!(e["ThrottlingReasons"][0]["resource"]
        .as_str()
        .unwrap()
        .ends_with(":table/indexed/index/by_g"));
    ok(&server, "PutItem", put("indexed", item("c", 1))).await;
    server.shutdown().await;
}

// OnDemandThroughput caps an on-demand table (and its GSIs): over the maximum, the service's
// ThrottlingException with a MaxOnDemandThroughputExceeded reason. Without one, an on-demand
// table is never throttled.
#[tokio::test]
async fn on_demand_maximums_throttle_and_plain_on_demand_never_does() {
    let server = support::start(None).await;
    let table = |name: &str, max: Option<Value>| {
        let mut t = json!({"TableName": name, "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]});
        if let Some(max) = max {
            t["OnDemandThroughput"] = max;
        }
        t
    };
    ok(
        &server,
        "CreateTable",
        table("capped", Some(json!({"MaxWriteRequestUnits": 2}))),
    )
    .await;
    ok(&server, "CreateTable", table("free", None)).await;
    // 10 units over a maximum of 2 per second: admitted at the full bucket, 8 in debt.
    ok(&server, "PutItem", put("capped", item("a", 10))).await;
    let (status, e) = call(&server, "PutItem", put("capped", item("b", 1))).await;
    assert_eq!(status, 400, "{e}");
    assert_throttled(
        &e,
        "ThrottlingException",
        "TableWriteMaxOnDemandThroughputExceeded",
    );
    // Reads have no maximum here.
    ok(
        &server,
        "GetItem",
        json!({"TableName": "capped", "Key": {"pk": {"S": "a"}}}),
    )
    .await;
    server.advance(10).await;
    ok(&server, "PutItem", put("capped", item("b", 1))).await;
    for i in 0..5 {
        ok(&server, "PutItem", put("free", item(&format!("k{i}"), 399))).await;
    }
    server.shutdown().await;
}

// `--no-throttle` turns enforcement off; capacity is still metered and reported.
#[tokio::test]
async fn no_throttle_meters_without_enforcing() {
    let mut config = awsim::Config::in_memory();
    config.throttle = false;
    let server = support::start_with(config).await;
    ok(
        &server,
        "CreateTable",
        provisioned("unenforced", 1, 1, None),
    )
    .await;
    for i in 0..3 {
        let v = ok(
            &server,
            "PutItem",
            put("unenforced", item(&format!("k{i}"), 399)),
        )
        .await;
        assert_eq!(v["ConsumedCapacity"]["CapacityUnits"], 399.0);
    }
    server.shutdown().await;
}

// Contributor insights count real traffic: the most accessed and the most throttled keys of
// the table (and of a GSI) over the sliding window, served at /_awsim/insights/<table>. The
// enabled state is table metadata and survives a restart (the counts start again).
#[tokio::test]
async fn contributor_insights_count_real_traffic_and_survive_a_restart() {
    let dir = support::temp_dir("insights");
    let server = support::start(Some(dir.clone())).await;
    ok(
        &server,
        "CreateTable",
        provisioned("counted", 1000, 1, Some((1000, 1000))),
    )
    .await;
    let v = ok(
        &server,
        "UpdateContributorInsights",
        json!({"TableName": "counted", "ContributorInsightsAction": "ENABLE"}),
    )
    .await;
    assert_eq!(v["ContributorInsightsStatus"], "ENABLING");
    ok(
        &server,
        "UpdateContributorInsights",
        json!({"TableName": "counted", "IndexName": "by_g", "ContributorInsightsAction": "ENABLE",
               "ContributorInsightsMode": "THROTTLED_KEYS"}),
    )
    .await;
    for (pk, reads) in [("hot", 5), ("warm", 2), ("cold", 1)] {
        for _ in 0..reads {
            ok(
                &server,
                "GetItem",
                json!({"TableName": "counted", "Key": {"pk": {"S": pk}}}),
            )
            .await;
        }
    }
    drain_writes(&server, "counted").await;
    for _ in 0..2 {
        let (status, _) = call(&server, "PutItem", put("counted", item("hot", 1))).await;
        assert_eq!(status, 400);
    }
    let report = get_json(&server, "/_awsim/insights/counted?top=2").await;
    let table = &report["contributor_insights"][0];
    assert_eq!(
        table["most_accessed_partition_keys"],
        json!([{"key": {"pk": {"S": "hot"}}, "count": 5}, {"key": {"pk": {"S": "warm"}}, "count": 2}])
    );
    assert_eq!(
        table["most_throttled_partition_keys"],
        json!([{"key": {"pk": {"S": "hot"}}, "count": 2}])
    );
    let rules = table["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    assert!(rules[0]
        .as_str()
        .unwrap()
        .starts_with("DynamoDBContributorInsights-PKC-counted-"));
    let gsi = &report["contributor_insights"][1];
    assert_eq!(gsi["index"], "by_g");
    assert!(gsi.get("most_accessed_partition_keys").is_none());
    // An hour later the window has moved past all of it.
    server.advance(3600).await;
    let report = get_json(&server, "/_awsim/insights/counted").await;
    assert_eq!(
        report["contributor_insights"][0]["most_accessed_partition_keys"],
        json!([])
    );
    server.shutdown().await;

    let server = support::start(Some(dir.clone())).await;
    let v = ok(
        &server,
        "DescribeContributorInsights",
        json!({"TableName": "counted"}),
    )
    .await;
    assert_eq!(v["ContributorInsightsStatus"], "ENABLED");
    let v = ok(
        &server,
        "ListContributorInsights",
        json!({"TableName": "counted"}),
    )
    .await;
    assert_eq!(
        v["ContributorInsightsSummaries"][1],
        json!({"TableName": "counted", "IndexName": "by_g", "ContributorInsightsStatus": "ENABLED",
               "ContributorInsightsMode": "THROTTLED_KEYS"})
    );
    let missing = reqwest::get(format!("http://{}/_awsim/insights/nope", server.addr))
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}
