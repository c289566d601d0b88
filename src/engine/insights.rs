//! Contributor insights from real traffic: while UpdateContributorInsights has them enabled on
//! a table or a GSI, every item a request touches there is counted by its partition key and by
//! its partition and sort key, as accessed or as throttled, in one-minute slots over a sliding
//! window (the last hour). `GET /_awsim/insights/<table>` reports the top keys (README).
//!
//! A table without contributor insights costs one check of its metadata per request; the
//! counts live in memory only (the enabled state itself is table metadata, persisted), and are
//! bounded: at most `MAX_KEYS_PER_SLOT` distinct keys per slot and target, further new keys in
//! that minute are left uncounted.
use super::Engine;
use crate::codec::key::encode_key_value;
use crate::model::{AttributeValue, IndexDef, Item, KeySchema, TableMeta};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Seconds per slot.
pub const SLOT_SECONDS: f64 = 60.0;

/// Slots kept: the sliding window is this many minutes.
pub const WINDOW_SLOTS: usize = 60;

/// Distinct keys one slot counts per target (and per rule family).
pub const MAX_KEYS_PER_SLOT: usize = 10_000;

/// The mode that counts throttled requests only.
pub const THROTTLED_KEYS: &str = "THROTTLED_KEYS";

/// A table incarnation (id, creation time) and one of its GSIs, or the table itself.
type Target = (i64, u64, Option<String>);

#[derive(Default)]
pub struct Insights {
    /// Taken only by requests on tables with contributor insights enabled.
    targets: Mutex<HashMap<Target, VecDeque<Slot>>>,
}

struct Slot {
    minute: i64,
    partitions: HashMap<Vec<u8>, Entry>,
    items: HashMap<Vec<u8>, Entry>,
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    partition: AttributeValue,
    sort: Option<AttributeValue>,
    accessed: u64,
    throttled: u64,
}

/// One key's counts over the window.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyCount {
    pub partition: AttributeValue,
    /// None in the partition-key rankings and for a schema without a sort key.
    pub sort: Option<AttributeValue>,
    pub count: u64,
}

/// What insights counted for a table or one of its GSIs over the window.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    pub accessed_partitions: Vec<KeyCount>,
    pub accessed_items: Vec<KeyCount>,
    pub throttled_partitions: Vec<KeyCount>,
    pub throttled_items: Vec<KeyCount>,
}

/// The bytes a key is counted under: each present part's encoding, length-prefixed.
fn count_key(parts: &[Option<&AttributeValue>]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts.iter().flatten() {
        let enc = encode_key_value(p);
        out.extend_from_slice(&(enc.len() as u32).to_be_bytes());
        out.extend_from_slice(&enc);
    }
    out
}

fn bump(
    map: &mut HashMap<Vec<u8>, Entry>,
    key: Vec<u8>,
    partition: &AttributeValue,
    sort: Option<&AttributeValue>,
    throttled: bool,
) {
    let len = map.len();
    let entry = match map.get_mut(&key) {
        Some(e) => e,
        None if len >= MAX_KEYS_PER_SLOT => return,
        None => map.entry(key).or_insert_with(|| Entry {
            partition: partition.clone(),
            sort: sort.cloned(),
            accessed: 0,
            throttled: 0,
        }),
    };
    if throttled {
        entry.throttled += 1;
    } else {
        entry.accessed += 1;
    }
}

impl Engine {
    /// Whether contributor insights count anything on this table (one check per request).
    pub fn insights_on(&self, meta: &TableMeta) -> bool {
        meta.contributor_insights.iter().any(|c| c.enabled)
    }

    /// Counts one item touched by a request on the table (`index` None) or a GSI, from any
    /// item or key holding that schema's key attributes; `throttled` when the request was
    /// refused for capacity. Nothing happens unless insights are enabled there (and, in
    /// THROTTLED_KEYS mode, only throttled requests count).
    pub fn record_key(
        &self,
        meta: &TableMeta,
        index: Option<&IndexDef>,
        item: &Item,
        throttled: bool,
    ) {
        let Some(ci) = meta.insights(index.map(|i| i.name.as_str())) else {
            return;
        };
        if !throttled && ci.mode == THROTTLED_KEYS {
            return;
        }
        let schema: &KeySchema = index.map_or(&meta.key, |i| &i.key);
        let Some(partition) = item.get(&schema.hash.name) else {
            return;
        };
        let sort = schema.range.as_ref().and_then(|r| item.get(&r.name));
        let target = (
            meta.id,
            meta.created.to_bits(),
            index.map(|i| i.name.clone()),
        );
        let minute = (self.now() / SLOT_SECONDS).floor() as i64;
        let mut targets = self
            .insights
            .targets
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let slots = targets.entry(target).or_default();
        if slots.back().is_none_or(|s| s.minute != minute) {
            slots.push_back(Slot {
                minute,
                partitions: HashMap::new(),
                items: HashMap::new(),
            });
        }
        while slots
            .front()
            .is_some_and(|s| s.minute <= minute - WINDOW_SLOTS as i64)
        {
            slots.pop_front();
        }
        let Some(slot) = slots.back_mut() else {
            return;
        };
        bump(
            &mut slot.partitions,
            count_key(&[Some(partition)]),
            partition,
            None,
            throttled,
        );
        if sort.is_some() {
            bump(
                &mut slot.items,
                count_key(&[Some(partition), sort]),
                partition,
                sort,
                throttled,
            );
        }
    }

    /// The top `top` keys of each ranking for the table (`index` None) or a GSI, over the last
    /// `minutes` minutes (at most the window).
    pub fn insights_report(
        &self,
        meta: &TableMeta,
        index: Option<&str>,
        minutes: usize,
        top: usize,
    ) -> Report {
        let target = (meta.id, meta.created.to_bits(), index.map(String::from));
        let now_minute = (self.now() / SLOT_SECONDS).floor() as i64;
        let since = now_minute - minutes.clamp(1, WINDOW_SLOTS) as i64;
        let targets = self
            .insights
            .targets
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let Some(slots) = targets.get(&target) else {
            return Report::default();
        };
        let mut partitions: HashMap<&[u8], Entry> = HashMap::new();
        let mut items: HashMap<&[u8], Entry> = HashMap::new();
        for slot in slots.iter().filter(|s| s.minute > since) {
            for (into, from) in [
                (&mut partitions, &slot.partitions),
                (&mut items, &slot.items),
            ] {
                for (k, e) in from {
                    let sum = into.entry(k.as_slice()).or_insert_with(|| Entry {
                        accessed: 0,
                        throttled: 0,
                        ..e.clone()
                    });
                    sum.accessed += e.accessed;
                    sum.throttled += e.throttled;
                }
            }
        }
        let rank = |map: &HashMap<&[u8], Entry>, throttled: bool| {
            let mut list: Vec<(&[u8], KeyCount)> = map
                .iter()
                .map(|(k, e)| {
                    (
                        *k,
                        KeyCount {
                            partition: e.partition.clone(),
                            sort: e.sort.clone(),
                            count: if throttled { e.throttled } else { e.accessed },
                        },
                    )
                })
                .filter(|(_, c)| c.count > 0)
                .collect();
            // Most first; equal counts in key order, so the answer is stable.
            list.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
            list.into_iter().take(top).map(|(_, c)| c).collect()
        };
        Report {
            accessed_partitions: rank(&partitions, false),
            accessed_items: rank(&items, false),
            throttled_partitions: rank(&partitions, true),
            throttled_items: rank(&items, true),
        }
    }

    /// Forgets the counts of a deleted table and its GSIs.
    pub fn forget_insights(&self, meta: &TableMeta) {
        let created = meta.created.to_bits();
        self.insights
            .targets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(id, at, _), _| (*id, *at) != (meta.id, created));
    }

    /// Forgets the counts of a table's target (insights disabled there).
    pub fn clear_insights(&self, meta: &TableMeta, index: Option<&str>) {
        let target = (meta.id, meta.created.to_bits(), index.map(String::from));
        self.insights
            .targets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&target);
    }
}
