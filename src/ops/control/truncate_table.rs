//! TruncateTable: awsim's own operation (not part of DynamoDB; documented in README). Deletes
//! every item of a table with its index rows in one transaction and keeps everything else
//! (schema, indexes, stream, TTL, tags, policies). With a stream enabled each item leaves a
//! REMOVE record, as DeleteItem would; on a global table each deletion is replicated.
use crate::engine::Engine;
use crate::error::Result;
use crate::model::Scope;
use crate::ops::Input;
use serde_json::{json, Value};

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let name = input.table_name();
    let meta = engine.table(scope, name)?;
    let deleted = engine.truncate_table(&meta)?;
    Ok(json!({"TableName": meta.name, "DeletedItemCount": deleted}))
}

#[cfg(test)]
mod tests {
    use crate::engine::TestEngine;
    use serde_json::{json, Value};

    // TruncateTable must leave what a DeleteItem of each item would: a REMOVE record per item in
    // the stream (with the old image), zeroed statistics, empty indexes; and keep the table's
    // settings. The fixtures cannot see stream records and statistics together, this test can.
    #[test]
    fn truncate_emits_remove_records_and_keeps_the_table() {
        let t = TestEngine::new();
        let (engine, scope) = (&t.engine, &t.scope);
        let call = |op: &str, body: Value| t.call(op, body);
        call(
            "CreateTable",
            json!({
                "TableName": "tbl", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "GlobalSecondaryIndexes": [{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "KEYS_ONLY"}}],
                "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "OLD_IMAGE"}
            }),
        );
        call(
            "UpdateTimeToLive",
            json!({"TableName": "tbl", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}}),
        );
        for pk in ["a", "b", "c"] {
            call(
                "PutItem",
                json!({"TableName": "tbl", "Item": {"pk": {"S": pk}, "g": {"S": "x"}}}),
            );
        }
        let out = call("TruncateTable", json!({"TableName": "tbl"}));
        assert_eq!(out, json!({"TableName": "tbl", "DeletedItemCount": 3}));

        let table = &call("DescribeTable", json!({"TableName": "tbl"}))["Table"];
        assert_eq!(table["ItemCount"], 0);
        assert_eq!(table["TableSizeBytes"], 0);
        assert_eq!(table["GlobalSecondaryIndexes"][0]["ItemCount"], 0);
        assert_eq!(table["StreamSpecification"]["StreamEnabled"], true);
        let ttl = call("DescribeTimeToLive", json!({"TableName": "tbl"}));
        assert_eq!(ttl["TimeToLiveDescription"]["TimeToLiveStatus"], "ENABLED");

        let stream = engine.list_streams(scope, Some("tbl")).unwrap()[0].id;
        let records = engine.stream_records(stream, 0, 100).unwrap();
        let events: Vec<&str> = records.iter().map(|r| r.event.as_str()).collect();
        assert_eq!(
            events,
            ["INSERT", "INSERT", "INSERT", "REMOVE", "REMOVE", "REMOVE"]
        );
        assert!(records[3..].iter().all(|r| r.old_image.is_some()));

        // Without a stream the bulk path runs: same answer, same emptiness.
        call(
            "UpdateTable",
            json!({"TableName": "tbl", "StreamSpecification": {"StreamEnabled": false}}),
        );
        call(
            "PutItem",
            json!({"TableName": "tbl", "Item": {"pk": {"S": "d"}, "g": {"S": "y"}}}),
        );
        let out = call("TruncateTable", json!({"TableName": "tbl"}));
        assert_eq!(out["DeletedItemCount"], 1);
        let table = &call("DescribeTable", json!({"TableName": "tbl"}))["Table"];
        assert_eq!(table["ItemCount"], 0);
        assert_eq!(table["GlobalSecondaryIndexes"][0]["ItemCount"], 0);
    }
}
