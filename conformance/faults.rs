//! Faults handled cleanly. Start-up refusals of the real binary (a second awsim on the same data
//! directory, a directory that cannot be written, a file that is not a database or is another
//! program's, a database from a newer awsim): a clear message and a failing exit, never a panic
//! and never a silent reset. A full disk (the database capped with `--max-db-size`, which makes
//! SQLite fail exactly as on ENOSPC): the write is refused with InternalServerError and leaves
//! nothing behind, reads go on, and writes work again once space is freed.
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

mod support;

fn temp(what: &str) -> std::path::PathBuf {
    support::temp_dir(what)
}

/// Runs the binary on `dir` and returns (exit success, stderr) once it exits, or kills it and
/// returns (true, "") once it prints its address (it started).
fn start_or_fail(dir: &std::path::Path) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_awsim"))
        .args(["--host", "127.0.0.1", "--port", "0", "--log-level", "error"])
        .arg("--data-dir")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("awsim runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    if line.contains("listening") {
        let _ = child.kill();
        let _ = child.wait();
        return (true, String::new());
    }
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.success(), err)
}

/// A child killed when dropped, so a failing test leaves no server behind.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// Two writers on one database would each believe they own it: the second is refused while the
// first holds the directory's lock, and may start once the first is gone.
#[test]
fn a_second_awsim_on_the_same_data_dir_is_refused() {
    let dir = temp("lock");
    let mut first = Reaped(
        Command::new(env!("CARGO_BIN_EXE_awsim"))
            .args(["--host", "127.0.0.1", "--port", "0", "--log-level", "error"])
            .arg("--data-dir")
            .arg(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(first.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("listening"), "{line}");
    let (ok, err) = start_or_fail(&dir);
    assert!(!ok);
    assert!(
        err.contains("another awsim is using the data directory"),
        "{err}"
    );
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    let (ok, err) = start_or_fail(&dir);
    assert!(ok, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

// A data directory that cannot be created or written (here: its path runs through a regular
// file) is a clear start-up error.
#[test]
fn an_unusable_data_dir_is_a_clear_startup_error() {
    let base = temp("unusable");
    std::fs::create_dir_all(&base).unwrap();
    let file = base.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let (ok, err) = start_or_fail(&file.join("data"));
    assert!(!ok);
    assert!(err.contains("cannot create the data directory"), "{err}");
    let _ = std::fs::remove_dir_all(&base);
}

// Neither garbage nor another program's SQLite database is ever taken over or reset; a database
// from a newer awsim is not downgraded.
#[test]
fn foreign_corrupt_or_newer_databases_are_refused() {
    let dir = temp("foreign");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("dynamodb.db");
    std::fs::write(&db, vec![0x5a; 8192]).unwrap();
    let (ok, err) = start_or_fail(&dir);
    assert!(!ok);
    assert!(
        err.contains("is not an awsim database, or is damaged"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        vec![0x5a; 8192],
        "the file was changed"
    );

    std::fs::remove_file(&db).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        .unwrap();
    drop(conn);
    let (ok, err) = start_or_fail(&dir);
    assert!(!ok);
    assert!(
        err.contains("has tables but no awsim schema version"),
        "{err}"
    );

    std::fs::remove_file(&db).unwrap();
    let (ok, err) = start_or_fail(&dir);
    assert!(ok, "a fresh directory starts: {err}");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
    drop(conn);
    let (ok, err) = start_or_fail(&dir);
    assert!(!ok);
    assert!(
        err.contains("written by a newer awsim (schema version 999"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

async fn call(client: &reqwest::Client, url: &str, op: &str, body: Value) -> (u16, Value) {
    let resp = client
        .post(url)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", format!("DynamoDB_20120810.{op}"))
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20260421/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x",
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

// A full disk fails the write that does not fit, with the service's 500, and changes nothing:
// no item, no index row, no stream record; reads keep working; after deleting, writes fit again.
#[tokio::test]
async fn a_full_disk_fails_writes_cleanly_and_recovers() {
    let dir = temp("full");
    let mut config = awsim::Config::in_memory();
    config.in_memory = false;
    config.data_dir = dir.clone();
    config.max_db_bytes = Some(512 * 1024);
    let server = support::start_with(config).await;
    let url = format!("http://{}/", server.addr);
    let client = reqwest::Client::new();
    let (status, _) = call(&client, &url, "CreateTable", json!({
        "TableName": "full", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}],
        "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"}
    })).await;
    assert_eq!(status, 200);
    let filler = "x".repeat(20_000);
    let mut stored = 0;
    let failed =
        loop {
            let pk = format!("k{stored}");
            let (status, body) = call(&client, &url, "PutItem", json!({
            "TableName": "full", "Item": {"pk": {"S": pk}, "g": {"S": "g"}, "v": {"S": filler}}
        })).await;
            if status != 200 {
                assert_eq!(status, 500, "{body}");
                assert!(
                    body["__type"]
                        .as_str()
                        .unwrap()
                        .ends_with("#InternalServerError"),
                    "{body}"
                );
                break pk;
            }
            stored += 1;
            assert!(stored < 1000, "the size cap never bit");
        };
    assert!(stored > 0);
    // Nothing of the refused write is visible, everything acknowledged is.
    let (_, got) = call(
        &client,
        &url,
        "GetItem",
        json!({"TableName": "full", "Key": {"pk": {"S": failed}}}),
    )
    .await;
    assert!(got.get("Item").is_none(), "{got}");
    let (status, scan) = call(
        &client,
        &url,
        "Scan",
        json!({"TableName": "full", "Select": "COUNT"}),
    )
    .await;
    assert_eq!((status, scan["Count"].as_u64()), (200, Some(stored as u64)));
    let (_, index) = call(
        &client,
        &url,
        "Scan",
        json!({"TableName": "full", "IndexName": "by-g", "Select": "COUNT"}),
    )
    .await;
    assert_eq!(index["Count"].as_u64(), Some(stored as u64));
    // Space comes back: delete half, then the refused write fits.
    for i in 0..stored / 2 {
        let (status, _) = call(
            &client,
            &url,
            "DeleteItem",
            json!({"TableName": "full", "Key": {"pk": {"S": format!("k{i}")}}}),
        )
        .await;
        assert_eq!(status, 200);
    }
    let (status, body) = call(
        &client,
        &url,
        "PutItem",
        json!({
            "TableName": "full", "Item": {"pk": {"S": failed}, "g": {"S": "g"}, "v": {"S": filler}}
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Serves an in-memory awsim with `front` on a free port; the returned sender stops it.
async fn serve_front(
    front: awsim::server::Front,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let engine =
        std::sync::Arc::new(awsim::engine::Engine::open(&awsim::Config::in_memory()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(awsim::server::serve_with(listener, engine, front, async {
        let _ = rx.await;
    }));
    (addr, stop)
}

/// Sends `request` on a fresh connection and reads until the server closes it (or `limit`
/// passes: then the connection was left open, which the caller asserts against).
async fn exchange(
    addr: std::net::SocketAddr,
    request: &[u8],
    limit: std::time::Duration,
) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    match tokio::time::timeout(limit, s.read_to_end(&mut out)).await {
        Ok(_) => Some(String::from_utf8_lossy(&out).into_owned()),
        Err(_) => None,
    }
}

fn list_tables() -> Vec<u8> {
    let body = "{}";
    format!(
        "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Type: application/x-amz-json-1.0\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

// A flood of connections cannot exhaust the server: past the limit a connection gets one 503
// ThrottlingException (which the SDKs retry) and is closed, while the ones already open keep
// working.
#[tokio::test]
async fn connections_past_the_limit_are_refused_with_503() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let front = awsim::server::Front {
        max_connections: 2,
        ..Default::default()
    };
    let (addr, _stop) = serve_front(front).await;
    let long = std::time::Duration::from_secs(10);
    // Two connections held open (each proven accepted by a keep-alive answer).
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req = String::from_utf8(list_tables())
            .unwrap()
            .replace("Connection: close\r\n", "");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = s.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        held.push((s, req));
    }
    let refused = exchange(addr, &list_tables(), long).await.expect("closed");
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(
        refused.contains(r#""__type":"com.amazon.coral.availability#ThrottlingException""#),
        "{refused}"
    );
    assert!(
        refused.to_ascii_lowercase().contains("connection: close"),
        "{refused}"
    );
    // The held connections still serve.
    for (s, req) in &mut held {
        s.write_all(req.as_bytes()).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = s.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    }
}

// Slow clients (slowloris) cannot hold connections forever: a head or a body that does not
// arrive within the read timeout loses its connection.
#[tokio::test]
async fn slow_heads_and_bodies_lose_their_connection() {
    let front = awsim::server::Front {
        read_timeout: std::time::Duration::from_millis(300),
        ..Default::default()
    };
    let (addr, _stop) = serve_front(front).await;
    let long = std::time::Duration::from_secs(10);
    // A head that never finishes.
    let head = b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n";
    let answer = exchange(addr, head, long).await;
    assert!(answer.is_some(), "a partial head kept its connection");
    // A body shorter than its Content-Length, never completed.
    let body = b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 100\r\n\r\n{\"Lim";
    let answer = exchange(addr, body, long)
        .await
        .expect("a partial body kept its connection");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // A prompt request is unaffected.
    let ok = exchange(addr, &list_tables(), long).await.unwrap();
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
}

// The engine's queue is bounded: a request that finds it full is refused at once with a
// retryable 503 rather than waiting behind an unbounded backlog; health checks still answer.
#[tokio::test]
async fn a_full_engine_queue_refuses_with_503() {
    let front = awsim::server::Front {
        engine_queue: std::sync::Arc::new(tokio::sync::Semaphore::new(0)),
        ..Default::default()
    };
    let (addr, _stop) = serve_front(front).await;
    let long = std::time::Duration::from_secs(10);
    let answer = exchange(addr, &list_tables(), long).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.contains(r#""__type":"com.amazon.coral.availability#ThrottlingException""#),
        "{answer}"
    );
    let health = exchange(
        addr,
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        long,
    )
    .await
    .unwrap();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
}
