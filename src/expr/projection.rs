//! ProjectionExpression: comma-separated document paths (`a.b[2].c`, `#name`), applied to items.
use crate::error::Result;
use crate::model::{AttributeValue, Item};
use std::collections::{BTreeMap, HashSet};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PathElem {
    Attr(String),
    Index(usize),
}

/// A parsed projection: the paths, and which `#names` they used.
#[derive(Debug)]
pub struct Projection {
    pub paths: Vec<Vec<PathElem>>,
    pub used_names: HashSet<String>,
}

/// Parses `text`, resolving `#name` placeholders through `names`. Reserved words and undefined
/// names are the service's errors, as in the other expressions.
pub fn parse_projection(text: &str, names: &BTreeMap<String, String>) -> Result<Projection> {
    let invalid = |e: super::ExprError| e.into_error("ProjectionExpression");
    let parsed = super::parser::parse_paths(text).map_err(invalid)?;
    let values = BTreeMap::new();
    let ctx = super::validate::Ctx {
        names,
        values: &values,
    };
    let mut used = super::validate::Used::default();
    let paths = super::validate::validate_paths(&ctx, &parsed, &mut used).map_err(invalid)?;
    Ok(Projection {
        paths,
        used_names: used.names,
    })
}

/// A legacy AttributesToGet list as a projection of top-level names.
pub fn from_attribute_names(names: &[String]) -> Projection {
    Projection {
        paths: names
            .iter()
            .map(|n| vec![PathElem::Attr(n.clone())])
            .collect(),
        used_names: HashSet::new(),
    }
}

fn get<'a>(v: &'a AttributeValue, elem: &PathElem) -> Option<&'a AttributeValue> {
    match (v, elem) {
        (AttributeValue::M(m), PathElem::Attr(a)) => m.get(a),
        (AttributeValue::L(l), PathElem::Index(i)) => l.get(*i),
        _ => None,
    }
}

/// Copies the value at `path` from `src` into `dst`, creating the containers on the way.
/// List elements keep their relative order, as the service does.
fn copy_path(src: &AttributeValue, path: &[PathElem], dst: &mut Option<AttributeValue>) {
    let Some((first, rest)) = path.split_first() else {
        *dst = Some(src.clone());
        return;
    };
    let Some(child) = get(src, first) else { return };
    let was_empty = dst.is_none();
    copy_child(src, first, child, rest, dst);
    // A container is only created for a path that reached a value.
    if was_empty && matches!(dst, Some(AttributeValue::M(m)) if m.is_empty()) {
        *dst = None;
    }
}

fn copy_child(
    src: &AttributeValue,
    first: &PathElem,
    child: &AttributeValue,
    rest: &[PathElem],
    dst: &mut Option<AttributeValue>,
) {
    match (first, src) {
        (PathElem::Attr(a), AttributeValue::M(_)) => {
            let m = match dst.get_or_insert_with(|| AttributeValue::M(Item::new())) {
                AttributeValue::M(m) => m,
                _ => return,
            };
            let mut slot = m.remove(a);
            copy_path(child, rest, &mut slot);
            if let Some(v) = slot {
                m.insert(a.clone(), v);
            }
        }
        (PathElem::Index(i), AttributeValue::L(_)) => {
            // Collect as a sparse map index -> value, compacted when rendered (see `compact`).
            let m = match dst.get_or_insert_with(|| AttributeValue::M(Item::new())) {
                AttributeValue::M(m) => m,
                _ => return,
            };
            let k = format!("\u{0}{i:020}");
            let mut slot = m.remove(&k);
            copy_path(child, rest, &mut slot);
            if let Some(v) = slot {
                m.insert(k, v);
            }
        }
        _ => {}
    }
}

/// Turns the sparse list placeholders built by `copy_path` back into lists.
fn compact(v: AttributeValue) -> AttributeValue {
    match v {
        AttributeValue::M(m) if m.keys().next().is_some_and(|k| k.starts_with('\u{0}')) => {
            AttributeValue::L(m.into_values().map(compact).collect())
        }
        AttributeValue::M(m) => {
            AttributeValue::M(m.into_iter().map(|(k, v)| (k, compact(v))).collect())
        }
        other => other,
    }
}

pub fn apply_projection(item: &Item, projection: &Projection) -> Item {
    let mut out = Item::new();
    for path in &projection.paths {
        let Some((PathElem::Attr(top), rest)) = path.split_first() else {
            continue;
        };
        let Some(v) = item.get(top) else { continue };
        let mut slot = out.remove(top);
        copy_path(v, rest, &mut slot);
        if let Some(v) = slot {
            out.insert(top.clone(), v);
        }
    }
    out.into_iter().map(|(k, v)| (k, compact(v))).collect()
}
