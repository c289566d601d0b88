//! The only layer that knows AWS JSON 1.0: `X-Amz-Target` -> operation, SigV4 scope ->
//! (account, region), body parsing and model validation, the one error renderer, request ids
//! and the `x-amz-crc32` checksum. No HTTP types leak below this module.
pub mod attr;
pub mod auth;
pub mod http;
pub mod json;
pub mod query;
pub mod shape;
pub mod typed;

use crate::error::{Error, ErrorDetail, ErrorKind};
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicU64, Ordering};

/// Requests larger than this are refused before they are buffered (the service's largest
/// legitimate request, a full BatchWriteItem, is about 16 MB).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

const DYNAMODB_PREFIX: &str = "DynamoDB_20120810.";
const STREAMS_PREFIX: &str = "DynamoDBStreams_20120810.";

pub use crate::model::Scope;

impl Scope {
    /// The account of an access key: a 12-digit key is itself the account; anything else maps
    /// to `000000000000`.
    pub fn account_for(access_key: &str) -> String {
        if access_key.len() == 12 && access_key.bytes().all(|b| b.is_ascii_digit()) {
            access_key.to_string()
        } else {
            "000000000000".into()
        }
    }

    /// From `Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ...`.
    /// A 12-digit access key is itself the account; anything else maps to `000000000000`.
    pub fn from_authorization(header: Option<&str>) -> Scope {
        // Each part is allocated once, from the header or the default.
        // The SDKs write the credential first, right after the algorithm: looked for there
        // before the header is searched.
        const FIRST: &str = "AWS4-HMAC-SHA256 Credential=";
        let cred = header
            .and_then(|h| {
                h.strip_prefix(FIRST)
                    .or_else(|| h.split_once("Credential=").map(|(_, c)| c))
            })
            .map(|c| c.split([',', ' ']).next().unwrap_or(""));
        let mut parts = cred.unwrap_or("").split('/');
        let key = parts.next().unwrap_or("");
        let region = parts.nth(1).filter(|r| !r.is_empty());
        Scope {
            account: Scope::account_for(key),
            region: region.unwrap_or("us-east-1").to_string(),
        }
    }
}

/// A response ready for the HTTP layer.
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    pub request_id: String,
    pub crc32: u32,
    /// `application/x-amz-json-1.0`, or `text/xml` for the query protocol.
    pub content_type: &'static str,
}

/// The content type of every AWS JSON 1.0 answer.
pub const AMZ_JSON: &str = "application/x-amz-json-1.0";

static REQUEST_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh request id in the service's UUID-like shape (unique per process and request): a
/// per-process prefix from the start time and pid, then the request counter.
pub(crate) fn request_id() -> String {
    static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let prefix = PREFIX.get_or_init(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64;
        let a = t ^ (std::process::id() as u64).rotate_left(32);
        format!(
            "{:08X}{:04X}{:04X}",
            (a >> 32) as u32,
            (a >> 16) as u16,
            a as u16 & 0x0FFF | 0x4000
        )
    });
    let n = REQUEST_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut id = String::with_capacity(32);
    id.push_str(prefix);
    let tail = ((n >> 48) as u16 & 0x3FFF | 0x8000) as u64;
    push_hex(&mut id, tail, 4);
    push_hex(&mut id, n & 0xFFFF_FFFF_FFFF, 12);
    id
}

fn push_hex(out: &mut String, v: u64, digits: u32) {
    for i in (0..digits).rev() {
        let d = ((v >> (i * 4)) & 0xF) as u8;
        out.push(char::from(if d < 10 { b'0' + d } else { b'A' + d - 10 }));
    }
}

/// Which API a target belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    DynamoDb,
    Streams,
}

/// The service and operation `X-Amz-Target` names (the operation's name as the model has it).
pub fn resolve_target(target: Option<&str>) -> Result<(Service, &'static str), Error> {
    let unknown = || {
        Error::new(
            ErrorKind::UnknownOperation,
            "An unknown operation was requested.",
        )
    };
    let target = target.ok_or_else(unknown)?;
    let (service, op, model) = if let Some(op) = target.strip_prefix(DYNAMODB_PREFIX) {
        (Service::DynamoDb, op, shape::dynamodb())
    } else if let Some(op) = target.strip_prefix(STREAMS_PREFIX) {
        (Service::Streams, op, shape::streams())
    } else {
        return Err(unknown());
    };
    let op = model.operation_name(op).ok_or_else(unknown)?;
    Ok((service, op))
}

/// The request document. Anything that is not one JSON object, an empty body included, is a
/// SerializationException (the service's answer; DynamoDB Local fails with a 500 instead:
/// fixtures/wire/wire_empty_body, wire_malformed_json, wire_json_array_body).
pub fn parse_body(body: &[u8]) -> Result<Value, Error> {
    // serde_json bounds recursion itself (128 levels), so hostile nesting is an error, not a crash.
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(Value::Array(_)) => Err(Error::serialization(
            "Start of list found where not expected",
        )),
        Ok(_) => Err(Error::serialization("Unexpected value type in payload")),
        Err(_) => Err(Error {
            kind: ErrorKind::Serialization,
            message: None,
            detail: None,
        }),
    }
}

/// The one renderer: success bodies (already written) and every error body.
pub fn render(result: Result<Vec<u8>, Error>) -> Response {
    let (status, body) = match result {
        Ok(body) => (200, body),
        Err(e) => {
            let (ty, status) = e.kind.wire();
            let mut m = Map::new();
            m.insert("__type".into(), Value::String(ty.into()));
            if let Some(msg) = e.message {
                m.insert(e.kind.message_key().into(), Value::String(msg));
            }
            if let Some(detail) = e.detail {
                match *detail {
                    ErrorDetail::Item(item) => {
                        m.insert("Item".into(), attr::render_item(&item));
                    }
                    ErrorDetail::CancellationReasons(reasons) => {
                        let list = reasons.into_iter().map(render_reason).collect();
                        m.insert("CancellationReasons".into(), Value::Array(list));
                    }
                    ErrorDetail::ThrottlingReasons(reasons) => {
                        // The model's member names: ProvisionedThroughputExceededException's
                        // `ThrottlingReasons`, ThrottlingException's `throttlingReasons`.
                        let key = match e.kind {
                            ErrorKind::ThroughputThrottled => "throttlingReasons",
                            _ => "ThrottlingReasons",
                        };
                        let list = reasons
                            .into_iter()
                            .map(|r| {
                                let mut one = Map::new();
                                one.insert("reason".into(), Value::String(r.reason));
                                one.insert("resource".into(), Value::String(r.resource));
                                Value::Object(one)
                            })
                            .collect();
                        m.insert(key.into(), Value::Array(list));
                    }
                }
            }
            let body = serde_json::to_vec(&Value::Object(m)).unwrap_or_else(|_| b"{}".to_vec());
            (status, body)
        }
    };
    Response {
        status,
        crc32: crc32fast::hash(&body),
        body,
        request_id: request_id(),
        content_type: AMZ_JSON,
    }
}

/// The error type of a rendered answer, without its namespace (`ValidationException`), as
/// metrics and logs label it; None for a success. Reads back what `render` (JSON `__type`) or
/// the query protocol (XML `<Code>`) wrote.
pub fn error_type(r: &Response) -> Option<&str> {
    if r.status < 400 {
        return None;
    }
    let text = std::str::from_utf8(&r.body).ok()?;
    let (open, close) = match r.content_type {
        AMZ_JSON => ("\"__type\":\"", "\""),
        _ => ("<Code>", "</Code>"),
    };
    let start = text.find(open)? + open.len();
    let ty = &text[start..start + text[start..].find(close)?];
    Some(ty.rsplit('#').next().unwrap_or(ty))
}

/// The operation a request named (`resolved` from `target` by `resolve_target`), as metrics
/// and logs label it: the DynamoDB or Streams operation, `sts` for the query protocol (no
/// target), `unknown` for anything the model does not define (so a client cannot mint labels).
pub fn operation_label(
    target: Option<&str>,
    resolved: &Result<(Service, &'static str), Error>,
) -> &'static str {
    match (resolved, target) {
        (Ok((_, op)), _) => op,
        (Err(_), None) => "sts",
        (Err(_), Some(_)) => "unknown",
    }
}

/// One CancellationReason: `Code`, then `Message` and `Item` when present (capitalised, as the
/// service's model names them).
fn render_reason(r: crate::error::CancellationReason) -> Value {
    let mut m = Map::new();
    m.insert("Code".into(), Value::String(r.code.into()));
    if let Some(msg) = r.message {
        m.insert("Message".into(), Value::String(msg));
    }
    if let Some(item) = r.item {
        m.insert("Item".into(), attr::render_item(&item));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct_32_hex_digits() {
        let (a, b) = (request_id(), request_id());
        assert_ne!(a, b);
        for id in [a, b] {
            assert_eq!(id.len(), 32);
            assert!(id
                .bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
        }
    }

    // Only a JSON object is a request; an empty body is not one (the service's 400, not `{}`).
    #[test]
    fn bodies_that_are_not_one_object_are_serialization_errors() {
        for body in [&b""[..], b"  ", b"{not json", b"[]"] {
            let e = parse_body(body).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Serialization);
        }
        assert!(parse_body(b"{}").is_ok());
    }

    // The account/region split is what isolates tables between callers.
    #[test]
    fn scope_comes_from_the_credential() {
        let s = Scope::from_authorization(Some(
            "AWS4-HMAC-SHA256 Credential=123456789012/20260421/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x",
        ));
        assert_eq!(
            s,
            Scope {
                account: "123456789012".into(),
                region: "eu-west-1".into()
            }
        );
        let s = Scope::from_authorization(Some(
            "AWS4-HMAC-SHA256 Credential=test/20260421/us-west-2/dynamodb/aws4_request",
        ));
        assert_eq!(
            s,
            Scope {
                account: "000000000000".into(),
                region: "us-west-2".into()
            }
        );
        assert_eq!(Scope::from_authorization(None).region, "us-east-1");
    }
}
