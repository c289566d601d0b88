//! Order-preserving encoding of key attribute values: comparing two encodings bytewise (as SQLite
//! compares BLOBs) orders them exactly as DynamoDB orders the values.
//!
//! - S: its UTF-8 bytes (DynamoDB orders strings by UTF-8 bytes); B: its bytes.
//! - N: a sign byte (1 negative, 2 zero, 3 positive), then for positives the biased exponent and
//!   the digits as `d+1`; for negatives both complemented and a 0xFF terminator, so that a longer
//!   digit string (a larger magnitude) sorts lower.
//!
//! Scan order. A table is scanned in the order of a hash of the partition key, then the sort key;
//! parallel scan segments are ranges of that hash. awsim uses DynamoDB Local's hash (SHA-1 of a
//! fixed salt and the key's bytes, numbers in its own decimal encoding), so a Scan returns items in
//! the same order and the same segments as the recordings: the stored partition key of an item
//! (`items.pk`, and an LSI row's `ipk`) is that 20-byte hash followed by the value's encoding.
//! GSI rows are ordered by their own key, ties broken by [`gsi_tie`].
use crate::model::{AttributeValue, Number};
use sha1::{Digest, Sha1};

/// Length of the hash that prefixes a stored partition key.
pub const HASH_LEN: usize = 20;

/// DynamoDB Local's salt for key hashes.
const SALT: &[u8] = b"LocalDdb";

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

/// The tie-breaker of GSI rows with equal index keys: DynamoDB Local's hash of the table key.
pub fn gsi_tie(hash: &AttributeValue, range: Option<&AttributeValue>) -> Vec<u8> {
    match range {
        None => hash_value(hash).to_vec(),
        Some(range) => {
            let mut h = Sha1::new();
            h.update(SALT);
            h.update(hash_value(hash));
            h.update(hash_value(range));
            h.finalize().to_vec()
        }
    }
}

/// `SHA-1(salt || key bytes)`: the partition's position in scan order.
pub fn hash_value(v: &AttributeValue) -> [u8; HASH_LEN] {
    let mut h = Sha1::new();
    h.update(SALT);
    match v {
        AttributeValue::S(s) => h.update(s.as_bytes()),
        AttributeValue::B(b) => h.update(b),
        AttributeValue::N(n) => h.update(decimal_bytes(n)),
        _ => {}
    }
    h.finalize().into()
}

/// DynamoDB Local's byte form of a number for hashing: an exponent byte, then the digits packed
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
/// The whole 160-bit space is cut into `total` equal parts (integer division, the remainder to
/// the last), as DynamoDB Local assigns items to segments.
pub fn segment_range(segment: u32, total: u32) -> ([u8; HASH_LEN], Option<[u8; HASH_LEN]>) {
    let step = div_u160([0xFF; HASH_LEN], total.max(1));
    let lo = mul_u160(step, segment);
    let hi = (segment + 1 < total).then(|| mul_u160(step, segment + 1));
    (lo, hi)
}

fn div_u160(n: [u8; HASH_LEN], d: u32) -> [u8; HASH_LEN] {
    let mut out = [0u8; HASH_LEN];
    let mut rem: u64 = 0;
    for (i, b) in n.iter().enumerate() {
        let cur = (rem << 8) | *b as u64;
        out[i] = (cur / d as u64) as u8;
        rem = cur % d as u64;
    }
    out
}

/// `n * m`, saturating at the maximum (never reached for `m <= total`).
fn mul_u160(n: [u8; HASH_LEN], m: u32) -> [u8; HASH_LEN] {
    let mut out = [0u8; HASH_LEN];
    let mut carry: u64 = 0;
    for i in (0..HASH_LEN).rev() {
        let cur = n[i] as u64 * m as u64 + carry;
        out[i] = cur as u8;
        carry = cur >> 8;
    }
    if carry > 0 {
        return [0xFF; HASH_LEN];
    }
    out
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

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

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

    // The recorded scan order of k0..k9 on a hash-only table (scan_order_and_paging).
    #[test]
    fn scan_order_is_dynamodb_locals() {
        let mut keys: Vec<String> = (0..10).map(|i| format!("k{i}")).collect();
        keys.sort_by_key(|k| hash_value(&AttributeValue::S(k.clone())));
        assert_eq!(keys.join(" "), "k7 k3 k4 k1 k5 k2 k8 k9 k0 k6");
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
