//! Durability of the real binary: every acknowledged write survives `kill -9` (SIGKILL, no
//! shutdown at all), with its index entries and stream records, because each is committed to
//! SQLite (WAL) before the answer is sent.
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Starts `awsim` on a free port with `dir` as its data dir; returns it and its address.
fn spawn(dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_awsim"))
        .args(["--host", "127.0.0.1", "--port", "0", "--log-level", "error"])
        .arg("--data-dir")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("awsim starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // "awsim listening on http://127.0.0.1:PORT (storage: ...)"
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("the address line")
        .to_string();
    (child, url)
}

async fn call(client: &reqwest::Client, url: &str, target: &str, body: Value) -> Value {
    let resp = client
        .post(url)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", target)
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20260421/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x",
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{target}");
    resp.json().await.unwrap()
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9() {
    let dir = std::env::temp_dir().join(format!("awsim-kill9-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let client = reqwest::Client::new();
    let ddb = |op: &str| format!("DynamoDB_20120810.{op}");
    let (mut child, url) = spawn(&dir);
    call(&client, &url, &ddb("CreateTable"), json!({
        "TableName": "durable", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}],
        "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"}
    })).await;
    for i in 0..50 {
        call(&client, &url, &ddb("PutItem"), json!({
            "TableName": "durable", "Item": {"pk": {"S": format!("k{i}")}, "g": {"S": "all"}, "n": {"N": i.to_string()}}
        })).await;
    }
    call(&client, &url, &ddb("TransactWriteItems"), json!({"TransactItems": [
        {"Update": {"TableName": "durable", "Key": {"pk": {"S": "k0"}}, "UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {":n": {"N": "1000"}}}},
        {"Delete": {"TableName": "durable", "Key": {"pk": {"S": "k1"}}}}
    ]})).await;
    child.kill().unwrap(); // SIGKILL: no graceful shutdown, no checkpoint
    child.wait().unwrap();

    let (mut child, url) = spawn(&dir);
    let scan = call(
        &client,
        &url,
        &ddb("Scan"),
        json!({"TableName": "durable", "Select": "COUNT"}),
    )
    .await;
    assert_eq!(scan["Count"], 49);
    let k0 = call(
        &client,
        &url,
        &ddb("GetItem"),
        json!({"TableName": "durable", "Key": {"pk": {"S": "k0"}}}),
    )
    .await;
    assert_eq!(k0["Item"]["n"]["N"], "1000");
    let index = call(
        &client,
        &url,
        &ddb("Query"),
        json!({
            "TableName": "durable", "IndexName": "by-g", "Select": "COUNT",
            "KeyConditionExpression": "g = :g", "ExpressionAttributeValues": {":g": {"S": "all"}}
        }),
    )
    .await;
    assert_eq!(index["Count"], 49);
    let streams = "DynamoDBStreams_20120810.";
    let list = call(&client, &url, &format!("{streams}ListStreams"), json!({})).await;
    let arn = list["Streams"][0]["StreamArn"].clone();
    let shard = call(
        &client,
        &url,
        &format!("{streams}DescribeStream"),
        json!({"StreamArn": arn}),
    )
    .await["StreamDescription"]["Shards"][0]["ShardId"]
        .clone();
    let it = call(
        &client,
        &url,
        &format!("{streams}GetShardIterator"),
        json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
    )
    .await;
    let records = call(
        &client,
        &url,
        &format!("{streams}GetRecords"),
        json!({"ShardIterator": it["ShardIterator"]}),
    )
    .await;
    // 50 inserts, one modify, one remove.
    assert_eq!(records["Records"].as_array().unwrap().len(), 52);
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
