//! Pure byte formats shared by the wire and the engine: the binary item codec (`item`) that rows
//! are stored in and that `protocol::json` renders from directly, and the order-preserving key
//! codec (`key`) with the scan-order hash. No SQL and no JSON here: `storage` stores these bytes,
//! `engine` builds them, `protocol` reads them. `hex` is the lowercase hexadecimal every id and
//! digest is written in.
pub mod item;
pub mod key;

/// `bytes` in lowercase hexadecimal, two digits per byte.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_is_two_lowercase_digits_per_byte() {
        assert_eq!(super::hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(super::hex(&[]), "");
    }
}
