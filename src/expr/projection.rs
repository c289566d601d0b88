//! ProjectionExpression: comma-separated document paths (`a.b[2].c`, `#name`), applied to items.
use crate::error::{Error, Result};
use crate::model::{AttributeValue, Item};
use std::collections::{BTreeMap, HashSet};

#[derive(Debug, Clone, PartialEq)]
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

fn invalid(msg: impl std::fmt::Display) -> Error {
    Error::validation(format!("Invalid ProjectionExpression: {msg}"))
}

/// Parses `text`, resolving `#name` placeholders through `names`.
pub fn parse_projection(text: &str, names: &BTreeMap<String, String>) -> Result<Projection> {
    if text.trim().is_empty() {
        return Err(invalid("The expression can not be empty;"));
    }
    let mut used_names = HashSet::new();
    let mut paths = Vec::new();
    for raw in text.split(',') {
        let raw = raw.trim();
        let mut path = Vec::new();
        let b = raw.as_bytes();
        let mut i = 0;
        let mut expect_name = true;
        while i < b.len() {
            if expect_name {
                let start = i;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'#' && i == start)
                {
                    i += 1;
                }
                let tok = &raw[start..i];
                if tok.is_empty() {
                    return Err(invalid(format!(
                        "Syntax error; token: \"{}\", near: \"{raw}\"",
                        &raw[start..(start + 1).min(raw.len())]
                    )));
                }
                let name = if tok.starts_with('#') {
                    used_names.insert(tok.to_string());
                    names.get(tok).cloned().ok_or_else(|| {
                        invalid(format!("An expression attribute name used in the document path is not defined; attribute name: {tok}"))
                    })?
                } else {
                    tok.to_string()
                };
                path.push(PathElem::Attr(name));
                expect_name = false;
            } else if b[i] == b'.' {
                i += 1;
                expect_name = true;
            } else if b[i] == b'[' {
                let close = raw[i..].find(']').map(|c| c + i).ok_or_else(|| {
                    invalid(format!("Syntax error; token: \"<EOF>\", near: \"{raw}\""))
                })?;
                let n: usize = raw[i + 1..close]
                    .trim()
                    .parse()
                    .map_err(|_| invalid(format!("Syntax error; near: \"{raw}\"")))?;
                path.push(PathElem::Index(n));
                i = close + 1;
            } else if b[i].is_ascii_whitespace() {
                i += 1;
            } else {
                return Err(invalid(format!(
                    "Syntax error; token: \"{}\", near: \"{raw}\"",
                    b[i] as char
                )));
            }
        }
        if path.is_empty() || expect_name {
            return Err(invalid(format!(
                "Syntax error; token: <EOF>, near: \"{raw}\""
            )));
        }
        paths.push(path);
    }
    Ok(Projection { paths, used_names })
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
