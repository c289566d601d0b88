//! DynamoDB Streams and TTL end to end: aws-sdk-dynamodbstreams reads the records a write made
//! (also after a restart of a file-backed server), and the admin clock makes TTL expiry happen
//! without waiting: the sweeper deletes the item, its index entry, and records a REMOVE made by
//! the service.
use aws_sdk_dynamodb::types::{
    AttributeValue, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use aws_sdk_dynamodbstreams::types::{OperationType, ShardIteratorType};

mod support;
use support::start;

async fn create_table(db: &aws_sdk_dynamodb::Client, name: &str, view: StreamViewType) {
    support::hash_table(db, name)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(view)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// Every record of the table's latest stream, from TRIM_HORIZON.
async fn records(
    streams: &aws_sdk_dynamodbstreams::Client,
    table: &str,
) -> Vec<aws_sdk_dynamodbstreams::types::Record> {
    let list = streams
        .list_streams()
        .table_name(table)
        .send()
        .await
        .unwrap();
    let arn = list.streams()[0].stream_arn().unwrap().to_string();
    let description = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .unwrap()
        .stream_description
        .unwrap();
    let shard = description.shards()[0].shard_id().unwrap().to_string();
    let mut iterator = streams
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap()
        .shard_iterator;
    let mut out = Vec::new();
    while let Some(it) = iterator {
        let page = streams
            .get_records()
            .shard_iterator(it)
            .limit(2)
            .send()
            .await
            .unwrap();
        if page.records().is_empty() {
            break;
        }
        out.extend(page.records().iter().cloned());
        iterator = page.next_shard_iterator;
    }
    out
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

#[tokio::test]
async fn stream_records_reach_the_sdk_and_survive_a_restart() {
    let dir = support::temp_dir("streams");
    let server = start(Some(dir.clone())).await;
    let db = server.dynamodb();
    create_table(&db, "events", StreamViewType::NewAndOldImages).await;
    db.put_item()
        .table_name("events")
        .item("pk", s("a"))
        .item("v", s("one"))
        .send()
        .await
        .unwrap();
    // An update that only removes, on a missing item, writes nothing: no record either.
    db.update_item()
        .table_name("events")
        .key("pk", s("ghost"))
        .update_expression("REMOVE v, w.x")
        .send()
        .await
        .unwrap();
    db.update_item()
        .table_name("events")
        .key("pk", s("a"))
        .update_expression("SET v = :v")
        .expression_attribute_values(":v", s("two"))
        .send()
        .await
        .unwrap();
    db.delete_item()
        .table_name("events")
        .key("pk", s("a"))
        .send()
        .await
        .unwrap();
    let before = records(&server.streams(), "events").await;
    let kinds: Vec<_> = before.iter().filter_map(|r| r.event_name.clone()).collect();
    assert_eq!(
        kinds,
        [
            OperationType::Insert,
            OperationType::Modify,
            OperationType::Remove
        ]
    );
    let modify = before[1].dynamodb.as_ref().unwrap();
    let (old, new) = (modify.old_image().unwrap(), modify.new_image().unwrap());
    assert_eq!(old["v"].as_s().unwrap(), "one");
    assert_eq!(new["v"].as_s().unwrap(), "two");
    let seqs: Vec<String> = before
        .iter()
        .map(|r| {
            r.dynamodb
                .as_ref()
                .unwrap()
                .sequence_number()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    server.shutdown().await;

    let server = start(Some(dir.clone())).await;
    let after = records(&server.streams(), "events").await;
    assert_eq!(after, before);
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn ttl_expiry_is_swept_when_the_clock_moves() {
    let server = start(None).await;
    let db = server.dynamodb();
    create_table(&db, "sessions", StreamViewType::OldImage).await;
    db.update_time_to_live()
        .table_name("sessions")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let now = server.advance(0).await["now"].as_f64().unwrap() as i64;
    let items = [
        ("soon", AttributeValue::N((now + 60).to_string())),
        ("later", AttributeValue::N((now + 7200).to_string())),
        ("text", s("not a number")),
        // More than five years past: the service ignores it.
        (
            "ancient",
            AttributeValue::N((now - 6 * 365 * 86_400).to_string()),
        ),
    ];
    for (pk, expires) in items {
        db.put_item()
            .table_name("sessions")
            .item("pk", s(pk))
            .item("expires", expires)
            .send()
            .await
            .unwrap();
    }
    // Nothing has expired yet.
    let keys = |db: aws_sdk_dynamodb::Client| async move {
        let left = db.scan().table_name("sessions").send().await.unwrap();
        let mut keys: Vec<String> = left
            .items()
            .iter()
            .map(|i| i["pk"].as_s().unwrap().clone())
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(db.clone()).await, ["ancient", "later", "soon", "text"]);
    // The endpoint sweeps at the new time before it answers (the background sweeper may have
    // done part of the work first, so the state is checked, not the count).
    server.advance(120).await;
    assert_eq!(keys(db.clone()).await, ["ancient", "later", "text"]);

    let recs = records(&server.streams(), "sessions").await;
    let remove = recs.last().unwrap();
    assert_eq!(remove.event_name, Some(OperationType::Remove));
    let who = remove.user_identity.as_ref().unwrap();
    assert_eq!(who.r#type(), Some("Service"));
    assert_eq!(who.principal_id(), Some("dynamodb.amazonaws.com"));
    let old = remove.dynamodb.as_ref().unwrap().old_image().unwrap();
    assert_eq!(old["pk"].as_s().unwrap(), "soon");

    server.advance(7200).await;
    assert_eq!(keys(db.clone()).await, ["ancient", "text"]);
    server.shutdown().await;
}

// A shard iterator is good for 15 minutes of the server's clock: then ExpiredIteratorException,
// and a fresh iterator reads on.
#[tokio::test]
async fn shard_iterators_expire_after_fifteen_minutes() {
    let server = start(None).await;
    let db = server.dynamodb();
    create_table(&db, "ticks", StreamViewType::KeysOnly).await;
    db.put_item()
        .table_name("ticks")
        .item("pk", s("a"))
        .send()
        .await
        .unwrap();
    let streams = server.streams();
    let arn = streams.list_streams().send().await.unwrap().streams()[0]
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
    let iterator = || {
        streams
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(&shard)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
    };
    let old = iterator().await.unwrap().shard_iterator.unwrap();
    server.advance(14 * 60).await;
    assert_eq!(
        streams
            .get_records()
            .shard_iterator(&old)
            .send()
            .await
            .unwrap()
            .records()
            .len(),
        1
    );
    server.advance(2 * 60).await;
    let err = streams
        .get_records()
        .shard_iterator(&old)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_expired_iterator_exception()),
        "{err:?}"
    );
    let fresh = iterator().await.unwrap().shard_iterator.unwrap();
    let page = streams
        .get_records()
        .shard_iterator(fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(page.records().len(), 1);
    server.shutdown().await;
}

// The admin clock is part of the data directory's state: moved on, it stays moved across a
// restart, so records and expiries written at the moved time keep their order.
#[tokio::test]
async fn the_moved_clock_survives_a_restart() {
    let dir = support::temp_dir("clock");
    let server = support::start(Some(dir.clone())).await;
    let moved = server.advance(86_400).await["now"].as_f64().unwrap();
    server.shutdown().await;
    let server = support::start(Some(dir.clone())).await;
    let now = server.advance(0).await["now"].as_f64().unwrap();
    assert!(now >= moved, "the clock went back from {moved} to {now}");
    assert!(now < moved + 3600.0, "{moved} -> {now}");
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
