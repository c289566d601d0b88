//! Plain data: attribute values, 38-digit numbers, items, keys and table schemas.
//! Depends on nothing else in the crate (no JSON, no SQL, no HTTP).
pub mod number;
pub mod schema;
pub mod size;
pub mod value;

pub use number::Number;
pub use schema::*;
pub use value::{AttributeValue, Item};

/// Who is calling: the account and region every table lookup is scoped to (from SigV4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

/// The iteration order of a `java.util.HashMap`/`HashSet` holding these names (default capacity,
/// grown at 0.75 load): the service lists some collections in that order, e.g. index
/// descriptions and the keys of an "unused in expressions" message.
pub fn java_hash_order<T>(items: &[T], name: impl Fn(&T) -> &str) -> Vec<&T> {
    let mut capacity = 16usize;
    while items.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let bucket = |name: &str| {
        let h = name
            .encode_utf16()
            .fold(0u32, |h, c| h.wrapping_mul(31).wrapping_add(c as u32));
        ((h ^ (h >> 16)) as usize) & (capacity - 1)
    };
    let mut out: Vec<(usize, usize, &T)> = items
        .iter()
        .enumerate()
        .map(|(i, x)| (bucket(name(x)), i, x))
        .collect();
    out.sort_by_key(|&(b, i, _)| (b, i));
    out.into_iter().map(|(_, _, x)| x).collect()
}
