//! The admin API under `/_awsim/` (README, "Admin API"): the clock, replication, whole-database
//! snapshots, Prometheus metrics, a listing of every table of every account and region, and the
//! web console's files (`console`). JSON in and out (the metrics are text); these are awsim's
//! own endpoints, so their errors are `{"error": "..."}`, never DynamoDB's `__type` bodies.
//! Calls the engine only through its public methods; knows nothing of the DynamoDB operations.
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::metrics::{Metrics, TableSample};
use crate::storage::SnapshotInfo;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

/// The largest admin request body read (a snapshot name, a clock step).
const MAX_ADMIN_BODY: usize = 64 * 1024;

/// Answers one request under `/_awsim/`.
pub async fn handle(
    engine: Arc<Engine>,
    metrics: &Metrics,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let method = req.method().clone();
    let authorization = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let accept_encoding = req
        .headers()
        .get(hyper::header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = match Limited::new(req.into_body(), MAX_ADMIN_BODY)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "admin request bodies are at most 64 KiB",
            )
        }
    };
    if path == "/_awsim/ui" || path.starts_with("/_awsim/ui/") {
        return crate::console::serve(&method, &path, accept_encoding.as_deref());
    }
    let segments: Vec<&str> = path
        .trim_start_matches("/_awsim/")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match (&method, segments.as_slice()) {
        (&Method::GET, ["clock"]) => clock(engine, None).await,
        (&Method::POST, ["clock"]) => match number_field(&body, "advance_seconds") {
            Some(s) if s.is_finite() && s >= 0.0 => clock(engine, Some(s)).await,
            _ => error(
                StatusCode::BAD_REQUEST,
                "expected {\"advance_seconds\": <non-negative number>}",
            ),
        },
        (&Method::GET, ["replication"]) => replication(engine, false).await,
        (&Method::POST, ["replication"]) => replication(engine, true).await,
        (&Method::GET, ["metrics"]) => metrics_text(engine, metrics).await,
        (&Method::GET, ["tables"]) => tables(engine).await,
        (&Method::GET, ["insights", table]) => {
            let table = table.to_string();
            let auth = authorization.clone();
            let answer = tokio::task::spawn_blocking(move || {
                crate::dispatch::insights(&engine, auth.as_deref(), &table, &query)
            })
            .await;
            match answer {
                Ok((status, v)) => {
                    let mut resp = ok(v);
                    *resp.status_mut() =
                        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
                    resp
                }
                Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
            }
        }
        (&Method::GET, ["snapshots"]) => match blocking(engine, |e| e.snapshots()).await {
            Ok(list) => {
                ok(json!({"snapshots": list.iter().map(snapshot_json).collect::<Vec<_>>()}))
            }
            Err(e) => e,
        },
        (&Method::POST, ["snapshots"]) => {
            let name = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("name").and_then(Value::as_str).map(str::to_string));
            let Some(name) = name else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "expected {\"name\": \"<snapshot name>\"}",
                );
            };
            if !crate::storage::valid_snapshot_name(&name) {
                return invalid_name(&name);
            }
            let started = Instant::now();
            match snapshot(engine, name).await {
                Ok(info) => ok(with_elapsed(snapshot_json(&info), started)),
                Err(e) => internal(e),
            }
        }
        (&Method::POST, ["snapshots", name, "restore"]) => {
            let name = name.to_string();
            if !crate::storage::valid_snapshot_name(&name) {
                return invalid_name(&name);
            }
            let started = Instant::now();
            match restore(engine, name).await {
                Ok(Some(info)) => ok(with_elapsed(snapshot_json(&info), started)),
                Ok(None) => error(StatusCode::NOT_FOUND, "no such snapshot"),
                Err(e) => internal(e),
            }
        }
        (&Method::DELETE, ["snapshots", name]) => {
            let name = name.to_string();
            if !crate::storage::valid_snapshot_name(&name) {
                return invalid_name(&name);
            }
            match blocking(engine, move |e| e.delete_snapshot(&name)).await {
                Ok(true) => ok(json!({"deleted": true})),
                Ok(false) => error(StatusCode::NOT_FOUND, "no such snapshot"),
                Err(e) => e,
            }
        }
        _ => error(StatusCode::NOT_FOUND, "unknown admin path"),
    }
}

/// Takes a snapshot of the whole database (on the blocking pool).
pub async fn snapshot(engine: Arc<Engine>, name: String) -> Result<SnapshotInfo> {
    tokio::task::spawn_blocking(move || engine.snapshot(&name))
        .await
        .map_err(Error::internal)?
}

/// Restores the snapshot `name` (None when there is none): waits for every operation in
/// flight, and none starts until the database and the catalogue are back.
pub async fn restore(engine: Arc<Engine>, name: String) -> Result<Option<SnapshotInfo>> {
    let exclusive = engine.gate.write().await;
    let restoring = engine.clone();
    let restored = tokio::task::spawn_blocking(move || restoring.restore_snapshot(&name))
        .await
        .map_err(Error::internal)?;
    drop(exclusive);
    restored
}

/// `GET /_awsim/clock` reads the engine's clock; with `advance`, the clock moves forward (and
/// stays moved across a restart), the PITR purge and the TTL sweeper run at the new time and
/// then replication, so expiry and recovery periods are testable without waiting.
async fn clock(engine: Arc<Engine>, advance: Option<f64>) -> Response<Full<Bytes>> {
    let mut deleted = 0;
    let mut replicated = 0;
    if let Some(seconds) = advance {
        let _shared = engine.gate.read().await;
        let moved = blocking(engine.clone(), move |e| {
            e.advance_clock(seconds)?;
            e.purge_pitr()?;
            e.sweep_ttl()
        })
        .await;
        deleted = match moved {
            Ok(n) => n,
            Err(resp) => return resp,
        };
        // What the new time made happen reaches the other regions before the answer.
        replicated = blocking(engine.clone(), |e| e.replicate())
            .await
            .unwrap_or(0);
    }
    ok(json!({"now": engine.now(), "expired_items_deleted": deleted, "replicated": replicated}))
}

/// `GET /_awsim/replication` counts the writes waiting to reach other regions; `POST` applies
/// them before answering.
async fn replication(engine: Arc<Engine>, apply: bool) -> Response<Full<Bytes>> {
    let _shared = engine.gate.read().await;
    let replicated = match apply {
        true => blocking(engine.clone(), |e| e.replicate())
            .await
            .unwrap_or(0),
        false => 0,
    };
    let pending = blocking(engine.clone(), |e| e.replication_backlog())
        .await
        .unwrap_or(0);
    ok(json!({"replicated": replicated, "pending": pending}))
}

/// `GET /_awsim/metrics`: the Prometheus text exposition.
async fn metrics_text(engine: Arc<Engine>, metrics: &Metrics) -> Response<Full<Bytes>> {
    let reading = engine.clone();
    let tables = match blocking(reading, |e| e.all_tables()).await {
        Ok(t) => t,
        Err(e) => return e,
    };
    let samples: Vec<TableSample> = tables
        .iter()
        .map(|(meta, stats)| TableSample {
            account: &meta.account,
            region: &meta.region,
            table: &meta.name,
            items: stats.item_count,
            bytes: stats.size_bytes,
            throttled: engine
                .throttles
                .count(&meta.account, &meta.region, &meta.name),
        })
        .collect();
    let mut resp = Response::new(Full::new(Bytes::from(metrics.render(&samples))));
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}

/// `GET /_awsim/tables`: every table of every account and region with its item count and size
/// (the console uses it to offer the accounts and regions that hold tables).
async fn tables(engine: Arc<Engine>) -> Response<Full<Bytes>> {
    match blocking(engine, |e| e.all_tables()).await {
        Ok(tables) => ok(json!({
            "tables": tables.iter().map(|(m, s)| json!({
                "account": m.account,
                "region": m.region,
                "name": m.name,
                "items": s.item_count,
                "size_bytes": s.size_bytes,
            })).collect::<Vec<_>>()
        })),
        Err(e) => e,
    }
}

/// Runs `f` on the blocking pool; an engine error becomes a 500 answer (and is logged).
async fn blocking<T: Send + 'static>(
    engine: Arc<Engine>,
    f: impl FnOnce(&Engine) -> Result<T> + Send + 'static,
) -> std::result::Result<T, Response<Full<Bytes>>> {
    match tokio::task::spawn_blocking(move || f(&engine)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            let message = e.message.unwrap_or_else(|| format!("{:?}", e.kind));
            tracing::warn!("admin request failed: {message}");
            Err(error(StatusCode::INTERNAL_SERVER_ERROR, &message))
        }
        Err(e) => Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("admin task failed: {e}"),
        )),
    }
}

fn internal(e: Error) -> Response<Full<Bytes>> {
    let message = e.message.unwrap_or_else(|| format!("{:?}", e.kind));
    let status = match e.kind {
        crate::error::ErrorKind::Validation => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error(status, &message)
}

fn number_field(body: &[u8], field: &str) -> Option<f64> {
    serde_json::from_slice::<Value>(body)
        .ok()?
        .get(field)?
        .as_f64()
}

fn snapshot_json(s: &SnapshotInfo) -> Value {
    json!({"name": s.name, "created": s.created, "size_bytes": s.size_bytes})
}

fn with_elapsed(mut v: Value, started: Instant) -> Value {
    v["elapsed_ms"] = json!(started.elapsed().as_secs_f64() * 1000.0);
    v
}

fn invalid_name(name: &str) -> Response<Full<Bytes>> {
    error(
        StatusCode::BAD_REQUEST,
        &format!(
            "invalid snapshot name {name:?}: 1 to 128 letters, digits, '-', '_' or '.', not starting with '.'"
        ),
    )
}

fn ok(v: Value) -> Response<Full<Bytes>> {
    json_response(StatusCode::OK, &v)
}

fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    json_response(status, &json!({"error": message}))
}

fn json_response(status: StatusCode, v: &Value) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(v.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}
