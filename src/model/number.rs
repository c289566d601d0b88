//! DynamoDB numbers: up to 38 significant digits, magnitude in [1E-130, 1E+126), held exactly.
//!
//! A number is kept normalised as sign + significant digits + exponent, so equal values have one
//! representation (`1.50`, `1.5` and `15E-1` are the same number) and the canonical text the
//! service returns (`toPlainString` of the stripped value) falls out directly.
use std::cmp::Ordering;
use std::fmt;

/// The largest count of significant digits the service stores.
pub const MAX_DIGITS: usize = 38;

/// `value = 0.d1 d2 d3 ... x 10^exp`, digits without leading or trailing zeros; zero has no digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    digits: Vec<u8>,
    exp: i32,
}

/// Why text is not a storable number; the protocol layer words these as the service does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    Syntax,
    TooManyDigits,
    Overflow,
    Underflow,
}

impl NumberError {
    /// The service's message for this error (a syntax error is followed by `: <text>` where
    /// the text is known: [`NumberError::message_for`]).
    pub fn message(self) -> &'static str {
        match self {
            NumberError::Syntax => "The parameter cannot be converted to a numeric value",
            NumberError::TooManyDigits => {
                "Attempting to store more than 38 significant digits in a Number"
            }
            NumberError::Overflow => "Number overflow. Attempting to store a number with magnitude larger than supported range",
            NumberError::Underflow => "Number underflow. Attempting to store a number with magnitude smaller than supported range",
        }
    }
}

impl NumberError {
    /// The message for `text`: a syntax error names the text it could not read.
    pub fn message_for(self, text: &str) -> String {
        match self {
            NumberError::Syntax if !text.is_empty() => format!("{}: {text}", self.message()),
            _ => self.message().to_string(),
        }
    }
}

impl Number {
    pub fn zero() -> Self {
        Number {
            negative: false,
            digits: Vec::new(),
            exp: 0,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }
    pub fn is_negative(&self) -> bool {
        self.negative
    }
    /// Significant digits, each 0..=9, first and last non-zero.
    pub fn digits(&self) -> &[u8] {
        &self.digits
    }
    /// The exponent `e` in `0.d1d2.. x 10^e`; within [-129, 126] for a valid number.
    pub fn exponent(&self) -> i32 {
        self.exp
    }

    /// Parses and validates the wire text of a number (`-12.5E3`).
    pub fn parse(text: &str) -> Result<Number, NumberError> {
        let b = text.as_bytes();
        let mut i = 0;
        let mut negative = false;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            negative = b[i] == b'-';
            i += 1;
        }
        let mut mantissa: Vec<u8> = Vec::new();
        let mut point: Option<usize> = None;
        let mut saw_digit = false;
        while i < b.len() {
            match b[i] {
                c @ b'0'..=b'9' => {
                    saw_digit = true;
                    mantissa.push(c - b'0');
                }
                b'.' if point.is_none() => point = Some(mantissa.len()),
                _ => break,
            }
            i += 1;
        }
        if !saw_digit {
            return Err(NumberError::Syntax);
        }
        let mut exp10: i64 = 0;
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            let mut eneg = false;
            if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
                eneg = b[i] == b'-';
                i += 1;
            }
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                // Saturate: absurd exponents are overflow/underflow, not wrap-around.
                exp10 = (exp10 * 10 + (b[i] - b'0') as i64).min(1_000_000_000);
                i += 1;
            }
            if i == start {
                return Err(NumberError::Syntax);
            }
            if eneg {
                exp10 = -exp10;
            }
        }
        if i != b.len() {
            return Err(NumberError::Syntax);
        }
        let int_len = point.unwrap_or(mantissa.len()) as i64;
        let first = match mantissa.iter().position(|&d| d != 0) {
            Some(p) => p,
            None => return Ok(Number::zero()),
        };
        let last = mantissa.iter().rposition(|&d| d != 0).unwrap();
        let digits = mantissa[first..=last].to_vec();
        let exp = int_len - first as i64 + exp10;
        // The service's order: magnitude first, then precision.
        if exp > 126 {
            return Err(NumberError::Overflow);
        }
        if exp < -129 {
            return Err(NumberError::Underflow);
        }
        if digits.len() > MAX_DIGITS {
            return Err(NumberError::TooManyDigits);
        }
        Ok(Number {
            negative,
            digits,
            exp: exp as i32,
        })
    }

    /// Rebuilds a number from its parts as stored by the item codec (already validated once).
    pub fn from_parts(negative: bool, digits: Vec<u8>, exp: i32) -> Number {
        if digits.is_empty() {
            return Number::zero();
        }
        Number {
            negative,
            digits,
            exp,
        }
    }

    /// `self + other`, exact (the result may exceed the storable range: see [`Number::check`]).
    pub fn add(&self, other: &Number) -> Number {
        if self.is_zero() {
            return other.clone();
        }
        if other.is_zero() {
            return self.clone();
        }
        // Both as integers times 10^low, most significant digit first.
        let scale = |n: &Number| n.exp - n.digits.len() as i32;
        let low = scale(self).min(scale(other));
        let widen = |n: &Number| {
            let mut d = n.digits.clone();
            d.resize(d.len() + (scale(n) - low) as usize, 0);
            d
        };
        let (a, b) = (widen(self), widen(other));
        let (negative, magnitude) = if self.negative == other.negative {
            (self.negative, add_magnitudes(&a, &b))
        } else {
            match cmp_magnitudes(&a, &b) {
                Ordering::Equal => return Number::zero(),
                Ordering::Greater => (self.negative, sub_magnitudes(&a, &b)),
                Ordering::Less => (other.negative, sub_magnitudes(&b, &a)),
            }
        };
        let first = magnitude
            .iter()
            .position(|&d| d != 0)
            .unwrap_or(magnitude.len());
        let last = magnitude.iter().rposition(|&d| d != 0).unwrap_or(0);
        let digits = magnitude[first..=last].to_vec();
        let exp = low + (magnitude.len() - first) as i32;
        Number {
            negative,
            digits,
            exp,
        }
    }

    /// `self - other`, exact.
    pub fn sub(&self, other: &Number) -> Number {
        let mut neg = other.clone();
        if !neg.is_zero() {
            neg.negative = !neg.negative;
        }
        self.add(&neg)
    }

    /// Whether the number can be stored: 38 significant digits, magnitude in [1E-130, 1E+126).
    pub fn check(&self) -> Result<(), NumberError> {
        if !self.is_zero() && self.exp > 126 {
            Err(NumberError::Overflow)
        } else if !self.is_zero() && self.exp < -129 {
            Err(NumberError::Underflow)
        } else if self.digits.len() > MAX_DIGITS {
            Err(NumberError::TooManyDigits)
        } else {
            Ok(())
        }
    }

    /// Bytes this number counts towards an item's size: one per two significant digits, plus one.
    pub fn storage_size(&self) -> usize {
        self.digits.len().div_ceil(2) + 1
    }
}

fn cmp_magnitudes(a: &[u8], b: &[u8]) -> Ordering {
    let trim = |x: &[u8]| x.iter().position(|&d| d != 0).map_or(0, |p| x.len() - p);
    let (la, lb) = (trim(a), trim(b));
    la.cmp(&lb)
        .then_with(|| a[a.len() - la..].cmp(&b[b.len() - lb..]))
}

/// Sum of two big-endian digit strings.
fn add_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let n = a.len().max(b.len());
    let mut out = vec![0u8; n + 1];
    let mut carry = 0;
    for i in 0..n {
        let x = if i < a.len() { a[a.len() - 1 - i] } else { 0 };
        let y = if i < b.len() { b[b.len() - 1 - i] } else { 0 };
        let s = x + y + carry;
        out[n - i] = s % 10;
        carry = s / 10;
    }
    out[0] = carry;
    out
}

/// `a - b` for big-endian digit strings with a >= b.
fn sub_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i8;
    for i in 0..a.len() {
        let x = a[a.len() - 1 - i] as i8;
        let y = if i < b.len() {
            b[b.len() - 1 - i] as i8
        } else {
            0
        };
        let mut d = x - y - borrow;
        borrow = 0;
        if d < 0 {
            d += 10;
            borrow = 1;
        }
        out[a.len() - 1 - i] = d as u8;
    }
    out
}

impl From<u64> for Number {
    fn from(v: u64) -> Number {
        Number::parse(&v.to_string()).expect("an integer is a number")
    }
}

impl fmt::Display for Number {
    /// Plain notation without exponent or trailing zeros, as the service returns numbers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = Vec::with_capacity(self.digits.len() + 8);
        write_plain(self.negative, &self.digits, self.exp, &mut s);
        // Only ASCII digits, '-' and '.' were written.
        f.write_str(std::str::from_utf8(&s).unwrap_or_default())
    }
}

/// Appends the plain text of `0.digits x 10^exp` (the service's form: no exponent, no trailing
/// zeros). Shared by `Display` and the renderers that write stored numbers without a `Number`.
pub fn write_plain(negative: bool, digits: &[u8], exp: i32, out: &mut Vec<u8>) {
    if digits.is_empty() {
        out.push(b'0');
        return;
    }
    if negative {
        out.push(b'-');
    }
    let ascii = digits.iter().map(|d| b'0' + d);
    let n = digits.len() as i32;
    if exp <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-exp) as usize));
        out.extend(ascii);
    } else if exp >= n {
        out.extend(ascii);
        out.extend(std::iter::repeat_n(b'0', (exp - n) as usize));
    } else {
        let (int, frac) = digits.split_at(exp as usize);
        out.extend(int.iter().map(|d| b'0' + d));
        out.push(b'.');
        out.extend(frac.iter().map(|d| b'0' + d));
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        fn sign(n: &Number) -> i8 {
            if n.is_zero() {
                0
            } else if n.negative {
                -1
            } else {
                1
            }
        }
        let (a, b) = (sign(self), sign(other));
        if a != b || a == 0 {
            return a.cmp(&b);
        }
        let magnitude = self
            .exp
            .cmp(&other.exp)
            .then_with(|| self.digits.cmp(&other.digits));
        if a < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        Number::parse(s).unwrap().to_string()
    }

    // The service returns numbers in plain notation, stripped of redundant zeros.
    // Arithmetic is exact; the 38-digit and range checks apply to the result, as UpdateItem's.
    #[test]
    fn add_and_sub_are_exact() {
        let n = |s: &str| Number::parse(s).unwrap();
        assert_eq!(n("1.5").add(&n("2.25")).to_string(), "3.75");
        assert_eq!(n("1").sub(&n("1.5")).to_string(), "-0.5");
        assert_eq!(n("-3").add(&n("3")).to_string(), "0");
        assert_eq!(
            n("-1E-130").add(&n("1E+125")).check(),
            Err(NumberError::TooManyDigits)
        );
        let nines = "9".repeat(38);
        assert_eq!(
            n(&nines).add(&n("1")).to_string(),
            format!("1{}", "0".repeat(38))
        );
        assert_eq!(
            n("1E+20").add(&n("1E-20")).check(),
            Err(NumberError::TooManyDigits)
        );
        assert_eq!(
            n("1E-130").sub(&n("1.1E-130")).check(),
            Err(NumberError::Underflow)
        );
        assert_eq!(
            n("9E+125").add(&n("9E+125")).check(),
            Err(NumberError::Overflow)
        );
        assert_eq!(n("100").sub(&n("0.01")).to_string(), "99.99");
    }

    #[test]
    fn parse_normalises_to_plain_notation() {
        assert_eq!(canon("007"), "7");
        assert_eq!(canon("1.50"), "1.5");
        assert_eq!(canon("-0"), "0");
        assert_eq!(canon("1E2"), "100");
        assert_eq!(canon("12.5e-3"), "0.0125");
        assert_eq!(canon("-123.456"), "-123.456");
        assert_eq!(canon(".5"), "0.5");
    }

    // The limits are the service's: 38 digits, magnitude in [1E-130, 1E+126).
    #[test]
    fn parse_enforces_digit_and_exponent_limits() {
        assert_eq!(
            Number::parse(&"1".repeat(39)),
            Err(NumberError::TooManyDigits)
        );
        assert!(Number::parse(&"1".repeat(38)).is_ok());
        assert_eq!(Number::parse("1E126"), Err(NumberError::Overflow));
        assert!(Number::parse("9.9E125").is_ok());
        assert_eq!(Number::parse("1E-131"), Err(NumberError::Underflow));
        assert!(Number::parse("1E-130").is_ok());
        assert_eq!(Number::parse("abc"), Err(NumberError::Syntax));
        assert_eq!(Number::parse("1e"), Err(NumberError::Syntax));
        assert_eq!(Number::parse(""), Err(NumberError::Syntax));
        assert_eq!(Number::parse("--1"), Err(NumberError::Syntax));
    }

    #[test]
    fn numbers_order_numerically() {
        let v = [
            "-1e10", "-2", "-1.5", "-1e-130", "0", "1e-130", "0.5", "1", "1.01", "10", "1e125",
        ];
        for w in v.windows(2) {
            assert!(
                Number::parse(w[0]).unwrap() < Number::parse(w[1]).unwrap(),
                "{} < {}",
                w[0],
                w[1]
            );
        }
    }
}
