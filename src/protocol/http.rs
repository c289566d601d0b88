//! The endpoint's HTTP conventions, as plain functions over header text and bytes (no hyper
//! types; `server.rs` applies them): content codings of request bodies (decoded with a size cap,
//! so a small compressed body cannot expand past `MAX_BODY_BYTES`), compressed responses on
//! `Accept-Encoding` (with `x-amz-crc32` over the bytes sent), the `GET /` health answer and the
//! CORS headers. Must not depend on ops, engine or storage.
use super::{Response, MAX_BODY_BYTES};
use crate::error::{Error, ErrorKind};
use std::io::{Read, Write};

/// Responses at least this long are compressed when the client accepts gzip or deflate. Below
/// about one TCP segment (1460 bytes on Ethernet, less the headers) a compressed body saves no
/// packet and no round trip, only CPU on both sides, and a few dozen bytes of JSON barely shrink
/// (gzip adds 18 bytes of framing). Above it, DynamoDB JSON shrinks 5-10x (repeated attribute
/// names and type tags), which is what a large Query or Scan page gains.
pub const COMPRESS_MIN_BYTES: usize = 1024;

/// Request URIs longer than this are refused with 414 (an API request's URI is `/`).
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// The request head (request line and headers) is capped at this size: 431 beyond it (hyper's
/// own answer, before any of it reaches a handler). SigV4 headers with a session token are
/// about 2 KB, so this leaves room for proxies and tracing headers.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// The `Server` header the service sends on every response.
pub const SERVER: &str = "Server";

/// The request headers a browser may send cross-origin (CORS preflight): everything the AWS SDKs
/// for JavaScript send, signed or not.
pub const CORS_ALLOW_HEADERS: &str = "authorization, content-type, content-encoding, x-amz-target, x-amz-date, x-amz-user-agent, x-amz-security-token, x-amz-content-sha256, x-amz-client-context, amz-sdk-invocation-id, amz-sdk-request, x-amzn-trace-id";

/// The methods the endpoint answers, for a preflight's `Access-Control-Allow-Methods`.
pub const CORS_ALLOW_METHODS: &str = "GET, POST, OPTIONS";

/// The response headers browser code may read: the request id (for support cases and logs) and
/// the checksum (the JavaScript SDK v2 verifies it).
pub const CORS_EXPOSE_HEADERS: &str = "x-amzn-RequestId, x-amz-crc32";

/// How long a browser may cache a preflight answer, in seconds.
pub const CORS_MAX_AGE: &str = "86400";

/// A content coding awsim reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Gzip,
    /// HTTP's `deflate`: a zlib stream (RFC 1950). Raw deflate data is accepted on requests
    /// too, since some clients send it under this name.
    Deflate,
}

impl Coding {
    pub fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }
}

/// Why a request body could not be turned into its JSON bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    /// More than `MAX_BODY_BYTES`, raw or decoded: 413.
    TooLarge,
    /// An unknown or stacked `Content-Encoding`, or data that does not decode: 400.
    Undecodable(String),
}

impl BodyError {
    /// The client error this becomes, rendered by `protocol::render`.
    pub fn into_error(self) -> Error {
        match self {
            BodyError::TooLarge => Error::new(
                ErrorKind::RequestEntityTooLarge,
                format!("Request body must not be larger than {MAX_BODY_BYTES} bytes"),
            ),
            BodyError::Undecodable(why) => Error::serialization(why),
        }
    }
}

/// The coding of a request body from its `Content-Encoding` header: `None` for no header,
/// `identity` or an empty value. Exactly one real coding is accepted; a stacked list such as
/// `gzip, gzip` is refused (no SDK sends one to DynamoDB, and decoding several layers would
/// multiply the work a small body can cause).
pub fn request_coding(content_encoding: Option<&str>) -> Result<Option<Coding>, BodyError> {
    let Some(header) = content_encoding else {
        return Ok(None);
    };
    let codings: Vec<String> = header
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect();
    match codings.as_slice() {
        [] => Ok(None),
        [one] => match one.as_str() {
            "gzip" | "x-gzip" => Ok(Some(Coding::Gzip)),
            "deflate" => Ok(Some(Coding::Deflate)),
            other => Err(BodyError::Undecodable(format!(
                "Unsupported Content-Encoding: {other} (supported: gzip, deflate)"
            ))),
        },
        _ => Err(BodyError::Undecodable(format!(
            "Unsupported Content-Encoding: {} (only one coding, gzip or deflate, is supported)",
            header.trim()
        ))),
    }
}

/// Decodes a request body, stopping as soon as the output passes `limit` bytes (so a zip bomb
/// costs at most `limit` bytes of memory and the work to produce them).
pub fn decode(coding: Coding, body: &[u8], limit: usize) -> Result<Vec<u8>, BodyError> {
    fn read_capped(mut r: impl Read, limit: usize, coding: Coding) -> Result<Vec<u8>, BodyError> {
        let mut out = Vec::new();
        match r.by_ref().take(limit as u64 + 1).read_to_end(&mut out) {
            Ok(_) if out.len() > limit => Err(BodyError::TooLarge),
            Ok(_) => Ok(out),
            Err(e) => Err(BodyError::Undecodable(format!(
                "The request body is not valid {} data (Content-Encoding: {}): {e}",
                coding.name(),
                coding.name()
            ))),
        }
    }
    if body.is_empty() {
        return Err(BodyError::Undecodable(format!(
            "The request body is empty but declares Content-Encoding: {}",
            coding.name()
        )));
    }
    match coding {
        // Several gzip members in a row are one body (RFC 1952); bytes after the last member
        // that are not another member are an error.
        Coding::Gzip => read_capped(flate2::read::MultiGzDecoder::new(body), limit, coding),
        Coding::Deflate if is_zlib_header(body) => {
            read_capped(flate2::read::ZlibDecoder::new(body), limit, coding)
        }
        Coding::Deflate => read_capped(flate2::read::DeflateDecoder::new(body), limit, coding),
    }
}

/// A zlib stream starts with CMF/FLG: compression method 8 and a header checksum (RFC 1950).
fn is_zlib_header(b: &[u8]) -> bool {
    b.len() >= 2 && b[0] & 0x0F == 8 && (u16::from(b[0]) << 8 | u16::from(b[1])) % 31 == 0
}

/// The coding to answer with, from `Accept-Encoding` (RFC 9110 §12.5.3): gzip, else deflate,
/// whichever the client accepts with a non-zero weight (`*` accepts both); none otherwise.
pub fn response_coding(accept_encoding: Option<&str>) -> Option<Coding> {
    let header = accept_encoding?;
    let mut weights: Vec<(String, f32)> = Vec::new();
    for item in header.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        if name.is_empty() {
            continue;
        }
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        weights.push((name, q));
    }
    let weight = |name: &str| {
        weights
            .iter()
            .find(|(n, _)| n == name)
            .or_else(|| weights.iter().find(|(n, _)| n == "*"))
            .map(|(_, q)| *q)
    };
    let (gzip, deflate) = (
        weight("gzip").or(weight("x-gzip")).unwrap_or(0.0),
        weight("deflate").unwrap_or(0.0),
    );
    if gzip > 0.0 && gzip >= deflate {
        Some(Coding::Gzip)
    } else if deflate > 0.0 {
        Some(Coding::Deflate)
    } else {
        None
    }
}

/// Compresses a rendered response for a client that accepts `coding`, when it is large enough
/// (`COMPRESS_MIN_BYTES`). The checksum is then recomputed over the compressed bytes: the
/// service's `x-amz-crc32` covers the bytes on the wire, which is what botocore checks (over the
/// raw body, before decoding) and what the Java SDK checks (its CRC stream sits below its gzip
/// stream). Returns the coding applied, if any.
pub fn compress(response: &mut Response, coding: Option<Coding>) -> Option<Coding> {
    let coding = coding?;
    if response.body.len() < COMPRESS_MIN_BYTES {
        return None;
    }
    // Level 1: on loopback the CPU is the cost, and JSON still shrinks 5x or more at this level.
    let level = flate2::Compression::fast();
    let capacity = response.body.len() / 4;
    let compressed = match coding {
        Coding::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::with_capacity(capacity), level);
            e.write_all(&response.body).and_then(|()| e.finish())
        }
        Coding::Deflate => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::with_capacity(capacity), level);
            e.write_all(&response.body).and_then(|()| e.finish())
        }
    };
    // Writing into a Vec cannot fail; if it ever did, the uncompressed answer is still right.
    let compressed = compressed.ok()?;
    response.crc32 = crc32fast::hash(&compressed);
    response.body = compressed;
    Some(coding)
}

/// The body of the endpoint's `GET /` answer, with the host the client used. The service
/// answers `healthy: dynamodb.us-east-1.amazonaws.com ` (trailing space included).
pub fn health_body(host: &str) -> String {
    format!("healthy: {host} ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn response(body: &[u8]) -> Response {
        Response {
            status: 200,
            body: body.to_vec(),
            request_id: "r".into(),
            crc32: crc32fast::hash(body),
            content_type: "application/x-amz-json-1.0",
        }
    }

    // Every coding a client may name in Content-Encoding: one real coding at most, identity and
    // case ignored, anything else a client error (never a 500).
    #[test]
    fn request_codings_accept_one_of_gzip_or_deflate() {
        assert_eq!(request_coding(None), Ok(None));
        assert_eq!(request_coding(Some("identity")), Ok(None));
        assert_eq!(request_coding(Some("GZIP")), Ok(Some(Coding::Gzip)));
        assert_eq!(request_coding(Some("x-gzip")), Ok(Some(Coding::Gzip)));
        assert_eq!(
            request_coding(Some(" deflate ,identity")),
            Ok(Some(Coding::Deflate))
        );
        for bad in ["br", "zstd", "gzip, gzip", "gzip, deflate", "compress"] {
            assert!(
                matches!(request_coding(Some(bad)), Err(BodyError::Undecodable(_))),
                "{bad}"
            );
        }
    }

    // What SDKs send (gzip, zlib deflate) and what some hand-written clients send (raw deflate)
    // all decode to the same JSON.
    #[test]
    fn gzip_zlib_and_raw_deflate_bodies_decode() {
        let json = br#"{"TableName":"t"}"#;
        assert_eq!(decode(Coding::Gzip, &gzip(json), 100).unwrap(), json);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(json).unwrap();
        assert_eq!(
            decode(Coding::Deflate, &z.finish().unwrap(), 100).unwrap(),
            json
        );
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        d.write_all(json).unwrap();
        assert_eq!(
            decode(Coding::Deflate, &d.finish().unwrap(), 100).unwrap(),
            json
        );
    }

    // A tiny body that expands to more than the cap is refused as too large once the cap is
    // passed, without inflating the rest (a zip bomb costs at most the cap).
    #[test]
    fn a_body_that_expands_past_the_limit_is_too_large() {
        let bomb = gzip(&vec![b' '; 1 << 20]);
        assert!(bomb.len() < 2048);
        assert_eq!(decode(Coding::Gzip, &bomb, 1000), Err(BodyError::TooLarge));
        assert_eq!(decode(Coding::Gzip, &bomb, 1 << 20).unwrap().len(), 1 << 20);
    }

    // Truncated, corrupt, empty and trailing-garbage bodies are client errors.
    #[test]
    fn broken_compressed_bodies_are_undecodable() {
        let good = gzip(br#"{"TableName":"t"}"#);
        let mut trailing = good.clone();
        trailing.extend_from_slice(b"garbage");
        let broken: [&[u8]; 4] = [
            &good[..good.len() - 4],
            b"{\"not\":\"gzip\"}",
            b"",
            &trailing,
        ];
        for body in broken {
            assert!(
                matches!(
                    decode(Coding::Gzip, body, 1000),
                    Err(BodyError::Undecodable(_))
                ),
                "{body:?}"
            );
        }
        assert!(matches!(
            decode(Coding::Deflate, b"\xff\xff\xff", 1000),
            Err(BodyError::Undecodable(_))
        ));
    }

    // Accept-Encoding as browsers, curl and SDKs write it, with weights.
    #[test]
    fn accept_encoding_picks_gzip_then_deflate_by_weight() {
        assert_eq!(response_coding(None), None);
        assert_eq!(response_coding(Some("identity")), None);
        assert_eq!(
            response_coding(Some("gzip, deflate, br")),
            Some(Coding::Gzip)
        );
        assert_eq!(response_coding(Some("deflate")), Some(Coding::Deflate));
        assert_eq!(
            response_coding(Some("gzip;q=0.5, deflate")),
            Some(Coding::Deflate)
        );
        assert_eq!(response_coding(Some("gzip;q=0")), None);
        assert_eq!(response_coding(Some("*")), Some(Coding::Gzip));
        assert_eq!(
            response_coding(Some("*;q=0, deflate")),
            Some(Coding::Deflate)
        );
    }

    // Small answers go out as they are; large ones compressed, with the checksum of the
    // compressed bytes (what the SDKs verify) and a body that decodes back to the original.
    #[test]
    fn large_responses_are_compressed_with_the_crc_of_the_compressed_bytes() {
        let mut small = response(b"{}");
        assert_eq!(compress(&mut small, Some(Coding::Gzip)), None);
        assert_eq!(small.body, b"{}");

        let json = format!(
            "{{\"Items\":[{}]}}",
            vec![r#"{"pk":{"S":"a"}}"#; 200].join(",")
        );
        for coding in [Coding::Gzip, Coding::Deflate] {
            let mut r = response(json.as_bytes());
            assert_eq!(compress(&mut r, Some(coding)), Some(coding));
            assert!(r.body.len() < json.len() / 5);
            assert_eq!(r.crc32, crc32fast::hash(&r.body));
            assert_eq!(decode(coding, &r.body, 1 << 20).unwrap(), json.as_bytes());
        }
        let mut plain = response(json.as_bytes());
        assert_eq!(compress(&mut plain, None), None);
        assert_eq!(plain.crc32, crc32fast::hash(json.as_bytes()));
    }

    proptest::proptest! {
        // Whatever bytes arrive under a coding (random, or a valid body with one byte changed),
        // decoding answers Ok or a client error and never panics or passes the cap.
        #[test]
        fn any_bytes_decode_or_are_refused(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
            at in 0usize..64,
            flip in 1u8..=255,
        ) {
            for coding in [Coding::Gzip, Coding::Deflate] {
                if let Ok(out) = decode(coding, &bytes, 4096) {
                    proptest::prop_assert!(out.len() <= 4096);
                }
            }
            let mut damaged = gzip(br#"{"TableName":"some-table","Limit":5}"#);
            let i = at % damaged.len();
            damaged[i] ^= flip;
            match decode(Coding::Gzip, &damaged, 4096) {
                Ok(out) => proptest::prop_assert!(out.len() <= 4096),
                Err(e) => proptest::prop_assert!(matches!(e, BodyError::Undecodable(_))),
            }
        }
    }
}
