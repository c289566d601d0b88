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
    /// Log filter: error, warn, info, debug, trace (or a tracing directive).
    #[arg(long, env = "AWSIM_LOG_LEVEL", default_value = "info")]
    log_level: String,
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
    // Engine work runs on tokio's blocking threads. One per core: more only contend for the
    // store's connections and its write lock, and their context switches cost more than the
    // work itself (GetItem at 16 concurrent requests: 46k/s with tokio's default of 512
    // threads, 60k/s with 2, on 2 cores).
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(cores.max(2))
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(serve()),
        Err(e) => {
            eprintln!("awsim: cannot start the runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve() -> std::process::ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&args.log_level)
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let credentials = match args.auth.as_str() {
        "strict" => match strict_credentials(&args) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("awsim: {e}");
                return std::process::ExitCode::FAILURE;
            }
        },
        _ => None,
    };
    let config = Config {
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
        s3_endpoint: args.s3_endpoint,
    };
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
    let ready = move || println!("awsim listening on http://{addr} (storage: {storage})");
    match awsim::server::run_ready(listener, config, shutdown_signal(), ready).await {
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
