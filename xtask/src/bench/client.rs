//! The load generator's HTTP side: one keep-alive HTTP/1.1 connection per worker (hyper's
//! low-level `client::conn::http1`, no pool, `TCP_NODELAY`), raw AWS JSON 1.0 requests with fixed
//! SigV4-shaped headers. No AWS SDK and no JSON building here, so the client stays cheap next to
//! the servers it measures. Knows nothing about workloads or servers.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A fixed date: no server checks signatures, but dynoxide requires the header.
const AMZ_DATE: &str = "20260101T000000Z";
const AUTH: &str = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, \
                    SignedHeaders=host;x-amz-date, Signature=0";

/// The operations the benchmark sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    ListTables,
    CreateTable,
    DescribeTable,
    PutItem,
    GetItem,
    Query,
    Scan,
    BatchWriteItem,
    TransactWriteItems,
    ExecuteStatement,
    ListStreams,
    DescribeStream,
    GetShardIterator,
    GetRecords,
    SearchVectors,
}

impl Op {
    /// The `X-Amz-Target` value, static so a request builds no header string.
    fn target(self) -> &'static str {
        match self {
            Op::ListTables => "DynamoDB_20120810.ListTables",
            Op::CreateTable => "DynamoDB_20120810.CreateTable",
            Op::DescribeTable => "DynamoDB_20120810.DescribeTable",
            Op::PutItem => "DynamoDB_20120810.PutItem",
            Op::GetItem => "DynamoDB_20120810.GetItem",
            Op::Query => "DynamoDB_20120810.Query",
            Op::Scan => "DynamoDB_20120810.Scan",
            Op::BatchWriteItem => "DynamoDB_20120810.BatchWriteItem",
            Op::TransactWriteItems => "DynamoDB_20120810.TransactWriteItems",
            Op::ExecuteStatement => "DynamoDB_20120810.ExecuteStatement",
            Op::SearchVectors => "DynamoDB_20120810.SearchVectors",
            Op::ListStreams => "DynamoDBStreams_20120810.ListStreams",
            Op::DescribeStream => "DynamoDBStreams_20120810.DescribeStream",
            Op::GetShardIterator => "DynamoDBStreams_20120810.GetShardIterator",
            Op::GetRecords => "DynamoDBStreams_20120810.GetRecords",
        }
    }
}

/// One answer: its status and whole body.
pub struct Reply {
    pub status: u16,
    pub body: Bytes,
}

impl Reply {
    pub fn ok(&self) -> bool {
        self.status == 200
    }

    /// A short description of a failed answer: the `__type` after its `#`, else the status.
    pub fn error_text(&self) -> String {
        let kind = serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v.get("__type")?.as_str().map(str::to_string));
        match kind {
            Some(t) => t.rsplit('#').next().unwrap_or(&t).to_string(),
            None => format!("HTTP {}", self.status),
        }
    }
}

/// A keep-alive connection to one server, reopened when the server drops it.
pub struct Conn {
    addr: SocketAddr,
    host: HeaderValue,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Conn {
        let host = HeaderValue::from_str(&addr.to_string()).expect("an address is a valid header");
        Conn {
            addr,
            host,
            sender: None,
        }
    }

    /// Sends one request and reads the whole answer. A transport failure is an `Err` and drops
    /// the connection, so the next call opens a new one.
    pub async fn call(&mut self, op: Op, body: impl Into<Bytes>) -> Result<Reply, String> {
        let result = self.try_call(op, body.into()).await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    async fn try_call(&mut self, op: Op, body: Bytes) -> Result<Reply, String> {
        let sender = match &mut self.sender {
            Some(s) if !s.is_closed() => s,
            _ => self.sender.insert(connect(self.addr).await?),
        };
        sender
            .ready()
            .await
            .map_err(|e| format!("connection: {e}"))?;
        let request = hyper::Request::post("/")
            .header(HOST, self.host.clone())
            .header(CONTENT_TYPE, "application/x-amz-json-1.0")
            .header("x-amz-target", op.target())
            .header("x-amz-date", AMZ_DATE)
            .header(AUTHORIZATION, AUTH)
            .body(Full::new(body))
            .map_err(|e| format!("request: {e}"))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("send: {e}"))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        Ok(Reply { status, body })
    }
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake {addr}: {e}"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}
