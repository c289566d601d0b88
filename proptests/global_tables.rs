//! Property test of global-table replication: random interleavings of writes (PutItem,
//! UpdateItem, DeleteItem) to the two replicas of a table, partial replication rounds and clock
//! steps always converge: once the queue is drained, both regions hold exactly the same items,
//! and every item is one some client wrote. Driven through `dispatch::call` with wire JSON.
use awsim::engine::Engine;
use awsim::model::Scope;
use awsim::protocol::Service;
use awsim::Config;
use proptest::prelude::*;
use serde_json::{json, Value};

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

#[derive(Debug, Clone)]
enum Step {
    Put {
        west: bool,
        key: u8,
        val: u8,
    },
    Add {
        west: bool,
        key: u8,
        val: u8,
    },
    Delete {
        west: bool,
        key: u8,
    },
    /// Applies at most this many queued writes.
    Replicate(u8),
    /// Moves the clock forward this many milliseconds (0: writes in the same millisecond).
    Tick(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (any::<bool>(), 0u8..3, 0u8..4).prop_map(|(west, key, val)| Step::Put { west, key, val }),
        2 => (any::<bool>(), 0u8..3, 1u8..4).prop_map(|(west, key, val)| Step::Add { west, key, val }),
        2 => (any::<bool>(), 0u8..3).prop_map(|(west, key)| Step::Delete { west, key }),
        2 => (0u8..4).prop_map(Step::Replicate),
        1 => (0u8..3).prop_map(Step::Tick),
    ]
}

fn call(engine: &Engine, region: &str, op: &str, body: Value) -> Value {
    let scope = Scope {
        account: "000000000000".into(),
        region: region.into(),
    };
    awsim::dispatch::call(engine, &scope, Service::DynamoDb, op, &body)
        .unwrap_or_else(|e| panic!("{op} in {region} {body}: {e:?}"))
}

fn items(engine: &Engine, region: &str) -> Vec<Value> {
    let mut items = call(
        engine,
        region,
        "Scan",
        json!({"TableName": "global", "ConsistentRead": true}),
    )["Items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    items.sort_by_key(|i| i["pk"].to_string());
    items
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge(steps in proptest::collection::vec(step(), 1..40)) {
        let engine = Engine::open(&Config::in_memory()).unwrap();
        call(&engine, REGIONS[0], "CreateTable", json!({
            "TableName": "global", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        }));
        call(&engine, REGIONS[0], "UpdateTable", json!({
            "TableName": "global", "ReplicaUpdates": [{"Create": {"RegionName": REGIONS[1]}}]
        }));
        // Every value a client wrote (`v` of a put, or the counter an ADD left), by key.
        let mut written: Vec<(String, Value)> = Vec::new();
        for s in &steps {
            match *s {
                Step::Put { west, key, val } => {
                    let item = json!({"pk": {"S": format!("k{key}")}, "v": {"N": val.to_string()}, "by": {"S": REGIONS[west as usize]}});
                    call(&engine, REGIONS[west as usize], "PutItem", json!({"TableName": "global", "Item": item}));
                }
                Step::Add { west, key, val } => {
                    call(&engine, REGIONS[west as usize], "UpdateItem", json!({
                        "TableName": "global", "Key": {"pk": {"S": format!("k{key}")}},
                        "UpdateExpression": "ADD v :n SET #by = :by",
                        "ExpressionAttributeNames": {"#by": "by"},
                        "ExpressionAttributeValues": {":n": {"N": val.to_string()}, ":by": {"S": REGIONS[west as usize]}}
                    }));
                }
                Step::Delete { west, key } => {
                    call(&engine, REGIONS[west as usize], "DeleteItem", json!({"TableName": "global", "Key": {"pk": {"S": format!("k{key}")}}}));
                }
                Step::Replicate(n) => {
                    engine.replicate_up_to(n as usize).unwrap();
                }
                Step::Tick(ms) => {
                    engine.clock.advance(ms as f64 / 1000.0);
                }
            }
            if let Step::Put { west, .. } | Step::Add { west, .. } = *s {
                for item in items(&engine, REGIONS[west as usize]) {
                    written.push((item["pk"]["S"].as_str().unwrap_or_default().to_string(), item));
                }
            }
        }
        engine.replicate().unwrap();
        prop_assert_eq!(engine.replication_backlog().unwrap(), 0);
        let east = items(&engine, REGIONS[0]);
        let west = items(&engine, REGIONS[1]);
        prop_assert_eq!(&east, &west);
        for item in &east {
            prop_assert!(written.iter().any(|(_, w)| w == item), "{item} was never written");
        }
    }
}
