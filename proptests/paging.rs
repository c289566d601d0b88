//! Property tests of Query and Scan paging, driven through `dispatch::call` with wire-shaped JSON
//! bodies against random tables (hash-only or hash+range; S, N or B keys; numbers from ordinary
//! ones to the extremes of the service's range, written in several textual forms) and a model
//! computed here (own decimal parser and comparison, bytewise strings and binaries). Proven:
//!
//! 1. Following LastEvaluatedKey through a Query (any key condition, Limit, ScanIndexForward)
//!    returns every matching item exactly once, in sort key order (reversed backwards), equal to
//!    the model; each page's LastEvaluatedKey is the table key of its last item.
//! 2. With a FilterExpression: Count is the number of items of each page, ScannedCount counts the
//!    items read before the filter (summing to the key condition's matches), and the pages
//!    together hold exactly the model's filtered matches.
//! 3. Scan paging returns every item exactly once, partitions contiguous, in the service's order
//!    (string and binary partitions by MD5("Outliers" ‖ key bytes)) and sorted by sort key; a
//!    parallel scan's segments are disjoint, cover the table or index, keep each partition in
//!    one segment and, concatenated, give the full scan's order.
//! 4. Query and Scan on a sparse GSI (hash S, range N, projection ALL) page through exactly the
//!    model's index contents, ordered by the index sort key; LastEvaluatedKey holds the index keys
//!    plus the table keys.
//! 5. Select COUNT: Count summed over pages is the number of matching items; no Items are sent.
//!
//! awsim is reached only through `Engine::open` and `dispatch::call`; its ordering code is never
//! called, so the model cannot share its mistakes.
use awsim::engine::Engine;
use awsim::model::Scope;
use awsim::protocol::Service;
use awsim::Config;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use serde_json::{json, Map, Value};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

type TestResult<T = ()> = Result<T, TestCaseError>;

// ---- the model's numbers ---------------------------------------------------------------------

/// A decimal as the model sees it: `0.d1d2.. x 10^exp`, digits without leading or trailing
/// zeros (none for zero). Written here rather than borrowed from awsim, so the model's order is
/// independent of the code under test.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Dec {
    negative: bool,
    digits: Vec<u8>,
    exp: i64,
}

impl Dec {
    /// Parses `[-+]digits[.digits][(e|E)[-+]digits]`, the forms generated here and the plain
    /// text awsim answers with.
    fn parse(text: &str) -> Dec {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (mantissa, exp10) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().expect("exponent")),
            None => (rest, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
        assert!(all.iter().all(|d| *d < 10), "not a number: {text}");
        let Some(first) = all.iter().position(|d| *d != 0) else {
            return Dec {
                negative: false,
                digits: Vec::new(),
                exp: 0,
            };
        };
        let last = all.iter().rposition(|d| *d != 0).expect("a non-zero digit");
        Dec {
            negative,
            digits: all[first..=last].to_vec(),
            exp: int.len() as i64 - first as i64 + exp10,
        }
    }

    fn sign(&self) -> i8 {
        match (self.digits.is_empty(), self.negative) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        }
    }
}

impl Ord for Dec {
    fn cmp(&self, other: &Dec) -> Ordering {
        let by_sign = self.sign().cmp(&other.sign());
        if by_sign != Ordering::Equal || self.sign() == 0 {
            return by_sign;
        }
        // Same sign, both non-zero: a larger exponent is a larger magnitude; with equal exponents
        // the digit strings compare lexicographically (a proper prefix is the smaller).
        let magnitude = self
            .exp
            .cmp(&other.exp)
            .then_with(|| self.digits.cmp(&other.digits));
        if self.negative {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

impl PartialOrd for Dec {
    fn partial_cmp(&self, other: &Dec) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

// ---- the model's keys and items --------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// A key value: strings and binaries order bytewise, numbers numerically.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    S(String),
    N(Dec),
    B(Vec<u8>),
}

impl Key {
    fn from_wire(v: &Value) -> Key {
        let (tag, inner) = v
            .as_object()
            .and_then(|m| m.iter().next())
            .expect("an attribute value");
        let text = inner.as_str().expect("a scalar");
        match tag.as_str() {
            "S" => Key::S(text.to_string()),
            "N" => Key::N(Dec::parse(text)),
            "B" => Key::B(B64.decode(text).expect("base64")),
            other => panic!("not a key type: {other}"),
        }
    }

    fn begins_with(&self, prefix: &Key) -> bool {
        match (self, prefix) {
            (Key::S(s), Key::S(p)) => s.starts_with(p.as_str()),
            (Key::B(b), Key::B(p)) => b.starts_with(p),
            _ => false,
        }
    }
}

/// An item as the model holds it; returned items are read back into the same shape.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    id: u64,
    pk: Key,
    sk: Option<Key>,
    v: Option<Dec>,
    gpk: Option<String>,
    gsk: Option<Dec>,
}

impl Row {
    fn from_wire(item: &Value) -> Row {
        let num = |name: &str| {
            item.get(name)
                .map(|v| Dec::parse(v["N"].as_str().expect("N")))
        };
        Row {
            id: item["id"]["N"].as_str().expect("id").parse().expect("id"),
            pk: Key::from_wire(&item["pk"]),
            sk: item.get("sk").map(Key::from_wire),
            v: num("v"),
            gpk: item
                .get("gpk")
                .map(|v| v["S"].as_str().expect("S").to_string()),
            gsk: num("gsk"),
        }
    }

    /// The key of this row in the GSI, when the item has both index key attributes.
    fn index_key(&self) -> Option<(&str, &Dec)> {
        Some((self.gpk.as_deref()?, self.gsk.as_ref()?))
    }
}

// ---- generated input -------------------------------------------------------------------------

/// The extremes of the service's range and a few zeros, which random numbers rarely reach.
const EXTREMES: &[&str] = &[
    "-9.9999999999999999999999999999999999999E+125",
    "-1E+125",
    "-1E-130",
    "0",
    "0.000",
    "1E-130",
    "1.0E-130",
    "9.9999999999999999999999999999999999999E+125",
    "1E+125",
    "-0.1",
    "0.1",
];

/// A number `d1.d2d3.. x 10^e` written in one of several equivalent forms.
fn number_text(negative: bool, digits: &[u8], e: i32, form: u8) -> String {
    let sign = if negative { "-" } else { "" };
    let all: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
    let n = digits.len() as i32;
    match form {
        // `12345E-7`
        0 => format!("{sign}{all}E{}", e - (n - 1)),
        // Plain decimal text, when not absurdly long.
        1 if (-40..=40).contains(&e) => {
            if e >= n - 1 {
                format!("{sign}{all}{}", "0".repeat((e - (n - 1)) as usize))
            } else if e >= 0 {
                let (a, b) = all.split_at(e as usize + 1);
                format!("{sign}{a}.{b}")
            } else {
                format!("{sign}0.{}{all}", "0".repeat((-e - 1) as usize))
            }
        }
        // `1.2345e+3` with a trailing zero, or `1.2345E3`.
        _ => {
            let (head, tail) = all.split_at(1);
            let (e_char, zero) = if form == 2 { ("e", "0") } else { ("E", "") };
            format!("{sign}{head}.{tail}{zero}{e_char}{e:+}")
        }
    }
}

/// Numbers: small integers (many collisions and ties), short decimals, the extremes, and random
/// ones of up to 38 digits anywhere in the range.
fn number() -> BoxedStrategy<String> {
    let wide = (
        any::<bool>(),
        prop::collection::vec(0u8..10, 1..=38),
        -130i32..=125,
        0u8..4,
    )
        .prop_map(|(negative, mut digits, e, form)| {
            if digits[0] == 0 {
                digits[0] = 7;
            }
            number_text(negative, &digits, e, form)
        });
    prop_oneof![
        3 => (-30i64..30).prop_map(|i| i.to_string()),
        2 => (any::<bool>(), prop::collection::vec(1u8..10, 1..4), -3i32..3, 0u8..4)
            .prop_map(|(negative, digits, e, form)| number_text(negative, &digits, e, form)),
        2 => select(EXTREMES).prop_map(str::to_string),
        2 => wide,
    ]
    .boxed()
}

/// Characters whose UTF-8 order differs from their UTF-16 order (U+E000 vs the emoji).
const CHARS: &[char] = &[
    'a', 'b', 'z', 'A', '0', '~', '\u{7f}', 'é', '\u{e000}', '😀',
];
/// Bytes at the edges, including 0xFF (a begins_with prefix of 0xFFs has no upper bound).
const BYTES: &[u8] = &[0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

fn key_value(ty: Ty) -> BoxedStrategy<Value> {
    match ty {
        Ty::S => prop::collection::vec(select(CHARS), 1..4)
            .prop_map(|c| json!({"S": c.into_iter().collect::<String>()}))
            .boxed(),
        Ty::N => number().prop_map(|n| json!({"N": n})).boxed(),
        Ty::B => prop::collection::vec(select(BYTES), 1..4)
            .prop_map(|b| json!({"B": B64.encode(b)}))
            .boxed(),
    }
}

/// A small pool of partition keys, so partitions hold several items; for N, equal numbers in
/// different forms (`1`, `1.0`, `10E-1`) must land in one partition.
fn partition_pool(ty: Ty) -> Vec<Value> {
    match ty {
        Ty::S => ["p0", "p1", "p2", "p3"]
            .iter()
            .map(|s| json!({"S": s}))
            .collect(),
        Ty::N => ["1", "1.0", "10E-1", "-3", "2E+100", "-1E-130"]
            .iter()
            .map(|n| json!({"N": n}))
            .collect(),
        Ty::B => [&[0u8][..], &[0, 0], &[0xff], &[0x10, 0x20]]
            .iter()
            .map(|b| json!({"B": B64.encode(b)}))
            .collect(),
    }
}

/// Index sort keys that tie often (`2` and `2.0` are one value).
const INDEX_SORTS: &[&str] = &["1", "2", "2.0", "3", "-1E-130", "1E+125", "-5"];

/// The index sort key: mostly a small pool, so equal index keys (ties) are common.
fn index_sort() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(INDEX_SORTS).prop_map(str::to_string),
        1 => number(),
    ]
    .boxed()
}

#[derive(Debug, Clone)]
struct ItemSpec {
    pk: Value,
    sk: Option<Value>,
    v: Option<String>,
    gpk: Option<String>,
    gsk: Option<String>,
}

#[derive(Debug, Clone)]
struct Case {
    pk_ty: Ty,
    sk_ty: Option<Ty>,
    items: Vec<ItemSpec>,
}

fn ty() -> impl Strategy<Value = Ty> {
    prop_oneof![Just(Ty::S), Just(Ty::N), Just(Ty::B)]
}

fn case() -> impl Strategy<Value = Case> {
    (ty(), prop::option::weighted(0.8, ty())).prop_flat_map(|(pk_ty, sk_ty)| {
        let sk = match sk_ty {
            Some(t) => key_value(t).prop_map(Some).boxed(),
            None => Just(None).boxed(),
        };
        let item = (
            select(partition_pool(pk_ty)),
            sk,
            prop::option::weighted(0.8, number()),
            prop::option::weighted(0.7, select(&["a", "b", "c"][..]).prop_map(str::to_string)),
            prop::option::weighted(0.8, index_sort()),
        )
            .prop_map(|(pk, sk, v, gpk, gsk)| ItemSpec {
                pk,
                sk,
                v,
                gpk,
                gsk,
            });
        (
            Just(pk_ty),
            Just(sk_ty),
            prop::collection::vec(item, 0..=40),
        )
            .prop_map(|(pk_ty, sk_ty, items)| Case {
                pk_ty,
                sk_ty,
                items,
            })
    })
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
    Between,
    BeginsWith,
}

/// A condition on the sort key; `flip` writes comparisons value-first (`:a > #s`).
#[derive(Debug, Clone)]
struct SortSpec {
    op: Op,
    a: Value,
    b: Value,
    flip: bool,
}

impl SortSpec {
    /// The expression text, or None when the operator does not apply to the key's type
    /// (begins_with on a number), in which case the query has no sort condition.
    fn text(&self) -> Option<String> {
        let numeric = matches!(Key::from_wire(&self.a), Key::N(_));
        let cmp = |op: &str, flipped: &str| {
            if self.flip {
                format!(":a {flipped} #s")
            } else {
                format!("#s {op} :a")
            }
        };
        Some(match self.op {
            Op::Eq => cmp("=", "="),
            Op::Lt => cmp("<", ">"),
            Op::Le => cmp("<=", ">="),
            Op::Gt => cmp(">", "<"),
            Op::Ge => cmp(">=", "<="),
            Op::Between => "#s BETWEEN :a AND :b".into(),
            Op::BeginsWith if numeric => return None,
            Op::BeginsWith => "begins_with(#s, :a)".into(),
        })
    }

    fn admits(&self, v: &Key) -> bool {
        let (a, b) = (Key::from_wire(&self.a), Key::from_wire(&self.b));
        match self.op {
            Op::Eq => *v == a,
            Op::Lt => *v < a,
            Op::Le => *v <= a,
            Op::Gt => *v > a,
            Op::Ge => *v >= a,
            Op::Between => a <= *v && *v <= b,
            Op::BeginsWith => v.begins_with(&a),
        }
    }
}

/// A bound for a sort key condition: an existing sort key (exact boundaries) or a fresh value.
fn bound(fresh: BoxedStrategy<Value>, existing: Vec<Value>) -> BoxedStrategy<Value> {
    if existing.is_empty() {
        return fresh;
    }
    prop_oneof![select(existing), fresh].boxed()
}

/// A begins_with prefix: the first 1..3 characters (bytes) of a value.
fn prefix_of(v: &Value, len: usize) -> Value {
    match Key::from_wire(v) {
        Key::S(s) => json!({"S": s.chars().take(len.max(1)).collect::<String>()}),
        Key::B(b) => json!({"B": B64.encode(&b[..len.clamp(1, b.len())])}),
        Key::N(_) => v.clone(),
    }
}

fn sort_spec(fresh: BoxedStrategy<Value>, existing: Vec<Value>) -> BoxedStrategy<SortSpec> {
    let op = select(
        &[
            Op::Eq,
            Op::Lt,
            Op::Le,
            Op::Gt,
            Op::Ge,
            Op::Between,
            Op::BeginsWith,
        ][..],
    );
    let b = bound(fresh.clone(), existing.clone());
    (op, b.clone(), b, 1usize..4, any::<bool>())
        .prop_map(|(op, a, b, len, flip)| {
            let (a, b) = match op {
                // The service refuses BETWEEN with the lower bound above the upper one.
                Op::Between if Key::from_wire(&a) > Key::from_wire(&b) => (b, a),
                Op::BeginsWith => (prefix_of(&a, len), b),
                _ => (a, b),
            };
            SortSpec { op, a, b, flip }
        })
        .boxed()
}

#[derive(Debug, Clone)]
struct QuerySpec {
    partition: Value,
    sort: Option<SortSpec>,
    limit: Option<u64>,
    forward: bool,
    /// Write the sort condition first (`#s < :a AND #p = :p`).
    swap: bool,
}

fn query_spec(
    partitions: Vec<Value>,
    sort: Option<BoxedStrategy<SortSpec>>,
) -> BoxedStrategy<QuerySpec> {
    let sort = match sort {
        Some(s) => prop::option::weighted(0.8, s).boxed(),
        None => Just(None).boxed(),
    };
    (
        select(partitions),
        sort,
        prop::option::weighted(0.8, 1u64..10),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(partition, sort, limit, forward, swap)| QuerySpec {
            partition,
            sort,
            limit,
            forward,
            swap,
        })
        .boxed()
}

/// Queries on the table, with bounds drawn from the case's sort keys.
fn table_queries(case: &Case) -> BoxedStrategy<Vec<QuerySpec>> {
    let sort = case.sk_ty.map(|t| {
        let existing: Vec<Value> = case.items.iter().filter_map(|i| i.sk.clone()).collect();
        sort_spec(key_value(t), existing)
    });
    prop::collection::vec(query_spec(partition_pool(case.pk_ty), sort), 1..4).boxed()
}

/// Queries on the GSI (`gpk` S = one of a..d, conditions on `gsk` N).
fn index_queries(case: &Case) -> BoxedStrategy<Vec<QuerySpec>> {
    let existing: Vec<Value> = case
        .items
        .iter()
        .filter_map(|i| i.gsk.as_ref().map(|n| json!({"N": n})))
        .collect();
    let fresh = index_sort().prop_map(|n| json!({"N": n})).boxed();
    let partitions = ["a", "b", "c", "d"]
        .iter()
        .map(|s| json!({"S": s}))
        .collect();
    prop::collection::vec(
        query_spec(partitions, Some(sort_spec(fresh, existing))),
        1..4,
    )
    .boxed()
}

/// A filter `#v <op> :x` on the number attribute `v` (absent in some items).
#[derive(Debug, Clone)]
struct FilterSpec {
    op: &'static str,
    x: String,
}

impl FilterSpec {
    fn passes(&self, row: &Row) -> bool {
        let Some(v) = &row.v else { return false };
        let x = Dec::parse(&self.x);
        match self.op {
            "<" => *v < x,
            "<=" => *v <= x,
            ">" => *v > x,
            ">=" => *v >= x,
            _ => *v == x,
        }
    }
}

fn filter_spec() -> impl Strategy<Value = FilterSpec> {
    (select(&["<", "<=", ">", ">=", "="][..]), number()).prop_map(|(op, x)| FilterSpec { op, x })
}

// ---- driving awsim ---------------------------------------------------------------------------

/// What a request reads: the table or the GSI.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Table,
    Index,
}

/// What a paged request asks for besides its keys.
#[derive(Clone, Copy)]
struct Ask<'a> {
    target: Target,
    limit: Option<u64>,
    filter: Option<&'a FilterSpec>,
    count: bool,
}

/// The pages of one paged request, summed up.
struct Paged {
    /// Items of all pages in order, read back into rows.
    rows: Vec<Row>,
    count: u64,
    scanned: u64,
}

struct Db {
    engine: Engine,
    scope: Scope,
    has_range: bool,
    /// The table's items as the model holds them, by model key (later puts replace earlier).
    model: BTreeMap<(Key, Option<Key>), Row>,
}

impl Db {
    /// A fresh in-memory engine with table `tbl` (and GSI `gsi` on gpk/gsk) holding the case's
    /// items.
    fn load(case: &Case) -> TestResult<Db> {
        let engine = Engine::open(&Config::in_memory()).map_err(fail)?;
        let scope = Scope {
            account: "000000000000".into(),
            region: "us-east-1".into(),
        };
        let mut defs = vec![
            json!({"AttributeName": "pk", "AttributeType": case.pk_ty.tag()}),
            json!({"AttributeName": "gpk", "AttributeType": "S"}),
            json!({"AttributeName": "gsk", "AttributeType": "N"}),
        ];
        let mut schema = vec![json!({"AttributeName": "pk", "KeyType": "HASH"})];
        if let Some(t) = case.sk_ty {
            defs.push(json!({"AttributeName": "sk", "AttributeType": t.tag()}));
            schema.push(json!({"AttributeName": "sk", "KeyType": "RANGE"}));
        }
        let mut db = Db {
            engine,
            scope,
            has_range: case.sk_ty.is_some(),
            model: BTreeMap::new(),
        };
        db.call(
            "CreateTable",
            &json!({
                "TableName": "tbl",
                "AttributeDefinitions": defs,
                "KeySchema": schema,
                "BillingMode": "PAY_PER_REQUEST",
                "GlobalSecondaryIndexes": [{
                    "IndexName": "gsi",
                    "KeySchema": [
                        {"AttributeName": "gpk", "KeyType": "HASH"},
                        {"AttributeName": "gsk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }],
            }),
        )?;
        for (id, spec) in case.items.iter().enumerate() {
            let mut item = Map::new();
            item.insert("pk".into(), spec.pk.clone());
            item.insert("id".into(), json!({"N": id.to_string()}));
            if let Some(sk) = &spec.sk {
                item.insert("sk".into(), sk.clone());
            }
            if let Some(v) = &spec.v {
                item.insert("v".into(), json!({"N": v}));
            }
            if let Some(g) = &spec.gpk {
                item.insert("gpk".into(), json!({"S": g}));
            }
            if let Some(g) = &spec.gsk {
                item.insert("gsk".into(), json!({"N": g}));
            }
            let item = Value::Object(item);
            db.call("PutItem", &json!({"TableName": "tbl", "Item": item}))?;
            let row = Row::from_wire(&item);
            db.model.insert((row.pk.clone(), row.sk.clone()), row);
        }
        Ok(db)
    }

    fn call(&self, op: &str, body: &Value) -> TestResult<Value> {
        awsim::dispatch::call(&self.engine, &self.scope, Service::DynamoDb, op, body)
            .map_err(|e| TestCaseError::fail(format!("{op} {body} failed: {e:?}")))
    }

    /// The query's sort key condition, if the walked key has a sort key and the operator applies.
    fn sort_condition<'q>(&self, q: &'q QuerySpec, target: Target) -> Option<&'q SortSpec> {
        let has_range = self.has_range || target == Target::Index;
        q.sort.as_ref().filter(|s| has_range && s.text().is_some())
    }

    /// The attributes a LastEvaluatedKey of this target must hold.
    fn lek_names(&self, target: Target) -> BTreeSet<&'static str> {
        let mut names = BTreeSet::from(["pk"]);
        if self.has_range {
            names.insert("sk");
        }
        if target == Target::Index {
            names.extend(["gpk", "gsk"]);
        }
        names
    }

    /// Runs `body` page by page, following LastEvaluatedKey, checking each page on the way.
    fn pages(&self, op: &str, mut body: Value, ask: Ask) -> TestResult<Paged> {
        if let Some(l) = ask.limit {
            body["Limit"] = json!(l);
        }
        if ask.target == Target::Index {
            body["IndexName"] = json!("gsi");
        }
        if ask.count {
            body["Select"] = json!("COUNT");
        }
        if let Some(f) = ask.filter {
            body["FilterExpression"] = json!(format!("#v {} :x", f.op));
            body["ExpressionAttributeNames"]["#v"] = json!("v");
            body["ExpressionAttributeValues"][":x"] = json!({"N": f.x});
        }
        let lek_names = self.lek_names(ask.target);
        let mut out = Paged {
            rows: Vec::new(),
            count: 0,
            scanned: 0,
        };
        for _ in 0..200 {
            let page = self.call(op, &body)?;
            let count = page["Count"].as_u64().expect("Count");
            let scanned = page["ScannedCount"].as_u64().expect("ScannedCount");
            prop_assert!(count <= scanned, "Count > ScannedCount: {page}");
            if let Some(l) = ask.limit {
                prop_assert!(scanned <= l, "ScannedCount above Limit {l}: {page}");
            }
            let rows: Vec<Row> = match page.get("Items") {
                Some(items) => {
                    prop_assert!(!ask.count, "Items sent with Select COUNT: {page}");
                    let items = items.as_array().expect("Items is a list");
                    prop_assert_eq!(items.len() as u64, count, "Count != items: {}", page);
                    items.iter().map(Row::from_wire).collect()
                }
                None => {
                    prop_assert!(ask.count, "no Items: {page}");
                    Vec::new()
                }
            };
            out.count += count;
            out.scanned += scanned;
            let Some(lek) = page.get("LastEvaluatedKey") else {
                out.rows.extend(rows);
                return Ok(out);
            };
            // Pages stop early only at Limit here (the items are far below 1 MB).
            prop_assert_eq!(Some(scanned), ask.limit, "early page end: {}", page);
            let names: BTreeSet<&str> = lek
                .as_object()
                .expect("LastEvaluatedKey is a map")
                .keys()
                .map(String::as_str)
                .collect();
            prop_assert_eq!(&names, &lek_names, "LastEvaluatedKey attributes: {}", page);
            // Unfiltered, the last item read is the last item returned: its key resumes.
            if ask.filter.is_none() && !ask.count {
                let last = &page["Items"][rows.len().saturating_sub(1)];
                for n in &lek_names {
                    prop_assert_eq!(&lek[*n], &last[*n], "LastEvaluatedKey.{} of {}", n, page);
                }
            }
            out.rows.extend(rows);
            body["ExclusiveStartKey"] = lek.clone();
        }
        Err(TestCaseError::fail(format!("no end of paging: {body}")))
    }

    /// A Query's body: the key condition, its names and values, the direction.
    fn query_body(&self, q: &QuerySpec, target: Target) -> Value {
        let (pk, sk) = match target {
            Target::Table => ("pk", "sk"),
            Target::Index => ("gpk", "gsk"),
        };
        let mut names = json!({"#p": pk});
        let mut values = json!({":p": q.partition});
        let mut cond = "#p = :p".to_string();
        if let Some(s) = self.sort_condition(q, target) {
            let text = s
                .text()
                .expect("sort_condition keeps conditions with a text");
            names["#s"] = json!(sk);
            values[":a"] = s.a.clone();
            if matches!(s.op, Op::Between) {
                values[":b"] = s.b.clone();
            }
            cond = if q.swap {
                format!("{text} AND {cond}")
            } else {
                format!("{cond} AND {text}")
            };
        }
        json!({
            "TableName": "tbl",
            "KeyConditionExpression": cond,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": q.forward,
        })
    }

    /// The model's answer to a Query before any filter, in the expected order (index ties,
    /// ordered by a hash of the table key, come in some order; callers compare them as sets).
    fn query_model(&self, q: &QuerySpec, target: Target) -> Vec<&Row> {
        let part = Key::from_wire(&q.partition);
        let sort = self.sort_condition(q, target);
        let sort_key = |r: &Row| -> Option<Key> {
            match target {
                Target::Table => r.sk.clone(),
                Target::Index => r.gsk.clone().map(Key::N),
            }
        };
        let mut rows: Vec<&Row> = self
            .model
            .values()
            .filter(|r| match target {
                Target::Table => r.pk == part,
                Target::Index => {
                    r.index_key().is_some()
                        && r.gpk.as_deref().map(|g| Key::S(g.into())) == Some(part.clone())
                }
            })
            .filter(|r| match (sort, sort_key(r)) {
                (Some(s), Some(k)) => s.admits(&k),
                (Some(_), None) => false,
                (None, _) => true,
            })
            .collect();
        rows.sort_by_key(|r| sort_key(r));
        if !q.forward {
            rows.reverse();
        }
        rows
    }

    /// Property 1, 2 and 5 for one query: pages, counts and order against the model.
    fn check_query(
        &self,
        q: &QuerySpec,
        target: Target,
        filter: Option<&FilterSpec>,
        count: bool,
    ) -> TestResult {
        let ask = Ask {
            target,
            limit: q.limit,
            filter,
            count,
        };
        let got = self.pages("Query", self.query_body(q, target), ask)?;
        let matched = self.query_model(q, target);
        prop_assert_eq!(got.scanned, matched.len() as u64, "ScannedCount over pages");
        let want: Vec<&Row> = matched
            .into_iter()
            .filter(|r| filter.is_none_or(|f| f.passes(r)))
            .collect();
        prop_assert_eq!(got.count, want.len() as u64, "Count over pages");
        if count {
            return Ok(());
        }
        let ids: Vec<u64> = got.rows.iter().map(|r| r.id).collect();
        prop_assert_eq!(
            ids.iter().collect::<BTreeSet<_>>().len(),
            ids.len(),
            "an item returned twice: {:?}",
            ids
        );
        match target {
            Target::Table => {
                let want: Vec<Row> = want.into_iter().cloned().collect();
                prop_assert_eq!(&got.rows, &want);
            }
            Target::Index => {
                // Ordered by gsk; equal gsk values in any order.
                let got_sorts: Vec<&Dec> = got.rows.iter().filter_map(|r| r.gsk.as_ref()).collect();
                let want_sorts: Vec<&Dec> = want.iter().filter_map(|r| r.gsk.as_ref()).collect();
                prop_assert_eq!(got_sorts, want_sorts, "index sort key order");
                let mut got_rows = got.rows.clone();
                got_rows.sort_by_key(|r| r.id);
                let mut want_rows: Vec<Row> = want.into_iter().cloned().collect();
                want_rows.sort_by_key(|r| r.id);
                prop_assert_eq!(got_rows, want_rows);
            }
        }
        Ok(())
    }

    /// The model's contents of a target: every item, or those the sparse index holds.
    fn scan_model(&self, target: Target) -> Vec<&Row> {
        self.model
            .values()
            .filter(|r| target == Target::Table || r.index_key().is_some())
            .collect()
    }

    /// Property 3/4/5 for scans: a full paged scan, then every segment of a parallel scan.
    fn check_scan(
        &self,
        target: Target,
        limit: Option<u64>,
        segments: u32,
        filter: Option<&FilterSpec>,
        count: bool,
    ) -> TestResult {
        let ask = Ask {
            target,
            limit,
            filter,
            count,
        };
        let all = self.scan_model(target);
        let want: Vec<&Row> = all
            .iter()
            .copied()
            .filter(|r| filter.is_none_or(|f| f.passes(r)))
            .collect();
        let full = self.pages("Scan", json!({"TableName": "tbl"}), ask)?;
        prop_assert_eq!(full.scanned, all.len() as u64, "ScannedCount over pages");
        prop_assert_eq!(full.count, want.len() as u64, "Count over pages");
        if !count {
            same_rows(&full.rows, &want)?;
            check_scan_order(&full.rows, target)?;
        }
        let mut concatenated: Vec<Row> = Vec::new();
        let mut segment_of: BTreeMap<Key, u32> = BTreeMap::new();
        let (mut count_sum, mut scanned_sum) = (0, 0);
        for s in 0..segments {
            let body = json!({"TableName": "tbl", "Segment": s, "TotalSegments": segments});
            let seg = self.pages("Scan", body, ask)?;
            count_sum += seg.count;
            scanned_sum += seg.scanned;
            for r in &seg.rows {
                let partition = scan_partition(r, target);
                let first = *segment_of.entry(partition.clone()).or_insert(s);
                prop_assert_eq!(first, s, "partition {:?} in two segments", partition);
            }
            // A segment is a stretch of the scan order (tables and indexes alike are cut by
            // their partitions' hash).
            let ids: BTreeSet<u64> = seg.rows.iter().map(|r| r.id).collect();
            let in_full: Vec<&Row> = full.rows.iter().filter(|r| ids.contains(&r.id)).collect();
            prop_assert_eq!(
                seg.rows.iter().collect::<Vec<_>>(),
                in_full,
                "segment {} order",
                s
            );
            concatenated.extend(seg.rows);
        }
        prop_assert_eq!(count_sum, want.len() as u64, "Count over segments");
        prop_assert_eq!(scanned_sum, all.len() as u64, "ScannedCount over segments");
        if !count {
            same_rows(&concatenated, &want)?;
            prop_assert_eq!(&concatenated, &full.rows, "segments in order are the scan");
        }
        Ok(())
    }
}

fn fail(e: awsim::error::Error) -> TestCaseError {
    TestCaseError::fail(format!("{e:?}"))
}

/// `got` holds exactly the rows of `want`, each once (in any order).
fn same_rows(got: &[Row], want: &[&Row]) -> TestResult {
    let mut got: Vec<&Row> = got.iter().collect();
    got.sort_by_key(|r| r.id);
    let mut want = want.to_vec();
    want.sort_by_key(|r| r.id);
    prop_assert_eq!(got, want);
    Ok(())
}

/// The partition a scanned row belongs to: the table's, or the index's.
fn scan_partition(r: &Row, target: Target) -> Key {
    match target {
        Target::Table => r.pk.clone(),
        Target::Index => Key::S(r.index_key().expect("an index row").0.into()),
    }
}

/// The service's scan position of a string or binary partition: MD5 of "Outliers" and the
/// key's bytes (numbers hash their binary decimal form, which this model does not rebuild).
fn partition_hash(k: &Key) -> Option<[u8; 16]> {
    use md5::{Digest, Md5};
    let bytes: &[u8] = match k {
        Key::S(s) => s.as_bytes(),
        Key::B(b) => b,
        Key::N(_) => return None,
    };
    let mut h = Md5::new();
    h.update(b"Outliers");
    h.update(bytes);
    Some(h.finalize().into())
}

/// A scan visits each partition in one stretch, in sort key order (the table), or each index
/// partition in one stretch in index sort key order (the GSI); string and binary partitions
/// come in the order of their MD5 hash, as the service scans them.
fn check_scan_order(rows: &[Row], target: Target) -> TestResult {
    let hashes: Vec<[u8; 16]> = rows
        .iter()
        .filter_map(|r| partition_hash(&scan_partition(r, target)))
        .collect();
    prop_assert!(
        hashes.windows(2).all(|w| w[0] <= w[1]),
        "partitions out of the service's hash order"
    );
    let key = |r: &Row| -> (Key, Option<Key>) {
        match target {
            Target::Table => (r.pk.clone(), r.sk.clone()),
            Target::Index => {
                let (g, s) = r.index_key().expect("an index row");
                (Key::S(g.into()), Some(Key::N(s.clone())))
            }
        }
    };
    let mut done: BTreeSet<Key> = BTreeSet::new();
    for w in rows.windows(2) {
        let ((p0, s0), (p1, s1)) = (key(&w[0]), key(&w[1]));
        if p0 == p1 {
            match target {
                Target::Table => prop_assert!(s0 < s1, "{:?} before {:?}", s0, s1),
                Target::Index => prop_assert!(s0 <= s1, "{:?} before {:?}", s0, s1),
            }
        } else {
            done.insert(p0);
            prop_assert!(!done.contains(&p1), "partition {:?} split", p1);
        }
    }
    Ok(())
}

/// 48 cases keep the file at a few seconds in debug builds; `PROPTEST_CASES` asks for more.
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

/// A case with queries on its table and on its index, bounds drawn from its items.
fn with_queries() -> impl Strategy<Value = (Case, Vec<QuerySpec>, Vec<QuerySpec>)> {
    case().prop_flat_map(|c| {
        let (table, index) = (table_queries(&c), index_queries(&c));
        (Just(c), table, index)
    })
}

proptest! {
    #![proptest_config(config())]

    // Property 1: Query paging returns the model's matches, each once, in key order.
    #[test]
    fn query_pages_return_every_match_once_in_order((case, queries, _) in with_queries()) {
        let db = Db::load(&case)?;
        for q in &queries {
            db.check_query(q, Target::Table, None, false)?;
        }
    }

    // Property 2: with a filter, Count and ScannedCount per page and the union of pages.
    #[test]
    fn filtered_query_pages_count_before_and_after_the_filter(
        (case, queries, _) in with_queries(),
        filter in filter_spec(),
    ) {
        let db = Db::load(&case)?;
        for q in &queries {
            db.check_query(q, Target::Table, Some(&filter), false)?;
        }
    }

    // Property 3: Scan paging and parallel scan segments partition the table.
    #[test]
    fn scan_pages_and_segments_return_every_item_once(
        case in case(),
        limit in prop::option::weighted(0.8, 1u64..10),
        segments in 1u32..8,
        filter in prop::option::of(filter_spec()),
    ) {
        let db = Db::load(&case)?;
        db.check_scan(Target::Table, limit, segments, filter.as_ref(), false)?;
    }

    // Property 4: Query and Scan on a sparse GSI page through exactly the index contents.
    #[test]
    fn index_query_and_scan_page_through_the_sparse_index(
        (case, _, queries) in with_queries(),
        limit in prop::option::weighted(0.8, 1u64..10),
        segments in 1u32..8,
        filter in prop::option::weighted(0.3, filter_spec()),
    ) {
        let db = Db::load(&case)?;
        for q in &queries {
            db.check_query(q, Target::Index, filter.as_ref(), false)?;
        }
        db.check_scan(Target::Index, limit, segments, filter.as_ref(), false)?;
    }

    // Property 5: Select COUNT pages sum to the number of matches (table and index).
    #[test]
    fn count_pages_sum_to_the_matches(
        (case, queries, index_queries) in with_queries(),
        limit in prop::option::weighted(0.8, 1u64..10),
        filter in prop::option::of(filter_spec()),
    ) {
        let db = Db::load(&case)?;
        for q in &queries {
            db.check_query(q, Target::Table, filter.as_ref(), true)?;
        }
        for q in &index_queries {
            db.check_query(q, Target::Index, filter.as_ref(), true)?;
        }
        db.check_scan(Target::Table, limit, 3, filter.as_ref(), true)?;
        db.check_scan(Target::Index, limit, 2, filter.as_ref(), true)?;
    }
}
