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
/// general path: GetItem without a projection. The key's values are read as any attribute
/// values: whether they fit the table's key schema is the operation's check, on both paths.
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
    let wire: KeyWire = object(body)?;
    let rcc = wire.return_consumed_capacity;
    plain(wire.table_name, rcc).then_some(KeyRequest {
        table_name: wire.table_name,
        key: wire.key.0,
        consistent_read: wire.consistent_read.unwrap_or(false),
        return_consumed_capacity: rcc,
    })
}

/// `body` read as a `T`, if it is one JSON object of that shape. (A derived struct also reads
/// a JSON array, its members in order; a request is an object.)
fn object<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Option<T> {
    if body.trim_ascii_start().first() != Some(&b'{') {
        return None;
    }
    serde_json::from_slice(body).ok()
}

/// A plain table name and, if given, a ReturnConsumedCapacity of the model's enum.
fn plain(table_name: &str, return_consumed_capacity: Option<&str>) -> bool {
    plain_table_name(table_name)
        && return_consumed_capacity.is_none_or(|r| matches!(r, "INDEXES" | "TOTAL" | "NONE"))
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
    key: AttrMap,
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

/// A PutItem of the plain shape: TableName, Item, and optionally ReturnValues (NONE or
/// ALL_OLD) and ReturnConsumedCapacity; no condition.
#[derive(Debug)]
pub struct PutRequest<'a> {
    pub table_name: &'a str,
    pub item: Item,
    pub all_old: bool,
    pub return_consumed_capacity: Option<&'a str>,
}

/// Reads a PutItem body of the plain shape, or None to send it down the general path.
pub fn put_request(body: &[u8]) -> Option<PutRequest<'_>> {
    let wire: PutWire = object(body)?;
    let rcc = wire.return_consumed_capacity;
    if !plain(wire.table_name, rcc) {
        return None;
    }
    let all_old = match wire.return_values {
        None | Some("NONE") => false,
        Some("ALL_OLD") => true,
        Some(_) => return None,
    };
    Some(PutRequest {
        table_name: wire.table_name,
        item: wire.item.0,
        all_old,
        return_consumed_capacity: rcc,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutWire<'a> {
    #[serde(rename = "TableName", borrow)]
    table_name: &'a str,
    #[serde(rename = "Item")]
    item: AttrMap,
    #[serde(rename = "ReturnValues", default, borrow, deserialize_with = "present")]
    return_values: Option<&'a str>,
    #[serde(
        rename = "ReturnConsumedCapacity",
        default,
        borrow,
        deserialize_with = "present"
    )]
    return_consumed_capacity: Option<&'a str>,
}

/// A top-level attribute map (Key, Item) of any values (`protocol::attr::parse_item`'s
/// grammar), each valid, names distinct and non-empty.
struct AttrMap(Item);

impl<'de> Deserialize<'de> for AttrMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(MapSeed { depth: 1 }).map(AttrMap)
    }
}

/// An attribute map whose values sit `depth` levels down (a top-level attribute is level 1).
struct MapSeed {
    depth: usize,
}

impl<'de> de::DeserializeSeed<'de> for MapSeed {
    type Value = Item;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Item, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MapSeed {
    type Value = Item;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an attribute map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
        let mut item = Item::new();
        while let Some(name) = map.next_key::<String>()? {
            if name.is_empty() || name.len() > 65_535 {
                return Err(de::Error::custom("name"));
            }
            let value = map.next_value_seed(ValueSeed { depth: self.depth })?;
            if item.insert(name, value).is_some() {
                return Err(de::Error::custom("repeated name"));
            }
        }
        Ok(item)
    }
}

/// A list's members, `depth` levels down.
struct ListSeed {
    depth: usize,
}

impl<'de> de::DeserializeSeed<'de> for ListSeed {
    type Value = Vec<AttributeValue>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListSeed {
    type Value = Vec<AttributeValue>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of attribute values")
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(ValueSeed { depth: self.depth })? {
            out.push(v);
        }
        Ok(out)
    }
}

/// One attribute value `depth` levels down: exactly one type, its value valid as
/// `protocol::attr::parse_value` would find it.
struct ValueSeed {
    depth: usize,
}

impl<'de> de::DeserializeSeed<'de> for ValueSeed {
    type Value = AttributeValue;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<AttributeValue, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = AttributeValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an attribute value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AttributeValue, A::Error> {
        use super::attr::{decode_base64, has_duplicates};
        let refuse = |why: &str| de::Error::custom(why);
        let Some(tag) = map.next_key::<&'de str>()? else {
            return Err(refuse("empty"));
        };
        // A container at level 32 is one level too deep (the general path says so).
        if self.depth >= super::attr::MAX_NESTING && matches!(tag, "L" | "M") {
            return Err(refuse("too deep"));
        }
        let number = |t: &str| Number::parse(t).map_err(|_| refuse("N"));
        let binary = |t: &str| decode_base64(t).map_err(|_| refuse("B"));
        let value = match tag {
            "S" => AttributeValue::S(map.next_value()?),
            "N" => AttributeValue::N(number(&map.next_value::<String>()?)?),
            "B" => AttributeValue::B(binary(&map.next_value::<String>()?)?),
            "BOOL" => AttributeValue::Bool(map.next_value()?),
            "NULL" => match map.next_value()? {
                true => AttributeValue::Null,
                false => return Err(refuse("NULL")),
            },
            "SS" => {
                let items: Vec<String> = map.next_value()?;
                if items.is_empty() || has_duplicates(&items) {
                    return Err(refuse("SS"));
                }
                AttributeValue::Ss(items)
            }
            "NS" => {
                let texts: Vec<String> = map.next_value()?;
                let nums = texts
                    .iter()
                    .map(|t| number(t))
                    .collect::<Result<Vec<_>, _>>()?;
                let canonical: Vec<String> = nums.iter().map(|n| n.to_string()).collect();
                if nums.is_empty() || has_duplicates(&canonical) {
                    return Err(refuse("NS"));
                }
                AttributeValue::Ns(nums)
            }
            "BS" => {
                let texts: Vec<String> = map.next_value()?;
                let bins = texts
                    .iter()
                    .map(|t| binary(t))
                    .collect::<Result<Vec<_>, _>>()?;
                if bins.is_empty() || has_duplicates(&bins) {
                    return Err(refuse("BS"));
                }
                AttributeValue::Bs(bins)
            }
            "L" => AttributeValue::L(map.next_value_seed(ListSeed {
                depth: self.depth + 1,
            })?),
            "M" => AttributeValue::M(map.next_value_seed(MapSeed {
                depth: self.depth + 1,
            })?),
            _ => return Err(refuse("tag")),
        };
        if map.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(refuse("more than one type"));
        }
        let mut value = value;
        value.sort_set();
        Ok(value)
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
        let r =
            key_request(br#"{"Key":{"b":{"B":"AAE="},"s":{"S":"a\u0041"}},"TableName":"t.1-x_"}"#)
                .unwrap();
        assert_eq!(r.key["b"], AttributeValue::B(vec![0, 1]));
        assert_eq!(r.key["s"], AttributeValue::S("aA".into()));
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
            br#"{"TableName":"bench","Key":{"pk":{"N":"1e999"}}}"#,
            br#"{"TableName":"bench","Key":{"pk":{"N":"x"}}}"#,
            br#"{"TableName":"bench","Key":{"pk":{"B":"A"}}}"#,
            br#"{"TableName":"bench","Key":{"":{"S":"a"}}}"#,
            br#"{"TableName":"b\u0065nch","Key":{"pk":{"S":"a"}}}"#,
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

    #[test]
    fn plain_put_item_bodies_are_read_as_the_general_path_reads_them() {
        let body = br#"{"TableName":"bench","ReturnValues":"ALL_OLD","Item":{
            "pk":{"S":"a\"b\u00e9"},"n":{"N":"-01.50"},"b":{"B":"AAE="},"t":{"BOOL":true},
            "z":{"NULL":true},"ss":{"SS":["b","a"]},"ns":{"NS":["2","10","-1"]},
            "bs":{"BS":["AQ==","AA=="]},"l":{"L":[{"S":"x"},{"M":{"k":{"N":"1"}}}]},
            "m":{"M":{"inner":{"L":[]},"e":{"M":{}}}}}}"#;
        let r = put_request(body).expect("the plain shape");
        assert!(r.all_old);
        assert_eq!(r.item, general_item(body).unwrap());
        assert_eq!(r.item.len(), 10);
    }

    /// The item the general path reads from `body`, if it accepts it (model, then values).
    fn general_item(body: &[u8]) -> Option<Item> {
        let doc: serde_json::Value = serde_json::from_slice(body).ok()?;
        crate::protocol::shape::dynamodb()
            .validate("PutItem", &doc)
            .ok()?;
        crate::protocol::attr::parse_item(&doc["Item"]).ok()
    }

    use proptest::prelude::*;
    use serde_json::{json, Value};

    /// Attribute values as JSON, valid and not: every type, bad numbers and base64, empty and
    /// repeated set members, two types or none, nesting to depth.
    fn any_value() -> impl Strategy<Value = Value> {
        let text = prop_oneof![
            Just("".to_string()),
            Just("a".to_string()),
            Just("\"quoted\" é ☃".to_string()),
            "[a-c]{1,3}",
        ];
        let num = prop_oneof![
            Just("1"),
            Just("1.0"),
            Just("-0.5"),
            Just("1e3"),
            Just("abc"),
            Just(""),
            Just("1e999"),
            Just("01"),
            Just(" 1"),
        ]
        .prop_map(String::from);
        let b64 = prop_oneof![
            Just("AAE="),
            Just("AQ=="),
            Just("A"),
            Just("****"),
            Just("")
        ]
        .prop_map(String::from);
        let leaf = prop_oneof![
            text.clone().prop_map(|s| json!({"S": s})),
            num.clone().prop_map(|n| json!({"N": n})),
            b64.clone().prop_map(|b| json!({"B": b})),
            any::<bool>().prop_map(|b| json!({"BOOL": b})),
            Just(json!({"BOOL": "true"})),
            any::<bool>().prop_map(|b| json!({"NULL": b})),
            prop::collection::vec(text, 0..3).prop_map(|v| json!({"SS": v})),
            prop::collection::vec(num, 0..3).prop_map(|v| json!({"NS": v})),
            prop::collection::vec(b64, 0..3).prop_map(|v| json!({"BS": v})),
            Just(json!({})),
            Just(json!({"S": "a", "N": "1"})),
            Just(json!({"S": "a", "N": null})),
            Just(json!({"X": "a"})),
            Just(json!({"S": 1})),
        ];
        leaf.prop_recursive(34, 64, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"L": v})),
                prop::collection::vec((prop_oneof![Just(""), Just("k"), Just("j")], inner), 0..3)
                    .prop_map(|kv| {
                        let m: serde_json::Map<String, Value> =
                            kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                        json!({"M": m})
                    }),
            ]
        })
    }

    proptest! {
        // The typed reader only ever accepts what the general path accepts, and reads it the
        // same: it can decline, never disagree.
        #[test]
        fn the_typed_put_never_disagrees_with_the_general_path(
            attrs in prop::collection::vec((prop_oneof![Just(""), Just("pk"), Just("a")], any_value()), 0..4),
        ) {
            let item: serde_json::Map<String, Value> =
                attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            let body = serde_json::to_vec(&json!({"TableName": "bench", "Item": item})).unwrap();
            if let Some(r) = put_request(&body) {
                prop_assert_eq!(Some(r.item), general_item(&body));
            }
        }

        #[test]
        fn the_typed_get_never_disagrees_with_the_general_path(v in any_value()) {
            let body = serde_json::to_vec(&json!({"TableName": "bench", "Key": {"pk": v}})).unwrap();
            if let Some(r) = key_request(&body) {
                let doc: Value = serde_json::from_slice(&body).unwrap();
                prop_assert!(crate::protocol::shape::dynamodb().validate("GetItem", &doc).is_ok());
                prop_assert_eq!(Some(r.key), crate::protocol::attr::parse_item(&doc["Key"]).ok());
            }
        }
    }

    // The property above holds only if the typed reader takes a fair share of the bodies.
    #[test]
    fn the_typed_put_takes_a_fair_share_of_generated_bodies() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let (mut taken, mut total) = (0, 0);
        for _ in 0..500 {
            let v = any_value().new_tree(&mut runner).unwrap().current();
            let body =
                serde_json::to_vec(&json!({"TableName": "bench", "Item": {"a": v}})).unwrap();
            total += 1;
            taken += usize::from(put_request(&body).is_some());
        }
        assert!(taken * 5 > total, "{taken} of {total}");
    }
}
