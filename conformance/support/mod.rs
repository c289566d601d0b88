//! What the end-to-end test files (`sdk.rs`, `streams.rs`, `concurrency.rs`) share: a real
//! awsim server in-process on a free port (in memory or on a data dir), SDK clients pointed at
//! it, the admin clock, and small builders for key schemas and tables. Each test file is its own
//! crate and uses only part of this, hence `dead_code` is allowed here.
#![allow(dead_code)]
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use std::path::PathBuf;

/// A running server; dropping it (or `shutdown`) stops it.
pub struct Server {
    pub addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Starts awsim on `127.0.0.1:0`: in memory, or persisted under `data_dir`.
pub async fn start(data_dir: Option<PathBuf>) -> Server {
    let mut config = awsim::Config::in_memory();
    if let Some(dir) = data_dir {
        config.in_memory = false;
        config.data_dir = dir;
    }
    start_with(config).await
}

/// Starts awsim on `127.0.0.1:0` with `config` (its host and port are ignored).
pub async fn start_with(config: awsim::Config) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(awsim::server::run(listener, config, async {
        let _ = rx.await;
    }));
    Server { addr, stop, done }
}

/// A fresh directory under the system temp dir, named after `what`, this process and the time.
pub fn temp_dir(what: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("awsim-{what}-{}-{nanos}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

impl Server {
    /// A server started by the caller (with its own configuration).
    pub fn from_parts(
        addr: std::net::SocketAddr,
        stop: tokio::sync::oneshot::Sender<()>,
        done: tokio::task::JoinHandle<std::io::Result<()>>,
    ) -> Server {
        Server { addr, stop, done }
    }

    /// Stops the server and waits until its store is closed.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        self.done.await.unwrap().unwrap();
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        self.dynamodb_in("us-east-1")
    }

    /// A DynamoDB client for another region (same account).
    pub fn dynamodb_in(&self, region: &str) -> aws_sdk_dynamodb::Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .endpoint_url(format!("http://{}", self.addr))
            .credentials_provider(Credentials::new("test", "test", None, None, "static"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }

    pub fn streams(&self) -> aws_sdk_dynamodbstreams::Client {
        use aws_sdk_dynamodbstreams::config as c;
        let config = aws_sdk_dynamodbstreams::Config::builder()
            .behavior_version(c::BehaviorVersion::latest())
            .region(c::Region::new("us-east-1"))
            .endpoint_url(format!("http://{}", self.addr))
            .credentials_provider(c::Credentials::new("test", "test", None, None, "static"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build();
        aws_sdk_dynamodbstreams::Client::from_conf(config)
    }

    /// An STS client on the same endpoint, with the given access key.
    pub fn sts(&self, access_key: &str) -> aws_sdk_sts::Client {
        use aws_sdk_sts::config as c;
        let config = aws_sdk_sts::Config::builder()
            .behavior_version(c::BehaviorVersion::latest())
            .region(c::Region::new("us-east-1"))
            .endpoint_url(format!("http://{}", self.addr))
            .credentials_provider(c::Credentials::new(
                access_key, "secret", None, None, "static",
            ))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build();
        aws_sdk_sts::Client::from_conf(config)
    }

    /// Moves the server's clock forward (the TTL sweeper runs at the new time before it answers).
    pub async fn advance(&self, seconds: u64) -> serde_json::Value {
        reqwest::Client::new()
            .post(format!("http://{}/_awsim/clock", self.addr))
            .body(format!(r#"{{"advance_seconds": {seconds}}}"#))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

impl Server {
    /// The server's clock (epoch seconds).
    pub async fn now(&self) -> f64 {
        let v: serde_json::Value = reqwest::Client::new()
            .get(format!("http://{}/_awsim/clock", self.addr))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["now"].as_f64().unwrap()
    }

    /// Moves the clock by a fractional number of seconds.
    pub async fn advance_by(&self, seconds: f64) {
        reqwest::Client::new()
            .post(format!("http://{}/_awsim/clock", self.addr))
            .body(format!(r#"{{"advance_seconds": {seconds}}}"#))
            .send()
            .await
            .unwrap();
    }
}

/// Polls `check` until it returns Some (bounded: 3000 tries, 10 ms apart, never a fixed
/// sleep standing in for a state), panicking with `what` when it never does.
pub async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..3000 {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

pub fn key(name: &str, ty: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(ty)
        .build()
        .unwrap()
}

pub fn def(name: &str, ty: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ty)
        .build()
        .unwrap()
}

/// A PAY_PER_REQUEST table keyed by `pk` (S) alone, ready for more settings before `send`.
pub fn hash_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
) -> aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder {
    client
        .create_table()
        .table_name(name)
        .key_schema(key("pk", KeyType::Hash))
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .billing_mode(BillingMode::PayPerRequest)
}
