//! The writers and what they know. Each writer owns its keys, sends one request at a time and
//! gives every item it writes a version it never used before (`ver`, its operation counter), so
//! what the database must hold is exactly derivable from the answers it got: every key's
//! acknowledged item, and at a kill the one request in flight, applied whole or not at all.
//! Conditions (`ver = :prev`, `attribute_not_exists(pk)`) make most writes a check of that
//! knowledge as well. Items with a TTL are the exception the model allows for: the sweeper may
//! delete them at any moment, so they are only ever overwritten unconditionally.
//!
//! Knows the tables, the requests and the model; nothing about processes or checks.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{json, Map, Value};

pub const MAIN: &str = "chaos_main";
pub const AUX: &str = "chaos_aux";
/// On MAIN: `g` (S) HASH, `ver` (N) RANGE, all attributes.
pub const GSI: &str = "by_g";
/// On MAIN: `pk` HASH, `l` (N) RANGE, keys and `ver`.
pub const LSI: &str = "by_l";
/// MAIN's TTL attribute.
pub const TTL_ATTR: &str = "exp";
/// How far a clock operation moves awsim's clock: past every item's TTL, and at most
/// `MAX_CLOCK_STEPS` times per run so stream records (kept 24 hours by that clock) are never
/// trimmed during a run. The clock's offset is kept in the data directory: restarts keep it.
pub const CLOCK_STEP: u64 = 7 * 3600;
const MAX_CLOCK_STEPS: u32 = 2;
/// A TTL only a moved clock reaches (the others are already past when written).
const FUTURE_TTL: u64 = 6 * 3600;

/// Main-table partitions and sort keys per writer, and its counters on AUX.
const PARTITIONS: usize = 3;
const SORT_KEYS: usize = 6;
const COUNTERS: usize = 2;
/// Distinct GSI partition values per writer.
const GSI_VALUES: u64 = 4;

/// SplitMix64: small, seedable, good enough to pick operations.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    /// Removes and returns a random element of a non-empty `pool`.
    fn take<T>(&mut self, pool: &mut Vec<T>) -> T {
        let i = self.below(pool.len() as u64) as usize;
        pool.swap_remove(i)
    }
}

/// An item as attribute name -> AttributeValue JSON; ordered, so equality ignores wire order.
pub type Item = BTreeMap<String, Value>;

pub fn s(v: impl Into<String>) -> Value {
    json!({ "S": v.into() })
}

pub fn n(v: impl ToString) -> Value {
    json!({ "N": v.to_string() })
}

/// A number attribute's value.
pub fn number(item: &Item, attr: &str) -> Option<i64> {
    item.get(attr)?.get("N")?.as_str()?.parse().ok()
}

pub fn has_ttl(item: &Item) -> bool {
    item.contains_key(TTL_ATTR)
}

pub fn item_json(item: &Item) -> Value {
    Value::Object(item.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// An `Item` from its JSON; None for anything but an object.
pub fn item_from(v: &Value) -> Option<Item> {
    let map = v.as_object()?;
    Some(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// A short description for messages: the attributes that matter, not the payload.
pub fn show(item: Option<&Item>) -> String {
    let Some(item) = item else {
        return "absent".into();
    };
    let mut parts = Vec::new();
    for (name, value) in item {
        match name.as_str() {
            "pk" | "sk" => {}
            "payload" => parts.push(format!(
                "payload:{}",
                value["S"].as_str().map_or(0, str::len)
            )),
            _ => {
                let v = value.as_object().and_then(|m| m.values().next());
                let v = v.and_then(Value::as_str).unwrap_or_default();
                parts.push(format!("{name}={v}"));
            }
        }
    }
    format!("{{{}}}", parts.join(" "))
}

/// An item's primary key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Main { pk: String, sk: String },
    Aux { pk: String },
}

impl Key {
    fn main(pk: String, sk: &str) -> Key {
        Key::Main {
            pk,
            sk: sk.to_string(),
        }
    }

    pub fn table(&self) -> &'static str {
        match self {
            Key::Main { .. } => MAIN,
            Key::Aux { .. } => AUX,
        }
    }

    /// The key attributes alone: the `Key` of a request, and the start of every item.
    pub fn bare(&self) -> Item {
        match self {
            Key::Main { pk, sk } => Item::from([("pk".into(), s(pk)), ("sk".into(), s(sk))]),
            Key::Aux { pk } => Item::from([("pk".into(), s(pk))]),
        }
    }

    pub fn json(&self) -> Value {
        item_json(&self.bare())
    }

    /// The key of an item (or index entry) read from `table`.
    pub fn of(table: &str, item: &Item) -> Option<Key> {
        let text = |a: &str| Some(item.get(a)?.get("S")?.as_str()?.to_string());
        match table {
            MAIN => Some(Key::main(text("pk")?, &text("sk")?)),
            _ => Some(Key::Aux { pk: text("pk")? }),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Key::Main { pk, sk } => write!(f, "{MAIN}[{pk}/{sk}]"),
            Key::Aux { pk } => write!(f, "{AUX}[{pk}]"),
        }
    }
}

/// What a write of a MAIN item leaves in the stream: the new item's version (INSERT or MODIFY),
/// or a REMOVE of the item with that version, by a client or by the TTL sweeper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Put(i64),
    Delete(i64),
    Expired(i64),
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Event::Put(v) => write!(f, "put of version {v}"),
            Event::Delete(v) => write!(f, "delete of version {v}"),
            Event::Expired(v) => write!(f, "TTL deletion of version {v}"),
        }
    }
}

/// A stream record an acknowledged write implies; not `required` when the write may have
/// changed nothing (deleting an item the sweeper may already have deleted).
#[derive(Clone, Copy, Debug)]
pub struct Expect {
    pub event: Event,
    pub required: bool,
}

/// The record a write `before -> after` of a MAIN item leaves, if any.
fn expect(before: Option<&Item>, after: Option<&Item>) -> Option<Expect> {
    let ver = |i: &Item| number(i, "ver").unwrap_or(-1);
    match (before, after) {
        (_, Some(a)) => Some(Expect {
            event: Event::Put(ver(a)),
            required: true,
        }),
        (Some(b), None) => Some(Expect {
            event: Event::Delete(ver(b)),
            required: !has_ttl(b),
        }),
        (None, None) => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Put,
    Update,
    Delete,
    Counter,
    Batch,
    Transaction,
    /// A transaction over the writer's group: three MAIN items and one AUX item, always
    /// written together, so any read must see all of them at one version or none.
    Group,
    /// A write whose condition cannot hold: refused, and must leave nothing behind.
    Refused,
    /// The admin clock moved (TTL sweep at the new time).
    Clock,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Put => "put",
            Kind::Update => "update",
            Kind::Delete => "delete",
            Kind::Counter => "counter",
            Kind::Batch => "batch",
            Kind::Transaction => "transaction",
            Kind::Group => "group transaction",
            Kind::Refused => "refused by design",
            Kind::Clock => "clock",
        }
    }
}

/// One item an operation writes: what the key held before and holds after (None: absent).
#[derive(Clone, Debug)]
pub struct Write {
    pub key: Key,
    pub before: Option<Item>,
    pub after: Option<Item>,
}

/// The refusal an operation is built to get.
#[derive(Clone, Debug)]
pub enum Refusal {
    /// ConditionalCheckFailedException.
    Condition,
    /// TransactionCanceledException with these reason codes, in action order.
    Cancelled(Vec<&'static str>),
}

/// What a successful answer's `Attributes` must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returns {
    Nothing,
    /// The first write's `before` (ReturnValues ALL_OLD).
    Old,
    /// The first write's `after` (ReturnValues ALL_NEW).
    New,
}

/// A planned request and everything it changes.
#[derive(Clone, Debug)]
pub struct Op {
    pub writer: usize,
    pub seq: i64,
    pub kind: Kind,
    /// The DynamoDB operation, or None for the admin clock.
    pub operation: Option<&'static str>,
    pub body: Value,
    pub writes: Vec<Write>,
    pub refusal: Option<Refusal>,
    pub returns: Returns,
}

impl Op {
    /// A transaction with a ClientRequestToken: retried after a kill, it applies exactly once.
    pub fn is_transaction(&self) -> bool {
        matches!(self.kind, Kind::Transaction | Kind::Group)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "writer {} op {} ({}",
            self.writer,
            self.seq,
            self.kind.name()
        )?;
        for (i, w) in self.writes.iter().enumerate() {
            write!(f, "{}{}", if i == 0 { " of " } else { ", " }, w.key)?;
        }
        write!(f, ")")
    }
}

/// A writer: its keys, what they hold as far as acknowledged answers say, and the stream
/// records those answers imply.
pub struct Writer {
    pub id: usize,
    rng: Rng,
    seq: i64,
    /// Each key's acknowledged item (absent keys are missing).
    pub state: BTreeMap<Key, Item>,
    /// The stream records its acknowledged writes imply since the last check, per MAIN key.
    pub expected: BTreeMap<Key, Vec<Expect>>,
    /// The request that was out when the server was killed: applied or not, the restart decides.
    pub in_flight: Option<Op>,
    /// Acknowledged operations by kind.
    pub acked: BTreeMap<Kind, u64>,
    /// Clock moves planned in this run (the offset survives restarts).
    clock_steps: u32,
}

impl Writer {
    pub fn new(id: usize, seed: u64) -> Writer {
        Writer {
            id,
            rng: Rng::new(seed ^ (id as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F)),
            seq: 0,
            state: BTreeMap::new(),
            expected: BTreeMap::new(),
            in_flight: None,
            acked: BTreeMap::new(),
            clock_steps: 0,
        }
    }

    /// Its MAIN partitions: the plain ones and the group's.
    pub fn partitions(&self) -> Vec<String> {
        let mut out: Vec<String> = (0..PARTITIONS)
            .map(|p| format!("w{}-p{p}", self.id))
            .collect();
        out.push(format!("w{}-tx", self.id));
        out
    }

    /// The GSI partition values its items may carry.
    pub fn gsi_values(&self) -> Vec<String> {
        (0..GSI_VALUES)
            .map(|g| format!("w{}-g{g}", self.id))
            .collect()
    }

    /// MAIN keys written by single-item operations, batches and plain transactions.
    fn plain(&self) -> Vec<Key> {
        let mut out = Vec::new();
        for p in 0..PARTITIONS {
            for k in 0..SORT_KEYS {
                out.push(Key::main(format!("w{}-p{p}", self.id), &format!("s{k}")));
            }
        }
        out
    }

    fn counters(&self) -> Vec<Key> {
        (0..COUNTERS)
            .map(|c| Key::Aux {
                pk: format!("w{}-c{c}", self.id),
            })
            .collect()
    }

    /// The transaction group: three MAIN items and one AUX item.
    pub fn group(&self) -> [Key; 4] {
        let pk = format!("w{}-tx", self.id);
        [
            Key::main(pk.clone(), "a"),
            Key::main(pk.clone(), "b"),
            Key::main(pk.clone(), "c"),
            Key::Aux { pk },
        ]
    }

    /// Every key it owns.
    pub fn keys(&self) -> Vec<Key> {
        let mut out = self.plain();
        out.extend(self.counters());
        out.extend(self.group());
        out
    }

    /// Takes an acknowledged operation as applied.
    pub fn acknowledge(&mut self, op: &Op) {
        for w in &op.writes {
            self.expect_record(w, true);
            match &w.after {
                Some(item) => self.state.insert(w.key.clone(), item.clone()),
                None => self.state.remove(&w.key),
            };
        }
        *self.acked.entry(op.kind).or_default() += 1;
    }

    /// Now and then, a key `op` (just acknowledged) wrote to read back at once; never one
    /// holding an item with a TTL (the sweeper may delete it under the reader's feet).
    pub fn read_back(&mut self, op: &Op) -> Option<Key> {
        let steady: Vec<&Key> = op
            .writes
            .iter()
            .map(|w| &w.key)
            .filter(|k| !self.state.get(*k).is_some_and(has_ttl))
            .collect();
        if steady.is_empty() || !self.rng.percent(20) {
            return None;
        }
        Some(steady[self.rng.below(steady.len() as u64) as usize].clone())
    }

    /// Notes the stream record `w` leaves (MAIN only), required only if `required`.
    pub fn expect_record(&mut self, w: &Write, required: bool) {
        if let (Key::Main { .. }, Some(mut e)) =
            (&w.key, expect(w.before.as_ref(), w.after.as_ref()))
        {
            e.required &= required;
            self.expected.entry(w.key.clone()).or_default().push(e);
        }
    }

    /// The next operation. `now`: the wall clock in epoch seconds, for TTLs.
    pub fn plan(&mut self, now: u64) -> Op {
        self.seq += 1;
        match self.rng.below(100) {
            0..=23 => self.put(now),
            24..=41 => self.update(now),
            42..=48 => self.delete(now),
            49..=59 => self.counter(),
            60..=71 => self.batch(now),
            72..=80 => self.transaction(now),
            81..=91 => self.group_write(now),
            92..=97 => self.refused(now),
            _ if self.id == 0 && self.clock_steps < MAX_CLOCK_STEPS => {
                self.clock_steps += 1;
                let body = json!({ "advance_seconds": CLOCK_STEP });
                self.op(Kind::Clock, None, body, Vec::new())
            }
            _ => self.put(now),
        }
    }

    fn op(
        &self,
        kind: Kind,
        operation: Option<&'static str>,
        body: Value,
        writes: Vec<Write>,
    ) -> Op {
        Op {
            writer: self.id,
            seq: self.seq,
            kind,
            operation,
            body,
            writes,
            refusal: None,
            returns: Returns::Nothing,
        }
    }

    fn write(&self, key: Key, after: Option<Item>) -> Write {
        Write {
            before: self.state.get(&key).cloned(),
            key,
            after,
        }
    }

    /// A fresh item for `key` at this operation's version. MAIN items get a payload of varying
    /// size, usually a GSI and an LSI key, and (if `ttl`) sometimes an expiry: mostly one
    /// already past (the background sweeper's), sometimes one only a moved clock reaches.
    fn new_item(&mut self, key: &Key, now: u64, ttl: bool) -> Item {
        let mut item = key.bare();
        item.insert("w".into(), n(self.id));
        item.insert("ver".into(), n(self.seq));
        if let Key::Aux { .. } = key {
            item.insert("n".into(), n(0));
            return item;
        }
        item.insert("payload".into(), s(self.payload()));
        if self.rng.percent(75) {
            item.insert("g".into(), s(self.gsi_value()));
        }
        if self.rng.percent(70) {
            item.insert("l".into(), n(self.rng.below(50)));
        }
        if ttl {
            match self.rng.below(100) {
                0..=11 => item.insert(TTL_ATTR.into(), n(now - 60)),
                12..=17 => item.insert(TTL_ATTR.into(), n(now + FUTURE_TTL)),
                _ => None,
            };
        }
        item
    }

    fn payload(&mut self) -> String {
        let len = match self.rng.percent(5) {
            true => 4000,
            false => self.rng.between(1, 600) as usize,
        };
        let c = char::from(b'a' + self.rng.below(26) as u8);
        c.to_string().repeat(len)
    }

    fn gsi_value(&mut self) -> String {
        format!("w{}-g{}", self.id, self.rng.below(GSI_VALUES))
    }

    /// Plain MAIN keys that hold no TTL'd item: safe for conditional writes.
    fn steady_keys(&self, present_only: bool) -> Vec<Key> {
        self.plain()
            .into_iter()
            .filter(|k| match self.state.get(k) {
                Some(item) => !has_ttl(item),
                None => !present_only,
            })
            .collect()
    }

    fn put(&mut self, now: u64) -> Op {
        let mut pool = self.plain();
        let key = self.rng.take(&mut pool);
        let item = self.new_item(&key, now, true);
        let w = self.write(key, Some(item.clone()));
        let mut body =
            json!({"TableName": MAIN, "Item": item_json(&item), "ReturnValues": "ALL_OLD"});
        // A TTL'd item may be swept at any moment: no condition on it, and no old image known.
        let returns = match &w.before {
            Some(before) if has_ttl(before) => Returns::Nothing,
            before => {
                guard(&mut body, before.as_ref(), Map::new());
                Returns::Old
            }
        };
        let mut op = self.op(Kind::Put, Some("PutItem"), body, vec![w]);
        op.returns = returns;
        op
    }

    fn update(&mut self, now: u64) -> Op {
        let mut keys = self.steady_keys(false);
        if keys.is_empty() {
            return self.put(now);
        }
        let key = self.rng.take(&mut keys);
        let before = self.state.get(&key).cloned();
        let (expression, values, after) = self.main_update(&key, before.as_ref(), None);
        let mut body = json!({"TableName": MAIN, "Key": key.json(), "UpdateExpression": expression, "ReturnValues": "ALL_NEW"});
        guard(&mut body, before.as_ref(), values);
        let w = self.write(key, Some(after));
        let mut op = self.op(Kind::Update, Some("UpdateItem"), body, vec![w]);
        op.returns = Returns::New;
        op
    }

    /// An update of a MAIN item to this version with a new payload, `g` and `l` each set,
    /// removed or left alone (and `tx` set, for a group); returns the expression, its values
    /// and the item it makes.
    fn main_update(
        &mut self,
        key: &Key,
        before: Option<&Item>,
        tx: Option<&str>,
    ) -> (String, Map<String, Value>, Item) {
        let mut after = before.cloned().unwrap_or_else(|| key.bare());
        let mut values = Map::new();
        let mut set = vec!["w = :w", "ver = :v", "payload = :p"];
        let mut remove = Vec::new();
        let mut assign = |name: &str, placeholder: &str, value: Value| {
            values.insert(placeholder.into(), value.clone());
            after.insert(name.into(), value);
        };
        assign("w", ":w", n(self.id));
        assign("ver", ":v", n(self.seq));
        assign("payload", ":p", s(self.payload()));
        if let Some(tx) = tx {
            set.push("tx = :t");
            assign("tx", ":t", s(tx));
        }
        match self.rng.below(100) {
            0..=59 => {
                set.push("g = :g");
                assign("g", ":g", s(self.gsi_value()));
            }
            60..=84 => remove.push("g"),
            _ => {}
        }
        match self.rng.below(100) {
            0..=59 => {
                set.push("l = :l");
                assign("l", ":l", n(self.rng.below(50)));
            }
            60..=79 => remove.push("l"),
            _ => {}
        }
        for name in &remove {
            after.remove(*name);
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        (expression, values, after)
    }

    fn delete(&mut self, now: u64) -> Op {
        let mut keys = self.steady_keys(true);
        if keys.is_empty() {
            return self.put(now);
        }
        let key = self.rng.take(&mut keys);
        let w = self.write(key.clone(), None);
        let mut body = json!({"TableName": MAIN, "Key": key.json(), "ReturnValues": "ALL_OLD"});
        guard(&mut body, w.before.as_ref(), Map::new());
        let mut op = self.op(Kind::Delete, Some("DeleteItem"), body, vec![w]);
        op.returns = Returns::Old;
        op
    }

    /// `SET w, ver (, tx) ADD n 1` on an AUX item: the expression, its values, the new item.
    fn count(&self, key: &Key, tx: Option<&str>) -> (String, Map<String, Value>, Item) {
        let before = self.state.get(key);
        let mut after = before.cloned().unwrap_or_else(|| key.bare());
        let count = before.and_then(|i| number(i, "n")).unwrap_or(0) + 1;
        after.insert("w".into(), n(self.id));
        after.insert("ver".into(), n(self.seq));
        after.insert("n".into(), n(count));
        let mut values = Map::new();
        values.insert(":w".into(), n(self.id));
        values.insert(":v".into(), n(self.seq));
        values.insert(":one".into(), n(1));
        let expression = match tx {
            Some(tx) => {
                after.insert("tx".into(), s(tx));
                values.insert(":t".into(), s(tx));
                "SET w = :w, ver = :v, tx = :t ADD n :one"
            }
            None => "SET w = :w, ver = :v ADD n :one",
        };
        (expression.into(), values, after)
    }

    fn counter(&mut self) -> Op {
        let mut pool = self.counters();
        let key = self.rng.take(&mut pool);
        let (expression, values, after) = self.count(&key, None);
        let w = self.write(key.clone(), Some(after));
        let mut body = json!({"TableName": AUX, "Key": key.json(), "UpdateExpression": expression, "ReturnValues": "ALL_NEW"});
        guard(&mut body, w.before.as_ref(), values);
        let mut op = self.op(Kind::Counter, Some("UpdateItem"), body, vec![w]);
        op.returns = Returns::New;
        op
    }

    /// 2 to 8 puts and deletes over both tables, unconditional (BatchWriteItem has no
    /// conditions), TTL'd items included.
    fn batch(&mut self, now: u64) -> Op {
        let mut pool = self.plain();
        pool.extend(self.counters());
        let mut requests: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        let mut writes = Vec::new();
        for _ in 0..self.rng.between(2, 8) {
            let key = self.rng.take(&mut pool);
            let after = match self.rng.percent(70) {
                true => {
                    let item = self.new_item(&key, now, true);
                    requests
                        .entry(key.table())
                        .or_default()
                        .push(json!({"PutRequest": {"Item": item_json(&item)}}));
                    Some(item)
                }
                false => {
                    requests
                        .entry(key.table())
                        .or_default()
                        .push(json!({"DeleteRequest": {"Key": key.json()}}));
                    None
                }
            };
            writes.push(self.write(key, after));
        }
        let body = json!({ "RequestItems": requests });
        self.op(Kind::Batch, Some("BatchWriteItem"), body, writes)
    }

    /// Puts, updates and deletes of 2 to 4 plain MAIN items, each conditioned on what the
    /// writer knows, sometimes with a counter: all or nothing.
    fn transaction(&mut self, now: u64) -> Op {
        let mut pool = self.steady_keys(false);
        if pool.len() < 2 {
            return self.put(now);
        }
        let mut actions = Vec::new();
        let mut writes = Vec::new();
        for _ in 0..self.rng.between(2, 4).min(pool.len() as u64) {
            let key = self.rng.take(&mut pool);
            let (action, after) = self.transact_main(&key, now, None);
            actions.push(action);
            writes.push(self.write(key, after));
        }
        if self.rng.percent(50) {
            let mut pool = self.counters();
            let key = self.rng.take(&mut pool);
            let (action, after) = self.transact_count(&key, None);
            actions.push(action);
            writes.push(self.write(key, Some(after)));
        }
        self.transact(Kind::Transaction, actions, writes)
    }

    /// A TransactWriteItems action on a MAIN item: an update, a put or a delete of a present
    /// item, a put of an absent one; conditioned on the writer's knowledge.
    fn transact_main(&mut self, key: &Key, now: u64, tx: Option<&str>) -> (Value, Option<Item>) {
        let before = self.state.get(key).cloned();
        // Group items (`tx`) are only ever deleted all together, never by one action.
        let choice = match (&before, tx) {
            (None, _) => 5,
            (Some(_), None) => self.rng.below(10),
            (Some(_), Some(_)) => self.rng.below(8),
        };
        let (mut action, after, values) = match choice {
            0..=4 => {
                let (expression, values, after) = self.main_update(key, before.as_ref(), tx);
                let action =
                    json!({"TableName": MAIN, "Key": key.json(), "UpdateExpression": expression});
                (json!({ "Update": action }), Some(after), values)
            }
            5..=7 => {
                let mut item = self.new_item(key, now, false);
                if let Some(tx) = tx {
                    item.insert("tx".into(), s(tx));
                }
                let action = json!({"TableName": MAIN, "Item": item_json(&item)});
                (json!({ "Put": action }), Some(item), Map::new())
            }
            _ => {
                let action = json!({"TableName": MAIN, "Key": key.json()});
                (json!({ "Delete": action }), None, Map::new())
            }
        };
        let verb = action.as_object().and_then(|m| m.keys().next().cloned());
        if let Some(verb) = verb {
            guard(&mut action[verb.as_str()], before.as_ref(), values);
        }
        (action, after)
    }

    fn transact_count(&self, key: &Key, tx: Option<&str>) -> (Value, Item) {
        let (expression, values, after) = self.count(key, tx);
        let mut action =
            json!({"TableName": AUX, "Key": key.json(), "UpdateExpression": expression});
        guard(&mut action, self.state.get(key), values);
        (json!({ "Update": action }), after)
    }

    fn transact(&self, kind: Kind, actions: Vec<Value>, writes: Vec<Write>) -> Op {
        let token = format!("w{}-{}", self.id, self.seq);
        let body = json!({"TransactItems": actions, "ClientRequestToken": token});
        self.op(kind, Some("TransactWriteItems"), body, writes)
    }

    /// The group written as one: its items created, moved to this version (`tx` names the
    /// transaction), or deleted together.
    fn group_write(&mut self, now: u64) -> Op {
        let keys = self.group();
        let tx = format!("w{}-{}", self.id, self.seq);
        let whole = keys.iter().all(|k| self.state.contains_key(k));
        let mut actions = Vec::new();
        let mut writes = Vec::new();
        if whole && self.rng.percent(20) {
            for key in keys {
                let mut action = json!({"TableName": key.table(), "Key": key.json()});
                guard(&mut action, self.state.get(&key), Map::new());
                actions.push(json!({ "Delete": action }));
                writes.push(self.write(key, None));
            }
        } else {
            for key in keys {
                let (action, after) = match key {
                    Key::Main { .. } => self.transact_main(&key, now, Some(&tx)),
                    Key::Aux { .. } => {
                        let (action, after) = self.transact_count(&key, Some(&tx));
                        (action, Some(after))
                    }
                };
                actions.push(action);
                writes.push(self.write(key, after));
            }
        }
        self.transact(Kind::Group, actions, writes)
    }

    /// A write whose condition cannot hold: a conditional put, or a group transaction with a
    /// failing ConditionCheck (cancelled whole). Either must leave nothing behind.
    fn refused(&mut self, now: u64) -> Op {
        let never = |body: &mut Value| {
            body["ConditionExpression"] = json!("attribute_exists(pk) AND ver = :never");
            body["ExpressionAttributeValues"] = json!({ ":never": n(-1) });
        };
        if self.rng.percent(50) {
            let mut pool = self.plain();
            let key = self.rng.take(&mut pool);
            let item = self.new_item(&key, now, true);
            let mut body = json!({"TableName": MAIN, "Item": item_json(&item)});
            never(&mut body);
            let mut op = self.op(Kind::Refused, Some("PutItem"), body, Vec::new());
            op.refusal = Some(Refusal::Condition);
            return op;
        }
        let mut op = self.group_write(now);
        let mut pool = self.counters();
        let key = self.rng.take(&mut pool);
        let mut check = json!({"TableName": AUX, "Key": key.json()});
        never(&mut check);
        let actions = op.body["TransactItems"].as_array_mut().expect("actions");
        let at = self.rng.below(actions.len() as u64 + 1) as usize;
        actions.insert(at, json!({ "ConditionCheck": check }));
        let mut reasons = vec!["None"; actions.len()];
        reasons[at] = "ConditionalCheckFailed";
        if let Some(body) = op.body.as_object_mut() {
            body.remove("ClientRequestToken");
        }
        op.kind = Kind::Refused;
        op.writes.clear();
        op.refusal = Some(Refusal::Cancelled(reasons));
        op
    }
}

/// Conditions `request` (a request body or transaction action) on the key holding `before`:
/// its version, or its absence. `values` are the expression's other values.
fn guard(request: &mut Value, before: Option<&Item>, mut values: Map<String, Value>) {
    let condition = match before.and_then(|i| i.get("ver")) {
        Some(ver) => {
            values.insert(":prev".into(), ver.clone());
            "ver = :prev"
        }
        None => "attribute_not_exists(pk)",
    };
    request["ConditionExpression"] = json!(condition);
    if !values.is_empty() {
        request["ExpressionAttributeValues"] = Value::Object(values);
    }
}
