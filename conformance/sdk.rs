//! aws-sdk-dynamodb against an in-process awsim: proves the real SDK works end to end (request
//! signing and serialisation, CRC32 checks, typed errors, paginators).
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::*;
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;

mod support;
use support::{def, key};

/// A fresh in-memory server on a free port, and an SDK client pointed at it (the server stops
/// when the returned handle is dropped).
async fn start() -> (Client, support::Server) {
    let server = support::start(None).await;
    (server.dynamodb(), server)
}

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

// The table lifecycle through the SDK: create, describe, list with the paginator, update, delete.
#[tokio::test]
async fn table_lifecycle_through_the_sdk() {
    let (client, _stop) = start().await;
    for i in 0..7 {
        create(&client, &format!("table-{i}")).await;
    }
    let t = client
        .describe_table()
        .table_name("table-3")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(t.table_status, Some(TableStatus::Active));
    assert_eq!(
        t.billing_mode_summary.unwrap().billing_mode,
        Some(BillingMode::PayPerRequest)
    );
    assert!(t.table_arn.unwrap().ends_with(":table/table-3"));

    // Pages of 3 must still yield all 7 names, in order.
    let names: Vec<String> = client
        .list_tables()
        .limit(3)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(
        names,
        (0..7).map(|i| format!("table-{i}")).collect::<Vec<_>>()
    );

    let updated = client
        .update_table()
        .table_name("table-1")
        .deletion_protection_enabled(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        updated
            .table_description
            .unwrap()
            .deletion_protection_enabled,
        Some(true)
    );
    let refused = client
        .delete_table()
        .table_name("table-1")
        .send()
        .await
        .unwrap_err();
    assert!(refused
        .into_service_error()
        .meta()
        .message()
        .unwrap()
        .contains("protected against deletion"));

    let deleted = client
        .delete_table()
        .table_name("table-2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.table_description.unwrap().table_status,
        Some(TableStatus::Deleting)
    );
    let err = client
        .describe_table()
        .table_name("table-2")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, SdkError::ServiceError(ref e) if matches!(e.err(), DescribeTableError::ResourceNotFoundException(_)))
    );
}

// Every attribute type must survive the SDK -> awsim -> SDK round trip unchanged.
#[tokio::test]
async fn items_of_every_type_round_trip() {
    let (client, _stop) = start().await;
    create(&client, "items").await;
    let mut nested = HashMap::new();
    nested.insert(
        "deep".to_string(),
        AttributeValue::L(vec![
            AttributeValue::Null(true),
            AttributeValue::Bool(false),
        ]),
    );
    let item: HashMap<String, AttributeValue> = [
        ("pk", AttributeValue::S("user#1".into())),
        ("sk", AttributeValue::N("42".into())),
        ("s", AttributeValue::S("héllo".into())),
        ("n", AttributeValue::N("-12.5".into())),
        ("b", AttributeValue::B(Blob::new(vec![0u8, 1, 255]))),
        ("bool", AttributeValue::Bool(true)),
        ("null", AttributeValue::Null(true)),
        ("ss", AttributeValue::Ss(vec!["a".into(), "b".into()])),
        ("ns", AttributeValue::Ns(vec!["1".into(), "2.5".into()])),
        (
            "bs",
            AttributeValue::Bs(vec![Blob::new(vec![1u8]), Blob::new(vec![2u8])]),
        ),
        (
            "l",
            AttributeValue::L(vec![
                AttributeValue::S("x".into()),
                AttributeValue::N("1".into()),
            ]),
        ),
        ("m", AttributeValue::M(nested)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    client
        .put_item()
        .table_name("items")
        .set_item(Some(item.clone()))
        .send()
        .await
        .unwrap();
    let key: HashMap<String, AttributeValue> = [
        ("pk".to_string(), AttributeValue::S("user#1".into())),
        ("sk".to_string(), AttributeValue::N("42".into())),
    ]
    .into();
    let got = client
        .get_item()
        .table_name("items")
        .set_key(Some(key.clone()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(got.item.unwrap(), item);

    let projected = client
        .get_item()
        .table_name("items")
        .set_key(Some(key.clone()))
        .projection_expression("#s, m.deep[1]")
        .expression_attribute_names("#s", "s")
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(projected.len(), 2);
    assert_eq!(projected["s"], AttributeValue::S("héllo".into()));

    let old = client
        .delete_item()
        .table_name("items")
        .set_key(Some(key.clone()))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(old.attributes.unwrap(), item);
    assert!(client
        .get_item()
        .table_name("items")
        .set_key(Some(key))
        .send()
        .await
        .unwrap()
        .item
        .is_none());
}

// Typed errors: the SDK must map our __type values onto its error enums, with our messages.
#[tokio::test]
async fn errors_are_typed_with_the_service_messages() {
    let (client, _stop) = start().await;
    create(&client, "dup").await;
    let again = client
        .create_table()
        .table_name("dup")
        .key_schema(key("pk", KeyType::Hash))
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        again.into_service_error(),
        CreateTableError::ResourceInUseException(_)
    ));

    let missing = client
        .get_item()
        .table_name("nope")
        .key("pk", AttributeValue::S("a".into()))
        .send()
        .await
        .unwrap_err();
    let missing = missing.into_service_error();
    assert!(missing.is_resource_not_found_exception());
    assert_eq!(
        missing.meta().message(),
        Some("Requested resource not found")
    );

    let bad = client
        .put_item()
        .table_name("dup")
        .item("pk", AttributeValue::N("1".into()))
        .item("sk", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(bad.meta().code(), Some("ValidationException"));
    assert_eq!(
        bad.meta().message(),
        Some("One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N")
    );
}

// Conditional writes and UpdateItem through the SDK: a failed condition is the typed
// ConditionalCheckFailedException carrying the old item (ReturnValuesOnConditionCheckFailure),
// and an upserting UpdateItem answers UPDATED_NEW.
#[tokio::test]
async fn conditional_writes_and_updates_through_the_sdk() {
    let (client, _stop) = start().await;
    create(&client, "cond").await;
    let updated = client
        .update_item()
        .table_name("cond")
        .key("pk", AttributeValue::S("a".into()))
        .key("sk", AttributeValue::N("1".into()))
        .update_expression("SET #c = if_not_exists(#c, :zero) + :one ADD tags :t")
        .expression_attribute_names("#c", "count")
        .expression_attribute_values(":zero", AttributeValue::N("0".into()))
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .expression_attribute_values(":t", AttributeValue::Ss(vec!["x".into()]))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await
        .unwrap();
    let attrs = updated.attributes().unwrap();
    assert_eq!(attrs["count"], AttributeValue::N("1".into()));
    assert_eq!(attrs["tags"], AttributeValue::Ss(vec!["x".into()]));

    let failed = client
        .put_item()
        .table_name("cond")
        .item("pk", AttributeValue::S("a".into()))
        .item("sk", AttributeValue::N("1".into()))
        .condition_expression("attribute_not_exists(pk)")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(failed.is_conditional_check_failed_exception());
    assert_eq!(
        failed.meta().message(),
        Some("The conditional request failed")
    );
    let aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(e) =
        failed
    else {
        panic!("expected ConditionalCheckFailedException");
    };
    let item = e.item().expect("the old item rides on the error");
    assert_eq!(item["count"], AttributeValue::N("1".into()));
}

// The SDK's Query and Scan paginators walk every page to the end, following LastEvaluatedKey,
// on the table and on a GSI (whose keys include the index's), and a parallel Scan's segments
// together hold each item exactly once.
#[tokio::test]
async fn query_and_scan_paginators_on_a_table_and_a_gsi() {
    let (client, _stop) = start().await;
    client
        .create_table()
        .table_name("paged")
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .attribute_definitions(def("sk", ScalarAttributeType::N))
        .attribute_definitions(def("g", ScalarAttributeType::S))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by-g")
                .key_schema(key("g", KeyType::Hash))
                .key_schema(key("sk", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    for i in 0..50 {
        let mut put = client
            .put_item()
            .table_name("paged")
            .item("pk", AttributeValue::S(format!("p{}", i % 3)))
            .item("sk", AttributeValue::N(i.to_string()));
        if i % 2 == 0 {
            put = put.item("g", AttributeValue::S("even".into()));
        }
        put.send().await.unwrap();
    }
    let n = |item: &HashMap<String, AttributeValue>| -> i64 {
        item["sk"].as_n().unwrap().parse().unwrap()
    };

    let pages: Vec<_> = client
        .query()
        .table_name("paged")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", AttributeValue::S("p1".into()))
        .scan_index_forward(false)
        .limit(4)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let got: Vec<i64> = pages.iter().flat_map(|p| p.items()).map(n).collect();
    let want: Vec<i64> = (0..50).filter(|i| i % 3 == 1).rev().collect();
    assert_eq!(got, want);
    assert!(pages.len() >= 5, "{} pages", pages.len());

    let pages: Vec<_> = client
        .query()
        .table_name("paged")
        .index_name("by-g")
        .key_condition_expression("g = :g AND sk >= :lo")
        .expression_attribute_values(":g", AttributeValue::S("even".into()))
        .expression_attribute_values(":lo", AttributeValue::N("10".into()))
        .limit(3)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let lek = pages[0].last_evaluated_key().unwrap();
    let mut names: Vec<&str> = lek.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(names, ["g", "pk", "sk"]);
    let got: Vec<i64> = pages.iter().flat_map(|p| p.items()).map(n).collect();
    assert_eq!(got, (10..50).step_by(2).collect::<Vec<i64>>());

    let mut seen: Vec<i64> = Vec::new();
    for segment in 0..3 {
        let items: Vec<_> = client
            .scan()
            .table_name("paged")
            .segment(segment)
            .total_segments(3)
            .limit(7)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .unwrap();
        seen.extend(items.iter().map(n));
    }
    seen.sort();
    assert_eq!(seen, (0..50).collect::<Vec<i64>>());

    let count: i32 = client
        .scan()
        .table_name("paged")
        .index_name("by-g")
        .select(Select::Count)
        .limit(6)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .iter()
        .map(|p| p.count())
        .sum();
    assert_eq!(count, 25);
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.into())
}

// A cancelled TransactWriteItems through the SDK: the typed TransactionCanceledException
// exposes one CancellationReason per action, in order, with the failed condition's message and
// (ALL_OLD) the current item; nothing is applied, as a TransactGetItems snapshot shows. The SDK
// fills ClientRequestToken itself, so this also exercises the idempotency path.
#[tokio::test]
async fn transaction_cancellation_reasons_reach_the_sdk() {
    let (client, _stop) = start().await;
    create(&client, "ledger").await;
    client
        .put_item()
        .table_name("ledger")
        .item("pk", s("acct"))
        .item("sk", n("1"))
        .item("bal", n("10"))
        .send()
        .await
        .unwrap();
    let key = |pk: &str| -> HashMap<String, AttributeValue> {
        [("pk".to_string(), s(pk)), ("sk".to_string(), n("1"))].into()
    };
    let put = Put::builder()
        .table_name("ledger")
        .item("pk", s("new"))
        .item("sk", n("1"))
        .build()
        .unwrap();
    let check = ConditionCheck::builder()
        .table_name("ledger")
        .set_key(Some(key("acct")))
        .condition_expression("bal >= :amount")
        .expression_attribute_values(":amount", n("25"))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .unwrap();
    let update = Update::builder()
        .table_name("ledger")
        .set_key(Some(key("acct")))
        .update_expression("SET note = :n")
        .expression_attribute_values(":n", s("x"))
        .build()
        .unwrap();
    let err = client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().put(put).build())
        .transact_items(TransactWriteItem::builder().condition_check(check).build())
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name("ledger")
                        .set_key(Some(key("other")))
                        .update_expression("SET a = :n")
                        .expression_attribute_values(":n", s("y"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(cancelled) = err else {
        panic!("expected TransactionCanceledException, got {err:?}");
    };
    let reasons = cancelled.cancellation_reasons();
    let codes: Vec<&str> = reasons.iter().map(|r| r.code().unwrap()).collect();
    assert_eq!(codes, ["None", "ConditionalCheckFailed", "None"]);
    assert_eq!(
        reasons[1].message(),
        Some("The conditional request failed.")
    );
    assert_eq!(reasons[1].item().unwrap()["bal"], n("10"));
    assert!(cancelled
        .message()
        .unwrap()
        .ends_with("[None, ConditionalCheckFailed, None]"));

    // A transaction that can commit, then one snapshot read of everything.
    client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().update(update).build())
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name("ledger")
                        .item("pk", s("new"))
                        .item("sk", n("1"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let got = client
        .transact_get_items()
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name("ledger")
                        .set_key(Some(key("acct")))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name("ledger")
                        .set_key(Some(key("other")))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name("ledger")
                        .set_key(Some(key("new")))
                        .projection_expression("pk")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let responses = got.responses();
    assert_eq!(responses.len(), 3);
    assert_eq!(responses[0].item().unwrap()["note"], s("x"));
    assert!(
        responses[1].item().is_none(),
        "the cancelled upsert never happened"
    );
    assert_eq!(responses[2].item().unwrap().len(), 1);
}

// BatchWriteItem then BatchGetItem through the SDK: two tables, per-table projection and
// consistency, ConsumedCapacity per table, and UnprocessedKeys fed back as the SDK returns
// them (items large enough that one response cannot carry them all under 16 MB).
#[tokio::test]
async fn batch_get_item_round_trip() {
    let (client, _stop) = start().await;
    create(&client, "left").await;
    create(&client, "right").await;
    let big = "x".repeat(400_000);
    for chunk in 0..2 {
        let mut left = Vec::new();
        for i in 0..22 {
            let item = [
                ("pk".to_string(), s(&format!("L{}", chunk * 22 + i))),
                ("sk".to_string(), n("1")),
                ("blob".to_string(), s(&big)),
            ];
            left.push(
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item.into()))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            );
        }
        let right = vec![WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .item("pk", s(&format!("R{chunk}")))
                    .item("sk", n("2"))
                    .item("v", n("7"))
                    .build()
                    .unwrap(),
            )
            .build()];
        let out = client
            .batch_write_item()
            .request_items("left", left)
            .request_items("right", right)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .unwrap();
        assert!(out.unprocessed_items().unwrap().is_empty());
        assert_eq!(out.consumed_capacity().len(), 2);
    }

    let key = |pk: String, sk: &str| -> HashMap<String, AttributeValue> {
        [("pk".to_string(), s(&pk)), ("sk".to_string(), n(sk))].into()
    };
    let left_keys = KeysAndAttributes::builder()
        .set_keys(Some((0..44).map(|i| key(format!("L{i}"), "1")).collect()))
        .projection_expression("pk")
        .consistent_read(true)
        .build()
        .unwrap();
    let right_keys = KeysAndAttributes::builder()
        .set_keys(Some(vec![
            key("R0".into(), "2"),
            key("R1".into(), "2"),
            key("R9".into(), "2"),
        ]))
        .build()
        .unwrap();
    let mut request: HashMap<String, KeysAndAttributes> = [
        ("left".to_string(), left_keys),
        ("right".to_string(), right_keys),
    ]
    .into();
    let mut found: HashMap<String, Vec<HashMap<String, AttributeValue>>> = HashMap::new();
    let mut calls = 0;
    while !request.is_empty() {
        calls += 1;
        let out = client
            .batch_get_item()
            .set_request_items(Some(request))
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
            .await
            .unwrap();
        for (table, items) in out.responses().unwrap() {
            found
                .entry(table.clone())
                .or_default()
                .extend(items.iter().cloned());
        }
        assert!(out.consumed_capacity().iter().all(|c| c.table().is_some()));
        request = out.unprocessed_keys().cloned().unwrap_or_default();
    }
    assert!(
        calls >= 2,
        "44 items of 400 KB cannot fit one 16 MB response"
    );
    let mut left: Vec<String> = found["left"]
        .iter()
        .map(|i| {
            assert_eq!(i.len(), 1, "projected to pk");
            i["pk"].as_s().unwrap().clone()
        })
        .collect();
    left.sort();
    let mut want: Vec<String> = (0..44).map(|i| format!("L{i}")).collect();
    want.sort();
    assert_eq!(left, want);
    assert_eq!(found["right"].len(), 2);
    assert!(found["right"].iter().all(|i| i["v"] == n("7")));
}
