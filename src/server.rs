//! The hyper accept loop: HTTP/1.1 keep-alive, no Nagle delay, body size cap, graceful shutdown
//! (in-flight requests finish, then the store is closed). Knows nothing of DynamoDB.
use crate::engine::Engine;
use crate::protocol;
use crate::Config;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Serve until `shutdown` resolves; in-flight requests finish, the store is closed cleanly.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let engine = Arc::new(Engine::open(&config).map_err(std::io::Error::other)?);
    let sweeper = tokio::spawn(sweep(engine.clone()));
    let jobs = tokio::spawn(run_jobs(engine.clone()));
    serve(listener, engine.clone(), shutdown).await;
    sweeper.abort();
    // Running jobs stop at their next batch and resume at the next start.
    engine.stop_jobs();
    jobs.abort();
    // Bounded: a job checks the stop flag at every batch, so this takes milliseconds.
    for _ in 0..3000 {
        if engine.running_jobs() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let closing = engine.clone();
    let _ = tokio::task::spawn_blocking(move || closing.close()).await;
    Ok(())
}

/// The accept loop over an already-open engine.
pub async fn serve(listener: TcpListener, engine: Arc<Engine>, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let engine = engine.clone();
                let service = hyper::service::service_fn(move |req| handle(engine.clone(), req));
                let conn = builder.serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!("connection ended: {e}");
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    graceful.shutdown().await;
}

/// The background jobs (backups, restores): those left unfinished by an earlier run at once,
/// then each as soon as a request queues it (or within a second), each on the blocking pool.
async fn run_jobs(engine: Arc<Engine>) {
    loop {
        let pending = {
            let engine = engine.clone();
            tokio::task::spawn_blocking(move || engine.pending_jobs()).await
        };
        match pending {
            Ok(Ok(jobs)) => {
                for job in jobs {
                    if engine.claim_job(&job) {
                        let engine = engine.clone();
                        tokio::task::spawn_blocking(move || engine.run_job(&job));
                    }
                }
            }
            Ok(Err(e)) => tracing::warn!("listing background jobs failed: {e:?}"),
            Err(e) => tracing::warn!("listing background jobs panicked: {e}"),
        }
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(1),
            engine.jobs_ready.notified(),
        )
        .await;
    }
}

/// Background upkeep, once a second: TTL deletions (bounded batches, each its own short write
/// transaction), and once a minute the 24-hour stream retention and the PITR recovery periods.
async fn sweep(engine: Arc<Engine>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for n in 0u64.. {
        tick.tick().await;
        let engine = engine.clone();
        let result = tokio::task::spawn_blocking(move || {
            engine.sweep_ttl()?;
            if n % 60 == 0 {
                engine.purge_streams()?;
                engine.purge_pitr()?;
            }
            Ok::<_, crate::error::Error>(())
        })
        .await;
        if let Ok(Err(e)) = result {
            tracing::warn!("background sweep failed: {e:?}");
        }
    }
}

async fn handle(
    engine: Arc<Engine>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    if req.uri().path().starts_with("/_awsim/") {
        return Ok(admin(engine, req).await);
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let target = header("x-amz-target");
    let authorization = header("authorization");
    let body = match Limited::new(req.into_body(), protocol::MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            let r = protocol::render(Err(crate::error::Error::serialization(
                "Request body is too large",
            )));
            return Ok(to_http(r));
        }
    };
    Ok(to_http(
        crate::dispatch::handle(engine, target, authorization, body).await,
    ))
}

/// The admin API (README): `GET /_awsim/clock` reads the engine's clock; `POST /_awsim/clock`
/// with `{"advance_seconds": n}` moves it forward and runs the TTL sweeper and the PITR purge at
/// the new time, so expiry and recovery periods are testable without waiting.
async fn admin(engine: Arc<Engine>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let post = req.method() == hyper::Method::POST;
    let body = Limited::new(req.into_body(), 64 * 1024).collect().await;
    let json = |status: StatusCode, v: serde_json::Value| {
        let mut resp = Response::new(Full::new(Bytes::from(v.to_string())));
        *resp.status_mut() = status;
        resp.headers_mut().insert(
            "content-type",
            hyper::header::HeaderValue::from_static("application/json"),
        );
        resp
    };
    if path != "/_awsim/clock" {
        return json(
            StatusCode::NOT_FOUND,
            serde_json::json!({"error": "unknown admin path"}),
        );
    }
    let mut deleted = 0;
    if post {
        let parsed: Option<serde_json::Value> = body
            .ok()
            .and_then(|b| serde_json::from_slice(&b.to_bytes()).ok());
        let Some(seconds) = parsed
            .as_ref()
            .and_then(|v| v.get("advance_seconds"))
            .and_then(serde_json::Value::as_f64)
            .filter(|s| s.is_finite() && *s >= 0.0)
        else {
            return json(
                StatusCode::BAD_REQUEST,
                serde_json::json!({"error": "expected {\"advance_seconds\": <non-negative number>}"}),
            );
        };
        engine.clock.advance(seconds);
        let sweeping = engine.clone();
        deleted = tokio::task::spawn_blocking(move || {
            sweeping.purge_pitr()?;
            sweeping.sweep_ttl()
        })
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or(0);
    }
    json(
        StatusCode::OK,
        serde_json::json!({"now": engine.now(), "expired_items_deleted": deleted}),
    )
}

fn to_http(r: protocol::Response) -> Response<Full<Bytes>> {
    use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE};
    const REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
    const CRC32: HeaderName = HeaderName::from_static("x-amz-crc32");
    const AMZ_JSON: HeaderValue = HeaderValue::from_static("application/x-amz-json-1.0");
    let mut resp = Response::new(Full::new(Bytes::from(r.body)));
    *resp.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, AMZ_JSON);
    if let Ok(v) = HeaderValue::from_str(&r.request_id) {
        h.insert(REQUEST_ID, v);
    }
    h.insert(CRC32, r.crc32.into());
    resp
}
