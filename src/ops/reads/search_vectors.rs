//! SearchVectors (the 2026 API): the TopK items of a vector index nearest to a search vector,
//! best first, each with its score, as the service model documents the operation. Checks run
//! in the order Query's do: the parameters alone (the search vector's numbers, the expressions'
//! syntax and placeholders), then the table and index, the vector's dimensions, the
//! SearchConditionExpression against the index's SearchSchema, and the projection. The search
//! itself is exact (`engine::vectors`). DynamoDB Local has no vector search, so the wording of
//! the errors is awsim's (conformance/notes/vectors.md).
use crate::engine::decode_row;
use crate::engine::vectors::{self, Search};
use crate::error::{Error, ErrorKind, Result};
use crate::expr::ast::{CmpOp, Cond, Operand};
use crate::expr::projection::{apply_projection, PathElem};
use crate::expr::validate::render_path;
use crate::model::{AttributeValue, Scope, VectorIndexDef};
use crate::ops::expressions::Exprs;
use crate::ops::items::get_item::read_projection_expression;
use crate::ops::Input;
use serde_json::{json, Map, Value};

fn invalid(msg: impl std::fmt::Display) -> Error {
    Error::validation(format!("One or more parameter values were invalid: {msg}"))
}

pub fn run(engine: &crate::engine::Engine, scope: &Scope, input: Input) -> Result<Value> {
    // 1. The search vector: numbers that fit an f32 (the model bounds its length, 1..4096).
    let mut vector = Vec::new();
    for (i, v) in input.list("SearchVector").into_iter().flatten().enumerate() {
        match crate::protocol::attr::parse_value(v, 0)? {
            AttributeValue::N(n) => match vectors::to_f32(&n) {
                Some(f) => vector.push(f),
                None => {
                    return Err(invalid(format!(
                        "SearchVector element {i} value {n} does not fit in a 32-bit floating point number"
                    )))
                }
            },
            other => {
                return Err(invalid(format!(
                    "SearchVector must be a list of numbers; element {i} is of type {}",
                    other.type_name()
                )))
            }
        }
    }
    // 2. The expressions: syntax and placeholders, then unused ones.
    let mut exprs = Exprs::read(input)?;
    let condition = exprs.condition(input, "SearchConditionExpression")?;
    let projection = read_projection_expression(input, &mut exprs)?;
    exprs.finish(
        input,
        &["SearchConditionExpression", "ProjectionExpression"],
    )?;
    // 3. The table and its vector index.
    let meta = engine.table(scope, input.table_name())?;
    let name = input.str("IndexName").unwrap_or_default();
    let ix = meta.vector_index(name).ok_or_else(|| {
        Error::validation(format!(
            "The table does not have the specified vector index: {name}"
        ))
    })?;
    if ix.status != "ACTIVE" {
        return Err(Error::new(
            ErrorKind::ResourceInUse,
            format!("Vector index {name} is not ACTIVE"),
        ));
    }
    if vector.len() != ix.dimensions {
        return Err(invalid(format!(
            "SearchVector has {} dimensions, but vector index {name} has {} dimensions",
            vector.len(),
            ix.dimensions
        )));
    }
    // 4. The search condition against the SearchSchema.
    let (partition, filters) = search_terms(ix, condition.as_ref(), &exprs)?;
    // 5. Only what the index projects can be asked for.
    if let Some(p) = &projection {
        let mut missing: Vec<String> = Vec::new();
        for path in &p.paths {
            if let Some(PathElem::Attr(a)) = path.first() {
                if !meta.key.contains(a) && !ix.projects(a) && !missing.contains(a) {
                    missing.push(a.clone());
                }
            }
        }
        if !missing.is_empty() {
            return Err(invalid(format!(
                "Vector index {name} does not project [{}]",
                missing.join(", ")
            )));
        }
    }
    let top_k = input.i64("TopK").unwrap_or(1).max(1) as usize;
    let found = engine.search_vectors(
        &meta,
        ix,
        &Search {
            vector: &vector,
            partition: partition.as_ref(),
            filters: &filters,
            top_k,
        },
    )?;
    let mut results = Vec::with_capacity(found.results.len());
    for (score, bytes) in &found.results {
        let held = vectors::project(&meta, ix, &decode_row(bytes)?);
        let item = match &projection {
            Some(p) => apply_projection(&held, p),
            None => held,
        };
        results.push(json!({
            "Item": crate::protocol::attr::render_item(&item),
            "Score": score,
        }));
    }
    let mut out = Map::new();
    out.insert("SearchResults".into(), Value::Array(results));
    if input.str("ReturnConsumedCapacity").unwrap_or("NONE") != "NONE" {
        // awsim's measure (the service's is not published): the bytes of the vectors compared.
        let bytes = (found.compared * ix.dimensions * 4) as f64;
        out.insert(
            "ConsumedCapacity".into(),
            json!({ "VectorSearchRequestBytes": bytes }),
        );
    }
    Ok(Value::Object(out))
}

/// The partition value (required when the SearchSchema has a HASH) and the inline filters'
/// values of a SearchConditionExpression: equalities on top-level SearchSchema attributes,
/// joined by AND.
/// A search's partition value and inline filter values.
type Terms = (Option<AttributeValue>, Vec<(String, AttributeValue)>);

fn search_terms(ix: &VectorIndexDef, cond: Option<&Cond>, exprs: &Exprs) -> Result<Terms> {
    let mut terms: Vec<(String, AttributeValue)> = Vec::new();
    if let Some(cond) = cond {
        let mut conds = Vec::new();
        flatten_and(cond, &mut conds)?;
        for c in conds {
            let Cond::Cmp(a, CmpOp::Eq, b) = c else {
                unreachable!("flatten_and keeps only equalities")
            };
            let (path, value) = match (a, b) {
                (Operand::Path(p), Operand::Value(v)) | (Operand::Value(v), Operand::Path(p)) => {
                    (p, v)
                }
                _ => {
                    return Err(Error::validation(
                        "Invalid SearchConditionExpression: each condition compares one attribute with one value",
                    ))
                }
            };
            let mut used = crate::expr::validate::Used::default();
            let resolved = exprs
                .ctx()
                .resolve_path(path, &mut used)
                .map_err(|e| e.into_error("SearchConditionExpression"))?;
            let name = match resolved.as_slice() {
                [PathElem::Attr(a)] => a.clone(),
                _ => {
                    return Err(Error::validation(format!(
                        "Invalid SearchConditionExpression: only top-level attributes of the SearchSchema can be used; path: {}",
                        render_path(&resolved)
                    )))
                }
            };
            let attr = ix
                .partition
                .iter()
                .chain(ix.filters.iter())
                .find(|a| a.name == name)
                .ok_or_else(|| {
                    invalid(format!(
                        "SearchConditionExpression attribute {name} is not a HASH or INLINE_FILTER attribute of vector index {}",
                        ix.name
                    ))
                })?;
            if terms.iter().any(|(n, _)| *n == name) {
                return Err(Error::validation(
                    "SearchConditionExpressions must only contain one condition per attribute",
                ));
            }
            let v = exprs
                .values
                .get(value)
                .cloned()
                .unwrap_or(AttributeValue::Null);
            if v.scalar_type() != Some(attr.ty.scalar()) {
                return Err(invalid(
                    "Condition parameter type does not match schema type",
                ));
            }
            terms.push((name, v));
        }
    }
    let partition = match &ix.partition {
        Some(p) => {
            let at = terms.iter().position(|(n, _)| *n == p.name).ok_or_else(|| {
                invalid(format!(
                    "SearchConditionExpression must give the HASH attribute {} of vector index {} an equality condition",
                    p.name, ix.name
                ))
            })?;
            Some(terms.remove(at).1)
        }
        None => None,
    };
    Ok((partition, terms))
}

/// Splits a search condition at its ANDs, refusing every other operator.
fn flatten_and<'c>(c: &'c Cond, out: &mut Vec<&'c Cond>) -> Result<()> {
    let bad = |what: &str| {
        Err(Error::validation(format!(
            "Invalid operator used in SearchConditionExpression: {what}"
        )))
    };
    match c {
        Cond::And(a, b) => {
            flatten_and(a, out)?;
            flatten_and(b, out)
        }
        Cond::Cmp(_, CmpOp::Eq, _) => {
            out.push(c);
            Ok(())
        }
        Cond::Cmp(_, op, _) => bad(op.as_str()),
        Cond::Or(..) => bad("OR"),
        Cond::Not(_) => bad("NOT"),
        Cond::In(..) => bad("IN"),
        Cond::Between(..) => bad("BETWEEN"),
        Cond::Call(call) => bad(&call.name),
    }
}
