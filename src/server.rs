//! The hyper accept loop and the endpoint's HTTP front door: HTTP/1.1 keep-alive, no Nagle
//! delay, head and body size caps (refused before the body is read), compressed request bodies
//! and responses, `GET /` health, CORS, the `Server` header, graceful shutdown (in-flight
//! requests finish, then the store is closed). The HTTP conventions themselves are plain
//! functions in `protocol::http`; knows nothing of DynamoDB operations.
use crate::engine::Engine;
use crate::metrics::Metrics;
use crate::protocol::auth::{self, Credentials};
use crate::protocol::{self, http};
use crate::Config;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body, Incoming};
use hyper::header::{
    HeaderName, HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ALLOW, CONNECTION, CONTENT_ENCODING, CONTENT_TYPE, HOST,
    ORIGIN, SERVER, VARY,
};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;
use tracing::Instrument;

/// Serve until `shutdown` resolves; in-flight requests finish, the store is closed cleanly.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    run_ready(listener, config, shutdown, || {}).await
}

/// [`run`], calling `ready` once the store is open (and seeded) and requests are about to be
/// served (a store that cannot be opened returns its error without calling it).
pub async fn run_ready(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
    ready: impl FnOnce(),
) -> std::io::Result<()> {
    let engine = open(&config)?;
    ready();
    run_engine(listener, engine, Front::for_config(&config), shutdown).await
}

/// Opens the store named by `config` and loads its seed file, if any. Blocking.
pub fn open(config: &Config) -> std::io::Result<Arc<Engine>> {
    let engine = Arc::new(Engine::open(config).map_err(std::io::Error::other)?);
    if let Some(file) = &config.seed {
        crate::seed::load_file(&engine, file).map_err(|e| {
            std::io::Error::other(e.message.clone().unwrap_or_else(|| e.to_string()))
        })?;
    }
    Ok(engine)
}

/// Serves an open engine with its background tasks (TTL sweeper, replication, jobs) until
/// `shutdown` resolves; then in-flight requests finish, running jobs stop and the store is
/// closed.
pub async fn run_engine(
    listener: TcpListener,
    engine: Arc<Engine>,
    front: Front,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let sweeper = tokio::spawn(sweep(engine.clone()));
    let replicator = tokio::spawn(replicate(engine.clone()));
    let jobs = tokio::spawn(run_jobs(engine.clone()));
    serve_with(listener, engine.clone(), front, shutdown).await;
    sweeper.abort();
    replicator.abort();
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

/// What the front door needs besides the engine.
#[derive(Clone)]
pub struct Front {
    /// `--auth strict`: the keys requests must be signed with (None: signatures not checked).
    pub credentials: Option<Arc<Credentials>>,
    /// Open connections beyond this are answered 503 and closed at once.
    pub max_connections: usize,
    /// API calls waiting for or running on the engine beyond this are refused with 503
    /// ThrottlingException instead of queueing without bound.
    pub engine_queue: Arc<tokio::sync::Semaphore>,
    /// A request head (request line and headers) must arrive within this; a body too.
    pub read_timeout: std::time::Duration,
    /// Request counts and latencies for `/_awsim/metrics`.
    pub metrics: Arc<Metrics>,
}

impl Front {
    /// The front door `config` describes (authentication, limits), with fresh metrics.
    pub fn for_config(config: &Config) -> Front {
        Front {
            credentials: config.credentials.clone().map(Arc::new),
            max_connections: config.max_connections,
            read_timeout: config.read_timeout,
            ..Front::default()
        }
    }
}

impl Default for Front {
    fn default() -> Front {
        Front {
            credentials: None,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            engine_queue: Arc::new(tokio::sync::Semaphore::new(DEFAULT_ENGINE_QUEUE)),
            read_timeout: DEFAULT_READ_TIMEOUT,
            metrics: Arc::new(Metrics::default()),
        }
    }
}

/// Enough for a large test suite's connection pools (and 10,000 idle keep-alive connections).
pub const DEFAULT_MAX_CONNECTIONS: usize = 16_384;
/// Requests in the engine's queue, running or waiting for a blocking thread.
pub const DEFAULT_ENGINE_QUEUE: usize = 4_096;
/// Slow clients (slowloris) give up their connection after this.
pub const DEFAULT_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The accept loop over an already-open engine, permissive (signatures not checked).
pub async fn serve(listener: TcpListener, engine: Arc<Engine>, shutdown: impl Future<Output = ()>) {
    serve_with(listener, engine, Front::default(), shutdown).await
}

/// The accept loop over an already-open engine.
pub async fn serve_with(
    listener: TcpListener,
    engine: Arc<Engine>,
    front: Front,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let watch = Arc::new(Watch::default());
    let watchdog = tokio::spawn(watchdog(watch.clone(), front.read_timeout));
    let mut ids = 0u64;
    let mut builder = hyper::server::conn::http1::Builder::new();
    // An over-long head is refused by hyper itself with 431 (the connection then closes: its
    // stream cannot be resynchronised).
    // A head that does not arrive in time closes the connection: the connection's watchdog
    // does that, not hyper's header timer (armed and dropped for every request).
    builder
        .keep_alive(true)
        .max_header_size(http::MAX_HEAD_BYTES)
        .header_read_timeout(None);
    let connections = Arc::new(tokio::sync::Semaphore::new(front.max_connections));
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
                // Over the connection limit: one 503 and the connection is closed, so a flood
                // of connections cannot exhaust the server.
                let Ok(permit) = connections.clone().try_acquire_owned() else {
                    tokio::spawn(refuse_connection(stream));
                    continue;
                };
                let engine = engine.clone();
                // The health answer names the host the client used; without a Host header
                // (HTTP/1.0), the address it connected to.
                let local: Arc<str> = stream
                    .local_addr()
                    .map_or_else(|_| "localhost".into(), |a| a.to_string().into());
                let front = front.clone();
                let progress = Arc::new(AtomicU64::new(0));
                let steps = progress.clone();
                let service = hyper::service::service_fn(move |req| {
                    let serving = Serving::begin(&steps);
                    handle(engine.clone(), front.clone(), local.clone(), req, serving)
                });
                let conn = builder.serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                ids += 1;
                let (id, watching) = (ids, watch.clone());
                let connection = tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!("connection ended: {e}");
                    }
                    watching.remove(id);
                    drop(permit);
                });
                watch.add(id, progress, connection.abort_handle());
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    graceful.shutdown().await;
    watchdog.abort();
}

/// A connection's steps: each request it serves counts one when hyper hands it over (its head
/// has arrived) and one when its answer is ready, so an odd count means serving.
type Progress = AtomicU64;

/// One request being served, for the connection's watchdog (counted on drop too, so a
/// request given up half-way still ends its step).
struct Serving(Arc<Progress>);

impl Serving {
    fn begin(progress: &Arc<Progress>) -> Serving {
        progress.fetch_add(1, Ordering::Relaxed);
        Serving(progress.clone())
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// The open connections, for the watchdog: each one's progress and its task.
#[derive(Default)]
struct Watch {
    conns: std::sync::Mutex<std::collections::HashMap<u64, Watched>>,
}

struct Watched {
    progress: Arc<Progress>,
    connection: tokio::task::AbortHandle,
    /// The progress at the last look, and how many looks in a row found it unchanged and the
    /// connection waiting for a head.
    seen: u64,
    quiet: u32,
}

/// Looks per read timeout: a connection waiting for a head is closed after this many looks in
/// a row found it so, between one and one and a quarter timeouts after its wait began.
const LOOKS: u32 = 4;

impl Watch {
    fn add(&self, id: u64, progress: Arc<Progress>, connection: tokio::task::AbortHandle) {
        let watched = Watched {
            seen: progress.load(Ordering::Relaxed),
            progress,
            connection,
            quiet: 0,
        };
        self.lock().insert(id, watched);
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<u64, Watched>> {
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One look: closes (ends the task of) every connection found waiting for a head
    /// `LOOKS` looks in a row, and forgets the connections that ended.
    fn look(&self) {
        self.lock().retain(|_, w| {
            if w.connection.is_finished() {
                return false;
            }
            let now = w.progress.load(Ordering::Relaxed);
            if now != w.seen || !now.is_multiple_of(2) {
                w.seen = now;
                w.quiet = 0;
                return true;
            }
            w.quiet += 1;
            if w.quiet < LOOKS {
                return true;
            }
            tracing::debug!("connection closed: no request head within the read timeout");
            w.connection.abort();
            false
        });
    }
}

/// Closes connections that waited a whole `timeout` for a request head: a slow client that
/// never finishes one, or an idle keep-alive connection. One task for all the connections,
/// looking every quarter of the timeout (`Watch::look`). hyper's header timer, which this
/// replaces, armed and dropped a timer for every request; a watchdog task per connection
/// cost about 400 bytes more each (10,000 idle connections: 203 against 199 MiB).
async fn watchdog(watch: Arc<Watch>, timeout: std::time::Duration) {
    loop {
        tokio::time::sleep(timeout / LOOKS).await;
        watch.look();
    }
}

/// The background jobs (backups, restores, exports, imports): those left unfinished by an
/// earlier run a moment after the start (100 ms, or sooner if a request queues one: the first
/// requests have the start to themselves), then each as soon as a request queues it (or within
/// a second). Each runs on a thread of its own, not on the blocking pool: that pool is sized for
/// requests (one thread per core), and a long job there would take a request's place for its
/// whole length.
async fn run_jobs(engine: Arc<Engine>) {
    let _ = tokio::time::timeout(
        std::time::Duration::from_millis(100),
        engine.jobs_ready.notified(),
    )
    .await;
    loop {
        let pending = {
            let engine = engine.clone();
            tokio::task::spawn_blocking(move || engine.pending_jobs()).await
        };
        match pending {
            Ok(Ok(jobs)) => {
                for job in jobs {
                    if engine.claim_job(&job) {
                        let runner = engine.clone();
                        let claimed = job.clone();
                        // The job's S3 calls run on this runtime (`objects.rs`).
                        let handle = tokio::runtime::Handle::current();
                        let spawned =
                            std::thread::Builder::new()
                                .name("awsim-job".into())
                                .spawn(move || {
                                    let _runtime = handle.enter();
                                    runner.run_job(&claimed)
                                });
                        if let Err(e) = spawned {
                            tracing::warn!("starting a background job failed: {e}");
                            engine.release_job(&job);
                        }
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

/// The answer to a connection over the limit: a 503 ThrottlingException, then close.
async fn refuse_connection(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    let r = protocol::render(Err(crate::error::Error::new(
        crate::error::ErrorKind::Throttling,
        "Rate of requests exceeds the allowed throughput.",
    )));
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\nx-amzn-requestid: {}\r\nx-amz-crc32: {}\r\nconnection: close\r\n\r\n",
        r.body.len(),
        r.request_id,
        r.crc32
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&r.body).await;
    let _ = stream.shutdown().await;
}

/// Background upkeep, once a second: TTL deletions (bounded batches, each its own short write
/// transaction), and once a minute the 24-hour stream retention and the PITR recovery periods.
async fn sweep(engine: Arc<Engine>) {
    let period = std::time::Duration::from_secs(1);
    // The first round one period in: the first requests have the start to themselves.
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for n in 0u64.. {
        tick.tick().await;
        let _shared = engine.gate.read().await;
        let engine = engine.clone();
        let result = tokio::task::spawn_blocking(move || {
            engine.sweep_ttl()?;
            if n % 60 == 0 {
                engine.purge_streams()?;
                engine.purge_tombstones()?;
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

/// Global-table replication (engine/replication.rs): every 100 ms, the writes queued for other
/// regions are applied, each batch in its own short write transaction, so a writer never waits
/// for replication; what a restart interrupted is picked up on the first round.
async fn replicate(engine: Arc<Engine>) {
    let period = std::time::Duration::from_millis(100);
    // The first round one period in: the first requests have the start to themselves.
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let _shared = engine.gate.read().await;
        let engine = engine.clone();
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || engine.replicate()).await {
            tracing::warn!("replication failed: {e:?}");
        }
    }
}

/// Every response goes out through here: the request routed, then the headers the endpoint
/// sends on every answer (`Server`, CORS).
/// `serving` ends when the answer is ready (it is an argument, not a wrapping future: hyper
/// keeps room for this future in every connection, idle ones included, and a future wrapping
/// another holds it twice).
async fn handle(
    engine: Arc<Engine>,
    front: Front,
    local: Arc<str>,
    req: Request<Incoming>,
    serving: Serving,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    // Browsers send `Origin` with every cross-origin request; the SDKs outside one do not, and
    // their answers need no CORS headers.
    let cors = req.headers().contains_key(ORIGIN);
    let mut resp = route(engine, &front, &local, req).await;
    let h = resp.headers_mut();
    h.insert(SERVER, HeaderValue::from_static(http::SERVER));
    if cors {
        h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        h.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(http::CORS_EXPOSE_HEADERS),
        );
    }
    drop(serving);
    Ok(resp)
}

/// The endpoint's routes: CORS preflight (`OPTIONS`, any path), the admin API, `GET /` health,
/// and the API (`POST /`). Anything else is a 4xx: 414 for an over-long URI, 404 for another
/// path, 405 for another method on `/`.
async fn route(
    engine: Arc<Engine>,
    front: &Front,
    local: &str,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let path = req.uri().path();
    let method = req.method().clone();
    if (path.starts_with("/_awsim/") || path == "/_awsim/ui") && method != Method::OPTIONS {
        return crate::admin::handle(engine, &front.metrics, req).await;
    }
    let uri_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    let resp = if method == Method::OPTIONS {
        preflight(&req)
    } else if uri_len > http::MAX_URI_BYTES {
        plain(StatusCode::URI_TOO_LONG, "URI Too Long".into())
    } else if path != "/" {
        plain(StatusCode::NOT_FOUND, "Not Found".into())
    } else if method == Method::POST {
        return api(engine, front, req).await;
    } else if method == Method::GET || method == Method::HEAD {
        let host = req
            .headers()
            .get(HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(local);
        plain(StatusCode::OK, http::health_body(host))
    } else {
        let mut resp = plain(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed".into());
        resp.headers_mut()
            .insert(ALLOW, HeaderValue::from_static(http::CORS_ALLOW_METHODS));
        resp
    };
    discard_body(req).await;
    resp
}

/// Reads and drops a small body that nobody needs (a preflight's, a 404's), so the connection
/// can carry the next request; a large one is left unread and the connection closes after the
/// answer.
async fn discard_body(req: Request<Incoming>) {
    const SMALL: usize = 64 * 1024;
    if req
        .body()
        .size_hint()
        .upper()
        .is_none_or(|n| n <= SMALL as u64)
    {
        let _ = Limited::new(req.into_body(), SMALL).collect().await;
    }
}

/// One API call: the body read (refused by its declared length before reading, or as soon as it
/// passes the cap while reading), decoded per `Content-Encoding` (capped again), dispatched, and
/// the answer compressed when the client accepts it and it is large enough.
async fn api(engine: Arc<Engine>, front: &Front, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let content_type = header("content-type");
    let target = header("x-amz-target");
    let mut headers = crate::dispatch::Headers {
        operation: protocol::resolve_target(target),
        scope: crate::model::Scope::from_authorization(header("authorization")),
        host: header("host").map(str::to_string),
        verified: None,
    };
    let label = protocol::operation_label(target, &headers.operation);
    // Strict mode signs over the request as sent: its method, path, query and every header.
    let signed_parts = front.credentials.as_ref().map(|_| {
        let all: Vec<(String, String)> = parts
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        (
            parts.method.as_str().to_string(),
            parts.uri.path().to_string(),
            parts.uri.query().unwrap_or_default().to_string(),
            all,
        )
    });
    let content_encoding = header("content-encoding");
    let accept = http::response_coding(header("accept-encoding"));
    let declared = body.size_hint().exact();
    if declared.is_some_and(|n| n > protocol::MAX_BODY_BYTES as u64) {
        // Not reading the body means the connection cannot carry another request.
        return closing(to_http(too_large(), None));
    }
    // A small body has usually arrived with the head: taken at once, it needs no timer.
    let mut collect = std::pin::pin!(Limited::new(body, protocol::MAX_BODY_BYTES).collect());
    let collected = match futures_util::FutureExt::now_or_never(&mut collect) {
        Some(done) => Ok(done),
        None => tokio::time::timeout(front.read_timeout, collect).await,
    };
    let Ok(collected) = collected else {
        // A body that trickles in slower than the timeout: the connection is given up.
        return closing(plain(StatusCode::REQUEST_TIMEOUT, "Request Timeout".into()));
    };
    let raw = match collected {
        Ok(b) => b.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return closing(to_http(too_large(), None));
        }
        // The client went away or sent a malformed chunked body: nobody reads an answer.
        Err(_) => return closing(plain(StatusCode::BAD_REQUEST, "Bad Request".into())),
    };
    if let (Some(creds), Some((method, path, query, all))) = (&front.credentials, &signed_parts) {
        let signed = auth::SignedRequest {
            method,
            path,
            query,
            headers: all,
            body: &raw,
        };
        headers.verified = Some(auth::verify(&signed, creds, engine.now()));
    }
    let body = match http::request_coding(content_encoding) {
        Ok(None) => raw,
        Ok(Some(coding)) => match http::decode(coding, &raw, protocol::MAX_BODY_BYTES) {
            Ok(decoded) => Bytes::from(decoded),
            Err(e) => return to_http(protocol::render(Err(e.into_error())), None),
        },
        Err(e) => return to_http(protocol::render(Err(e.into_error())), None),
    };
    // STS's query protocol (GetCallerIdentity) on the same endpoint.
    if protocol::query::is_query(target, content_type) {
        let r = crate::dispatch::handle_query(&headers, &body);
        observe(&front.metrics, "sts", &r, started);
        return to_http(r, None);
    }
    // The engine's queue is bounded: beyond it, a retryable refusal rather than a backlog.
    let Ok(_queued) = front.engine_queue.clone().try_acquire_owned() else {
        let r = protocol::render(Err(crate::error::Error::new(
            crate::error::ErrorKind::Throttling,
            "Rate of requests exceeds the allowed throughput.",
        )));
        observe(&front.metrics, label, &r, started);
        return to_http(r, None);
    };
    // One id per request: the span carries it to every line logged while the operation runs,
    // the answer carries it in `x-amzn-RequestId`.
    let request_id = protocol::request_id();
    let span = tracing::info_span!("request", request_id = %request_id);
    let in_flight = engine.gate.read().await;
    let mut r = crate::dispatch::handle(engine.clone(), headers, body)
        .instrument(span)
        .await;
    drop(in_flight);
    r.request_id = request_id;
    observe(&front.metrics, label, &r, started);
    let coding = http::compress(&mut r, accept);
    to_http(r, coding)
}

/// Counts an answered API request in the metrics and logs its line (`awsim::request`, info):
/// request id, operation, status, error type and time taken.
fn observe(metrics: &Metrics, label: &str, r: &protocol::Response, started: Instant) {
    let elapsed = started.elapsed();
    let error = protocol::error_type(r);
    let operation = match error {
        Some("UnknownOperationException") => "unknown",
        _ => label,
    };
    metrics.record(operation, error, elapsed);
    tracing::info!(
        target: "awsim::request",
        request_id = %r.request_id,
        operation,
        status = r.status,
        error = error.unwrap_or(""),
        ms = elapsed.as_secs_f64() * 1000.0,
    );
}

fn too_large() -> protocol::Response {
    protocol::render(Err(http::BodyError::TooLarge.into_error()))
}

/// A CORS preflight: any origin may call the API with the headers the SDKs send (and whatever
/// else the browser asks for).
fn preflight(req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::new()));
    let h = resp.headers_mut();
    h.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(http::CORS_ALLOW_METHODS),
    );
    let asked = req
        .headers()
        .get(ACCESS_CONTROL_REQUEST_HEADERS)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let allowed = match asked {
        Some(asked) => HeaderValue::from_str(&format!("{}, {asked}", http::CORS_ALLOW_HEADERS)),
        None => Ok(HeaderValue::from_static(http::CORS_ALLOW_HEADERS)),
    };
    h.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        allowed.unwrap_or(HeaderValue::from_static(http::CORS_ALLOW_HEADERS)),
    );
    h.insert(
        ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(http::CORS_MAX_AGE),
    );
    resp
}

/// A short text answer (health, and the 4xx of paths and methods that are not the API).
fn plain(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(text)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// Marks an answer sent without reading the whole request body: the connection closes after it.
fn closing(mut resp: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    resp.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    resp
}

fn to_http(r: protocol::Response, coding: Option<http::Coding>) -> Response<Full<Bytes>> {
    const REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
    const CRC32: HeaderName = HeaderName::from_static("x-amz-crc32");
    let mut resp = Response::new(Full::new(Bytes::from(r.body)));
    *resp.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    // These, the three `handle` adds and hyper's content-length, in one allocation.
    h.reserve(10);
    h.insert(CONTENT_TYPE, HeaderValue::from_static(r.content_type));
    if let Ok(v) = HeaderValue::from_maybe_shared(Bytes::from(r.request_id)) {
        h.insert(REQUEST_ID, v);
    }
    h.insert(CRC32, r.crc32.into());
    if let Some(coding) = coding {
        h.insert(CONTENT_ENCODING, HeaderValue::from_static(coding.name()));
    }
    // Whether an answer is compressed depends on the request's Accept-Encoding (for caches).
    h.insert(VARY, HeaderValue::from_static("accept-encoding"));
    resp
}

#[cfg(test)]
mod tests {
    use super::{Progress, Watch, LOOKS};
    use std::sync::atomic::Ordering;
    use std::sync::Arc;

    // A connection serving a request is never closed, however many looks; once it waits for
    // the next head, the look that finds it so for the LOOKS-th time in a row closes it.
    // A connection that ended on its own is forgotten.
    #[tokio::test]
    async fn the_watchdog_closes_connections_waiting_for_a_head_only() {
        let watch = Watch::default();
        let progress = Arc::new(Progress::new(0));
        progress.fetch_add(1, Ordering::Relaxed); // a head arrived: serving
        let connection = tokio::spawn(std::future::pending::<()>());
        watch.add(1, progress.clone(), connection.abort_handle());
        let ended = tokio::spawn(async {});
        let ended_handle = ended.abort_handle();
        let _ = ended.await;
        watch.add(2, Arc::new(Progress::new(0)), ended_handle);
        for _ in 0..10 * LOOKS {
            watch.look();
        }
        assert!(!connection.is_finished());
        assert_eq!(watch.lock().len(), 1);
        progress.fetch_add(1, Ordering::Relaxed); // answered: waiting for the next head
        for _ in 0..LOOKS {
            watch.look();
            assert!(!connection.is_finished());
        }
        watch.look();
        assert!(watch.lock().is_empty());
        assert!(connection.await.unwrap_err().is_cancelled());
    }
}
