//! SigV4 request authentication (`--auth strict`): the `Authorization` header checked as the
//! service checks it, in its order and words: the header's presence and shape
//! (MissingAuthenticationToken, IncompleteSignature), the date and the 5-minute clock skew
//! (InvalidSignature, "Signature expired" / "not yet current"), the access key
//! (UnrecognizedClient), then the signature itself over the canonical request (InvalidSignature).
//! Pure: the caller hands in the request's parts and the time; no HTTP types, no I/O.
use crate::codec::hex;
use crate::error::{Error, ErrorKind};
use crate::model::Scope;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// How far a request's date may be from the server's clock.
pub const MAX_SKEW_SECS: i64 = 5 * 60;

/// The credentials strict mode accepts: access key id -> (secret, account).
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    keys: HashMap<String, (String, String)>,
}

impl Credentials {
    pub fn new() -> Credentials {
        Credentials::default()
    }

    /// Adds a key; `account` defaults as the permissive mode derives it (a 12-digit key is its
    /// own account, anything else `000000000000`).
    pub fn insert(&mut self, access_key: &str, secret: &str, account: Option<&str>) {
        let account = account
            .map(str::to_string)
            .unwrap_or_else(|| Scope::account_for(access_key));
        self.keys
            .insert(access_key.to_string(), (secret.to_string(), account));
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Reads a credentials file: one key per line, `ACCESS_KEY_ID SECRET [ACCOUNT]` separated by
    /// white space or commas; blank lines and `#` comments are skipped.
    pub fn parse(text: &str) -> Result<Credentials, String> {
        let mut creds = Credentials::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parts: Vec<&str> = line
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|p| !p.is_empty())
                .collect();
            match parts.as_slice() {
                [key, secret] => creds.insert(key, secret, None),
                [key, secret, account] => creds.insert(key, secret, Some(account)),
                _ => {
                    return Err(format!(
                        "line {}: expected ACCESS_KEY_ID SECRET [ACCOUNT]",
                        n + 1
                    ))
                }
            }
        }
        Ok(creds)
    }
}

/// The parts of an HTTP request a signature covers.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path as sent (already percent-encoded by the client).
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// Header names (any case) and values, as received.
    pub headers: &'a [(String, String)],
    /// The body as sent (before any Content-Encoding is undone).
    pub body: &'a [u8],
}

impl SignedRequest<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn error(kind: ErrorKind, msg: impl Into<String>) -> Error {
    Error::new(kind, msg.into())
}

/// The parsed `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
struct Authorization<'a> {
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

/// Checks `req` against `creds` at `now` (Unix seconds) and returns the caller's scope.
pub fn verify(req: &SignedRequest, creds: &Credentials, now: f64) -> Result<Scope, Error> {
    let Some(header) = req.header("authorization").map(str::trim) else {
        return Err(error(
            ErrorKind::MissingAuthenticationToken,
            "Request is missing Authentication Token",
        ));
    };
    if !header.starts_with("AWS4-") {
        return Err(error(
            ErrorKind::MissingAuthenticationToken,
            "Request is missing Authentication Token",
        ));
    }
    let auth = parse_authorization(header, req)?;
    let amz_date = req
        .header("x-amz-date")
        .or_else(|| req.header("date"))
        .unwrap_or_default();
    let Some(signed_at) = parse_amz_date(amz_date) else {
        return Err(error(
            ErrorKind::IncompleteSignature,
            format!(
                "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ),
        ));
    };
    let now_secs = now.floor() as i64;
    if signed_at < now_secs - MAX_SKEW_SECS {
        return Err(error(
            ErrorKind::InvalidSignature,
            format!(
                "Signature expired: {amz_date} is now earlier than {} ({} - 5 min.)",
                format_amz_date(now_secs - MAX_SKEW_SECS),
                format_amz_date(now_secs)
            ),
        ));
    }
    if signed_at > now_secs + MAX_SKEW_SECS {
        return Err(error(
            ErrorKind::InvalidSignature,
            format!(
                "Signature not yet current: {amz_date} is still later than {} ({} + 5 min.)",
                format_amz_date(now_secs + MAX_SKEW_SECS),
                format_amz_date(now_secs)
            ),
        ));
    }
    let Some((secret, account)) = creds.keys.get(auth.access_key) else {
        return Err(error(
            ErrorKind::UnrecognizedClient,
            "The security token included in the request is invalid.",
        ));
    };
    let expected = signature(req, &auth, amz_date, secret);
    if !constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        return Err(error(
            ErrorKind::InvalidSignature,
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        ));
    }
    Ok(Scope {
        account: account.clone(),
        region: auth.region.to_string(),
    })
}

fn parse_authorization<'a>(
    header: &'a str,
    req: &SignedRequest,
) -> Result<Authorization<'a>, Error> {
    let mut params: HashMap<&str, &str> = HashMap::new();
    let rest = header.split_once(' ').map_or("", |(_, r)| r);
    for part in rest.split([',', ' ']).filter(|p| !p.is_empty()) {
        if let Some((k, v)) = part.trim().split_once('=') {
            params.insert(k, v);
        }
    }
    let mut msg = String::new();
    for p in ["Credential", "Signature", "SignedHeaders"] {
        if params.get(p).is_none_or(|v| v.is_empty()) {
            msg.push_str(&format!("Authorization header requires '{p}' parameter. "));
        }
    }
    if req.header("x-amz-date").is_none() && req.header("date").is_none() {
        msg.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    if !msg.is_empty() {
        return Err(error(
            ErrorKind::IncompleteSignature,
            format!("{msg}Authorization={header}"),
        ));
    }
    let credential = params["Credential"];
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, service, terminator] = scope[..] else {
        return Err(error(
            ErrorKind::IncompleteSignature,
            format!(
                "Credential should be scoped to a valid region, not '{}'. ",
                scope.get(2).copied().unwrap_or_default()
            ),
        ));
    };
    if terminator != "aws4_request" {
        return Err(error(
            ErrorKind::IncompleteSignature,
            format!("Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "),
        ));
    }
    Ok(Authorization {
        access_key,
        date,
        region,
        service,
        signed_headers: params["SignedHeaders"].split(';').collect(),
        signature: params["Signature"],
    })
}

/// The signature the request should carry, computed with `secret`.
fn signature(req: &SignedRequest, auth: &Authorization, amz_date: &str, secret: &str) -> String {
    let canonical = canonical_request(req, &auth.signed_headers);
    let scope = format!(
        "{}/{}/{}/aws4_request",
        auth.date, auth.region, auth.service
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let key = signing_key(secret, auth.date, auth.region, auth.service);
    hex(&hmac(&key, string_to_sign.as_bytes()))
}

/// The canonical request of SigV4: method, canonical URI, canonical query, the signed headers
/// (lower-case names, trimmed values with inner white space runs folded), their names, and the
/// payload hash (`X-Amz-Content-Sha256` when the client sent one, such as UNSIGNED-PAYLOAD).
fn canonical_request(req: &SignedRequest, signed: &[&str]) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(req.method);
    out.push('\n');
    out.push_str(&canonical_uri(req.path));
    out.push('\n');
    out.push_str(&canonical_query(req.query));
    out.push('\n');
    for name in signed {
        let values: Vec<String> = req
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| fold_spaces(v))
            .collect();
        out.push_str(&name.to_ascii_lowercase());
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed.join(";"));
    out.push('\n');
    match req.header("x-amz-content-sha256") {
        Some(h) => out.push_str(h.trim()),
        None => out.push_str(&hex(&Sha256::digest(req.body))),
    }
    out
}

fn fold_spaces(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The path normalised (empty, `.` and `..` segments resolved, as RFC 3986 and the SDKs do),
/// each segment URI-encoded once more (services other than S3 double-encode).
fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::from("/");
    out.push_str(
        &segments
            .iter()
            .map(|seg| uri_encode(seg, true))
            .collect::<Vec<_>>()
            .join("/"),
    );
    if path.len() > 1 && path.ends_with('/') && !segments.is_empty() {
        out.push('/');
    }
    out
}

/// The query string's parameters, each name and value URI-encoded, sorted by name then value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k), true),
                uri_encode(&percent_decode(v), true),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// RFC 3986 unreserved characters stay, everything else becomes `%XX` (upper-case hex).
fn uri_encode(s: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep =
            b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (b == b'/' && !encode_slash);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hexval = |c: u8| (c as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hexval(bytes[i + 1]), hexval(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `20260421T101500Z` -> Unix seconds.
fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se)
}

fn format_amz_date(t: i64) -> String {
    let (days, rem) = (t.div_euclid(86400), t.rem_euclid(86400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The signing-key derivation example of the SigV4 documentation (secret
    // wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215, us-east-1, iam).
    #[test]
    fn signing_key_matches_the_published_example() {
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex(&key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    // Dates in the basic format round-trip, and skew messages print them the same way.
    #[test]
    fn amz_dates_parse_and_print() {
        let t = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(format_amz_date(t), "20150830T123600Z");
        assert_eq!(parse_amz_date("2015-08-30T12:36:00Z"), None);
    }
}
