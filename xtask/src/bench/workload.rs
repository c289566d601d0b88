//! What the load generator sends: the workloads (put, get, partiql-get, query, mixed,
//! batch-write, transact-write, scan), their request bodies (formatted by hand, ~200-byte items), the load
//! phase that fills a table (BatchWriteItem, falling back to PutItem where a server lacks it), and
//! the measured phase: N operations over C keep-alive connections, latencies in an HDR histogram.
//! Knows one server address at a time and nothing about how servers start.

use std::net::SocketAddr;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Deserialize;

use super::client::{Conn, Op, Reply};

/// The table of the point workloads (put, get, query, mixed, batch-write, transact-write).
pub const TABLE: &str = "bench";
/// The table of the scan workload (its own, so puts of other workloads never change its size).
const SCAN_TABLE: &str = "scan";
/// The table of the get-records workload: streams enabled (NEW_IMAGE).
const STREAM_TABLE: &str = "streamed";
/// Records each get-records operation reads (GetRecords' maximum).
const RECORDS_PER_READ: u64 = 1000;
/// The table of the scaling runs.
pub const SCALE_TABLE: &str = "scale";

/// 160 bytes, so an item (keys, a number and this) weighs about 200 bytes by DynamoDB's rules.
const PAYLOAD: &str = "The quick brown fox jumps over the lazy dog while the benchmark counts \
                       requests, latencies and bytes; this sentence pads the item to 200 bytes..";

/// Items written per BatchWriteItem (the service's maximum).
const BATCH: u64 = 25;
/// Put actions per TransactWriteItems.
const TRANSACT: u64 = 4;
/// Connections used by the load phases.
const LOAD_CONCURRENCY: usize = 16;

/// How big each workload is.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Operations of put, get and mixed per concurrency level (query and transact-write do half,
    /// batch-write a fifth).
    pub ops: u64,
    /// Items loaded for get and mixed.
    pub get_items: u64,
    /// 100-item partitions loaded for query.
    pub query_partitions: u64,
    /// Items loaded for scan.
    pub scan_items: u64,
    /// Full scans at concurrency 1 (at concurrency C, max(this, C)).
    pub scan_ops: u64,
}

/// The workloads, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    Put,
    Get,
    /// GetItem's work as a PartiQL SELECT by the full key (with parameters).
    PartiqlGet,
    Query,
    Mixed,
    BatchWrite,
    TransactWrite,
    Scan,
    GetRecords,
}

impl Workload {
    pub const ALL: [Workload; 9] = [
        Workload::Put,
        Workload::Get,
        Workload::PartiqlGet,
        Workload::Query,
        Workload::Mixed,
        Workload::BatchWrite,
        Workload::TransactWrite,
        Workload::Scan,
        Workload::GetRecords,
    ];

    /// Whether `server` takes part: the ceiling's fixed reply stands for the point operations
    /// only (its answer to a Query, Scan or batch would not be the size of the real one).
    pub fn served_by(self, server: super::servers::Kind) -> bool {
        server != super::servers::Kind::Ceiling
            || matches!(self, Workload::Put | Workload::Get | Workload::Mixed)
    }

    pub fn name(self) -> &'static str {
        match self {
            Workload::Put => "put",
            Workload::Get => "get",
            Workload::PartiqlGet => "partiql-get",
            Workload::Query => "query",
            Workload::Mixed => "mixed",
            Workload::BatchWrite => "batch-write",
            Workload::TransactWrite => "transact-write",
            Workload::Scan => "scan",
            Workload::GetRecords => "get-records",
        }
    }

    /// One line for the report saying what an operation is.
    pub fn describe(self, sizes: &Sizes) -> String {
        match self {
            Workload::Put => "PutItem of a ~200-byte item, random key".into(),
            Workload::Get => format!("GetItem of one of {} existing items", sizes.get_items),
            Workload::PartiqlGet => format!(
                "ExecuteStatement `SELECT * FROM bench WHERE pk = ? AND sk = ?` of one of {} existing items",
                sizes.get_items
            ),
            Workload::Query => format!(
                "Query of a whole 100-item partition (one of {})",
                sizes.query_partitions
            ),
            Workload::Mixed => "50% GetItem (existing) / 50% PutItem (random)".into(),
            Workload::BatchWrite => format!("BatchWriteItem of {BATCH} puts"),
            Workload::TransactWrite => format!("TransactWriteItems of {TRANSACT} Put actions"),
            Workload::Scan => format!(
                "Scan of {} items to completion, ExclusiveStartKey paging (an operation is a whole scan)",
                sizes.scan_items
            ),
            Workload::GetRecords => format!(
                "ListStreams + DescribeStream + GetShardIterator (TRIM_HORIZON) + GetRecords of {RECORDS_PER_READ} records (NEW_IMAGE) of a {}-write stream",
                RECORDS_PER_READ * 2
            ),
        }
    }

    pub fn parse(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }

    /// The table this workload needs, and the items to load into it first.
    pub fn preload(self, sizes: &Sizes) -> (&'static str, Option<(Keys, u64)>) {
        match self {
            Workload::Get | Workload::PartiqlGet | Workload::Mixed => {
                (TABLE, Some((Keys::Get, sizes.get_items)))
            }
            Workload::Query => (TABLE, Some((Keys::Query, sizes.query_partitions * 100))),
            Workload::Scan => (SCAN_TABLE, Some((Keys::Scan, sizes.scan_items))),
            Workload::GetRecords => (STREAM_TABLE, Some((Keys::Stream, RECORDS_PER_READ * 2))),
            _ => (TABLE, None),
        }
    }

    /// What one operation does.
    pub fn action(self, sizes: &Sizes) -> Action {
        match self {
            Workload::Put => Action::Put,
            Workload::Get => Action::Get(Keys::Get, sizes.get_items),
            Workload::PartiqlGet => Action::Select(Keys::Get, sizes.get_items),
            Workload::Query => Action::Query(Keys::Query, sizes.query_partitions),
            Workload::Mixed => Action::Mixed(Keys::Get, sizes.get_items),
            Workload::BatchWrite => Action::BatchWrite,
            Workload::TransactWrite => Action::TransactWrite,
            Workload::Scan => Action::Scan(sizes.scan_items),
            Workload::GetRecords => Action::GetRecords,
        }
    }

    /// The measured operations at `concurrency`.
    pub fn ops(self, sizes: &Sizes, concurrency: usize) -> u64 {
        let ops = match self {
            Workload::Put | Workload::Get | Workload::PartiqlGet | Workload::Mixed => sizes.ops,
            Workload::Query | Workload::TransactWrite => sizes.ops / 2,
            Workload::BatchWrite | Workload::GetRecords => sizes.ops / 5,
            Workload::Scan => sizes.scan_ops,
        };
        ops.max(concurrency as u64)
    }

    /// Unmeasured operations first, so a JIT (DynamoDB Local) and caches are warm.
    pub fn warmup_ops(self, sizes: &Sizes) -> u64 {
        match self {
            Workload::Scan => 1,
            _ => (self.ops(sizes, 1) / 5).clamp(20, 1000),
        }
    }

    /// One request per operation the workload uses, sent before loading anything: an error
    /// answer means the server does not support the workload.
    pub fn probes(self) -> Vec<(Op, String)> {
        let item = item("probe", "0", 0);
        let put = (Op::PutItem, put_body(TABLE, &item));
        let get = (Op::GetItem, get_body(TABLE, "probe", "0"));
        match self {
            Workload::Put => vec![put],
            Workload::Get => vec![get],
            Workload::PartiqlGet => vec![(Op::ExecuteStatement, select_body(TABLE, "probe", "0"))],
            Workload::Mixed => vec![get, put],
            Workload::Query => vec![(Op::Query, query_body(TABLE, "probe"))],
            Workload::BatchWrite => vec![(Op::BatchWriteItem, batch_body(TABLE, [item]))],
            Workload::TransactWrite => vec![(Op::TransactWriteItems, transact_body([item]))],
            Workload::Scan => vec![(Op::Scan, format!(r#"{{"TableName":"{SCAN_TABLE}"}}"#))],
            Workload::GetRecords => vec![(Op::ListStreams, "{}".into())],
        }
    }
}

/// A key space: item number -> (pk, sk), and the table it lives in.
#[derive(Clone, Copy, Debug)]
pub enum Keys {
    /// `g#<i>` / `0`: one item per partition.
    Get,
    /// `q#<i / 100>` / `<i % 100>`: 100-item partitions.
    Query,
    /// `s#<i>` / `0`.
    Scan,
    /// `k#<i / 10>` / `<i % 10>`: 10-item partitions, for the scaling runs.
    Scale,
    /// `r#<i>` / `0`: items of the streamed table.
    Stream,
}

impl Keys {
    fn table(self) -> &'static str {
        match self {
            Keys::Get | Keys::Query => TABLE,
            Keys::Scan => SCAN_TABLE,
            Keys::Scale => SCALE_TABLE,
            Keys::Stream => STREAM_TABLE,
        }
    }

    fn partition_size(self) -> u64 {
        match self {
            Keys::Get | Keys::Scan | Keys::Stream => 1,
            Keys::Query => 100,
            Keys::Scale => 10,
        }
    }

    fn partition_key(self, partition: u64) -> String {
        match self {
            Keys::Get => format!("g#{partition:08}"),
            Keys::Query => format!("q#{partition:06}"),
            Keys::Scan => format!("s#{partition:08}"),
            Keys::Scale => format!("k#{partition:08}"),
            Keys::Stream => format!("r#{partition:08}"),
        }
    }

    fn key(self, i: u64) -> (String, String) {
        let size = self.partition_size();
        (self.partition_key(i / size), format!("{:05}", i % size))
    }
}

/// What one measured operation does.
#[derive(Clone, Copy, Debug)]
pub enum Action {
    /// PutItem with a random key.
    Put,
    /// GetItem of one of the first N items of a key space (it must be found).
    Get(Keys, u64),
    /// The same item read by a PartiQL SELECT of its full key (it must be found).
    Select(Keys, u64),
    /// Query of one of the first N partitions of a key space (it must return the whole partition).
    Query(Keys, u64),
    /// Get or Put, 50/50.
    Mixed(Keys, u64),
    /// BatchWriteItem of 25 random puts.
    BatchWrite,
    /// TransactWriteItems of 4 random Put actions.
    TransactWrite,
    /// Scan to completion; it must see N items.
    Scan(u64),
    /// Query of one of the first N partitions of the scaling table's GSI (10 items each).
    QueryIndex(u64),
    /// One Scan page of the scaling table, no Limit: it stops at 1 MiB (or the table's end).
    ScanPage,
    /// Find the streamed table's stream and shard, and read its first 1000 records.
    GetRecords,
    /// PutItem of a random 768-dimension vector into the vector table (its index checks it).
    PutVector,
    /// SearchVectors of a random 768-dimension vector, TopK 10 (it must find 10 items).
    SearchVectors,
}

/// The scaling table's GSI: partition `g#<i / 10>` (10 items), sort key `sk`.
pub const SCALE_INDEX: &str = "by-g";

// ---- request bodies ----

/// The item the workloads write and read, as the ceiling answers it.
pub fn sample_item() -> String {
    item("p00000", "s00000", 0)
}

fn item(pk: &str, sk: &str, n: u64) -> String {
    format!(
        r#"{{"pk":{{"S":"{pk}"}},"sk":{{"S":"{sk}"}},"n":{{"N":"{n}"}},"data":{{"S":"{PAYLOAD}"}}}}"#
    )
}

/// An item of the scaling table: also a key of its GSI, so the index holds every item.
fn scale_item(pk: &str, sk: &str, n: u64) -> String {
    format!(
        r#"{{"pk":{{"S":"{pk}"}},"sk":{{"S":"{sk}"}},"g":{{"S":"g#{:08}"}},"n":{{"N":"{n}"}},"data":{{"S":"{PAYLOAD}"}}}}"#,
        n / 10
    )
}

/// A seed file (`awsim --seed`) holding the bench table and `items` of its items (`Keys::Get`).
pub fn seed_file(items: u64) -> String {
    let mut table: serde_json::Value =
        serde_json::from_str(&create_table_body(TABLE)).expect("the table body is JSON");
    let items: Vec<serde_json::Value> = (0..items)
        .map(|i| {
            let (pk, sk) = Keys::Get.key(i);
            serde_json::from_str(&item(&pk, &sk, i)).expect("an item is JSON")
        })
        .collect();
    table["Items"] = serde_json::Value::Array(items);
    serde_json::json!({ "tables": [table] }).to_string()
}

fn put_body(table: &str, item: &str) -> String {
    format!(r#"{{"TableName":"{table}","Item":{item}}}"#)
}

fn get_body(table: &str, pk: &str, sk: &str) -> String {
    format!(r#"{{"TableName":"{table}","Key":{{"pk":{{"S":"{pk}"}},"sk":{{"S":"{sk}"}}}}}}"#)
}

fn select_body(table: &str, pk: &str, sk: &str) -> String {
    format!(
        r#"{{"Statement":"SELECT * FROM \"{table}\" WHERE pk = ? AND sk = ?","Parameters":[{{"S":"{pk}"}},{{"S":"{sk}"}}]}}"#
    )
}

fn query_body(table: &str, pk: &str) -> String {
    format!(
        r#"{{"TableName":"{table}","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{{":p":{{"S":"{pk}"}}}}}}"#
    )
}

fn batch_body(table: &str, items: impl IntoIterator<Item = String>) -> String {
    let puts: Vec<String> = items
        .into_iter()
        .map(|i| format!(r#"{{"PutRequest":{{"Item":{i}}}}}"#))
        .collect();
    format!(r#"{{"RequestItems":{{"{table}":[{}]}}}}"#, puts.join(","))
}

fn transact_body(items: impl IntoIterator<Item = String>) -> String {
    let puts: Vec<String> = items
        .into_iter()
        .map(|i| format!(r#"{{"Put":{{"TableName":"{TABLE}","Item":{i}}}}}"#))
        .collect();
    format!(r#"{{"TransactItems":[{}]}}"#, puts.join(","))
}

fn create_table_body(table: &str) -> String {
    if table == STREAM_TABLE {
        return format!(
            r#"{{"TableName":"{table}","KeySchema":[{{"AttributeName":"pk","KeyType":"HASH"}},{{"AttributeName":"sk","KeyType":"RANGE"}}],"AttributeDefinitions":[{{"AttributeName":"pk","AttributeType":"S"}},{{"AttributeName":"sk","AttributeType":"S"}}],"BillingMode":"PAY_PER_REQUEST","StreamSpecification":{{"StreamEnabled":true,"StreamViewType":"NEW_IMAGE"}}}}"#
        );
    }
    if table == VECTOR_TABLE {
        return format!(
            r#"{{"TableName":"{table}","KeySchema":[{{"AttributeName":"pk","KeyType":"HASH"}}],"AttributeDefinitions":[{{"AttributeName":"pk","AttributeType":"S"}}],"BillingMode":"PAY_PER_REQUEST","VectorIndexes":[{{"IndexName":"{VECTOR_INDEX}","VectorAttribute":{{"AttributeName":"emb"}},"Dimensions":{VECTOR_DIMS},"DistanceFunction":"COSINE","Projection":{{"ProjectionType":"KEYS_ONLY"}}}}]}}"#
        );
    }
    if table == SCALE_TABLE {
        return format!(
            r#"{{"TableName":"{table}","KeySchema":[{{"AttributeName":"pk","KeyType":"HASH"}},{{"AttributeName":"sk","KeyType":"RANGE"}}],"AttributeDefinitions":[{{"AttributeName":"pk","AttributeType":"S"}},{{"AttributeName":"sk","AttributeType":"S"}},{{"AttributeName":"g","AttributeType":"S"}}],"GlobalSecondaryIndexes":[{{"IndexName":"{SCALE_INDEX}","KeySchema":[{{"AttributeName":"g","KeyType":"HASH"}},{{"AttributeName":"sk","KeyType":"RANGE"}}],"Projection":{{"ProjectionType":"ALL"}}}}],"BillingMode":"PAY_PER_REQUEST"}}"#
        );
    }
    format!(
        r#"{{"TableName":"{table}","KeySchema":[{{"AttributeName":"pk","KeyType":"HASH"}},{{"AttributeName":"sk","KeyType":"RANGE"}}],"AttributeDefinitions":[{{"AttributeName":"pk","AttributeType":"S"}},{{"AttributeName":"sk","AttributeType":"S"}}],"BillingMode":"PAY_PER_REQUEST"}}"#
    )
}

/// The vector benchmark's table and index, and its vectors' dimensions.
pub const VECTOR_TABLE: &str = "bench-vectors";
pub const VECTOR_INDEX: &str = "by-emb";
pub const VECTOR_DIMS: usize = 768;

/// A random vector as a DynamoDB list of numbers in [-1, 1] (six decimals).
fn random_vector(rng: &mut Rng) -> String {
    let mut out = String::with_capacity(VECTOR_DIMS * 16);
    out.push('[');
    for i in 0..VECTOR_DIMS {
        if i > 0 {
            out.push(',');
        }
        let x = (rng.below(2_000_001) as f64 - 1_000_000.0) / 1_000_000.0;
        let _ = std::fmt::Write::write_fmt(&mut out, format_args!(r#"{{"N":"{x}"}}"#));
    }
    out.push(']');
    out
}

/// An item of the vector table: key `v#<n>`, a random vector.
fn vector_item(rng: &mut Rng, n: u64) -> String {
    format!(
        r#"{{"pk":{{"S":"v#{n:08}"}},"emb":{{"L":{}}}}}"#,
        random_vector(rng)
    )
}

/// Loads items `range` of the vector table (BatchWriteItem of 25, over 8 connections).
pub async fn load_vectors(
    addr: SocketAddr,
    range: std::ops::Range<u64>,
) -> Result<Duration, String> {
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(range.start));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (next, end) = (next.clone(), range.end);
        workers.spawn(async move {
            let mut conn = Conn::new(addr);
            let mut rng = Rng::new();
            loop {
                let from = next.fetch_add(BATCH, Ordering::Relaxed);
                if from >= end {
                    return Ok::<(), String>(());
                }
                let to = (from + BATCH).min(end);
                let items: Vec<String> = (from..to).map(|n| vector_item(&mut rng, n)).collect();
                batch_write(&mut conn, batch_body(VECTOR_TABLE, items)).await?;
            }
        });
    }
    while let Some(joined) = workers.join_next().await {
        joined.map_err(|e| format!("a loader panicked: {e}"))??;
    }
    Ok(started.elapsed())
}

/// A random item (random partition key), numbered `n`.
fn random_item(rng: &mut Rng) -> String {
    let n = rng.next_u64();
    item(&format!("p#{n:016x}"), "0", n % 100_000)
}

// ---- answers ----

/// The parts of a Query/Scan page the client checks; `Items` is skipped without allocating.
#[derive(Deserialize)]
struct Page {
    #[serde(rename = "Count")]
    count: u64,
    #[serde(rename = "LastEvaluatedKey")]
    last_key: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct BatchReply {
    #[serde(rename = "UnprocessedItems", default)]
    unprocessed: serde_json::Map<String, serde_json::Value>,
}

/// Sends one request; a non-200 answer is an `Err` with the error's type.
async fn send(conn: &mut Conn, op: Op, body: String) -> Result<Reply, String> {
    let reply = conn.call(op, body).await?;
    match reply.ok() {
        true => Ok(reply),
        false => Err(reply.error_text()),
    }
}

/// A BatchWriteItem, resending unprocessed items until none are left.
async fn batch_write(conn: &mut Conn, mut body: String) -> Result<(), String> {
    for _ in 0..100 {
        let reply = send(conn, Op::BatchWriteItem, body).await?;
        let answer: BatchReply = serde_json::from_slice(&reply.body)
            .map_err(|e| format!("BatchWriteItem answer: {e}"))?;
        if answer.unprocessed.is_empty() {
            return Ok(());
        }
        body = serde_json::json!({ "RequestItems": answer.unprocessed }).to_string();
    }
    Err("BatchWriteItem kept returning UnprocessedItems".into())
}

/// Sends a probe; `Err` carries the error type of a non-200 answer.
pub async fn probe(addr: SocketAddr, op: Op, body: String) -> Result<(), String> {
    send(&mut Conn::new(addr), op, body).await.map(|_| ())
}

/// Creates `table` and waits (up to 30 s) until DescribeTable says ACTIVE.
pub async fn create_table(addr: SocketAddr, table: &str) -> Result<(), String> {
    let mut conn = Conn::new(addr);
    send(&mut conn, Op::CreateTable, create_table_body(table))
        .await
        .map_err(|e| format!("CreateTable {table}: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let describe = format!(r#"{{"TableName":"{table}"}}"#);
    while Instant::now() < deadline {
        let reply = send(&mut conn, Op::DescribeTable, describe.clone()).await?;
        let value: serde_json::Value = serde_json::from_slice(&reply.body).unwrap_or_default();
        if value["Table"]["TableStatus"] == "ACTIVE" {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("table {table} did not become ACTIVE within 30 s"))
}

/// How a load phase went.
pub struct Loaded {
    /// BatchWriteItem (true) or one PutItem per item (false).
    pub via_batch: bool,
    pub elapsed: Duration,
}

/// Writes items `range` of `keys` over 16 connections: BatchWriteItem of 25 when the server
/// answers the first batch, else PutItem.
pub async fn load(addr: SocketAddr, keys: Keys, range: Range<u64>) -> Result<Loaded, String> {
    let started = Instant::now();
    let chunk = move |c: u64| {
        let start = range.start + c * BATCH;
        (start..(start + BATCH).min(range.end)).map(move |i| {
            let (pk, sk) = keys.key(i);
            match keys {
                Keys::Scale => scale_item(&pk, &sk, i),
                _ => item(&pk, &sk, i),
            }
        })
    };
    let chunks = (range.end.saturating_sub(range.start)).div_ceil(BATCH);
    if chunks == 0 {
        return Ok(Loaded {
            via_batch: true,
            elapsed: Duration::ZERO,
        });
    }
    let mut conn = Conn::new(addr);
    let via_batch = batch_write(&mut conn, batch_body(keys.table(), chunk(0)))
        .await
        .is_ok();
    let next = Arc::new(AtomicU64::new(u64::from(via_batch)));
    let failure: Arc<Mutex<Option<String>>> = Arc::default();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..LOAD_CONCURRENCY {
        let (next, failure) = (next.clone(), failure.clone());
        workers.spawn(async move {
            let mut conn = Conn::new(addr);
            loop {
                let c = next.fetch_add(1, Ordering::Relaxed);
                if c >= chunks || failure.lock().unwrap().is_some() {
                    return;
                }
                let result = match via_batch {
                    true => batch_write(&mut conn, batch_body(keys.table(), chunk(c))).await,
                    false => {
                        let mut result = Ok(());
                        for item in chunk(c) {
                            let body = put_body(keys.table(), &item);
                            result = send(&mut conn, Op::PutItem, body).await.map(|_| ());
                            if result.is_err() {
                                break;
                            }
                        }
                        result
                    }
                };
                if let Err(e) = result {
                    let op = if via_batch {
                        "BatchWriteItem"
                    } else {
                        "PutItem"
                    };
                    failure
                        .lock()
                        .unwrap()
                        .get_or_insert(format!("load {op}: {e}"));
                    return;
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    let failed = failure.lock().unwrap().take();
    match failed {
        Some(e) => Err(e),
        None => Ok(Loaded {
            via_batch,
            elapsed: started.elapsed(),
        }),
    }
}

/// What a measured phase saw.
#[derive(Clone)]
pub struct Phase {
    /// Operations answered 200 (and checked).
    pub ok: u64,
    /// Operations answered otherwise, or whose answer failed a check.
    pub errors: u64,
    pub first_error: Option<String>,
    /// From the moment all connections were open to the last answer.
    pub elapsed: Duration,
    /// Latency of the successful operations, in microseconds.
    pub latency: Histogram<u64>,
    /// Stopped by the time limit before all operations were sent.
    pub capped: bool,
    /// CPU time the server used during the phase (filled in by the caller, which knows the pid).
    pub server_cpu: Option<Duration>,
    /// CPU time the load generator used during the phase.
    pub client_cpu: Option<Duration>,
}

impl Phase {
    pub fn ops_per_sec(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// CPU microseconds per successful operation.
    pub fn cpu_per_op_us(&self, cpu: Option<Duration>) -> Option<f64> {
        let cpu = cpu?;
        (self.ok > 0).then(|| cpu.as_secs_f64() * 1e6 / self.ok as f64)
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

/// Runs `ops` operations of `action` over `concurrency` connections, stopping early at `limit`.
pub async fn run_phase(
    addr: SocketAddr,
    action: Action,
    concurrency: usize,
    ops: u64,
    limit: Duration,
) -> Phase {
    let next = Arc::new(AtomicU64::new(0));
    let capped = Arc::new(AtomicBool::new(false));
    // Every worker opens its connection before the clock starts.
    let barrier = Arc::new(tokio::sync::Barrier::new(concurrency));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (next, capped, barrier) = (next.clone(), capped.clone(), barrier.clone());
        workers.spawn(async move {
            let mut conn = Conn::new(addr);
            let mut rng = Rng::new();
            let _ = conn.call(Op::ListTables, "{}").await;
            barrier.wait().await;
            let started = Instant::now();
            let deadline = started + limit;
            let (mut ok, mut errors, mut first_error) = (0u64, 0u64, None);
            let mut latency = histogram();
            while next.fetch_add(1, Ordering::Relaxed) < ops {
                if Instant::now() > deadline {
                    capped.store(true, Ordering::Relaxed);
                    break;
                }
                let sent = Instant::now();
                match one_op(&mut conn, action, &mut rng).await {
                    Ok(()) => {
                        ok += 1;
                        latency.saturating_record(sent.elapsed().as_micros() as u64);
                    }
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
            }
            (ok, errors, first_error, latency, started, Instant::now())
        });
    }
    let mut phase = Phase {
        ok: 0,
        errors: 0,
        first_error: None,
        elapsed: Duration::ZERO,
        latency: histogram(),
        capped: false,
        server_cpu: None,
        client_cpu: None,
    };
    let (mut first_start, mut last_end) = (None::<Instant>, None::<Instant>);
    while let Some(joined) = workers.join_next().await {
        let Ok((ok, errors, first_error, latency, started, ended)) = joined else {
            phase.errors += 1;
            phase.first_error.get_or_insert("a worker panicked".into());
            continue;
        };
        phase.ok += ok;
        phase.errors += errors;
        if phase.first_error.is_none() {
            phase.first_error = first_error;
        }
        let _ = phase.latency.add(&latency);
        first_start = Some(first_start.map_or(started, |s| s.min(started)));
        last_end = Some(last_end.map_or(ended, |e| e.max(ended)));
    }
    if let (Some(s), Some(e)) = (first_start, last_end) {
        phase.elapsed = e - s;
    }
    phase.capped = capped.load(Ordering::Relaxed);
    phase
}

/// One operation of `action`, with its answer checked.
async fn one_op(conn: &mut Conn, action: Action, rng: &mut Rng) -> Result<(), String> {
    let action = match action {
        Action::Mixed(keys, items) if rng.next_u64().is_multiple_of(2) => Action::Get(keys, items),
        Action::Mixed(..) => Action::Put,
        other => other,
    };
    match action {
        Action::Put => {
            let body = put_body(TABLE, &random_item(rng));
            send(conn, Op::PutItem, body).await.map(|_| ())
        }
        Action::Get(keys, items) => {
            let (pk, sk) = keys.key(rng.below(items));
            let reply = send(conn, Op::GetItem, get_body(keys.table(), &pk, &sk)).await?;
            match reply.body.len() > 2 {
                true => Ok(()),
                false => Err("GetItem found no item".into()),
            }
        }
        Action::Select(keys, items) => {
            let (pk, sk) = keys.key(rng.below(items));
            let reply = send(
                conn,
                Op::ExecuteStatement,
                select_body(keys.table(), &pk, &sk),
            )
            .await?;
            // `{"Items":[]}` when nothing is found.
            match reply.body.len() > 12 {
                true => Ok(()),
                false => Err("SELECT found no item".into()),
            }
        }
        Action::Query(keys, partitions) => {
            let pk = keys.partition_key(rng.below(partitions));
            let reply = send(conn, Op::Query, query_body(keys.table(), &pk)).await?;
            let page: Page =
                serde_json::from_slice(&reply.body).map_err(|e| format!("Query answer: {e}"))?;
            match page.count == keys.partition_size() {
                true => Ok(()),
                false => Err(format!("Query returned {} items", page.count)),
            }
        }
        Action::Mixed(..) => unreachable!("resolved to Get or Put above"),
        Action::BatchWrite => {
            let body = batch_body(TABLE, (0..BATCH).map(|_| random_item(rng)));
            send(conn, Op::BatchWriteItem, body).await.map(|_| ())
        }
        Action::TransactWrite => {
            let body = transact_body((0..TRANSACT).map(|_| random_item(rng)));
            send(conn, Op::TransactWriteItems, body).await.map(|_| ())
        }
        Action::PutVector => {
            let n = 1_000_000_000 + rng.below(1_000_000_000);
            let body = put_body(VECTOR_TABLE, &vector_item(rng, n));
            send(conn, Op::PutItem, body).await.map(|_| ())
        }
        Action::SearchVectors => {
            let body = format!(
                r#"{{"TableName":"{VECTOR_TABLE}","IndexName":"{VECTOR_INDEX}","TopK":10,"SearchVector":{}}}"#,
                random_vector(rng)
            );
            let reply = send(conn, Op::SearchVectors, body).await?;
            let v: serde_json::Value = serde_json::from_slice(&reply.body)
                .map_err(|e| format!("SearchVectors answer: {e}"))?;
            match v["SearchResults"].as_array().map(Vec::len) {
                Some(10) => Ok(()),
                other => Err(format!("SearchVectors returned {other:?} results")),
            }
        }
        Action::QueryIndex(partitions) => {
            let g = format!("g#{:08}", rng.below(partitions));
            let body = format!(
                r#"{{"TableName":"{SCALE_TABLE}","IndexName":"{SCALE_INDEX}","KeyConditionExpression":"g = :g","ExpressionAttributeValues":{{":g":{{"S":"{g}"}}}}}}"#
            );
            let reply = send(conn, Op::Query, body).await?;
            let page: Page =
                serde_json::from_slice(&reply.body).map_err(|e| format!("Query answer: {e}"))?;
            match page.count == 10 {
                true => Ok(()),
                false => Err(format!("index Query returned {} items", page.count)),
            }
        }
        Action::GetRecords => {
            let field = |body: &[u8], path: &[&str]| -> Result<String, String> {
                let v: serde_json::Value =
                    serde_json::from_slice(body).map_err(|e| format!("stream answer: {e}"))?;
                let mut at = &v;
                for p in path {
                    at = match p.parse::<usize>() {
                        Ok(i) => &at[i],
                        Err(_) => &at[*p],
                    };
                }
                at.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("no {path:?} in the stream answer"))
            };
            let list = send(
                conn,
                Op::ListStreams,
                format!(r#"{{"TableName":"{STREAM_TABLE}"}}"#),
            )
            .await?;
            let arn = field(&list.body, &["Streams", "0", "StreamArn"])?;
            let desc = send(
                conn,
                Op::DescribeStream,
                format!(r#"{{"StreamArn":"{arn}"}}"#),
            )
            .await?;
            let shard = field(&desc.body, &["StreamDescription", "Shards", "0", "ShardId"])?;
            let it = send(
                conn,
                Op::GetShardIterator,
                format!(r#"{{"StreamArn":"{arn}","ShardId":"{shard}","ShardIteratorType":"TRIM_HORIZON"}}"#),
            )
            .await?;
            let iterator = field(&it.body, &["ShardIterator"])?;
            let reply = send(
                conn,
                Op::GetRecords,
                format!(r#"{{"ShardIterator":"{iterator}","Limit":{RECORDS_PER_READ}}}"#),
            )
            .await?;
            #[derive(Deserialize)]
            struct Records {
                #[serde(rename = "Records")]
                records: Vec<serde::de::IgnoredAny>,
            }
            let page: Records = serde_json::from_slice(&reply.body)
                .map_err(|e| format!("GetRecords answer: {e}"))?;
            match page.records.len() as u64 == RECORDS_PER_READ {
                true => Ok(()),
                false => Err(format!(
                    "GetRecords returned {} records",
                    page.records.len()
                )),
            }
        }
        Action::ScanPage => {
            let body = format!(r#"{{"TableName":"{SCALE_TABLE}"}}"#);
            let reply = send(conn, Op::Scan, body).await?;
            let page: Page =
                serde_json::from_slice(&reply.body).map_err(|e| format!("Scan answer: {e}"))?;
            match page.count > 0 {
                true => Ok(()),
                false => Err("Scan page returned no items".into()),
            }
        }
        Action::Scan(expected) => {
            let mut seen = 0;
            let mut body = format!(r#"{{"TableName":"{SCAN_TABLE}"}}"#);
            loop {
                let reply = send(conn, Op::Scan, body).await?;
                let page: Page =
                    serde_json::from_slice(&reply.body).map_err(|e| format!("Scan answer: {e}"))?;
                seen += page.count;
                match page.last_key {
                    Some(key) => {
                        body =
                            format!(r#"{{"TableName":"{SCAN_TABLE}","ExclusiveStartKey":{key}}}"#)
                    }
                    None => break,
                }
            }
            match seen == expected {
                true => Ok(()),
                false => Err(format!("Scan saw {seen} of {expected} items")),
            }
        }
    }
}

/// Seeds for the workers' generators, so no two workers (or phases) write the same keys.
static SEEDS: AtomicU64 = AtomicU64::new(1);

/// splitmix64: enough randomness for keys, no dependency.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = SEEDS.fetch_add(1, Ordering::Relaxed);
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}
