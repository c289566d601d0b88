//! Typed, borrowing reads of the commonest request shapes, straight from the body's bytes: no
//! `serde_json::Value` tree, no order-preserving maps, no model walk.
//!
//! These readers only ever *accept*. A body they take is one the general path (parse into a
//! `Value`, validate against the model, read with `ops::Input`) would also take, with the same
//! meaning; anything else (an unknown or repeated member, a `null`, an escaped string, a value
//! that is not a plain scalar, a name or enum outside its constraints) makes them return `None`,
//! and the request takes the general path, which produces the service's error. So no error
//! text lives here, and the two paths cannot disagree on what is refused.
use crate::model::{AttributeValue, Item, Number};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// A request that names one table and one item by its key, with nothing else that needs the
/// general path: GetItem without a projection.
#[derive(Debug)]
pub struct KeyRequest<'a> {
    pub table_name: &'a str,
    pub key: Item,
    pub consistent_read: bool,
    /// ReturnConsumedCapacity, one of the model's enum values when given.
    pub return_consumed_capacity: Option<&'a str>,
}

/// Reads a GetItem body of the plain shape (TableName, Key, ConsistentRead,
/// ReturnConsumedCapacity), or None to send it down the general path.
pub fn key_request(body: &[u8]) -> Option<KeyRequest<'_>> {
    // A derived struct also reads a JSON array (its members in order); a request is an object.
    if body.trim_ascii_start().first() != Some(&b'{') {
        return None;
    }
    let wire: KeyWire = serde_json::from_slice(body).ok()?;
    if !plain_table_name(wire.table_name) {
        return None;
    }
    let rcc = wire.return_consumed_capacity;
    if rcc.is_some_and(|r| !matches!(r, "INDEXES" | "TOTAL" | "NONE")) {
        return None;
    }
    Some(KeyRequest {
        table_name: wire.table_name,
        key: wire.key.0,
        consistent_read: wire.consistent_read.unwrap_or(false),
        return_consumed_capacity: rcc,
    })
}

/// A table's name (not its ARN) within the model's TableName constraints: 3 to 255 of
/// `[a-zA-Z0-9_.-]`. Anything else (an ARN, a name the service refuses) takes the general path.
fn plain_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyWire<'a> {
    #[serde(rename = "TableName", borrow)]
    table_name: &'a str,
    #[serde(rename = "Key")]
    key: ScalarMap,
    #[serde(rename = "ConsistentRead", default, deserialize_with = "present")]
    consistent_read: Option<bool>,
    #[serde(
        rename = "ReturnConsumedCapacity",
        default,
        borrow,
        deserialize_with = "present"
    )]
    return_consumed_capacity: Option<&'a str>,
}

/// An optional member that, when present, is not `null` (a `null` takes the general path).
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// An attribute map whose values are all S, N or B, each valid, with distinct non-empty names.
struct ScalarMap(Item);

impl<'de> Deserialize<'de> for ScalarMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ScalarMapVisitor)
    }
}

struct ScalarMapVisitor;

impl<'de> Visitor<'de> for ScalarMapVisitor {
    type Value = ScalarMap;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an attribute map of scalars")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ScalarMap, A::Error> {
        let mut item = Item::new();
        while let Some(name) = map.next_key::<&'de str>()? {
            // The model caps an attribute name at 65,535 characters; an empty one is refused
            // by the operation.
            if name.is_empty() || name.len() > 65_535 {
                return Err(de::Error::custom("name"));
            }
            let value = map.next_value::<Scalar>()?.0;
            if item.insert(name.to_string(), value).is_some() {
                return Err(de::Error::custom("repeated name"));
            }
        }
        Ok(ScalarMap(item))
    }
}

/// `{"S": ...}`, `{"N": ...}` or `{"B": ...}` with a valid value, and nothing else.
struct Scalar(AttributeValue);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a scalar attribute value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        let (Some(tag), text) = (map.next_key::<&'de str>()?, map.next_value::<&'de str>()) else {
            return Err(de::Error::custom("empty"));
        };
        let text = text?;
        let value = match tag {
            "S" => AttributeValue::S(text.to_string()),
            "N" => AttributeValue::N(Number::parse(text).map_err(|_| de::Error::custom("N"))?),
            "B" => AttributeValue::B(
                super::attr::decode_base64(text).map_err(|_| de::Error::custom("B"))?,
            ),
            _ => return Err(de::Error::custom("tag")),
        };
        if map.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("more than one type"));
        }
        Ok(Scalar(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_get_item_bodies_are_read() {
        let r = key_request(
            br#"{"TableName":"bench","Key":{"pk":{"S":"user#1"},"sk":{"N":"10"}},
                 "ConsistentRead":true,"ReturnConsumedCapacity":"TOTAL"}"#,
        )
        .unwrap();
        assert_eq!(r.table_name, "bench");
        assert_eq!(r.key["pk"], AttributeValue::S("user#1".into()));
        assert_eq!(r.key["sk"], AttributeValue::N(Number::parse("10").unwrap()));
        assert!(r.consistent_read);
        assert_eq!(r.return_consumed_capacity, Some("TOTAL"));
        let r = key_request(br#"{"Key":{"b":{"B":"AAE="}},"TableName":"t.1-x_"}"#).unwrap();
        assert_eq!(r.key["b"], AttributeValue::B(vec![0, 1]));
        assert!(!r.consistent_read);
    }

    // Every one of these is left to the general path, which answers with the service's error
    // (or, for the ARN, escapes and nulls, reads it in full).
    #[test]
    fn anything_unusual_takes_the_general_path() {
        for body in [
            &br#"{"TableName":"bench","Key":{"pk":{"S":"a"}},"ProjectionExpression":"x"}"#[..],
            br#"{"TableName":"bench","Key":{"pk":{"S":"a"}},"TableName":"other"}"#,
            br#"{"TableName":"bench","Key":{"pk":{"S":"a"},"pk":{"S":"b"}}}"#,
            br#"{"TableName":"bench","Key":{"pk":{"S":"a","N":"1"}}}"#,
            br#"{"TableName":"bench","Key":{"pk":{"S":"a","N":null}}}"#,
            br#"{"TableName":"bench","Key":{"pk":{}}}"#,
            br#"{"TableName":"bench","Key":{"pk":{"SS":["a"]}}}"#,
            br#"{"TableName":"bench","Key":{"pk":{"N":"1e999"}}}"#,
            br#"{"TableName":"bench","Key":{"pk":{"N":"x"}}}"#,
            br#"{"TableName":"bench","Key":{"pk":{"B":"A"}}}"#,
            br#"{"TableName":"bench","Key":{"":{"S":"a"}}}"#,
            br#"{"TableName":"bench","Key":{"pk":{"S":"a\u0041"}}}"#,
            br#"{"TableName":"bench","Key":{"pk":{"S":1}}}"#,
            br#"{"TableName":"bench","Key":null}"#,
            br#"{"TableName":"bench"}"#,
            br#"{"TableName":"be","Key":{"pk":{"S":"a"}}}"#,
            br#"{"TableName":"be nch","Key":{"pk":{"S":"a"}}}"#,
            br#"{"TableName":"arn:aws:dynamodb:us-east-1:000000000000:table/bench","Key":{"pk":{"S":"a"}}}"#,
            br#"{"TableName":"bench","Key":{"pk":{"S":"a"}},"ConsistentRead":null}"#,
            br#"{"TableName":"bench","Key":{"pk":{"S":"a"}},"ConsistentRead":"true"}"#,
            br#"{"TableName":"bench","Key":{"pk":{"S":"a"}},"ReturnConsumedCapacity":"total"}"#,
            br#"{"TableName":"bench","Key":{"pk":{"S":"a"}}} x"#,
            br#"[{"TableName":"bench","Key":{"pk":{"S":"a"}}}]"#,
            br#"["bench",{"pk":{"S":"a"}}]"#,
        ] {
            assert!(
                key_request(body).is_none(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
