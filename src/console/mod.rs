//! The web console at `/_awsim/ui/`: three static files (`index.html`, `app.css`, `app.js`)
//! compiled into the binary and served with a strict Content-Security-Policy (scripts and
//! styles from this origin only, no inline code, no framing), gzip-compressed when the browser
//! accepts it. The page itself talks to the DynamoDB API (`POST /`, JSON 1.0) and the admin
//! endpoints with `fetch`, like any other client: nothing here knows tables or items, and no
//! page is rendered on the server.
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{
    HeaderValue, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION,
    VARY,
};
use hyper::{Method, Response, StatusCode};
use std::io::Write;
use std::sync::OnceLock;

/// One embedded file and its gzip form (made once, on first request).
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    gzipped: OnceLock<Bytes>,
}

static ASSETS: [Asset; 3] = [
    Asset {
        path: "/_awsim/ui/",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("index.html"),
        gzipped: OnceLock::new(),
    },
    Asset {
        path: "/_awsim/ui/app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("app.css"),
        gzipped: OnceLock::new(),
    },
    Asset {
        path: "/_awsim/ui/app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("app.js"),
        gzipped: OnceLock::new(),
    },
];

/// Everything the page may load or call: its own files and this endpoint. `connect-src` is
/// this origin only (the API and the admin endpoints are on it).
const POLICY: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Answers a request for a console path (`/_awsim/ui` or below it).
pub fn serve(method: &Method, path: &str, accept_encoding: Option<&str>) -> Response<Full<Bytes>> {
    if method != Method::GET && method != Method::HEAD {
        let mut resp = text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
        resp.headers_mut()
            .insert(hyper::header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    if path == "/_awsim/ui" {
        let mut resp = text(StatusCode::PERMANENT_REDIRECT, "");
        resp.headers_mut()
            .insert(LOCATION, HeaderValue::from_static("/_awsim/ui/"));
        return resp;
    }
    // Any other path under the console is the page itself (the page routes with `#...`).
    let path = if path.ends_with(".css") || path.ends_with(".js") {
        path
    } else {
        "/_awsim/ui/"
    };
    let Some(asset) = ASSETS.iter().find(|a| a.path == path) else {
        return text(StatusCode::NOT_FOUND, "Not Found");
    };
    let gzip = accept_encoding.is_some_and(accepts_gzip);
    let body = if gzip {
        asset
            .gzipped
            .get_or_init(|| Bytes::from(compress(asset.body)))
            .clone()
    } else {
        Bytes::from_static(asset.body)
    };
    let body = if method == Method::HEAD {
        Bytes::new()
    } else {
        body
    };
    let mut resp = Response::new(Full::new(body));
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    // The files change with the binary: always revalidate (they are small and local).
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(VARY, HeaderValue::from_static("accept-encoding"));
    if gzip {
        h.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    resp
}

/// Whether an `Accept-Encoding` list names gzip (or `*`) without `q=0`.
fn accepts_gzip(header: &str) -> bool {
    header.split(',').any(|part| {
        let mut pieces = part.split(';');
        let coding = pieces.next().unwrap_or("").trim();
        let refused = pieces.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

fn compress(body: &[u8]) -> Vec<u8> {
    let mut out = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing into a Vec cannot fail.
    let _ = out.write_all(body);
    out.finish().unwrap_or_default()
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    // The page's safety net: even if a value slipped into markup, the policy forbids inline
    // script and any other origin.
    #[test]
    fn every_file_is_served_with_the_policy_and_its_type() {
        for (path, ty) in [
            ("/_awsim/ui/", "text/html"),
            ("/_awsim/ui/tables", "text/html"),
            ("/_awsim/ui/app.js", "text/javascript"),
            ("/_awsim/ui/app.css", "text/css"),
        ] {
            let resp = serve(&Method::GET, path, None);
            assert_eq!(resp.status(), StatusCode::OK, "{path}");
            let h = resp.headers();
            assert!(h[CONTENT_TYPE].to_str().unwrap().starts_with(ty), "{path}");
            assert!(h[CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("script-src 'self'"));
        }
        assert_eq!(
            serve(&Method::GET, "/_awsim/ui/nope.js", None).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            serve(&Method::GET, "/_awsim/ui", None).status(),
            StatusCode::PERMANENT_REDIRECT
        );
        assert_eq!(
            serve(&Method::POST, "/_awsim/ui/", None).status(),
            StatusCode::METHOD_NOT_ALLOWED
        );
    }

    // Compressed only when asked, and what is sent decompresses to the file.
    #[test]
    fn gzip_when_accepted() {
        use http_body_util::BodyExt;
        assert!(accepts_gzip("gzip, deflate, br"));
        assert!(accepts_gzip("br;q=1.0, gzip;q=0.8"));
        assert!(!accepts_gzip("gzip;q=0, br"));
        assert!(!accepts_gzip("identity"));
        let resp = serve(&Method::GET, "/_awsim/ui/app.js", Some("gzip"));
        assert_eq!(resp.headers()[CONTENT_ENCODING], "gzip");
        let body = futures_body(resp.into_body().collect());
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut plain)
            .unwrap();
        assert_eq!(plain, include_bytes!("app.js"));
    }

    fn futures_body(
        f: impl std::future::Future<
            Output = Result<http_body_util::Collected<Bytes>, std::convert::Infallible>,
        >,
    ) -> Bytes {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
            .unwrap()
            .to_bytes()
    }
}
