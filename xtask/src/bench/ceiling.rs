//! `ceiling`: the limit of the machine for the benchmark's request shapes. A bare hyper server
//! (the same hyper, tokio and worker count as awsim) that reads each request's whole body and
//! answers a fixed reply: for GetItem, PutItem and the rest, the bench's GetItem answer (the
//! ~200-byte item of the workloads); for DescribeTable, an ACTIVE table so the workloads' set-up
//! passes. No JSON is parsed and nothing is stored, so whatever awsim spends beyond it is
//! awsim's own. Started by the benchmark as `xtask ceiling --port N`, a process of its own like
//! every other server, so its CPU time is measured the same way.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// `xtask ceiling --port N`: serves until killed.
pub fn serve(args: &[String]) -> Result<(), String> {
    let port = match args {
        [flag, port] if flag == "--port" => port
            .parse::<u16>()
            .map_err(|e| format!("--port {port}: {e}"))?,
        _ => return Err("usage: xtask ceiling --port N".into()),
    };
    // awsim's runtime: one async worker per core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start tokio: {e}"))?;
    runtime.block_on(accept(SocketAddr::from(([127, 0, 0, 1], port))))
}

async fn accept(addr: SocketAddr) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let replies = Replies::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.keep_alive(true);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let replies = replies.clone();
        let service = hyper::service::service_fn(move |req| answer(replies.clone(), req));
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
}

/// The two fixed answers, with their checksums computed once.
#[derive(Clone)]
struct Replies {
    item: (Bytes, String),
    table: (Bytes, String),
}

impl Replies {
    fn new() -> Replies {
        let item = format!(r#"{{"Item":{}}}"#, super::workload::sample_item());
        let table = r#"{"Table":{"TableName":"bench","TableStatus":"ACTIVE","ItemCount":0}}"#;
        let with_crc = |body: String| {
            let crc = crc32(body.as_bytes()).to_string();
            (Bytes::from(body), crc)
        };
        Replies {
            item: with_crc(item),
            table: with_crc(table.to_string()),
        }
    }
}

async fn answer(
    replies: Replies,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let describe = req
        .headers()
        .get("x-amz-target")
        .is_some_and(|t| t.as_bytes().ends_with(b".DescribeTable"));
    // The body is read whole, as a server must before it can answer.
    let _ = req.into_body().collect().await;
    let (body, crc) = match describe {
        true => &replies.table,
        false => &replies.item,
    };
    let response = Response::builder()
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amzn-requestid", "00000000-0000-0000-0000-000000000000")
        .header("x-amz-crc32", crc.as_str())
        .body(Full::new(body.clone()))
        .expect("a fixed response is valid");
    Ok(response)
}

/// CRC-32 (IEEE), as the `x-amz-crc32` header carries it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    crc.sum()
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc32_matches_the_check_value() {
        assert_eq!(super::crc32(b"123456789"), 0xCBF4_3926);
    }
}
