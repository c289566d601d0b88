//! Order-preserving encoding of key attribute values: comparing two encodings bytewise (as SQLite
//! compares BLOBs) orders them exactly as DynamoDB orders the values.
//!
//! - S: its UTF-8 bytes (DynamoDB orders strings by UTF-8 bytes); B: its bytes.
//! - N: a sign byte (1 negative, 2 zero, 3 positive), then for positives the biased exponent and
//!   the digits as `d+1`; for negatives both complemented and a 0xFF terminator, so that a longer
//!   digit string (a larger magnitude) sorts lower.
use crate::model::{AttributeValue, Number};

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
}
