//! The bodies of the parser fuzz targets, shared by `cargo fuzz` (fuzz/fuzz_targets/*.rs,
//! coverage-guided, nightly) and the `fuzz` test (the committed corpus under fuzz/corpus/ and
//! proptest-generated inputs, on stable). Each takes arbitrary bytes and panics only when awsim
//! misbehaves: a panic inside the parser, a 500 for a bad request, or a round trip that loses
//! information.
// The crates that include this module each use part of it.
#![allow(dead_code)]

use awsim::engine::Engine;
use awsim::error::ErrorKind;
use awsim::model::Scope;
use awsim::protocol::{self, Service};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A target's body: arbitrary bytes in, a panic on misbehaviour.
pub type Target = fn(&[u8]);

/// The fuzz targets, by the name of their corpus directory and `cargo fuzz` target.
pub const TARGETS: &[(&str, Target)] = &[
    ("request", request),
    ("attribute_value", attribute_value),
    ("expression", expression),
    ("partiql", partiql),
    ("sigv4", sigv4),
    ("item_codec", item_codec),
];

/// Every operation of both APIs, as `(service, name)`.
pub fn operations() -> &'static [(Service, String)] {
    static OPS: OnceLock<Vec<(Service, String)>> = OnceLock::new();
    OPS.get_or_init(|| {
        let mut out = Vec::new();
        for (service, text) in [
            (
                Service::DynamoDb,
                include_str!("../../src/protocol/model/dynamodb.json"),
            ),
            (
                Service::Streams,
                include_str!("../../src/protocol/model/streams.json"),
            ),
        ] {
            let doc: Value = serde_json::from_str(text).expect("the model is JSON");
            for op in doc["operations"].as_object().expect("operations").keys() {
                out.push((service, op.clone()));
            }
        }
        out
    })
}

/// One in-memory engine per process, with a few tables of every key shape for requests to
/// reach.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let engine = Engine::open(&awsim::Config::in_memory()).expect("in-memory engine");
        let scope = scope();
        for body in [
            json!({"TableName": "fz", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}}),
            json!({"TableName": "fzc", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "N"},
                    {"AttributeName": "g", "AttributeType": "B"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "GlobalSecondaryIndexes": [{"IndexName": "gi",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                    "Projection": {"ProjectionType": "ALL"}}],
                "LocalSecondaryIndexes": [{"IndexName": "li",
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "g", "KeyType": "RANGE"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"}}]}),
        ] {
            let _ = awsim::dispatch::call(&engine, &scope, Service::DynamoDb, "CreateTable", &body);
        }
        for i in 0..20 {
            let item = json!({"TableName": "fzc", "Item": {
                "pk": {"S": format!("p{}", i % 4)}, "sk": {"N": i.to_string()},
                "g": {"B": "AAEC"}, "l": {"L": [{"N": "1"}, {"SS": ["a", "b"]}]},
                "m": {"M": {"a": {"S": "x"}, "b": {"NULL": true}}}}});
            let _ = awsim::dispatch::call(&engine, &scope, Service::DynamoDb, "PutItem", &item);
        }
        engine
    })
}

fn scope() -> Scope {
    Scope {
        account: "000000000000".into(),
        region: "us-east-1".into(),
    }
}

/// A request: the first byte picks the operation, the rest is its body. A client error is
/// fine; a 500 (or a panic) is not.
pub fn request(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let ops = operations();
    let (service, op) = &ops[pick as usize % ops.len()];
    let Ok(doc) = protocol::parse_body(body) else {
        return;
    };
    if let Err(e) = awsim::dispatch::run(engine(), &scope(), None, *service, op, &doc) {
        assert_ne!(e.kind, ErrorKind::Internal, "{op}: {e:?}");
    }
}

/// An attribute value document: if awsim accepts it, its storage encoding and its JSON
/// rendering both give it back unchanged.
pub fn attribute_value(data: &[u8]) {
    let Ok(doc) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok(item) = protocol::attr::parse_item(&doc) else {
        return;
    };
    let stored = awsim::codec::item::encode_item(&item);
    let back = awsim::codec::item::decode_item(&stored).expect("an encoded item decodes");
    assert_eq!(back, item);
    let rendered = protocol::attr::render_item(&item);
    let again = protocol::attr::parse_item(&rendered).expect("a rendered item parses");
    assert_eq!(again, item);
}

/// Any text as each kind of expression: parsed or refused, never a panic.
pub fn expression(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = awsim::expr::parser::parse_condition(text);
    let _ = awsim::expr::parser::parse_update(text);
    let _ = awsim::expr::parser::parse_paths(text);
    let names: BTreeMap<String, String> = [("#a", "a"), ("#n", "n"), ("#k", "pk")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let _ = awsim::expr::projection::parse_projection(text, &names);
}

/// Any text as a PartiQL statement: tokenized and parsed or refused, never a panic.
pub fn partiql(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = awsim::partiql::lexer::tokenize(text);
    let _ = awsim::partiql::parser::parse_statement(text);
}

/// Header lines (`name: value`, the first line `METHOD path?query`) and a body after a blank
/// line, verified as a signed request: refused or accepted, never a panic.
pub fn sigv4(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let first = lines.next().unwrap_or("POST /");
    let (method, target) = first.split_once(' ').unwrap_or(("POST", first));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut creds = protocol::auth::Credentials::new();
    creds.insert(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
    );
    let req = protocol::auth::SignedRequest {
        method,
        path,
        query,
        headers: &headers,
        body: body.as_bytes(),
    };
    let _ = protocol::auth::verify(&req, &creds, 1_440_938_160.0);
}

/// Bytes read back from the store as an item: decoded or reported corrupt, never a panic, and
/// what decodes encodes back to the same bytes.
pub fn item_codec(data: &[u8]) {
    if let Ok(item) = awsim::codec::item::decode_item(data) {
        let again = awsim::codec::item::encode_item(&item);
        let back = awsim::codec::item::decode_item(&again).expect("re-encoded item decodes");
        assert_eq!(back, item);
    }
}
