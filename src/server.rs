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
    serve(listener, engine.clone(), shutdown).await;
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

async fn handle(
    engine: Arc<Engine>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
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
        protocol::handle(engine, target, authorization, body).await,
    ))
}

fn to_http(r: protocol::Response) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(r.body)));
    *resp.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    if let Ok(v) = r.request_id.parse() {
        h.insert("x-amzn-requestid", v);
    }
    h.insert("x-amz-crc32", r.crc32.into());
    resp
}
