//! The `awsim` binary: flags and `AWSIM_*` variables -> Config, logging, bind, serve until
//! SIGINT/SIGTERM. Everything else lives in the library.
use awsim::Config;
use clap::Parser;
use std::path::PathBuf;

/// A DynamoDB-compatible emulator: point any AWS SDK, the AWS CLI or Terraform at it.
#[derive(Parser, Debug)]
#[command(name = "awsim", version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "AWSIM_HOST", default_value = "0.0.0.0")]
    host: String,
    /// Port to listen on.
    #[arg(long, env = "AWSIM_PORT", default_value_t = 4566)]
    port: u16,
    /// Directory holding the persistent SQLite database (dynamodb.db).
    #[arg(long, env = "AWSIM_DATA_DIR", default_value = "./.awsim")]
    data_dir: PathBuf,
    /// Keep everything in memory: nothing survives a restart.
    #[arg(long, env = "AWSIM_IN_MEMORY")]
    in_memory: bool,
    /// Log filter: error, warn, info, debug, trace (or a tracing directive). At info, every
    /// API request logs one line with its request id (the `x-amzn-RequestId` answered).
    #[arg(long, env = "AWSIM_LOG_LEVEL", default_value = "info")]
    log_level: String,
    /// Log lines as text or as JSON objects (one per line; a request's lines carry its
    /// `request_id`).
    #[arg(long, env = "AWSIM_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
    /// A JSON file of tables and items to load at start-up (README, "Seeding"). Idempotent:
    /// existing tables are kept, items overwritten.
    #[arg(long, env = "AWSIM_SEED")]
    seed: Option<PathBuf>,
    /// An S3-compatible endpoint (path-style, e.g. http://localhost:9000) for exports; default:
    /// buckets are directories under {data-dir}/s3 (a temporary directory with --in-memory).
    #[arg(long, env = "AWSIM_S3_ENDPOINT")]
    s3_endpoint: Option<String>,
    /// Request authentication: `permissive` (signatures not checked; the access key and region
    /// only scope the request) or `strict` (SigV4 verified against the configured credentials,
    /// refused with the service's errors).
    #[arg(long, env = "AWSIM_AUTH", default_value = "permissive", value_parser = ["permissive", "strict"])]
    auth: String,
    /// With `--auth strict`: a file of credentials, one `ACCESS_KEY_ID SECRET [ACCOUNT]` per
    /// line. Without it, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are the one key accepted.
    #[arg(long, env = "AWSIM_CREDENTIALS")]
    credentials: Option<PathBuf>,
    /// Cap the database at this many MiB: writes past it fail as on a full disk, reads go on.
    #[arg(long, env = "AWSIM_MAX_DB_SIZE")]
    max_db_size: Option<u64>,
    /// Open connections beyond this are answered 503 ThrottlingException and closed.
    #[arg(long, env = "AWSIM_MAX_CONNECTIONS", default_value_t = awsim::server::DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    /// Seconds a client may take to send a request's head, and then its body, before its
    /// connection is closed.
    #[arg(long, env = "AWSIM_READ_TIMEOUT", default_value_t = awsim::server::DEFAULT_READ_TIMEOUT.as_secs())]
    read_timeout: u64,
    /// Never throttle: provisioned throughput and on-demand maximums are not enforced
    /// (ConsumedCapacity is still computed and reported).
    #[arg(long, env = "AWSIM_NO_THROTTLE")]
    no_throttle: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

/// The credentials strict mode accepts, from `--credentials` or the AWS_* pair.
fn strict_credentials(args: &Args) -> Result<awsim::protocol::auth::Credentials, String> {
    use awsim::protocol::auth::Credentials;
    let creds = match &args.credentials {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Credentials::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => {
            let mut creds = Credentials::new();
            if let (Ok(key), Ok(secret)) = (
                std::env::var("AWS_ACCESS_KEY_ID"),
                std::env::var("AWS_SECRET_ACCESS_KEY"),
            ) {
                creds.insert(&key, &secret, None);
            }
            creds
        }
    };
    if creds.is_empty() {
        return Err("--auth strict needs credentials: --credentials FILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into());
    }
    Ok(creds)
}

/// mimalloc rather than glibc's malloc: a request allocates and frees many small buffers on
/// two threads, where glibc spent an eighth of GetItem's CPU (`cargo xtask bench`, issue 19).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    init_logs(&args);
    let config = match config(args) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("awsim: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // The store opens (and the seed loads) on a thread of its own while this one starts the
    // runtime, binds the port and parses the service models: none of these needs another.
    let opening = {
        let config = config.clone();
        std::thread::spawn(move || awsim::server::open(&config))
    };
    // Engine work runs on tokio's blocking threads. One per core: more only contend for the
    // store's connections and its write lock, and their context switches cost more than the
    // work itself (GetItem at 16 concurrent requests: 46k/s with tokio's default of 512
    // threads, 60k/s with 2, on 2 cores).
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(cores)
        .max_blocking_threads(cores.max(2))
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(serve(config, opening)),
        Err(e) => {
            eprintln!("awsim: cannot start the runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logs(args: &Args) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(&args.log_level).unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match args.log_format {
        LogFormat::Text => logs.init(),
        // Event fields at the top level (`request_id` of a request's line among them); the
        // enclosing request's span, with its id, under `span`.
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

fn config(args: Args) -> Result<Config, String> {
    let credentials = match args.auth.as_str() {
        "strict" => Some(strict_credentials(&args)?),
        _ => None,
    };
    Ok(Config {
        credentials,
        max_db_bytes: args.max_db_size.map(|mib| mib * 1024 * 1024),
        max_connections: args.max_connections.max(1),
        read_timeout: std::time::Duration::from_secs(args.read_timeout.max(1)),
        throttle: !args.no_throttle,
        host: args.host,
        port: args.port,
        data_dir: args.data_dir,
        in_memory: args.in_memory,
        log_level: args.log_level,
        seed: args.seed,
        s3_endpoint: args.s3_endpoint,
    })
}

type Opening = std::thread::JoinHandle<std::io::Result<std::sync::Arc<awsim::engine::Engine>>>;

async fn serve(config: Config, opening: Opening) -> std::process::ExitCode {
    let listener = match tokio::net::TcpListener::bind((config.host.as_str(), config.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "awsim: cannot listen on {}:{}: {e}",
                config.host, config.port
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    // The models are needed by the first request; the store is still opening meanwhile.
    awsim::protocol::shape::load_models();
    // Nothing else runs on this thread yet: waiting here holds up no task.
    let engine = match opening.join() {
        Ok(Ok(engine)) => engine,
        Ok(Err(e)) => {
            eprintln!("awsim: {e}");
            return std::process::ExitCode::FAILURE;
        }
        Err(_) => {
            eprintln!("awsim: opening the store failed unexpectedly");
            return std::process::ExitCode::FAILURE;
        }
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let storage = if config.in_memory {
        "in memory".to_string()
    } else {
        config.data_dir.join("dynamodb.db").display().to_string()
    };
    // The address line is printed once the store is open: a client that reads it can connect.
    println!("awsim listening on http://{addr} (storage: {storage})");
    let front = awsim::server::Front::for_config(&config);
    match awsim::server::run_engine(listener, engine, front, shutdown_signal()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("awsim: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
