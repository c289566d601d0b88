//! The replayer: sends a fixture's requests to a server (an in-process awsim or any endpoint),
//! compares status and normalised body with the recording and, against awsim, checks the
//! response headers (request id, content type, `x-amz-crc32`).
use super::diff::{diff, inline, show};
use super::model::{Body, Fixture, Request, Response};
use super::normalise::normalise;
use super::report::Outcome;
use std::time::Duration;

/// Sent when a request has no `Authorization` header of its own.
pub const DEFAULT_AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=test/20260421/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=fake";

/// The default header with another access key (a fresh key is a fresh database on DynamoDB Local).
pub fn authorization_for(access_key: &str) -> String {
    DEFAULT_AUTHORIZATION.replacen("Credential=test/", &format!("Credential={access_key}/"), 1)
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

/// POSTs one request to `base` (e.g. `http://127.0.0.1:8000`).
pub async fn send(
    client: &reqwest::Client,
    base: &str,
    req: &Request,
    default_authorization: &str,
) -> Result<Live, String> {
    let url = format!("{}/", base.trim_end_matches('/'));
    let mut builder = client
        .post(url)
        .header("content-type", "application/x-amz-json-1.0");
    if let Some(target) = &req.target {
        builder = builder.header("x-amz-target", target);
    }
    if !req
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
    {
        builder = builder.header("authorization", default_authorization);
    }
    for (k, v) in &req.headers {
        builder = builder.header(k, v);
    }
    let body = match &req.body {
        Body::Json(v) => serde_json::to_vec(v).expect("JSON values serialise"),
        Body::Raw(s) => s.clone().into_bytes(),
    };
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

/// Replays one fixture against `base`; returns every mismatch, prefixed by the exchange.
pub async fn replay(
    client: &reqwest::Client,
    base: &str,
    fixture: &Fixture,
    authorization: &str,
    headers: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut previous = Vec::new();
    for (i, x) in fixture.exchanges.iter().enumerate() {
        let at = format!("exchange {} ({})", i + 1, x.request.label());
        let request = substitute(&x.request, &previous);
        let live = match send(client, base, &request, authorization).await {
            Ok(live) => live,
            Err(e) => {
                out.push(format!("{at}: {e}"));
                break;
            }
        };
        previous.push(serde_json::from_slice(&live.bytes).unwrap_or_default());
        let mut problems = compare(&x.response, &live.response(), &fixture.normalised);
        if headers {
            problems.extend(check_headers(&live));
        }
        out.extend(problems.into_iter().map(|p| format!("{at}: {p}")));
    }
    out
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

/// Replays one fixture against a fresh in-process awsim.
pub async fn replay_in_process(client: &reqwest::Client, fixture: &Fixture) -> Vec<String> {
    let server = match InProcess::start().await {
        Ok(s) => s,
        Err(e) => return vec![e],
    };
    let mut out = replay(client, &server.base, fixture, DEFAULT_AUTHORIZATION, true).await;
    out.extend(server.stop().await);
    out
}

/// Loads and replays fixtures: each against a fresh in-process awsim, or, given `endpoint`,
/// against that server with a fresh 12-digit access key per fixture (so fixtures do not see each
/// other's tables on servers that isolate accounts or access keys). `headers` adds the awsim
/// header checks for an endpoint (always on in-process).
pub async fn run(
    fixtures: &[(String, Result<Fixture, String>)],
    endpoint: Option<&str>,
    headers: bool,
) -> Vec<Outcome> {
    let client = client();
    let seed = super::random_digits(6);
    let mut outcomes = Vec::new();
    for (i, (name, fixture)) in fixtures.iter().enumerate() {
        let failures = match (fixture, endpoint) {
            (Err(e), _) => vec![format!("cannot load: {e}")],
            (Ok(f), None) => replay_in_process(&client, f).await,
            (Ok(f), Some(base)) => {
                let auth = authorization_for(&format!("{seed}{:06}", i % 1_000_000));
                replay(&client, base, f, &auth, headers).await
            }
        };
        outcomes.push(Outcome {
            name: name.clone(),
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

#[cfg(test)]
mod tests {
    #[test]
    fn crc32_matches_zlib() {
        assert_eq!(super::crc32(b""), 0);
        assert_eq!(super::crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(super::crc32(b"{}"), 2_745_614_147);
    }
}
