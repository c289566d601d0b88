//! The endpoint's HTTP front door, end to end against an in-process awsim with real clients:
//! aws-sdk-dynamodb sending gzip request bodies, reqwest asking for compressed answers (raw bytes,
//! so the checksum of the bytes sent is checked), and raw TCP for what clients cannot send
//! (over-long heads, bodies over the cap, several requests on one connection after a refusal).
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_dynamodb::config::RuntimeComponents;
use aws_sdk_dynamodb::config::{BehaviorVersion, ConfigBag, Credentials, Intercept, Region};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

mod support;

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=test/20260421/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=fake";
/// `protocol::MAX_BODY_BYTES`.
const MAX_BODY: usize = 16 * 1024 * 1024;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn unzlib(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(data)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// Compresses every request body with gzip before it is signed, as the SDKs' request
/// compression does for operations that carry the `requestCompression` trait (DynamoDB's have
/// none in today's models, so a client that wants it installs an interceptor like this one).
#[derive(Debug, Default)]
struct GzipRequests {
    /// Bytes saved over all requests: proves the bodies really went out compressed.
    saved: Arc<AtomicUsize>,
}

impl Intercept for GzipRequests {
    fn name(&self) -> &'static str {
        "GzipRequests"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let plain = request.body().bytes().ok_or("a streaming body")?.to_vec();
        let compressed = gzip(&plain);
        self.saved.fetch_add(
            plain.len().saturating_sub(compressed.len()),
            Ordering::Relaxed,
        );
        request
            .headers_mut()
            .insert("content-length", compressed.len().to_string());
        request.headers_mut().insert("content-encoding", "gzip");
        *request.body_mut() = compressed.into();
        Ok(())
    }
}

fn gzip_client(server: &support::Server, saved: Arc<AtomicUsize>) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://{}", server.addr))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .interceptor(GzipRequests { saved })
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

// SDK clients that compress their requests (a large PutItem and a full BatchWriteItem, signed
// over the compressed bytes) are served exactly as uncompressed ones.
#[tokio::test]
async fn sdk_requests_compressed_with_gzip_are_served() {
    let server = support::start(None).await;
    let saved = Arc::new(AtomicUsize::new(0));
    let client = gzip_client(&server, saved.clone());
    support::hash_table(&client, "big").send().await.unwrap();

    let text = "compressible ".repeat(20_000); // ~260 KB, under the 400 KB item limit
    client
        .put_item()
        .table_name("big")
        .item("pk", AttributeValue::S("large".into()))
        .item("text", AttributeValue::S(text.clone()))
        .send()
        .await
        .unwrap();
    let writes: Vec<WriteRequest> = (0..25)
        .map(|i| {
            let item = PutRequest::builder()
                .item("pk", AttributeValue::S(format!("item-{i}")))
                .item("text", AttributeValue::S("x".repeat(10_000)))
                .build()
                .unwrap();
            WriteRequest::builder().put_request(item).build()
        })
        .collect();
    let batch = client
        .batch_write_item()
        .request_items("big", writes)
        .send()
        .await
        .unwrap();
    assert!(batch.unprocessed_items().is_none_or(|u| u.is_empty()));
    assert!(
        saved.load(Ordering::Relaxed) > 400_000,
        "the requests went out compressed"
    );

    // Read back with a plain client: what was stored is what was sent.
    let plain = server.dynamodb();
    let got = plain
        .get_item()
        .table_name("big")
        .key("pk", AttributeValue::S("large".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(got.item().unwrap()["text"], AttributeValue::S(text));
    let count = plain.scan().table_name("big").send().await.unwrap().count();
    assert_eq!(count, 26);
}

/// A POST of `body` to the API with extra headers; the raw answer (reqwest built without its
/// decompression features, so the bytes are those on the wire).
async fn post(
    base: &str,
    target: &str,
    body: Vec<u8>,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(format!("{base}/"))
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", format!("DynamoDB_20120810.{target}"))
        .header("authorization", AUTH);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.body(body).send().await.unwrap()
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

// A client that accepts gzip or deflate gets large answers compressed, with x-amz-crc32 computed
// over the compressed bytes (what botocore and the Java SDK verify); small answers and clients
// that do not ask get the JSON as it is, with the checksum of that.
#[tokio::test]
async fn large_answers_are_compressed_when_accepted_with_the_crc_of_the_bytes_sent() {
    let server = support::start(None).await;
    let client = server.dynamodb();
    support::hash_table(&client, "pages").send().await.unwrap();
    for i in 0..100 {
        client
            .put_item()
            .table_name("pages")
            .item("pk", AttributeValue::S(format!("item-{i:03}")))
            .item("payload", AttributeValue::S("value ".repeat(20)))
            .send()
            .await
            .unwrap();
    }
    let base = format!("http://{}", server.addr);
    let scan = || serde_json::to_vec(&serde_json::json!({"TableName": "pages"})).unwrap();

    let plain = post(&base, "Scan", scan(), &[]).await;
    assert_eq!(header(&plain, "content-encoding"), None);
    let plain_crc: u32 = header(&plain, "x-amz-crc32").unwrap().parse().unwrap();
    let plain_body = plain.bytes().await.unwrap().to_vec();
    assert_eq!(plain_crc, crc32fast::hash(&plain_body));
    let json: serde_json::Value = serde_json::from_slice(&plain_body).unwrap();
    assert_eq!(json["Count"], 100);

    for (accept, coding, decode) in [
        ("gzip, deflate", "gzip", gunzip as fn(&[u8]) -> Vec<u8>),
        ("deflate", "deflate", unzlib),
        ("br;q=1, gzip;q=0.5", "gzip", gunzip),
    ] {
        let resp = post(&base, "Scan", scan(), &[("accept-encoding", accept)]).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(header(&resp, "content-encoding"), Some(coding), "{accept}");
        assert_eq!(header(&resp, "vary"), Some("accept-encoding"));
        let crc: u32 = header(&resp, "x-amz-crc32").unwrap().parse().unwrap();
        let wire = resp.bytes().await.unwrap().to_vec();
        assert_eq!(
            crc,
            crc32fast::hash(&wire),
            "{accept}: crc32 of the bytes sent"
        );
        assert!(wire.len() * 4 < plain_body.len(), "{accept}: compressed");
        assert_eq!(decode(&wire), plain_body, "{accept}: the same JSON");
    }

    // Below the threshold: sent as is even when gzip is accepted.
    let small = post(
        &base,
        "ListTables",
        b"{}".to_vec(),
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(header(&small, "content-encoding"), None);
    assert_eq!(small.text().await.unwrap(), r#"{"TableNames":["pages"]}"#);
}

// Request bodies in either coding are decoded before parsing; every way a coded body can be
// wrong is the client's error, with the service's error shape (never a 500).
#[tokio::test]
async fn compressed_request_bodies_decode_and_broken_ones_are_client_errors() {
    let server = support::start(None).await;
    let base = format!("http://{}", server.addr);
    let list = br#"{"Limit": 5}"#.to_vec();

    for (encoding, body) in [
        ("gzip", gzip(&list)),
        ("deflate", zlib(&list)),
        ("x-gzip", gzip(&list)),
        ("identity", list.clone()),
    ] {
        let resp = post(&base, "ListTables", body, &[("content-encoding", encoding)]).await;
        assert_eq!(resp.status(), 200, "{encoding}");
        assert_eq!(resp.text().await.unwrap(), r#"{"TableNames":[]}"#);
    }

    let serialization = "com.amazon.coral.service#SerializationException";
    let gz = gzip(&list);
    for (encoding, body, why) in [
        ("gzip", gz[..gz.len() / 2].to_vec(), "truncated"),
        ("gzip", list.clone(), "not gzip at all"),
        ("gzip", Vec::new(), "empty"),
        ("deflate", b"\x78\x9c garbage".to_vec(), "corrupt zlib"),
        ("gzip", gzip(&gz), "compressed twice, declared once"),
        ("gzip, gzip", gzip(&gz), "two codings"),
        ("br", list.clone(), "an unknown coding"),
    ] {
        let resp = post(&base, "ListTables", body, &[("content-encoding", encoding)]).await;
        assert_eq!(resp.status(), 400, "{why}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["__type"], serialization, "{why}");
    }

    // A zip bomb: 17 MB of JSON whitespace in ~17 KB of gzip. Refused once the decoded size
    // passes the cap, like a body that large sent as it is.
    let mut bomb_json = vec![b' '; MAX_BODY + 1024];
    bomb_json.extend_from_slice(b"{}");
    let bomb = gzip(&bomb_json);
    assert!(bomb.len() < 100_000);
    let resp = post(&base, "ListTables", bomb, &[("content-encoding", "gzip")]).await;
    assert_eq!(resp.status(), 413);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        body["__type"],
        "com.amazon.coral.service#RequestEntityTooLargeException"
    );
}

// The endpoint's other answers: `GET /` is the service's health text naming the host the client
// used, other paths and methods are 4xx, and every answer carries `Server: Server` and what
// browsers need for CORS.
#[tokio::test]
async fn health_paths_methods_server_header_and_cors() {
    let server = support::start(None).await;
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();

    let health = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(header(&health, "server"), Some("Server"));
    let host = server.addr.to_string();
    assert_eq!(health.text().await.unwrap(), format!("healthy: {host} "));
    let named = http
        .get(format!("{base}/"))
        .header("host", "dynamodb.us-east-1.amazonaws.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        named.text().await.unwrap(),
        "healthy: dynamodb.us-east-1.amazonaws.com "
    );
    let head = http.head(format!("{base}/")).send().await.unwrap();
    assert_eq!(head.status(), 200);

    for (method, path, status) in [
        (reqwest::Method::GET, "/nope", 404),
        (reqwest::Method::POST, "/tables", 404),
        (reqwest::Method::PUT, "/", 405),
        (reqwest::Method::DELETE, "/", 405),
    ] {
        let resp = http
            .request(method.clone(), format!("{base}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "{method} {path}");
        assert_eq!(header(&resp, "server"), Some("Server"));
    }

    let preflight = http
        .request(reqwest::Method::OPTIONS, format!("{base}/"))
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type,x-amz-date,x-amz-target,x-amz-user-agent,amz-sdk-invocation-id,amz-sdk-request,x-custom",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_eq!(header(&preflight, "access-control-allow-origin"), Some("*"));
    let admin_preflight = http
        .request(reqwest::Method::OPTIONS, format!("{base}/_awsim/clock"))
        .send()
        .await
        .unwrap();
    assert_eq!(admin_preflight.status(), 200);
    assert!(header(&admin_preflight, "access-control-allow-methods").is_some());
    assert!(header(&preflight, "access-control-allow-methods")
        .unwrap()
        .contains("POST"));
    let allowed = header(&preflight, "access-control-allow-headers").unwrap();
    for h in [
        "authorization",
        "content-type",
        "x-amz-date",
        "x-amz-target",
        "x-amz-user-agent",
        "amz-sdk-invocation-id",
        "amz-sdk-request",
        "x-custom",
    ] {
        assert!(allowed.contains(h), "{h} allowed");
    }

    let api = post(
        &base,
        "ListTables",
        b"{}".to_vec(),
        &[("origin", "http://localhost:3000")],
    )
    .await;
    assert_eq!(header(&api, "access-control-allow-origin"), Some("*"));
    let exposed = header(&api, "access-control-expose-headers").unwrap();
    assert!(exposed.contains("x-amzn-RequestId") && exposed.contains("x-amz-crc32"));
    assert_eq!(header(&api, "server"), Some("Server"));
    // Without an Origin (an SDK, not a browser): no CORS headers.
    let sdk = post(&base, "ListTables", b"{}".to_vec(), &[]).await;
    assert_eq!(sdk.status(), 200);
    assert_eq!(header(&sdk, "access-control-allow-origin"), None);
    assert_eq!(header(&sdk, "server"), Some("Server"));
    let error = post(&base, "Nope", b"{}".to_vec(), &[]).await;
    assert_eq!(error.status(), 400);
    assert_eq!(header(&error, "server"), Some("Server"));
    let admin = http
        .get(format!("{base}/_awsim/clock"))
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 200);
    assert_eq!(header(&admin, "server"), Some("Server"));
}

/// One HTTP/1.1 answer read off a raw connection: status, lower-cased headers, body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one answer (bodies are always sized by Content-Length here, or end with the connection).
async fn read_answer(conn: &mut BufReader<TcpStream>) -> Answer {
    let read = async {
        let mut line = String::new();
        conn.read_line(&mut line).await.unwrap();
        let status = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            line.clear();
            conn.read_line(&mut line).await.unwrap();
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (k, v) = l.split_once(':').unwrap();
            headers.push((k.to_ascii_lowercase(), v.trim().to_string()));
        }
        let length = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .map(|(_, v)| v.parse::<usize>().unwrap());
        let mut body = Vec::new();
        match length {
            Some(n) => {
                body.resize(n, 0);
                conn.read_exact(&mut body).await.unwrap();
            }
            None => {
                conn.read_to_end(&mut body).await.unwrap();
            }
        }
        Answer {
            status,
            headers,
            body,
        }
    };
    // A guard, not a wait: every answer here comes back in milliseconds.
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("an answer within 30 s")
}

async fn connect(addr: std::net::SocketAddr) -> BufReader<TcpStream> {
    BufReader::new(TcpStream::connect(addr).await.unwrap())
}

fn request(method: &str, path: &str, extra: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "{method} {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/x-amz-json-1.0\r\nx-amz-target: DynamoDB_20120810.ListTables\r\nauthorization: {AUTH}\r\n{extra}content-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// True when the server closed the connection (a read returns end of file, or a reset).
async fn closed(conn: &mut BufReader<TcpStream>) -> bool {
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(30), conn.read(&mut byte)).await;
    matches!(read, Ok(Ok(0)) | Ok(Err(_)))
}

// A body whose declared length is over the cap is refused at once, before any of it is sent
// (the client here never sends it), and the connection is closed since the body was not read.
#[tokio::test]
async fn an_oversized_content_length_is_refused_before_the_body_is_read() {
    let server = support::start(None).await;
    let mut conn = connect(server.addr).await;
    let head = format!(
        "POST / HTTP/1.1\r\nhost: localhost\r\nx-amz-target: DynamoDB_20120810.ListTables\r\ncontent-length: {}\r\n\r\n",
        MAX_BODY + 1
    );
    conn.get_mut().write_all(head.as_bytes()).await.unwrap();
    let answer = read_answer(&mut conn).await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.header("connection"), Some("close"));
    assert_eq!(answer.header("server"), Some("Server"));
    let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(
        body["__type"],
        "com.amazon.coral.service#RequestEntityTooLargeException"
    );
    assert!(closed(&mut conn).await);
}

// A chunked body (no length known in advance) is refused as soon as it passes the cap while
// being read; the server does not buffer the rest.
#[tokio::test]
async fn a_chunked_body_over_the_cap_is_refused_while_reading() {
    let server = support::start(None).await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (read_half, mut write_half) = stream.into_split();
    let writer = tokio::spawn(async move {
        let head = "POST / HTTP/1.1\r\nhost: localhost\r\nx-amz-target: DynamoDB_20120810.ListTables\r\ntransfer-encoding: chunked\r\n\r\n";
        write_half.write_all(head.as_bytes()).await?;
        let chunk = vec![b' '; 1 << 20];
        // 20 chunks of 1 MiB: more than the 16 MiB cap. Writing stops being possible once
        // the server has answered and closed.
        for _ in 0..20 {
            write_half
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await?;
            write_half.write_all(&chunk).await?;
            write_half.write_all(b"\r\n").await?;
        }
        write_half.write_all(b"0\r\n\r\n").await
    });
    let mut reader = BufReader::new(read_half);
    let answer = tokio::time::timeout(Duration::from_secs(30), async {
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        line
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let _ = writer.await;
}

// A head over the limit gets hyper's 431 (the connection cannot be resynchronised, so it
// closes); the server keeps serving new connections.
#[tokio::test]
async fn an_oversized_head_is_431_and_the_server_stays_up() {
    let server = support::start(None).await;
    let mut conn = connect(server.addr).await;
    let big = "a".repeat(70 * 1024);
    let req = request("POST", "/", &format!("x-big: {big}\r\n"), b"{}");
    conn.get_mut().write_all(&req).await.unwrap();
    let answer = read_answer(&mut conn).await;
    assert_eq!(answer.status, 431);

    let mut fresh = connect(server.addr).await;
    fresh
        .get_mut()
        .write_all(&request("POST", "/", "", b"{}"))
        .await
        .unwrap();
    assert_eq!(read_answer(&mut fresh).await.status, 200);
}

// Refusals that leave the request fully read keep the connection: an over-long URI (414), a
// broken gzip body, a body that expands past the cap, an unknown path; the same connection then
// serves the next request.
#[tokio::test]
async fn the_connection_serves_the_next_request_after_a_refusal() {
    let server = support::start(None).await;
    let mut conn = connect(server.addr).await;
    let mut bomb = vec![b' '; MAX_BODY + 1];
    bomb.extend_from_slice(b"{}");
    let long_path = format!("/{}", "p".repeat(9 * 1024));
    let refusals = [
        (request("POST", &long_path, "", b"{}"), 414),
        (
            request("POST", "/", "content-encoding: gzip\r\n", b"not gzip"),
            400,
        ),
        (
            request("POST", "/", "content-encoding: gzip\r\n", &gzip(&bomb)),
            413,
        ),
        (request("POST", "/", "content-encoding: br\r\n", b"{}"), 400),
        (request("GET", "/nope", "", b""), 404),
        (request("PUT", "/", "", b"{}"), 405),
    ];
    for (refused, status) in refusals {
        conn.get_mut().write_all(&refused).await.unwrap();
        let answer = read_answer(&mut conn).await;
        assert_eq!(answer.status, status);
        assert_eq!(answer.header("connection"), None);
        conn.get_mut()
            .write_all(&request("POST", "/", "", b"{}"))
            .await
            .unwrap();
        let next = read_answer(&mut conn).await;
        assert_eq!(next.status, 200, "after the {status}");
        assert_eq!(next.body, br#"{"TableNames":[]}"#);
    }
}

// The front door's own error bodies, pinned like every other error body
// (snapshots/front_door_error_bodies.snap), so a wording change shows up in review.
#[tokio::test]
async fn front_door_error_bodies_are_pinned() {
    let server = support::start(None).await;
    let base = format!("http://{}", server.addr);
    let mut bomb = vec![b' '; MAX_BODY + 1];
    bomb.extend_from_slice(b"{}");
    let mut bodies = Vec::new();
    for (encoding, body) in [
        ("br", b"{}".to_vec()),
        ("gzip, gzip", gzip(&gzip(b"{}"))),
        ("gzip", b"{}".to_vec()),
        ("gzip", Vec::new()),
        ("deflate", b"\xff\xff".to_vec()),
        ("gzip", gzip(&bomb)),
    ] {
        let resp = post(&base, "ListTables", body, &[("content-encoding", encoding)]).await;
        let status = resp.status().as_u16();
        bodies.push(format!(
            "{encoding}: {status} {}",
            resp.text().await.unwrap()
        ));
    }
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_yaml_snapshot!("front_door_error_bodies", bodies);
    });
}

// Model validation lets a null through where a list holds structures; the operations read it
// as a structure with no members (the rule TransactWriteItems follows), never as a fault.
// Found by `cargo xtask fuzz-wire` (the global table operations answered 500).
#[tokio::test]
async fn null_entries_of_structure_lists_are_read_as_empty_structures() {
    let server = support::start(None).await;
    let base = format!("http://{}", server.addr);
    let cases = [
        (
            "UpdateGlobalTable",
            r#"{"GlobalTableName":"gt","ReplicaUpdates":[null]}"#,
        ),
        (
            "UpdateGlobalTableSettings",
            r#"{"GlobalTableName":"gt","ReplicaSettingsUpdate":[null]}"#,
        ),
        (
            "UpdateGlobalTableSettings",
            r#"{"GlobalTableName":"gt","GlobalTableGlobalSecondaryIndexSettingsUpdate":[null]}"#,
        ),
        (
            "UpdateTableReplicaAutoScaling",
            r#"{"TableName":"gt","ReplicaUpdates":[null],"GlobalSecondaryIndexUpdates":[null]}"#,
        ),
    ];
    for (target, body) in cases {
        let resp = post(&base, target, body.as_bytes().to_vec(), &[]).await;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        assert_eq!(status, 400, "{target} {body}: {text}");
        assert!(!text.contains("InternalServerError"), "{target}: {text}");
    }
    server.shutdown().await;
}
