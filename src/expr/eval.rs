//! Evaluation of a validated condition on an item, with the service's semantics: a missing
//! attribute or a type mismatch makes a comparison false (`<>` true), ordering exists only for
//! S, N and B, sets compare as sets, and `size` counts UTF-16 units, bytes or elements.
use super::ast::{CmpOp, Cond, Elem, Name, Operand, Path};
use super::validate::Ctx;
use crate::model::{AttributeValue, Item, Number};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The value at `path` in `item`, resolving `#names` through `ctx`.
pub fn lookup<'a>(item: &'a Item, path: &Path, ctx: &Ctx) -> Option<&'a AttributeValue> {
    // Borrowed, not cloned: this runs for every item a filter sees.
    fn name<'n>(n: &'n Name, names: &'n BTreeMap<String, String>) -> Option<&'n str> {
        match n {
            Name::Plain(s) => Some(s.as_str()),
            Name::Placeholder(p) => names.get(p).map(String::as_str),
        }
    }
    let mut elems = path.0.iter();
    let Some(Elem::Attr(first)) = elems.next() else {
        return None;
    };
    let mut v = item.get(name(first, ctx.names)?)?;
    for e in elems {
        v = match (e, v) {
            (Elem::Attr(n), AttributeValue::M(m)) => m.get(name(n, ctx.names)?)?,
            (Elem::Index(i), AttributeValue::L(l)) => l.get(*i as usize)?,
            _ => return None,
        };
    }
    Some(v)
}

fn operand<'a>(o: &Operand, item: &'a Item, ctx: &Ctx<'a>) -> Option<Cow<'a, AttributeValue>> {
    match o {
        Operand::Path(p) => lookup(item, p, ctx).map(Cow::Borrowed),
        Operand::Value(v) => ctx.values.get(v).map(Cow::Borrowed),
        Operand::Call(c) if c.name == "size" => {
            let v = operand(c.args.first()?, item, ctx)?;
            size(&v).map(|n| Cow::Owned(AttributeValue::N(Number::from(n as u64))))
        }
        _ => None,
    }
}

/// `size()`: strings in UTF-16 code units (as the service's Java does), binary in bytes,
/// collections in elements; other types have no size.
pub fn size(v: &AttributeValue) -> Option<usize> {
    Some(match v {
        AttributeValue::S(s) => s.encode_utf16().count(),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Ss(s) => s.len(),
        AttributeValue::Ns(s) => s.len(),
        AttributeValue::Bs(s) => s.len(),
        AttributeValue::L(l) => l.len(),
        AttributeValue::M(m) => m.len(),
        _ => return None,
    })
}

/// Equality as the service defines it: sets ignore order, numbers compare by value.
pub fn equal(a: &AttributeValue, b: &AttributeValue) -> bool {
    use AttributeValue::*;
    fn same_set<T: PartialEq>(a: &[T], b: &[T]) -> bool {
        a.len() == b.len() && a.iter().all(|x| b.contains(x))
    }
    match (a, b) {
        (Ss(x), Ss(y)) => same_set(x, y),
        (Ns(x), Ns(y)) => same_set(x, y),
        (Bs(x), Bs(y)) => same_set(x, y),
        (L(x), L(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q)),
        (M(x), M(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => a == b,
    }
}

/// Order between two scalars of the same type (S bytewise in UTF-8, N numerically, B bytewise).
pub fn compare(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::N(x), AttributeValue::N(y)) => Some(x.cmp(y)),
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn cmp_values(a: Option<&AttributeValue>, op: CmpOp, b: Option<&AttributeValue>) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return op == CmpOp::Ne;
    };
    match op {
        CmpOp::Eq => equal(a, b),
        CmpOp::Ne => !equal(a, b),
        _ => match compare(a, b) {
            Some(o) => match op {
                CmpOp::Lt => o == Ordering::Less,
                CmpOp::Le => o != Ordering::Greater,
                CmpOp::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            },
            None => false,
        },
    }
}

fn contains(haystack: &AttributeValue, needle: &AttributeValue) -> bool {
    use AttributeValue::*;
    match (haystack, needle) {
        (S(h), S(n)) => h.contains(n.as_str()),
        (B(h), B(n)) => n.is_empty() || h.windows(n.len()).any(|w| w == n.as_slice()),
        (Ss(h), S(n)) => h.contains(n),
        (Ns(h), N(n)) => h.contains(n),
        (Bs(h), B(n)) => h.contains(n),
        (L(h), n) => h.iter().any(|x| equal(x, n)),
        _ => false,
    }
}

fn begins_with(v: &AttributeValue, prefix: &AttributeValue) -> bool {
    match (v, prefix) {
        (AttributeValue::S(s), AttributeValue::S(p)) => s.starts_with(p.as_str()),
        (AttributeValue::B(s), AttributeValue::B(p)) => s.starts_with(p),
        _ => false,
    }
}

/// Evaluates a validated condition on `item` (an absent item is an empty one).
pub fn eval_condition(cond: &Cond, item: &Item, ctx: &Ctx) -> bool {
    match cond {
        Cond::Cmp(a, op, b) => {
            let (a, b) = (operand(a, item, ctx), operand(b, item, ctx));
            cmp_values(a.as_deref(), *op, b.as_deref())
        }
        Cond::Between(a, lo, hi) => {
            let (Some(a), Some(lo), Some(hi)) = (
                operand(a, item, ctx),
                operand(lo, item, ctx),
                operand(hi, item, ctx),
            ) else {
                return false;
            };
            compare(&a, &lo).is_some_and(|o| o != Ordering::Less)
                && compare(&a, &hi).is_some_and(|o| o != Ordering::Greater)
        }
        Cond::In(a, list) => {
            let Some(a) = operand(a, item, ctx) else {
                return false;
            };
            list.iter()
                .any(|o| operand(o, item, ctx).is_some_and(|v| equal(&a, &v)))
        }
        Cond::Call(call) => {
            let arg = |i: usize| call.args.get(i).and_then(|o| operand(o, item, ctx));
            match call.name.as_str() {
                "attribute_exists" => arg(0).is_some(),
                "attribute_not_exists" => arg(0).is_none(),
                "attribute_type" => match (arg(0), arg(1)) {
                    (Some(v), Some(t)) => matches!(&*t, AttributeValue::S(t) if t == v.type_name()),
                    _ => false,
                },
                "begins_with" => match (arg(0), arg(1)) {
                    (Some(v), Some(p)) => begins_with(&v, &p),
                    _ => false,
                },
                "contains" => match (arg(0), arg(1)) {
                    (Some(h), Some(n)) => contains(&h, &n),
                    _ => false,
                },
                _ => false,
            }
        }
        Cond::Not(c) => !eval_condition(c, item, ctx),
        Cond::And(a, b) => eval_condition(a, item, ctx) && eval_condition(b, item, ctx),
        Cond::Or(a, b) => eval_condition(a, item, ctx) || eval_condition(b, item, ctx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parser::parse_condition;
    use std::collections::BTreeMap;

    fn n(s: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(s).unwrap())
    }

    fn check(text: &str, values: &[(&str, AttributeValue)]) -> bool {
        let item: Item = [
            ("n".to_string(), n("5")),
            ("s".to_string(), AttributeValue::S("héllo".into())),
            (
                "ss".to_string(),
                AttributeValue::Ss(vec!["a".into(), "b".into()]),
            ),
            (
                "l".to_string(),
                AttributeValue::L(vec![n("1"), AttributeValue::S("x".into())]),
            ),
        ]
        .into_iter()
        .collect();
        let values: BTreeMap<String, AttributeValue> = values
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let names = BTreeMap::new();
        let ctx = Ctx {
            names: &names,
            values: &values,
        };
        eval_condition(&parse_condition(text).unwrap(), &item, &ctx)
    }

    // Each case was checked against DynamoDB Local.
    #[test]
    fn comparisons_follow_the_service() {
        assert!(check("nope <> :v", &[(":v", n("1"))]));
        assert!(!check("nope = :v", &[(":v", n("1"))]));
        assert!(check("n <> :v", &[(":v", AttributeValue::S("5".into()))]));
        assert!(!check("n < :v", &[(":v", AttributeValue::S("5".into()))]));
        assert!(check(
            "n BETWEEN :a AND :b",
            &[(":a", n("5")), (":b", n("6"))]
        ));
        assert!(check(
            "ss = :v",
            &[(":v", AttributeValue::Ss(vec!["b".into(), "a".into()]))]
        ));
        assert!(check("size(s) = :v", &[(":v", n("5"))]));
        assert!(!check("size(n) = :v", &[(":v", n("1"))]));
        assert!(check(
            "contains(l, :v)",
            &[(":v", AttributeValue::S("x".into()))]
        ));
        assert!(!check(
            "contains(:v, s)",
            &[(":v", AttributeValue::S("ell".into()))]
        ));
        assert!(check("l[0] = :v", &[(":v", n("1"))]));
        assert!(!check("l[5] = :v", &[(":v", n("1"))]));
    }
}
