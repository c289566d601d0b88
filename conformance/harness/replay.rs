//! The replayer: sends a fixture's requests to a server (an in-process awsim or any endpoint),
//! compares status and normalised body with the recording and, against awsim, checks the
//! response headers (request id, content type, `x-amz-crc32`).
use super::diff::{diff, inline, show};
use super::model::{Body, Fixture, Request, Response};
use super::normalise::normalise;
use super::report::Outcome;
use std::time::Duration;

/// The access key, secret and region requests are signed with (SigV4, service `dynamodb`).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
    pub session_token: Option<String>,
    pub region: String,
}

/// How a replay signs its requests. Every request gets a real SigV4 signature (`X-Amz-Date`,
/// `Authorization`), so servers that check the headers, or the signature, accept it.
#[derive(Debug, Clone)]
pub struct Signer {
    /// Used for requests without an `Authorization` header of their own.
    pub credentials: Credentials,
    /// A fixture's credentials (`true`): a request that carries its own `Authorization` is
    /// re-signed with that header's access key and region (account and region isolation
    /// scenarios). Real credentials (`false`): every request is signed with `credentials`.
    pub keep_request_keys: bool,
}

/// The secret paired with fixture access keys: emulators do not know it, and those that check
/// signatures are configured with it (`test`, as the README's examples use).
pub const FIXTURE_SECRET: &str = "test";

impl Signer {
    /// Fixture credentials: `access_key` (a fresh key is a fresh database on DynamoDB Local and
    /// a fresh account on awsim when it has 12 digits), secret `test`, region `us-east-1`.
    pub fn fixture(access_key: &str) -> Signer {
        Signer {
            credentials: Credentials {
                access_key: access_key.into(),
                secret_key: FIXTURE_SECRET.into(),
                session_token: None,
                region: "us-east-1".into(),
            },
            keep_request_keys: true,
        }
    }

    /// Real credentials: every request is signed with them, in their region.
    pub fn real(credentials: Credentials) -> Signer {
        Signer {
            credentials,
            keep_request_keys: false,
        }
    }

    /// The credentials for one request: its own `Authorization`'s key and region when it has one
    /// (and the signer keeps them), else the default.
    pub fn credentials_for(&self, req: &Request) -> Credentials {
        let own = req
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .and_then(|(_, v)| credential_scope(v));
        match own {
            Some((key, region)) if self.keep_request_keys => Credentials {
                access_key: key,
                region,
                session_token: None,
                secret_key: self.credentials.secret_key.clone(),
            },
            _ => self.credentials.clone(),
        }
    }
}

/// `(access key, region)` from `AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, ...`.
pub fn credential_scope(authorization: &str) -> Option<(String, String)> {
    let scope = authorization.split("Credential=").nth(1)?;
    let scope = scope.split([',', ' ']).next()?;
    let mut parts = scope.split('/');
    let key = parts.next().filter(|k| !k.is_empty())?;
    let region = parts.nth(1).filter(|r| !r.is_empty())?;
    Some((key.to_string(), region.to_string()))
}

/// The SigV4 headers (`x-amz-date`, `authorization`, and `x-amz-security-token` with a session
/// token) for a POST of `body` to `url` with `headers`, signed now.
pub fn sign(
    credentials: &Credentials,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Vec<(String, String)>, String> {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    let identity = aws_credential_types::Credentials::new(
        &credentials.access_key,
        &credentials.secret_key,
        credentials.session_token.clone(),
        None,
        "conformance",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(&credentials.region)
        .name("dynamodb")
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("cannot sign: {e}"))?
        .into();
    let request = SignableRequest::new(
        "POST",
        url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .map_err(|e| format!("cannot sign: {e}"))?;
    let (instructions, _signature) = sign(request, &params)
        .map_err(|e| format!("cannot sign: {e}"))?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

/// One HTTP client for a whole run (connection reuse keeps replays fast).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client without TLS always builds")
}

/// A response as it came off the wire.
pub struct Live {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Live {
    /// The response in fixture form: a JSON body when it parses, else the raw text. Not normalised.
    pub fn response(&self) -> Response {
        let body = match serde_json::from_slice(&self.bytes) {
            Ok(v) => Body::Json(v),
            Err(_) => Body::Raw(String::from_utf8_lossy(&self.bytes).into_owned()),
        };
        Response {
            status: self.status,
            body,
        }
    }
}

/// POSTs one request to `base` (e.g. `http://127.0.0.1:8000`), signed by `signer`.
pub async fn send(
    client: &reqwest::Client,
    base: &str,
    req: &Request,
    signer: &Signer,
) -> Result<Live, String> {
    let url = format!("{}/", base.trim_end_matches('/'));
    let mut headers = vec![(
        "content-type".to_string(),
        "application/x-amz-json-1.0".to_string(),
    )];
    if let Some(target) = &req.target {
        headers.push(("x-amz-target".into(), target.clone()));
    }
    headers.extend(
        req.headers
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("authorization"))
            .cloned(),
    );
    let body = match &req.body {
        Body::Json(v) => serde_json::to_vec(v).expect("JSON values serialise"),
        Body::Raw(s) => s.clone().into_bytes(),
    };
    let signed = sign(&signer.credentials_for(req), &url, &headers, &body)?;
    let mut builder = client.post(url);
    for (k, v) in headers.iter().chain(&signed) {
        builder = builder.header(k, v);
    }
    let resp = builder
        .body(body)
        .send()
        .await
        .map_err(|e| format!("request failed: {}", chain(&e)))?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| format!("reading the response failed: {}", chain(&e)))?
        .to_vec();
    Ok(Live {
        status,
        headers,
        bytes,
    })
}

/// Fills in `{{N:path}}` placeholders: a request string that is exactly `{{3:Streams.0.StreamArn}}`
/// becomes that member of the live response body of exchange 3 (1-based; `.`-separated keys,
/// numbers index arrays). This is how a scenario uses values only the server knows, such as a
/// stream's ARN or a shard iterator. Anything else is left as written.
pub fn substitute(req: &Request, previous: &[serde_json::Value]) -> Request {
    fn walk(v: &serde_json::Value, previous: &[serde_json::Value]) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::String(s) => lookup(s, previous).unwrap_or_else(|| v.clone()),
            Value::Array(a) => Value::Array(a.iter().map(|x| walk(x, previous)).collect()),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, x)| (k.clone(), walk(x, previous)))
                    .collect(),
            ),
            _ => v.clone(),
        }
    }
    fn lookup(s: &str, previous: &[serde_json::Value]) -> Option<serde_json::Value> {
        let inner = s.strip_prefix("{{")?.strip_suffix("}}")?;
        let (n, path) = inner.split_once(':')?;
        let mut at = previous.get(n.parse::<usize>().ok()?.checked_sub(1)?)?;
        for part in path.split('.') {
            at = match part.parse::<usize>() {
                Ok(i) => at.get(i)?,
                Err(_) => at.get(part)?,
            };
        }
        Some(at.clone())
    }
    let mut out = req.clone();
    if let Body::Json(v) = &req.body {
        out.body = Body::Json(walk(v, previous));
    }
    out
}

/// An error with its causes (reqwest hides e.g. "connection refused" in the source chain).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    s
}

/// Differences between a recorded and a live response, after normalising both with `rules`.
pub fn compare(expected: &Response, actual: &Response, rules: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    if expected.status != actual.status {
        out.push(format!(
            "status: expected {}, got {}",
            expected.status, actual.status
        ));
    }
    match (&expected.body, &actual.body) {
        (Body::Json(e), Body::Json(a)) => {
            out.extend(diff(&normalise(e, rules), &normalise(a, rules)))
        }
        (Body::Raw(e), Body::Raw(a)) if e != a => out.push(format!(
            "raw body: expected {:?}, got {:?}\n  word diff: {}",
            e,
            a,
            inline(e, a)
        )),
        (Body::Json(e), Body::Raw(a)) => out.push(format!(
            "body: expected JSON {}, got non-JSON {a:?}",
            show(e)
        )),
        (Body::Raw(e), Body::Json(a)) => out.push(format!(
            "body: expected non-JSON {e:?}, got JSON {}",
            show(a)
        )),
        _ => {}
    }
    out
}

/// The headers every awsim response must carry.
pub fn check_headers(live: &Live) -> Vec<String> {
    let header = |name: &str| live.headers.get(name).and_then(|v| v.to_str().ok());
    let mut out = Vec::new();
    if header("x-amzn-requestid").is_none_or(str::is_empty) {
        out.push("header x-amzn-RequestId: missing".to_string());
    }
    match header("content-type") {
        Some("application/x-amz-json-1.0") => {}
        other => out.push(format!(
            "header Content-Type: expected \"application/x-amz-json-1.0\", got {}",
            shown(other)
        )),
    }
    let crc = crc32(&live.bytes).to_string();
    match header("x-amz-crc32") {
        Some(v) if v == crc => {}
        other => out.push(format!(
            "header x-amz-crc32: expected \"{crc}\" (crc32 of the body), got {}",
            shown(other)
        )),
    }
    out
}

fn shown(header: Option<&str>) -> String {
    header.map_or("none".into(), |v| format!("{v:?}"))
}

/// What replaying one fixture found: every mismatch (prefixed by the exchange) and the tables
/// its CreateTable requests created (status 200) with the credentials that created them, for the
/// clean-up after a fixture on a shared server.
#[derive(Debug, Default)]
pub struct Replayed {
    pub failures: Vec<String>,
    /// How many exchanges differed, or were never sent after a request that could not be.
    pub failed_exchanges: usize,
    pub created_tables: Vec<(String, Credentials)>,
}

/// Replays one fixture against `base`, signing with `signer`; `headers` adds awsim's header
/// checks.
pub async fn replay(
    client: &reqwest::Client,
    base: &str,
    fixture: &Fixture,
    signer: &Signer,
    headers: bool,
) -> Replayed {
    let mut out = Replayed::default();
    let mut previous = Vec::new();
    for (i, x) in fixture.exchanges.iter().enumerate() {
        let at = format!("exchange {} ({})", i + 1, x.request.label());
        let request = substitute(&x.request, &previous);
        let live = match send(client, base, &request, signer).await {
            Ok(live) => live,
            Err(e) => {
                out.failures.push(format!("{at}: {e}"));
                out.failed_exchanges += fixture.exchanges.len() - i;
                break;
            }
        };
        if live.status == 200 && request.label() == "CreateTable" {
            if let Body::Json(v) = &request.body {
                if let Some(name) = v.get("TableName").and_then(|n| n.as_str()) {
                    let credentials = signer.credentials_for(&request);
                    out.created_tables.push((name.to_string(), credentials));
                }
            }
        }
        previous.push(serde_json::from_slice(&live.bytes).unwrap_or_default());
        let mut problems = compare(&x.response, &live.response(), &fixture.normalised);
        if headers {
            problems.extend(check_headers(&live));
        }
        out.failed_exchanges += usize::from(!problems.is_empty());
        out.failures
            .extend(problems.into_iter().map(|p| format!("{at}: {p}")));
    }
    out
}

/// Deletes the tables a fixture created (each with the credentials that created it) and waits,
/// up to two minutes each, until they are gone, so that the next fixture can create tables of
/// the same names on a server that does not separate access keys or accounts (and on the real
/// service). It never touches a table that the replay did not create. On an emulator a deleted
/// table is gone at once, so nothing waits.
pub async fn delete_tables(
    client: &reqwest::Client,
    base: &str,
    tables: &[(String, Credentials)],
) -> Vec<String> {
    let request = |op: &str, table: &str| Request {
        target: Some(format!("DynamoDB_20120810.{op}")),
        body: Body::Json(serde_json::json!({ "TableName": table })),
        headers: Vec::new(),
    };
    let mut problems = Vec::new();
    for (table, credentials) in tables {
        let signer = Signer::real(credentials.clone());
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        // DeleteTable until accepted (a table still being created is ResourceInUse; a table
        // with deletion protection has it turned off first), then DescribeTable until it is
        // not found.
        let mut deleting = true;
        loop {
            let op = if deleting {
                "DeleteTable"
            } else {
                "DescribeTable"
            };
            let live = match send(client, base, &request(op, table), &signer).await {
                Ok(live) => live,
                Err(e) => {
                    problems.push(format!("clean-up: {op} {table}: {e}"));
                    break;
                }
            };
            let text = String::from_utf8_lossy(&live.bytes).to_ascii_lowercase();
            if text.contains("resourcenotfound") {
                break;
            }
            if deleting && live.status == 200 {
                deleting = false;
                continue;
            }
            if deleting && text.contains("deletion protection") {
                let mut off = request("UpdateTable", table);
                off.body = Body::Json(serde_json::json!({
                    "TableName": table,
                    "DeletionProtectionEnabled": false
                }));
                let _ = send(client, base, &off, &signer).await;
                continue;
            }
            if deleting && !text.contains("resourceinuse") {
                problems.push(format!(
                    "clean-up: DeleteTable {table} answered {}: {}",
                    live.status,
                    String::from_utf8_lossy(&live.bytes)
                ));
                break;
            }
            if std::time::Instant::now() >= deadline {
                problems.push(format!("clean-up: table {table} still exists after 120 s"));
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    problems
}

/// A fresh in-process awsim (in-memory store, port picked by the OS) and the means to stop it.
pub struct InProcess {
    pub base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl InProcess {
    pub async fn start() -> Result<InProcess, String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot bind a loopback port: {e}"))?;
        let base = match listener.local_addr() {
            Ok(addr) => format!("http://{addr}"),
            Err(e) => return Err(format!("cannot read the bound address: {e}")),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(awsim::server::run(
            listener,
            awsim::Config::in_memory(),
            async {
                let _ = stopped.await;
            },
        ));
        Ok(InProcess { base, stop, server })
    }

    /// Shuts the server down; a problem on the way is returned as text.
    pub async fn stop(self) -> Option<String> {
        let _ = self.stop.send(());
        match tokio::time::timeout(Duration::from_secs(10), self.server).await {
            Ok(Ok(Ok(()))) => None,
            Ok(Ok(Err(e))) => Some(format!("awsim failed: {e}")),
            Ok(Err(e)) => Some(format!("awsim panicked: {e}")),
            Err(_) => Some("awsim did not shut down within 10 s".into()),
        }
    }
}

/// Replays one fixture against a fresh in-process awsim (fixture credentials, key `test`).
pub async fn replay_in_process(client: &reqwest::Client, fixture: &Fixture) -> Replayed {
    let server = match InProcess::start().await {
        Ok(s) => s,
        Err(e) => {
            return Replayed {
                failures: vec![e],
                failed_exchanges: fixture.exchanges.len(),
                created_tables: Vec::new(),
            }
        }
    };
    let signer = Signer::fixture("test");
    let mut out = replay(client, &server.base, fixture, &signer, true).await;
    out.failures.extend(server.stop().await);
    out
}

/// Loads and replays fixtures: each against a fresh in-process awsim, or, given `endpoint`,
/// against that server. With fixture credentials (`credentials` is `None`), each fixture gets a
/// fresh 12-digit access key (so fixtures do not see each other's tables on servers that isolate
/// accounts or access keys); with real credentials, every request is signed with them. Against
/// an endpoint, the tables each fixture created are deleted before the next one (for servers
/// that keep one database for every key, and for the real service). `headers` adds the awsim header
/// checks for an endpoint (always on in-process).
pub async fn run(
    fixtures: &[(String, Result<Fixture, String>)],
    endpoint: Option<&str>,
    headers: bool,
    credentials: Option<&Credentials>,
) -> Vec<Outcome> {
    let client = client();
    let seed = super::random_digits(6);
    let mut outcomes = Vec::new();
    for (i, (name, fixture)) in fixtures.iter().enumerate() {
        let (failures, failed_exchanges) = match (fixture, endpoint) {
            (Err(e), _) => (vec![format!("cannot load: {e}")], 0),
            (Ok(f), None) => {
                let replayed = replay_in_process(&client, f).await;
                (replayed.failures, replayed.failed_exchanges)
            }
            (Ok(f), Some(base)) => {
                let signer = match credentials {
                    None => Signer::fixture(&format!("{seed}{:06}", i % 1_000_000)),
                    Some(c) => Signer::real(c.clone()),
                };
                let replayed = replay(&client, base, f, &signer, headers).await;
                let mut failures = replayed.failures;
                failures.extend(delete_tables(&client, base, &replayed.created_tables).await);
                (failures, replayed.failed_exchanges)
            }
        };
        outcomes.push(Outcome {
            name: name.clone(),
            exchanges: fixture.as_ref().map_or(0, |f| f.exchanges.len()),
            failed_exchanges,
            failures,
        });
    }
    outcomes
}

/// CRC-32 (IEEE 802.3, reflected, as zlib and crc32fast compute it).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// Self-checks of this module, run as tests by the conformance test binary (harness = false, so
/// `#[test]` functions in the harness would never run there).
pub mod checks {
    /// The checksum the replayer verifies is zlib's CRC-32.
    pub fn crc32_matches_zlib() {
        assert_eq!(super::crc32(b""), 0);
        assert_eq!(super::crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(super::crc32(b"{}"), 2_745_614_147);
    }

    /// Replayed requests carry a real SigV4 signature: the fixture's key and region, or those of
    /// the request's own Authorization header; real credentials replace both.
    pub fn requests_are_signed_with_sigv4() {
        use super::super::model::{Body, Request};
        use super::{sign, Credentials, Signer};
        let own = Request {
            target: Some("DynamoDB_20120810.ListTables".into()),
            body: Body::Json(serde_json::json!({})),
            headers: vec![(
                "Authorization".into(),
                "AWS4-HMAC-SHA256 Credential=710000000001/20260421/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=fake".into(),
            )],
        };
        let plain = Request {
            headers: Vec::new(),
            ..own.clone()
        };
        let fixture = Signer::fixture("123456789012");
        let c = fixture.credentials_for(&own);
        assert_eq!(
            (c.access_key.as_str(), c.region.as_str()),
            ("710000000001", "eu-west-1")
        );
        let c = fixture.credentials_for(&plain);
        assert_eq!(
            (c.access_key.as_str(), c.region.as_str()),
            ("123456789012", "us-east-1")
        );
        let real = Signer::real(Credentials {
            access_key: "AKIDEXAMPLE".into(),
            secret_key: "secret".into(),
            session_token: Some("token".into()),
            region: "eu-central-1".into(),
        });
        assert_eq!(real.credentials_for(&own).access_key, "AKIDEXAMPLE");

        let headers = [
            (
                "content-type".to_string(),
                "application/x-amz-json-1.0".to_string(),
            ),
            (
                "x-amz-target".to_string(),
                "DynamoDB_20120810.ListTables".to_string(),
            ),
        ];
        let signed = sign(&real.credentials, "http://127.0.0.1:8000/", &headers, b"{}").unwrap();
        let get = |name: &str| {
            signed
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("{name} in {signed:?}"))
        };
        let authorization = get("authorization");
        assert!(authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
        assert!(authorization.contains("/eu-central-1/dynamodb/aws4_request"));
        assert!(authorization
            .contains("content-type;host;x-amz-date;x-amz-security-token;x-amz-target"));
        assert_eq!(get("x-amz-date").len(), "20260421T101010Z".len());
        assert_eq!(get("x-amz-security-token"), "token");
        let other = sign(
            &real.credentials,
            "http://127.0.0.1:8000/",
            &headers,
            b"{ }",
        )
        .unwrap();
        assert_ne!(other, signed, "the body is signed");
    }
}
