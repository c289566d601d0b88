//! Provisioned throughput under random workloads and clock moves, in process through
//! `awsim::dispatch::call`: a provisioned table with a provisioned GSI takes random puts,
//! updates, deletes, gets, GSI queries, batch writes and transactions (each asking for
//! ConsumedCapacity INDEXES) while the engine clock jumps ahead. Properties:
//!
//! - what accepted requests consumed, per bucket (table reads, table writes, GSI reads, GSI
//!   writes), never exceeds its capacity times the time elapsed plus the 300-second burst;
//! - every accepted write is there and no throttled write is applied: the items equal a model
//!   fed with the accepted writes only (a batch's unprocessed items and a cancelled
//!   transaction's actions left out).
//!
//! Each request costs at most one burst, so no request relies on the full-bucket admission of
//! oversized requests (a unit test covers that).
use awsim::engine::{decode_row, keys, Engine};
use awsim::error::{Error, ErrorDetail, ErrorKind};
use awsim::model::{AttributeValue, Scope};
use awsim::protocol::Service;
use awsim::Config;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const KEYS: u8 = 6;

#[derive(Debug, Clone)]
struct Write {
    key: u8,
    kb: usize,
    /// The GSI key (`g`), if the item has one.
    g: Option<u8>,
}

#[derive(Debug, Clone)]
enum Op {
    Put(Write),
    Update(Write),
    Delete(u8),
    Get(u8, bool),
    Query(u8),
    Batch(Vec<Write>),
    Transact(Vec<Write>),
    Advance(u16),
}

fn write(max_kb: usize) -> impl Strategy<Value = Write> {
    (0..KEYS, 1..=max_kb, proptest::option::of(0..3u8)).prop_map(|(key, kb, g)| Write {
        key,
        kb,
        g,
    })
}

/// Writes on distinct keys.
fn distinct(max: usize, max_kb: usize) -> impl Strategy<Value = Vec<Write>> {
    proptest::collection::vec(write(max_kb), 1..=max).prop_map(|mut ws| {
        let mut seen = Vec::new();
        ws.retain(|w| {
            let fresh = !seen.contains(&w.key);
            seen.push(w.key);
            fresh
        });
        ws
    })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => write(60).prop_map(Op::Put),
        2 => write(60).prop_map(Op::Update),
        1 => (0..KEYS).prop_map(Op::Delete),
        3 => (0..KEYS, any::<bool>()).prop_map(|(k, c)| Op::Get(k, c)),
        1 => (0..3u8).prop_map(Op::Query),
        2 => distinct(2, 60).prop_map(Op::Batch),
        2 => distinct(2, 30).prop_map(Op::Transact),
        3 => (0..=120u16).prop_map(Op::Advance),
    ]
}

/// Units consumed by accepted requests, per bucket.
#[derive(Debug, Default)]
struct Spent {
    table_read: f64,
    table_write: f64,
    gsi_read: f64,
    gsi_write: f64,
}

struct Run {
    engine: Engine,
    scope: Scope,
    /// (table RCU, table WCU, GSI RCU, GSI WCU).
    rates: (f64, f64, f64, f64),
    spent: Spent,
    /// The items as the accepted writes left them: key -> (version, kb, g).
    model: BTreeMap<u8, (u64, usize, Option<u8>)>,
    version: u64,
    started: f64,
}

fn item(key: u8, w: &Write, v: u64) -> Value {
    let mut item = json!({
        "pk": {"S": format!("k{key}")},
        "v": {"N": v.to_string()},
        "data": {"S": "x".repeat(w.kb * 1024 - 32)},
    });
    if let Some(g) = w.g {
        item["g"] = json!({"S": format!("g{g}")});
    }
    item
}

/// Adds one ConsumedCapacity entry (INDEXES) to the read or the write buckets.
fn add(spent: &mut Spent, cc: &Value, read: bool) {
    let table = cc["Table"]["CapacityUnits"].as_f64().unwrap_or(0.0);
    let gsi = cc["GlobalSecondaryIndexes"]["by_g"]["CapacityUnits"]
        .as_f64()
        .unwrap_or(0.0);
    if read {
        spent.table_read += table;
        spent.gsi_read += gsi;
    } else {
        spent.table_write += table;
        spent.gsi_write += gsi;
    }
}

fn throttled(e: &Error) -> bool {
    match e.kind {
        ErrorKind::ProvisionedThroughputExceeded => true,
        ErrorKind::TransactionCanceled => matches!(e.detail.as_deref(),
            Some(ErrorDetail::CancellationReasons(r)) if r.iter().any(|r| r.code == "ProvisionedThroughputExceeded")),
        _ => false,
    }
}

impl Run {
    fn new(rates: (i64, i64, i64, i64)) -> Run {
        let run = Run {
            engine: Engine::open(&Config::in_memory()).expect("in-memory engine"),
            scope: Scope {
                account: "000000000000".into(),
                region: "us-east-1".into(),
            },
            rates: (
                rates.0 as f64,
                rates.1 as f64,
                rates.2 as f64,
                rates.3 as f64,
            ),
            spent: Spent::default(),
            model: BTreeMap::new(),
            version: 0,
            started: 0.0,
        };
        run.call("CreateTable", json!({
            "TableName": "cap",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": rates.0, "WriteCapacityUnits": rates.1},
            "GlobalSecondaryIndexes": [{"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": rates.2, "WriteCapacityUnits": rates.3}}]}))
            .expect("table");
        Run {
            started: run.engine.now(),
            ..run
        }
    }

    fn call(&self, op: &str, body: Value) -> Result<Value, Error> {
        awsim::dispatch::call(&self.engine, &self.scope, Service::DynamoDb, op, &body)
    }

    /// Runs one op: Ok(()) when it was accepted or throttled (anything else fails the test).
    fn step(&mut self, op: &Op) -> Result<(), String> {
        let unexpected = |e: Error| format!("{op:?}: {e}");
        match op {
            Op::Advance(s) => {
                self.engine.clock.advance(*s as f64);
                Ok(())
            }
            Op::Put(w) => {
                self.version += 1;
                let v = self.version;
                match self.call("PutItem", json!({"TableName": "cap", "Item": item(w.key, w, v), "ReturnConsumedCapacity": "INDEXES"})) {
                    Ok(out) => {
                        add(&mut self.spent, &out["ConsumedCapacity"], false);
                        self.model.insert(w.key, (v, w.kb, w.g));
                        Ok(())
                    }
                    Err(e) if throttled(&e) => Ok(()),
                    Err(e) => Err(unexpected(e)),
                }
            }
            Op::Update(w) => {
                self.version += 1;
                let v = self.version;
                let whole = item(w.key, w, v);
                let mut set = vec!["v = :v", "#d = :d"];
                let mut values = json!({":v": whole["v"], ":d": whole["data"]});
                let remove = match w.g {
                    Some(_) => {
                        set.push("g = :g");
                        values[":g"] = whole["g"].clone();
                        ""
                    }
                    None => " REMOVE g",
                };
                let body = json!({"TableName": "cap", "Key": {"pk": whole["pk"]},
                    "UpdateExpression": format!("SET {}{remove}", set.join(", ")),
                    "ExpressionAttributeNames": {"#d": "data"},
                    "ExpressionAttributeValues": values, "ReturnConsumedCapacity": "INDEXES"});
                match self.call("UpdateItem", body) {
                    Ok(out) => {
                        add(&mut self.spent, &out["ConsumedCapacity"], false);
                        self.model.insert(w.key, (v, w.kb, w.g));
                        Ok(())
                    }
                    Err(e) if throttled(&e) => Ok(()),
                    Err(e) => Err(unexpected(e)),
                }
            }
            Op::Delete(k) => {
                match self.call("DeleteItem", json!({"TableName": "cap", "Key": {"pk": {"S": format!("k{k}")}}, "ReturnConsumedCapacity": "INDEXES"})) {
                    Ok(out) => {
                        add(&mut self.spent, &out["ConsumedCapacity"], false);
                        self.model.remove(k);
                        Ok(())
                    }
                    Err(e) if throttled(&e) => Ok(()),
                    Err(e) => Err(unexpected(e)),
                }
            }
            Op::Get(k, consistent) => {
                match self.call("GetItem", json!({"TableName": "cap", "Key": {"pk": {"S": format!("k{k}")}}, "ConsistentRead": consistent, "ReturnConsumedCapacity": "INDEXES"})) {
                    Ok(out) => {
                        add(&mut self.spent, &out["ConsumedCapacity"], true);
                        Ok(())
                    }
                    Err(e) if throttled(&e) => Ok(()),
                    Err(e) => Err(unexpected(e)),
                }
            }
            Op::Query(g) => {
                match self.call("Query", json!({"TableName": "cap", "IndexName": "by_g", "KeyConditionExpression": "g = :g",
                    "ExpressionAttributeValues": {":g": {"S": format!("g{g}")}}, "ReturnConsumedCapacity": "INDEXES"})) {
                    Ok(out) => {
                        add(&mut self.spent, &out["ConsumedCapacity"], true);
                        Ok(())
                    }
                    Err(e) if throttled(&e) => Ok(()),
                    Err(e) => Err(unexpected(e)),
                }
            }
            Op::Batch(ws) => {
                let mut versions = Vec::new();
                let requests: Vec<Value> = ws
                    .iter()
                    .map(|w| {
                        self.version += 1;
                        versions.push(self.version);
                        json!({"PutRequest": {"Item": item(w.key, w, self.version)}})
                    })
                    .collect();
                match self.call("BatchWriteItem", json!({"RequestItems": {"cap": requests}, "ReturnConsumedCapacity": "INDEXES"})) {
                    Ok(out) => {
                        for cc in out["ConsumedCapacity"].as_array().into_iter().flatten() {
                            add(&mut self.spent, cc, false);
                        }
                        let left: Vec<&Value> = out["UnprocessedItems"]["cap"]
                            .as_array()
                            .map(|l| l.iter().collect())
                            .unwrap_or_default();
                        for (w, v) in ws.iter().zip(versions) {
                            let key = json!({"S": format!("k{}", w.key)});
                            if !left.iter().any(|r| r["PutRequest"]["Item"]["pk"] == key) {
                                self.model.insert(w.key, (v, w.kb, w.g));
                            }
                        }
                        Ok(())
                    }
                    Err(e) if throttled(&e) => Ok(()),
                    Err(e) => Err(unexpected(e)),
                }
            }
            Op::Transact(ws) => {
                let mut versions = Vec::new();
                let actions: Vec<Value> = ws
                    .iter()
                    .map(|w| {
                        self.version += 1;
                        versions.push(self.version);
                        json!({"Put": {"TableName": "cap", "Item": item(w.key, w, self.version)}})
                    })
                    .collect();
                match self.call("TransactWriteItems", json!({"TransactItems": actions, "ReturnConsumedCapacity": "INDEXES"})) {
                    Ok(out) => {
                        for cc in out["ConsumedCapacity"].as_array().into_iter().flatten() {
                            add(&mut self.spent, cc, false);
                        }
                        for (w, v) in ws.iter().zip(versions) {
                            self.model.insert(w.key, (v, w.kb, w.g));
                        }
                        Ok(())
                    }
                    Err(e) if throttled(&e) => Ok(()),
                    Err(e) => Err(unexpected(e)),
                }
            }
        }
    }

    /// The bound: what each bucket's accepted requests took is at most its rate times the time
    /// elapsed (the engine clock, real time included) plus 300 seconds of burst.
    fn check_bound(&self) -> Result<(), String> {
        let elapsed = self.engine.now() - self.started;
        let (tr, tw, gr, gw) = self.rates;
        for (what, spent, rate) in [
            ("table reads", self.spent.table_read, tr),
            ("table writes", self.spent.table_write, tw),
            ("GSI reads", self.spent.gsi_read, gr),
            ("GSI writes", self.spent.gsi_write, gw),
        ] {
            let bound = rate * elapsed + rate * 300.0;
            if spent > bound + 1e-6 {
                return Err(format!(
                    "{what}: {spent} units accepted in {elapsed} s at {rate}/s (bound {bound})"
                ));
            }
        }
        Ok(())
    }

    /// The stored items, read beside the API (no capacity charged), against the model.
    fn check_items(&self) -> Result<(), String> {
        let meta = self
            .engine
            .table(&self.scope, "cap")
            .map_err(|e| e.to_string())?;
        for k in 0..KEYS {
            let key = [("pk".to_string(), AttributeValue::S(format!("k{k}")))]
                .into_iter()
                .collect();
            let ek = keys::request_key(&meta.key, &key).map_err(|e| e.to_string())?;
            let stored = self
                .engine
                .get_item(&meta, &ek)
                .map_err(|e| e.to_string())?;
            let got = match stored {
                None => None,
                Some((bytes, _)) => {
                    let item = decode_row(&bytes).map_err(|e| e.to_string())?;
                    let v = match item.get("v") {
                        Some(AttributeValue::N(n)) => n.to_string().parse::<u64>().unwrap_or(0),
                        _ => 0,
                    };
                    let g = match item.get("g") {
                        Some(AttributeValue::S(s)) => s[1..].parse::<u8>().ok(),
                        _ => None,
                    };
                    Some((v, g))
                }
            };
            let want = self.model.get(&k).map(|(v, _, g)| (*v, *g));
            if got != want {
                return Err(format!(
                    "k{k}: stored {got:?}, accepted writes say {want:?}"
                ));
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn accepted_requests_stay_within_capacity_and_only_they_are_applied(
        rates in (1..=3i64, 1..=3i64, 1..=3i64, 1..=3i64),
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let mut run = Run::new(rates);
        for op in &ops {
            run.step(op).map_err(TestCaseError::fail)?;
            run.check_bound().map_err(TestCaseError::fail)?;
        }
        run.check_items().map_err(TestCaseError::fail)?;
    }
}

// The workload above is throttled often (a 60 KB write is a fifth of a 1-WCU burst); this
// checks that it is, so the property is not vacuous.
#[test]
fn the_random_workload_does_throttle() {
    let mut run = Run::new((1, 1, 1, 1));
    let mut refused = 0;
    for key in 0..KEYS {
        run.version += 1;
        let w = Write {
            key,
            kb: 60,
            g: Some(0),
        };
        let r = run.call(
            "PutItem",
            json!({"TableName": "cap", "Item": item(key, &w, run.version)}),
        );
        if let Err(e) = r {
            assert!(throttled(&e), "{e}");
            refused += 1;
        }
    }
    assert_eq!(refused, 1, "300 units of burst: five 60 KB writes, not six");
}

/// One step of the bucket arithmetic property: move time on, or charge `units` (reads or writes
/// of the table, or of its GSI), possibly giving it back afterwards.
#[derive(Debug, Clone)]
enum BucketOp {
    Advance(f64),
    Charge { slot: u8, units: f64, refund: bool },
}

fn bucket_op() -> impl Strategy<Value = BucketOp> {
    prop_oneof![
        1 => (0.0..400.0f64).prop_map(BucketOp::Advance),
        // Up to twice a burst of the fastest rate below: oversized requests included.
        4 => (0..4u8, 0.5..2000.0f64, any::<bool>()).prop_map(|(slot, units, refund)| {
            BucketOp::Charge { slot, units, refund }
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    // The buckets alone, with oversized requests and refunds: per bucket, what was accepted
    // (and kept) never exceeds a full burst, plus rate × elapsed time, plus how far the largest
    // accepted request went past a full burst (admitted on a full bucket); a bucket never holds
    // more than its burst; a refusal leaves every bucket as it was; a refund restores the level.
    #[test]
    fn buckets_admit_at_most_burst_plus_refill(
        rates in (1..=3i64, 1..=3i64, 1..=3i64, 1..=3i64),
        ops in proptest::collection::vec(bucket_op(), 1..60),
    ) {
        use awsim::engine::capacity::{Buckets, Consumed, Units, BURST_SECONDS};
        let run = Run::new(rates);
        let meta = run.engine.table(&run.scope, "cap").expect("the table");
        let b = Buckets::default();
        let rate = [run.rates.0, run.rates.1, run.rates.2, run.rates.3];
        let mut now = 0.0;
        let mut kept = [0.0f64; 4];
        let mut largest = [0.0f64; 4];
        let level = |now: f64| {
            let (tr, tw) = b.available(&meta, None, now);
            let (gr, gw) = b.available(&meta, Some("by_g"), now);
            [tr, tw, gr, gw].map(|l| l.expect("limited"))
        };
        for op in &ops {
            match op {
                BucketOp::Advance(s) => now += s,
                BucketOp::Charge { slot, units, refund } => {
                    let u = |on: bool, read: bool| Units {
                        read: if on && read { *units } else { 0.0 },
                        write: if on && !read { *units } else { 0.0 },
                    };
                    let c = Consumed {
                        table: u(*slot < 2, *slot % 2 == 0),
                        indexes: vec![(0, u(*slot >= 2, *slot % 2 == 0))],
                    };
                    let before = level(now);
                    match b.charge(&meta, &c, now) {
                        Ok(()) if *refund => {
                            b.refund(&meta, &c, now);
                            let after = level(now);
                            for i in 0..4 {
                                prop_assert!((after[i] - before[i]).abs() < 1e-6, "refund: {before:?} -> {after:?}");
                            }
                        }
                        Ok(()) => {
                            let i = *slot as usize;
                            kept[i] += units;
                            largest[i] = largest[i].max(*units);
                        }
                        Err(e) => {
                            prop_assert!(awsim::engine::capacity::is_throttle(&e));
                            prop_assert_eq!(level(now), before, "a refusal took something");
                        }
                    }
                }
            }
            let l = level(now);
            for i in 0..4 {
                let burst = rate[i] * BURST_SECONDS;
                prop_assert!(l[i] <= burst + 1e-6, "bucket {i} holds {} over {burst}", l[i]);
                let bound = burst + rate[i] * now + (largest[i] - burst).max(0.0);
                prop_assert!(kept[i] <= bound + 1e-6, "bucket {i}: {} accepted, bound {bound}", kept[i]);
            }
        }
    }
}
