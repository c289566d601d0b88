//! CSV as ImportTable reads it: records split on a one-character delimiter, fields optionally
//! quoted with `"` (a doubled quote inside a quoted field is one quote; quoted fields may span
//! lines), the header naming the attributes (the file's first record, unless the request gives
//! a HeaderList). Every value is a string, except key attributes, which take their defined type.
use crate::model::{AttributeValue, Item, KeyType, Number};

/// Splits `text` into records of fields. Errors name the problem (an unterminated quote).
pub fn records(text: &str, delimiter: char) -> Vec<Result<Vec<String>, String>> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut at_start = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_start => {
                quoted = true;
                at_start = false;
            }
            c if c == delimiter => {
                fields.push(std::mem::take(&mut field));
                at_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                out.push(Ok(std::mem::take(&mut fields)));
                at_start = true;
            }
            _ => {
                field.push(c);
                at_start = false;
            }
        }
    }
    if quoted {
        out.push(Err("unterminated quoted field".into()));
    } else if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        out.push(Ok(fields));
    }
    out
}

/// One record as an item under `header`: empty fields are left out; key attributes take their
/// type from `keys` (a number that does not parse is an error).
pub fn item(
    header: &[String],
    fields: &[String],
    keys: &[(String, KeyType)],
) -> Result<Item, String> {
    if fields.len() > header.len() {
        return Err(format!(
            "{} fields for a header of {} names",
            fields.len(),
            header.len()
        ));
    }
    let mut item = Item::new();
    for (name, value) in header.iter().zip(fields) {
        if value.is_empty() {
            continue;
        }
        let v = match keys.iter().find(|(k, _)| k == name).map(|(_, t)| *t) {
            Some(KeyType::N) => AttributeValue::N(
                Number::parse(value).map_err(|e| format!("{name}: {}", e.message()))?,
            ),
            Some(KeyType::B) => AttributeValue::B(value.as_bytes().to_vec()),
            _ => AttributeValue::S(value.clone()),
        };
        item.insert(name.clone(), v);
    }
    Ok(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Quoting as spreadsheets write it, other delimiters, and key types from the definitions.
    #[test]
    fn records_and_items() {
        let text = "pk,n,note\r\na,1,\"x, \"\"quoted\"\"\ny\"\nb,2,\n";
        let recs: Vec<_> = records(text, ',').into_iter().map(Result::unwrap).collect();
        assert_eq!(recs[0], ["pk", "n", "note"]);
        assert_eq!(recs[1], ["a", "1", "x, \"quoted\"\ny"]);
        assert_eq!(recs[2], ["b", "2", ""]);
        let keys = [("n".to_string(), KeyType::N)];
        let it = item(&recs[0], &recs[2], &keys).unwrap();
        assert_eq!(
            it.get("n"),
            Some(&AttributeValue::N(Number::parse("2").unwrap()))
        );
        assert!(!it.contains_key("note"));
        assert!(item(&recs[0], &["a".into(), "x".into()], &keys).is_err());
        assert_eq!(records("a|b", '|')[0].clone().unwrap(), ["a", "b"]);
        assert!(records("\"open", ',')[0].is_err());
    }
}
