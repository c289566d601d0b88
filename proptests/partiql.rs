//! PartiQL properties:
//!
//! 1. Printing any statement the parser can build and parsing the text gives the same AST
//!    (random ASTs of every expression and statement form, names bare or quoted, literals with
//!    quotes inside), and no input, however deep, makes the parser panic.
//! 2. A SELECT whose WHERE clause fixes the partition key returns, page by page, exactly what the
//!    equivalent Query returns (same items, same order, same pages; the SELECT may add one empty
//!    page where the Query's last page ends on the range's bound), on random tables and data.
//! 3. A random ExecuteTransaction (INSERT, UPDATE, DELETE, EXISTS over distinct items, each
//!    able to fail) is all or nothing: cancelled, nothing changed and the reasons name exactly
//!    the failing statements in order; committed, every statement applied.
//!
//! awsim is driven in process through `dispatch::call` with wire-shaped JSON bodies.
use awsim::engine::Engine;
use awsim::error::{ErrorDetail, ErrorKind};
use awsim::model::Scope;
use awsim::partiql::ast::*;
use awsim::partiql::parser::parse_statement;
use awsim::protocol::Service;
use awsim::Config;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

// ---- 1. print / parse -----------------------------------------------------------------------

fn sp() -> Span {
    Span::default()
}

fn ident() -> impl Strategy<Value = Ident> {
    prop_oneof![
        4 => prop::sample::select(vec!["a", "b", "pk", "sk", "x_1", "Name", "$d", "_u", "data", "status"])
            .prop_map(|n| Ident { name: n.into(), quoted: false, span: sp() }),
        1 => "[a-z \"'.]{1,6}".prop_map(|n| Ident { name: n, quoted: true, span: sp() }),
    ]
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..1000).prop_map(|n| n.to_string()),
        (0u32..100, 0u32..100).prop_map(|(a, b)| format!("{a}.{b}")),
        (1u32..10, -5i32..5).prop_map(|(a, e)| format!("{a}e{e}")),
        (1u32..100).prop_map(|n| format!("-{n}")),
    ]
}

fn literal() -> impl Strategy<Value = Expr> {
    prop_oneof![
        "[a-z' ]{0,6}".prop_map(|s| Expr::Lit(Lit::Str(s), sp())),
        number().prop_map(|n| Expr::Lit(Lit::Num(n), sp())),
        any::<bool>().prop_map(|b| Expr::Lit(Lit::Bool(b), sp())),
        Just(Expr::Lit(Lit::Null, sp())),
        Just(Expr::Lit(Lit::Missing, sp())),
        Just(Expr::Param(0, sp())),
        "[a-z0-9{} ]{0,5}".prop_map(|t| Expr::Ion(t, sp())),
        Just(Expr::Typed("date", "2020-01-01".into(), sp())),
    ]
}

/// A path: a name and up to three steps.
fn path(index: BoxedStrategy<Expr>, wildcards: bool) -> impl Strategy<Value = Expr> {
    let step = prop_oneof![
        3 => ident().prop_map(Step::Field),
        2 => index.prop_map(|e| Step::Index(Box::new(e))),
        1 => Just(Step::AllElements(sp())),
        1 => Just(Step::AllFields(sp())),
    ];
    (ident(), prop::collection::vec(step, 0..3)).prop_map(move |(root, steps)| {
        let steps: Vec<Step> = steps
            .into_iter()
            .filter(|s| wildcards || !matches!(s, Step::AllElements(_) | Step::AllFields(_)))
            .collect();
        if steps.is_empty() {
            Expr::Var(root)
        } else {
            Expr::Path(Box::new(Expr::Var(root)), steps)
        }
    })
}

const BINOPS: [BinOp; 14] = [
    BinOp::Or,
    BinOp::And,
    BinOp::Eq,
    BinOp::Ne,
    BinOp::Lt,
    BinOp::Le,
    BinOp::Gt,
    BinOp::Ge,
    BinOp::Add,
    BinOp::Sub,
    BinOp::Mul,
    BinOp::Div,
    BinOp::Mod,
    BinOp::Concat,
];

/// Any expression but a bare sub-query (those only appear as a call's argument, where nothing
/// after them can be mistaken for their own clauses).
fn expr() -> BoxedStrategy<Expr> {
    let leaf = prop_oneof![literal(), ident().prop_map(Expr::Var)];
    leaf.prop_recursive(4, 24, 4, |inner| {
        let call_name = prop_oneof![
            ident().prop_filter("bare", |i| !i.quoted),
            prop::sample::select(vec!["size", "exists", "count", "upper"]).prop_map(|n| Ident {
                name: n.into(),
                quoted: false,
                span: sp()
            }),
        ];
        let list_rhs = prop_oneof![
            prop::collection::vec(inner.clone(), 1..3).prop_map(|v| Expr::Seq(
                SeqKind::Paren,
                v,
                sp()
            )),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|v| Expr::Seq(
                SeqKind::List,
                v,
                sp()
            )),
            ident().prop_map(Expr::Var),
        ];
        let types = prop::sample::select(IS_TYPES.to_vec());
        prop_oneof![
            path(inner.clone(), true),
            (call_name, prop::collection::vec(inner.clone(), 0..3))
                .prop_map(|(n, a)| Expr::Call(n, a)),
            (ident().prop_filter("bare", |i| !i.quoted), select())
                .prop_map(|(n, s)| Expr::Call(n, vec![Expr::Select(Box::new(s))])),
            (
                prop::sample::select(BINOPS.to_vec()),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(op, a, b)| Expr::Binary(
                    op,
                    Box::new(a),
                    Box::new(b),
                    sp()
                )),
            inner
                .clone()
                .prop_map(|e| Expr::Unary(UnOp::Not, Box::new(e), sp())),
            inner
                .clone()
                .prop_filter("a positive number folds into the literal", |e| {
                    !matches!(e, Expr::Lit(Lit::Num(n), _) if !n.starts_with('-'))
                })
                .prop_map(|e| Expr::Unary(UnOp::Neg, Box::new(e), sp())),
            (inner.clone(), list_rhs, any::<bool>()).prop_map(|(e, l, not)| Expr::In {
                expr: Box::new(e),
                list: Box::new(l),
                not,
                span: sp()
            }),
            (inner.clone(), inner.clone(), inner.clone(), any::<bool>()).prop_map(
                |(e, lo, hi, not)| Expr::Between {
                    expr: Box::new(e),
                    low: Box::new(lo),
                    high: Box::new(hi),
                    not,
                    span: sp()
                }
            ),
            (inner.clone(), inner.clone(), any::<bool>()).prop_map(|(e, p, not)| Expr::Like {
                expr: Box::new(e),
                pattern: Box::new(p),
                escape: None,
                not,
                span: sp()
            }),
            (inner.clone(), types, any::<bool>()).prop_map(|(e, ty, not)| Expr::Is {
                expr: Box::new(e),
                ty,
                not,
                span: sp()
            }),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|v| Expr::Seq(
                SeqKind::List,
                v,
                sp()
            )),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|v| Expr::Seq(
                SeqKind::Bag,
                v,
                sp()
            )),
            prop::collection::vec((inner.clone(), inner), 0..3).prop_map(|f| Expr::Struct(f, sp())),
        ]
    })
    .boxed()
}

/// A small SELECT (its expressions without sub-queries of their own).
fn select() -> impl Strategy<Value = Select> {
    let leaf = prop_oneof![literal(), ident().prop_map(Expr::Var)].boxed();
    let item = (path(leaf.clone(), false), prop::option::of(ident()))
        .prop_map(|(expr, alias)| SelectItem { expr, alias });
    let projection = prop_oneof![
        Just(Projection::Star),
        prop::collection::vec(item, 1..3).prop_map(Projection::Items),
        path(leaf.clone(), false).prop_map(Projection::Value),
    ];
    let from = (
        ident(),
        prop::option::of(ident()),
        prop::option::of(ident()),
        prop::option::of(ident()),
    )
        .prop_map(|(t, alias, at, by)| FromItem {
            expr: Expr::Var(t),
            alias,
            at,
            by,
        });
    let cond = (path(leaf.clone(), false), leaf.clone())
        .prop_map(|(a, b)| Expr::Binary(BinOp::Eq, Box::new(a), Box::new(b), sp()))
        .boxed();
    let order = (ident(), prop::option::of(any::<bool>())).prop_map(|(n, desc)| OrderItem {
        expr: Expr::Var(n),
        desc,
    });
    (
        any::<bool>(),
        projection,
        prop::collection::vec(from, 1..3),
        prop::option::of(cond.clone()),
        prop::option::of(prop::collection::vec(ident().prop_map(Expr::Var), 1..3)),
        prop::option::of(cond),
        prop::option::of(prop::collection::vec(order, 1..3)),
        prop::option::of(number().prop_map(|n| Expr::Lit(Lit::Num(n), sp()))),
    )
        .prop_map(
            |(distinct, projection, from, where_, group_by, having, order_by, limit)| Select {
                distinct: distinct && !matches!(projection, Projection::Value(_)),
                projection,
                from,
                where_,
                group_by,
                having,
                order_by,
                limit,
                span: sp(),
            },
        )
}

fn returning() -> impl Strategy<Value = Vec<Returning>> {
    prop::collection::vec(
        (
            any::<bool>(),
            any::<bool>(),
            prop::option::of(ident().prop_map(Expr::Var)),
        )
            .prop_map(|(modified, new, column)| Returning {
                modified,
                new,
                column,
            }),
        0..2,
    )
}

fn statement() -> impl Strategy<Value = Statement> {
    let table = ident().prop_map(Expr::Var).boxed();
    let target = path(literal().boxed(), false).boxed();
    let insert = (
        table.clone(),
        expr(),
        any::<bool>(),
        prop::option::of(expr()),
        prop::option::of(expr()),
        returning(),
    )
        .prop_map(|(target, value, bag, at, on_conflict, returning)| {
            let value = if bag {
                Expr::Seq(SeqKind::Bag, vec![value], sp())
            } else {
                value
            };
            Statement::Insert(Insert {
                target,
                value,
                bag,
                at: at.filter(|_| !bag),
                on_conflict: on_conflict.filter(|_| !bag),
                returning,
            })
        });
    let op = prop_oneof![
        prop::collection::vec((target.clone(), expr()), 1..3).prop_map(DmlOp::Set),
        target.prop_map(DmlOp::Remove),
    ];
    let update = (
        table.clone(),
        prop::option::of(ident()),
        prop::collection::vec(op, 1..3),
        prop::option::of(expr()),
        returning(),
    )
        .prop_map(|(target, alias, ops, where_, returning)| {
            Statement::Update(Update {
                target,
                alias,
                ops,
                where_,
                returning,
            })
        });
    let delete = (
        table,
        prop::option::of(ident()),
        prop::option::of(expr()),
        returning(),
    )
        .prop_map(|(target, alias, where_, returning)| {
            Statement::Delete(Delete {
                target,
                alias,
                where_,
                returning,
            })
        });
    prop_oneof![
        select().prop_map(|s| Statement::Query(Expr::Select(Box::new(s)))),
        expr().prop_map(Statement::Query),
        insert,
        update,
        delete,
        ident().prop_map(|t| Statement::Ddl(Ddl::DropTable(t))),
        (ident(), prop::collection::vec(literal(), 0..2)).prop_map(|(n, a)| Statement::Exec(n, a)),
    ]
}

/// Numbers the `?` of `s` in the order they are printed, as the parser numbers them.
fn renumber(s: &mut Statement) {
    let mut next = 0;
    let mut visit = |e: &mut Expr| walk(e, &mut next);
    match s {
        Statement::Query(e) => visit(e),
        Statement::Insert(i) => {
            visit(&mut i.target);
            visit(&mut i.value);
            if let Some(e) = &mut i.at {
                visit(e);
            }
            if let Some(e) = &mut i.on_conflict {
                visit(e);
            }
            for r in &mut i.returning {
                if let Some(e) = &mut r.column {
                    visit(e);
                }
            }
        }
        Statement::Update(u) => {
            visit(&mut u.target);
            for op in &mut u.ops {
                match op {
                    DmlOp::Set(a) => a.iter_mut().for_each(|(p, v)| {
                        visit(p);
                        visit(v);
                    }),
                    DmlOp::Remove(p) => visit(p),
                }
            }
            if let Some(w) = &mut u.where_ {
                visit(w);
            }
            for r in &mut u.returning {
                if let Some(e) = &mut r.column {
                    visit(e);
                }
            }
        }
        Statement::Delete(d) => {
            visit(&mut d.target);
            if let Some(w) = &mut d.where_ {
                visit(w);
            }
            for r in &mut d.returning {
                if let Some(e) = &mut r.column {
                    visit(e);
                }
            }
        }
        Statement::Ddl(_) => {}
        Statement::Exec(_, args) => args.iter_mut().for_each(visit),
    }
}

fn walk(e: &mut Expr, next: &mut usize) {
    match e {
        Expr::Param(i, _) => {
            *i = *next;
            *next += 1;
        }
        Expr::Path(root, steps) => {
            walk(root, next);
            for s in steps {
                if let Step::Index(i) = s {
                    walk(i, next);
                }
            }
        }
        Expr::Call(_, args) | Expr::Seq(_, args, _) => args.iter_mut().for_each(|a| walk(a, next)),
        Expr::Unary(_, a, _) => walk(a, next),
        Expr::Binary(_, a, b, _) => {
            walk(a, next);
            walk(b, next);
        }
        Expr::In { expr, list, .. } => {
            walk(expr, next);
            walk(list, next);
        }
        Expr::Between {
            expr, low, high, ..
        } => {
            walk(expr, next);
            walk(low, next);
            walk(high, next);
        }
        Expr::Like {
            expr,
            pattern,
            escape,
            ..
        } => {
            walk(expr, next);
            walk(pattern, next);
            if let Some(e) = escape {
                walk(e, next);
            }
        }
        Expr::Is { expr, .. } => walk(expr, next),
        Expr::Struct(fields, _) => fields.iter_mut().for_each(|(k, v)| {
            walk(k, next);
            walk(v, next);
        }),
        Expr::Select(s) => {
            match &mut s.projection {
                Projection::Items(items) => items.iter_mut().for_each(|i| walk(&mut i.expr, next)),
                Projection::Value(e) => walk(e, next),
                Projection::Pivot(a, b) => {
                    walk(a, next);
                    walk(b, next);
                }
                Projection::Star => {}
            }
            for f in &mut s.from {
                walk(&mut f.expr, next);
            }
            for e in s.where_.iter_mut() {
                walk(e, next);
            }
            for g in s.group_by.iter_mut().flatten() {
                walk(g, next);
            }
            for e in s.having.iter_mut() {
                walk(e, next);
            }
            for o in s.order_by.iter_mut().flatten() {
                walk(&mut o.expr, next);
            }
            for e in s.limit.iter_mut() {
                walk(e, next);
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    // The printer is the parser's inverse: what the parser can build, printed, parses back.
    #[test]
    fn printed_statements_parse_back_to_the_same_ast(mut stmt in statement()) {
        renumber(&mut stmt);
        let text = stmt.to_string();
        let again = parse_statement(&text);
        prop_assert!(again.is_ok(), "{text}: {:?}", again);
        prop_assert_eq!(again.unwrap(), stmt, "{}", text);
    }

    // No text makes the parser panic (errors are values), and whatever parses prints back to
    // text that parses to the same AST.
    #[test]
    fn any_text_parses_or_is_refused(text in "[A-Za-z0-9 '\"(),.\\[\\]{}<>=!*?+\\-/%|;:@`]{0,60}") {
        if let Ok(ast) = parse_statement(&text) {
            let printed = ast.to_string();
            prop_assert_eq!(parse_statement(&printed).ok(), Some(ast), "{} / {}", text, printed);
        }
    }
}

// ---- shared: an in-process awsim ----------------------------------------------------------------

struct Db {
    engine: Engine,
    scope: Scope,
}

impl Db {
    fn new() -> Db {
        Db {
            engine: Engine::open(&Config::in_memory()).expect("in-memory engine"),
            scope: Scope {
                account: "000000000000".into(),
                region: "us-east-1".into(),
            },
        }
    }
    fn call(&self, op: &str, body: Value) -> Result<Value, awsim::error::Error> {
        awsim::dispatch::call(&self.engine, &self.scope, Service::DynamoDb, op, &body)
    }
    fn ok(&self, op: &str, body: Value) -> Value {
        self.call(op, body.clone())
            .unwrap_or_else(|e| panic!("{op} {body}: {e}"))
    }
}

// ---- 2. SELECT by key == Query ----------------------------------------------------------------

#[derive(Debug, Clone)]
enum SortKey {
    Any,
    Cmp(&'static str, i64),
    Between(i64, i64),
    BeginsWith(String),
}

#[derive(Debug, Clone)]
struct KeyedSelect {
    numeric: bool,
    items: Vec<(u8, i64, i64)>,
    partition: u8,
    sort: SortKey,
    filter: Option<i64>,
    descending: bool,
    limit: Option<i64>,
}

fn keyed_select() -> impl Strategy<Value = KeyedSelect> {
    (
        any::<bool>(),
        prop::collection::vec((0u8..3, 0i64..40, 0i64..10), 0..40),
        0u8..3,
        prop_oneof![
            Just(SortKey::Any),
            (
                prop::sample::select(vec!["=", "<", "<=", ">", ">="]),
                0i64..40
            )
                .prop_map(|(op, v)| SortKey::Cmp(op, v)),
            (0i64..40, 0i64..40).prop_map(|(a, b)| SortKey::Between(a.min(b), a.max(b))),
            "[0-9]{1,2}".prop_map(SortKey::BeginsWith),
        ],
        prop::option::of(0i64..10),
        any::<bool>(),
        prop::option::of(1i64..7),
    )
        .prop_map(
            |(numeric, items, partition, sort, filter, descending, limit)| KeyedSelect {
                numeric,
                items,
                partition,
                sort: match sort {
                    SortKey::BeginsWith(_) if numeric => SortKey::Any,
                    s => s,
                },
                filter,
                descending,
                limit,
            },
        )
}

impl KeyedSelect {
    fn sk(&self, v: i64) -> Value {
        if self.numeric {
            json!({ "N": v.to_string() })
        } else {
            json!({ "S": format!("{v:02}") })
        }
    }
    fn sk_literal(&self, v: i64) -> String {
        if self.numeric {
            v.to_string()
        } else {
            format!("'{v:02}'")
        }
    }
}

/// Every page of `op` with `body`, following the continuation its answers carry.
fn all_pages(db: &Db, op: &str, body: Value, cont: &str, start: &str) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    let mut body = body;
    loop {
        let page = db.ok(op, body.clone());
        out.push(page["Items"].as_array().cloned().unwrap_or_default());
        match page.get(cont) {
            Some(c) => body[start] = c.clone(),
            None => return out,
        }
        assert!(out.len() < 200, "paging does not end");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    // The planner turns a key condition into the Query the user would have written: same items,
    // same order (ORDER BY ... DESC as ScanIndexForward false), same pages under Limit.
    #[test]
    fn select_by_key_pages_as_the_equivalent_query(c in keyed_select()) {
        let db = Db::new();
        let ty = if c.numeric { "N" } else { "S" };
        db.ok("CreateTable", json!({"TableName": "t_sel", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": ty}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]}));
        for (p, sk, v) in &c.items {
            db.ok("PutItem", json!({"TableName": "t_sel", "Item": {"pk": {"S": format!("p{p}")}, "sk": c.sk(*sk), "v": {"N": v.to_string()}}}));
        }
        let pk = format!("p{}", c.partition);
        let (sort_pql, sort_kce, mut values) = match &c.sort {
            SortKey::Any => (String::new(), String::new(), json!({})),
            SortKey::Cmp(op, v) => (format!(" AND sk {op} {}", c.sk_literal(*v)), format!(" AND sk {op} :s"), json!({":s": c.sk(*v)})),
            SortKey::Between(a, b) => (
                format!(" AND sk BETWEEN {} AND {}", c.sk_literal(*a), c.sk_literal(*b)),
                " AND sk BETWEEN :a AND :b".into(),
                json!({":a": c.sk(*a), ":b": c.sk(*b)}),
            ),
            SortKey::BeginsWith(p) => (format!(" AND begins_with(sk, '{p}')"), " AND begins_with(sk, :s)".into(), json!({":s": {"S": p}})),
        };
        values[":p"] = json!({"S": pk});
        let mut stmt = format!("SELECT * FROM t_sel WHERE pk = '{pk}'{sort_pql}");
        let mut query = json!({"TableName": "t_sel", "KeyConditionExpression": format!("pk = :p{sort_kce}"),
            "ScanIndexForward": !c.descending});
        if let Some(f) = c.filter {
            stmt.push_str(&format!(" AND v >= {f}"));
            query["FilterExpression"] = json!("v >= :f");
            values[":f"] = json!({"N": f.to_string()});
        }
        query["ExpressionAttributeValues"] = values;
        if c.descending {
            stmt.push_str(" ORDER BY sk DESC");
        }
        let mut select = json!({"Statement": stmt});
        if let Some(l) = c.limit {
            select["Limit"] = json!(l);
            query["Limit"] = json!(l);
        }
        let mut got = all_pages(&db, "ExecuteStatement", select, "NextToken", "NextToken");
        let want = all_pages(&db, "Query", query, "LastEvaluatedKey", "ExclusiveStartKey");
        // A page cut at Limit always continues in PartiQL: one more, empty, page is allowed.
        if got.len() == want.len() + 1 && got.last().is_some_and(Vec::is_empty) {
            got.pop();
        }
        prop_assert_eq!(got, want, "{}", stmt);
    }
}

// ---- 3. transactions --------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Insert,
    /// `v = v + 1` when `v = expect`.
    Update {
        expect: i64,
    },
    /// When `v = expect` (a missing item is deleted without checking).
    Delete {
        expect: i64,
    },
    /// The item is there with `v = expect`.
    Exists {
        expect: i64,
    },
}

fn ops() -> impl Strategy<Value = Vec<(u8, Op)>> {
    let op = prop_oneof![
        Just(Op::Insert),
        (0i64..3).prop_map(|expect| Op::Update { expect }),
        (0i64..3).prop_map(|expect| Op::Delete { expect }),
        (0i64..3).prop_map(|expect| Op::Exists { expect }),
    ];
    prop::collection::vec((0u8..8, op), 1..8).prop_map(|v| {
        // Distinct items: one item twice is an error of the whole call.
        let mut seen = std::collections::BTreeSet::new();
        v.into_iter().filter(|(s, _)| seen.insert(*s)).collect()
    })
}

fn statement_of(slot: u8, op: &Op) -> String {
    match op {
        Op::Insert => format!("INSERT INTO t_tx VALUE {{'pk': 'k{slot}', 'v': 0}}"),
        Op::Update { expect } => {
            format!("UPDATE t_tx SET v = v + 1 WHERE pk = 'k{slot}' AND v = {expect}")
        }
        Op::Delete { expect } => format!("DELETE FROM t_tx WHERE pk = 'k{slot}' AND v = {expect}"),
        Op::Exists { expect } => {
            format!("EXISTS(SELECT * FROM t_tx WHERE pk = 'k{slot}' AND v = {expect})")
        }
    }
}

/// The model: what each statement does to it, or the reason it refuses.
fn apply(model: &mut BTreeMap<u8, i64>, slot: u8, op: &Op) -> Result<(), &'static str> {
    let current = model.get(&slot).copied();
    match (op, current) {
        (Op::Insert, Some(_)) => Err("ValidationError"),
        (Op::Insert, None) => {
            model.insert(slot, 0);
            Ok(())
        }
        (Op::Update { expect }, Some(v)) if v == *expect => {
            model.insert(slot, v + 1);
            Ok(())
        }
        (Op::Update { .. }, _) => Err("ConditionalCheckFailed"),
        (Op::Delete { .. }, None) => Ok(()),
        (Op::Delete { expect }, Some(v)) if v == *expect => {
            model.remove(&slot);
            Ok(())
        }
        (Op::Delete { .. }, Some(_)) => Err("ConditionalCheckFailed"),
        (Op::Exists { expect }, Some(v)) if v == *expect => Ok(()),
        (Op::Exists { .. }, _) => Err("ConditionalCheckFailed"),
    }
}

fn state(db: &Db) -> BTreeMap<u8, i64> {
    let out = db.ok("Scan", json!({"TableName": "t_tx"}));
    out["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let slot: u8 = i["pk"]["S"].as_str().unwrap()[1..].parse().unwrap();
            let v: i64 = i["v"]["N"].as_str().unwrap().parse().unwrap();
            (slot, v)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(80))]

    // ExecuteTransaction applies every statement or none; a cancellation names exactly the
    // statements that failed, in order.
    #[test]
    fn transactions_are_all_or_nothing(
        start in prop::collection::btree_map(0u8..8, 0i64..3, 0..6),
        txs in prop::collection::vec(ops(), 1..5),
    ) {
        let db = Db::new();
        db.ok("CreateTable", json!({"TableName": "t_tx", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}));
        for (slot, v) in &start {
            db.ok("PutItem", json!({"TableName": "t_tx", "Item": {"pk": {"S": format!("k{slot}")}, "v": {"N": v.to_string()}}}));
        }
        let mut model = start.clone();
        for tx in txs {
            let body = json!({"TransactStatements": tx.iter().map(|(s, op)| json!({"Statement": statement_of(*s, op)})).collect::<Vec<_>>()});
            let mut next = model.clone();
            // A ValidationError stops the evaluation: the statements after it are `None`.
            let mut stopped = false;
            let reasons: Vec<&str> = tx.iter().map(|(s, op)| {
                if stopped {
                    return "None";
                }
                match apply(&mut next, *s, op) {
                    Ok(()) => "None",
                    Err(code) => {
                        stopped = code == "ValidationError";
                        code
                    }
                }
            }).collect();
            let failed = reasons.iter().any(|r| *r != "None");
            match db.call("ExecuteTransaction", body) {
                Ok(_) => {
                    prop_assert!(!failed, "committed, but the model refuses: {reasons:?}");
                    model = next;
                }
                Err(e) => {
                    prop_assert_eq!(e.kind, ErrorKind::TransactionCanceled, "{:?}", e);
                    let Some(ErrorDetail::CancellationReasons(got)) = e.detail.as_deref() else {
                        return Err(TestCaseError::fail("no reasons"));
                    };
                    let got: Vec<&str> = got.iter().map(|r| r.code).collect();
                    prop_assert_eq!(got, reasons);
                }
            }
            prop_assert_eq!(state(&db), model.clone());
        }
    }
}

use proptest::test_runner::TestCaseError;
