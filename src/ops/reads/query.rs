//! Query: one partition of a table or index, a range of its sort key, in order, page by page.
//! Checks run in the service's order: the parameters alone first (Limit, legacy/expression
//! mixing, placeholders, the expressions' syntax, unused placeholders, the key condition's
//! structure), then the table and index are looked up, then ConsistentRead on a GSI, the key
//! condition against the schema, ExclusiveStartKey, the filter's attributes, Select and the
//! projection.
use crate::codec::key::encode_key_value;
use crate::engine::read::{Mode, Read, SortCond};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::expr::ast::{CmpOp, Cond, Operand};
use crate::expr::projection::PathElem;
use crate::expr::validate::render_path;
use crate::model::{AttributeValue, KeySchema, Scope};
use crate::ops::expressions::Check;
use crate::ops::expressions::{check_length, value_list, Exprs};
use crate::ops::items::get_item::read_projection;
use crate::ops::reads;
use crate::ops::Input;
use serde_json::Value;

fn invalid(msg: impl std::fmt::Display) -> Error {
    Error::validation(format!("One or more parameter values were invalid: {msg}"))
}

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<crate::ops::Output> {
    // Parameters first (the service validates the request before it looks the table up),
    // then what needs the table's schema.
    if input.i64("Limit").is_some_and(|l| l < 1) {
        return Err(Error::validation(
            "1 validation error detected: Value at 'Limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
        ));
    }
    check_mixed(input)?;
    let mut exprs = Exprs::read(input)?;
    let legacy_filter = reads::legacy_filter(input, "QueryFilter")?;
    let filter = match exprs.condition(input, "FilterExpression")? {
        Some(cond) => Some(Check::new(cond, &exprs, input)),
        None => legacy_filter,
    };
    let projection = read_projection(input, &mut exprs)?;
    let key_cond = match input.str("KeyConditionExpression") {
        Some(text) => {
            check_length(text, "KeyConditionExpression")?;
            exprs.condition(input, "KeyConditionExpression")?
        }
        None => None,
    };
    finish(input, &exprs)?;
    let terms = match key_cond {
        Some(cond) => expression_terms(&cond, &exprs)?,
        None => match input.get("KeyConditions").and_then(Value::as_object) {
            Some(map) => legacy_terms(map)?,
            None => {
                return Err(Error::validation(
                    "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
                ))
            }
        },
    };
    let meta = engine.table(scope, input.table_name())?;
    let index = reads::index(&meta, input)?;
    reads::check_consistent_read(index, input)?;
    let schema = reads::walked_schema(&meta, index);
    let index_name = index.map(|i| i.name.as_str());
    let (mode, sort) = match schema.is_multi() {
        false => {
            let (partition, sort) = against_schema(schema, index_name, terms)?;
            let mode = Mode::Query {
                partition,
                sort: sort.clone(),
                forward: true,
            };
            (mode, sort)
        }
        true => {
            let (partition, prefix, sort) = against_multi_schema(schema, index_name, terms)?;
            let mode = Mode::QueryTuple {
                partition,
                prefix,
                sort: sort.clone(),
                forward: true,
            };
            (mode, sort)
        }
    };
    let start = reads::read_start_key(&meta, index, input, false)?;
    if let Some(start) = &start {
        if !start_in_range(schema, &mode, start) {
            return Err(Error::validation(
                "The provided starting key does not match the range key predicate",
            ));
        }
    }
    if let Some(f) = &filter {
        let attrs = f.attributes();
        if let Some(key) = schema.attrs().find(|k| attrs.contains(&k.name)) {
            let what = if input.get("QueryFilter").is_some() {
                "QueryFilter"
            } else {
                "Filter Expression"
            };
            return Err(Error::validation(format!(
                "{what} can only contain non-primary key attributes: Primary key attribute: {}",
                key.name
            )));
        }
    }
    reads::check_filter_projected(&meta, index, filter.as_ref())?;
    let (output, fetch_base) = reads::select(&meta, index, input, projection)?;
    let forward = input.bool("ScanIndexForward").unwrap_or(true);
    // The range's inclusive bound in the walk's direction (LastEvaluatedKey rule, reads.rs).
    // Tables only: an index's sort key is not unique, its pages always resume.
    let inclusive_end = match (
        &sort,
        forward,
        &schema.range.as_ref().filter(|_| index.is_none()),
    ) {
        (SortCond::Le(v) | SortCond::Between(_, v), true, Some(r)) => {
            Some((r.name.clone(), v.clone()))
        }
        (SortCond::Ge(v) | SortCond::Between(v, _), false, Some(r)) => {
            Some((r.name.clone(), v.clone()))
        }
        _ => None,
    };
    let mode = match mode {
        Mode::Query {
            partition, sort, ..
        } => Mode::Query {
            partition,
            sort,
            forward,
        },
        Mode::QueryTuple {
            partition,
            prefix,
            sort,
            ..
        } => Mode::QueryTuple {
            partition,
            prefix,
            sort,
            forward,
        },
        scan => scan,
    };
    let read = Read {
        index,
        mode,
        start: start.as_ref(),
        limit: input.i64("Limit").map(|l| l.max(1) as usize),
        fetch_base,
        spent: 0,
    };
    // A table without a sort key holds at most one item per partition: nothing to resume.
    let lek = index.is_some() || meta.key.range.is_some();
    let resume = reads::Resume {
        allowed: lek,
        inclusive_end: inclusive_end.as_ref().map(|(n, v)| (n.as_str(), v)),
    };
    reads::run_page(
        engine,
        &meta,
        input,
        &read,
        filter.as_ref(),
        &output,
        resume,
    )
}

/// Legacy and expression parameters may not be mixed; KeyConditions only clashes with
/// KeyConditionExpression (it may come with FilterExpression or ProjectionExpression).
fn check_mixed(input: Input) -> Result<()> {
    let present = |names: &[&'static str]| -> Vec<&'static str> {
        names
            .iter()
            .copied()
            .filter(|n| input.get(n).is_some())
            .collect()
    };
    let legacy = present(&[
        "AttributesToGet",
        "QueryFilter",
        "ConditionalOperator",
        "KeyConditions",
    ]);
    let exprs = present(&[
        "ProjectionExpression",
        "FilterExpression",
        "KeyConditionExpression",
    ]);
    let clash = legacy.iter().any(|l| *l != "KeyConditions") && !exprs.is_empty()
        || legacy.contains(&"KeyConditions") && exprs.contains(&"KeyConditionExpression");
    if clash {
        return Err(Error::validation(format!(
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
            legacy.join(", "),
            exprs.join(", ")
        )));
    }
    Ok(())
}

/// Placeholders without any expression, then unused ones.
fn finish(input: Input, exprs: &Exprs) -> Result<()> {
    let has = |p: &str| input.get(p).is_some();
    if !has("FilterExpression") && !has("KeyConditionExpression") {
        if input.get("ExpressionAttributeNames").is_some() && !has("ProjectionExpression") {
            return Err(Error::validation(
                "ExpressionAttributeNames can only be specified when using expressions",
            ));
        }
        if input.get("ExpressionAttributeValues").is_some() {
            return Err(Error::validation(
                "ExpressionAttributeValues can only be specified when using expressions: FilterExpression and KeyConditionExpression are null",
            ));
        }
    }
    exprs.finish(
        input,
        &[
            "FilterExpression",
            "KeyConditionExpression",
            "ProjectionExpression",
        ],
    )
}

/// One condition of a key condition: `name op values`.
pub struct Term {
    name: String,
    op: KeyOp,
    values: Vec<AttributeValue>,
}

#[derive(Clone, Copy, PartialEq)]
enum KeyOp {
    Cmp(CmpOp),
    Between,
    BeginsWith,
}

fn key_error(msg: &str) -> Error {
    Error::validation(msg.to_string())
}

/// The terms of a KeyConditionExpression: conditions joined by AND, each on one attribute.
fn expression_terms(cond: &Cond, exprs: &Exprs) -> Result<Vec<Term>> {
    let mut conds = Vec::new();
    flatten_and(cond, &mut conds)?;
    let mut terms: Vec<Term> = Vec::new();
    for c in conds {
        let (op, operands): (KeyOp, Vec<&Operand>) = match c {
            Cond::Cmp(a, op, b) => {
                // `:v < sk` is `sk > :v`.
                if matches!(a, Operand::Value(_)) && matches!(b, Operand::Path(_)) {
                    (KeyOp::Cmp(flip(*op)), vec![b, a])
                } else {
                    (KeyOp::Cmp(*op), vec![a, b])
                }
            }
            Cond::Between(a, lo, hi) => (KeyOp::Between, vec![a, lo, hi]),
            Cond::Call(call) => (KeyOp::BeginsWith, call.args.iter().collect()),
            _ => unreachable!("flatten_and keeps only key comparisons"),
        };
        if operands
            .iter()
            .any(|o| matches!(o, Operand::Call(_) | Operand::Arith(..)))
        {
            return Err(key_error(
                "KeyConditionExpressions cannot contain nested operations",
            ));
        }
        let paths: Vec<_> = operands
            .iter()
            .filter_map(|o| match o {
                Operand::Path(p) => Some(p),
                _ => None,
            })
            .collect();
        if paths.len() > 1 {
            return Err(key_error(
                "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition",
            ));
        }
        let Some(path) = paths.first() else {
            return Err(key_error(
                "Invalid condition in KeyConditionExpression: No key attribute specified",
            ));
        };
        let mut used = crate::expr::validate::Used::default();
        let resolved = exprs
            .ctx()
            .resolve_path(path, &mut used)
            .map_err(|e| e.into_error("KeyConditionExpression"))?;
        // A nested path never names a key attribute.
        let name = match resolved.as_slice() {
            [PathElem::Attr(a)] => a.clone(),
            _ => render_path(&resolved),
        };
        let values = operands
            .iter()
            .filter_map(|o| match o {
                Operand::Value(v) => exprs.values.get(v).cloned(),
                _ => None,
            })
            .collect();
        if terms.iter().any(|t| t.name == name) {
            return Err(key_error(
                "KeyConditionExpressions must only contain one condition per key",
            ));
        }
        terms.push(Term { name, op, values });
    }
    Ok(terms)
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

/// Splits a key condition at its ANDs, refusing every other operator.
fn flatten_and<'c>(c: &'c Cond, out: &mut Vec<&'c Cond>) -> Result<()> {
    let bad = |what: &str| {
        Err(Error::validation(format!(
            "Invalid operator used in KeyConditionExpression: {what}"
        )))
    };
    match c {
        Cond::And(a, b) => {
            flatten_and(a, out)?;
            flatten_and(b, out)
        }
        Cond::Or(..) => bad("OR"),
        Cond::Not(_) => bad("NOT"),
        Cond::In(..) => bad("IN"),
        Cond::Cmp(_, CmpOp::Ne, _) => bad("<>"),
        Cond::Call(call) if call.name != "begins_with" => bad(&call.name),
        _ => {
            out.push(c);
            Ok(())
        }
    }
}

/// The terms of legacy KeyConditions.
fn legacy_terms(map: &serde_json::Map<String, Value>) -> Result<Vec<Term>> {
    if map.is_empty() {
        return Err(key_error("Conditions must be at least length 1"));
    }
    let empty = serde_json::Map::new();
    let mut terms = Vec::new();
    for (attr, spec) in map {
        let spec = Input(spec.as_object().unwrap_or(&empty));
        let op = spec.str("ComparisonOperator").unwrap_or_default();
        let values = value_list(spec)?.unwrap_or_default();
        let op = match op {
            "EQ" => KeyOp::Cmp(CmpOp::Eq),
            "LT" => KeyOp::Cmp(CmpOp::Lt),
            "LE" => KeyOp::Cmp(CmpOp::Le),
            "GT" => KeyOp::Cmp(CmpOp::Gt),
            "GE" => KeyOp::Cmp(CmpOp::Ge),
            "BETWEEN" => KeyOp::Between,
            "BEGINS_WITH" => KeyOp::BeginsWith,
            "NULL" | "NOT_NULL" => {
                return Err(key_error(
                    "Only scalar types can be used as Range Key values",
                ))
            }
            _ => {
                return Err(key_error(
                    "Attempted conditional constraint is not an indexable operation",
                ))
            }
        };
        let arity = if op == KeyOp::Between { 2 } else { 1 };
        if values.len() != arity {
            return Err(invalid(format!(
                "Invalid number of argument(s) for the {} ComparisonOperator",
                spec.str("ComparisonOperator").unwrap_or_default()
            )));
        }
        // BEGINS_WITH takes a string or binary, as in a filter.
        if let (KeyOp::BeginsWith, Some(v)) = (op, values.first()) {
            if !matches!(v, AttributeValue::S(_) | AttributeValue::B(_)) {
                return Err(invalid(format!(
                    "ComparisonOperator BEGINS_WITH is not valid for {} AttributeValue type",
                    v.type_name()
                )));
            }
        }
        if op == KeyOp::Between
            && values[0].type_name() == values[1].type_name()
            && crate::expr::eval::compare(&values[0], &values[1])
                == Some(std::cmp::Ordering::Greater)
        {
            return Err(key_error(
                "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
            ));
        }
        terms.push(Term {
            name: attr.clone(),
            op,
            values,
        });
    }
    Ok(terms)
}

/// Checks the terms against the walked key schema: the partition key with `=`, at most one
/// condition on the sort key, values of the key's type.
fn against_schema(
    schema: &KeySchema,
    index: Option<&str>,
    mut terms: Vec<Term>,
) -> Result<(AttributeValue, SortCond)> {
    if terms.len() > 2 {
        return Err(key_error("Conditions can be of length 1 or 2 only"));
    }
    let missed = |name: &str| {
        Error::validation(format!("Query condition missed key schema element: {name}"))
    };
    let Some(hi) = terms.iter().position(|t| t.name == schema.hash.name) else {
        return Err(missed(&schema.hash.name));
    };
    let hash = terms.remove(hi);
    let other = terms.pop();
    if let Some(o) = &other {
        match &schema.range {
            Some(r) if r.name == o.name => {}
            Some(r) => return Err(missed(&r.name)),
            None => return Err(key_error("Query key condition not supported")),
        }
    }
    if hash.op != KeyOp::Cmp(CmpOp::Eq) {
        return Err(key_error("Query key condition not supported"));
    }
    check_values(&hash, schema.hash.ty, index)?;
    let sort = match (other, &schema.range) {
        (Some(t), Some(r)) => {
            check_values(&t, r.ty, index)?;
            sort_cond(t)
        }
        _ => SortCond::Any,
    };
    let partition = hash.values.into_iter().next().expect("arity checked");
    Ok((partition, sort))
}

/// A term's values against its key attribute's type; no empty string or binary (named as an
/// index key when an index is queried).
fn check_values(t: &Term, ty: crate::model::KeyType, index: Option<&str>) -> Result<()> {
    for v in &t.values {
        if v.scalar_type() != Some(ty.scalar()) {
            return Err(invalid(
                "Condition parameter type does not match schema type",
            ));
        }
    }
    for v in &t.values {
        let kind = match v {
            AttributeValue::S(s) if s.is_empty() => "string",
            AttributeValue::B(b) if b.is_empty() => "binary",
            _ => continue,
        };
        if let Some(index) = index {
            return Err(Error::validation(format!(
                "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {kind} value. IndexName: {index}, IndexKey: {}",
                t.name
            )));
        }
        return Err(Error::validation(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {kind} value. Key: {}",
            t.name
        )));
    }
    Ok(())
}

/// The condition of a term on a sort key attribute.
fn sort_cond(t: Term) -> SortCond {
    let mut v = t.values.into_iter();
    let mut next = || v.next().expect("arity checked");
    match t.op {
        KeyOp::Cmp(CmpOp::Eq) => SortCond::Eq(next()),
        KeyOp::Cmp(CmpOp::Lt) => SortCond::Lt(next()),
        KeyOp::Cmp(CmpOp::Le) => SortCond::Le(next()),
        KeyOp::Cmp(CmpOp::Gt) => SortCond::Gt(next()),
        KeyOp::Cmp(CmpOp::Ge) => SortCond::Ge(next()),
        KeyOp::Cmp(CmpOp::Ne) => unreachable!("refused by flatten_and"),
        KeyOp::Between => {
            let lo = next();
            SortCond::Between(lo, next())
        }
        KeyOp::BeginsWith => SortCond::BeginsWith(next()),
    }
}

/// Checks the terms against a multi-attribute GSI key, in DynamoDB Local 2026's order: no more
/// conditions than key attributes; equality on every partition key attribute; equality on every
/// sort key attribute before the last one with a condition; only key attributes; then the
/// values' types. Returns the partition's values, the sort key prefix given by equality and the
/// condition on the next sort key attribute.
fn against_multi_schema(
    schema: &KeySchema,
    index: Option<&str>,
    mut terms: Vec<Term>,
) -> Result<(Vec<AttributeValue>, Vec<AttributeValue>, SortCond)> {
    if terms.len() > schema.attrs().count() {
        return Err(key_error("Query key condition not supported"));
    }
    let has = |terms: &[Term], name: &str| terms.iter().any(|t| t.name == name);
    let has_eq = |terms: &[Term], name: &str| {
        terms
            .iter()
            .any(|t| t.name == name && t.op == KeyOp::Cmp(CmpOp::Eq))
    };
    let lacking: Vec<&str> = schema
        .hash_attrs()
        .filter(|a| !has_eq(&terms, &a.name))
        .map(|a| a.name.as_str())
        .collect();
    if !lacking.is_empty() {
        return Err(Error::validation(format!(
            "HASH key attributes {} must have equality conditions specified in the query",
            lacking.join(", ")
        )));
    }
    let ranges: Vec<&crate::model::KeyAttr> = schema.range_attrs().collect();
    let last = ranges.iter().rposition(|a| has(&terms, &a.name));
    if let Some(last) = last {
        let lacking: Vec<&str> = ranges[..last]
            .iter()
            .filter(|a| !has_eq(&terms, &a.name))
            .map(|a| a.name.as_str())
            .collect();
        if !lacking.is_empty() {
            return Err(Error::validation(format!(
                "RANGE key attributes {} must have equality conditions specified in the query because a condition is present on key attribute {}",
                lacking.join(", "),
                ranges[last].name
            )));
        }
    }
    if terms.iter().any(|t| !schema.contains(&t.name)) {
        // Named as for a one-attribute key: the first key attribute without a condition (there
        // is one, as there are no more conditions than key attributes).
        let missed = schema
            .attrs()
            .find(|a| !has(&terms, &a.name))
            .map_or("", |a| a.name.as_str());
        return Err(Error::validation(format!(
            "Query condition missed key schema element: {missed}"
        )));
    }
    for a in schema.attrs() {
        if let Some(t) = terms.iter().find(|t| t.name == a.name) {
            check_values(t, a.ty, index)?;
        }
    }
    let mut take = |name: &str| {
        let at = terms.iter().position(|t| t.name == name)?;
        Some(terms.remove(at))
    };
    let partition = schema
        .hash_attrs()
        .filter_map(|a| take(&a.name))
        .flat_map(|t| t.values)
        .collect();
    let mut prefix = Vec::new();
    let mut sort = SortCond::Any;
    for (i, a) in ranges.iter().enumerate() {
        let Some(t) = take(&a.name) else { break };
        if Some(i) == last {
            sort = sort_cond(t);
        } else {
            prefix.extend(t.values);
        }
    }
    Ok((partition, prefix, sort))
}

/// Whether an ExclusiveStartKey lies in the Query's partition and sort key range.
fn start_in_range(schema: &KeySchema, mode: &Mode, start: &crate::model::Item) -> bool {
    let same = |a: &AttributeValue, b: Option<&AttributeValue>| {
        b.is_some_and(|b| encode_key_value(a) == encode_key_value(b))
    };
    match mode {
        Mode::Query {
            partition, sort, ..
        } => {
            let in_range = match &schema.range {
                Some(r) => start.get(&r.name).is_some_and(|v| sort.admits(v)),
                None => true,
            };
            same(partition, start.get(&schema.hash.name)) && in_range
        }
        Mode::QueryTuple {
            partition,
            prefix,
            sort,
            ..
        } => {
            let ranges: Vec<_> = schema.range_attrs().collect();
            schema
                .hash_attrs()
                .zip(partition)
                .all(|(a, v)| same(v, start.get(&a.name)))
                && ranges
                    .iter()
                    .zip(prefix)
                    .all(|(a, v)| same(v, start.get(&a.name)))
                && match ranges.get(prefix.len()) {
                    Some(a) => start.get(&a.name).is_some_and(|v| sort.admits(v)),
                    None => true,
                }
        }
        Mode::Scan { .. } => true,
    }
}
