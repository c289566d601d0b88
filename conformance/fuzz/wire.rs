//! The wire fuzzer, shared by `cargo xtask fuzz-wire` (a million requests or more against the
//! release binary) and the `fuzz` test (a short run in-process). It mutates real requests (every
//! request of the recorded fixtures, their tables created first so mutations reach the
//! operations and not only the table lookup) at three levels: the JSON tree (values swapped for
//! hostile ones, subtrees spliced from other requests, members dropped or added, deep nesting,
//! huge strings and sets), the bytes of the body (flips, insertions, truncation, invalid UTF-8),
//! and the HTTP request around it (other targets and methods, compressed and chunked bodies,
//! broken heads). Framing is always honest (the Content-Length is the body's), so every request
//! deserves a prompt answer. A 5xx, an answer slower than the limit, or a server that stops
//! answering is a failure, kept with the request that caused it.
// The two crates that include this module each use part of it.
#![allow(dead_code)]

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A request to mutate: its `X-Amz-Target` and JSON body.
#[derive(Clone)]
pub struct Seed {
    pub target: String,
    pub body: Value,
}

/// Every request of the fixtures below `root` (`area/case.json`, `{"exchanges": [{"request":
/// {"target", "body"}}]}`), in file order.
pub fn seeds(root: &Path) -> Vec<Seed> {
    let mut files = Vec::new();
    collect(root, &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let Ok(doc) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        for ex in doc["exchanges"].as_array().into_iter().flatten() {
            let req = &ex["request"];
            if let (Some(target), Some(body)) = (req["target"].as_str(), req.get("body")) {
                if body.is_object() {
                    out.push(Seed {
                        target: target.to_string(),
                        body: body.clone(),
                    });
                }
            }
        }
    }
    out
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// What a run does.
#[derive(Clone)]
pub struct Options {
    pub requests: u64,
    pub concurrency: usize,
    pub seed: u64,
    /// An answer slower than this is a hang.
    pub timeout: Duration,
}

/// One request that failed the run, and why.
#[derive(Debug, Clone)]
pub struct Failure {
    pub why: String,
    pub request: Vec<u8>,
}

/// What a run saw.
#[derive(Debug, Default)]
pub struct Report {
    pub sent: u64,
    pub statuses: BTreeMap<u16, u64>,
    /// Connections the server closed (after a 4xx that ends the connection, or a broken head).
    pub closed: u64,
    /// Answers slower than the limit that came promptly when sent again (the machine was busy).
    pub slow: u64,
    pub failures: Vec<Failure>,
    pub elapsed: Duration,
}

impl Report {
    pub fn summary(&self) -> String {
        let statuses: Vec<String> = self
            .statuses
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect();
        format!(
            "{} mutated requests in {:.1} s ({:.0}/s); answers {}; connections closed by the server {}; slow once but prompt when sent again {}; failures {}",
            self.sent,
            self.elapsed.as_secs_f64(),
            self.sent as f64 / self.elapsed.as_secs_f64().max(1e-9),
            statuses.join(", "),
            self.closed,
            self.slow,
            self.failures.len()
        )
    }
}

/// SplitMix64: small, fast and reproducible from its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Creates the fixtures' tables and writes their items, unmutated, so that mutated requests
/// find tables and items to work on. Answers do not matter here.
pub async fn prepare(addr: SocketAddr, seeds: &[Seed]) {
    let mut conn = None;
    for seed in seeds.iter().filter(|s| {
        s.target.ends_with(".CreateTable")
            || s.target.ends_with(".PutItem")
            || s.target.ends_with(".BatchWriteItem")
    }) {
        let raw = http_request("POST", "/", &seed.target, &[], &body_bytes(&seed.body));
        let _ = exchange(addr, &mut conn, &raw, Duration::from_secs(30)).await;
    }
}

/// Sends `opts.requests` mutated requests over `opts.concurrency` connections.
pub async fn run(addr: SocketAddr, seeds: Arc<Vec<Seed>>, opts: Options) -> Report {
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let report = Arc::new(Mutex::new(Report::default()));
    let targets = Arc::new(targets(&seeds));
    let mut workers = Vec::new();
    for w in 0..opts.concurrency {
        let (seeds, next, report, targets, opts) = (
            seeds.clone(),
            next.clone(),
            report.clone(),
            targets.clone(),
            opts.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut conn: Option<TcpStream> = None;
            let mut local = Report::default();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= opts.requests {
                    break;
                }
                // Each request's mutations follow from (seed, n) alone: a failure can be
                // reproduced by its number.
                let mut rng =
                    Rng::new(opts.seed ^ n.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ w as u64);
                let raw = mutate(&mut rng, &seeds, &targets);
                local.sent += 1;
                match exchange(addr, &mut conn, &raw, opts.timeout).await {
                    Answer::Status(s, closed) => {
                        *local.statuses.entry(s).or_default() += 1;
                        if closed {
                            local.closed += 1;
                        }
                        if s >= 500 {
                            local.failures.push(Failure {
                                why: format!("request {n}: status {s}"),
                                request: raw,
                            });
                        }
                    }
                    Answer::Closed => {
                        local.closed += 1;
                        // A broken head may be refused by closing; the server must still be
                        // there.
                        let health = http_request("GET", "/", "", &[], b"");
                        let mut alive = false;
                        for _ in 0..3 {
                            let mut probe = None;
                            if matches!(
                                exchange(addr, &mut probe, &health, opts.timeout).await,
                                Answer::Status(200, _)
                            ) {
                                alive = true;
                                break;
                            }
                        }
                        if !alive {
                            local.failures.push(Failure {
                                why: format!("request {n}: the server stopped answering"),
                                request: raw,
                            });
                            break;
                        }
                    }
                    Answer::Hang => {
                        // Sent again on a fresh connection: a request that hangs does so again;
                        // one that was only starved of CPU (a busy machine) answers now, and is
                        // counted apart.
                        let mut again = None;
                        match exchange(addr, &mut again, &raw, opts.timeout).await {
                            Answer::Status(s, _) if s < 500 => local.slow += 1,
                            other => local.failures.push(Failure {
                                why: format!(
                                    "request {n}: no answer within {:?}, twice ({})",
                                    opts.timeout,
                                    match other {
                                        Answer::Status(s, _) => format!("then {s}"),
                                        Answer::Closed => "then closed".into(),
                                        Answer::Hang => "hung again".into(),
                                    }
                                ),
                                request: raw,
                            }),
                        }
                    }
                }
                if local.failures.len() > 20 {
                    break;
                }
            }
            let mut r = report.lock().unwrap();
            r.sent += local.sent;
            r.closed += local.closed;
            r.slow += local.slow;
            for (s, c) in local.statuses {
                *r.statuses.entry(s).or_default() += c;
            }
            r.failures.extend(local.failures);
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    let mut report = std::mem::take(&mut *report.lock().unwrap());
    report.elapsed = started.elapsed();
    report
}

/// Every target the seeds use, and some that do not exist.
fn targets(seeds: &[Seed]) -> Vec<String> {
    let mut t: Vec<String> = seeds.iter().map(|s| s.target.clone()).collect();
    t.sort();
    t.dedup();
    t.extend(
        [
            "DynamoDB_20120810.",
            "DynamoDB_20120810.getitem",
            "DynamoDB_20120810.NoSuchOperation",
            "DynamoDBStreams_20120810.GetRecords",
            "DynamoDBStreams_20120810.ListStreams",
            "dynamodb_20120810.GetItem",
            "DynamoDB_20111205.GetItem",
            "GetItem",
            ".",
            "",
        ]
        .map(String::from),
    );
    t
}

enum Answer {
    /// The status, and whether the server closed the connection after it.
    Status(u16, bool),
    /// The connection closed before an answer.
    Closed,
    Hang,
}

/// Sends `raw` on `conn` (connecting if needed) and reads one answer.
async fn exchange(
    addr: SocketAddr,
    conn: &mut Option<TcpStream>,
    raw: &[u8],
    timeout: Duration,
) -> Answer {
    let attempt = async {
        if conn.is_none() {
            *conn = TcpStream::connect(addr).await.ok();
            if let Some(c) = conn.as_ref() {
                let _ = c.set_nodelay(true);
            }
        }
        let Some(stream) = conn.as_mut() else {
            return Answer::Closed;
        };
        if stream.write_all(raw).await.is_err() {
            *conn = None;
            return Answer::Closed;
        }
        let answer = read_answer(stream).await;
        if !matches!(answer, Answer::Status(_, false)) {
            *conn = None;
        }
        answer
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(a) => a,
        Err(_) => {
            *conn = None;
            Answer::Hang
        }
    }
}

/// Reads one HTTP/1.1 answer (interim 1xx answers skipped): its status, and whether the
/// connection is closed after it.
async fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut chunk = [0u8; 8192];
    loop {
        // The head.
        let end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i + 4;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return Answer::Closed,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if (100..200).contains(&status) {
            buf.drain(..end);
            continue;
        }
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        let close = head.contains("connection: close");
        while buf.len() < end + length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return Answer::Status(status, true),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        return Answer::Status(status, close);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn body_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

/// An HTTP/1.1 request with an honest Content-Length.
fn http_request(
    method: &str,
    path: &str,
    target: &str,
    extra: &[(String, Vec<u8>)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 300);
    let _ = write!(out, "{method} {path} HTTP/1.1\r\nHost: localhost\r\n");
    if !target.is_empty() {
        let _ = write!(out, "X-Amz-Target: {target}\r\n");
    }
    let has = |name: &str| extra.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    if !has("content-type") {
        out.extend_from_slice(b"Content-Type: application/x-amz-json-1.0\r\n");
    }
    if !has("authorization") {
        out.extend_from_slice(b"Authorization: AWS4-HMAC-SHA256 Credential=fuzz/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\n");
    }
    for (k, v) in extra {
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v);
        out.extend_from_slice(b"\r\n");
    }
    if !has("transfer-encoding") {
        let _ = write!(out, "Content-Length: {}\r\n", body.len());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// A mutated request body (its JSON tree and bytes mutated as on the wire) and its target.
pub fn mutated_body(rng: &mut Rng, seeds: &[Seed]) -> (String, Vec<u8>) {
    let seed = rng.pick(seeds);
    let mut body = seed.body.clone();
    for _ in 0..1 + rng.below(4) {
        let before = body.clone();
        mutate_tree(rng, &mut body, seeds);
        if body_bytes(&body).len() > MAX_BODY || depth(&body) > MAX_DEPTH {
            body = before;
        }
    }
    let mut bytes = body_bytes(&body);
    if rng.chance(20) {
        mutate_bytes(rng, &mut bytes);
    }
    (seed.target.clone(), bytes)
}

/// The largest body the fuzzer builds.
const MAX_BODY: usize = 1 << 20;

/// The deepest body the fuzzer builds: deeper than the server's limits (32 levels of attribute
/// values, 128 of JSON), shallow enough for the fuzzer's own recursion on a worker's stack.
const MAX_DEPTH: usize = 300;

fn depth(v: &Value) -> usize {
    1 + match v {
        Value::Object(m) => m.values().map(depth).max().unwrap_or(0),
        Value::Array(a) => a.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// One mutated request, as bytes on the wire.
pub fn mutate(rng: &mut Rng, seeds: &[Seed], targets: &[String]) -> Vec<u8> {
    let seed = rng.pick(seeds);
    let mut target = seed.target.clone();
    let mut body = seed.body.clone();
    if rng.chance(8) {
        target = rng.pick(targets).clone();
    }
    // The JSON tree.
    let mut bytes = body_bytes(&body);
    if rng.chance(75) {
        for _ in 0..1 + rng.below(4) {
            let before = body.clone();
            mutate_tree(rng, &mut body, seeds);
            let after = body_bytes(&body);
            // Past the server's 16 MB body cap nothing is parsed; past 1 MB the fuzzer spends
            // its time building documents. Such a mutation is undone.
            if after.len() > MAX_BODY || depth(&body) > MAX_DEPTH {
                body = before;
            } else {
                bytes = after;
            }
        }
    }
    // The bytes of the body.
    if rng.chance(20) {
        mutate_bytes(rng, &mut bytes);
    }
    // The HTTP request around it.
    if rng.chance(15) {
        return mutate_http(rng, &target, bytes);
    }
    http_request("POST", "/", &target, &[], &bytes)
}

/// The number of nodes of `v`.
fn count(v: &Value) -> usize {
    1 + match v {
        Value::Object(m) => m.values().map(count).sum(),
        Value::Array(a) => a.iter().map(count).sum(),
        _ => 0,
    }
}

/// The `k`-th node of `v` in depth-first order (0 is `v` itself).
fn nth<'a>(v: &'a mut Value, k: &mut usize) -> Option<&'a mut Value> {
    if *k == 0 {
        return Some(v);
    }
    *k -= 1;
    match v {
        Value::Object(m) => {
            for child in m.values_mut() {
                let n = count(child);
                if *k < n {
                    return nth(child, k);
                }
                *k -= n;
            }
            None
        }
        Value::Array(a) => {
            for child in a.iter_mut() {
                let n = count(child);
                if *k < n {
                    return nth(child, k);
                }
                *k -= n;
            }
            None
        }
        _ => None,
    }
}

/// A random node of `v`.
fn any_node<'a>(rng: &mut Rng, v: &'a mut Value) -> Option<&'a mut Value> {
    let mut k = rng.below(count(v));
    nth(v, &mut k)
}

fn mutate_tree(rng: &mut Rng, body: &mut Value, seeds: &[Seed]) {
    let donor = rng.pick(seeds).body.clone();
    let Some(at) = any_node(rng, body) else {
        return;
    };
    match rng.below(9) {
        // A hostile value in place of any node.
        0..=2 => *at = hostile(rng),
        // A subtree of another request (its parameters, items, expressions).
        3 => {
            let mut donor = donor;
            if let Some(sub) = any_node(rng, &mut donor) {
                *at = sub.take();
            }
        }
        // Drop a member or an element.
        4 => match at {
            Value::Object(m) if !m.is_empty() => {
                let k = m
                    .keys()
                    .nth(rng.below(m.len()))
                    .cloned()
                    .unwrap_or_default();
                m.remove(&k);
            }
            Value::Array(a) if !a.is_empty() => {
                a.remove(rng.below(a.len()));
            }
            _ => *at = Value::Null,
        },
        // Add a member known to some request, with a value of its own or a hostile one.
        5 => {
            if let (Value::Object(m), Value::Object(d)) = (at, &donor) {
                if let Some((k, v)) = d.iter().nth(rng.below(d.len())) {
                    let v = if rng.chance(50) {
                        v.clone()
                    } else {
                        hostile(rng)
                    };
                    m.insert(k.clone(), v);
                }
            }
        }
        // Repeat an element or a member many times.
        6 => match at {
            Value::Array(a) if !a.is_empty() => {
                let e = a[rng.below(a.len())].clone();
                let times = [2, 25, 26, 100, 101, 1000][rng.below(6)];
                a.extend(std::iter::repeat_n(e, times));
            }
            Value::Object(m) if !m.is_empty() => {
                let (k, v) = m
                    .iter()
                    .nth(rng.below(m.len()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .unwrap();
                for i in 0..[2, 50, 300][rng.below(3)] {
                    m.insert(format!("{k}{i}"), v.clone());
                }
            }
            _ => *at = hostile(rng),
        },
        // Nest the node deeply.
        7 => {
            let depth = [2, 16, 31, 32, 33, 70][rng.below(6)];
            let mut v = at.take();
            for _ in 0..depth {
                v = if rng.chance(50) {
                    json!({ "L": [v] })
                } else {
                    json!({ "M": { "a": v } })
                };
            }
            *at = v;
        }
        // Change a string's case or content slightly.
        _ => {
            if let Value::String(s) = at {
                *s = match rng.below(5) {
                    0 => s.to_uppercase(),
                    1 => s.to_lowercase(),
                    2 => format!("{s}{s}"),
                    3 => s.chars().rev().collect(),
                    _ => format!(" {s} "),
                };
            } else {
                *at = hostile(rng);
            }
        }
    }
}

/// A value chosen to break parsers and validators.
fn hostile(rng: &mut Rng) -> Value {
    const STRINGS: &[&str] = &[
        "",
        " ",
        "a",
        "#",
        ":",
        "#n",
        ":v",
        "#n.#n[0]",
        "a.b[1].c",
        "a[99999999999]",
        "a[-1]",
        "\u{0}",
        "\u{fffd}",
        "🙂",
        "\u{10ffff}",
        "S",
        "N",
        "B",
        "SS",
        "HASH",
        "RANGE",
        "ALL_NEW",
        "PAY_PER_REQUEST",
        "PROVISIONED",
        "INDEXES",
        "attribute_not_exists(pk)",
        "attribute_exists(#a) AND size(#a) > :v",
        "pk = :v AND begins_with(sk, :w)",
        "SET a = a + :v, b = list_append(:l, b) REMOVE c ADD d :n DELETE e :s",
        "SET #a = if_not_exists(#a, :v)",
        "((((((((((((((((((((a))))))))))))))))))))",
        "a = :v OR a = :v OR a = :v OR a = :v",
        "NOT NOT NOT a < b",
        "a IN (:a,:b,:c)",
        "a BETWEEN :a AND :b",
        "SELECT * FROM \"t\" WHERE pk = ?",
        "INSERT INTO \"t\" VALUE {'pk': ?}",
        "UPDATE \"t\" SET a = 1 WHERE pk = 'x' RETURNING ALL NEW *",
        "DELETE FROM \"t\" WHERE pk = 'x'",
        "SELECT * FROM \"t\".\"i\" WHERE pk = 'x' ORDER BY sk DESC",
        "1",
        "-0",
        "0.0000000000000000000000000000000000000001",
        "1e125",
        "9.9999999999999999999999999999999999999E+125",
        "1E+126",
        "1e-131",
        "12345678901234567890123456789012345678901",
        "NaN",
        "Infinity",
        "0x1F",
        "AAAA",
        "====",
        "not base64!",
        "arn:aws:dynamodb:us-east-1:000000000000:table/t",
        "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2020-01-01T00:00:00.000",
        "arn:aws:dynamodb:us-east-1:000000000000:table/t/backup/01234567890123-abcdefgh",
        "000000000000",
        "2020-01-01T00:00:00Z",
        "TRIM_HORIZON",
        "LATEST",
        "AT_SEQUENCE_NUMBER",
        "shardId-00000001234567890123-abcdef01",
        "\\u0000",
    ];
    match rng.below(14) {
        0..=3 => Value::String((*rng.pick(STRINGS)).to_string()),
        4 => {
            let n = [255, 256, 1024, 1025, 65_536, 400_000][rng.below(6)];
            Value::String("x".repeat(n))
        }
        5 => [
            json!(1),
            json!(-1),
            json!(0),
            json!(1e300),
            json!(-1e300),
            json!(0.5),
            json!(9_007_199_254_740_993u64),
            json!(i64::MIN),
        ][rng.below(8)]
        .clone(),
        6 => [Value::Null, Value::Bool(true), Value::Bool(false)][rng.below(3)].clone(),
        7 => json!([]),
        8 => json!({}),
        9 => {
            let ty = *rng.pick(&[
                "S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M", "X", "",
            ]);
            let v = match rng.below(4) {
                0 => Value::String((*rng.pick(STRINGS)).to_string()),
                1 => json!([rng.pick(STRINGS), rng.pick(STRINGS)]),
                2 => json!(true),
                _ => json!({ "a": { "S": "x" } }),
            };
            let mut m = Map::new();
            m.insert(ty.to_string(), v);
            if rng.chance(10) {
                m.insert("S".into(), json!("both"));
            }
            Value::Object(m)
        }
        10 => {
            let n = [1, 2, 26, 101, 1001][rng.below(5)];
            Value::Array((0..n).map(|i| json!({ "S": format!("v{i}") })).collect())
        }
        11 => json!({ "pk": { "S": "x" }, "sk": { "N": "1" }, "a": { "SS": ["a", "a"] } }),
        12 => {
            let mut m = Map::new();
            for i in 0..[1, 2, 100, 1001][rng.below(4)] {
                m.insert(format!("#k{i}"), json!(format!("a{i}")));
            }
            Value::Object(m)
        }
        _ => {
            json!({ ":v": { "S": "x" }, ":n": { "N": "1" }, ":l": { "L": [] }, ":s": { "SS": ["x"] } })
        }
    }
}

fn mutate_bytes(rng: &mut Rng, bytes: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(3) {
        let len = bytes.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                bytes[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(len + 1);
                let b = *rng.pick(b"{}[]\":,\\\x00\xff\xc3\xed ");
                bytes.insert(i, b);
            }
            2 if len > 0 => {
                let keep = rng.below(len);
                bytes.truncate(keep);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let j = (i + rng.below(64)).min(len);
                let chunk = bytes[i..j].to_vec();
                let at = rng.below(bytes.len() + 1);
                bytes.splice(at..at, chunk);
            }
            4 => {
                // An escape that is not a character: lone surrogates, bad hex.
                let esc = *rng.pick(&["\\ud800", "\\udfff", "\\uZZZZ", "\\u00", "\\x41", "\\"]);
                let i = rng.below(len + 1);
                bytes.splice(i..i, esc.bytes());
            }
            5 => {
                let i = rng.below(len + 1);
                bytes.splice(i..i, [0xed, 0xa0, 0x80]);
            }
            _ => bytes.clear(),
        }
    }
}

fn mutate_http(rng: &mut Rng, target: &str, body: Vec<u8>) -> Vec<u8> {
    let mut extra: Vec<(String, Vec<u8>)> = Vec::new();
    let (mut method, mut path) = ("POST", "/");
    match rng.below(10) {
        0 => {
            // A compressed body: a real one, or a header that lies about it.
            let coding = *rng.pick(&[
                "gzip",
                "deflate",
                "zstd",
                "br",
                "gzip, deflate",
                "identity",
                "x",
            ]);
            extra.push(("Content-Encoding".into(), coding.as_bytes().to_vec()));
            let body = if rng.chance(50) && coding == "gzip" {
                gzip(&body)
            } else {
                body
            };
            return http_request(method, path, target, &extra, &body);
        }
        1 => {
            // A chunked body, framed honestly.
            extra.push(("Transfer-Encoding".into(), b"chunked".to_vec()));
            let mut chunked = Vec::new();
            for part in body.chunks(1 + rng.below(64)) {
                let _ = write!(chunked, "{:x}\r\n", part.len());
                chunked.extend_from_slice(part);
                chunked.extend_from_slice(b"\r\n");
            }
            chunked.extend_from_slice(b"0\r\n\r\n");
            return http_request(method, path, target, &extra, &chunked);
        }
        2 => {
            let ct = *rng.pick(&[
                "application/json",
                "application/x-amz-json-1.1",
                "text/plain",
                "application/x-www-form-urlencoded",
                "",
                "application/x-amz-json-1.0; charset=latin1",
            ]);
            extra.push(("Content-Type".into(), ct.as_bytes().to_vec()));
        }
        3 => {
            method = *rng.pick(&["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW"]);
        }
        4 => {
            path = *rng.pick(&[
                "/x",
                "//",
                "/?a=b",
                "/%ff",
                "/_awsim/clock",
                "/_awsim/nope",
                "*",
            ]);
        }
        5 => {
            let auth = *rng.pick(&[
                "",
                "AWS4-HMAC-SHA256",
                "AWS4-HMAC-SHA256 Credential=",
                "AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f/g, SignedHeaders=, Signature=",
                "Basic dXNlcjpwYXNz",
                "AWS4-HMAC-SHA256 Credential=123456789012/20260101/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=1",
            ]);
            extra.push(("Authorization".into(), auth.as_bytes().to_vec()));
        }
        6 => {
            // Header bytes outside ASCII, and a very long header.
            let v = if rng.chance(50) {
                vec![0xff, 0xfe, b'a']
            } else {
                vec![b'a'; 20_000]
            };
            extra.push(("X-Fuzz".into(), v));
        }
        7 => {
            // A broken head: hyper refuses it and may close the connection.
            let broken: &&[u8] = rng.pick(&[
                b"POST / HTTP/9.9\r\nHost: x\r\nContent-Length: 0\r\n\r\n" as &[u8],
                b"POST  HTTP/1.1\r\n\r\n",
                b"\x00\x01\x02\r\n\r\n",
                b"POST / HTTP/1.1\r\nBad Header\r\nContent-Length: 0\r\n\r\n",
                b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
                b"GET / HTTP/1.0\r\n\r\n",
            ]);
            return broken.to_vec();
        }
        8 => {
            extra.push((
                "Accept-Encoding".into(),
                b"gzip, deflate, br, zstd".to_vec(),
            ));
            extra.push(("X-Amz-Security-Token".into(), b"token".to_vec()));
        }
        _ => {
            extra.push(("Expect".into(), b"100-continue".to_vec()));
        }
    }
    http_request(method, path, target, &extra, &body)
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = e.write_all(body);
    e.finish().unwrap_or_default()
}
