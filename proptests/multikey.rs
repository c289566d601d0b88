//! Property tests of multi-attribute GSI keys, driven through `dispatch::call` with wire-shaped
//! JSON against random index shapes (one to three partition attributes, one to three sort
//! attributes, each S, N or B) and a model of the index computed here. Proven:
//!
//! 1. A Query with equality on every partition attribute, equality on a random prefix of the
//!    sort attributes and a random condition (=, <, <=, >, >=, BETWEEN, begins_with) on the next
//!    one, followed page by page through LastEvaluatedKey with a random Limit, in either
//!    direction, returns exactly the model's matching items in the model's order: sort
//!    attributes compared one at a time (numbers numerically, strings and binaries bytewise),
//!    reversed backwards. Items missing any key attribute are not in the index.
//! 2. Every LastEvaluatedKey holds exactly the table key and every index key attribute of the
//!    page's last item.
//!
//! The values come from small domains full of traps for a tuple encoding: strings that are
//! prefixes of each other or hold U+0000, binaries with 0x00 and 0xFF bytes, numbers written in
//! several forms. Full index keys are kept distinct, so no order depends on how equal keys are
//! tied (the service's tie hash is pinned elsewhere). awsim's key codec is never called here.
use awsim::engine::Engine;
use awsim::model::Scope;
use awsim::protocol::Service;
use awsim::Config;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{json, Map, Value};
use std::cmp::Ordering;

type TestResult<T = ()> = Result<T, TestCaseError>;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ty {
    S,
    N,
    B,
}

impl Ty {
    fn tag(self) -> &'static str {
        match self {
            Ty::S => "S",
            Ty::N => "N",
            Ty::B => "B",
        }
    }
}

/// A key value as the model sees it. Numbers are hundredths, so their order is plain integer
/// order; they are written in varied forms (`1.5`, `1.50`, `15E-1`).
#[derive(Debug, Clone, PartialEq)]
enum Val {
    S(String),
    N(i64, u8),
    B(Vec<u8>),
}

impl Val {
    fn cmp(&self, other: &Val) -> Ordering {
        match (self, other) {
            (Val::S(a), Val::S(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Val::N(a, _), Val::N(b, _)) => a.cmp(b),
            (Val::B(a), Val::B(b)) => a.cmp(b),
            _ => unreachable!("one attribute, one type"),
        }
    }
    fn starts_with(&self, p: &Val) -> bool {
        match (self, p) {
            (Val::S(a), Val::S(b)) => a.as_bytes().starts_with(b.as_bytes()),
            (Val::B(a), Val::B(b)) => a.starts_with(b),
            _ => false,
        }
    }
    fn json(&self) -> Value {
        match self {
            Val::S(s) => json!({ "S": s }),
            Val::B(b) => json!({ "B": B64.encode(b) }),
            Val::N(h, form) => {
                let (sign, abs) = (if *h < 0 { "-" } else { "" }, h.unsigned_abs());
                let text = match form % 3 {
                    0 => format!("{sign}{}.{:02}", abs / 100, abs % 100),
                    1 => format!("{sign}{abs}E-2"),
                    _ if abs % 100 == 0 => format!("{sign}{}", abs / 100),
                    _ => format!("{sign}{}.{:02}0", abs / 100, abs % 100),
                };
                json!({ "N": text })
            }
        }
    }
}

fn value(ty: Ty) -> BoxedStrategy<Val> {
    match ty {
        Ty::S => prop::sample::select(vec!["a", "a\u{0}", "a\u{0}b", "ab", "abc", "b", "é", "z"])
            .prop_map(|s| Val::S(s.to_string()))
            .boxed(),
        Ty::N => (
            prop::sample::select(vec![-1000i64, -150, -1, 0, 1, 50, 100, 150, 1000, 100000]),
            any::<u8>(),
        )
            .prop_map(|(h, f)| Val::N(h, f))
            .boxed(),
        Ty::B => prop::sample::select(vec![
            vec![0u8],
            vec![0, 0],
            vec![0, 1],
            vec![1],
            vec![1, 0],
            vec![1, 0xFF],
            vec![0xFF],
        ])
        .prop_map(Val::B)
        .boxed(),
    }
}

fn ty() -> impl Strategy<Value = Ty> {
    prop::sample::select(vec![Ty::S, Ty::N, Ty::B])
}

/// An index shape and its items: `hash` and `range` list the attributes' types in KeySchema
/// order; each item holds an optional value per key attribute (None: missing, a sparse item).
#[derive(Debug, Clone)]
struct Case {
    hash: Vec<Ty>,
    range: Vec<Ty>,
    items: Vec<Vec<Option<Val>>>,
}

impl Case {
    fn attrs(&self) -> usize {
        self.hash.len() + self.range.len()
    }
    fn name(&self, i: usize) -> String {
        match i < self.hash.len() {
            true => format!("h{i}"),
            false => format!("r{}", i - self.hash.len()),
        }
    }
    fn types(&self) -> impl Iterator<Item = Ty> + '_ {
        self.hash.iter().chain(self.range.iter()).copied()
    }
    /// The items in the index (every key attribute present), keyed by their position.
    fn indexed(&self) -> Vec<(usize, Vec<Val>)> {
        self.items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| {
                it.iter()
                    .cloned()
                    .collect::<Option<Vec<Val>>>()
                    .map(|v| (i, v))
            })
            .collect()
    }
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(ty(), 1..=3),
        prop::collection::vec(ty(), 1..=3),
    )
        .prop_filter("a multi-attribute key", |(h, r)| h.len() + r.len() > 2)
        .prop_flat_map(|(hash, range)| {
            // Few partition values so partitions hold several items.
            let hash_values: Vec<BoxedStrategy<Option<Val>>> = hash
                .iter()
                .map(|t| {
                    // Mostly one partition value, sometimes another that extends it.
                    let (common, rare) = match t {
                        Ty::S => (Val::S("a".into()), Val::S("ab".into())),
                        Ty::N => (Val::N(100, 0), Val::N(150, 1)),
                        Ty::B => (Val::B(vec![0]), Val::B(vec![0, 0])),
                    };
                    let small = prop_oneof![6 => Just(common), 1 => Just(rare)];
                    prop::option::weighted(0.95, small).boxed()
                })
                .collect();
            let range_values: Vec<BoxedStrategy<Option<Val>>> = range
                .iter()
                .map(|t| prop::option::weighted(0.9, value(*t)).boxed())
                .collect();
            let item = (hash_values, range_values)
                .prop_map(|(h, r)| h.into_iter().chain(r).collect::<Vec<Option<Val>>>());
            (Just(hash), Just(range), prop::collection::vec(item, 5..50))
        })
        .prop_map(|(hash, range, items)| {
            // Distinct full index keys: no order may depend on the tie between equal keys.
            let mut kept: Vec<Vec<Option<Val>>> = Vec::new();
            for it in items {
                let complete = it.iter().all(Option::is_some);
                let same = |k: &Vec<Option<Val>>| {
                    k.iter().zip(&it).all(|(a, b)| match (a, b) {
                        (Some(a), Some(b)) => a.cmp(b) == Ordering::Equal,
                        _ => false,
                    })
                };
                if !complete || !kept.iter().any(same) {
                    kept.push(it);
                }
            }
            Case {
                hash,
                range,
                items: kept,
            }
        })
}

/// The condition on the sort attribute after the equality prefix.
#[derive(Debug, Clone)]
enum Cond {
    Any,
    Eq(Val),
    Lt(Val),
    Le(Val),
    Gt(Val),
    Ge(Val),
    Between(Val, Val),
    BeginsWith(Val),
}

impl Cond {
    fn admits(&self, v: &Val) -> bool {
        use Ordering::*;
        match self {
            Cond::Any => true,
            Cond::Eq(x) => v.cmp(x) == Equal,
            Cond::Lt(x) => v.cmp(x) == Less,
            Cond::Le(x) => v.cmp(x) != Greater,
            Cond::Gt(x) => v.cmp(x) == Greater,
            Cond::Ge(x) => v.cmp(x) != Less,
            Cond::Between(a, b) => v.cmp(a) != Less && v.cmp(b) != Greater,
            Cond::BeginsWith(p) => v.starts_with(p),
        }
    }
}

/// One Query: which item's partition and sort prefix it aims at, how deep the equality prefix
/// goes, the condition after it, the page size and the direction.
#[derive(Debug, Clone)]
struct QuerySpec {
    aim: usize,
    depth: usize,
    op: u8,
    a: u8,
    b: u8,
    limit: usize,
    forward: bool,
}

fn query_spec() -> impl Strategy<Value = QuerySpec> {
    (
        any::<usize>(),
        0usize..3,
        0u8..8,
        any::<u8>(),
        any::<u8>(),
        1usize..6,
        any::<bool>(),
    )
        .prop_map(|(aim, depth, op, a, b, limit, forward)| QuerySpec {
            aim,
            depth,
            op,
            a,
            b,
            limit,
            forward,
        })
}

/// Values of one type to build conditions from: the items' own, so conditions hit.
fn pick(values: &[Val], n: u8) -> Val {
    values[n as usize % values.len()].clone()
}

struct Db {
    engine: Engine,
    scope: Scope,
}

impl Db {
    fn call(&self, op: &str, body: &Value) -> TestResult<Value> {
        awsim::dispatch::call(&self.engine, &self.scope, Service::DynamoDb, op, body)
            .map_err(|e| TestCaseError::fail(format!("{op} {body} failed: {e:?}")))
    }

    fn load(case: &Case) -> TestResult<Db> {
        let fail = |e: awsim::error::Error| TestCaseError::fail(format!("{e:?}"));
        let db = Db {
            engine: Engine::open(&Config::in_memory()).map_err(fail)?,
            scope: Scope {
                account: "000000000000".into(),
                region: "us-east-1".into(),
            },
        };
        let mut defs = vec![json!({"AttributeName": "pk", "AttributeType": "S"})];
        let mut schema = Vec::new();
        for (i, t) in case.types().enumerate() {
            defs.push(json!({"AttributeName": case.name(i), "AttributeType": t.tag()}));
            let kind = if i < case.hash.len() { "HASH" } else { "RANGE" };
            schema.push(json!({"AttributeName": case.name(i), "KeyType": kind}));
        }
        db.call(
            "CreateTable",
            &json!({
                "TableName": "tbl",
                "AttributeDefinitions": defs,
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST",
                "GlobalSecondaryIndexes": [{"IndexName": "multi", "KeySchema": schema, "Projection": {"ProjectionType": "ALL"}}],
            }),
        )?;
        for (n, it) in case.items.iter().enumerate() {
            let mut item = Map::new();
            item.insert("pk".into(), json!({"S": format!("i{n:03}")}));
            for (i, v) in it.iter().enumerate() {
                if let Some(v) = v {
                    item.insert(case.name(i), v.json());
                }
            }
            db.call("PutItem", &json!({"TableName": "tbl", "Item": item}))?;
        }
        Ok(db)
    }
}

/// A Query as sent (KeyConditionExpression and values) and as the model reads it (the values
/// given by equality, in KeySchema order, and the condition on the next sort attribute).
type Built = (String, Map<String, Value>, Vec<Val>, Cond);

/// The Query a spec asks: the aimed item's partition, its first `depth` sort values, then the
/// condition.
fn build(case: &Case, q: &QuerySpec) -> Option<Built> {
    let indexed = case.indexed();
    let (_, aim) = indexed.get(q.aim % indexed.len().max(1))?;
    let h = case.hash.len();
    let depth = q.depth % (case.range.len() + 1);
    let mut parts = Vec::new();
    let mut values = Map::new();
    let mut eq = Vec::new();
    for (i, v) in aim.iter().enumerate().take(h + depth) {
        parts.push(format!("{} = :v{i}", case.name(i)));
        values.insert(format!(":v{i}"), v.json());
        eq.push(v.clone());
    }
    let mut cond = Cond::Any;
    if depth < case.range.len() {
        let at = h + depth;
        let name = case.name(at);
        let pool: Vec<Val> = indexed.iter().map(|(_, v)| v[at].clone()).collect();
        let (x, y) = (pick(&pool, q.a), pick(&pool, q.b));
        let (lo, hi) = match x.cmp(&y) {
            Ordering::Greater => (y.clone(), x.clone()),
            _ => (x.clone(), y.clone()),
        };
        let binary_or_string = !matches!(x, Val::N(..));
        cond = match q.op {
            0 => Cond::Eq(x.clone()),
            1 => Cond::Lt(x.clone()),
            2 => Cond::Le(x.clone()),
            3 => Cond::Gt(x.clone()),
            4 => Cond::Ge(x.clone()),
            5 => Cond::Between(lo, hi),
            6 if binary_or_string => Cond::BeginsWith(x.clone()),
            _ => Cond::Any,
        };
        let text = match &cond {
            Cond::Any => None,
            Cond::Eq(_) => Some(format!("{name} = :c")),
            Cond::Lt(_) => Some(format!("{name} < :c")),
            Cond::Le(_) => Some(format!("{name} <= :c")),
            Cond::Gt(_) => Some(format!("{name} > :c")),
            Cond::Ge(_) => Some(format!("{name} >= :c")),
            Cond::Between(..) => Some(format!("{name} BETWEEN :c AND :d")),
            Cond::BeginsWith(_) => Some(format!("begins_with({name}, :c)")),
        };
        if let Some(text) = text {
            parts.push(text);
            match &cond {
                Cond::Between(lo, hi) => {
                    values.insert(":c".into(), lo.json());
                    values.insert(":d".into(), hi.json());
                }
                Cond::Eq(v) | Cond::Lt(v) | Cond::Le(v) | Cond::Gt(v) | Cond::Ge(v) => {
                    values.insert(":c".into(), v.json());
                }
                Cond::BeginsWith(v) => {
                    values.insert(":c".into(), v.json());
                }
                Cond::Any => {}
            }
        }
    }
    Some((parts.join(" AND "), values, eq, cond))
}

/// The model's answer: the indexed items matching the query, in index order.
fn expected(case: &Case, eq: &[Val], cond: &Cond, forward: bool) -> Vec<String> {
    let mut hits: Vec<(usize, Vec<Val>)> = case
        .indexed()
        .into_iter()
        .filter(|(_, v)| {
            v.iter().zip(eq).all(|(a, b)| a.cmp(b) == Ordering::Equal)
                && v.get(eq.len()).is_none_or(|x| cond.admits(x))
        })
        .collect();
    let h = case.hash.len();
    hits.sort_by(|(_, a), (_, b)| {
        a[h..]
            .iter()
            .zip(&b[h..])
            .map(|(x, y)| x.cmp(y))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
    if !forward {
        hits.reverse();
    }
    hits.into_iter().map(|(i, _)| format!("i{i:03}")).collect()
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(48);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    // Properties 1 and 2: every page chain of a multi-attribute GSI Query equals the model.
    #[test]
    fn multi_attribute_query_pages_equal_the_model(
        case in case(),
        queries in prop::collection::vec(query_spec(), 1..8),
    ) {
        let db = Db::load(&case)?;
        let key_names: Vec<String> = std::iter::once("pk".to_string())
            .chain((0..case.attrs()).map(|i| case.name(i)))
            .collect();
        for q in &queries {
            let Some((kce, values, eq, cond)) = build(&case, q) else { continue };
            let want = expected(&case, &eq, &cond, q.forward);
            let mut got = Vec::new();
            let mut start: Option<Value> = None;
            for page in 0.. {
                prop_assert!(page <= want.len() + 1, "paging does not end: {kce}");
                let mut body = json!({
                    "TableName": "tbl", "IndexName": "multi", "KeyConditionExpression": kce,
                    "ExpressionAttributeValues": values, "Limit": q.limit, "ScanIndexForward": q.forward,
                });
                if let Some(s) = &start {
                    body["ExclusiveStartKey"] = s.clone();
                }
                let out = db.call("Query", &body)?;
                let items = out["Items"].as_array().cloned().unwrap_or_default();
                got.extend(items.iter().map(|i| i["pk"]["S"].as_str().unwrap_or("?").to_string()));
                match out.get("LastEvaluatedKey") {
                    Some(lek) => {
                        let last = items.last().expect("a page with a LastEvaluatedKey has items");
                        let mut names: Vec<&String> = lek.as_object().unwrap().keys().collect();
                        names.sort();
                        let mut expected_names: Vec<&String> = key_names.iter().collect();
                        expected_names.sort();
                        prop_assert_eq!(names, expected_names);
                        for n in &key_names {
                            prop_assert_eq!(&lek[n], &last[n], "{}", kce);
                        }
                        start = Some(lek.clone());
                    }
                    None => break,
                }
            }
            prop_assert_eq!(&got, &want, "{} {:?}", kce, values);
        }
    }
}
