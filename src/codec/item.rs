//! Compact binary codec for items as stored in SQLite (faster and smaller than JSON).
//!
//! item  := varint(count) (varint(len) name value)*
//! value := tag payload; numbers are stored as sign, exponent and digits, already normalised.
use crate::model::{AttributeValue, Item, Number};

const S: u8 = 0;
const N: u8 = 1;
const B: u8 = 2;
const FALSE: u8 = 3;
const TRUE: u8 = 4;
const NULL: u8 = 5;
const SS: u8 = 6;
const NS: u8 = 7;
const BS: u8 = 8;
const L: u8 = 9;
const M: u8 = 10;

pub fn encode_item(item: &Item) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    put_varint(&mut out, item.len() as u64);
    for (k, v) in item {
        put_bytes(&mut out, k.as_bytes());
        encode_value(&mut out, v);
    }
    out
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn put_number(out: &mut Vec<u8>, n: &Number) {
    out.push(n.is_negative() as u8);
    out.extend_from_slice(&(n.exponent() as i16).to_le_bytes());
    put_bytes(out, n.digits());
}

fn encode_value(out: &mut Vec<u8>, v: &AttributeValue) {
    match v {
        AttributeValue::S(s) => {
            out.push(S);
            put_bytes(out, s.as_bytes());
        }
        AttributeValue::N(n) => {
            out.push(N);
            put_number(out, n);
        }
        AttributeValue::B(b) => {
            out.push(B);
            put_bytes(out, b);
        }
        AttributeValue::Bool(b) => out.push(if *b { TRUE } else { FALSE }),
        AttributeValue::Null => out.push(NULL),
        AttributeValue::Ss(ss) => {
            out.push(SS);
            put_varint(out, ss.len() as u64);
            ss.iter().for_each(|s| put_bytes(out, s.as_bytes()));
        }
        AttributeValue::Ns(ns) => {
            out.push(NS);
            put_varint(out, ns.len() as u64);
            ns.iter().for_each(|n| put_number(out, n));
        }
        AttributeValue::Bs(bs) => {
            out.push(BS);
            put_varint(out, bs.len() as u64);
            bs.iter().for_each(|b| put_bytes(out, b));
        }
        AttributeValue::L(l) => {
            out.push(L);
            put_varint(out, l.len() as u64);
            l.iter().for_each(|e| encode_value(out, e));
        }
        AttributeValue::M(m) => {
            out.push(M);
            put_varint(out, m.len() as u64);
            for (k, e) in m {
                put_bytes(out, k.as_bytes());
                encode_value(out, e);
            }
        }
    }
}

/// A corrupt row is an internal fault, never a panic.
#[derive(Debug)]
pub struct CorruptItem;

impl From<CorruptItem> for crate::error::Error {
    fn from(_: CorruptItem) -> Self {
        crate::error::Error::internal("corrupt item row")
    }
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, CorruptItem> {
        let v = *self.b.get(self.i).ok_or(CorruptItem)?;
        self.i += 1;
        Ok(v)
    }
    fn varint(&mut self) -> Result<usize, CorruptItem> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= ((b & 0x7f) as u64) << shift;
            if b < 0x80 {
                return Ok(v as usize);
            }
        }
        Err(CorruptItem)
    }
    fn bytes(&mut self) -> Result<&'a [u8], CorruptItem> {
        let n = self.varint()?;
        let end = self.i.checked_add(n).ok_or(CorruptItem)?;
        let s = self.b.get(self.i..end).ok_or(CorruptItem)?;
        self.i = end;
        Ok(s)
    }
    fn string(&mut self) -> Result<String, CorruptItem> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| CorruptItem)
    }
    fn number(&mut self) -> Result<Number, CorruptItem> {
        let neg = self.byte()? != 0;
        let exp = i16::from_le_bytes([self.byte()?, self.byte()?]) as i32;
        Ok(Number::from_parts(neg, self.bytes()?.to_vec(), exp))
    }
    fn value(&mut self) -> Result<AttributeValue, CorruptItem> {
        self.value_at(0)
    }
    /// A value `depth` containers deep: a damaged row cannot nest deeper than awsim ever
    /// writes (32 levels) without being reported corrupt, so decoding never exhausts the stack.
    fn value_at(&mut self, depth: usize) -> Result<AttributeValue, CorruptItem> {
        if depth > MAX_WALK_DEPTH {
            return Err(CorruptItem);
        }
        Ok(match self.byte()? {
            S => AttributeValue::S(self.string()?),
            N => AttributeValue::N(self.number()?),
            B => AttributeValue::B(self.bytes()?.to_vec()),
            FALSE => AttributeValue::Bool(false),
            TRUE => AttributeValue::Bool(true),
            NULL => AttributeValue::Null,
            SS => AttributeValue::Ss(
                (0..self.varint()?)
                    .map(|_| self.string())
                    .collect::<Result<_, _>>()?,
            ),
            NS => AttributeValue::Ns(
                (0..self.varint()?)
                    .map(|_| self.number())
                    .collect::<Result<_, _>>()?,
            ),
            BS => AttributeValue::Bs(
                (0..self.varint()?)
                    .map(|_| self.bytes().map(<[u8]>::to_vec))
                    .collect::<Result<_, _>>()?,
            ),
            L => AttributeValue::L(
                (0..self.varint()?)
                    .map(|_| self.value_at(depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            M => {
                let n = self.varint()?;
                let mut m = Item::new();
                for _ in 0..n {
                    let k = self.string()?;
                    m.insert(k, self.value_at(depth + 1)?);
                }
                AttributeValue::M(m)
            }
            _ => return Err(CorruptItem),
        })
    }
}

/// A stored scalar, borrowed from the row.
#[derive(Debug, Clone, Copy)]
pub enum Scalar<'a> {
    S(&'a str),
    /// `0.digits x 10^exp`, digits 0..=9 (see `model::Number`).
    N {
        negative: bool,
        digits: &'a [u8],
        exp: i32,
    },
    B(&'a [u8]),
    Bool(bool),
    Null,
}

/// The containers of a stored item: the item itself, and the M, L and set values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Item,
    M,
    L,
    Ss,
    Ns,
    Bs,
}

/// Receives a stored item's structure in order, without an `Item` being built: how reads that
/// return items as stored render them (see [`walk_item`]).
pub trait Visitor {
    fn begin(&mut self, c: Container);
    fn end(&mut self, c: Container);
    /// Before the value of the `index`th member of the item or of an M.
    fn name(&mut self, index: usize, name: &str);
    /// Before the `index`th element of an L or a set.
    fn element(&mut self, index: usize);
    /// A value (of a member or an L element).
    fn scalar(&mut self, v: Scalar<'_>);
    /// A member of an SS, NS or BS.
    fn set_member(&mut self, v: Scalar<'_>);
}

/// Nesting deeper than any valid item (32 levels) means a corrupt row, not a deeper recursion.
const MAX_WALK_DEPTH: usize = 64;

impl<'a> Reader<'a> {
    fn str(&mut self) -> Result<&'a str, CorruptItem> {
        std::str::from_utf8(self.bytes()?).map_err(|_| CorruptItem)
    }
    fn number_ref(&mut self) -> Result<Scalar<'a>, CorruptItem> {
        let negative = self.byte()? != 0;
        let exp = i16::from_le_bytes([self.byte()?, self.byte()?]) as i32;
        Ok(Scalar::N {
            negative,
            digits: self.bytes()?,
            exp,
        })
    }
    fn walk_members(&mut self, v: &mut impl Visitor, depth: usize) -> Result<(), CorruptItem> {
        for index in 0..self.varint()? {
            v.name(index, self.str()?);
            self.walk_value(v, depth)?;
        }
        Ok(())
    }
    fn walk_value(&mut self, v: &mut impl Visitor, depth: usize) -> Result<(), CorruptItem> {
        if depth > MAX_WALK_DEPTH {
            return Err(CorruptItem);
        }
        let set = |tag| match tag {
            SS => Some(Container::Ss),
            NS => Some(Container::Ns),
            BS => Some(Container::Bs),
            _ => None,
        };
        match self.byte()? {
            S => v.scalar(Scalar::S(self.str()?)),
            N => v.scalar(self.number_ref()?),
            B => v.scalar(Scalar::B(self.bytes()?)),
            FALSE => v.scalar(Scalar::Bool(false)),
            TRUE => v.scalar(Scalar::Bool(true)),
            NULL => v.scalar(Scalar::Null),
            tag @ (SS | NS | BS) => {
                let c = set(tag).ok_or(CorruptItem)?;
                v.begin(c);
                for index in 0..self.varint()? {
                    v.element(index);
                    let member = match c {
                        Container::Ss => Scalar::S(self.str()?),
                        Container::Ns => self.number_ref()?,
                        _ => Scalar::B(self.bytes()?),
                    };
                    v.set_member(member);
                }
                v.end(c);
            }
            L => {
                v.begin(Container::L);
                for index in 0..self.varint()? {
                    v.element(index);
                    self.walk_value(v, depth + 1)?;
                }
                v.end(Container::L);
            }
            M => {
                v.begin(Container::M);
                self.walk_members(v, depth + 1)?;
                v.end(Container::M);
            }
            _ => return Err(CorruptItem),
        }
        Ok(())
    }
}

/// Walks a stored item, handing its structure to `v` (no allocation). On a corrupt row `v` has
/// seen a prefix of the item and the error is returned.
pub fn walk_item(b: &[u8], v: &mut impl Visitor) -> Result<(), CorruptItem> {
    let mut r = Reader { b, i: 0 };
    v.begin(Container::Item);
    r.walk_members(v, 0)?;
    v.end(Container::Item);
    Ok(())
}

pub fn decode_item(b: &[u8]) -> Result<Item, CorruptItem> {
    let mut r = Reader { b, i: 0 };
    let n = r.varint()?;
    let mut item = Item::new();
    for _ in 0..n {
        let k = r.string()?;
        item.insert(k, r.value()?);
    }
    Ok(item)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// One item holding every type, escapes, extreme and zero numbers, empty containers and
    /// nesting (shared with the renderers' tests).
    pub(crate) fn every_type() -> Item {
        let n = |s| Number::parse(s).unwrap();
        let mut inner = Item::new();
        inner.insert(
            "x\"y".into(),
            AttributeValue::Ns(vec![n("-1.5"), n("1e100")]),
        );
        inner.insert("e".into(), AttributeValue::M(Item::new()));
        let mut item = Item::new();
        let values = [
            ("s", AttributeValue::S("hé\"l\\lo\n\u{1}".into())),
            ("n", AttributeValue::N(n("-0.000123"))),
            ("z0", AttributeValue::N(n("0"))),
            ("big", AttributeValue::N(n("12345E20"))),
            ("mid", AttributeValue::N(n("123.45"))),
            ("b", AttributeValue::B(vec![0, 255, 7])),
            ("t", AttributeValue::Bool(true)),
            ("f", AttributeValue::Bool(false)),
            ("nul", AttributeValue::Null),
            ("ss", AttributeValue::Ss(vec!["a".into(), "b".into()])),
            ("bs", AttributeValue::Bs(vec![vec![1], vec![]])),
            ("l", AttributeValue::L(vec![])),
            (
                "l2",
                AttributeValue::L(vec![AttributeValue::M(inner), AttributeValue::Null]),
            ),
        ];
        for (k, v) in values {
            item.insert(k.into(), v);
        }
        item
    }

    // Every type must survive the round trip through SQLite's bytes unchanged.
    #[test]
    fn every_type_round_trips() {
        let item = every_type();
        assert_eq!(decode_item(&encode_item(&item)).unwrap(), item);
    }

    #[test]
    fn truncated_rows_are_errors_not_panics() {
        let mut item = Item::new();
        item.insert("s".into(), AttributeValue::S("hello".into()));
        let bytes = encode_item(&item);
        for cut in 0..bytes.len() {
            assert!(decode_item(&bytes[..cut]).is_err());
        }
    }
}
