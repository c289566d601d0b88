//! PartiQL through aws-sdk-dynamodb against an in-process awsim: the three operations with the
//! SDK's own types (typed errors included), NextToken paging followed to the end (and across a
//! restart), and the proofs that PartiQL is the item operations underneath: the same
//! ConsumedCapacity as the equivalent Query/PutItem/UpdateItem/DeleteItem (so a SELECT by key
//! reads its partitions, never the table), the same stream records, replication to a global
//! table's other region.
use aws_sdk_dynamodb::operation::execute_statement::ExecuteStatementError;
use aws_sdk_dynamodb::operation::execute_transaction::ExecuteTransactionError;
use aws_sdk_dynamodb::types::*;
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;

mod support;
use support::{def, key};

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.into())
}

/// A PAY_PER_REQUEST table keyed by pk (S) and sk (N).
async fn create(client: &Client, name: &str) {
    client
        .create_table()
        .table_name(name)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .attribute_definitions(def("sk", ScalarAttributeType::N))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
}

async fn statement(client: &Client, text: &str) -> Vec<HashMap<String, AttributeValue>> {
    client
        .execute_statement()
        .statement(text)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{text}: {e:?}"))
        .items
        .unwrap_or_default()
}

/// Every page of a SELECT, following NextToken: the items of each page.
async fn pages(
    client: &Client,
    text: &str,
    limit: i32,
) -> Vec<Vec<HashMap<String, AttributeValue>>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .execute_statement()
            .statement(text)
            .limit(limit)
            .set_next_token(token.take())
            .send()
            .await
            .unwrap();
        out.push(page.items.unwrap_or_default());
        match page.next_token {
            Some(t) => token = Some(t),
            None => return out,
        }
        assert!(out.len() < 100, "paging does not end");
    }
}

fn sk_values(items: &[HashMap<String, AttributeValue>]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|i| {
            (
                i["pk"].as_s().unwrap().clone(),
                i["sk"].as_n().unwrap().clone(),
            )
        })
        .collect()
}

// The three operations through the SDK's typed API, as an application would use them: INSERT,
// SELECT with parameters and NextToken pages, UPDATE, DELETE, a batch, a transaction.
#[tokio::test]
async fn sdk_drives_all_three_operations_and_pages() {
    let server = support::start(None).await;
    let client = server.dynamodb();
    create(&client, "orders").await;
    for p in ["a", "b", "c"] {
        for i in 0..5 {
            client
                .execute_statement()
                .statement("INSERT INTO orders VALUE {'pk': ?, 'sk': ?, 'n': ?}")
                .parameters(s(p))
                .parameters(n(&i.to_string()))
                .parameters(n(&(i * 10).to_string()))
                .send()
                .await
                .unwrap();
        }
    }
    let one = client
        .execute_statement()
        .statement("SELECT n FROM orders WHERE pk = ? AND sk = ?")
        .parameters(s("b"))
        .parameters(n("3"))
        .send()
        .await
        .unwrap();
    assert_eq!(one.items().len(), 1);
    assert_eq!(one.items()[0]["n"], n("30"));
    assert!(one.next_token().is_none());

    // Pages of 2 over three partitions (read in key order): every item once, in order.
    let all = pages(
        &client,
        "SELECT * FROM orders WHERE pk IN ('c', 'a', 'b')",
        2,
    )
    .await;
    let flat: Vec<_> = all.iter().flat_map(|p| sk_values(p)).collect();
    let want: Vec<_> = ["a", "b", "c"]
        .iter()
        .flat_map(|p| (0..5).map(move |i| (p.to_string(), i.to_string())))
        .collect();
    assert_eq!(flat, want);
    assert!(all.iter().all(|p| p.len() <= 2));
    // Sort key descending within each partition, partitions descending too.
    let desc = pages(
        &client,
        "SELECT pk, sk FROM orders WHERE pk IN ('a', 'b') AND sk >= 2 ORDER BY pk DESC, sk DESC",
        3,
    )
    .await;
    let flat: Vec<_> = desc.iter().flat_map(|p| sk_values(p)).collect();
    let want: Vec<_> = ["b", "a"]
        .iter()
        .flat_map(|p| (2..5).rev().map(move |i| (p.to_string(), i.to_string())))
        .collect();
    assert_eq!(flat, want);

    let updated = statement(
        &client,
        "UPDATE orders SET n = n + 1 WHERE pk = 'a' AND sk = 0 RETURNING ALL NEW *",
    )
    .await;
    assert_eq!(updated[0]["n"], n("1"));
    let old = statement(
        &client,
        "DELETE FROM orders WHERE pk = 'a' AND sk = 0 RETURNING ALL OLD *",
    )
    .await;
    assert_eq!(old[0]["n"], n("1"));

    let batch = client
        .batch_execute_statement()
        .statements(
            BatchStatementRequest::builder()
                .statement("SELECT * FROM orders WHERE pk = 'c' AND sk = 4")
                .build()
                .unwrap(),
        )
        .statements(
            BatchStatementRequest::builder()
                .statement("SELECT * FROM orders WHERE pk = 'a' AND sk = 0")
                .build()
                .unwrap(),
        )
        .statements(
            BatchStatementRequest::builder()
                .statement("SELECT * FROM nosuchtable WHERE pk = 'a' AND sk = 0")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let r = batch.responses();
    assert_eq!(r[0].item().unwrap()["n"], n("40"));
    assert!(r[1].item().is_none() && r[1].error().is_none());
    assert_eq!(
        r[2].error().unwrap().code(),
        Some(&BatchStatementErrorCodeEnum::ResourceNotFound)
    );

    client
        .execute_transaction()
        .transact_statements(
            ParameterizedStatement::builder()
                .statement("UPDATE orders SET n = 0 WHERE pk = 'b' AND sk = 1")
                .build()
                .unwrap(),
        )
        .transact_statements(
            ParameterizedStatement::builder()
                .statement("INSERT INTO orders VALUE {'pk': 'd', 'sk': 1}")
                .build()
                .unwrap(),
        )
        .client_request_token("sdk-token")
        .send()
        .await
        .unwrap();
    let read = client
        .execute_transaction()
        .transact_statements(
            ParameterizedStatement::builder()
                .statement("SELECT n FROM orders WHERE pk = 'b' AND sk = 1")
                .build()
                .unwrap(),
        )
        .transact_statements(
            ParameterizedStatement::builder()
                .statement("SELECT * FROM orders WHERE pk = 'd' AND sk = 1")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(read.responses()[0].item().unwrap()["n"], n("0"));
    assert_eq!(read.responses()[1].item().unwrap()["pk"], s("d"));
}

// Applications match on the SDK's typed errors: DuplicateItemException for an INSERT of an
// existing key, ConditionalCheckFailedException (with the item under ALL_OLD),
// TransactionCanceledException with its reasons in statement order.
#[tokio::test]
async fn sdk_sees_typed_partiql_errors() {
    let server = support::start(None).await;
    let client = server.dynamodb();
    create(&client, "typed").await;
    statement(
        &client,
        "INSERT INTO typed VALUE {'pk': 'a', 'sk': 1, 'v': 1}",
    )
    .await;
    let err = client
        .execute_statement()
        .statement("INSERT INTO typed VALUE {'pk': 'a', 'sk': 1}")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, ExecuteStatementError::DuplicateItemException(_)),
        "{err:?}"
    );
    let err = client
        .execute_statement()
        .statement("UPDATE typed SET v = 2 WHERE pk = 'a' AND sk = 1 AND v = 9")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let ExecuteStatementError::ConditionalCheckFailedException(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.item().unwrap()["v"], n("1"));
    let err = client
        .execute_transaction()
        .transact_statements(
            ParameterizedStatement::builder()
                .statement("INSERT INTO typed VALUE {'pk': 'b', 'sk': 1}")
                .build()
                .unwrap(),
        )
        .transact_statements(
            ParameterizedStatement::builder()
                .statement("UPDATE typed SET v = 3 WHERE pk = 'a' AND sk = 1 AND v = 9")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let ExecuteTransactionError::TransactionCanceledException(e) = err else {
        panic!("{err:?}")
    };
    let codes: Vec<_> = e
        .cancellation_reasons()
        .iter()
        .map(|r| r.code().unwrap().to_string())
        .collect();
    assert_eq!(codes, ["None", "ConditionalCheckFailed"]);
    // Nothing of the cancelled transaction was written.
    assert!(
        statement(&client, "SELECT * FROM typed WHERE pk = 'b' AND sk = 1")
            .await
            .is_empty()
    );
}

// A NextToken holds all it needs: a page started before a restart continues after it.
#[tokio::test]
async fn next_token_survives_a_restart() {
    let dir = support::temp_dir("partiql-token");
    let server = support::start(Some(dir.clone())).await;
    let client = server.dynamodb();
    create(&client, "kept").await;
    for i in 0..6 {
        statement(
            &client,
            &format!("INSERT INTO kept VALUE {{'pk': 'p', 'sk': {i}}}"),
        )
        .await;
    }
    let first = client
        .execute_statement()
        .statement("SELECT * FROM kept WHERE pk = 'p'")
        .limit(4)
        .send()
        .await
        .unwrap();
    let token = first.next_token().unwrap().to_string();
    server.shutdown().await;

    let server = support::start(Some(dir.clone())).await;
    let client = server.dynamodb();
    let rest = client
        .execute_statement()
        .statement("SELECT * FROM kept WHERE pk = 'p'")
        .next_token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        sk_values(rest.items()),
        vec![("p".into(), "4".into()), ("p".into(), "5".into())]
    );
    // The token continues its own request only.
    let other = client
        .execute_statement()
        .statement("SELECT * FROM kept WHERE pk = 'q'")
        .next_token(&token)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        aws_sdk_dynamodb::error::ProvideErrorMetadata::message(&other),
        Some("NextToken does not match request")
    );
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

fn units(cc: Option<&ConsumedCapacity>) -> f64 {
    cc.and_then(|c| c.capacity_units).unwrap_or(-1.0)
}

// A SELECT fixing the partition key must read that partition only: on a table of many
// partitions it costs exactly what the equivalent Query costs (a scan would cost the table).
// And each PartiQL write costs what the equivalent item write costs.
#[tokio::test]
async fn partiql_costs_what_the_equivalent_item_operations_cost() {
    let server = support::start(None).await;
    let client = server.dynamodb();
    create(&client, "big").await;
    let pad = "x".repeat(3000);
    for p in 0..60 {
        for i in 0..3 {
            client
                .put_item()
                .table_name("big")
                .item("pk", s(&format!("p{p}")))
                .item("sk", n(&i.to_string()))
                .item("pad", s(&pad))
                .send()
                .await
                .unwrap();
        }
    }
    let total = ReturnConsumedCapacity::Total;
    let select = client
        .execute_statement()
        .statement("SELECT * FROM big WHERE pk = 'p7' AND sk >= 1")
        .return_consumed_capacity(total.clone())
        .send()
        .await
        .unwrap();
    let query = client
        .query()
        .table_name("big")
        .key_condition_expression("pk = :p AND sk >= :s")
        .expression_attribute_values(":p", s("p7"))
        .expression_attribute_values(":s", n("1"))
        .return_consumed_capacity(total.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(select.items().len(), 2);
    assert_eq!(
        units(select.consumed_capacity()),
        units(query.consumed_capacity())
    );
    // Two partitions cost two Queries, still far from the table's 180 items.
    let two = client
        .execute_statement()
        .statement("SELECT * FROM big WHERE pk IN ('p1', 'p2')")
        .consistent_read(true)
        .return_consumed_capacity(total.clone())
        .send()
        .await
        .unwrap();
    let scan = client
        .scan()
        .table_name("big")
        .return_consumed_capacity(total.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(two.items().len(), 6);
    assert!(units(two.consumed_capacity()) <= 6.0);
    assert!(units(scan.consumed_capacity()) > 60.0);

    let insert = client
        .execute_statement()
        .statement("INSERT INTO big VALUE {'pk': 'w', 'sk': 1, 'pad': ?}")
        .parameters(s(&pad))
        .return_consumed_capacity(total.clone())
        .send()
        .await
        .unwrap();
    let put = client
        .put_item()
        .table_name("big")
        .item("pk", s("w"))
        .item("sk", n("2"))
        .item("pad", s(&pad))
        .return_consumed_capacity(total.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        units(insert.consumed_capacity()),
        units(put.consumed_capacity())
    );
    let update = client
        .execute_statement()
        .statement("UPDATE big SET more = ? WHERE pk = 'w' AND sk = 1")
        .parameters(s(&pad))
        .return_consumed_capacity(total.clone())
        .send()
        .await
        .unwrap();
    let update_item = client
        .update_item()
        .table_name("big")
        .key("pk", s("w"))
        .key("sk", n("2"))
        .update_expression("SET more = :m")
        .expression_attribute_values(":m", s(&pad))
        .return_consumed_capacity(total.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        units(update.consumed_capacity()),
        units(update_item.consumed_capacity())
    );
    let delete = client
        .execute_statement()
        .statement("DELETE FROM big WHERE pk = 'w' AND sk = 1")
        .return_consumed_capacity(total.clone())
        .send()
        .await
        .unwrap();
    let delete_item = client
        .delete_item()
        .table_name("big")
        .key("pk", s("w"))
        .key("sk", n("2"))
        .return_consumed_capacity(total)
        .send()
        .await
        .unwrap();
    assert_eq!(
        units(delete.consumed_capacity()),
        units(delete_item.consumed_capacity())
    );
}

// PartiQL writes go through the item writes: the stream records of INSERT / UPDATE / DELETE are
// those of PutItem / UpdateItem / DeleteItem with the same content.
#[tokio::test]
async fn partiql_writes_emit_the_item_operations_stream_records() {
    let server = support::start(None).await;
    let client = server.dynamodb();
    client
        .create_table()
        .table_name("streamed")
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .attribute_definitions(def("sk", ScalarAttributeType::N))
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    statement(
        &client,
        "INSERT INTO streamed VALUE {'pk': 'q', 'sk': 1, 'v': 1}",
    )
    .await;
    statement(
        &client,
        "UPDATE streamed SET v = 2 WHERE pk = 'q' AND sk = 1",
    )
    .await;
    statement(&client, "DELETE FROM streamed WHERE pk = 'q' AND sk = 1").await;
    client
        .put_item()
        .table_name("streamed")
        .item("pk", s("i"))
        .item("sk", n("1"))
        .item("v", n("1"))
        .send()
        .await
        .unwrap();
    client
        .update_item()
        .table_name("streamed")
        .key("pk", s("i"))
        .key("sk", n("1"))
        .update_expression("SET v = :v")
        .expression_attribute_values(":v", n("2"))
        .send()
        .await
        .unwrap();
    client
        .delete_item()
        .table_name("streamed")
        .key("pk", s("i"))
        .key("sk", n("1"))
        .send()
        .await
        .unwrap();

    let streams = server.streams();
    let arn = streams
        .list_streams()
        .table_name("streamed")
        .send()
        .await
        .unwrap()
        .streams()[0]
        .stream_arn()
        .unwrap()
        .to_string();
    let shard = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .unwrap()
        .stream_description
        .unwrap()
        .shards()[0]
        .shard_id()
        .unwrap()
        .to_string();
    let iterator = streams
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(shard)
        .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap()
        .shard_iterator
        .unwrap();
    let records = streams
        .get_records()
        .shard_iterator(iterator)
        .send()
        .await
        .unwrap()
        .records
        .unwrap_or_default();
    assert_eq!(records.len(), 6);
    // What a record says, with the partition key's value left out.
    let shape = |r: &aws_sdk_dynamodbstreams::types::Record| {
        let d = r.dynamodb().unwrap();
        let strip =
            |m: Option<&HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>| {
                m.map(|m| {
                    let mut v: Vec<String> = m
                        .iter()
                        .filter(|(k, _)| *k != "pk")
                        .map(|(k, v)| format!("{k}={v:?}"))
                        .collect();
                    v.sort();
                    v
                })
            };
        (
            r.event_name().cloned(),
            strip(d.old_image()),
            strip(d.new_image()),
            d.size_bytes(),
        )
    };
    for i in 0..3 {
        assert_eq!(shape(&records[i]), shape(&records[i + 3]), "record {i}");
    }
}

// PartiQL writes keep the TTL column as PutItem and UpdateItem do: an item INSERTed (or UPDATEd)
// with an expiry in the past is swept when the clock moves.
#[tokio::test]
async fn partiql_writes_keep_ttl_expiry() {
    let server = support::start(None).await;
    let client = server.dynamodb();
    create(&client, "expiring").await;
    client
        .update_time_to_live()
        .table_name("expiring")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("exp")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let now = server.advance(0).await["now"].as_f64().unwrap() as i64;
    statement(
        &client,
        &format!(
            "INSERT INTO expiring VALUE {{'pk': 'a', 'sk': 1, 'exp': {}}}",
            now + 60
        ),
    )
    .await;
    statement(&client, "INSERT INTO expiring VALUE {'pk': 'a', 'sk': 2}").await;
    statement(
        &client,
        &format!(
            "UPDATE expiring SET exp = {} WHERE pk = 'a' AND sk = 2",
            now + 120
        ),
    )
    .await;
    statement(&client, "INSERT INTO expiring VALUE {'pk': 'a', 'sk': 3}").await;
    let left = |items: Vec<HashMap<String, AttributeValue>>| sk_values(&items);
    server.advance(90).await;
    assert_eq!(
        left(statement(&client, "SELECT pk, sk FROM expiring WHERE pk = 'a'").await),
        vec![("a".into(), "2".into()), ("a".into(), "3".into())]
    );
    server.advance(60).await;
    assert_eq!(
        left(statement(&client, "SELECT pk, sk FROM expiring WHERE pk = 'a'").await),
        vec![("a".into(), "3".into())]
    );
}

// A page stops at 1 MiB read, counted across the partitions it walks, and NextToken continues
// where it stopped: every item once, in key order.
#[tokio::test]
async fn pages_stop_at_one_mebibyte_across_partitions() {
    let server = support::start(None).await;
    let client = server.dynamodb();
    create(&client, "heavy").await;
    let pad = "x".repeat(100 * 1024);
    for p in ["a", "b"] {
        for i in 0..8 {
            client
                .put_item()
                .table_name("heavy")
                .item("pk", s(p))
                .item("sk", n(&i.to_string()))
                .item("pad", s(&pad))
                .send()
                .await
                .unwrap();
        }
    }
    let mut token: Option<String> = None;
    let mut sizes = Vec::new();
    let mut seen = Vec::new();
    loop {
        let page = client
            .execute_statement()
            .statement("SELECT pk, sk FROM heavy WHERE pk IN ('b', 'a')")
            .set_next_token(token.take())
            .send()
            .await
            .unwrap();
        sizes.push(page.items().len());
        seen.extend(sk_values(page.items()));
        match page.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    // About 100 KB an item: a page holds the ~10 items that reach 1 MiB.
    assert_eq!(sizes, vec![11, 5]);
    let want: Vec<_> = ["a", "b"]
        .iter()
        .flat_map(|p| (0..8).map(move |i| (p.to_string(), i.to_string())))
        .collect();
    assert_eq!(seen, want);
}

// PartiQL writes are the item and transaction writes underneath, so on a global table they reach
// the other region like PutItem's do: INSERT, UPDATE, DELETE and an ExecuteTransaction in
// us-east-1, the replication queue drained through the admin endpoint, then read in eu-west-1
// with a PartiQL SELECT. Guards against a PartiQL write path that bypasses replication.
#[tokio::test]
async fn partiql_writes_replicate_to_a_global_tables_other_region() {
    let server = support::start(None).await;
    let (east, west) = (server.dynamodb(), server.dynamodb_in("eu-west-1"));
    east.create_table()
        .table_name("replicated")
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .attribute_definitions(def("sk", ScalarAttributeType::N))
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    east.update_table()
        .table_name("replicated")
        .replica_updates(
            ReplicationGroupUpdate::builder()
                .create(
                    CreateReplicationGroupMemberAction::builder()
                        .region_name("eu-west-1")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    for text in [
        "INSERT INTO replicated VALUE {'pk': 'g', 'sk': 1, 'v': 1}",
        "INSERT INTO replicated VALUE {'pk': 'g', 'sk': 2, 'v': 1}",
        "INSERT INTO replicated VALUE {'pk': 'g', 'sk': 3, 'v': 1}",
        "UPDATE replicated SET v = 2 WHERE pk = 'g' AND sk = 1",
        "DELETE FROM replicated WHERE pk = 'g' AND sk = 2",
    ] {
        statement(&east, text).await;
    }
    east.execute_transaction()
        .transact_statements(
            ParameterizedStatement::builder()
                .statement("INSERT INTO replicated VALUE {'pk': 'g', 'sk': 4, 'v': 4}")
                .build()
                .unwrap(),
        )
        .transact_statements(
            ParameterizedStatement::builder()
                .statement("UPDATE replicated SET v = 3 WHERE pk = 'g' AND sk = 3")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let flushed: serde_json::Value = reqwest::Client::new()
        .post(format!("http://{}/_awsim/replication", server.addr))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(flushed["pending"], 0);
    let select = "SELECT sk, v FROM replicated WHERE pk = 'g'";
    let expected = vec![
        ("1".to_string(), "2".to_string()),
        ("3".to_string(), "3".to_string()),
        ("4".to_string(), "4".to_string()),
    ];
    let values = |items: Vec<HashMap<String, AttributeValue>>| {
        items
            .iter()
            .map(|i| {
                let n = |k: &str| i[k].as_n().unwrap().clone();
                (n("sk"), n("v"))
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(values(statement(&east, select).await), expected);
    assert_eq!(values(statement(&west, select).await), expected);
    server.shutdown().await;
}
