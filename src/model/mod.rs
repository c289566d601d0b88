//! Plain data: attribute values, 38-digit numbers, items, keys and table schemas.
//! Depends on nothing else in the crate (no JSON, no SQL, no HTTP).
pub mod number;
pub mod schema;
pub mod size;
pub mod value;
pub mod vector;

pub use number::Number;
pub use schema::*;
pub use value::{AttributeValue, Item};
pub use vector::{Distance, VectorIndexDef};

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
    java_hash_order_in(items, name, java_default_capacity(items.len()))
}

/// The table size of a default `java.util.HashMap` after `n` insertions (16, doubled whenever
/// the size passes 0.75 of it).
pub fn java_default_capacity(n: usize) -> usize {
    let mut capacity = 16usize;
    while n * 4 > capacity * 3 {
        capacity *= 2;
    }
    capacity
}

/// The table size of `new HashMap<>(map)` for a map of `n` entries (JDK 19 and later:
/// the next power of two at or above `ceil(n / 0.75)`).
pub fn java_copy_capacity(n: usize) -> usize {
    (n * 4).div_ceil(3).max(1).next_power_of_two()
}

/// Iteration order of a Java hash map of the given table size: by bucket of the spread
/// `String.hashCode`, then insertion order within a bucket.
pub fn java_hash_order_in<T>(items: &[T], name: impl Fn(&T) -> &str, capacity: usize) -> Vec<&T> {
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

#[cfg(test)]
mod tests {
    use super::*;

    // Orders measured on DynamoDB Local (conformance/notes/batch.md): BatchGetItem walks a copy
    // of RequestItems, BatchWriteItem reports capacity from a default-size map.
    #[test]
    fn java_orders_match_the_measured_ones() {
        let names = ["users", "zzz", "aaa"];
        let copy = java_hash_order_in(&names, |s| s, java_copy_capacity(3));
        assert_eq!(copy, [&"aaa", &"users", &"zzz"]);
        let tabs = ["tab1", "tab2", "tab3", "tab4", "tab5", "tab6", "tab7"];
        let order = java_hash_order_in(&tabs, |s| s, java_copy_capacity(7));
        assert_eq!(
            order.into_iter().copied().collect::<Vec<_>>(),
            ["tab7", "tab5", "tab6", "tab3", "tab4", "tab1", "tab2"]
        );
        let order = java_hash_order_in(&tabs[..6], |s| s, java_copy_capacity(6));
        assert_eq!(
            order.into_iter().copied().collect::<Vec<_>>(),
            ["tab3", "tab4", "tab1", "tab2", "tab5", "tab6"]
        );
        let four = ["aaa", "zzz", "orders", "users"];
        let order = java_hash_order(&four, |s| s);
        assert_eq!(
            order.into_iter().copied().collect::<Vec<_>>(),
            ["aaa", "orders", "zzz", "users"]
        );
        assert_eq!(java_copy_capacity(1), 2);
        assert_eq!(java_copy_capacity(2), 4);
    }
}
