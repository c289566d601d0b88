//! DynamoDB JSON, the service's export format: one JSON object per line, an item written as
//! AttributeValue JSON (`{"pk":{"S":"a"},"n":{"N":"1"}}`), binary values in base64. A full
//! export's line is `{"Item":{...}}`; an incremental export's carries `Metadata`, `Keys`,
//! `NewImage` and `OldImage`. Written straight into bytes; parsed back line by line.
use crate::model::{AttributeValue, Item, Number};
use base64::Engine as _;
use serde_json::Value;

/// Appends `item` as AttributeValue JSON.
pub fn write_item(out: &mut Vec<u8>, item: &Item) {
    out.push(b'{');
    for (i, (name, value)) in item.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, name);
        out.push(b':');
        write_value(out, value);
    }
    out.push(b'}');
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    // serde_json escapes exactly as JSON requires; writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn write_value(out: &mut Vec<u8>, v: &AttributeValue) {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let tagged = |out: &mut Vec<u8>, tag: &str| {
        out.extend_from_slice(b"{\"");
        out.extend_from_slice(tag.as_bytes());
        out.extend_from_slice(b"\":");
    };
    match v {
        AttributeValue::S(s) => {
            tagged(out, "S");
            write_str(out, s);
        }
        AttributeValue::N(n) => {
            tagged(out, "N");
            write_str(out, &n.to_string());
        }
        AttributeValue::B(b) => {
            tagged(out, "B");
            write_str(out, &b64(b));
        }
        AttributeValue::Bool(b) => {
            tagged(out, "BOOL");
            out.extend_from_slice(if *b { b"true" } else { b"false" });
        }
        AttributeValue::Null => {
            tagged(out, "NULL");
            out.extend_from_slice(b"true");
        }
        AttributeValue::Ss(ss) => {
            tagged(out, "SS");
            list(out, ss.iter(), |out, s| write_str(out, s));
        }
        AttributeValue::Ns(ns) => {
            tagged(out, "NS");
            list(out, ns.iter(), |out, n| write_str(out, &n.to_string()));
        }
        AttributeValue::Bs(bs) => {
            tagged(out, "BS");
            list(out, bs.iter(), |out, b| write_str(out, &b64(b)));
        }
        AttributeValue::L(l) => {
            tagged(out, "L");
            list(out, l.iter(), write_value);
        }
        AttributeValue::M(m) => {
            tagged(out, "M");
            write_item(out, m);
        }
    }
    out.push(b'}');
}

fn list<T>(out: &mut Vec<u8>, items: impl Iterator<Item = T>, f: impl Fn(&mut Vec<u8>, T)) {
    out.push(b'[');
    for (i, x) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        f(out, x);
    }
    out.push(b']');
}

/// A full export's line: `{"Item":{...}}` and a newline.
pub fn write_full_line(out: &mut Vec<u8>, item: &Item) {
    out.extend_from_slice(b"{\"Item\":");
    write_item(out, item);
    out.extend_from_slice(b"}\n");
}

/// An incremental export's line: the write's time, the keys, and the images the view asks
/// for (a deleted item has no NewImage; a created one no OldImage).
pub fn write_change_line(
    out: &mut Vec<u8>,
    write_micros: i64,
    keys: &Item,
    new: Option<&Item>,
    old: Option<&Item>,
) {
    out.extend_from_slice(b"{\"Metadata\":{\"WriteTimestampMicros\":{\"N\":\"");
    out.extend_from_slice(write_micros.to_string().as_bytes());
    out.extend_from_slice(b"\"}},\"Keys\":");
    write_item(out, keys);
    if let Some(n) = new {
        out.extend_from_slice(b",\"NewImage\":");
        write_item(out, n);
    }
    if let Some(o) = old {
        out.extend_from_slice(b",\"OldImage\":");
        write_item(out, o);
    }
    out.extend_from_slice(b"}\n");
}

/// Parses one line of a full export (`{"Item":{...}}`) or a bare item; the error says why.
pub fn parse_line(line: &[u8]) -> Result<Item, String> {
    let v: Value = serde_json::from_slice(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let obj = v.as_object().ok_or("a line must be a JSON object")?;
    let item = match obj.get("Item") {
        Some(i) if obj.len() == 1 => i,
        _ => &v,
    };
    parse_item(item, 0)
}

fn parse_item(v: &Value, depth: usize) -> Result<Item, String> {
    let obj = v.as_object().ok_or("an item must be a JSON object")?;
    obj.iter()
        .map(|(k, v)| Ok((k.clone(), parse_value(v, depth + 1)?)))
        .collect()
}

fn parse_value(v: &Value, depth: usize) -> Result<AttributeValue, String> {
    if depth > 32 {
        return Err("nesting too deep".into());
    }
    let obj = v
        .as_object()
        .filter(|o| o.len() == 1)
        .ok_or("an attribute value must be an object with one type")?;
    let (tag, x) = obj.iter().next().expect("one entry");
    let s = |x: &Value| {
        x.as_str()
            .map(str::to_string)
            .ok_or(format!("{tag} needs a string"))
    };
    let n =
        |x: &Value| Number::parse(x.as_str().unwrap_or("")).map_err(|e| e.message().to_string());
    let b = |x: &Value| {
        base64::engine::general_purpose::STANDARD
            .decode(x.as_str().unwrap_or("!"))
            .map_err(|e| format!("invalid base64: {e}"))
    };
    let arr = |x: &Value| x.as_array().cloned().ok_or(format!("{tag} needs a list"));
    Ok(match tag.as_str() {
        "S" => AttributeValue::S(s(x)?),
        "N" => AttributeValue::N(n(x)?),
        "B" => AttributeValue::B(b(x)?),
        "BOOL" => AttributeValue::Bool(x.as_bool().ok_or("BOOL needs a boolean")?),
        "NULL" => AttributeValue::Null,
        "SS" => AttributeValue::Ss(arr(x)?.iter().map(s).collect::<Result<_, _>>()?),
        "NS" => AttributeValue::Ns(arr(x)?.iter().map(n).collect::<Result<_, _>>()?),
        "BS" => AttributeValue::Bs(arr(x)?.iter().map(b).collect::<Result<_, _>>()?),
        "L" => AttributeValue::L(
            arr(x)?
                .iter()
                .map(|e| parse_value(e, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        "M" => AttributeValue::M(parse_item(x, depth)?),
        other => return Err(format!("unknown attribute type {other}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // An export must import back identically: every attribute type survives write then parse,
    // and the text is the service's AttributeValue JSON.
    #[test]
    fn items_round_trip_through_the_export_line() {
        let mut item = Item::new();
        item.insert("s".into(), AttributeValue::S("a\"b\n".into()));
        item.insert(
            "n".into(),
            AttributeValue::N(Number::parse("-1.50").unwrap()),
        );
        item.insert("b".into(), AttributeValue::B(vec![0, 255]));
        item.insert("t".into(), AttributeValue::Bool(true));
        item.insert("z".into(), AttributeValue::Null);
        item.insert(
            "ss".into(),
            AttributeValue::Ss(vec!["x".into(), "y".into()]),
        );
        item.insert(
            "ns".into(),
            AttributeValue::Ns(vec![Number::parse("2").unwrap()]),
        );
        item.insert("bs".into(), AttributeValue::Bs(vec![vec![1]]));
        let mut inner = Item::new();
        inner.insert(
            "k".into(),
            AttributeValue::L(vec![AttributeValue::S("v".into())]),
        );
        item.insert("m".into(), AttributeValue::M(inner));
        let mut out = Vec::new();
        write_full_line(&mut out, &item);
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(
            text.starts_with(r#"{"Item":{"b":{"B":"AP8="},"bs":{"BS":["AQ=="]}"#),
            "{text}"
        );
        assert!(text.ends_with("}\n"));
        assert!(text.contains(r#""n":{"N":"-1.5"}"#), "{text}");
        assert_eq!(parse_line(out.trim_ascii_end()).unwrap(), item);
        assert!(parse_line(b"{\"Item\": {\"x\": {\"Q\": 1}}}").is_err());
        assert!(parse_line(b"not json").is_err());
    }
}
