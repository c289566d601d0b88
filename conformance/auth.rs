//! Strict SigV4 authentication end to end: a server started with `credentials` accepts what
//! aws-sdk-dynamodb signs with a known key (its account scoping the tables) and refuses, with
//! the service's errors, a wrong secret, an unknown key, a missing or incomplete Authorization
//! header, and signatures outside the 5-minute window (moved with the admin clock, not waited
//! for). Requests signed by the `aws-sigv4` crate over random paths, queries, headers and bodies
//! all verify, and any change to what was signed makes them fail.
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::AttributeValue;
use proptest::prelude::*;
use std::time::{Duration, SystemTime};

mod support;

const KEY: &str = "AKIDSTRICTTEST";
const SECRET: &str = "s3cr3t/with+chars";
const ACCOUNT: &str = "210987654321";

/// A strict server with one key, and its address.
async fn strict() -> (support::Server, String) {
    let mut creds = awsim::protocol::auth::Credentials::new();
    creds.insert(KEY, SECRET, Some(ACCOUNT));
    let mut config = awsim::Config::in_memory();
    config.credentials = Some(creds);
    let server = support::start_with(config).await;
    let base = format!("http://{}", server.addr);
    (server, base)
}

fn client(base: &str, key: &str, secret: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .endpoint_url(base)
        .credentials_provider(Credentials::new(key, secret, None, None, "static"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// A request signed with aws-sigv4 at `at`, sent raw: (status, body).
async fn signed_post(
    base: &str,
    key: &str,
    secret: &str,
    at: SystemTime,
    target: &str,
    body: &str,
) -> (u16, serde_json::Value) {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    let identity = aws_credential_types::Credentials::new(key, secret, None, None, "test").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("eu-west-1")
        .name("dynamodb")
        .time(at)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let url = format!("{base}/");
    let host = base.trim_start_matches("http://").to_string();
    let headers = [
        ("host", host.as_str()),
        ("content-type", "application/x-amz-json-1.0"),
        ("x-amz-target", target),
    ];
    let request = SignableRequest::new(
        "POST",
        &url,
        headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .unwrap();
    let (instructions, _) = sign(request, &params).unwrap().into_parts();
    let mut rb = reqwest::Client::new().post(&url).body(body.to_string());
    for (k, v) in headers.iter().skip(1) {
        rb = rb.header(*k, *v);
    }
    for (k, v) in instructions.headers() {
        rb = rb.header(k, v);
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

fn error_of(body: &serde_json::Value) -> (&str, &str) {
    let ty = body["__type"].as_str().unwrap_or_default();
    let msg = body["message"]
        .as_str()
        .or(body["Message"].as_str())
        .unwrap_or_default();
    (ty.rsplit('#').next().unwrap_or_default(), msg)
}

// The happy path through a real SDK: the key's configured account scopes the tables (a request
// signed by the same key in another account would not see them).
#[tokio::test]
async fn sdk_requests_signed_with_a_known_key_are_served_in_its_account() {
    let (server, base) = strict().await;
    let db = client(&base, KEY, SECRET);
    support::hash_table(&db, "strict_t").send().await.unwrap();
    db.put_item()
        .table_name("strict_t")
        .item("pk", AttributeValue::S("a".into()))
        .send()
        .await
        .unwrap();
    let got = db
        .get_item()
        .table_name("strict_t")
        .key("pk", AttributeValue::S("a".into()))
        .send()
        .await
        .unwrap();
    assert!(got.item.is_some());
    let arn = db
        .describe_table()
        .table_name("strict_t")
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
        .table_arn
        .unwrap();
    assert!(arn.contains(&format!(":{ACCOUNT}:table/")), "{arn}");
    server.shutdown().await;
}

// Each refusal as the service words it: wrong secret, unknown key, no header, missing parts.
#[tokio::test]
async fn bad_credentials_are_refused_with_the_services_errors() {
    let (server, base) = strict().await;
    let list = r#"{}"#;
    let t = "DynamoDB_20120810.ListTables";
    let (status, body) = signed_post(&base, KEY, "wrong", SystemTime::now(), t, list).await;
    assert_eq!(status, 400);
    assert_eq!(
        error_of(&body),
        ("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
    );
    let (_, body) = signed_post(&base, "AKIDUNKNOWN", SECRET, SystemTime::now(), t, list).await;
    assert_eq!(
        error_of(&body),
        (
            "UnrecognizedClientException",
            "The security token included in the request is invalid."
        )
    );
    let http = reqwest::Client::new();
    let raw = |auth: Option<&str>| {
        let mut rb = http
            .post(format!("{base}/"))
            .header("x-amz-target", t)
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-date", "20260101T000000Z")
            .body("{}");
        if let Some(a) = auth {
            rb = rb.header("authorization", a);
        }
        rb.send()
    };
    let body: serde_json::Value = raw(None).await.unwrap().json().await.unwrap();
    assert_eq!(
        error_of(&body),
        (
            "MissingAuthenticationTokenException",
            "Request is missing Authentication Token"
        )
    );
    let header =
        "AWS4-HMAC-SHA256 Credential=AKIDSTRICTTEST/20260101/eu-west-1/dynamodb/aws4_request";
    let body: serde_json::Value = raw(Some(header)).await.unwrap().json().await.unwrap();
    assert_eq!(
        error_of(&body),
        ("IncompleteSignatureException", &*format!("Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization={header}"))
    );
    // An unknown operation is refused before the signature is looked at, as the service does.
    let body: serde_json::Value = http
        .post(format!("{base}/"))
        .header("x-amz-target", "DynamoDB_20120810.Nope")
        .body("{}")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(error_of(&body).0, "UnknownOperationException");
    server.shutdown().await;
}

// A signature is good for five minutes either side of the server's clock: moving the admin
// clock six minutes ahead expires a fresh one; one dated ten minutes ahead is not yet current.
#[tokio::test]
async fn signatures_outside_five_minutes_are_expired_or_not_yet_current() {
    let (server, base) = strict().await;
    let t = "DynamoDB_20120810.ListTables";
    let now = SystemTime::now();
    let (status, _) = signed_post(&base, KEY, SECRET, now, t, "{}").await;
    assert_eq!(status, 200);
    let (_, body) = signed_post(&base, KEY, SECRET, now + Duration::from_secs(600), t, "{}").await;
    let (ty, msg) = error_of(&body);
    assert_eq!(ty, "InvalidSignatureException");
    assert!(msg.starts_with("Signature not yet current: "), "{msg}");
    assert!(msg.ends_with(" + 5 min.)"), "{msg}");
    server.advance(360).await;
    let (_, body) = signed_post(&base, KEY, SECRET, now, t, "{}").await;
    let (ty, msg) = error_of(&body);
    assert_eq!(ty, "InvalidSignatureException");
    assert!(msg.starts_with("Signature expired: "), "{msg}");
    assert!(msg.ends_with(" - 5 min.)"), "{msg}");
    server.shutdown().await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    // Whatever aws-sigv4 signs (paths with reserved characters, repeated and unsorted query
    // parameters, extra headers with odd spacing, any body) verifies; changing one byte of the
    // body or the signed header values makes it fail.
    #[test]
    fn what_aws_sigv4_signs_verifies(
        segments in proptest::collection::vec("[a-zA-Z0-9 ._~!$&'()*+,;=:@%-]{1,8}".prop_filter("not a dot segment", |s| s != "." && s != ".."), 1..4),
        query in proptest::collection::vec(("[a-zA-Z0-9_.~ -]{1,6}", "[a-zA-Z0-9_.~ =/&-]{0,6}"), 0..4),
        extra in "[ a-zA-Z0-9]{0,12}",
        body in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
        use awsim::protocol::auth::{verify, Credentials as Creds, SignedRequest};
        let enc = |s: &str| -> String {
            s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
        };
        let path = format!("/{}", segments.iter().map(|s| enc(s)).collect::<Vec<_>>().join("/"));
        let q = query.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&");
        let url = if q.is_empty() { format!("http://localhost:4566{path}") } else { format!("http://localhost:4566{path}?{q}") };
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let identity = aws_credential_types::Credentials::new(KEY, SECRET, None, None, "t").into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity).region("eu-west-1").name("dynamodb").time(at)
            .settings(SigningSettings::default()).build().unwrap().into();
        let headers = vec![
            ("host".to_string(), "localhost:4566".to_string()),
            ("x-amz-target".to_string(), "DynamoDB_20120810.ListTables".to_string()),
            ("x-custom".to_string(), format!("  {extra}  ")),
        ];
        let request = SignableRequest::new("POST", &url, headers.iter().map(|(k, v)| (k.as_str(), v.as_str())), SignableBody::Bytes(&body)).unwrap();
        let (instructions, _) = sign(request, &params).unwrap().into_parts();
        let mut all = headers.clone();
        all.extend(instructions.headers().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut creds = Creds::new();
        creds.insert(KEY, SECRET, Some(ACCOUNT));
        let now = 1_800_000_060.0;
        let req = SignedRequest { method: "POST", path: &path, query: &q, headers: &all, body: &body };
        let scope = verify(&req, &creds, now);
        prop_assert!(scope.is_ok(), "{:?} for {} {}", scope, path, q);
        prop_assert_eq!(scope.unwrap().account, ACCOUNT);
        let mut other = body.clone();
        other.push(b'x');
        let req = SignedRequest { method: "POST", path: &path, query: &q, headers: &all, body: &other };
        prop_assert!(verify(&req, &creds, now).is_err());
        let mut changed = all.clone();
        changed[1].1 = "DynamoDB_20120810.DeleteTable".into();
        let req = SignedRequest { method: "POST", path: &path, query: &q, headers: &changed, body: &body };
        prop_assert!(verify(&req, &creds, now).is_err());
    }
}

/// One case of the published SigV4 test suite: the signed request, parsed.
struct Vector {
    name: String,
    normalize: bool,
    key: String,
    secret: String,
    now: f64,
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn vectors() -> Vec<Vector> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/sigv4-vectors");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue;
        }
        let context: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path.join("context.json")).unwrap())
                .unwrap();
        let text = std::fs::read_to_string(path.join("header-signed-request.txt")).unwrap();
        let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let request_line = lines.next().unwrap();
        let (method, rest) = request_line.split_once(' ').unwrap();
        let uri = rest.rsplit_once(" HTTP/").unwrap().0;
        let (path_part, query) = uri.split_once('?').unwrap_or((uri, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                // An obsolete folded continuation line belongs to the header above.
                let last = headers.last_mut().unwrap();
                last.1.push(' ');
                last.1.push_str(line.trim());
            } else {
                let (k, v) = line.split_once(':').unwrap();
                headers.push((k.to_string(), v.to_string()));
            }
        }
        let ts = context["timestamp"].as_str().unwrap();
        let now = unix_seconds(ts);
        out.push(Vector {
            name: path.file_name().unwrap().to_string_lossy().into_owned(),
            normalize: context["normalize"].as_bool().unwrap_or(true),
            key: context["credentials"]["access_key_id"]
                .as_str()
                .unwrap()
                .into(),
            secret: context["credentials"]["secret_access_key"]
                .as_str()
                .unwrap()
                .into(),
            now,
            method: method.into(),
            path: path_part.into(),
            query: query.into(),
            headers,
            body: body.trim_end_matches('\n').as_bytes().to_vec(),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// `YYYY-MM-DDTHH:MM:SSZ` as Unix seconds (days from the civil date, Howard Hinnant's method).
fn unix_seconds(ts: &str) -> f64 {
    let n = |a: usize, b: usize| ts[a..b].parse::<i64>().unwrap();
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    (days * 86400 + n(11, 13) * 3600 + n(14, 16) * 60 + n(17, 19)) as f64
}

fn check(v: &Vector, secret: &str, headers: &[(String, String)]) -> Result<(), String> {
    let mut creds = awsim::protocol::auth::Credentials::new();
    creds.insert(&v.key, secret, None);
    let req = awsim::protocol::auth::SignedRequest {
        method: &v.method,
        path: &v.path,
        query: &v.query,
        headers,
        body: &v.body,
    };
    awsim::protocol::auth::verify(&req, &creds, v.now)
        .map(|_| ())
        .map_err(|e| format!("{}: {e:?}", v.name))
}

// The published SigV4 test suite: every case whose canonical URI is normalised (as every SDK
// does for DynamoDB; the unnormalised cases are S3's rules) verifies at the case's time, and
// each is refused once its signature, its secret or a signed header changes.
#[test]
fn the_published_sigv4_test_vectors_verify() {
    let vectors = vectors();
    assert!(vectors.len() >= 30, "{} vectors", vectors.len());
    let mut verified = 0;
    for v in &vectors {
        if !v.normalize {
            continue;
        }
        check(v, &v.secret, &v.headers).unwrap();
        verified += 1;
        assert!(
            check(v, "not-the-secret", &v.headers).is_err(),
            "{}",
            v.name
        );
        let mut changed = v.headers.clone();
        let date = changed
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case("host"))
            .unwrap();
        date.1.push('x');
        assert!(check(v, &v.secret, &changed).is_err(), "{}", v.name);
        let mut forged = v.headers.clone();
        let auth = forged
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .unwrap();
        let last = auth.1.pop().unwrap();
        auth.1.push(if last == '0' { '1' } else { '0' });
        assert!(check(v, &v.secret, &forged).is_err(), "{}", v.name);
    }
    assert!(verified >= 25, "{verified} normalised vectors");
}
