//! The server under test as a process, and the one HTTP client everything else uses. `Awsim`
//! starts the binary on a data directory and a free port (its first stdout line names the
//! address), and kills it with SIGKILL; `integrity_check` opens the database while the server is
//! down. Knows nothing about the workload or the checks.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// A running awsim; dropping it kills it (SIGKILL).
pub struct Awsim {
    child: Child,
    /// Kept open for the life of the process: a closed pipe would make a later print fail.
    _stdout: BufReader<ChildStdout>,
    pub url: String,
}

impl Awsim {
    /// Starts `program` on `data` (created if needed) and a free loopback port, its stderr
    /// appended to `log`; returns once it has printed its address, i.e. once its store is open.
    pub async fn start(program: &Path, data: &Path, log: &Path) -> Result<Awsim, String> {
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| format!("{}: {e}", log.display()))?;
        let mut child = Command::new(program)
            .args(["--host", "127.0.0.1", "--port", "0", "--log-level", "warn"])
            .arg("--data-dir")
            .arg(data)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let reading = tokio::task::spawn_blocking(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            (line, reader)
        });
        // A server that neither prints nor exits is killed, which ends the read above.
        let (line, reader) = match tokio::time::timeout(Duration::from_secs(60), reading).await {
            Ok(joined) => joined.map_err(|e| format!("reading awsim's stdout: {e}"))?,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "awsim printed no address within 60 s; see {}",
                    log.display()
                ));
            }
        };
        // "awsim listening on http://127.0.0.1:PORT (storage: ...)"
        match line.split_whitespace().find(|w| w.starts_with("http://")) {
            Some(url) => Ok(Awsim {
                url: url.to_string(),
                child,
                _stdout: reader,
            }),
            None => {
                let status = child.wait().map_err(|e| e.to_string())?;
                Err(format!(
                    "awsim did not start ({status}); see {}",
                    log.display()
                ))
            }
        }
    }

    /// SIGKILL, then reap: no shutdown path of the server runs.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Awsim {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `PRAGMA integrity_check` on a copy of `data`'s database and WAL, made in `scratch`, and
/// returns the WAL's size. A copy, so that the server itself recovers the WAL when it restarts
/// (a connection opened on the original would recover it first, and checkpoint it on close).
/// Err: the database is damaged or unreadable.
pub fn integrity_check(data: &Path, scratch: &Path) -> Result<u64, String> {
    let _ = std::fs::remove_dir_all(scratch);
    std::fs::create_dir_all(scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let db = data.join("dynamodb.db");
    let copy = scratch.join("dynamodb.db");
    std::fs::copy(&db, &copy).map_err(|e| format!("copying {}: {e}", db.display()))?;
    let wal = data.join("dynamodb.db-wal");
    let wal_bytes = match std::fs::metadata(&wal) {
        Ok(meta) => {
            std::fs::copy(&wal, scratch.join("dynamodb.db-wal"))
                .map_err(|e| format!("copying {}: {e}", wal.display()))?;
            meta.len()
        }
        Err(_) => 0,
    };
    let conn = rusqlite::Connection::open(&copy).map_err(|e| format!("opening the copy: {e}"))?;
    let mut stmt = conn
        .prepare("PRAGMA integrity_check")
        .map_err(|e| format!("integrity_check: {e}"))?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .map_err(|e| format!("integrity_check: {e}"))?;
    drop(stmt);
    drop(conn);
    let _ = std::fs::remove_dir_all(scratch);
    match rows.as_slice() {
        [ok] if ok == "ok" => Ok(wal_bytes),
        _ => Err(format!("PRAGMA integrity_check: {}", rows.join("; "))),
    }
}

/// An answer: its status and its JSON body (a non-JSON body as a string).
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    /// The error's `__type` after its `#` (empty for a success).
    pub fn error_type(&self) -> &str {
        let t = self.body["__type"].as_str().unwrap_or_default();
        t.rsplit('#').next().unwrap_or(t)
    }
}

/// Any SigV4-shaped header will do: the server runs in its default permissive mode.
const AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x";

/// AWS JSON 1.0 over one keep-alive pool, against one server's address.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    pub fn new(url: &str) -> Client {
        let http = reqwest::Client::builder()
            // A server that hangs is a failure, not a wait.
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a plain HTTP client builds");
        Client {
            http,
            url: url.to_string(),
        }
    }

    /// One request. Err: no complete answer (the server is gone, or hung up): it may or may not
    /// have applied it. A 503 (overload, refused before the engine runs anything) is retried.
    async fn send(&self, path: &str, target: Option<&str>, body: &Value) -> Result<Reply, String> {
        let mut attempt = 0;
        loop {
            let mut request = self
                .http
                .post(format!("{}{path}", self.url))
                .header("content-type", "application/x-amz-json-1.0")
                .header("authorization", AUTHORIZATION)
                .body(body.to_string());
            if let Some(target) = target {
                request = request.header("x-amz-target", target);
            }
            let response = request.send().await.map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let bytes = response.bytes().await.map_err(|e| e.to_string())?;
            if status == 503 && attempt < 100 {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(2)).await;
                continue;
            }
            let body = serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
            return Ok(Reply { status, body });
        }
    }

    /// A DynamoDB operation (`PutItem`, ...).
    pub async fn ddb(&self, operation: &str, body: &Value) -> Result<Reply, String> {
        let target = format!("DynamoDB_20120810.{operation}");
        self.send("/", Some(&target), body).await
    }

    /// A DynamoDB Streams operation (`GetRecords`, ...).
    pub async fn streams(&self, operation: &str, body: &Value) -> Result<Reply, String> {
        let target = format!("DynamoDBStreams_20120810.{operation}");
        self.send("/", Some(&target), body).await
    }

    /// `POST /_awsim/clock`: moves awsim's clock and runs the TTL sweep at the new time.
    pub async fn advance_clock(&self, seconds: u64) -> Result<Reply, String> {
        let body = serde_json::json!({ "advance_seconds": seconds });
        self.send("/_awsim/clock", None, &body).await
    }

    /// A DynamoDB operation that must succeed (set-up and checks): its answer's body.
    pub async fn ok(&self, operation: &str, body: &Value) -> Result<Value, String> {
        must(operation, self.ddb(operation, body).await?)
    }

    /// A DynamoDB Streams operation that must succeed.
    pub async fn streams_ok(&self, operation: &str, body: &Value) -> Result<Value, String> {
        must(operation, self.streams(operation, body).await?)
    }
}

fn must(operation: &str, reply: Reply) -> Result<Value, String> {
    match reply.status {
        200 => Ok(reply.body),
        status => Err(format!("{operation} answered {status}: {}", reply.body)),
    }
}
