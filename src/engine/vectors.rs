//! Vector indexes and SearchVectors. Each item's vector is validated when the item is written and
//! stored beside it (`storage::vectors`, in the item's write transaction), so SQLite holds the
//! truth. A search runs over an in-memory copy of one index: its vectors in one contiguous f32
//! array (plus their norms, table keys, search partitions and inline filter values), kept up to
//! date by reading only the rows changed since the copy's `gen`. The search is exact: every
//! vector of the search partition that passes the inline filters is scored, the best TopK kept.
//!
//! Scores, as the model documents them: COSINE `1 - cos(q, v)` (0 identical .. 2 opposite,
//! smallest first; 1 when either vector is all zeros), EUCLIDEAN the distance (smallest first),
//! DOT_PRODUCT the dot product (largest first). Products and sums run in f32 (eight partial sums
//! per vector), the final formula in f64 (all of it in f64 when an f32 sum overflows). Equal scores are ordered by the items' positions in a
//! Scan of the table (its stored key order), so a search's answer never depends on write order.
//!
//! No JSON here; the wire's words for the errors come from the model's documentation (ops).
use super::keys::EncodedKey;
use super::{decode_row, Engine};
use crate::codec::item as codec;
use crate::codec::key::encode_key_value;
use crate::error::{Error, Result};
use crate::model::size::item_size;
use crate::model::{AttributeValue, Distance, Item, ProjectionType, TableMeta, VectorIndexDef};
use crate::storage::Tx;
use crate::storage::{self, vectors as rows};
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

/// The most dimensions a vector index takes (SearchVector's own bound in the service model).
pub const MAX_DIMENSIONS: usize = 4096;

fn invalid(msg: impl std::fmt::Display) -> Error {
    Error::validation(format!("One or more parameter values were invalid: {msg}"))
}

/// What one vector index holds of an item: its vector and the search schema's values.
#[derive(Debug, Clone)]
pub struct Entry {
    pub vec: Vec<f32>,
    /// The SearchSchema HASH value's encoding (empty without one).
    pub part: Vec<u8>,
    /// The INLINE_FILTER attributes the item has.
    pub filters: Item,
    /// The size of what the index holds for the item.
    pub size: i64,
}

/// A number as the nearest f32, or None when it does not fit one (beyond ±3.4028235E+38).
pub fn to_f32(n: &crate::model::Number) -> Option<f32> {
    let x: f64 = n.to_string().parse().ok()?;
    let f = x as f32;
    f.is_finite().then_some(f)
}

/// A vector attribute's value as f32 components, checked against the index: a list of numbers,
/// as many as the index's dimensions, each fitting an f32.
fn read_vector(ix: &VectorIndexDef, v: &AttributeValue) -> Result<Vec<f32>> {
    let AttributeValue::L(list) = v else {
        return Err(invalid(format!(
            "Type mismatch for vector attribute {} Expected: L Actual: {} IndexName: {}",
            ix.attribute,
            v.type_name(),
            ix.name
        )));
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, x) in list.iter().enumerate() {
        let AttributeValue::N(n) = x else {
            return Err(invalid(format!(
                "Vector attribute {} must be a list of numbers; element {i} is of type {} IndexName: {}",
                ix.attribute,
                x.type_name(),
                ix.name
            )));
        };
        let Some(f) = to_f32(n) else {
            return Err(invalid(format!(
                "Vector attribute {} element {i} value {n} does not fit in a 32-bit floating point number IndexName: {}",
                ix.attribute, ix.name
            )));
        };
        out.push(f);
    }
    if out.len() != ix.dimensions {
        return Err(invalid(format!(
            "Vector attribute {} has {} dimensions, but vector index {} has {} dimensions",
            ix.attribute,
            out.len(),
            ix.name,
            ix.dimensions
        )));
    }
    Ok(out)
}

/// The item's entry in a vector index, or None when it lacks the vector or the search
/// partition attribute. Every attribute of the index the item has is checked first, whether or
/// not the item ends up in the index (as for GSI keys).
pub fn entry(meta: &TableMeta, ix: &VectorIndexDef, item: &Item) -> Result<Option<Entry>> {
    let vec = match item.get(&ix.attribute) {
        Some(v) => Some(read_vector(ix, v)?),
        None => None,
    };
    let mut part = Vec::new();
    let mut complete = vec.is_some();
    for (attr, is_partition) in ix
        .partition
        .iter()
        .map(|a| (a, true))
        .chain(ix.filters.iter().map(|a| (a, false)))
    {
        match item.get(&attr.name) {
            Some(v) => {
                if v.scalar_type() != Some(attr.ty.scalar()) {
                    return Err(invalid(format!(
                        "Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                        attr.name,
                        attr.ty.as_str(),
                        v.type_name(),
                        ix.name
                    )));
                }
                let empty = matches!(v, AttributeValue::S(s) if s.is_empty())
                    || matches!(v, AttributeValue::B(b) if b.is_empty());
                if empty && is_partition {
                    return Err(Error::validation(format!(
                        "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {} value. IndexName: {}, IndexKey: {}",
                        if matches!(v, AttributeValue::S(_)) { "string" } else { "binary" },
                        ix.name,
                        attr.name
                    )));
                }
                if is_partition {
                    part = encode_key_value(v);
                }
            }
            None if is_partition => complete = false,
            None => {}
        }
    }
    let Some(vec) = vec.filter(|_| complete) else {
        return Ok(None);
    };
    let filters = ix
        .filters
        .iter()
        .filter_map(|a| item.get(&a.name).map(|v| (a.name.clone(), v.clone())))
        .collect();
    let size = item_size(&project(meta, ix, item)) as i64;
    Ok(Some(Entry {
        vec,
        part,
        filters,
        size,
    }))
}

/// What a vector index holds of an item: the table key, the vector, the search schema's
/// attributes and the projection's.
pub fn project(meta: &TableMeta, ix: &VectorIndexDef, item: &Item) -> Item {
    if ix.projection.ty == ProjectionType::All {
        return item.clone();
    }
    item.iter()
        .filter(|(name, _)| meta.key.contains(name) || ix.projects(name))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The entries of every vector index of the table for `item` (validating it), in index order.
pub fn entries(meta: &TableMeta, item: &Item) -> Result<Vec<Option<Entry>>> {
    meta.vector_indexes
        .iter()
        .map(|ix| entry(meta, ix, item))
        .collect()
}

fn vec_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Writes an item's rows of every vector index (None: the item is not, or no longer, in it).
pub fn write(tx: &Tx, meta: &TableMeta, key: &EncodedKey, entries: &[Option<Entry>]) -> Result<()> {
    for (ix, e) in meta.vector_indexes.iter().zip(entries) {
        match e {
            Some(e) => rows::put(
                tx,
                meta.id,
                &rows::VectorRow {
                    index: &ix.name,
                    pk: &key.pk,
                    sk: &key.sk,
                    part: &e.part,
                    filters: &codec::encode_item(&e.filters),
                    vec: &vec_bytes(&e.vec),
                    size: e.size,
                },
            )?,
            None => rows::remove(tx, meta.id, &ix.name, &key.pk, &key.sk)?,
        }
    }
    Ok(())
}

/// Removes a deleted item from every vector index.
pub fn remove(tx: &Tx, meta: &TableMeta, key: &EncodedKey) -> Result<()> {
    for ix in &meta.vector_indexes {
        rows::remove(tx, meta.id, &ix.name, &key.pk, &key.sk)?;
    }
    Ok(())
}

/// Fills new vector indexes from the table's items; an item whose attributes do not fit an index
/// is left out of it.
pub fn backfill(tx: &Tx, meta: &TableMeta, added: &[VectorIndexDef]) -> Result<()> {
    let mut writes: Vec<(EncodedKey, Vec<Option<Entry>>)> = Vec::new();
    storage::for_each_item(tx, meta.id, |pk, sk, bytes| {
        let item = decode_row(bytes)?;
        let es = added
            .iter()
            .map(|ix| entry(meta, ix, &item).ok().flatten())
            .collect();
        writes.push((
            EncodedKey {
                pk: pk.to_vec(),
                sk: sk.to_vec(),
            },
            es,
        ));
        Ok(())
    })?;
    let only_added = TableMeta {
        vector_indexes: added.to_vec(),
        ..meta.clone()
    };
    for (key, es) in writes {
        write(tx, &only_added, &key, &es)?;
    }
    Ok(())
}

// ---- the in-memory copies ----------------------------------------------------------------------

/// One index's vectors in memory, as of the table's (`epoch`, `gen`).
#[derive(Default)]
struct VectorSet {
    loaded: bool,
    epoch: i64,
    gen: i64,
    dims: usize,
    /// Row i's vector is `data[i * dims..(i + 1) * dims]`.
    data: Vec<f32>,
    /// Row i's Euclidean norm (COSINE).
    norms: Vec<f64>,
    keys: Vec<(Vec<u8>, Vec<u8>)>,
    /// Row i's search partition, as an id of `part_ids`.
    parts: Vec<u32>,
    part_ids: HashMap<Vec<u8>, u32>,
    /// Row i's inline filter values, in the index's filter order.
    filters: Vec<Vec<Option<AttributeValue>>>,
    slots: HashMap<(Vec<u8>, Vec<u8>), usize>,
}

impl VectorSet {
    fn clear(&mut self, dims: usize) {
        *self = VectorSet {
            dims,
            ..VectorSet::default()
        };
    }

    fn apply(
        &mut self,
        ix: &VectorIndexDef,
        pk: &[u8],
        sk: &[u8],
        part: &[u8],
        filters: &[u8],
        vec: Option<&[u8]>,
    ) -> Result<()> {
        let key = (pk.to_vec(), sk.to_vec());
        let Some(vec) = vec else {
            if let Some(i) = self.slots.remove(&key) {
                self.swap_remove(i);
            }
            return Ok(());
        };
        let values: Vec<f32> = vec
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if values.len() != self.dims {
            return Err(Error::internal(format!(
                "vector index {}: a stored vector of {} dimensions",
                ix.name,
                values.len()
            )));
        }
        let filter_item = codec::decode_item(filters)?;
        let filter_values = ix
            .filters
            .iter()
            .map(|a| filter_item.get(&a.name).cloned())
            .collect();
        let next = self.part_ids.len() as u32;
        let part = *self.part_ids.entry(part.to_vec()).or_insert(next);
        let norm = norm(&values);
        match self.slots.get(&key) {
            Some(&i) => {
                self.data[i * self.dims..(i + 1) * self.dims].copy_from_slice(&values);
                self.norms[i] = norm;
                self.parts[i] = part;
                self.filters[i] = filter_values;
            }
            None => {
                self.slots.insert(key.clone(), self.keys.len());
                self.data.extend_from_slice(&values);
                self.norms.push(norm);
                self.keys.push(key);
                self.parts.push(part);
                self.filters.push(filter_values);
            }
        }
        Ok(())
    }

    /// Removes row i, moving the last row into its place (the array stays contiguous).
    fn swap_remove(&mut self, i: usize) {
        let last = self.keys.len() - 1;
        if i != last {
            let (head, tail) = self.data.split_at_mut(last * self.dims);
            head[i * self.dims..(i + 1) * self.dims].copy_from_slice(&tail[..self.dims]);
            self.slots.insert(self.keys[last].clone(), i);
        }
        self.data.truncate(last * self.dims);
        self.norms.swap_remove(i);
        self.keys.swap_remove(i);
        self.parts.swap_remove(i);
        self.filters.swap_remove(i);
    }
}

/// One index's copy, shared by the searches that refresh and read it.
type SharedSet = Arc<RwLock<VectorSet>>;

/// The in-memory copies of every vector index searched so far, by (table id, index name).
#[derive(Default)]
pub struct VectorCache {
    sets: Mutex<HashMap<(i64, String), SharedSet>>,
}

impl VectorCache {
    fn set(&self, table: i64, index: &str) -> SharedSet {
        self.sets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((table, index.to_string()))
            .or_default()
            .clone()
    }

    /// Forgets every copy (a snapshot restore replaced the database under them).
    pub fn clear(&self) {
        self.sets.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Forgets a table's copies (the table or one of its indexes is gone).
    pub fn forget(&self, table: i64, index: Option<&str>) {
        self.sets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(t, i), _| *t != table || index.is_some_and(|n| n != i));
    }
}

// ---- search ----------------------------------------------------------------------------------------

/// What a search asks: the query vector, the partition (the SearchSchema HASH value) and the
/// inline filters' required values, how many results.
pub struct Search<'a> {
    pub vector: &'a [f32],
    pub partition: Option<&'a AttributeValue>,
    pub filters: &'a [(String, AttributeValue)],
    pub top_k: usize,
}

/// A search's answer: each result's score and stored item (the table's row, in ranking order),
/// and how many vectors were compared.
pub struct Found {
    pub results: Vec<(f64, Vec<u8>)>,
    pub compared: usize,
}

/// A candidate in the running TopK: its ranking key (smaller is better) and row.
struct Candidate {
    rank: f64,
    key: (Vec<u8>, Vec<u8>),
}

impl PartialEq for Candidate {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == std::cmp::Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Candidate {
    /// Worse candidates are greater: the heap's top is the one to drop first.
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.rank
            .total_cmp(&o.rank)
            .then_with(|| self.key.cmp(&o.key))
    }
}

/// Dot product and squared distance in f32 with eight partial sums (vectorizable).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for j in 0..8 {
            acc[j] += x[j] * y[j];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for j in 0..8 {
            let d = x[j] - y[j];
            acc[j] += d * d;
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| (x - y) * (x - y)).sum();
    acc.iter().sum::<f32>() + tail
}

/// The score of `v` against `q` by the index's distance (`q_norm`: |q|, `v_norm`: |v|). Sums run
/// in f32; when one overflows (components near the f32 range), the score is taken again in f64.
pub fn score(distance: Distance, q: &[f32], q_norm: f64, v: &[f32], v_norm: f64) -> f64 {
    let fast = match distance {
        Distance::DotProduct => dot(q, v) as f64,
        Distance::Euclidean => (squared_distance(q, v) as f64).sqrt(),
        Distance::Cosine => {
            if q_norm == 0.0 || v_norm == 0.0 {
                return 1.0;
            }
            (1.0 - dot(q, v) as f64 / (q_norm * v_norm)).clamp(0.0, 2.0)
        }
    };
    if fast.is_finite() && q_norm.is_finite() && v_norm.is_finite() {
        return fast;
    }
    let wide = |x: &[f32]| x.iter().map(|&a| a as f64).collect::<Vec<f64>>();
    let (q, v) = (wide(q), wide(v));
    let dot: f64 = q.iter().zip(&v).map(|(a, b)| a * b).sum();
    match distance {
        Distance::DotProduct => dot,
        Distance::Euclidean => q
            .iter()
            .zip(&v)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt(),
        Distance::Cosine => {
            let n = |x: &[f64]| x.iter().map(|a| a * a).sum::<f64>().sqrt();
            let (qn, vn) = (n(&q), n(&v));
            if qn == 0.0 || vn == 0.0 {
                return 1.0;
            }
            (1.0 - dot / (qn * vn)).clamp(0.0, 2.0)
        }
    }
}

/// A vector's Euclidean norm, as the scores use it.
pub fn norm(v: &[f32]) -> f64 {
    (v.iter().map(|x| x * x).sum::<f32>() as f64).sqrt()
}

impl Engine {
    /// Runs a SearchVectors: refreshes the index's in-memory copy to the latest committed
    /// state, scores every vector of the partition that passes the filters, keeps the TopK and
    /// reads their items from the table.
    pub fn search_vectors(
        &self,
        meta: &TableMeta,
        ix: &VectorIndexDef,
        search: &Search,
    ) -> Result<Found> {
        let set = self.vectors.set(meta.id, &ix.name);
        self.store.read_snapshot(|conn| {
            let (epoch, gen) = rows::state(conn, meta.id)?;
            let stale = {
                let s = set.read().unwrap_or_else(|p| p.into_inner());
                !s.loaded || s.epoch != epoch || s.gen < gen
            };
            if stale {
                let mut s = set.write().unwrap_or_else(|p| p.into_inner());
                let since = match s.loaded && s.epoch == epoch {
                    true if s.gen >= gen => None,
                    true => Some(Some(s.gen)),
                    false => {
                        s.clear(ix.dimensions);
                        Some(None)
                    }
                };
                if let Some(since) = since {
                    rows::rows_since(conn, meta.id, &ix.name, since, |pk, sk, p, f, v| {
                        s.apply(ix, pk, sk, p, f, v)
                    })?;
                    s.loaded = true;
                    s.epoch = epoch;
                    s.gen = gen;
                }
            }
            let s = set.read().unwrap_or_else(|p| p.into_inner());
            let (ranked, compared) = rank(&s, ix, search);
            let mut results = Vec::with_capacity(ranked.len());
            for c in ranked {
                // An item written after this snapshot's copy was refreshed may be gone here.
                if let Some(bytes) = storage::get_item(conn, meta.id, &c.key.0, &c.key.1)? {
                    let score = match ix.distance {
                        Distance::DotProduct => -c.rank,
                        _ => c.rank,
                    };
                    results.push((score, bytes));
                }
            }
            Ok(Found { results, compared })
        })
    }
}

/// Below this many components (rows × dimensions) one thread scans the whole copy.
const PARALLEL_COMPONENTS: usize = 4 << 20;

/// The TopK of a copy for a search, best first, and how many vectors were compared. A large
/// copy is cut into one slice of rows per core, each ranked on its own thread, the slices'
/// TopKs merged by the same order (so the answer is the same whatever the cut).
fn rank(s: &VectorSet, ix: &VectorIndexDef, search: &Search) -> (Vec<Candidate>, usize) {
    let part = match search.partition {
        Some(v) => match s.part_ids.get(&encode_key_value(v)) {
            Some(id) => Some(*id),
            // No vector in that partition.
            None => return (Vec::new(), 0),
        },
        None => None,
    };
    let filters: Vec<(usize, &AttributeValue)> = search
        .filters
        .iter()
        .filter_map(|(name, v)| {
            ix.filters
                .iter()
                .position(|a| a.name == *name)
                .map(|i| (i, v))
        })
        .collect();
    let rows = s.keys.len();
    let threads = match rows * s.dims.max(1) >= PARALLEL_COMPONENTS {
        true => std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8),
        false => 1,
    };
    let ctx = RankCtx {
        s,
        ix,
        q: search.vector,
        q_norm: norm(search.vector),
        part,
        filters: &filters,
        top_k: search.top_k,
    };
    if threads <= 1 {
        let (heap, compared) = ctx.rank_rows(0..rows);
        return (heap.into_sorted_vec(), compared);
    }
    let chunk = rows.div_ceil(threads);
    let parts: Vec<(BinaryHeap<Candidate>, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let ctx = &ctx;
                let range = (t * chunk).min(rows)..((t + 1) * chunk).min(rows);
                scope.spawn(move || ctx.rank_rows(range))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| (BinaryHeap::new(), 0)))
            .collect()
    });
    let compared = parts.iter().map(|(_, c)| c).sum();
    let mut all: Vec<Candidate> = parts.into_iter().flat_map(|(h, _)| h.into_vec()).collect();
    all.sort();
    all.truncate(search.top_k);
    (all, compared)
}

/// What ranking a slice of a copy needs.
struct RankCtx<'a> {
    s: &'a VectorSet,
    ix: &'a VectorIndexDef,
    q: &'a [f32],
    q_norm: f64,
    part: Option<u32>,
    filters: &'a [(usize, &'a AttributeValue)],
    top_k: usize,
}

impl RankCtx<'_> {
    /// The TopK of rows `range` (a heap, worst on top) and how many were compared.
    fn rank_rows(&self, range: std::ops::Range<usize>) -> (BinaryHeap<Candidate>, usize) {
        let (s, dims) = (self.s, self.s.dims.max(1));
        let mut heap: BinaryHeap<Candidate> =
            BinaryHeap::with_capacity(self.top_k.min(range.len()) + 1);
        let mut compared = 0;
        for i in range {
            if self.part.is_some_and(|p| s.parts[i] != p) {
                continue;
            }
            if !self
                .filters
                .iter()
                .all(|(f, want)| s.filters[i][*f].as_ref() == Some(*want))
            {
                continue;
            }
            compared += 1;
            let v = &s.data[i * dims..(i + 1) * dims];
            let sc = score(self.ix.distance, self.q, self.q_norm, v, s.norms[i]);
            let rank = match self.ix.distance {
                Distance::DotProduct => -sc,
                _ => sc,
            };
            if heap.len() == self.top_k {
                let worst = heap.peek().expect("a full heap");
                let better = match rank.total_cmp(&worst.rank) {
                    std::cmp::Ordering::Less => true,
                    std::cmp::Ordering::Equal => s.keys[i] < worst.key,
                    std::cmp::Ordering::Greater => false,
                };
                if !better {
                    continue;
                }
                heap.pop();
            }
            heap.push(Candidate {
                rank,
                key: s.keys[i].clone(),
            });
        }
        (heap, compared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Components near the f32 limit overflow f32 sums: the score is still a number (a JSON
    // answer cannot hold NaN or infinity), taken in f64.
    #[test]
    fn scores_stay_finite_near_the_f32_range() {
        let big = [3.4e38f32, 0.0, 3.4e38];
        let one = [1.0f32, 0.0, 1.0];
        for d in [Distance::Cosine, Distance::Euclidean, Distance::DotProduct] {
            let s = score(d, &one, norm(&one), &big, norm(&big));
            assert!(s.is_finite(), "{d:?}: {s}");
        }
        let s = score(Distance::Cosine, &one, norm(&one), &big, norm(&big));
        assert!(s.abs() < 1e-9, "same direction: {s}");
    }

    // A copy large enough to be ranked on several threads gives the answer one thread gives:
    // the same items, scores and order, ties (many equal vectors) included.
    #[test]
    fn parallel_ranking_equals_one_thread() {
        use crate::model::{KeyAttr, Projection};
        let dims = 768;
        let rows = PARALLEL_COMPONENTS / dims + 500;
        let mut s = VectorSet {
            dims,
            ..VectorSet::default()
        };
        let mut x: u64 = 18;
        for r in 0..rows {
            for _ in 0..dims {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                // Few distinct values: many exact ties.
                s.data.push(((x >> 61) as f32) - 3.0);
            }
            let v = &s.data[r * dims..];
            s.norms.push(norm(&v[..dims]));
            s.keys
                .push((format!("{:08}", (r * 7919) % rows).into_bytes(), Vec::new()));
            s.parts.push(0);
            s.filters.push(Vec::new());
        }
        for distance in [Distance::Cosine, Distance::Euclidean, Distance::DotProduct] {
            let ix = VectorIndexDef {
                name: "v".into(),
                attribute: "e".into(),
                dimensions: dims,
                distance,
                partition: None::<KeyAttr>,
                filters: Vec::new(),
                search_schema: Vec::new(),
                projection: Projection {
                    ty: ProjectionType::KeysOnly,
                    non_key_attributes: None,
                },
                status: "ACTIVE".into(),
                backfilling: false,
            };
            let q: Vec<f32> = (0..dims).map(|i| (i % 5) as f32 - 2.0).collect();
            let search = Search {
                vector: &q,
                partition: None,
                filters: &[],
                top_k: 25,
            };
            let (parallel, compared) = rank(&s, &ix, &search);
            let ctx = RankCtx {
                s: &s,
                ix: &ix,
                q: &q,
                q_norm: norm(&q),
                part: None,
                filters: &[],
                top_k: 25,
            };
            let (heap, one_compared) = ctx.rank_rows(0..rows);
            let one = heap.into_sorted_vec();
            assert_eq!(compared, one_compared);
            let view = |c: &[Candidate]| {
                c.iter()
                    .map(|c| (c.rank, c.key.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(view(&parallel), view(&one), "{distance:?}");
        }
    }

    // The eight-lane sums agree with a plain sum on lengths around the lane width (the
    // remainder path included).
    #[test]
    fn lane_sums_match_plain_sums() {
        for len in [1usize, 7, 8, 9, 13, 16, 17] {
            let a: Vec<f32> = (0..len).map(|i| (i as f32) - 3.0).collect();
            let b: Vec<f32> = (0..len).map(|i| 2.0 - (i as f32) * 0.5).collect();
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert_eq!(dot(&a, &b), plain, "{len}");
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| (x - y) * (x - y)).sum();
            assert_eq!(squared_distance(&a, &b), plain, "{len}");
        }
    }
}
