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
