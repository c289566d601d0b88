//! `awsim::Server`: awsim started inside another program, for its tests. It listens on a free
//! loopback port, runs on a runtime and threads of its own (so it works the same from a plain
//! `#[test]`, a current-thread `#[tokio::test]` or any other executor), and stops when dropped:
//! in-flight requests finish and the store is closed. Built on `server::open` and
//! `server::run_engine`, exactly what the binary runs; nothing here knows DynamoDB.
//!
//! The SDK is not a dependency of awsim: point any SDK at [`Server::endpoint_url`] in
//! [`Server::region`] with any credentials (awsim checks none by default).
//!
//! ```
//! use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = awsim::Server::start()?; // in memory, on 127.0.0.1:<free port>
//! let config = aws_sdk_dynamodb::Config::builder()
//!     .behavior_version(BehaviorVersion::latest())
//!     .endpoint_url(server.endpoint_url())
//!     .region(Region::new(server.region().to_string()))
//!     .credentials_provider(Credentials::new("test", "test", None, None, "awsim"))
//! #   .http_client(aws_smithy_http_client::Builder::new().build_http())
//!     .build();
//! let client = aws_sdk_dynamodb::Client::from_conf(config);
//! let tables = client.list_tables().send().await?;
//! assert!(tables.table_names().is_empty());
//! # Ok(())
//! # }
//! ```
use crate::engine::Engine;
use crate::storage::SnapshotInfo;
use crate::Config;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// A running awsim; dropping it stops it.
pub struct Server {
    addr: SocketAddr,
    region: String,
    engine: Arc<Engine>,
    runtime: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

/// Settings for [`Server::builder`]; every one has a default.
#[derive(Debug, Clone)]
pub struct Builder {
    data_dir: Option<PathBuf>,
    seed: Option<PathBuf>,
    region: String,
    port: u16,
}

impl Builder {
    /// Persist under `dir` (`dir/dynamodb.db`) instead of in memory; a later server on the same
    /// directory sees the same data.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.data_dir = Some(dir.into());
        self
    }

    /// Load tables and items from a seed file before the first request (`--seed`).
    pub fn seed(mut self, file: impl Into<PathBuf>) -> Builder {
        self.seed = Some(file.into());
        self
    }

    /// The region [`Server::region`] reports (default `us-east-1`). awsim serves every
    /// region; this is only what a client configured from this server uses.
    pub fn region(mut self, region: impl Into<String>) -> Builder {
        self.region = region.into();
        self
    }

    /// Listen on this loopback port instead of a free one.
    pub fn port(mut self, port: u16) -> Builder {
        self.port = port;
        self
    }

    /// Opens the store (and loads the seed), binds the port and starts serving. Returns once
    /// the server accepts connections.
    pub fn start(self) -> std::io::Result<Server> {
        // As the binary does: the service models parse while the store opens.
        std::thread::spawn(crate::protocol::shape::load_models);
        let config = Config {
            host: "127.0.0.1".into(),
            port: self.port,
            in_memory: self.data_dir.is_none(),
            data_dir: self.data_dir.unwrap_or_else(|| PathBuf::from(".awsim")),
            seed: self.seed,
            ..Config::in_memory()
        };
        let listener = std::net::TcpListener::bind((config.host.as_str(), config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(cores.max(2))
            .thread_name("awsim")
            .enable_all()
            .build()?;
        let engine = crate::server::open(&config)?;
        let front = crate::server::Front::for_config(&config);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handle = runtime.handle().clone();
        let serving = engine.clone();
        // The listener is registered with the runtime inside it, on the server's own thread.
        let thread = std::thread::Builder::new()
            .name("awsim-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)?;
                    crate::server::run_engine(listener, serving, front, async {
                        let _ = stopped.await;
                    })
                    .await
                })
            })?;
        Ok(Server {
            addr,
            region: self.region,
            engine,
            runtime: handle,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Server {
    /// An in-memory server on a free loopback port.
    pub fn start() -> std::io::Result<Server> {
        Server::builder().start()
    }

    /// Settings other than the defaults (a data directory, a seed file, a region, a port).
    pub fn builder() -> Builder {
        Builder {
            data_dir: None,
            seed: None,
            region: "us-east-1".into(),
            port: 0,
        }
    }

    /// `http://127.0.0.1:<port>`: the SDK's `endpoint_url`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The region to configure clients with.
    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Snapshots the whole database (every account and region) under `name`, replacing a
    /// snapshot of that name; as `POST /_awsim/snapshots`.
    pub fn snapshot(&self, name: &str) -> std::io::Result<SnapshotInfo> {
        let work = crate::admin::snapshot(self.engine.clone(), name.to_string());
        self.on_server(work)?.map_err(std::io::Error::other)
    }

    /// Puts the whole database back as the snapshot `name` saw it (an error when there is no
    /// such snapshot); as `POST /_awsim/snapshots/<name>/restore`. Requests in flight finish
    /// first; later ones see the restored data.
    pub fn restore(&self, name: &str) -> std::io::Result<SnapshotInfo> {
        let work = crate::admin::restore(self.engine.clone(), name.to_string());
        match self.on_server(work)? {
            Ok(Some(info)) => Ok(info),
            Ok(None) => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no snapshot named {name:?}"),
            )),
            Err(e) => Err(std::io::Error::other(e)),
        }
    }

    /// Stops the server: in-flight requests finish, the store is closed. Dropping the server
    /// does the same; this also reports a failure.
    pub fn stop(mut self) -> std::io::Result<()> {
        self.shutdown()
    }

    /// Runs `work` on the server's runtime and waits for it on this thread, whatever runtime
    /// (if any) this thread belongs to.
    fn on_server<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> std::io::Result<T> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.runtime.spawn(async move {
            let _ = tx.send(work.await);
        });
        rx.recv()
            .map_err(|_| std::io::Error::other("the server has stopped"))
    }

    fn shutdown(&mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(std::io::Error::other("the server thread panicked")),
            None => Ok(()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            tracing::warn!("awsim server stopped with an error: {e}");
        }
    }
}
