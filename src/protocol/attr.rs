//! AttributeValue <-> JSON, with the service's validation of values and its error texts.
use crate::error::{Error, Result};
use crate::model::{AttributeValue, Item, Number};
use base64::Engine as _;
use serde_json::{Map, Value};

/// The service accepts documents nested up to 32 levels (a top-level attribute is level 1).
pub const MAX_NESTING: usize = 32;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn invalid(msg: impl std::fmt::Display) -> Error {
    Error::validation(format!("One or more parameter values were invalid: {msg}"))
}

/// Parses an attribute map (`Item`, `Key`, `ExpressionAttributeValues`...).
pub fn parse_item(v: &Value) -> Result<Item> {
    let Some(o) = v.as_object() else {
        return Ok(Item::new());
    };
    let mut item = Item::new();
    for (k, v) in o {
        if k.is_empty() {
            return Err(empty_name());
        }
        item.insert(k.clone(), parse_value(v, 1)?);
    }
    Ok(item)
}

fn empty_name() -> Error {
    Error::validation("Empty attribute name")
}

/// Parses one attribute value found `depth` levels down (a top-level attribute is level 1).
pub fn parse_value(v: &Value, depth: usize) -> Result<AttributeValue> {
    let Some(o) = v.as_object() else {
        return Err(Error::serialization(match v {
            Value::Array(_) => {
                "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue"
            }
            _ => "Unexpected value type in payload",
        }));
    };
    let mut set = o.iter().filter(|(_, v)| !v.is_null());
    let (tag, inner) = match (set.next(), set.next()) {
        (None, _) => {
            return Err(Error::validation(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            ))
        }
        (Some(_), Some(_)) => {
            return Err(Error::validation(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
            ))
        }
        (Some(one), None) => one,
    };
    // A container at level 32 is one level too deep, whatever it holds (31 nested L/M holding
    // a scalar are accepted): values/nesting_depth_exceeded.
    if depth >= MAX_NESTING && (tag == "L" || tag == "M") {
        return Err(Error::validation(
            "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit",
        ));
    }
    let string = |x: &Value| -> Result<String> {
        match x {
            Value::String(s) => Ok(s.clone()),
            Value::Bool(b) => Err(Error::serialization(format!(
                "{}_VALUE cannot be converted to String",
                if *b { "TRUE" } else { "FALSE" }
            ))),
            Value::Number(n) => Err(Error::serialization(format!(
                "{} cannot be converted to String",
                number_token(n)
            ))),
            Value::Array(_) => Err(Error::serialization(
                "Unrecognized collection type class java.lang.String",
            )),
            _ => Err(Error::serialization(NO_MAP)),
        }
    };
    let list = |x: &Value| -> Result<Vec<Value>> {
        match x {
            Value::Array(a) => Ok(a.clone()),
            Value::Object(_) => Err(Error::serialization(NO_MAP)),
            _ => Err(Error::serialization("Unexpected field type")),
        }
    };
    let number = |s: &str| Number::parse(s).map_err(|e| Error::validation(e.message_for(s)));
    let binary = |s: &str| decode_base64(s);
    Ok(match tag.as_str() {
        "S" => AttributeValue::S(string(inner)?),
        "N" => AttributeValue::N(number(&string(inner)?)?),
        "B" => AttributeValue::B(binary(&string(inner)?)?),
        "BOOL" => AttributeValue::Bool(boolean(inner)?),
        "NULL" => match boolean(inner)? {
            true => AttributeValue::Null,
            false => {
                return Err(invalid(
                    "Null attribute value types must have the value of true",
                ))
            }
        },
        "SS" => {
            let items = list(inner)?
                .iter()
                .map(string)
                .collect::<Result<Vec<_>>>()?;
            if items.is_empty() {
                return Err(invalid("An string set  may not be empty"));
            }
            if has_duplicates(&items) {
                return Err(duplicates(&items));
            }
            let mut v = AttributeValue::Ss(items);
            v.sort_set();
            v
        }
        "NS" => {
            let texts = list(inner)?
                .iter()
                .map(string)
                .collect::<Result<Vec<_>>>()?;
            if texts.is_empty() {
                return Err(invalid("An number set  may not be empty"));
            }
            let nums = texts
                .iter()
                .map(|t| number(t))
                .collect::<Result<Vec<_>>>()?;
            if has_duplicates(&nums.iter().map(|n| n.to_string()).collect::<Vec<_>>()) {
                // The service's words for a number set: no prefix, no members.
                return Err(Error::validation("Input collection contains duplicates"));
            }
            let mut v = AttributeValue::Ns(nums);
            v.sort_set();
            v
        }
        "BS" => {
            let texts = list(inner)?
                .iter()
                .map(string)
                .collect::<Result<Vec<_>>>()?;
            if texts.is_empty() {
                return Err(invalid("Binary sets should not be empty"));
            }
            let bins = texts
                .iter()
                .map(|t| binary(t))
                .collect::<Result<Vec<_>>>()?;
            if has_duplicates(&bins) {
                // The service prints the members as sent, then (without a space) the type.
                return Err(invalid(format!(
                    "Input collection [{}]of type BS contains duplicates.",
                    texts.join(", ")
                )));
            }
            let mut v = AttributeValue::Bs(bins);
            v.sort_set();
            v
        }
        "L" => AttributeValue::L(
            list(inner)?
                .iter()
                .map(|e| parse_value(e, depth + 1))
                .collect::<Result<_>>()?,
        ),
        "M" => match inner {
            Value::Object(m) => {
                let mut out = Item::new();
                for (k, e) in m {
                    if k.is_empty() {
                        return Err(empty_name());
                    }
                    out.insert(k.clone(), parse_value(e, depth + 1)?);
                }
                AttributeValue::M(out)
            }
            Value::Array(_) => {
                return Err(Error::serialization(
                    "Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>",
                ))
            }
            _ => return Err(Error::serialization("Unexpected field type")),
        },
        _ => return Err(Error::validation(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        )),
    })
}

/// A BOOL or NULL flag. The service's reader also converts the strings true/false, 1/0 and
/// yes/no (any case); any other string is not a boolean token.
fn boolean(v: &Value) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) => match s.to_ascii_uppercase().as_str() {
            "TRUE" | "1" | "YES" => Ok(true),
            "FALSE" | "0" | "NO" => Ok(false),
            _ => Err(Error::serialization(
                "Unexpected token received from parser",
            )),
        },
        Value::Number(n) => Err(Error::serialization(format!(
            "{} cannot be converted to Boolean",
            number_token(n)
        ))),
        Value::Array(_) => Err(Error::serialization(
            "Unrecognized collection type class java.lang.Boolean",
        )),
        _ => Err(Error::serialization(NO_MAP)),
    }
}

/// An object where a scalar or list belongs.
const NO_MAP: &str = "Start of structure or map found where not expected";

/// How the service's reader names a JSON number it cannot convert.
fn number_token(n: &serde_json::Number) -> &'static str {
    if n.is_f64() {
        "DECIMAL_VALUE"
    } else {
        "NUMBER_VALUE"
    }
}

/// Standard base64 with padding, refused with the service's decoder messages (checked in this
/// order: length, then characters, then the bits a last character may not carry).
pub(crate) fn decode_base64(s: &str) -> Result<Vec<u8>> {
    if !s.len().is_multiple_of(4) {
        return Err(Error::serialization(format!(
            "Base64 encoded length is expected a multiple of 4 bytes but found: {}",
            s.len()
        )));
    }
    let bytes = s.as_bytes();
    let bad = bytes.iter().enumerate().find(|&(i, &c)| {
        let pad_ok = c == b'=' && bytes[i..].iter().all(|&p| p == b'=');
        !(c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || pad_ok)
    });
    if let Some((i, _)) = bad {
        let c = s[i..].chars().next().unwrap_or('?');
        return Err(Error::serialization(format!(
            "Invalid Base64 character: '{c}'"
        )));
    }
    B64.decode(s)
        .map_err(|_| Error::serialization("Invalid last non-pad Base64 character dectected"))
}

/// A set given a member twice: the service prints the members as sent.
fn duplicates(items: &[String]) -> Error {
    invalid(format!(
        "Input collection [{}] contains duplicates.",
        items.join(", ")
    ))
}

pub(crate) fn has_duplicates<T: Ord>(items: &[T]) -> bool {
    let mut sorted: Vec<&T> = items.iter().collect();
    sorted.sort();
    sorted.windows(2).any(|w| w[0] == w[1])
}

// ---- rendering ------------------------------------------------------------------------------

pub fn render_item(item: &Item) -> Value {
    let mut m = Map::with_capacity(item.len());
    for (k, v) in item {
        m.insert(k.clone(), render_value(v));
    }
    Value::Object(m)
}

pub fn render_value(v: &AttributeValue) -> Value {
    let mut m = Map::with_capacity(1);
    let (tag, inner) = match v {
        AttributeValue::S(s) => ("S", Value::String(s.clone())),
        AttributeValue::N(n) => ("N", Value::String(n.to_string())),
        AttributeValue::B(b) => ("B", Value::String(B64.encode(b))),
        AttributeValue::Bool(b) => ("BOOL", Value::Bool(*b)),
        AttributeValue::Null => ("NULL", Value::Bool(true)),
        AttributeValue::Ss(ss) => (
            "SS",
            Value::Array(ss.iter().map(|s| Value::String(s.clone())).collect()),
        ),
        AttributeValue::Ns(ns) => (
            "NS",
            Value::Array(ns.iter().map(|n| Value::String(n.to_string())).collect()),
        ),
        AttributeValue::Bs(bs) => (
            "BS",
            Value::Array(bs.iter().map(|b| Value::String(B64.encode(b))).collect()),
        ),
        AttributeValue::L(l) => ("L", Value::Array(l.iter().map(render_value).collect())),
        AttributeValue::M(m) => ("M", render_item(m)),
    };
    m.insert(tag.to_string(), inner);
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(v: Value) -> String {
        parse_value(&v, 1).unwrap_err().message.unwrap_or_default()
    }

    // Bad base64 is the service's 400 with the decoder's reason, length first, then characters.
    #[test]
    fn invalid_base64_names_its_fault() {
        assert_eq!(
            message(json!({"B": "AQ"})),
            "Base64 encoded length is expected a multiple of 4 bytes but found: 2"
        );
        assert_eq!(
            message(json!({"B": "!!!!"})),
            "Invalid Base64 character: '!'"
        );
        assert_eq!(
            message(json!({"B": "A=B="})),
            "Invalid Base64 character: '='"
        );
        assert_eq!(
            message(json!({"B": "AB=="})),
            "Invalid last non-pad Base64 character dectected"
        );
        assert_eq!(
            parse_value(&json!({"B": "AQ=="}), 1).unwrap(),
            AttributeValue::B(vec![1])
        );
    }

    // 31 nested containers holding a scalar are fine; a 32nd container is refused even empty.
    #[test]
    fn a_container_at_level_32_is_too_deep() {
        let mut ok = json!({"S": "a"});
        for _ in 0..31 {
            ok = json!({"L": [ok]});
        }
        assert!(parse_value(&ok, 1).is_ok());
        let mut deep = json!({"M": {}});
        for _ in 0..31 {
            deep = json!({"L": [deep]});
        }
        assert!(message(deep).starts_with("Nesting Levels have exceeded supported limits: "));
    }

    // The service's reader converts true/false, 1/0 and yes/no strings (any case) in BOOL and
    // NULL; another string is not a boolean token.
    #[test]
    fn bool_strings_are_booleans() {
        assert_eq!(
            parse_value(&json!({"BOOL": "TRUE"}), 1).unwrap(),
            AttributeValue::Bool(true)
        );
        assert_eq!(
            parse_value(&json!({"NULL": "true"}), 1).unwrap(),
            AttributeValue::Null
        );
        assert_eq!(
            parse_value(&json!({"BOOL": "No"}), 1).unwrap(),
            AttributeValue::Bool(false)
        );
        assert_eq!(
            message(json!({"BOOL": "maybe"})),
            "Unexpected token received from parser"
        );
    }

    // An empty name is refused inside maps too, not only at the top of an item.
    #[test]
    fn empty_map_key_is_an_empty_attribute_name() {
        assert_eq!(
            message(json!({"M": {"": {"S": "a"}}})),
            "Empty attribute name"
        );
    }
}
