//! Property test of SearchVectors, driven through `dispatch::call` with wire-shaped JSON: random
//! vector indexes (each distance function, 1 to 20 dimensions, with or without a SearchSchema
//! partition and inline filter), random writes (puts, overwrites, deletions, items without a
//! vector) interleaved with random searches (partition, filter, TopK). Proven: every search
//! returns exactly the TopK of a naive reference computed here over the model's items, with the
//! same scores, best first, equal scores in the table's Scan order (awsim's documented tie
//! rule; the Scan order itself is pinned by the paging tests).
//!
//! Components are small integers, so every dot product and squared distance is exact in f32 and
//! in f64 whatever the summation order, and the reference's scores (plain f64 loops, then the
//! documented formulas) equal awsim's bit for bit: near-ties cannot blur the comparison.
use awsim::engine::Engine;
use awsim::model::Scope;
use awsim::protocol::Service;
use awsim::Config;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{json, Value};
use std::collections::BTreeMap;

type TestResult<T = ()> = Result<T, TestCaseError>;

#[derive(Debug, Clone, Copy)]
enum Dist {
    Cosine,
    Euclidean,
    Dot,
}

#[derive(Debug, Clone)]
struct Row {
    /// None: the item has no vector (not in the index).
    vec: Option<Vec<i32>>,
    part: u8,
    filter: Option<u8>,
}

#[derive(Debug, Clone)]
enum Op {
    Put(u8, Row),
    Delete(u8),
    Search {
        vec: Vec<i32>,
        part: u8,
        filter: Option<u8>,
        top_k: usize,
    },
}

#[derive(Debug, Clone)]
struct Case {
    dist: Dist,
    dims: usize,
    schema: bool,
    ops: Vec<Op>,
}

fn vector(dims: usize) -> impl Strategy<Value = Vec<i32>> {
    prop::collection::vec(-3i32..=3, dims)
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(vec![Dist::Cosine, Dist::Euclidean, Dist::Dot]),
        1usize..=20,
        any::<bool>(),
    )
        .prop_flat_map(|(dist, dims, schema)| {
            let row = (
                prop::option::weighted(0.9, vector(dims)),
                0u8..2,
                prop::option::of(0u8..2),
            )
                .prop_map(|(vec, part, filter)| Row { vec, part, filter });
            let op = prop_oneof![
                6 => (0u8..24, row).prop_map(|(k, r)| Op::Put(k, r)),
                1 => (0u8..24).prop_map(Op::Delete),
                2 => (vector(dims), 0u8..2, prop::option::of(0u8..2), 1usize..12).prop_map(
                    |(vec, part, filter, top_k)| Op::Search { vec, part, filter, top_k }
                ),
            ];
            (
                Just(dist),
                Just(dims),
                Just(schema),
                prop::collection::vec(op, 1..60),
            )
        })
        .prop_map(|(dist, dims, schema, ops)| Case {
            dist,
            dims,
            schema,
            ops,
        })
}

fn nums(v: &[i32]) -> Value {
    Value::Array(v.iter().map(|x| json!({ "N": x.to_string() })).collect())
}

/// The reference score (f64 from exact integer sums) and its ranking key (smaller is better).
fn reference(dist: Dist, q: &[i32], v: &[i32]) -> (f64, f64) {
    let dot: f64 = q.iter().zip(v).map(|(a, b)| (a * b) as f64).sum();
    match dist {
        Dist::Dot => (dot, -dot),
        Dist::Euclidean => {
            let s = q
                .iter()
                .zip(v)
                .map(|(a, b)| ((a - b) * (a - b)) as f64)
                .sum::<f64>()
                .sqrt();
            (s, s)
        }
        Dist::Cosine => {
            let n = |x: &[i32]| x.iter().map(|a| (a * a) as f64).sum::<f64>().sqrt();
            let (qn, vn) = (n(q), n(v));
            let s = if qn == 0.0 || vn == 0.0 {
                1.0
            } else {
                (1.0 - dot / (qn * vn)).clamp(0.0, 2.0)
            };
            (s, s)
        }
    }
}

fn call(engine: &Engine, scope: &Scope, op: &str, body: &Value) -> TestResult<Value> {
    awsim::dispatch::call(engine, scope, Service::DynamoDb, op, body)
        .map_err(|e| TestCaseError::fail(format!("{op} {body} failed: {e:?}")))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    // Every search equals the naive reference's TopK over the items written so far.
    #[test]
    fn search_vectors_returns_the_reference_top_k(case in case()) {
        let engine = Engine::open(&Config::in_memory()).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let scope = Scope { account: "000000000000".into(), region: "us-east-1".into() };
        let dist = match case.dist {
            Dist::Cosine => "COSINE",
            Dist::Euclidean => "EUCLIDEAN",
            Dist::Dot => "DOT_PRODUCT",
        };
        let mut index = json!({
            "IndexName": "vec", "VectorAttribute": {"AttributeName": "emb"},
            "Dimensions": case.dims, "DistanceFunction": dist,
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        });
        let mut defs = vec![json!({"AttributeName": "pk", "AttributeType": "S"})];
        if case.schema {
            index["SearchSchema"] = json!([
                {"AttributeName": "part", "SearchSchemaElementType": "HASH"},
                {"AttributeName": "tag", "SearchSchemaElementType": "INLINE_FILTER"},
            ]);
            defs.push(json!({"AttributeName": "part", "AttributeType": "S"}));
            defs.push(json!({"AttributeName": "tag", "AttributeType": "N"}));
        }
        call(&engine, &scope, "CreateTable", &json!({
            "TableName": "vectors", "AttributeDefinitions": defs,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST", "VectorIndexes": [index],
        }))?;
        let mut model: BTreeMap<u8, Row> = BTreeMap::new();
        for op in &case.ops {
            match op {
                Op::Put(k, row) => {
                    let mut item = json!({"pk": {"S": format!("k{k}")}, "part": {"S": format!("p{}", row.part)}});
                    if let Some(v) = &row.vec {
                        item["emb"] = json!({ "L": nums(v) });
                    }
                    if let Some(t) = row.filter {
                        item["tag"] = json!({"N": t.to_string()});
                    }
                    call(&engine, &scope, "PutItem", &json!({"TableName": "vectors", "Item": item}))?;
                    model.insert(*k, row.clone());
                }
                Op::Delete(k) => {
                    call(&engine, &scope, "DeleteItem", &json!({"TableName": "vectors", "Key": {"pk": {"S": format!("k{k}")}}}))?;
                    model.remove(k);
                }
                Op::Search { vec, part, filter, top_k } => {
                    let mut body = json!({
                        "TableName": "vectors", "IndexName": "vec",
                        "SearchVector": nums(vec), "TopK": top_k,
                    });
                    let filter = filter.filter(|_| case.schema);
                    if case.schema {
                        let mut cond = "part = :p".to_string();
                        let mut values = json!({":p": {"S": format!("p{part}")}});
                        if let Some(t) = filter {
                            cond.push_str(" AND tag = :t");
                            values[":t"] = json!({"N": t.to_string()});
                        }
                        body["SearchConditionExpression"] = json!(cond);
                        body["ExpressionAttributeValues"] = values;
                    }
                    let out = call(&engine, &scope, "SearchVectors", &body)?;
                    // The table's Scan order breaks ties.
                    let scan = call(&engine, &scope, "Scan", &json!({"TableName": "vectors", "ProjectionExpression": "pk"}))?;
                    let order: Vec<String> = scan["Items"].as_array().unwrap().iter()
                        .map(|i| i["pk"]["S"].as_str().unwrap().to_string()).collect();
                    let mut want: Vec<(f64, usize, String, f64)> = model.iter()
                        .filter_map(|(k, r)| {
                            let v = r.vec.as_ref()?;
                            if case.schema && (r.part != *part || filter.is_some_and(|f| r.filter != Some(f))) {
                                return None;
                            }
                            let name = format!("k{k}");
                            let pos = order.iter().position(|o| *o == name).expect("scanned");
                            let (score, rank) = reference(case.dist, vec, v);
                            Some((rank, pos, name, score))
                        })
                        .collect();
                    want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                    want.truncate(*top_k);
                    let got: Vec<(String, f64)> = out["SearchResults"].as_array().unwrap().iter()
                        .map(|r| (r["Item"]["pk"]["S"].as_str().unwrap().to_string(), r["Score"].as_f64().unwrap()))
                        .collect();
                    let want: Vec<(String, f64)> = want.into_iter().map(|(_, _, n, s)| (n, s)).collect();
                    prop_assert_eq!(got, want, "{:?}", op);
                }
            }
        }
    }
}
