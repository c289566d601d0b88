//! Runtime configuration, filled by `main.rs` from flags and `AWSIM_*` variables.
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    pub port: u16,
    /// Where `dynamodb.db` lives; ignored when `in_memory`.
    pub data_dir: PathBuf,
    pub in_memory: bool,
    pub log_level: String,
    /// A JSON file of tables and items loaded at start-up (`seed.rs`), idempotently.
    pub seed: Option<PathBuf>,
    /// An S3-compatible endpoint for exports (path-style); None: the local directory
    /// `{data_dir}/s3` (a temporary directory for an in-memory run).
    pub s3_endpoint: Option<String>,
    /// `--auth strict`: the keys requests must be signed with. None: permissive (signatures
    /// are not checked; the access key and region only scope the request).
    pub credentials: Option<crate::protocol::auth::Credentials>,
    /// `--max-db-size`: the database may not grow past this many bytes; writes beyond fail as
    /// on a full disk (InternalServerError, nothing written) while reads go on.
    pub max_db_bytes: Option<u64>,
    /// `--max-connections`: open connections beyond this are answered 503 and closed.
    pub max_connections: usize,
    /// `--read-timeout`: a request's head, and then its body, must arrive within this.
    pub read_timeout: std::time::Duration,
    /// Provisioned throughput and on-demand maximums are enforced (`--no-throttle` turns this
    /// off; capacity is still metered and reported).
    pub throttle: bool,
}

impl Config {
    /// A throwaway in-memory store: what tests and the conformance replayer use.
    pub fn in_memory() -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: 0,
            data_dir: PathBuf::from(".awsim"),
            in_memory: true,
            log_level: "warn".into(),
            seed: None,
            s3_endpoint: None,
            credentials: None,
            max_db_bytes: None,
            max_connections: crate::server::DEFAULT_MAX_CONNECTIONS,
            read_timeout: crate::server::DEFAULT_READ_TIMEOUT,
            throttle: true,
        }
    }
}
