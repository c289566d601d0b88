//! `cargo xtask bench --metering`: what capacity metering costs on the hot path, in process
//! (no HTTP, so the machine's other load matters less than in the server runs): GetItem and
//! PutItem through `awsim::dispatch::call` on an on-demand table without limits (the default
//! case, where metering is one check) and on a provisioned table whose buckets are charged on
//! every request, with throttling on and off (`--no-throttle`), each the best of several
//! interleaved rounds; and the metering step alone, so its share of a request can be read off.
use awsim::dispatch::call;
use awsim::engine::capacity::{read_units, Consumed};
use awsim::engine::Engine;
use awsim::model::Scope;
use awsim::ops::capacity::{render, Meter};
use awsim::ops::Input;
use awsim::protocol::Service;
use awsim::Config;
use serde_json::{json, Value};
use std::hint::black_box;
use std::time::Instant;

const ITEMS: u64 = 1000;
const ROUNDS: usize = 7;

fn table(name: &str, provisioned: bool) -> Value {
    let mut t = json!({
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
    });
    if provisioned {
        // Enough for every request of the run: enforced, never throttled.
        t["ProvisionedThroughput"] =
            json!({"ReadCapacityUnits": 40000, "WriteCapacityUnits": 40000});
    } else {
        t["BillingMode"] = json!("PAY_PER_REQUEST");
    }
    t
}

/// A ~200-byte item, as the server benchmark's put workload writes.
fn item(i: u64) -> Value {
    json!({"pk": {"S": format!("user#{i}")}, "sk": {"S": "profile"},
           "name": {"S": "A. N. Example"}, "n": {"N": i.to_string()},
           "bio": {"S": "x".repeat(140)}})
}

struct Setup {
    engine: Engine,
    scope: Scope,
}

impl Setup {
    fn new(throttle: bool) -> Setup {
        let mut config = Config::in_memory();
        config.throttle = throttle;
        let engine = Engine::open(&config).expect("an in-memory engine");
        let scope = Scope {
            account: "000000000000".into(),
            region: "us-east-1".into(),
        };
        let s = Setup { engine, scope };
        for (name, provisioned) in [("ondemand", false), ("provisioned", true)] {
            s.call("CreateTable", table(name, provisioned));
            for i in 0..ITEMS {
                s.call("PutItem", json!({"TableName": name, "Item": item(i)}));
            }
        }
        s
    }

    fn call(&self, op: &str, body: Value) -> Value {
        call(&self.engine, &self.scope, Service::DynamoDb, op, &body).expect("the call succeeds")
    }

    /// ns per GetItem (`put` false) or PutItem over `n` calls on `table`.
    fn time(&self, table: &str, put: bool, n: u64) -> f64 {
        let bodies: Vec<Value> = (0..n)
            .map(|i| match put {
                true => json!({"TableName": table, "Item": item(i % ITEMS)}),
                false => json!({"TableName": table,
                    "Key": {"pk": {"S": format!("user#{}", i % ITEMS)}, "sk": {"S": "profile"}}}),
            })
            .collect();
        let op = if put { "PutItem" } else { "GetItem" };
        let start = Instant::now();
        for body in bodies {
            black_box(call(&self.engine, &self.scope, Service::DynamoDb, op, &body).ok());
        }
        start.elapsed().as_nanos() as f64 / n as f64
    }
}

/// Best of `ROUNDS` timed runs of `iterations` calls, in ns per call.
fn measure(iterations: u32, mut f: impl FnMut()) -> f64 {
    (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                f();
            }
            start.elapsed().as_nanos() as f64 / iterations as f64
        })
        .fold(f64::INFINITY, f64::min)
}

pub fn run(ops: u64) -> String {
    let on = Setup::new(true);
    let off = Setup::new(false);
    // Interleaved rounds, best of each: a burst of load elsewhere hurts one round, not a variant.
    let cases: [(&str, &Setup, &str, bool); 8] = [
        ("GetItem, on-demand table", &on, "ondemand", false),
        (
            "GetItem, on-demand table, --no-throttle",
            &off,
            "ondemand",
            false,
        ),
        (
            "GetItem, provisioned table (buckets charged)",
            &on,
            "provisioned",
            false,
        ),
        (
            "GetItem, provisioned table, --no-throttle",
            &off,
            "provisioned",
            false,
        ),
        ("PutItem, on-demand table", &on, "ondemand", true),
        (
            "PutItem, on-demand table, --no-throttle",
            &off,
            "ondemand",
            true,
        ),
        (
            "PutItem, provisioned table (buckets charged)",
            &on,
            "provisioned",
            true,
        ),
        (
            "PutItem, provisioned table, --no-throttle",
            &off,
            "provisioned",
            true,
        ),
    ];
    let mut best = [f64::INFINITY; 8];
    for round in 0..ROUNDS * 2 {
        // Each round starts with another case: no case always runs first (or after another).
        for k in 0..cases.len() {
            let i = (k * 3 + round) % cases.len();
            let (_, setup, table, put) = cases[i];
            best[i] = best[i].min(setup.time(table, put, ops));
        }
    }

    // The metering step alone, as GetItem runs it: a Meter, the read charged (or not), the
    // answer's ConsumedCapacity rendered (None when not asked).
    let ondemand = on.engine.table(&on.scope, "ondemand").expect("the table");
    let provisioned = on
        .engine
        .table(&on.scope, "provisioned")
        .expect("the table");
    let request = json!({"TableName": "ondemand", "Key": {}});
    let input = request.as_object().expect("an object");
    let key = awsim::model::Item::new();
    let meter_get = |meta: &awsim::model::TableMeta| {
        let meter = Meter::new(&on.engine, Input(input), 1.0);
        let c = meter
            .read(
                meta,
                None,
                Some(&key),
                Consumed::table_read(read_units(200, false)),
            )
            .expect("admitted");
        black_box(render(meta, &c, meter.report));
    };
    let get_ondemand = measure(200_000, || meter_get(&ondemand));
    // 40000 RCU refill far faster than 0.5 per call drains them.
    let get_provisioned = measure(200_000, || meter_get(&provisioned));
    let put_ondemand = measure(200_000, || {
        let meter = Meter::new(&on.engine, Input(input), 1.0);
        black_box(meter.active(&ondemand));
    });

    let mut out = String::from(
        "## Capacity metering, in process (best of interleaved rounds)\n\n\
         | request | ns per request | vs on-demand with throttling on |\n|---|---:|---:|\n",
    );
    for (i, (name, ..)) in cases.iter().enumerate() {
        let base = if i < 4 { best[0] } else { best[4] };
        let pct = (best[i] / base - 1.0) * 100.0;
        out.push_str(&format!("| {name} | {:.0} | {pct:+.1} % |\n", best[i]));
    }
    out.push_str(&format!(
        "\n| metering step alone | ns | share of the request |\n|---|---:|---:|\n\
         | GetItem, on-demand (Meter, read charged: one check, no ConsumedCapacity) | {get_ondemand:.0} | {:.2} % |\n\
         | GetItem, provisioned (Meter, bucket lock, refill, take) | {get_provisioned:.0} | {:.2} % |\n\
         | PutItem, on-demand (Meter, `active` check: nothing else runs) | {put_ondemand:.0} | {:.2} % |\n\n\
         {ops} requests per round, {} rounds in rotating order, over {ITEMS} items of ~200 bytes.\n",
        get_ondemand / best[0] * 100.0,
        get_provisioned / best[2] * 100.0,
        put_ondemand / best[4] * 100.0,
        ROUNDS * 2,
    ));
    out
}
