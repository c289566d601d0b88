//! Item size by DynamoDB's rules, computed by walking the value tree (never by serialising).
//!
//! Strings and binaries count their bytes, numbers one byte per two significant digits plus one,
//! booleans and nulls one byte, lists and maps three bytes plus one byte per element, and every
//! attribute (or map entry) also counts the UTF-8 length of its name.
use super::{AttributeValue, Item};

/// The service's per-item limit: 400 KB.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;

pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

pub fn value_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.storage_size(),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Bool(_) | AttributeValue::Null => 1,
        AttributeValue::Ss(ss) => ss.iter().map(|s| s.len()).sum(),
        AttributeValue::Ns(ns) => ns.iter().map(|n| n.storage_size()).sum(),
        AttributeValue::Bs(bs) => bs.iter().map(|b| b.len()).sum(),
        AttributeValue::L(l) => 3 + l.iter().map(|e| 1 + value_size(e)).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, e)| 1 + k.len() + value_size(e))
                .sum::<usize>()
        }
    }
}
