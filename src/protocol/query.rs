//! The AWS query protocol (form-encoded request, XML answer), for the one STS action awsim
//! answers on its endpoint: GetCallerIdentity, which Terraform's AWS provider, the CDK and test
//! helpers call before they touch a table. Anything else of STS answers the protocol's
//! `InvalidAction` error. Knows nothing of DynamoDB; the action table is in `dispatch`.
use super::{request_id, Response};

/// STS's API version and XML namespace.
pub const STS_VERSION: &str = "2011-06-15";
const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
const XML: &str = "text/xml";

/// Whether a request speaks the query protocol: no `X-Amz-Target` and a form-encoded body.
pub fn is_query(target: Option<&str>, content_type: Option<&str>) -> bool {
    target.is_none()
        && content_type.is_some_and(|c| {
            c.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// The parameters of a form-encoded body (`a=b&c=d`, `+` as space, `%XX` escapes), in order.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    body.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut kv = pair.splitn(2, |&b| b == b'=');
            let k = decode(kv.next().unwrap_or_default());
            let v = decode(kv.next().unwrap_or_default());
            (k, v)
        })
        .collect()
}

fn decode(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => {
                let hex = std::str::from_utf8(&s[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Escapes text for an XML element.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn xml(status: u16, body: String, id: String) -> Response {
    let body = body.into_bytes();
    Response {
        status,
        crc32: crc32fast::hash(&body),
        body,
        request_id: id,
        content_type: XML,
    }
}

/// GetCallerIdentity's answer.
pub fn caller_identity(account: &str, arn: &str, user_id: &str) -> Response {
    let id = request_id();
    let body = format!(
        "<GetCallerIdentityResponse xmlns=\"{STS_NAMESPACE}\">\n  <GetCallerIdentityResult>\n    <Arn>{}</Arn>\n    <UserId>{}</UserId>\n    <Account>{}</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>{id}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n",
        escape(arn),
        escape(user_id),
        escape(account)
    );
    xml(200, body, id)
}

/// A query-protocol error: HTTP 400, `Sender` fault.
pub fn error(code: &str, message: &str) -> Response {
    let id = request_id();
    let body = format!(
        "<ErrorResponse xmlns=\"{STS_NAMESPACE}\">\n  <Error>\n    <Type>Sender</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{id}</RequestId>\n</ErrorResponse>\n",
        escape(code),
        escape(message)
    );
    xml(400, body, id)
}

/// The error for an action (or version) this endpoint does not serve.
pub fn unknown_action(action: &str, version: Option<&str>) -> Response {
    error(
        "InvalidAction",
        &format!(
            "Could not find operation {action} for version {}",
            version.unwrap_or("NO_VERSION_SPECIFIED")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // SDKs send `Action=GetCallerIdentity&Version=2011-06-15`; values may be percent-encoded.
    #[test]
    fn forms_decode() {
        assert_eq!(
            parse_form(b"Action=GetCallerIdentity&Version=2011-06-15"),
            vec![
                ("Action".to_string(), "GetCallerIdentity".to_string()),
                ("Version".to_string(), "2011-06-15".to_string())
            ]
        );
        assert_eq!(
            parse_form(b"a=x%2By+z&b=%zz&c"),
            vec![
                ("a".to_string(), "x+y z".to_string()),
                ("b".to_string(), "%zz".to_string()),
                ("c".to_string(), String::new())
            ]
        );
    }

    // The content type decides the protocol; a DynamoDB request always carries its target.
    #[test]
    fn only_form_bodies_without_a_target_are_query_requests() {
        let form = Some("application/x-www-form-urlencoded; charset=utf-8");
        assert!(is_query(None, form));
        assert!(!is_query(Some("DynamoDB_20120810.ListTables"), form));
        assert!(!is_query(None, Some("application/x-amz-json-1.0")));
        assert!(!is_query(None, None));
    }

    // User text (an action name) must not break the XML.
    #[test]
    fn errors_escape_their_text() {
        let r = unknown_action("<x&y>", None);
        let body = String::from_utf8(r.body).unwrap();
        assert!(body
            .contains("Could not find operation &lt;x&amp;y&gt; for version NO_VERSION_SPECIFIED"));
        assert_eq!(r.status, 400);
    }
}
