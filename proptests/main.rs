//! Property tests. Key order: the storage encoding must order every pair of keys exactly as
//! DynamoDB orders the values (numbers numerically, strings and binaries bytewise), including
//! when SQLite itself sorts the encoded BLOBs. Expressions, paging, multi-attribute GSI keys,
//! streams, transactions and batches, vector search, and capacity (provisioned throughput under
//! random workloads) have their own files.
use awsim::codec::key::{encode_key_value, encode_number};
use awsim::model::{AttributeValue, Number};
mod capacity;
mod expressions;
mod global_tables;
mod multikey;
mod paging;
mod partiql;
mod streams;
mod transactions;
mod vectors;

use proptest::prelude::*;
use std::cmp::Ordering;

/// A number as sign * mantissa * 10^exp, small enough that exact comparison fits in i128.
#[derive(Debug, Clone)]
struct Exact {
    mantissa: i64,
    exp: i32,
}

impl Exact {
    fn text(&self) -> String {
        format!("{}E{}", self.mantissa, self.exp)
    }
    /// Reference order: scale both to the smaller exponent and compare integers.
    fn cmp(&self, other: &Exact) -> Ordering {
        let e = self.exp.min(other.exp);
        let a = self.mantissa as i128 * 10i128.pow((self.exp - e) as u32);
        let b = other.mantissa as i128 * 10i128.pow((other.exp - e) as u32);
        a.cmp(&b)
    }
}

fn exact() -> impl Strategy<Value = Exact> {
    (-999_999_999i64..=999_999_999, -12i32..=12).prop_map(|(mantissa, exp)| Exact { mantissa, exp })
}

proptest! {
    #[test]
    fn number_encoding_orders_numerically(a in exact(), b in exact()) {
        let ea = encode_number(&Number::parse(&a.text()).unwrap());
        let eb = encode_number(&Number::parse(&b.text()).unwrap());
        prop_assert_eq!(ea.cmp(&eb), a.cmp(&b), "{} vs {}", a.text(), b.text());
    }

    #[test]
    fn string_and_binary_encodings_order_bytewise(a in ".{0,12}", b in ".{0,12}", x in proptest::collection::vec(any::<u8>(), 0..12), y in proptest::collection::vec(any::<u8>(), 0..12)) {
        let (ea, eb) = (encode_key_value(&AttributeValue::S(a.clone())), encode_key_value(&AttributeValue::S(b.clone())));
        prop_assert_eq!(ea.cmp(&eb), a.as_bytes().cmp(b.as_bytes()));
        let (ex, ey) = (encode_key_value(&AttributeValue::B(x.clone())), encode_key_value(&AttributeValue::B(y.clone())));
        prop_assert_eq!(ex.cmp(&ey), x.cmp(&y));
    }

    // SQLite compares BLOBs with memcmp; prove its ORDER BY agrees with the numeric order.
    #[test]
    fn sqlite_orders_encoded_numbers_numerically(values in proptest::collection::vec(exact(), 1..40)) {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute("CREATE TABLE t (k BLOB, i INTEGER)", []).unwrap();
        for (i, v) in values.iter().enumerate() {
            conn.execute("INSERT INTO t VALUES (?1, ?2)", rusqlite::params![encode_number(&Number::parse(&v.text()).unwrap()), i as i64]).unwrap();
        }
        let mut stmt = conn.prepare("SELECT i FROM t ORDER BY k, i").unwrap();
        let got: Vec<usize> = stmt.query_map([], |r| r.get::<_, i64>(0)).unwrap().map(|r| r.unwrap() as usize).collect();
        let mut want: Vec<usize> = (0..values.len()).collect();
        want.sort_by(|&x, &y| values[x].cmp(&values[y]).then(x.cmp(&y)));
        // Equal numbers may come in either order: compare the sequences of values instead.
        let g: Vec<String> = got.iter().map(|&i| Number::parse(&values[i].text()).unwrap().to_string()).collect();
        let w: Vec<String> = want.iter().map(|&i| Number::parse(&values[i].text()).unwrap().to_string()).collect();
        prop_assert_eq!(g, w);
    }
}

// The extremes of the service's range, which random small numbers never reach.
#[test]
fn extreme_numbers_keep_their_order() {
    let v = [
        "-9.9999999999999999999999999999999999999E+125",
        "-1E-130",
        "0",
        "1E-130",
        "0.1",
        "1E+125",
        "9.9999999999999999999999999999999999999E+125",
    ];
    for w in v.windows(2) {
        assert!(
            encode_number(&Number::parse(w[0]).unwrap())
                < encode_number(&Number::parse(w[1]).unwrap()),
            "{} < {}",
            w[0],
            w[1]
        );
    }
}
