//! Order-preserving encoding of key attribute values: comparing two encodings bytewise (as SQLite
//! compares BLOBs) orders them exactly as DynamoDB orders the values.
//!
//! - S: its UTF-8 bytes (DynamoDB orders strings by UTF-8 bytes); B: its bytes.
//! - N: a sign byte (1 negative, 2 zero, 3 positive), then for positives the biased exponent and
//!   the digits as `d+1`; for negatives both complemented and a 0xFF terminator, so that a longer
//!   digit string (a larger magnitude) sorts lower.
//!
//! Scan order, as the service has it. A table or index is scanned in the order of the MD5 of a
//! fixed salt ("Outliers") and the partition key's bytes (numbers in the service's binary
//! decimal form, [`decimal_bytes`]), then by sort key; items with equal index keys by the MD5 of
//! the salt and the table key's bytes ([`gsi_tie`]). Parallel scan segment i of N holds the
//! partitions whose hash starts with a 12-bit prefix in [ceil(4096·i/N), ceil(4096·(i+1)/N)).
//! The stored partition key of an item (`items.pk`, an index row's `ipk`) is that 16-byte hash
//! followed by the value's encoding, so a walk in primary-key order is a Scan and a segment a
//! hash range. (DynamoDB Local orders by a SHA-1 of its own salt instead: ORACLE.md.)
//!
//! Multi-attribute GSI keys (up to four partition and four sort key attributes) are stored as
//! tuples ([`encode_tuple`]): each component's encoding with its 0x00 bytes escaped as 0x00 0xFF,
//! then a 0x00 0x00 terminator. Bytewise order of two tuples is then the order of their first
//! differing component (a terminator sorts below any continuation), so the sort key of a
//! multi-attribute index is one BLOB whose ranges are what a Query's conditions select. A
//! multi-attribute partition is hashed as MD5(salt ‖ each component's bytes, concatenated)
//! ([`hash_tuple`]): the service's own rule for such partitions is not published, so the scan
//! order across multi-attribute partitions is awsim's choice (unverified; fixtures avoid it).
use crate::model::{AttributeValue, Number};
use md5::{Digest, Md5};

/// Length of the hash that prefixes a stored partition key.
pub const HASH_LEN: usize = 16;

/// The service's salt for key hashes.
const SALT: &[u8] = b"Outliers";

/// `0.d1d2.. x 10^exp` with exp in [-129, 126]: exp + 129 fits one byte.
const EXP_BIAS: i32 = 129;

pub fn encode_key_value(v: &AttributeValue) -> Vec<u8> {
    match v {
        AttributeValue::S(s) => s.as_bytes().to_vec(),
        AttributeValue::B(b) => b.clone(),
        AttributeValue::N(n) => encode_number(n),
        // Keys are validated to be scalars before they reach storage.
        _ => Vec::new(),
    }
}

pub fn encode_number(n: &Number) -> Vec<u8> {
    let mut out = Vec::with_capacity(n.digits().len() + 3);
    if n.is_zero() {
        out.push(2);
        return out;
    }
    let exp = (n.exponent() + EXP_BIAS).clamp(0, 255) as u8;
    if n.is_negative() {
        out.push(1);
        out.push(255 - exp);
        out.extend(n.digits().iter().map(|d| 10 - d));
        out.push(0xFF);
    } else {
        out.push(3);
        out.push(exp);
        out.extend(n.digits().iter().map(|d| d + 1));
    }
    out
}

/// A partition key as stored: its scan-order hash, then its order-preserving encoding.
pub fn encode_partition(v: &AttributeValue) -> Vec<u8> {
    let enc = encode_key_value(v);
    let mut out = Vec::with_capacity(HASH_LEN + enc.len());
    out.extend_from_slice(&hash_value(v));
    out.extend_from_slice(&enc);
    out
}

/// The terminator of a tuple component; escaped 0x00 bytes are followed by 0xFF instead.
const TUPLE_END: [u8; 2] = [0, 0];

/// A key value's encoding with every 0x00 escaped as 0x00 0xFF (a tuple component without its
/// terminator: what every component beginning with this value starts with).
pub fn escape_component(v: &AttributeValue) -> Vec<u8> {
    escape_bytes(&encode_key_value(v))
}

/// An encoding with every 0x00 escaped as 0x00 0xFF.
pub fn escape_bytes(enc: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(enc.len() + 2);
    for &b in enc {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out
}

/// Appends one tuple component: the escaped encoding and the terminator.
pub fn push_component(out: &mut Vec<u8>, v: &AttributeValue) {
    out.extend(escape_component(v));
    out.extend_from_slice(&TUPLE_END);
}

/// The order-preserving encoding of a tuple of key values (a multi-attribute index key).
pub fn encode_tuple<'a>(values: impl IntoIterator<Item = &'a AttributeValue>) -> Vec<u8> {
    let mut out = Vec::new();
    for v in values {
        push_component(&mut out, v);
    }
    out
}

/// The scan-order hash of a multi-attribute partition: MD5(salt ‖ every component's bytes).
pub fn hash_tuple<'a>(values: impl IntoIterator<Item = &'a AttributeValue>) -> [u8; HASH_LEN] {
    let mut h = Md5::new();
    h.update(SALT);
    for v in values {
        h.update(hash_bytes(v));
    }
    h.finalize().into()
}

/// A multi-attribute partition key as stored: its hash, then its tuple encoding.
pub fn encode_partition_tuple(values: &[&AttributeValue]) -> Vec<u8> {
    let mut out = hash_tuple(values.iter().copied()).to_vec();
    out.extend(encode_tuple(values.iter().copied()));
    out
}

/// The tie-breaker of index rows with equal index keys: the hash of the table key's bytes
/// (hash key, then range key).
pub fn gsi_tie(hash: &AttributeValue, range: Option<&AttributeValue>) -> Vec<u8> {
    let mut h = Md5::new();
    h.update(SALT);
    h.update(hash_bytes(hash));
    if let Some(range) = range {
        h.update(hash_bytes(range));
    }
    h.finalize().to_vec()
}

/// `MD5(salt || key bytes)`: the partition's position in scan order.
pub fn hash_value(v: &AttributeValue) -> [u8; HASH_LEN] {
    let mut h = Md5::new();
    h.update(SALT);
    h.update(hash_bytes(v));
    h.finalize().into()
}

/// A key value's bytes as hashed: a string's UTF-8, a binary's bytes, a number's decimal form.
fn hash_bytes(v: &AttributeValue) -> std::borrow::Cow<'_, [u8]> {
    match v {
        AttributeValue::S(s) => s.as_bytes().into(),
        AttributeValue::B(b) => b.as_slice().into(),
        AttributeValue::N(n) => decimal_bytes(n).into(),
        _ => (&[][..]).into(),
    }
}

/// The byte form of a number for hashing (the service's and DynamoDB Local's): an exponent byte, then the digits packed
/// two per byte (centesimal), each byte complemented for negatives (which end in 102 when short).
fn decimal_bytes(n: &Number) -> Vec<u8> {
    if n.is_zero() {
        return vec![0x80];
    }
    let digits = n.digits();
    let mut e = n.exponent();
    let odd = (e % 2 != 0) as usize;
    e += odd as i32;
    let pairs = (digits.len() + odd).div_ceil(2);
    let negative = n.is_negative();
    let mut out = Vec::with_capacity(pairs + 2);
    let head = (192 + e / 2) as u8;
    out.push(if negative { !head } else { head });
    // The digits with a leading zero when the exponent was odd, read two at a time.
    let digit = |i: usize| -> u8 {
        let i = i as isize - odd as isize;
        if i < 0 {
            0
        } else {
            digits.get(i as usize).copied().unwrap_or(0)
        }
    };
    for p in 0..pairs {
        let pair = 10 * digit(2 * p) + digit(2 * p + 1);
        out.push(if negative { 101 - pair } else { pair + 1 });
    }
    if negative && pairs < 20 {
        out.push(102);
    }
    out
}

/// The range of hashes segment `segment` of `total` covers: `[lo, hi)`, `hi` None for the last.
/// The service cuts the 12-bit hash prefix space (4096 values) at ceil(4096·i/N).
pub fn segment_range(segment: u32, total: u32) -> ([u8; HASH_LEN], Option<[u8; HASH_LEN]>) {
    let total = total.max(1) as u64;
    let cut = |i: u64| (4096 * i).div_ceil(total);
    let bound = |prefix: u64| {
        let mut out = [0u8; HASH_LEN];
        out[0] = (prefix >> 4) as u8;
        out[1] = ((prefix & 0xF) << 4) as u8;
        out
    };
    let lo = cut(segment as u64);
    let hi = cut(segment as u64 + 1);
    (bound(lo.min(4095)), (hi < 4096).then(|| bound(hi)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> Vec<u8> {
        encode_number(&Number::parse(s).unwrap())
    }

    // The sign/exponent/terminator scheme is easy to get subtly wrong; pin the tricky pairs.
    #[test]
    fn number_encoding_orders_like_numbers() {
        let v = [
            "-1e125", "-10", "-9", "-0.51", "-0.5", "-1e-130", "0", "1e-130", "0.5", "0.51", "9",
            "10", "1e125",
        ];
        for w in v.windows(2) {
            assert!(enc(w[0]) < enc(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(enc("1.50"), enc("1.5"));
    }

    use crate::codec::hex;

    // Examples worked out from DynamoDB Local's number encoding (conformance/notes/query.md).
    #[test]
    fn decimal_bytes_match_dynamodb_local() {
        let d = |s: &str| hex(&decimal_bytes(&Number::parse(s).unwrap()));
        assert_eq!(d("1"), "c102");
        assert_eq!(d("3"), "c104");
        assert_eq!(d("0.5"), "c033");
        assert_eq!(d("100"), "c202");
        assert_eq!(d("-1"), "3e6466");
        assert_eq!(d("0"), "80");
    }

    // The service's order of partitions "A" and "B": MD5("OutliersA") starts 0cb5bb and
    // MD5("OutliersB") 2a5fbc (DynamoDB Local's SHA-1 puts B first).
    #[test]
    fn scan_order_is_the_services() {
        let a = hash_value(&AttributeValue::S("A".into()));
        let b = hash_value(&AttributeValue::S("B".into()));
        assert_eq!(hex(&a[..3]), "0cb5bb");
        assert_eq!(hex(&b[..3]), "2a5fbc");
        assert!(a < b);
    }

    // Segment bounds are 12-bit prefixes cut at ceil(4096·i/N): 3 segments cut at 1366, 2731.
    #[test]
    fn segments_cut_the_twelve_bit_prefix_space() {
        let prefix = |b: [u8; HASH_LEN]| ((b[0] as u32) << 4) | (b[1] as u32 >> 4);
        let (lo, hi) = segment_range(1, 3);
        assert_eq!((prefix(lo), hi.map(prefix)), (1366, Some(2731)));
        assert_eq!(segment_range(2, 3).1, None);
    }

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }
    fn n(v: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(v).unwrap())
    }

    // Tuples order by their first differing component, whatever the lengths of the components
    // before it: ("a", "z") < ("ab", "a") although "az" > "aba" as concatenated text, and a
    // component holding 0x00 bytes still orders bytewise.
    #[test]
    fn tuples_order_component_by_component() {
        let t = |v: &[AttributeValue]| encode_tuple(v.iter());
        let b = |v: &[u8]| AttributeValue::B(v.to_vec());
        let ordered = [
            t(&[s("a"), s("z")]),
            t(&[s("ab"), s("a")]),
            t(&[s("ab"), s("b")]),
            t(&[s("b"), s("")]),
        ];
        for w in ordered.windows(2) {
            assert!(w[0] < w[1], "{:?} < {:?}", w[0], w[1]);
        }
        let ordered = [
            t(&[b(&[1]), b(&[0xFF])]),
            t(&[b(&[1, 0]), b(&[0])]),
            t(&[b(&[1, 0, 0]), b(&[])]),
            t(&[b(&[1, 0, 1]), b(&[])]),
            t(&[b(&[1, 1]), b(&[])]),
        ];
        for w in ordered.windows(2) {
            assert!(w[0] < w[1], "{:?} < {:?}", w[0], w[1]);
        }
        // Numbers keep their numeric order as components: 2 < 10 < 10.5.
        assert!(t(&[n("2"), s("z")]) < t(&[n("10"), s("a")]));
        assert!(t(&[n("10"), s("z")]) < t(&[n("10.5"), s("a")]));
        assert!(t(&[n("-10.5"), s("z")]) < t(&[n("-10"), s("a")]));
    }

    // A partition of several attributes hashes their bytes in order, like a one-attribute key
    // hashes its own: ("A") and the tuple ("A") fall in the same place of the scan.
    #[test]
    fn tuple_partitions_hash_their_components_in_order() {
        assert_eq!(hash_tuple([&s("A")]), hash_value(&s("A")));
        assert_ne!(
            hash_tuple([&s("a"), &s("b")]),
            hash_tuple([&s("b"), &s("a")])
        );
    }

    #[test]
    fn segments_cover_the_hash_space_without_gaps() {
        for total in [1u32, 2, 3, 7, 1000] {
            let mut prev_hi = Some([0u8; HASH_LEN]);
            for s in 0..total {
                let (lo, hi) = segment_range(s, total);
                assert_eq!(Some(lo), prev_hi, "segment {s} of {total}");
                prev_hi = hi;
            }
            assert_eq!(prev_hi, None);
        }
    }
}
