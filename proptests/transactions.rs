//! Transactions and batches, driven in process through `awsim::dispatch::call` with JSON bodies:
//! random transactions with random failing conditions leave every table and index byte for byte
//! as they were when cancelled, and equal the same actions applied one by one when committed;
//! batch writes are all or nothing; and the limits (25 writes, 100 keys/actions, 400 KB items,
//! 4 MB transactions, 16 MB BatchGetItem responses) refuse exactly at the boundary.
use awsim::engine::Engine;
use awsim::error::{Error, ErrorDetail, ErrorKind};
use awsim::model::Scope;
use awsim::protocol::Service;
use awsim::Config;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// One in-memory awsim with two tables: `tbl1` (hash `pk` S, GSI `by_v` on `v` N) and `tbl2` (hash
/// `pk` S, range `sk` N).
struct Db {
    engine: Engine,
    scope: Scope,
}

impl Db {
    fn new() -> Db {
        let db = Db {
            engine: Engine::open(&Config::in_memory()).expect("in-memory engine"),
            scope: Scope {
                account: "000000000000".into(),
                region: "us-east-1".into(),
            },
        };
        db.ok(
            "CreateTable",
            json!({"TableName": "tbl1", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "v", "AttributeType": "N"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "GlobalSecondaryIndexes": [{"IndexName": "by_v", "KeySchema": [{"AttributeName": "v", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}]}),
        );
        db.ok(
            "CreateTable",
            json!({"TableName": "tbl2", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]}),
        );
        db
    }

    fn call(&self, op: &str, body: Value) -> Result<Value, Error> {
        awsim::dispatch::call(&self.engine, &self.scope, Service::DynamoDb, op, &body)
    }

    fn ok(&self, op: &str, body: Value) -> Value {
        self.call(op, body.clone())
            .unwrap_or_else(|e| panic!("{op} {body} failed: {e}"))
    }

    /// Every table and index, scanned whole: the store's visible state.
    fn snapshot(&self) -> Vec<Value> {
        [
            json!({"TableName": "tbl1"}),
            json!({"TableName": "tbl1", "IndexName": "by_v"}),
            json!({"TableName": "tbl2"}),
        ]
        .into_iter()
        .map(|scan| {
            let out = self.ok("Scan", scan);
            assert!(out.get("LastEvaluatedKey").is_none(), "scan fits one page");
            out
        })
        .collect()
    }
}

/// An item slot: table 0 (`tbl1`, key `k<n>`) or 1 (`tbl2`, key `k<n/2>` / `<n%2>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Slot {
    table: u8,
    n: u8,
}

impl Slot {
    fn table_name(self) -> &'static str {
        ["tbl1", "tbl2"][self.table as usize]
    }
    fn key(self) -> Value {
        match self.table {
            0 => json!({"pk": {"S": format!("k{}", self.n)}}),
            _ => {
                json!({"pk": {"S": format!("k{}", self.n / 2)}, "sk": {"N": (self.n % 2).to_string()}})
            }
        }
    }
    /// The key with the hash attribute of the wrong type (a cancellation reason).
    fn bad_key(self) -> Value {
        let mut k = self.key();
        k["pk"] = json!({"N": "1"});
        k
    }
    fn all() -> Vec<Slot> {
        (0..2)
            .flat_map(|table| (0..6).map(move |n| Slot { table, n }))
            .collect()
    }
}

#[derive(Debug, Clone)]
enum Cond {
    Exists,
    NotExists,
    VEq(i64),
    VLt(i64),
}

impl Cond {
    fn expression(&self) -> (String, Option<Value>) {
        match self {
            Cond::Exists => ("attribute_exists(pk)".into(), None),
            Cond::NotExists => ("attribute_not_exists(pk)".into(), None),
            Cond::VEq(x) => ("v = :x".into(), Some(json!({":x": {"N": x.to_string()}}))),
            Cond::VLt(x) => ("v < :x".into(), Some(json!({":x": {"N": x.to_string()}}))),
        }
    }
    /// The reference semantics on a model item (`Some(v)`: present, with `v` if set).
    fn holds(&self, item: Option<&Option<i64>>) -> bool {
        match (self, item) {
            (Cond::Exists, i) => i.is_some(),
            (Cond::NotExists, i) => i.is_none(),
            (Cond::VEq(x), Some(Some(v))) => v == x,
            (Cond::VLt(x), Some(Some(v))) => v < x,
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
enum Kind {
    Put(Option<i64>),
    Add(i64),
    Delete,
    Check,
}

#[derive(Debug, Clone)]
struct Action {
    slot: Slot,
    kind: Kind,
    cond: Option<Cond>,
    bad_key: bool,
}

/// The model: which slots hold an item, and its `v`.
type Model = BTreeMap<Slot, Option<i64>>;

impl Action {
    /// The TransactWriteItems element, and the single-item request applying the same thing.
    fn requests(&self) -> (Value, Option<(&'static str, Value)>) {
        let table = self.slot.table_name();
        let key = if self.bad_key {
            self.slot.bad_key()
        } else {
            self.slot.key()
        };
        let mut body = json!({"TableName": table});
        let cond = match (&self.kind, &self.cond) {
            (Kind::Check, None) => Some(Cond::Exists),
            (_, c) => c.clone(),
        };
        let mut values = serde_json::Map::new();
        if let Some(c) = &cond {
            let (text, vals) = c.expression();
            body["ConditionExpression"] = json!(text);
            if let Some(Value::Object(v)) = vals {
                values.extend(v);
            }
        }
        let (member, single) = match &self.kind {
            Kind::Put(v) => {
                let mut item = key.clone();
                if let Some(v) = v {
                    item["v"] = json!({"N": v.to_string()});
                }
                item["payload"] = json!({"S": format!("{:?}", self.slot)});
                body["Item"] = item;
                ("Put", Some("PutItem"))
            }
            Kind::Add(a) => {
                body["Key"] = key;
                body["UpdateExpression"] = json!("ADD v :a");
                values.insert(":a".into(), json!({"N": a.to_string()}));
                ("Update", Some("UpdateItem"))
            }
            Kind::Delete => {
                body["Key"] = key;
                ("Delete", Some("DeleteItem"))
            }
            Kind::Check => {
                body["Key"] = key;
                ("ConditionCheck", None)
            }
        };
        if !values.is_empty() {
            body["ExpressionAttributeValues"] = Value::Object(values);
        }
        let single = single.map(|op| (op, body.clone()));
        (json!({ member: body }), single)
    }

    /// The reason the reference predicts for this action on `model`.
    fn expected_reason(&self, model: &Model) -> &'static str {
        let cond = match (&self.kind, &self.cond) {
            (Kind::Check, None) => Some(Cond::Exists),
            (_, c) => c.clone(),
        };
        if self.bad_key {
            "ValidationError"
        } else if cond.is_some_and(|c| !c.holds(model.get(&self.slot))) {
            "ConditionalCheckFailed"
        } else {
            "None"
        }
    }

    fn apply(&self, model: &mut Model) {
        match self.kind {
            Kind::Put(v) => {
                model.insert(self.slot, v);
            }
            Kind::Add(a) => {
                let v = model.entry(self.slot).or_insert(None);
                *v = Some(v.unwrap_or(0) + a);
            }
            Kind::Delete => {
                model.remove(&self.slot);
            }
            Kind::Check => {}
        }
    }
}

fn cond() -> impl Strategy<Value = Option<Cond>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(Cond::Exists)),
        1 => Just(Some(Cond::NotExists)),
        1 => (0i64..4).prop_map(|x| Some(Cond::VEq(x))),
        1 => (0i64..4).prop_map(|x| Some(Cond::VLt(x))),
    ]
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        proptest::option::of(0i64..4).prop_map(Kind::Put),
        (-2i64..3).prop_map(Kind::Add),
        Just(Kind::Delete),
        Just(Kind::Check),
    ]
}

/// A transaction: 1 to 6 actions on distinct slots.
fn transaction() -> impl Strategy<Value = Vec<Action>> {
    proptest::sample::subsequence(Slot::all(), 1..=6)
        .prop_shuffle()
        .prop_flat_map(|slots| {
            let n = slots.len();
            (
                Just(slots),
                proptest::collection::vec((kind(), cond(), proptest::bool::weighted(0.05)), n),
            )
        })
        .prop_map(|(slots, specs)| {
            slots
                .into_iter()
                .zip(specs)
                .map(|(slot, (kind, cond, bad_key))| Action {
                    slot,
                    kind,
                    cond,
                    bad_key,
                })
                .collect()
        })
}

/// Initial items: each slot empty or holding an item with an optional `v`.
fn initial() -> impl Strategy<Value = Model> {
    proptest::collection::btree_map(
        proptest::sample::select(Slot::all()),
        proptest::option::of(0i64..4),
        0..8,
    )
}

/// Loads the initial items with one BatchWriteItem per table.
fn load(db: &Db, model: &Model) {
    for table in 0..2u8 {
        let requests: Vec<Value> = model
            .iter()
            .filter(|(s, _)| s.table == table)
            .map(|(s, v)| {
                let mut item = s.key();
                if let Some(v) = v {
                    item["v"] = json!({"N": v.to_string()});
                }
                json!({"PutRequest": {"Item": item}})
            })
            .collect();
        if !requests.is_empty() {
            let name = ["tbl1", "tbl2"][table as usize];
            db.ok("BatchWriteItem", json!({"RequestItems": {name: requests}}));
        }
    }
}

fn reason_codes(e: &Error) -> Vec<&'static str> {
    match e.detail.as_deref() {
        Some(ErrorDetail::CancellationReasons(r)) => r.iter().map(|r| r.code).collect(),
        _ => Vec::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    // The heart of TransactWriteItems: all or nothing. A cancelled transaction changes no
    // byte of any table or index and reports exactly the reasons the reference predicts; a
    // committed one leaves the store as the same actions applied one by one (PutItem,
    // UpdateItem, DeleteItem on a second store with the same history) would.
    #[test]
    fn transactions_are_all_or_nothing(start in initial(), txs in proptest::collection::vec(transaction(), 1..5)) {
        let (a, b) = (Db::new(), Db::new());
        load(&a, &start);
        load(&b, &start);
        let mut model = start;
        for tx in txs {
            let before = a.snapshot();
            let (items, singles): (Vec<Value>, Vec<_>) = tx.iter().map(Action::requests).unzip();
            // The service stops at the first ValidationError: the actions after it are None.
            let mut expected: Vec<&str> = tx.iter().map(|x| x.expected_reason(&model)).collect();
            if let Some(first) = expected.iter().position(|r| *r == "ValidationError") {
                expected[first + 1..].fill("None");
            }
            let outcome = a.call("TransactWriteItems", json!({"TransactItems": items}));
            if expected.iter().any(|r| *r != "None") {
                let e = outcome.expect_err("a failing condition must cancel the transaction");
                prop_assert_eq!(e.kind, ErrorKind::TransactionCanceled);
                prop_assert_eq!(reason_codes(&e), expected);
                prop_assert_eq!(a.snapshot(), before, "a cancelled transaction wrote something");
            } else {
                prop_assert!(outcome.is_ok(), "{:?}", outcome);
                for (op, body) in singles.into_iter().flatten() {
                    b.ok(op, body);
                }
                for action in &tx {
                    action.apply(&mut model);
                }
                prop_assert_eq!(a.snapshot(), b.snapshot());
            }
            // The model agrees with the store on which items exist and their `v`.
            let stored: Model = Slot::all()
                .into_iter()
                .filter_map(|s| {
                    let out = a.ok("GetItem", json!({"TableName": s.table_name(), "Key": s.key(), "ConsistentRead": true}));
                    let item = out.get("Item")?;
                    let v = item.get("v").and_then(|v| v["N"].as_str()).map(|n| n.parse().unwrap());
                    Some((s, v))
                })
                .collect();
            prop_assert_eq!(&stored, &model);
        }
    }

    // BatchWriteItem: a valid batch equals its puts and deletes applied one by one; the same
    // batch with one request on a key of the wrong type writes nothing at all.
    #[test]
    fn batch_writes_are_all_or_nothing(
        start in initial(),
        slots in proptest::sample::subsequence(Slot::all(), 1..=12),
        puts in proptest::collection::vec(proptest::option::of(0i64..4), 12),
        poison in proptest::option::of(0usize..12),
    ) {
        let (a, b) = (Db::new(), Db::new());
        load(&a, &start);
        load(&b, &start);
        let mut tables: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        let mut singles = Vec::new();
        for (i, slot) in slots.iter().enumerate() {
            let key = if poison == Some(i) { slot.bad_key() } else { slot.key() };
            let (request, single) = match puts[i] {
                Some(v) => {
                    let mut item = key.clone();
                    item["v"] = json!({"N": v.to_string()});
                    (json!({"PutRequest": {"Item": item.clone()}}), ("PutItem", json!({"TableName": slot.table_name(), "Item": item})))
                }
                None => (json!({"DeleteRequest": {"Key": key.clone()}}), ("DeleteItem", json!({"TableName": slot.table_name(), "Key": key}))),
            };
            tables.entry(slot.table_name()).or_default().push(request);
            singles.push(single);
        }
        let before = a.snapshot();
        let outcome = a.call("BatchWriteItem", json!({"RequestItems": tables}));
        match poison.filter(|p| *p < slots.len()) {
            Some(_) => {
                prop_assert_eq!(outcome.expect_err("a bad key refuses the batch").kind, ErrorKind::Validation);
                prop_assert_eq!(a.snapshot(), before);
            }
            None => {
                prop_assert_eq!(outcome.expect("a valid batch"), json!({"UnprocessedItems": {}}));
                for (op, body) in singles {
                    b.ok(op, body);
                }
                prop_assert_eq!(a.snapshot(), b.snapshot());
            }
        }
    }

    // The request-count limits hold over all tables together, whatever the split: 25 writes,
    // 100 keys, 100 actions, 100 Gets.
    #[test]
    fn count_limits_hold_over_all_tables(n in 20usize..30, m in 95usize..105, split in 0.0f64..1.0) {
        let db = Db::new();
        let first = (n as f64 * split) as usize;
        let writes = |range: std::ops::Range<usize>| -> Vec<Value> {
            range.map(|i| json!({"PutRequest": {"Item": {"pk": {"S": format!("w{i}")}, "sk": {"N": "1"}}}})).collect()
        };
        let mut request_items = serde_json::Map::new();
        for (t, r) in [("tbl1", 0..first), ("tbl2", first..n)] {
            let list: Vec<Value> = writes(r)
                .into_iter()
                .map(|mut w| {
                    if t == "tbl1" {
                        w["PutRequest"]["Item"].as_object_mut().unwrap().remove("sk");
                    }
                    w
                })
                .collect();
            if !list.is_empty() {
                request_items.insert(t.into(), Value::Array(list));
            }
        }
        let out = db.call("BatchWriteItem", json!({"RequestItems": request_items}));
        prop_assert_eq!(out.is_ok(), n <= 25, "{} writes: {:?}", n, out);
        if n > 25 {
            // One table over 25 is the model's constraint on that list; 25 per table but more
            // in all is the operation's own count.
            let message = out.unwrap_err().message.unwrap_or_default();
            if first > 25 || n - first > 25 {
                prop_assert!(message.ends_with("Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"), "{}", message);
            } else {
                prop_assert_eq!(message, "Too many items requested for the BatchWriteItem call");
            }
        }

        let first = (m as f64 * split) as usize;
        let keys = |r: std::ops::Range<usize>, range_key: bool| -> Vec<Value> {
            r.map(|i| if range_key { json!({"pk": {"S": format!("g{i}")}, "sk": {"N": "1"}}) } else { json!({"pk": {"S": format!("g{i}")}}) }).collect()
        };
        let mut request_items = serde_json::Map::new();
        if first > 0 {
            request_items.insert("tbl1".into(), json!({"Keys": keys(0..first, false)}));
        }
        if m > first {
            request_items.insert("tbl2".into(), json!({"Keys": keys(first..m, true)}));
        }
        let out = db.call("BatchGetItem", json!({"RequestItems": request_items}));
        prop_assert_eq!(out.is_ok(), m <= 100, "{} keys: {:?}", m, out);

        let actions: Vec<Value> = (0..m).map(|i| json!({"Put": {"TableName": "tbl1", "Item": {"pk": {"S": format!("a{i}")}}}})).collect();
        let out = db.call("TransactWriteItems", json!({"TransactItems": actions}));
        prop_assert_eq!(out.is_ok(), m <= 100, "{} actions: {:?}", m, out);
        let gets: Vec<Value> = (0..m).map(|i| json!({"Get": {"TableName": "tbl1", "Key": {"pk": {"S": format!("a{i}")}}}})).collect();
        let out = db.call("TransactGetItems", json!({"TransactItems": gets}));
        prop_assert_eq!(out.is_ok(), m <= 100, "{} gets: {:?}", m, out);
        if let Ok(out) = out {
            prop_assert_eq!(out["Responses"].as_array().map(Vec::len), Some(m));
        }
    }
}

/// An item of exactly `size` bytes by the service's rules: `pk` + `x` with a string filler.
fn item_of(pk: &str, size: usize) -> Value {
    let filler = size - "pk".len() - pk.len() - "x".len();
    json!({"pk": {"S": pk}, "x": {"S": "x".repeat(filler)}})
}

// 400 KB: an item of exactly 409,600 bytes is accepted by BatchWriteItem and TransactWriteItems,
// one byte more is refused; an Update growing an item past it is a ValidationError reason.
#[test]
fn item_size_limit_is_exact() {
    let db = Db::new();
    for size in [409_599, 409_600, 409_601] {
        let ok = size <= 409_600;
        let out = db.call(
            "BatchWriteItem",
            json!({"RequestItems": {"tbl1": [{"PutRequest": {"Item": item_of("b", size)}}]}}),
        );
        assert_eq!(out.is_ok(), ok, "BatchWriteItem of {size} bytes: {out:?}");
        let out = db.call(
            "TransactWriteItems",
            json!({"TransactItems": [{"Put": {"TableName": "tbl1", "Item": item_of("t", size)}}]}),
        );
        assert_eq!(
            out.is_ok(),
            ok,
            "TransactWriteItems of {size} bytes: {out:?}"
        );
        if !ok {
            assert_eq!(
                out.unwrap_err().message.as_deref(),
                Some("Item size has exceeded the maximum allowed size")
            );
        }
    }
    // "t" holds 409,600 bytes; appending one more byte through an Update cancels.
    let out = db
        .call(
            "TransactWriteItems",
            json!({"TransactItems": [{"Update": {"TableName": "tbl1", "Key": {"pk": {"S": "t"}}, "UpdateExpression": "SET y = :y", "ExpressionAttributeValues": {":y": {"S": ""}}}}]}),
        )
        .unwrap_err();
    assert_eq!(reason_codes(&out), ["ValidationError"]);
}

// 4 MB: a transaction whose payload is exactly 4,194,304 bytes commits, one byte more is
// refused before anything is written.
#[test]
fn transaction_payload_limit_is_exact() {
    let db = Db::new();
    for (round, extra) in [(0, 0usize), (1, 1)] {
        let mut actions: Vec<Value> = (0..10)
            .map(|i| json!({"Put": {"TableName": "tbl1", "Item": item_of(&format!("p{round}{i}"), 409_600)}}))
            .collect();
        // 10 x 409,600 = 4,096,000; the last Put brings the total to 4 MB (+ extra).
        actions.push(json!({"Put": {"TableName": "tbl1", "Item": item_of(&format!("q{round}"), 4_194_304 - 4_096_000 + extra)}}));
        let out = db.call("TransactWriteItems", json!({"TransactItems": actions}));
        match extra {
            0 => assert!(out.is_ok(), "exactly 4 MB: {out:?}"),
            _ => {
                assert_eq!(
                    out.unwrap_err().message.as_deref(),
                    Some("Transaction payload size cannot exceed 4MB. Payload Size: 4194305")
                );
                let got = db.ok(
                    "GetItem",
                    json!({"TableName": "tbl1", "Key": {"pk": {"S": "p10"}}}),
                );
                assert_eq!(
                    got,
                    json!({}),
                    "nothing of a refused transaction is written"
                );
            }
        }
    }
}

// 16 MB: BatchGetItem answers at most 16 MB of items and returns the rest as UnprocessedKeys
// in the request's own shape, so resending them (as an SDK's retry loop does) ends with every
// item read exactly once.
#[test]
fn batch_get_response_cap_leaves_unprocessed_keys_to_retry() {
    let db = Db::new();
    for chunk in 0..2 {
        let requests: Vec<Value> = (0..25)
            .map(|i| json!({"PutRequest": {"Item": item_of(&format!("big{:02}", chunk * 25 + i), 409_600)}}))
            .collect();
        db.ok(
            "BatchWriteItem",
            json!({"RequestItems": {"tbl1": requests}}),
        );
    }
    let keys: Vec<Value> = (0..50)
        .map(|i| json!({"pk": {"S": format!("big{i:02}")}}))
        .collect();
    let mut request =
        json!({"tbl1": {"Keys": keys, "ProjectionExpression": "pk", "ConsistentRead": true}});
    let mut seen = Vec::new();
    let mut calls = 0;
    while request.as_object().is_some_and(|o| !o.is_empty()) {
        calls += 1;
        let out = db.ok(
            "BatchGetItem",
            json!({"RequestItems": request, "ReturnConsumedCapacity": "TOTAL"}),
        );
        let items = out["Responses"]["tbl1"].as_array().unwrap();
        // 40 x 409,600 bytes fit under 16 MiB, 41 do not.
        assert!(items.len() <= 40, "{} items in one response", items.len());
        seen.extend(
            items
                .iter()
                .map(|i| i["pk"]["S"].as_str().unwrap().to_string()),
        );
        let units = out["ConsumedCapacity"][0]["CapacityUnits"]
            .as_f64()
            .unwrap();
        assert_eq!(units, 100.0 * items.len() as f64, "whole items are charged");
        request = out["UnprocessedKeys"].clone();
        if let Some(left) = request.get("tbl1") {
            assert_eq!(left["ProjectionExpression"], json!("pk"));
            assert_eq!(left["ConsistentRead"], json!(true));
        }
    }
    assert_eq!(calls, 2);
    seen.sort();
    let want: Vec<String> = (0..50).map(|i| format!("big{i:02}")).collect();
    assert_eq!(seen, want);
}

// Stream records are written inside the same SQLite transaction as the items: a batch and a
// committed transaction add one record per changed item (in action order), a cancelled
// transaction and a replayed ClientRequestToken add none.
#[test]
fn stream_records_follow_committed_writes_only() {
    let db = Db::new();
    db.ok(
        "CreateTable",
        json!({"TableName": "streamed", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}}),
    );
    let streams = |op: &str, body: Value| {
        awsim::dispatch::call(&db.engine, &db.scope, Service::Streams, op, &body)
            .unwrap_or_else(|e| panic!("{op}: {e}"))
    };
    let arn = streams("ListStreams", json!({}))["Streams"][0]["StreamArn"].clone();
    let shard = streams("DescribeStream", json!({"StreamArn": arn}))["StreamDescription"]["Shards"]
        [0]["ShardId"]
        .clone();
    let mut iterator = streams(
        "GetShardIterator",
        json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
    )["ShardIterator"]
        .clone();
    // The (event, key) pairs recorded since the last call.
    let mut events = || -> Vec<(String, String)> {
        let page = streams("GetRecords", json!({"ShardIterator": iterator}));
        iterator = page["NextShardIterator"].clone();
        page["Records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["eventName"].as_str().unwrap().to_string(),
                    r["dynamodb"]["Keys"]["pk"]["S"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                )
            })
            .collect()
    };
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(e, k)| (e.to_string(), k.to_string()))
            .collect()
    };
    let key = |k: &str| json!({"pk": {"S": k}});
    db.ok(
        "BatchWriteItem",
        json!({"RequestItems": {"streamed": [
            {"PutRequest": {"Item": {"pk": {"S": "a"}, "v": {"N": "1"}}}},
            {"PutRequest": {"Item": {"pk": {"S": "b"}}}},
            {"PutRequest": {"Item": {"pk": {"S": "c"}}}}]}}),
    );
    assert_eq!(
        events(),
        pairs(&[("INSERT", "a"), ("INSERT", "b"), ("INSERT", "c")])
    );
    let committed = json!({"TransactItems": [
        {"Update": {"TableName": "streamed", "Key": key("a"), "UpdateExpression": "ADD v :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"ConditionCheck": {"TableName": "streamed", "Key": key("c"), "ConditionExpression": "attribute_exists(pk)"}},
        {"Delete": {"TableName": "streamed", "Key": key("b")}},
        {"Put": {"TableName": "streamed", "Item": {"pk": {"S": "d"}}}}],
        "ClientRequestToken": "once"});
    db.ok("TransactWriteItems", committed.clone());
    assert_eq!(
        events(),
        pairs(&[("MODIFY", "a"), ("REMOVE", "b"), ("INSERT", "d")])
    );
    // The same token and request again: answered, not applied, not recorded.
    db.ok("TransactWriteItems", committed);
    let cancelled = db.call(
        "TransactWriteItems",
        json!({"TransactItems": [
            {"Put": {"TableName": "streamed", "Item": {"pk": {"S": "e"}}}},
            {"Delete": {"TableName": "streamed", "Key": key("zz"), "ConditionExpression": "attribute_exists(pk)"}}]}),
    );
    assert_eq!(cancelled.unwrap_err().kind, ErrorKind::TransactionCanceled);
    assert_eq!(events(), pairs(&[]));
    let a = db.ok("GetItem", json!({"TableName": "streamed", "Key": key("a")}));
    assert_eq!(a["Item"]["v"], json!({"N": "2"}), "applied exactly once");
}

// ReturnItemCollectionMetrics SIZE on a table with an LSI: BatchWriteItem and TransactWriteItems
// report, per table, one entry per written item (not for a ConditionCheck), in the service's
// shape; tables without LSIs have no item collections and report nothing.
#[test]
fn item_collection_metrics_per_table() {
    let db = Db::new();
    db.ok(
        "CreateTable",
        json!({"TableName": "coll", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}, {"AttributeName": "l", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "LocalSecondaryIndexes": [{"IndexName": "lsi", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}]}),
    );
    let entry = |pk: &str| json!({"ItemCollectionKey": {"pk": {"S": pk}}, "SizeEstimateRangeGB": [0.0, 1.0]});
    let out = db.ok(
        "BatchWriteItem",
        json!({"RequestItems": {
            "coll": [{"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "l": {"S": "x"}}}},
                     {"DeleteRequest": {"Key": {"pk": {"S": "b"}, "sk": {"N": "1"}}}}],
            "tbl1": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]},
            "ReturnItemCollectionMetrics": "SIZE"}),
    );
    assert_eq!(
        out,
        json!({"UnprocessedItems": {}, "ItemCollectionMetrics": {"coll": [entry("a"), entry("b")]}})
    );
    let out = db.ok(
        "TransactWriteItems",
        json!({"TransactItems": [
            {"Update": {"TableName": "coll", "Key": {"pk": {"S": "a"}, "sk": {"N": "2"}}, "UpdateExpression": "SET l = :l", "ExpressionAttributeValues": {":l": {"S": "y"}}}},
            {"ConditionCheck": {"TableName": "coll", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "ConditionExpression": "attribute_exists(pk)"}},
            {"Put": {"TableName": "tbl1", "Item": {"pk": {"S": "b"}}}}],
            "ReturnItemCollectionMetrics": "SIZE"}),
    );
    assert_eq!(
        out,
        json!({"ItemCollectionMetrics": {"coll": [entry("a")]}})
    );
    let out = db.ok(
        "TransactWriteItems",
        json!({"TransactItems": [{"Put": {"TableName": "tbl1", "Item": {"pk": {"S": "c"}}}}],
            "ReturnItemCollectionMetrics": "SIZE"}),
    );
    assert_eq!(out, json!({}));
}

// ClientRequestToken: a repeat within 10 minutes (by the engine's clock, moved rather than
// waited for) answers without applying again; after 10 minutes the token is forgotten and the
// same request applies anew; the same token with another request is a mismatch meanwhile.
#[test]
fn tokens_are_remembered_for_ten_minutes() {
    let db = Db::new();
    let add = |token: &str, amount: &str| {
        db.call(
            "TransactWriteItems",
            json!({"TransactItems": [{"Update": {"TableName": "tbl1", "Key": {"pk": {"S": "c"}},
                "UpdateExpression": "ADD n :a", "ExpressionAttributeValues": {":a": {"N": amount}}}}],
                "ClientRequestToken": token}),
        )
    };
    let count = || {
        db.ok(
            "GetItem",
            json!({"TableName": "tbl1", "Key": {"pk": {"S": "c"}}}),
        )["Item"]["n"]["N"]
            .clone()
    };
    add("tok", "1").unwrap();
    db.engine.clock.advance(599.0);
    add("tok", "1").unwrap();
    assert_eq!(
        count(),
        json!("1"),
        "a repeat within 10 minutes applies nothing"
    );
    let mismatch = add("tok", "2").unwrap_err();
    assert_eq!(mismatch.kind, ErrorKind::IdempotentParameterMismatch);
    db.engine.clock.advance(2.0);
    add("tok", "1").unwrap();
    assert_eq!(
        count(),
        json!("2"),
        "after 10 minutes the token is new again"
    );
    add("tok", "2").unwrap_err();
    add("other", "2").unwrap();
    assert_eq!(count(), json!("4"));
}

// Tokens live in SQLite with the writes they guard: after a restart of a file-backed store, a
// retried request is still recognised and not applied a second time.
#[test]
fn tokens_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("awsim-tokens-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = Config {
        data_dir: dir.clone(),
        in_memory: false,
        ..Config::in_memory()
    };
    let scope = Scope {
        account: "000000000000".into(),
        region: "us-east-1".into(),
    };
    let call = |engine: &Engine, op: &str, body: Value| {
        awsim::dispatch::call(engine, &scope, Service::DynamoDb, op, &body).unwrap()
    };
    let request = json!({"TransactItems": [{"Update": {"TableName": "kept", "Key": {"pk": {"S": "c"}},
        "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}],
        "ClientRequestToken": "survives"});
    {
        let engine = Engine::open(&config).unwrap();
        call(
            &engine,
            "CreateTable",
            json!({"TableName": "kept", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}),
        );
        call(&engine, "TransactWriteItems", request.clone());
        engine.close();
    }
    let engine = Engine::open(&config).unwrap();
    call(&engine, "TransactWriteItems", request);
    let got = call(
        &engine,
        "GetItem",
        json!({"TableName": "kept", "Key": {"pk": {"S": "c"}}}),
    );
    assert_eq!(got["Item"]["n"], json!({"N": "1"}));
    engine.close();
    let _ = std::fs::remove_dir_all(dir);
}
