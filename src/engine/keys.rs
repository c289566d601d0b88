//! Primary and index keys of items: extraction, the service's key validation, size limits, and
//! index projections. Produces the storage encodings; knows no JSON.
use crate::codec::key::{
    encode_key_value, encode_partition, encode_partition_tuple, encode_tuple, gsi_tie,
};
use crate::error::{Error, Result};
use crate::model::IndexKind;
use crate::model::{AttributeValue, IndexDef, Item, KeyAttr, KeySchema, ProjectionType, TableMeta};

/// The service's limits on key attribute values.
pub const MAX_HASH_KEY_BYTES: usize = 2048;
pub const MAX_RANGE_KEY_BYTES: usize = 1024;

/// Encoded (partition, sort) key; the sort part is empty for hash-only schemas. A table's `pk`
/// starts with the scan-order hash (`codec::key::encode_partition`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedKey {
    pub pk: Vec<u8>,
    pub sk: Vec<u8>,
}

/// An item's position in a secondary index: the index key as stored (`pk` hash-prefixed for an
/// LSI, whose partition is the table's) and, for a GSI, the tie-breaker among equal index keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexKey {
    pub pk: Vec<u8>,
    pub sk: Vec<u8>,
    pub tie: Vec<u8>,
}

/// A table key attribute's stored encoding (the partition hash-prefixed).
fn encode_table_part(i: usize, v: &AttributeValue) -> Vec<u8> {
    if i == 0 {
        encode_partition(v)
    } else {
        encode_key_value(v)
    }
}

fn invalid(msg: impl std::fmt::Display) -> Error {
    Error::validation(format!("One or more parameter values were invalid: {msg}"))
}

fn key_len(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.len(),
        AttributeValue::N(n) => n.storage_size(),
        _ => 0,
    }
}

fn is_empty_key(v: &AttributeValue) -> bool {
    matches!(v, AttributeValue::S(s) if s.is_empty())
        || matches!(v, AttributeValue::B(b) if b.is_empty())
}

fn check_key_value(attr: &KeyAttr, v: &AttributeValue, is_range: bool) -> Result<()> {
    check_key_empty(attr, v)?;
    check_key_size(v, is_range)
}

fn check_key_empty(attr: &KeyAttr, v: &AttributeValue) -> Result<()> {
    if is_empty_key(v) {
        return Err(Error::validation(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {} value. Key: {}",
            if matches!(v, AttributeValue::S(_)) { "string" } else { "binary" },
            attr.name
        )));
    }
    Ok(())
}

fn check_key_size(v: &AttributeValue, is_range: bool) -> Result<()> {
    if is_range && key_len(v) > MAX_RANGE_KEY_BYTES {
        return Err(invalid(format!(
            "Aggregated size of all range keys has exceeded the size limit of {MAX_RANGE_KEY_BYTES} bytes"
        )));
    }
    if !is_range && key_len(v) > MAX_HASH_KEY_BYTES {
        return Err(invalid(format!(
            "Size of hashkey has exceeded the maximum size limit of{MAX_HASH_KEY_BYTES} bytes"
        )));
    }
    Ok(())
}

/// A key attribute holding a set, list, map, BOOL or NULL is refused before its type is
/// compared with the schema (DynamoDB Local's words: items/key_type_set_or_null).
fn check_key_kind(v: &AttributeValue) -> Result<()> {
    match v.scalar_type() {
        Some(_) => Ok(()),
        None => Err(Error::validation("Invalid attribute value type")),
    }
}

/// The key of a full item (PutItem): every key attribute present with the declared type.
pub fn item_key(schema: &KeySchema, item: &Item) -> Result<EncodedKey> {
    let mut parts = [Vec::new(), Vec::new()];
    for (i, attr) in schema.attrs().enumerate() {
        let v = item
            .get(&attr.name)
            .ok_or_else(|| invalid(format!("Missing the key {} in the item", attr.name)))?;
        check_key_kind(v)?;
        if v.scalar_type() != Some(attr.ty.scalar()) {
            return Err(invalid(format!(
                "Type mismatch for key {} expected: {} actual: {}",
                attr.name,
                attr.ty.as_str(),
                v.type_name()
            )));
        }
        check_key_value(attr, v, i == 1)?;
        parts[i] = encode_table_part(i, v);
    }
    let [pk, sk] = parts;
    Ok(EncodedKey { pk, sk })
}

/// A `Key` parameter (GetItem, DeleteItem...): exactly the key attributes, with their types.
pub fn request_key(schema: &KeySchema, key: &Item) -> Result<EncodedKey> {
    let mismatch = || Error::validation("The provided key element does not match the schema");
    if key.len() != schema.attrs().count() {
        return Err(mismatch());
    }
    let mut parts = [Vec::new(), Vec::new()];
    for (i, attr) in schema.attrs().enumerate() {
        let v = key.get(&attr.name).ok_or_else(mismatch)?;
        check_key_kind(v)?;
        if v.scalar_type() != Some(attr.ty.scalar()) {
            return Err(mismatch());
        }
        check_key_value(attr, v, i == 1)?;
        parts[i] = encode_table_part(i, v);
    }
    let [pk, sk] = parts;
    Ok(EncodedKey { pk, sk })
}

/// The stored key of an item whose key attributes are known to be valid.
pub fn stored_key(schema: &KeySchema, item: &Item) -> EncodedKey {
    let mut parts = [Vec::new(), Vec::new()];
    for (i, attr) in schema.attrs().enumerate() {
        if let Some(v) = item.get(&attr.name) {
            parts[i] = encode_table_part(i, v);
        }
    }
    let [pk, sk] = parts;
    EncodedKey { pk, sk }
}

/// The key attributes of an item, as a new item (for KEYS_ONLY projections and stream records).
pub fn key_of(schema: &KeySchema, item: &Item) -> Item {
    schema
        .attrs()
        .filter_map(|a| item.get(&a.name).map(|v| (a.name.clone(), v.clone())))
        .collect()
}

/// An item's key in a secondary index, or None when it lacks an index key attribute (sparse
/// index). Every key attribute the item has is checked first: a present key attribute of the
/// wrong type (or empty, or too long) is the service's validation error even when another one
/// is missing and the item stays out of the index.
pub fn index_key(table: &KeySchema, index: &IndexDef, item: &Item) -> Result<Option<IndexKey>> {
    let hash_count = index.key.hash_attrs().count();
    let mut values: Vec<&AttributeValue> = Vec::with_capacity(8);
    let mut complete = true;
    for (i, attr) in index.key.attrs().enumerate() {
        let Some(v) = item.get(&attr.name) else {
            complete = false;
            continue;
        };
        check_index_value(index, attr, v, i >= hash_count)?;
        values.push(v);
    }
    if index.key.is_multi() {
        check_aggregate_size(index, item)?;
    }
    if !complete {
        return Ok(None);
    }
    let (hash_values, range_values) = values.split_at(hash_count);
    let sk = match range_values {
        [] => Vec::new(),
        [one] => encode_key_value(one),
        many => encode_tuple(many.iter().copied()),
    };
    let hash = item.get(&table.hash.name);
    let range = table.range.as_ref().and_then(|r| item.get(&r.name));
    // An index partition is stored like a table's: its scan-order hash, then its encoding (an
    // LSI's partition is the table's). Equal GSI keys are ordered by the table key's hash.
    let (pk, tie) = match (index.kind, hash) {
        (IndexKind::Local, Some(h)) => (encode_partition(h), Vec::new()),
        (IndexKind::Global, Some(h)) => {
            let pk = match hash_values {
                [one] => encode_partition(one),
                many => encode_partition_tuple(many),
            };
            (pk, gsi_tie(h, range))
        }
        (_, None) => (Vec::new(), Vec::new()),
    };
    Ok(Some(IndexKey { pk, sk, tie }))
}

/// The attributes on each side of a multi-attribute key share that side's size limit (2048 bytes
/// for the partition key attributes together, 1024 for the sort key's), counted over the ones
/// the item has, in DynamoDB Local 2026's words.
fn check_aggregate_size(index: &IndexDef, item: &Item) -> Result<()> {
    let sides = [
        (
            "HASH",
            index.key.hash_attrs().collect::<Vec<_>>(),
            MAX_HASH_KEY_BYTES,
        ),
        (
            "RANGE",
            index.key.range_attrs().collect(),
            MAX_RANGE_KEY_BYTES,
        ),
    ];
    for (side, attrs, max) in sides {
        if attrs.len() < 2 {
            continue;
        }
        let size: usize = attrs
            .iter()
            .filter_map(|a| item.get(&a.name))
            .map(key_len)
            .sum();
        if size > max {
            let names: Vec<&str> = attrs.iter().map(|a| a.name.as_str()).collect();
            return Err(Error::validation(format!(
                "Aggregate size for {side} key attributes {} of index {} has exceeded limit {max} bytes, with actual size {size} bytes",
                names.join(", "),
                index.name
            )));
        }
    }
    Ok(())
}

/// One index key attribute of an item: its type, not empty, within the key size limits.
fn check_index_value(
    index: &IndexDef,
    attr: &KeyAttr,
    v: &AttributeValue,
    is_range: bool,
) -> Result<()> {
    // A set, list, map, BOOL or NULL is simply of the wrong type here (the service's words).
    if v.scalar_type() != Some(attr.ty.scalar()) {
        return Err(invalid(format!(
            "Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
            attr.name,
            attr.ty.as_str(),
            v.type_name(),
            index.name
        )));
    }
    if is_empty_key(v) {
        return Err(Error::validation(format!(
            "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {} value. IndexName: {}, IndexKey: {}",
            if matches!(v, AttributeValue::S(_)) { "string" } else { "binary" },
            index.name,
            attr.name
        )));
    }
    // Index keys are held to the table key limits (2048 bytes for a partition, 1024 for a sort
    // key; each attribute of a multi-attribute key alike): a write is refused (in DynamoDB
    // Local's words), a backfill leaves the item out of the index.
    let max = if is_range {
        MAX_RANGE_KEY_BYTES
    } else {
        MAX_HASH_KEY_BYTES
    };
    if key_len(v) > max {
        return Err(invalid("Size limit exceeded"));
    }
    Ok(())
}

/// The part of an item an index stores, by its projection.
pub fn project_for_index(table: &TableMeta, index: &IndexDef, item: &Item) -> Item {
    match index.projection.ty {
        ProjectionType::All => item.clone(),
        ty => item
            .iter()
            .filter(|(name, _)| {
                table.key.contains(name)
                    || index.key.contains(name)
                    || (ty == ProjectionType::Include
                        && index
                            .projection
                            .non_key_attributes
                            .iter()
                            .flatten()
                            .any(|n| n == *name))
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}
