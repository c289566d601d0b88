//! TagResource, UntagResource, ListTagsOfResource, and the tag rules CreateTable shares. Tags
//! live in the table's metadata (SQLite), so they survive restarts and go with the table.
//!
//! Checks in the service's order: model constraints (key 1..=128, value 0..=256 characters, in
//! `protocol::shape`), the ARN's form (ValidationException), the tags' own rules (the reserved
//! `aws:` prefix, the allowed characters), then the resource: an ARN the caller cannot use is
//! AccessDeniedException (see `super::access_denied`), and last the 50-tag limit, which needs the
//! table's current tags.
use super::{access_denied, parse_arn, Resource};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::{Scope, TableMeta};
use crate::ops::Input;
use serde_json::{json, Value};
use std::sync::Arc;

/// User tags per resource (the service's limit; tags the service assigns do not count).
pub const MAX_TAGS: usize = 50;

/// Tag keys and values: Unicode letters, digits and white space, and `_ . : / = + - @`.
fn allowed(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

/// The tag rules beyond the model's lengths, for TagResource and CreateTable.
pub fn validate_tags(tags: &[(String, String)]) -> Result<()> {
    for (k, v) in tags {
        validate_key(k)?;
        if !v.chars().all(allowed) {
            return Err(Error::validation(format!(
                "One or more parameter values were invalid: The tag value '{v}' contains characters that are not allowed"
            )));
        }
    }
    Ok(())
}

fn validate_key(k: &str) -> Result<()> {
    if k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Err(Error::validation(format!(
            "One or more parameter values were invalid: The tag key '{k}' uses the reserved prefix 'aws:'"
        )));
    }
    if !k.chars().all(allowed) {
        return Err(Error::validation(format!(
            "One or more parameter values were invalid: The tag key '{k}' contains characters that are not allowed"
        )));
    }
    Ok(())
}

/// Sets `tags` on `current` (a key already present takes the new value in place) and checks
/// the limit on the result.
pub fn merge_tags(current: &mut Vec<(String, String)>, tags: &[(String, String)]) -> Result<()> {
    for (k, v) in tags {
        match current.iter_mut().find(|(ck, _)| ck == k) {
            Some(slot) => slot.1 = v.clone(),
            None => current.push((k.clone(), v.clone())),
        }
    }
    if current.len() > MAX_TAGS {
        return Err(Error::validation(format!(
            "One or more parameter values were invalid: The number of tags on a resource cannot exceed {MAX_TAGS}"
        )));
    }
    Ok(())
}

/// The `Tags` list of a request, as (key, value) pairs in request order.
pub fn read_tags(input: Input) -> Vec<(String, String)> {
    input
        .list("Tags")
        .into_iter()
        .flatten()
        .map(|t| {
            (
                t["Key"].as_str().unwrap_or_default().to_string(),
                t["Value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The ARN of a tagging request: a malformed one, or one naming a stream or an index (which
/// cannot be tagged), is a ValidationException.
fn table_arn<'a>(input: Input<'a>) -> Result<&'a str> {
    let raw = input.str("ResourceArn").unwrap_or_default();
    match parse_arn(raw) {
        Some(arn) if matches!(arn.resource, Resource::Table(_)) => Ok(raw),
        _ => Err(Error::validation(format!(
            "Invalid TableArn: Invalid ResourceArn provided as input {raw}"
        ))),
    }
}

/// The table of a well-formed ARN: one of another account or region, or of a table that does
/// not exist, is AccessDenied.
fn tagged_table(engine: &Engine, scope: &Scope, raw: &str, action: &str) -> Result<Arc<TableMeta>> {
    let arn = parse_arn(raw).ok_or_else(|| Error::internal("ARN checked before"))?;
    if !arn.is_in(scope) {
        return Err(access_denied(scope, action, raw));
    }
    engine
        .table(scope, arn.table())
        .map_err(|_| access_denied(scope, action, raw))
}

pub fn tag_resource(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let raw = table_arn(input)?;
    let tags = read_tags(input);
    validate_tags(&tags)?;
    let meta = tagged_table(engine, scope, raw, "TagResource")?;
    engine.update_table(scope, &meta.name, |m| merge_tags(&mut m.tags, &tags))?;
    Ok(json!({}))
}

pub fn untag_resource(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let raw = table_arn(input)?;
    let keys: Vec<String> = input
        .list("TagKeys")
        .into_iter()
        .flatten()
        .filter_map(|k| k.as_str().map(String::from))
        .collect();
    for k in &keys {
        validate_key(k)?;
    }
    let meta = tagged_table(engine, scope, raw, "UntagResource")?;
    engine.update_table(scope, &meta.name, |m| {
        m.tags.retain(|(k, _)| !keys.contains(k));
        Ok(())
    })?;
    Ok(json!({}))
}

/// All of a table's tags in one page: at most 50 exist, and the service answers them together.
/// A NextToken is only ever one awsim gave out, and it gives none.
pub fn list_tags_of_resource(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let raw = table_arn(input)?;
    let meta = tagged_table(engine, scope, raw, "ListTagsOfResource")?;
    if let Some(token) = input.str("NextToken") {
        return Err(Error::validation(format!("Invalid NextToken: {token}")));
    }
    let tags: Vec<Value> = meta
        .tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(json!({ "Tags": tags }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    // The service's documented rules: `aws:` is reserved whatever its case, and only letters,
    // digits, spaces and `_ . : / = + - @` may appear (an empty value is fine).
    #[test]
    fn reserved_prefix_and_characters_are_refused() {
        assert!(
            validate_tags(&pairs(&[("env", ""), ("a b:c/d=e+f-g@h_i.j", "Ünïcödé 1")])).is_ok()
        );
        for bad in [("aws:x", "v"), ("AWS:x", "v"), ("a*b", "v"), ("k", "v#")] {
            let e = validate_tags(&pairs(&[bad])).unwrap_err();
            assert_eq!(e.kind, crate::error::ErrorKind::Validation, "{bad:?}");
        }
        assert!(validate_tags(&pairs(&[("awsx", "v"), ("x:aws:", "v")])).is_ok());
    }

    // Overwrite keeps the tag's place and its count; the limit is on the result, so re-setting
    // 50 existing keys is fine but a 51st distinct key is not.
    #[test]
    fn merge_overwrites_and_limits_the_result() {
        let mut current = pairs(&[("a", "1"), ("b", "2")]);
        merge_tags(&mut current, &pairs(&[("b", "3"), ("c", "4")])).unwrap();
        assert_eq!(current, pairs(&[("a", "1"), ("b", "3"), ("c", "4")]));
        let fifty: Vec<(String, String)> = (0..50).map(|i| (format!("k{i}"), "v".into())).collect();
        let mut full = fifty.clone();
        merge_tags(&mut Vec::new(), &fifty).unwrap();
        merge_tags(&mut full, &fifty).unwrap();
        assert!(merge_tags(&mut full, &pairs(&[("one-more", "v")])).is_err());
    }
}
