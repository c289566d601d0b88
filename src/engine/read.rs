//! Query and Scan pages: one ordered walk along a table's or an index's SQLite key, stopping at
//! `Limit` items or 1 MiB of data read, whichever comes first. Rows are handed to the caller one at
//! a time as stored (it decodes what it filters or projects, and writes the rest straight into the
//! response), so a page never holds more than it returns.
use super::keys::{self, stored_key};
use super::{decode_row, Engine};
use crate::codec::key::{
    encode_key_value, encode_partition, encode_partition_tuple, encode_tuple, escape_bytes,
    escape_component, hash_value, push_component, segment_range, HASH_LEN,
};
use crate::error::Result;
use crate::model::{AttributeValue, IndexDef, Item, TableMeta};
use crate::storage::{self, Bound};

/// A page stops once this much data has been read (the service's 1 MB).
pub const MAX_PAGE_BYTES: i64 = 1024 * 1024;

/// What a Query or Scan reads.
pub struct Read<'a> {
    /// None for the table itself.
    pub index: Option<&'a IndexDef>,
    pub mode: Mode,
    /// ExclusiveStartKey, already validated against the table/index key schema.
    pub start: Option<&'a Item>,
    pub limit: Option<usize>,
    /// Read each row's whole item from the table (an LSI read of attributes it does not project).
    pub fetch_base: bool,
    /// Bytes the page already read elsewhere (a PartiQL page walks several partitions): the
    /// 1 MiB cut counts them.
    pub spent: i64,
}

pub enum Mode {
    Query {
        partition: AttributeValue,
        sort: SortCond,
        forward: bool,
    },
    /// A Query of a GSI with a multi-attribute key: every partition key attribute's value, in
    /// KeySchema order, then equality on the first sort key attributes (`prefix`) and `sort` on
    /// the next one (`Any` when there is none).
    QueryTuple {
        partition: Vec<AttributeValue>,
        prefix: Vec<AttributeValue>,
        sort: SortCond,
        forward: bool,
    },
    /// `segment`: (Segment, TotalSegments) of a parallel scan.
    Scan { segment: Option<(u32, u32)> },
}

/// The condition of a Query on the sort key.
#[derive(Debug, Clone, PartialEq)]
pub enum SortCond {
    Any,
    Eq(AttributeValue),
    Lt(AttributeValue),
    Le(AttributeValue),
    Gt(AttributeValue),
    Ge(AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
    /// A range given by its encoded ends (PartiQL's combined sort key conditions).
    Range(SortBound, SortBound),
}

impl SortCond {
    /// Whether a sort key value lies in the range (ExclusiveStartKey checks).
    pub fn admits(&self, v: &AttributeValue) -> bool {
        let enc = encode_key_value(v);
        let e = encode_key_value;
        match self {
            SortCond::Any => true,
            SortCond::Eq(x) => enc == e(x),
            SortCond::Lt(x) => enc < e(x),
            SortCond::Le(x) => enc <= e(x),
            SortCond::Gt(x) => enc > e(x),
            SortCond::Ge(x) => enc >= e(x),
            SortCond::Between(a, b) => enc >= e(a) && enc <= e(b),
            SortCond::BeginsWith(p) => enc.starts_with(&e(p)),
            SortCond::Range(lo, hi) => {
                lo.as_ref()
                    .is_none_or(|(b, inc)| enc > *b || (*inc && enc == *b))
                    && hi
                        .as_ref()
                        .is_none_or(|(b, inc)| enc < *b || (*inc && enc == *b))
            }
        }
    }

    /// The (lower, upper) bounds of the range on the encoded sort key.
    pub fn bounds(&self) -> (SortBound, SortBound) {
        let e = encode_key_value;
        match self {
            SortCond::Any => (None, None),
            SortCond::Eq(x) => (Some((e(x), true)), Some((e(x), true))),
            SortCond::Lt(x) => (None, Some((e(x), false))),
            SortCond::Le(x) => (None, Some((e(x), true))),
            SortCond::Gt(x) => (Some((e(x), false)), None),
            SortCond::Ge(x) => (Some((e(x), true)), None),
            SortCond::Between(a, b) => (Some((e(a), true)), Some((e(b), true))),
            SortCond::BeginsWith(p) => {
                let lo = e(p);
                let hi = prefix_successor(&lo).map(|h| (h, false));
                (Some((lo, true)), hi)
            }
            SortCond::Range(lo, hi) => (lo.clone(), hi.clone()),
        }
    }
}

/// The bounds of a multi-attribute sort key range (the tuple encoding, `codec::key`): equality
/// on `prefix`, then `last` on the next component. Every tuple starting with the prefix's
/// components lies in [P, successor(P)); a condition on the next component narrows that to the
/// component's own encoding T (with its terminator): `< v` ends before T, `<= v` before the
/// successor of T (every tuple continuing T), and so on; `begins_with` is a byte prefix of the
/// escaped component, without its terminator.
fn tuple_bounds(prefix: &[AttributeValue], last: &SortCond) -> (SortBound, SortBound) {
    let p = encode_tuple(prefix);
    let with = |v: &AttributeValue| {
        let mut t = p.clone();
        push_component(&mut t, v);
        t
    };
    let after = |t: &[u8]| prefix_successor(t).map(|s| (s, false));
    let from = |t: Vec<u8>| Some((t, true));
    // The whole prefix: none on either side when there is no prefix.
    let (start, end) = match p.is_empty() {
        true => (None, None),
        false => (from(p.clone()), after(&p)),
    };
    match last {
        SortCond::Any => (start, end),
        SortCond::Eq(v) => {
            let t = with(v);
            let hi = after(&t);
            (from(t), hi)
        }
        SortCond::Lt(v) => (start, Some((with(v), false))),
        SortCond::Le(v) => (start, after(&with(v))),
        SortCond::Gt(v) => (after(&with(v)).map(|(t, _)| (t, true)), end),
        SortCond::Ge(v) => (from(with(v)), end),
        SortCond::Between(a, b) => (from(with(a)), after(&with(b))),
        SortCond::BeginsWith(v) => {
            let mut e = p.clone();
            e.extend(escape_component(v));
            let hi = after(&e);
            (from(e), hi)
        }
        // Ends given as plain encodings: each becomes the component it bounds.
        SortCond::Range(lo, hi) => {
            let whole = |enc: &[u8]| {
                let mut t = p.clone();
                t.extend(escape_bytes(enc));
                t.extend_from_slice(&[0, 0]);
                t
            };
            let lower = match lo {
                None => start,
                Some((v, true)) => from(whole(v)),
                Some((v, false)) => after(&whole(v)).map(|(t, _)| (t, true)),
            };
            let upper = match hi {
                None => end,
                Some((v, true)) => after(&whole(v)),
                Some((v, false)) => Some((whole(v), false)),
            };
            (lower, upper)
        }
    }
}

/// One end of a sort key range: the encoded value and whether it is inclusive.
pub type SortBound = Option<(Vec<u8>, bool)>;

/// The range both ranges hold (empty when they do not meet: the walk then finds nothing).
pub fn intersect(a: (SortBound, SortBound), b: (SortBound, SortBound)) -> (SortBound, SortBound) {
    // The tighter end: the higher lower bound, the lower upper bound; exclusive wins a tie.
    fn pick(x: SortBound, y: SortBound, want: std::cmp::Ordering) -> SortBound {
        match (x, y) {
            (None, o) | (o, None) => o,
            (Some((v, i)), Some((w, j))) => match v.cmp(&w) {
                o if o == want => Some((v, i)),
                std::cmp::Ordering::Equal => Some((v, i && j)),
                _ => Some((w, j)),
            },
        }
    }
    (
        pick(a.0, b.0, std::cmp::Ordering::Greater),
        pick(a.1, b.1, std::cmp::Ordering::Less),
    )
}

/// The smallest range holding both ranges.
pub fn hull(a: (SortBound, SortBound), b: (SortBound, SortBound)) -> (SortBound, SortBound) {
    // The looser end, absent if either is; inclusive wins a tie.
    fn pick(x: SortBound, y: SortBound, want: std::cmp::Ordering) -> SortBound {
        match (x, y) {
            (None, _) | (_, None) => None,
            (Some((v, i)), Some((w, j))) => match v.cmp(&w) {
                o if o == want => Some((v, i)),
                std::cmp::Ordering::Equal => Some((v, i || j)),
                _ => Some((w, j)),
            },
        }
    }
    (
        pick(a.0, b.0, std::cmp::Ordering::Less),
        pick(a.1, b.1, std::cmp::Ordering::Greater),
    )
}

/// The smallest byte string greater than every string starting with `prefix` (None: no bound).
fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut out = prefix.to_vec();
    while let Some(last) = out.pop() {
        if last < 0xFF {
            out.push(last + 1);
            return Some(out);
        }
    }
    None
}

/// Whether an item whose partition key is `hash_key` belongs to segment `segment` of `total`
/// (a parallel Scan's ExclusiveStartKey must lie inside the segment it continues).
pub fn in_segment(hash_key: &AttributeValue, segment: u32, total: u32) -> bool {
    in_segment_hash(&hash_value(hash_key), segment, total)
}

/// Whether a partition whose scan-order hash is `h` belongs to segment `segment` of `total`.
pub fn in_segment_hash(h: &[u8; HASH_LEN], segment: u32, total: u32) -> bool {
    let (lo, hi) = segment_range(segment, total);
    *h >= lo && hi.is_none_or(|hi| *h < hi)
}

/// What a page read, besides the items handed to the visitor.
#[derive(Debug, Default)]
pub struct Page {
    /// Rows read (ScannedCount).
    pub scanned: usize,
    /// The last row read when the page stopped early (Limit or 1 MiB): its LastEvaluatedKey is
    /// taken from it.
    pub last: Option<Item>,
    /// The page stopped at 1 MiB (not at Limit).
    pub by_size: bool,
    /// Another row follows the last one read (looked at, not read).
    pub more: bool,
    /// Sizes of the rows read (index entries for an index), summed (read capacity, 1 MiB).
    pub bytes: i64,
    /// Base items fetched from the table (an LSI read of unprojected attributes): the sum of
    /// their sizes rounded up to 4 KB each, in 4 KB blocks, as the table is charged per item.
    pub base_blocks: i64,
}

impl Engine {
    /// Reads one page, calling `visit` with each row's stored item (`decode_row`) in order.
    pub fn read_page(
        &self,
        meta: &TableMeta,
        read: &Read,
        visit: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<Page> {
        let start = read.start.map(|k| position(meta, read.index, k));
        let part = match &read.mode {
            Mode::Query { partition, .. } => Some(encode_partition(partition)),
            Mode::QueryTuple { partition, .. } => Some(match partition.as_slice() {
                [one] => encode_partition(one),
                many => encode_partition_tuple(&many.iter().collect::<Vec<_>>()),
            }),
            Mode::Scan { .. } => None,
        };
        let (lo, hi) = match &read.mode {
            Mode::Query { sort, .. } => sort.bounds(),
            // A single sort key attribute keeps the plain encoding (`keys::index_key`).
            Mode::QueryTuple { prefix, sort, .. } => match read.index {
                Some(ix) if !ix.key.more_range.is_empty() => tuple_bounds(prefix, sort),
                _ => sort.bounds(),
            },
            Mode::Scan { .. } => (None, None),
        };
        let segment = match &read.mode {
            Mode::Scan {
                segment: Some((s, t)),
            } => Some(segment_range(*s, *t)),
            _ => None,
        };
        let forward = !matches!(
            read.mode,
            Mode::Query { forward: false, .. } | Mode::QueryTuple { forward: false, .. }
        );
        let (mut lower_col, mut upper_col) = (lo, hi);
        // Tables and indexes alike are ordered by their partition's hash: a segment is a
        // range of the first column.
        if let Some((slo, shi)) = &segment {
            lower_col = Some((slo.to_vec(), true));
            upper_col = shi.map(|h| (h.to_vec(), false));
        }
        let skip = usize::from(part.is_some());
        let start_values: Option<Vec<&[u8]>> = start
            .as_ref()
            .map(|p| p.iter().skip(skip).map(Vec::as_slice).collect());
        fn as_bound(b: &SortBound) -> Bound<'_> {
            match b {
                Some((v, inc)) => Bound::Column(v, *inc),
                None => Bound::None,
            }
        }
        // The start position replaces the bound on its side: it lies inside the range (checked
        // by the caller), so the walk begins right after it.
        let (lower, upper) = match (start_values, forward) {
            (Some(p), true) => (Bound::Position(p), as_bound(&upper_col)),
            (Some(p), false) => (as_bound(&lower_col), Bound::Position(p)),
            (None, _) => (as_bound(&lower_col), as_bound(&upper_col)),
        };
        let range = storage::Range {
            table: meta.id,
            index: read.index.map(|i| i.name.as_str()),
            partition: part.as_deref(),
            lower,
            upper,
            descending: !forward,
        };
        let mut page = Page::default();
        // One snapshot for the whole page, base-item lookups included.
        self.store.read_snapshot(|tx| {
            storage::read_range(tx, &range, |row| {
                if page.last.is_some() {
                    // The page is full: this row only tells that more follow.
                    page.more = true;
                    return Ok(false);
                }
                let base;
                let item: &[u8] = if read.fetch_base {
                    match storage::get_item_with_size(tx, meta.id, &row.pk, &row.sk)? {
                        Some((bytes, size)) => {
                            page.base_blocks += (size.max(1) + 4095) / 4096;
                            base = bytes;
                            &base
                        }
                        None => return Ok(true),
                    }
                } else {
                    &row.item
                };
                page.scanned += 1;
                page.bytes += row.size;
                // The row that reaches 1 MiB is part of the page, as the service counts.
                let by_limit = read.limit.is_some_and(|l| page.scanned >= l);
                page.by_size = !by_limit && read.spent + page.bytes >= MAX_PAGE_BYTES;
                if by_limit || page.by_size {
                    page.last = Some(lek_source(meta, read.index, &decode_row(item)?));
                }
                visit(item)?;
                Ok(true)
            })?;
            Ok(())
        })?;
        Ok(page)
    }
}

/// The key attributes that make a LastEvaluatedKey: the table's, plus the index's.
fn lek_source(meta: &TableMeta, index: Option<&IndexDef>, item: &Item) -> Item {
    let mut out = keys::key_of(&meta.key, item);
    if let Some(ix) = index {
        out.extend(keys::key_of(&ix.key, item));
    }
    out
}

/// The stored position of a start key, column by column in the walk's order.
fn position(meta: &TableMeta, index: Option<&IndexDef>, key: &Item) -> Vec<Vec<u8>> {
    let base = stored_key(&meta.key, key);
    match index {
        None => vec![base.pk, base.sk],
        Some(ix) => {
            let ik = keys::index_key(&meta.key, ix, key).ok().flatten();
            let ik = ik.unwrap_or(keys::IndexKey {
                pk: Vec::new(),
                sk: Vec::new(),
                tie: Vec::new(),
            });
            vec![ik.pk, ik.sk, ik.tie, base.pk, base.sk]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Number;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }
    fn n(v: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(v).unwrap())
    }

    /// Whether an encoded key lies between two bounds.
    fn within(key: &[u8], (lo, hi): &(SortBound, SortBound)) -> bool {
        let above = match lo {
            None => true,
            Some((b, true)) => key >= b.as_slice(),
            Some((b, false)) => key > b.as_slice(),
        };
        let below = match hi {
            None => true,
            Some((b, true)) => key <= b.as_slice(),
            Some((b, false)) => key < b.as_slice(),
        };
        above && below
    }

    // The byte range of every prefix shape selects exactly the tuples the condition admits,
    // over components chosen to trip a naive encoding: strings that are prefixes of each other,
    // a string with a 0x00 byte, numbers whose digit strings are prefixes of each other.
    #[test]
    fn tuple_bounds_select_exactly_the_matching_tuples() {
        let firsts = [s("a"), s("a\0"), s("a\0b"), s("ab"), s("b")];
        let seconds = [
            n("-10"),
            n("-1"),
            n("0"),
            n("1"),
            n("1.5"),
            n("10"),
            n("15"),
        ];
        let thirds = [s(""), s("x"), s("xy"), s("y")];
        let mut tuples = Vec::new();
        for a in &firsts {
            for b in &seconds {
                for c in &thirds {
                    tuples.push([a.clone(), b.clone(), c.clone()]);
                }
            }
        }
        let conds = |values: &[AttributeValue]| {
            let mut out = vec![SortCond::Any];
            for v in values {
                out.extend([
                    SortCond::Eq(v.clone()),
                    SortCond::Lt(v.clone()),
                    SortCond::Le(v.clone()),
                    SortCond::Gt(v.clone()),
                    SortCond::Ge(v.clone()),
                ]);
                for w in values {
                    out.push(SortCond::Between(v.clone(), w.clone()));
                }
                if matches!(v, AttributeValue::S(_)) {
                    out.push(SortCond::BeginsWith(v.clone()));
                }
            }
            out
        };
        let domains: [&[AttributeValue]; 3] = [&firsts, &seconds, &thirds];
        let mut checked = 0;
        for depth in 0..3 {
            // Every prefix of that depth that some tuple has, then every condition on the next.
            let mut prefixes: Vec<Vec<AttributeValue>> =
                tuples.iter().map(|t| t[..depth].to_vec()).collect();
            prefixes.dedup();
            for prefix in &prefixes {
                for cond in conds(domains[depth]) {
                    let bounds = tuple_bounds(prefix, &cond);
                    for t in &tuples {
                        let expected = t[..depth]
                            .iter()
                            .zip(prefix)
                            .all(|(a, b)| encode_key_value(a) == encode_key_value(b))
                            && cond.admits(&t[depth]);
                        let got = within(&encode_tuple(t.iter()), &bounds);
                        assert_eq!(got, expected, "{prefix:?} then {cond:?} on {t:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 10_000, "{checked}");
    }

    fn b(v: &[u8], inclusive: bool) -> SortBound {
        Some((v.to_vec(), inclusive))
    }

    // PartiQL combines sort key conditions into one walk: AND narrows to the tighter ends
    // (exclusive wins a tie), OR widens to the looser ones (an open end stays open).
    #[test]
    fn ranges_intersect_and_widen() {
        let gt_b = (b(b"b", false), None);
        let le_d = (None, b(b"d", true));
        let ge_b_le_c = (b(b"b", true), b(b"c", true));
        assert_eq!(
            intersect(gt_b.clone(), le_d.clone()),
            (b(b"b", false), b(b"d", true))
        );
        assert_eq!(
            intersect(gt_b.clone(), ge_b_le_c.clone()),
            (b(b"b", false), b(b"c", true))
        );
        assert_eq!(hull(gt_b.clone(), le_d.clone()), (None, None));
        assert_eq!(
            hull(ge_b_le_c.clone(), (b(b"a", false), b(b"c", false))),
            (b(b"a", false), b(b"c", true))
        );
        let enc = |s: &str| AttributeValue::S(s.into());
        let key = |s: &str| encode_key_value(&enc(s));
        let range = SortCond::Range(b(&key("b"), false), b(&key("d"), true));
        assert!(!range.admits(&enc("b")));
        assert!(range.admits(&enc("c")));
        assert!(range.admits(&enc("d")));
        assert!(!range.admits(&enc("e")));
    }
}
