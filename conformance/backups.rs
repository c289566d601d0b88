//! Backups and point-in-time recovery end to end through aws-sdk-dynamodb: a backup restores
//! the table as it was when taken (items and indexes) whatever happened to the table since, even
//! its deletion; PITR restores the table as it was at any instant of its window, the clock moved
//! through the admin API; and work cut short by a server stop (backups, restores, exports)
//! finishes after the restart instead of staying in progress.
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::primitives::DateTime;
use aws_sdk_dynamodb::types::{
    AttributeValue, BackupStatus, GlobalSecondaryIndex, KeyType, PointInTimeRecoverySpecification,
    Projection, ProjectionType, ScalarAttributeType, TableStatus,
};
use aws_sdk_dynamodb::Client;
use std::collections::BTreeMap;

mod support;
use support::{def, key, start, wait_for};

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A table keyed by `pk` with a GSI on `g`.
async fn create_table(db: &Client, name: &str) {
    support::hash_table(db, name)
        .attribute_definitions(def("g", ScalarAttributeType::S))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_g")
                .key_schema(key("g", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

async fn put(db: &Client, table: &str, pk: &str, v: &str) {
    db.put_item()
        .table_name(table)
        .item("pk", s(pk))
        .item("g", s(&format!("g{}", pk.len() % 3)))
        .item("v", s(v))
        .send()
        .await
        .unwrap();
}

/// Every item of the table as pk -> v, by Scan (all pages).
async fn contents(db: &Client, table: &str) -> BTreeMap<String, String> {
    let pages: Vec<_> = db
        .scan()
        .table_name(table)
        .limit(7)
        .into_paginator()
        .items()
        .send()
        .collect()
        .await;
    pages
        .into_iter()
        .map(|i| {
            let i = i.unwrap();
            let pk = i["pk"].as_s().unwrap().clone();
            let v = i["v"].as_s().unwrap().clone();
            (pk, v)
        })
        .collect()
}

async fn wait_active(db: &Client, table: &str) {
    wait_for(&format!("{table} ACTIVE"), || async {
        let t = db.describe_table().table_name(table).send().await.ok()?;
        let t = t.table.unwrap();
        (t.table_status == Some(TableStatus::Active)).then_some(())
    })
    .await;
}

async fn wait_available(db: &Client, arn: &str) {
    wait_for("backup AVAILABLE", || async {
        let d = db.describe_backup().backup_arn(arn).send().await.ok()?;
        let details = d.backup_description?.backup_details?;
        (details.backup_status == BackupStatus::Available).then_some(())
    })
    .await;
}

// The promise of a backup: whatever is done to the table afterwards (items deleted, the table
// itself deleted), restoring the backup gives back the items and indexes it held.
#[tokio::test]
async fn backup_delete_items_restore_compare() {
    let server = start(None).await;
    let db = server.dynamodb();
    create_table(&db, "orders").await;
    for i in 0..60 {
        put(&db, "orders", &format!("k{i}"), &format!("v{i}")).await;
    }
    let before = contents(&db, "orders").await;
    let created = db
        .create_backup()
        .table_name("orders")
        .backup_name("nightly")
        .send()
        .await
        .unwrap();
    let arn = created.backup_details.unwrap().backup_arn;
    wait_available(&db, &arn).await;
    for i in 0..25 {
        db.delete_item()
            .table_name("orders")
            .key("pk", s(&format!("k{i}")))
            .send()
            .await
            .unwrap();
    }
    put(&db, "orders", "k100", "late").await;

    let described = db.describe_backup().backup_arn(&arn).send().await.unwrap();
    let source = described
        .backup_description
        .unwrap()
        .source_table_details
        .unwrap();
    assert_eq!(source.item_count, Some(60));

    let restored = db
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("orders_restored")
        .send()
        .await
        .unwrap();
    let summary = restored.table_description.unwrap().restore_summary.unwrap();
    assert_eq!(summary.source_backup_arn.as_deref(), Some(arn.as_str()));
    wait_active(&db, "orders_restored").await;
    assert_eq!(contents(&db, "orders_restored").await, before);
    let t = db
        .describe_table()
        .table_name("orders_restored")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert!(!t.restore_summary.unwrap().restore_in_progress);
    // The index came back with its rows.
    let by_g = db
        .query()
        .table_name("orders_restored")
        .index_name("by_g")
        .key_condition_expression("g = :g")
        .expression_attribute_values(":g", s("g2"))
        .send()
        .await
        .unwrap();
    let expected = before.keys().filter(|k| k.len() % 3 == 2).count();
    assert_eq!(by_g.count as usize, expected);

    // The backup outlives its table.
    db.delete_table().table_name("orders").send().await.unwrap();
    let listed = db.list_backups().table_name("orders").send().await.unwrap();
    assert_eq!(listed.backup_summaries().len(), 1);
    db.restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("orders")
        .send()
        .await
        .unwrap();
    wait_active(&db, "orders").await;
    assert_eq!(contents(&db, "orders").await, before);

    // A target that exists is the service's TableAlreadyExistsException.
    let err = db
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("orders")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("TableAlreadyExistsException"));

    db.delete_backup().backup_arn(&arn).send().await.unwrap();
    let err = db
        .describe_backup()
        .backup_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("BackupNotFoundException"));
}

async fn enable_pitr(db: &Client, table: &str) {
    db.update_continuous_backups()
        .table_name(table)
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

async fn restore_at(db: &Client, source: &str, target: &str, at: f64) {
    db.restore_table_to_point_in_time()
        .source_table_name(source)
        .target_table_name(target)
        .restore_date_time(DateTime::from_secs_f64(at))
        .send()
        .await
        .unwrap();
    wait_active(db, target).await;
}

// PITR's promise: the table restored at T holds exactly the items it had at T. Three instants,
// each between writes that the clock separates, each compared with the table as it was.
#[tokio::test]
async fn pitr_restores_the_table_as_it_was_at_three_instants() {
    let server = start(None).await;
    let db = server.dynamodb();
    create_table(&db, "ledger").await;
    for i in 0..10 {
        put(&db, "ledger", &format!("k{i}"), "original").await;
    }
    // Not enabled yet: the service's PointInTimeRecoveryUnavailableException.
    let err = db
        .restore_table_to_point_in_time()
        .source_table_name("ledger")
        .target_table_name("nope")
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("PointInTimeRecoveryUnavailableException"));
    enable_pitr(&db, "ledger").await;

    let mut snapshots = Vec::new();
    for round in 1..=3 {
        server.advance(60).await;
        snapshots.push((server.now().await, contents(&db, "ledger").await));
        server.advance(60).await;
        put(
            &db,
            "ledger",
            &format!("k{round}"),
            &format!("round{round}"),
        )
        .await;
        put(&db, "ledger", &format!("new{round}"), "added").await;
        db.delete_item()
            .table_name("ledger")
            .key("pk", s(&format!("k{}", round + 5)))
            .send()
            .await
            .unwrap();
    }
    for (i, (at, expected)) in snapshots.iter().enumerate() {
        let target = format!("ledger_at_{i}");
        restore_at(&db, "ledger", &target, *at).await;
        assert_eq!(&contents(&db, &target).await, expected, "restored at {at}");
    }
    let latest = contents(&db, "ledger").await;
    db.restore_table_to_point_in_time()
        .source_table_name("ledger")
        .target_table_name("ledger_latest")
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap();
    wait_active(&db, "ledger_latest").await;
    assert_eq!(contents(&db, "ledger_latest").await, latest);

    // The window: from the enabling to now; outside it, InvalidRestoreTimeException.
    let d = db
        .describe_continuous_backups()
        .table_name("ledger")
        .send()
        .await
        .unwrap();
    let pitr = d
        .continuous_backups_description
        .unwrap()
        .point_in_time_recovery_description
        .unwrap();
    let earliest = pitr.earliest_restorable_date_time.unwrap().as_secs_f64();
    assert!(earliest < snapshots[0].0);
    let err = db
        .restore_table_to_point_in_time()
        .source_table_name("ledger")
        .target_table_name("too_early")
        .restore_date_time(DateTime::from_secs_f64(earliest - 10.0))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidRestoreTimeException"));

    // A one-day period: two days later the first instants are gone from the window.
    db.update_continuous_backups()
        .table_name("ledger")
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .recovery_period_in_days(1)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    server.advance(2 * 86_400).await;
    let err = db
        .restore_table_to_point_in_time()
        .source_table_name("ledger")
        .target_table_name("too_old")
        .restore_date_time(DateTime::from_secs_f64(snapshots[2].0))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidRestoreTimeException"));
    // What the window still covers restores as the table is now.
    restore_at(&db, "ledger", "ledger_after_purge", server.now().await).await;
    assert_eq!(contents(&db, "ledger_after_purge").await, latest);
}

// A server stopped with a backup and restores queued: after the restart they finish (the
// backup AVAILABLE, the tables ACTIVE with the right items), nothing stays in progress.
#[tokio::test]
async fn work_queued_before_a_restart_finishes_after_it() {
    let dir = support::temp_dir("backups-restart");
    let server = start(Some(dir.clone())).await;
    let db = server.dynamodb();
    create_table(&db, "source").await;
    for i in 0..200 {
        put(&db, "source", &format!("k{i}"), "v").await;
    }
    let expected = contents(&db, "source").await;
    let first = db
        .create_backup()
        .table_name("source")
        .backup_name("first")
        .send()
        .await
        .unwrap()
        .backup_details
        .unwrap()
        .backup_arn;
    wait_available(&db, &first).await;
    enable_pitr(&db, "source").await;
    server.advance(10).await;
    server.shutdown().await;

    // The same data dir opened in process, where nothing runs jobs: queue the work, then stop.
    let mut config = awsim::Config::in_memory();
    config.in_memory = false;
    config.data_dir = dir.clone();
    let engine = awsim::engine::Engine::open(&config).unwrap();
    let scope = awsim::model::Scope {
        account: "000000000000".into(),
        region: "us-east-1".into(),
    };
    let call = |op: &str, body: serde_json::Value| {
        awsim::dispatch::call(
            &engine,
            &scope,
            awsim::protocol::Service::DynamoDb,
            op,
            &body,
        )
        .unwrap()
    };
    let second = call(
        "CreateBackup",
        serde_json::json!({"TableName": "source", "BackupName": "second"}),
    )["BackupDetails"]["BackupArn"]
        .as_str()
        .unwrap()
        .to_string();
    call(
        "RestoreTableFromBackup",
        serde_json::json!({"BackupArn": first, "TargetTableName": "from_backup"}),
    );
    call(
        "RestoreTableToPointInTime",
        serde_json::json!({"SourceTableName": "source", "TargetTableName": "from_pitr", "UseLatestRestorableTime": true}),
    );
    std::fs::create_dir_all(dir.join("s3").join("bkt")).unwrap();
    let export = call(
        "ExportTableToPointInTime",
        serde_json::json!({"TableArn": "source", "S3Bucket": "bkt", "S3Prefix": "p"}),
    )["ExportDescription"]["ExportArn"]
        .as_str()
        .unwrap()
        .to_string();
    engine.close();
    drop(engine);

    let server = start(Some(dir.clone())).await;
    let db = server.dynamodb();
    wait_available(&db, &second).await;
    wait_active(&db, "from_backup").await;
    wait_active(&db, "from_pitr").await;
    assert_eq!(contents(&db, "from_backup").await, expected);
    assert_eq!(contents(&db, "from_pitr").await, expected);
    let exported = wait_for("export finished", || async {
        let d = db.describe_export().export_arn(&export).send().await.ok()?;
        let d = d.export_description?;
        (d.export_status != Some(aws_sdk_dynamodb::types::ExportStatus::InProgress)).then_some(d)
    })
    .await;
    assert_eq!(exported.item_count, Some(200));
    let listed = db.list_backups().send().await.unwrap();
    assert_eq!(listed.backup_summaries().len(), 2);
    assert!(listed
        .backup_summaries()
        .iter()
        .all(|b| b.backup_status == Some(BackupStatus::Available)));
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// One call over the wire with a JSON body (for shapes the test builds as JSON).
async fn raw(server: &support::Server, op: &str, body: serde_json::Value) -> serde_json::Value {
    let r = reqwest::Client::new()
        .post(format!("http://{}", server.addr))
        .header("X-Amz-Target", format!("DynamoDB_20120810.{op}"))
        .header("Content-Type", "application/x-amz-json-1.0")
        .header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status();
    let out: serde_json::Value = r.json().await.unwrap();
    assert!(status.is_success(), "{op}: {out}");
    out
}

// A restored table keeps its vector indexes (the source's, or VectorIndexOverride's) and fills
// them from the restored items: the same search finds the same items with the same scores.
#[tokio::test]
async fn a_restore_keeps_and_fills_vector_indexes() {
    use serde_json::json;
    let server = start(None).await;
    let db = server.dynamodb();
    let index = json!({"IndexName": "vec", "VectorAttribute": {"AttributeName": "emb"},
        "Dimensions": 3, "DistanceFunction": "EUCLIDEAN", "Projection": {"ProjectionType": "KEYS_ONLY"}});
    raw(
        &server,
        "CreateTable",
        json!({"TableName": "docs", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "VectorIndexes": [index]}),
    )
    .await;
    for (k, v) in [
        ("a", [0, 0, 1]),
        ("b", [0, 1, 0]),
        ("c", [5, 5, 5]),
        ("d", [0, 1, 1]),
    ] {
        let emb: Vec<_> = v.iter().map(|x| json!({"N": x.to_string()})).collect();
        raw(
            &server,
            "PutItem",
            json!({"TableName": "docs",
            "Item": {"pk": {"S": k}, "emb": {"L": emb}}}),
        )
        .await;
    }
    let search = |table: &str| {
        json!({"TableName": table, "IndexName": "vec", "TopK": 3,
        "SearchVector": [{"N": "0"}, {"N": "1"}, {"N": "1"}]})
    };
    let before = raw(&server, "SearchVectors", search("docs")).await["SearchResults"].clone();
    assert_eq!(before.as_array().unwrap().len(), 3, "{before}");
    let arn = db
        .create_backup()
        .table_name("docs")
        .backup_name("docs-backup")
        .send()
        .await
        .unwrap()
        .backup_details
        .unwrap()
        .backup_arn;
    wait_available(&db, &arn).await;
    db.restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("docs2")
        .send()
        .await
        .unwrap();
    wait_active(&db, "docs2").await;
    let after = raw(&server, "SearchVectors", search("docs2")).await["SearchResults"].clone();
    assert_eq!(after, before);
    let described = raw(&server, "DescribeTable", json!({"TableName": "docs2"})).await;
    assert_eq!(
        described["Table"]["VectorIndexes"][0]["IndexName"], "vec",
        "{described}"
    );
    server.shutdown().await;
}
