//! Response bodies written straight into bytes: items (from an `Item` or from the stored row,
//! never through a `serde_json::Value` tree) and the object around them. The item-heavy reads
//! (GetItem, Query, Scan) render this way; every other output is a `Value`.
use crate::codec::item::{self as codec, Container, Scalar};
use crate::model::number::write_plain;
use crate::model::{AttributeValue, Item, Number};
use base64::Engine as _;
use serde_json::Value;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A JSON object written member by member.
pub struct Object {
    buf: Vec<u8>,
    members: usize,
}

impl Object {
    pub fn with_capacity(bytes: usize) -> Object {
        let mut buf = Vec::with_capacity(bytes.max(2));
        buf.push(b'{');
        Object { buf, members: 0 }
    }

    /// Starts member `name`: the caller writes exactly one JSON value into the returned buffer.
    pub fn member(&mut self, name: &str) -> &mut Vec<u8> {
        if self.members > 0 {
            self.buf.push(b',');
        }
        self.members += 1;
        string(&mut self.buf, name);
        self.buf.push(b':');
        &mut self.buf
    }

    /// The buffer, to go on writing the current member's value (the elements of an array).
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    pub fn value(&mut self, name: &str, v: &Value) {
        let out = self.member(name);
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(out, v);
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(b'}');
        self.buf
    }
}

/// A JSON string with its escapes.
pub fn string(out: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn base64(out: &mut Vec<u8>, b: &[u8]) {
    out.push(b'"');
    let start = out.len();
    out.resize(start + base64::encoded_len(b.len(), true).unwrap_or(0), 0);
    let written = B64.encode_slice(b, &mut out[start..]).unwrap_or(0);
    out.truncate(start + written);
    out.push(b'"');
}

fn number(out: &mut Vec<u8>, negative: bool, digits: &[u8], exp: i32) {
    out.push(b'"');
    write_plain(negative, digits, exp, out);
    out.push(b'"');
}

/// The bare JSON of a scalar: a set member, or the inside of `{"S": ...}`.
fn bare(out: &mut Vec<u8>, v: Scalar<'_>) {
    match v {
        Scalar::S(s) => string(out, s),
        Scalar::N {
            negative,
            digits,
            exp,
        } => number(out, negative, digits, exp),
        Scalar::B(b) => base64(out, b),
        Scalar::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Scalar::Null => out.extend_from_slice(b"true"),
    }
}

fn typed(out: &mut Vec<u8>, v: Scalar<'_>) {
    out.extend_from_slice(match v {
        Scalar::S(_) => b"{\"S\":",
        Scalar::N { .. } => b"{\"N\":",
        Scalar::B(_) => b"{\"B\":",
        Scalar::Bool(_) => b"{\"BOOL\":",
        Scalar::Null => b"{\"NULL\":",
    });
    bare(out, v);
    out.push(b'}');
}

fn open(out: &mut Vec<u8>, c: Container) {
    out.extend_from_slice(match c {
        Container::Item => b"{",
        Container::M => b"{\"M\":{",
        Container::L => b"{\"L\":[",
        Container::Ss => b"{\"SS\":[",
        Container::Ns => b"{\"NS\":[",
        Container::Bs => b"{\"BS\":[",
    });
}

fn close(out: &mut Vec<u8>, c: Container) {
    out.extend_from_slice(match c {
        Container::Item => b"}",
        Container::M => b"}}",
        _ => b"]}",
    });
}

fn name(out: &mut Vec<u8>, index: usize, name: &str) {
    if index > 0 {
        out.push(b',');
    }
    string(out, name);
    out.push(b':');
}

/// Writes `item` as AttributeValue JSON (`{"a":{"S":"x"},...}`).
pub fn item(out: &mut Vec<u8>, item: &Item) {
    open(out, Container::Item);
    members(out, item);
    close(out, Container::Item);
}

fn members(out: &mut Vec<u8>, m: &Item) {
    for (i, (k, v)) in m.iter().enumerate() {
        name(out, i, k);
        value(out, v);
    }
}

fn value(out: &mut Vec<u8>, v: &AttributeValue) {
    match v {
        AttributeValue::S(s) => typed(out, Scalar::S(s)),
        AttributeValue::N(x) => typed(out, n(x)),
        AttributeValue::B(b) => typed(out, Scalar::B(b)),
        AttributeValue::Bool(b) => typed(out, Scalar::Bool(*b)),
        AttributeValue::Null => typed(out, Scalar::Null),
        AttributeValue::Ss(ss) => set(out, Container::Ss, ss.iter().map(|s| Scalar::S(s))),
        AttributeValue::Ns(ns) => set(out, Container::Ns, ns.iter().map(n)),
        AttributeValue::Bs(bs) => set(out, Container::Bs, bs.iter().map(|b| Scalar::B(b))),
        AttributeValue::L(l) => {
            open(out, Container::L);
            for (i, e) in l.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                value(out, e);
            }
            close(out, Container::L);
        }
        AttributeValue::M(m) => {
            open(out, Container::M);
            members(out, m);
            close(out, Container::M);
        }
    }
}

fn n(n: &Number) -> Scalar<'_> {
    Scalar::N {
        negative: n.is_negative(),
        digits: n.digits(),
        exp: n.exponent(),
    }
}

fn set<'a>(out: &mut Vec<u8>, c: Container, members: impl Iterator<Item = Scalar<'a>>) {
    open(out, c);
    for (i, m) in members.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        bare(out, m);
    }
    close(out, c);
}

/// Writes a stored item (the codec's bytes) as AttributeValue JSON without decoding it.
pub fn stored_item(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), codec::CorruptItem> {
    let start = out.len();
    let walked = codec::walk_item(bytes, &mut Writer(out));
    if walked.is_err() {
        out.truncate(start);
    }
    walked
}

struct Writer<'o>(&'o mut Vec<u8>);

impl codec::Visitor for Writer<'_> {
    fn begin(&mut self, c: Container) {
        open(self.0, c);
    }
    fn end(&mut self, c: Container) {
        close(self.0, c);
    }
    fn name(&mut self, index: usize, n: &str) {
        name(self.0, index, n);
    }
    fn element(&mut self, index: usize) {
        if index > 0 {
            self.0.push(b',');
        }
    }
    fn scalar(&mut self, v: Scalar<'_>) {
        typed(self.0, v);
    }
    fn set_member(&mut self, v: Scalar<'_>) {
        bare(self.0, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::attr::render_item;

    fn sample() -> Item {
        codec::tests::every_type()
    }

    // Both direct writers must say exactly what the Value renderer says.
    #[test]
    fn direct_writers_match_the_value_renderer() {
        let item = sample();
        let expected = serde_json::to_vec(&render_item(&item)).unwrap();
        let mut from_item = Vec::new();
        super::item(&mut from_item, &item);
        assert_eq!(
            String::from_utf8_lossy(&from_item),
            String::from_utf8_lossy(&expected)
        );
        let mut from_row = Vec::new();
        stored_item(&mut from_row, &codec::encode_item(&item)).unwrap();
        assert_eq!(from_row, expected);
        let mut empty = Vec::new();
        stored_item(&mut empty, &codec::encode_item(&Item::new())).unwrap();
        assert_eq!(empty, b"{}");
    }

    #[test]
    fn corrupt_rows_write_nothing() {
        let bytes = codec::encode_item(&sample());
        for cut in 0..bytes.len() {
            let mut out = b"x".to_vec();
            assert!(stored_item(&mut out, &bytes[..cut]).is_err());
            assert_eq!(out, b"x");
        }
        // A row nested far deeper than any valid item is refused, not recursed into.
        let mut deep = vec![1, 1, b'a'];
        for _ in 0..10_000 {
            deep.extend_from_slice(&[9, 1]);
        }
        assert!(stored_item(&mut Vec::new(), &deep).is_err());
    }

    #[test]
    fn object_members_are_separated() {
        let mut o = Object::with_capacity(0);
        o.value("Count", &Value::from(2));
        o.member("Items").extend_from_slice(b"[]");
        assert_eq!(o.finish(), br#"{"Count":2,"Items":[]}"#);
        assert_eq!(Object::with_capacity(0).finish(), b"{}");
    }
}
