//! Property tests of the expression language: printing an AST and parsing it back gives the
//! same AST; the evaluator agrees with a small reference model on numeric conditions; decimal
//! addition is exact.
use awsim::expr::ast::{CmpOp, Cond, Elem, Name, Operand, Path};
use awsim::expr::eval::eval_condition;
use awsim::expr::parser::parse_condition;
use awsim::expr::validate::Ctx;
use awsim::model::{AttributeValue, Item, Number};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn path() -> impl Strategy<Value = Path> {
    let name = prop_oneof![
        Just(Name::Plain("a".into())),
        Just(Name::Plain("b".into())),
        Just(Name::Plain("c".into())),
        Just(Name::Placeholder("#n".into())),
    ];
    (name, prop::collection::vec(0u32..3, 0..2)).prop_map(|(n, idx)| {
        let mut elems = vec![Elem::Attr(n)];
        elems.extend(idx.into_iter().map(Elem::Index));
        Path(elems)
    })
}

fn value() -> impl Strategy<Value = Operand> {
    prop_oneof![
        Just(Operand::Value(":x".into())),
        Just(Operand::Value(":y".into()))
    ]
}

fn op() -> impl Strategy<Value = CmpOp> {
    prop_oneof![
        Just(CmpOp::Eq),
        Just(CmpOp::Ne),
        Just(CmpOp::Lt),
        Just(CmpOp::Le),
        Just(CmpOp::Gt),
        Just(CmpOp::Ge),
    ]
}

fn leaf() -> impl Strategy<Value = Cond> {
    prop_oneof![
        (path(), op(), value()).prop_map(|(p, o, v)| Cond::Cmp(Operand::Path(p), o, v)),
        (path(), value(), value()).prop_map(|(p, lo, hi)| Cond::Between(Operand::Path(p), lo, hi)),
        (path(), prop::collection::vec(value(), 1..4))
            .prop_map(|(p, list)| Cond::In(Operand::Path(p), list)),
        path().prop_map(|p| Cond::Call(awsim::expr::ast::Call {
            name: "attribute_exists".into(),
            args: vec![Operand::Path(p)],
        })),
        (path(), op(), value()).prop_map(|(p, o, v)| Cond::Cmp(
            Operand::Call(awsim::expr::ast::Call {
                name: "size".into(),
                args: vec![Operand::Path(p)],
            }),
            o,
            v
        )),
    ]
}

fn cond() -> impl Strategy<Value = Cond> {
    leaf().prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| Cond::Not(Box::new(c))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Cond::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| Cond::Or(Box::new(a), Box::new(b))),
        ]
    })
}

/// Conditions over top-level numeric attributes only, for the reference model.
fn numeric_cond() -> impl Strategy<Value = Cond> {
    let top = prop_oneof![Just("a"), Just("b"), Just("c")]
        .prop_map(|n| Path(vec![Elem::Attr(Name::Plain(n.into()))]));
    let leaf = prop_oneof![
        (top.clone(), op(), value()).prop_map(|(p, o, v)| Cond::Cmp(Operand::Path(p), o, v)),
        (top, value(), value()).prop_map(|(p, lo, hi)| Cond::Between(Operand::Path(p), lo, hi)),
    ];
    leaf.prop_recursive(3, 16, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| Cond::Not(Box::new(c))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Cond::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| Cond::Or(Box::new(a), Box::new(b))),
        ]
    })
}

/// The reference semantics: a missing attribute makes every comparison false except `<>`.
fn reference(c: &Cond, item: &BTreeMap<&str, i64>, values: &BTreeMap<&str, i64>) -> bool {
    let attr = |o: &Operand| match o {
        Operand::Path(Path(e)) => match &e[0] {
            Elem::Attr(Name::Plain(n)) => item.get(n.as_str()).copied(),
            _ => None,
        },
        _ => None,
    };
    let val = |o: &Operand| match o {
        Operand::Value(v) => values[v.as_str()],
        _ => unreachable!(),
    };
    match c {
        Cond::Cmp(a, op, v) => match attr(a) {
            None => *op == CmpOp::Ne,
            Some(x) => {
                let y = val(v);
                match op {
                    CmpOp::Eq => x == y,
                    CmpOp::Ne => x != y,
                    CmpOp::Lt => x < y,
                    CmpOp::Le => x <= y,
                    CmpOp::Gt => x > y,
                    CmpOp::Ge => x >= y,
                }
            }
        },
        Cond::Between(a, lo, hi) => attr(a).is_some_and(|x| val(lo) <= x && x <= val(hi)),
        Cond::Not(x) => !reference(x, item, values),
        Cond::And(a, b) => reference(a, item, values) && reference(b, item, values),
        Cond::Or(a, b) => reference(a, item, values) || reference(b, item, values),
        _ => unreachable!(),
    }
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(Number::parse(&v.to_string()).unwrap())
}

proptest! {
    // Printing is the inverse of parsing: the printer parenthesises exactly where precedence
    // needs it.
    #[test]
    fn parse_of_print_is_identity(c in cond()) {
        let text = c.to_string();
        prop_assert_eq!(parse_condition(&text), Ok(c), "{}", text);
    }

    #[test]
    fn evaluator_agrees_with_reference(
        c in numeric_cond(),
        a in prop::option::of(-3i64..3),
        b in prop::option::of(-3i64..3),
        x in -3i64..3,
        y in -3i64..3,
    ) {
        let mut model = BTreeMap::new();
        let mut item = Item::new();
        for (name, v) in [("a", a), ("b", b)] {
            if let Some(v) = v {
                model.insert(name, v);
                item.insert(name.to_string(), n(v));
            }
        }
        let values_model: BTreeMap<&str, i64> = [(":x", x), (":y", y)].into_iter().collect();
        let values: BTreeMap<String, AttributeValue> =
            [(":x".to_string(), n(x)), (":y".to_string(), n(y))].into_iter().collect();
        let names = BTreeMap::new();
        let ctx = Ctx { names: &names, values: &values };
        prop_assert_eq!(
            eval_condition(&c, &item, &ctx),
            reference(&c, &model, &values_model),
            "{}", c
        );
    }

    #[test]
    fn addition_is_exact(a in -10i64.pow(15)..10i64.pow(15), ea in -8i32..8, b in -10i64.pow(15)..10i64.pow(15), eb in -8i32..8) {
        let na = Number::parse(&format!("{a}E{ea}")).unwrap();
        let nb = Number::parse(&format!("{b}E{eb}")).unwrap();
        // Reference: both scaled to the smaller exponent, summed exactly in i128 digits.
        let e = ea.min(eb);
        let sa = a as i128 * 10i128.pow((ea - e) as u32);
        let sb = b as i128 * 10i128.pow((eb - e) as u32);
        let expected = Number::parse(&format!("{}E{e}", sa + sb)).unwrap();
        prop_assert_eq!(na.add(&nb), expected.clone());
        prop_assert_eq!(expected.sub(&nb), na);
    }
}

/// Text built from the expression language's own tokens (and some junk), so the parser sees
/// near-misses rather than only random bytes.
fn expression_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("a"),
        Just("#n"),
        Just(":v"),
        Just("="),
        Just("<>"),
        Just("<="),
        Just("("),
        Just(")"),
        Just("["),
        Just("]"),
        Just("0"),
        Just("7"),
        Just("."),
        Just(","),
        Just("AND"),
        Just("OR"),
        Just("NOT"),
        Just("BETWEEN"),
        Just("IN"),
        Just("SET"),
        Just("REMOVE"),
        Just("ADD"),
        Just("DELETE"),
        Just("size"),
        Just("list_append"),
        Just("+"),
        Just("-"),
        Just("é"),
        Just("@"),
        Just(" "),
    ];
    prop_oneof![
        prop::collection::vec(token, 0..40).prop_map(|t| t.join(" ")),
        any::<String>(),
    ]
}

proptest! {
    // The parsers return a value or an error for any input; they never panic.
    #[test]
    fn parsers_never_panic(text in expression_text()) {
        let _ = parse_condition(&text);
        let _ = awsim::expr::parser::parse_update(&text);
        let _ = awsim::expr::parser::parse_paths(&text);
    }
}
