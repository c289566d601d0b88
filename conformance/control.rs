//! End to end through the real AWS SDKs: the control plane (tags, TruncateTable, STS
//! GetCallerIdentity on the DynamoDB endpoint), as Terraform, the CDK and test helpers use it.
mod support;

use aws_sdk_dynamodb::types::Tag;

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

// Terraform's AWS provider and the CDK ask STS who they are before anything else; the answer
// must come from the same endpoint, with the account derived from the access key as for tables.
#[tokio::test]
async fn sts_get_caller_identity_answers_the_callers_account() {
    let server = support::start(None).await;
    let me = server
        .sts("test")
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.account(), Some("000000000000"));
    assert_eq!(me.arn(), Some("arn:aws:iam::000000000000:root"));
    assert_eq!(me.user_id(), Some("000000000000"));
    let other = server
        .sts("123456789012")
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(other.account(), Some("123456789012"));

    // Any other STS action is the query protocol's InvalidAction, which the SDK types.
    let e = server
        .sts("test")
        .get_session_token()
        .send()
        .await
        .unwrap_err();
    let e = e.into_service_error();
    assert_eq!(
        aws_sdk_sts::error::ProvideErrorMetadata::code(&e),
        Some("InvalidAction")
    );
    server.shutdown().await;
}

// Tags through the SDK: given at CreateTable, added, overwritten, removed, and refused with the
// typed errors the service sends (ValidationException for a bad ARN).
#[tokio::test]
async fn tags_round_trip_through_the_sdk() {
    let server = support::start(None).await;
    let ddb = server.dynamodb();
    let created = support::hash_table(&ddb, "tagged")
        .tags(tag("env", "dev"))
        .send()
        .await
        .unwrap();
    let arn = created
        .table_description()
        .unwrap()
        .table_arn()
        .unwrap()
        .to_string();
    ddb.tag_resource()
        .resource_arn(&arn)
        .tags(tag("team", "data"))
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    let listed = ddb
        .list_tags_of_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    let pairs: Vec<(&str, &str)> = listed.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(pairs, [("env", "prod"), ("team", "data")]);
    ddb.untag_resource()
        .resource_arn(&arn)
        .tag_keys("env")
        .send()
        .await
        .unwrap();
    let listed = ddb
        .list_tags_of_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.tags().len(), 1);
    let e = ddb
        .list_tags_of_resource()
        .resource_arn("not-a-valid-arn")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_dynamodb::error::ProvideErrorMetadata::code(&e.into_service_error()),
        Some("ValidationException")
    );
    server.shutdown().await;
}

// TruncateTable is awsim's own operation; the SDK cannot name it, so it is sent as raw JSON on
// the DynamoDB target, the way README documents it, and the table stays usable afterwards.
#[tokio::test]
async fn truncate_table_over_http_empties_the_table() {
    let server = support::start(None).await;
    let ddb = server.dynamodb();
    support::hash_table(&ddb, "wipe").send().await.unwrap();
    for pk in ["a", "b"] {
        ddb.put_item()
            .table_name("wipe")
            .item("pk", aws_sdk_dynamodb::types::AttributeValue::S(pk.into()))
            .send()
            .await
            .unwrap();
    }
    let resp: serde_json::Value = reqwest::Client::new()
        .post(format!("http://{}/", server.addr))
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", "DynamoDB_20120810.TruncateTable")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20260421/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x",
        )
        .body(r#"{"TableName":"wipe"}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        resp,
        serde_json::json!({"TableName": "wipe", "DeletedItemCount": 2})
    );
    let scan = ddb.scan().table_name("wipe").send().await.unwrap();
    assert_eq!(scan.count(), 0);
    server.shutdown().await;
}

// A policy is stored with its revision: putting the same document again keeps the revision
// (the service's idempotency), a new document gets a new one, and both survive a restart.
#[tokio::test]
async fn policies_keep_their_revision_across_puts_and_restarts() {
    let dir = support::temp_dir("policies");
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"dynamodb:GetItem","Resource":"*"}]}"#;
    let server = support::start(Some(dir.clone())).await;
    let ddb = server.dynamodb();
    let created = support::hash_table(&ddb, "pol")
        .resource_policy(doc)
        .send()
        .await
        .unwrap();
    let arn = created
        .table_description()
        .unwrap()
        .table_arn()
        .unwrap()
        .to_string();
    let first = ddb
        .get_resource_policy()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    let again = ddb
        .put_resource_policy()
        .resource_arn(&arn)
        .policy(doc)
        .send()
        .await
        .unwrap();
    assert_eq!(again.revision_id(), first.revision_id());
    let changed = ddb
        .put_resource_policy()
        .resource_arn(&arn)
        .policy(doc.replace("GetItem", "Query"))
        .expected_revision_id(first.revision_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_ne!(changed.revision_id(), first.revision_id());
    server.shutdown().await;

    let server = support::start(Some(dir.clone())).await;
    let ddb = server.dynamodb();
    let after = ddb
        .get_resource_policy()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(after.revision_id(), changed.revision_id());
    assert_eq!(
        after.policy(),
        Some(doc.replace("GetItem", "Query").as_str())
    );
    let e = ddb
        .delete_resource_policy()
        .resource_arn(&arn)
        .expected_revision_id(first.revision_id().unwrap())
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_policy_not_found_exception());
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Waits until `read` answers Some, polling the server (at most 200 times, 25 ms apart): a bounded
/// poll on replication, which runs in the background.
async fn eventually<T, F, Fut>(mut read: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..200 {
        if let Some(v) = read().await {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("not replicated after 200 polls");
}

async fn item(
    client: &aws_sdk_dynamodb::Client,
    pk: &str,
) -> Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    client
        .get_item()
        .table_name("orders")
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(pk.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

// The issue's end-to-end scenario: a table with tags and a policy, tags listed and removed, a
// replica added in eu-west-1, writes in each region read back in the other once replicated (a
// bounded poll, or the admin endpoint), a restart in between, and the replica deleted.
#[tokio::test]
async fn global_table_end_to_end_across_a_restart() {
    use aws_sdk_dynamodb::types::{
        AttributeValue as Av, CreateReplicationGroupMemberAction,
        DeleteReplicationGroupMemberAction, ReplicationGroupUpdate, StreamSpecification,
        StreamViewType,
    };
    let dir = support::temp_dir("global");
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"dynamodb:GetItem","Resource":"*"}]}"#;
    let server = support::start(Some(dir.clone())).await;
    let (east, west) = (server.dynamodb(), server.dynamodb_in("eu-west-1"));
    let created = support::hash_table(&east, "orders")
        .tags(tag("env", "dev"))
        .tags(tag("team", "data"))
        .resource_policy(policy)
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
    let arn = created
        .table_description()
        .unwrap()
        .table_arn()
        .unwrap()
        .to_string();
    let tags = east
        .list_tags_of_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 2);
    east.untag_resource()
        .resource_arn(&arn)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let tags = east
        .list_tags_of_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.tags().iter().map(|t| t.key()).collect::<Vec<_>>(),
        ["env"]
    );
    east.put_item()
        .table_name("orders")
        .item("pk", Av::S("before".into()))
        .send()
        .await
        .unwrap();

    let updated = east
        .update_table()
        .table_name("orders")
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
    let answer = updated.table_description().unwrap();
    assert_eq!(answer.table_status().unwrap().as_str(), "UPDATING");
    assert_eq!(answer.replicas()[0].region_name(), Some("eu-west-1"));
    assert_eq!(
        answer.replicas()[0].replica_status().unwrap().as_str(),
        "CREATING"
    );
    let described = west
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .unwrap();
    let table = described.table().unwrap();
    assert_eq!(table.global_table_version(), Some("2019.11.21"));
    assert_eq!(table.replicas()[0].region_name(), Some("us-east-1"));
    assert_eq!(
        table.replicas()[0].replica_status().unwrap().as_str(),
        "ACTIVE"
    );
    // The replica starts with the source's items.
    assert!(item(&west, "before").await.is_some());

    east.put_item()
        .table_name("orders")
        .item("pk", Av::S("from-east".into()))
        .send()
        .await
        .unwrap();
    west.put_item()
        .table_name("orders")
        .item("pk", Av::S("from-west".into()))
        .send()
        .await
        .unwrap();
    eventually(|| item(&west, "from-east")).await;
    eventually(|| item(&east, "from-west")).await;

    // Written just before a restart: whatever was still queued is applied after it.
    east.put_item()
        .table_name("orders")
        .item("pk", Av::S("last".into()))
        .item("n", Av::N("1".into()))
        .send()
        .await
        .unwrap();
    server.shutdown().await;
    let server = support::start(Some(dir.clone())).await;
    let (east, west) = (server.dynamodb(), server.dynamodb_in("eu-west-1"));
    let last = eventually(|| item(&west, "last")).await;
    assert_eq!(last.get("n"), Some(&Av::N("1".into())));
    let policy_after = east
        .get_resource_policy()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(policy_after.policy(), Some(policy));

    // The same item written in both regions converges on the later write everywhere.
    west.put_item()
        .table_name("orders")
        .item("pk", Av::S("both".into()))
        .item("v", Av::S("west".into()))
        .send()
        .await
        .unwrap();
    server.advance(1).await;
    east.put_item()
        .table_name("orders")
        .item("pk", Av::S("both".into()))
        .item("v", Av::S("east".into()))
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
    for client in [&east, &west] {
        let both = item(client, "both").await.unwrap();
        assert_eq!(both.get("v"), Some(&Av::S("east".into())));
    }

    east.update_table()
        .table_name("orders")
        .replica_updates(
            ReplicationGroupUpdate::builder()
                .delete(
                    DeleteReplicationGroupMemberAction::builder()
                        .region_name("eu-west-1")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let e = west
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_resource_not_found_exception());
    let table = east
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .unwrap();
    assert!(table.table().unwrap().replicas().is_empty());
    assert_eq!(
        east.scan()
            .table_name("orders")
            .send()
            .await
            .unwrap()
            .count(),
        5
    );
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
