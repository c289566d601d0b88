//! What must hold after a restart, and the readers that watch during the load.
//!
//! `after_restart`: expired items are swept first; then a full scan of both tables against the
//! writers' acknowledged state (the one request each had in flight at the kill resolved:
//! applied whole or not at all; an in-flight transaction retried with its ClientRequestToken
//! applies exactly once), every transaction group whole, both indexes against the table (Scan
//! and Query) and the live item counts, and the stream against the items: each key's last image
//! is its item, and each acknowledged write has its record, in order, exactly once. `Tail`
//! follows the stream during the load too, checking that records chain (each OldImage is the
//! previous NewImage of its key); `snapshots` reads transaction groups with TransactGetItems.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde_json::{json, Value};

use super::server::Client;
use super::workload::{
    has_ttl, item_from, number, show, Event, Expect, Item, Key, Op, Writer, AUX, GSI, LSI, MAIN,
    TTL_ATTR,
};
use super::{unix_now, Shared, Summary};

/// Creates the two tables: MAIN with a GSI, an LSI, a NEW_AND_OLD_IMAGES stream and TTL on
/// `exp`; AUX (counters and the groups' fourth items) with a hash key only.
pub async fn create_tables(c: &Client) -> Result<(), String> {
    let attr = |name: &str, t: &str| json!({"AttributeName": name, "AttributeType": t});
    let key = |name: &str, t: &str| json!({"AttributeName": name, "KeyType": t});
    c.ok(
        "CreateTable",
        &json!({
            "TableName": MAIN, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [attr("pk", "S"), attr("sk", "S"), attr("g", "S"), attr("ver", "N"), attr("l", "N")],
            "KeySchema": [key("pk", "HASH"), key("sk", "RANGE")],
            "GlobalSecondaryIndexes": [{"IndexName": GSI, "KeySchema": [key("g", "HASH"), key("ver", "RANGE")],
                "Projection": {"ProjectionType": "ALL"}}],
            "LocalSecondaryIndexes": [{"IndexName": LSI, "KeySchema": [key("pk", "HASH"), key("l", "RANGE")],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["ver"]}}],
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        }),
    )
    .await?;
    c.ok(
        "CreateTable",
        &json!({
            "TableName": AUX, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [attr("pk", "S")], "KeySchema": [key("pk", "HASH")]
        }),
    )
    .await?;
    c.ok(
        "UpdateTimeToLive",
        &json!({"TableName": MAIN, "TimeToLiveSpecification": {"Enabled": true, "AttributeName": TTL_ATTR}}),
    )
    .await?;
    Ok(())
}

/// Every item a Scan or Query returns, page by page (small `Limit`s in the requests make
/// several pages, so ExclusiveStartKey is exercised too).
async fn read_all(c: &Client, mut request: Value) -> Result<Vec<Item>, String> {
    let operation = match request.get("KeyConditionExpression") {
        Some(_) => "Query",
        None => "Scan",
    };
    let mut out = Vec::new();
    loop {
        let page = c.ok(operation, &request).await?;
        for item in page["Items"].as_array().ok_or("a page without Items")? {
            out.push(item_from(item).ok_or("an item that is not an object")?);
        }
        match page.get("LastEvaluatedKey") {
            Some(last) => request["ExclusiveStartKey"] = last.clone(),
            None => return Ok(out),
        }
    }
}

/// Items read from `table` by key; a key read twice is a violation.
fn by_key(what: &str, table: &str, items: Vec<Item>, s: &mut Summary) -> BTreeMap<Key, Item> {
    let mut out = BTreeMap::new();
    for item in items {
        match Key::of(table, &item) {
            Some(key) => {
                if out.insert(key.clone(), item).is_some() {
                    s.violation(format!("{what}: {key} returned twice"));
                }
            }
            None => s.violation(format!(
                "{what}: an item without its key: {}",
                show(Some(&item))
            )),
        }
    }
    out
}

async fn get_item(c: &Client, key: &Key) -> Result<Option<Item>, String> {
    let body = json!({"TableName": key.table(), "Key": key.json(), "ConsistentRead": true});
    Ok(c.ok("GetItem", &body)
        .await?
        .get("Item")
        .and_then(item_from))
}

/// All of it, after the server restarted on the killed server's data. Err: the check could not
/// run (no answer, or an operation refused); what it finds wrong goes to `s`.
pub async fn after_restart(
    c: &Client,
    writers: &mut [Writer],
    tail: &mut Tail,
    s: &mut Summary,
    last: bool,
) -> Result<(), String> {
    s.checks += 1;
    settings(c, tail, s).await?;
    // Whatever had expired goes now, so only what must be there remains (nothing else expires
    // during the check: the other TTLs are hours away).
    let sweep = c.advance_clock(0).await?;
    if sweep.status != 200 {
        return Err(format!("the admin clock answered {}", sweep.status));
    }
    let mut actual = by_key(
        "Scan",
        MAIN,
        read_all(
            c,
            json!({"TableName": MAIN, "ConsistentRead": true, "Limit": 50}),
        )
        .await?,
        s,
    );
    actual.extend(by_key(
        "Scan",
        AUX,
        read_all(
            c,
            json!({"TableName": AUX, "ConsistentRead": true, "Limit": 7}),
        )
        .await?,
        s,
    ));
    let now = unix_now() as i64;
    for (key, item) in &actual {
        if number(item, TTL_ATTR).is_some_and(|at| at < now - 5) {
            s.violation(format!(
                "{key} expired but survived the sweep: {}",
                show(Some(item))
            ));
        }
    }
    let mut retries = Vec::new();
    for w in writers.iter_mut() {
        if let Some(retry) = resolve(w, &actual, s) {
            retries.push(retry);
        }
    }
    for (op, applied) in retries {
        retry(c, &mut writers[op.writer], op, applied, &mut actual, s).await?;
    }
    let owned: BTreeSet<Key> = writers.iter().flat_map(|w| w.keys()).collect();
    for (key, item) in &actual {
        if !owned.contains(key) {
            s.violation(format!("{key} belongs to no writer: {}", show(Some(item))));
        }
    }
    s.items_checked += actual.len() as u64;
    for w in writers.iter() {
        let group: Vec<Option<&Item>> = w.group().iter().map(|k| actual.get(k)).collect();
        if !group_whole(&group) {
            s.violation(format!(
                "writer {}'s transaction group is torn: {}",
                w.id,
                group
                    .iter()
                    .map(|i| show(*i))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        s.groups_checked += 1;
    }
    indexes(c, writers, &actual, s).await?;
    stream(c, writers, tail, &actual, s).await?;
    if last {
        tail.reread(c, s).await?;
    }
    Ok(())
}

/// The stream and the TTL setting survived the restart unchanged.
async fn settings(c: &Client, tail: &Tail, s: &mut Summary) -> Result<(), String> {
    let (arn, shard) = stream_of(c).await?;
    if (arn.as_str(), shard.as_str()) != (tail.arn.as_str(), tail.shard.as_str()) {
        s.violation(format!(
            "the stream changed across the restart: {arn} {shard}, was {} {}",
            tail.arn, tail.shard
        ));
    }
    let ttl = c
        .ok("DescribeTimeToLive", &json!({ "TableName": MAIN }))
        .await?;
    let ttl = &ttl["TimeToLiveDescription"];
    if ttl["TimeToLiveStatus"] != "ENABLED" || ttl["AttributeName"] != TTL_ATTR {
        s.violation(format!("TTL changed across the restart: {ttl}"));
    }
    Ok(())
}

/// MAIN's stream and its one shard, by ListStreams and DescribeStream.
async fn stream_of(c: &Client) -> Result<(String, String), String> {
    let list = c
        .streams_ok("ListStreams", &json!({ "TableName": MAIN }))
        .await?;
    let streams = list["Streams"].as_array().cloned().unwrap_or_default();
    let [stream] = streams.as_slice() else {
        return Err(format!("{MAIN} should have one stream: {list}"));
    };
    let arn = stream["StreamArn"].as_str().unwrap_or_default().to_string();
    let description = c
        .streams_ok("DescribeStream", &json!({ "StreamArn": arn }))
        .await?;
    let shards = description["StreamDescription"]["Shards"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let [shard] = shards.as_slice() else {
        return Err(format!("the stream should have one shard: {description}"));
    };
    let shard = shard["ShardId"].as_str().unwrap_or_default().to_string();
    Ok((arn, shard))
}

/// Compares a writer's keys with what the database holds, settles its in-flight request and
/// takes the database's state as the writer's from here on. Returns the in-flight transaction
/// to retry, and whether it had been applied.
fn resolve(w: &mut Writer, actual: &BTreeMap<Key, Item>, s: &mut Summary) -> Option<(Op, bool)> {
    let op = w.in_flight.take();
    let changes: BTreeMap<&Key, &super::workload::Write> = op
        .iter()
        .flat_map(|op| &op.writes)
        .map(|write| (&write.key, write))
        .collect();
    let (mut applied, mut not_applied) = (Vec::new(), Vec::new());
    for key in w.keys() {
        let have = actual.get(&key);
        // The sweeper may have deleted an item with a TTL at any time.
        let swept = |i: Option<&Item>| have.is_none() && i.is_some_and(has_ttl);
        match changes.get(&key) {
            None => {
                let want = w.state.get(&key);
                if have != want && !swept(want) {
                    s.violation(format!(
                        "{key}: acknowledged {}, found {}",
                        show(want),
                        show(have)
                    ));
                }
            }
            Some(write) => {
                let (before, after) = (write.before.as_ref(), write.after.as_ref());
                if swept(before) || swept(after) || (have == before && have == after) {
                    // Either way.
                } else if have == after {
                    applied.push(key.to_string());
                } else if have == before {
                    not_applied.push(key.to_string());
                } else {
                    s.violation(format!(
                        "{key}: neither {} nor {} (in flight at the kill: {}), found {}",
                        show(before),
                        show(after),
                        op.as_ref().map(ToString::to_string).unwrap_or_default(),
                        show(have)
                    ));
                }
            }
        }
    }
    for key in w.keys() {
        match actual.get(&key) {
            Some(item) => w.state.insert(key, item.clone()),
            None => w.state.remove(&key),
        };
    }
    let op = op?;
    s.in_flight += 1;
    if !applied.is_empty() && !not_applied.is_empty() {
        s.violation(format!(
            "{op} was in flight at the kill and is partly applied: {} written, {} not",
            applied.join(" "),
            not_applied.join(" ")
        ));
    }
    if op.writes.len() > 1 {
        s.all_or_nothing += 1;
    }
    let was_applied = !applied.is_empty();
    match (was_applied, not_applied.is_empty()) {
        _ if op.writes.is_empty() => s.in_flight_nothing += 1,
        (true, _) => s.in_flight_applied += 1,
        (false, false) => s.in_flight_lost += 1,
        (false, true) => s.in_flight_unknown += 1,
    }
    if op.is_transaction() {
        return Some((op, was_applied));
    }
    // Its records are in the stream if it was applied, and may be if nobody can tell.
    if not_applied.is_empty() {
        for write in &op.writes {
            w.expect_record(write, was_applied);
        }
    }
    None
}

/// Sends an in-flight transaction again with its ClientRequestToken: it must succeed, and leave
/// its items as it writes them, applied once whether or not it had been before the kill.
async fn retry(
    c: &Client,
    w: &mut Writer,
    op: Op,
    applied: bool,
    actual: &mut BTreeMap<Key, Item>,
    s: &mut Summary,
) -> Result<(), String> {
    let reply = c.ddb("TransactWriteItems", &op.body).await?;
    if reply.status != 200 {
        s.violation(format!(
            "{op}, retried with its ClientRequestToken after the restart: {} {}",
            reply.status, reply.body
        ));
        return Ok(());
    }
    s.token_retries += 1;
    if applied {
        s.token_retries_already_applied += 1;
    }
    for write in &op.writes {
        let have = get_item(c, &write.key).await?;
        if have != write.after {
            s.violation(format!(
                "{}: after {op} was retried with its token: {}, want {}",
                write.key,
                show(have.as_ref()),
                show(write.after.as_ref())
            ));
        }
        w.expect_record(write, true);
        match have {
            Some(item) => {
                w.state.insert(write.key.clone(), item.clone());
                actual.insert(write.key.clone(), item);
            }
            None => {
                w.state.remove(&write.key);
                actual.remove(&write.key);
            }
        }
    }
    Ok(())
}

/// A transaction group is whole: all its items carry the same transaction and version, or
/// none exists.
pub fn group_whole(items: &[Option<&Item>]) -> bool {
    let mark = |i: &Option<&Item>| i.map(|i| (i.get("tx").cloned(), i.get("ver").cloned()));
    let first = items.first().map(mark);
    items.iter().all(|i| Some(mark(i)) == first)
}

/// The GSI (Scan, and Query per partition value) and the LSI (Scan, and Query per table
/// partition fetching every attribute) against the table, and DescribeTable's live counts.
async fn indexes(
    c: &Client,
    writers: &[Writer],
    actual: &BTreeMap<Key, Item>,
    s: &mut Summary,
) -> Result<(), String> {
    let main: BTreeMap<&Key, &Item> = actual
        .iter()
        .filter(|(k, _)| matches!(k, Key::Main { .. }))
        .collect();
    let gsi: BTreeMap<Key, Item> = main
        .iter()
        .filter(|(_, i)| i.contains_key("g"))
        .map(|(k, i)| ((*k).clone(), (*i).clone()))
        .collect();
    let scan = json!({"TableName": MAIN, "IndexName": GSI, "Limit": 37});
    let got = read_all(c, scan).await?;
    same_entries("GSI Scan", &gsi, got, s);
    for g in writers.iter().flat_map(Writer::gsi_values) {
        let query = json!({"TableName": MAIN, "IndexName": GSI, "KeyConditionExpression": "g = :g",
            "ExpressionAttributeValues": {":g": {"S": &g}}, "Limit": 11});
        let got = read_all(c, query).await?;
        if !sorted_by(&got, "ver") {
            s.violation(format!("GSI Query g = {g}: not in `ver` order"));
        }
        let want = gsi
            .iter()
            .filter(|(_, i)| i["g"]["S"] == g.as_str())
            .map(|(k, i)| (k.clone(), i.clone()))
            .collect();
        same_entries(&format!("GSI Query g = {g}"), &want, got, s);
        s.index_queries += 1;
    }
    // The LSI projects the keys and `ver`; a Query for every attribute fetches the rest.
    let with_l: BTreeMap<Key, Item> = main
        .iter()
        .filter(|(_, i)| i.contains_key("l"))
        .map(|(k, i)| ((*k).clone(), (*i).clone()))
        .collect();
    let projected = with_l
        .iter()
        .map(|(k, i)| {
            let keep =
                |(name, _): &(&String, &Value)| matches!(name.as_str(), "pk" | "sk" | "l" | "ver");
            let projection = i.iter().filter(keep).map(|(n, v)| (n.clone(), v.clone()));
            (k.clone(), projection.collect())
        })
        .collect();
    let got = read_all(c, json!({"TableName": MAIN, "IndexName": LSI, "Limit": 29})).await?;
    same_entries("LSI Scan", &projected, got, s);
    for pk in writers.iter().flat_map(Writer::partitions) {
        let query = json!({"TableName": MAIN, "IndexName": LSI, "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": &pk}}, "Select": "ALL_ATTRIBUTES", "Limit": 5});
        let got = read_all(c, query).await?;
        if !sorted_by(&got, "l") {
            s.violation(format!("LSI Query pk = {pk}: not in `l` order"));
        }
        let want = with_l
            .iter()
            .filter(|(_, i)| i["pk"]["S"] == pk.as_str())
            .map(|(k, i)| (k.clone(), i.clone()))
            .collect();
        same_entries(&format!("LSI Query pk = {pk}"), &want, got, s);
        s.index_queries += 1;
    }
    let table = c.ok("DescribeTable", &json!({ "TableName": MAIN })).await?;
    let table = &table["Table"];
    let counts = [
        ("ItemCount", &table["ItemCount"], main.len()),
        (
            "GSI ItemCount",
            &table["GlobalSecondaryIndexes"][0]["ItemCount"],
            gsi.len(),
        ),
        (
            "LSI ItemCount",
            &table["LocalSecondaryIndexes"][0]["ItemCount"],
            with_l.len(),
        ),
    ];
    let aux = c.ok("DescribeTable", &json!({ "TableName": AUX })).await?;
    let aux_count = actual.len() - main.len();
    for (what, count, want) in
        counts
            .into_iter()
            .chain([("AUX ItemCount", &aux["Table"]["ItemCount"], aux_count)])
    {
        if count.as_u64() != Some(want as u64) {
            s.violation(format!(
                "DescribeTable {what} is {count}, the tables hold {want}"
            ));
        }
    }
    Ok(())
}

fn sorted_by(items: &[Item], attr: &str) -> bool {
    let values: Vec<Option<i64>> = items.iter().map(|i| number(i, attr)).collect();
    values.windows(2).all(|w| w[0] <= w[1])
}

/// An index read holds exactly `want` (the table's items, projected).
fn same_entries(what: &str, want: &BTreeMap<Key, Item>, got: Vec<Item>, s: &mut Summary) {
    let got = by_key(what, MAIN, got, s);
    for (key, item) in want {
        if got.get(key) != Some(item) {
            s.violation(format!(
                "{what}: {key} is {} in the table, {} in the index",
                show(Some(item)),
                show(got.get(key))
            ));
        }
    }
    for (key, item) in &got {
        if !want.contains_key(key) {
            s.violation(format!(
                "{what}: {key} is in the index ({}) but not in the table",
                show(Some(item))
            ));
        }
    }
    s.index_entries_checked += got.len() as u64;
}

/// The stream read to its end agrees with the items, and with the acknowledged writes.
async fn stream(
    c: &Client,
    writers: &mut [Writer],
    tail: &mut Tail,
    actual: &BTreeMap<Key, Item>,
    s: &mut Summary,
) -> Result<(), String> {
    loop {
        match tail.poll(c).await {
            Ok(0) => break,
            Ok(_) => {}
            Err(Problem::Down(e)) => return Err(format!("GetRecords: {e}")),
            Err(Problem::Broken(e)) => {
                s.violation(e);
                break;
            }
        }
    }
    s.violations.append(&mut tail.violations);
    for w in writers.iter_mut() {
        let expected = std::mem::take(&mut w.expected);
        for key in w.keys() {
            if let Key::Aux { .. } = key {
                continue;
            }
            let (image, item) = (tail.images.get(&key), actual.get(&key));
            if image != item {
                s.violation(format!(
                    "{key}: the stream's last image is {}, the item {}",
                    show(image),
                    show(item)
                ));
            }
            let seen = tail.events.remove(&key).unwrap_or_default();
            let wants = expected.get(&key).map_or(&[][..], Vec::as_slice);
            match_events(&key, wants, seen, s);
        }
    }
    for (key, events) in std::mem::take(&mut tail.events) {
        s.violation(format!(
            "{key}: {} stream records, but no writer owns it",
            events.len()
        ));
    }
    Ok(())
}

/// Each acknowledged write has its record, in order, once; no record is left over (a write
/// applied twice, or a refused one that left a trace). TTL deletions were checked as they were
/// read (their old image is the item as it was).
fn match_events(key: &Key, wants: &[Expect], seen: Vec<Event>, s: &mut Summary) {
    let mut seen = seen
        .into_iter()
        .filter(|e| !matches!(e, Event::Expired(_)))
        .peekable();
    for want in wants {
        if seen.peek() == Some(&want.event) {
            seen.next();
            s.writes_verified += 1;
        } else if want.required {
            let next = seen.peek().map_or("none".into(), ToString::to_string);
            s.violation(format!(
                "{key}: the acknowledged {} has no stream record (next record: {next})",
                want.event
            ));
        }
    }
    for extra in seen {
        s.violation(format!(
            "{key}: the stream's {extra} matches no acknowledged write"
        ));
    }
}

/// Why reading the stream stopped.
pub enum Problem {
    /// No answer: the server is down.
    Down(String),
    /// An answer that breaks a rule.
    Broken(String),
}

/// A reader of MAIN's stream that remembers what it read: each key's last image, the events
/// since the last check, and every record's digest (to compare with a re-read from the start).
pub struct Tail {
    arn: String,
    shard: String,
    /// The next page; kept across restarts (iterators are opaque and survive them).
    iterator: Option<String>,
    last: Option<u128>,
    pub images: BTreeMap<Key, Item>,
    pub events: BTreeMap<Key, Vec<Event>>,
    log: Vec<(u128, u64)>,
    pub violations: Vec<String>,
    pub ttl_deletions: u64,
}

impl Tail {
    pub async fn open(c: &Client) -> Result<Tail, String> {
        let (arn, shard) = stream_of(c).await?;
        Ok(Tail {
            arn,
            shard,
            iterator: None,
            last: None,
            images: BTreeMap::new(),
            events: BTreeMap::new(),
            log: Vec::new(),
            violations: Vec::new(),
            ttl_deletions: 0,
        })
    }

    pub fn records(&self) -> u64 {
        self.log.len() as u64
    }

    async fn iterator(&self, c: &Client, after: Option<u128>) -> Result<String, Problem> {
        let mut request = json!({"StreamArn": self.arn, "ShardId": self.shard});
        match after {
            Some(seq) => {
                request["ShardIteratorType"] = json!("AFTER_SEQUENCE_NUMBER");
                request["SequenceNumber"] = json!(format!("{seq:021}"));
            }
            None => request["ShardIteratorType"] = json!("TRIM_HORIZON"),
        }
        let reply = c
            .streams("GetShardIterator", &request)
            .await
            .map_err(Problem::Down)?;
        match reply.body["ShardIterator"].as_str() {
            Some(it) if reply.status == 200 => Ok(it.to_string()),
            _ => Err(Problem::Broken(format!(
                "GetShardIterator answered {}: {}",
                reply.status, reply.body
            ))),
        }
    }

    /// One page of records (a fresh iterator after the last record if the old one expired,
    /// as a moved clock makes it); returns how many.
    pub async fn poll(&mut self, c: &Client) -> Result<usize, Problem> {
        for _ in 0..3 {
            let iterator = match self.iterator.take() {
                Some(it) => it,
                None => self.iterator(c, self.last).await?,
            };
            let request = json!({"ShardIterator": iterator, "Limit": 250});
            let reply = c
                .streams("GetRecords", &request)
                .await
                .map_err(Problem::Down)?;
            if reply.status == 400 && reply.error_type() == "ExpiredIteratorException" {
                continue;
            }
            if reply.status != 200 {
                return Err(Problem::Broken(format!(
                    "GetRecords answered {}: {}",
                    reply.status, reply.body
                )));
            }
            let records = reply.body["Records"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for record in &records {
                self.take(record);
            }
            self.iterator = reply.body["NextShardIterator"].as_str().map(String::from);
            if self.iterator.is_none() {
                return Err(Problem::Broken(
                    "an open shard without NextShardIterator".into(),
                ));
            }
            return Ok(records.len());
        }
        Err(Problem::Broken(
            "fresh shard iterators keep expiring".into(),
        ))
    }

    /// Checks one record against the key's previous image and notes it.
    fn take(&mut self, record: &Value) {
        let d = &record["dynamodb"];
        let Some(seq) = d["SequenceNumber"]
            .as_str()
            .and_then(|s| s.parse::<u128>().ok())
        else {
            self.violations
                .push(format!("a record without a sequence number: {record}"));
            return;
        };
        if self.last.is_some_and(|last| seq <= last) {
            self.violations.push(format!(
                "stream record {seq} follows {}",
                self.last.unwrap_or_default()
            ));
        }
        self.last = Some(seq);
        self.log.push((seq, digest(record)));
        let Some(key) = item_from(&d["Keys"]).and_then(|k| Key::of(MAIN, &k)) else {
            self.violations
                .push(format!("record {seq} has no key: {record}"));
            return;
        };
        let new = d.get("NewImage").and_then(item_from);
        let old = d.get("OldImage").and_then(item_from);
        let previous = self.images.get(&key);
        let by_ttl = match record.get("userIdentity") {
            None => false,
            Some(id)
                if *id == json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}) =>
            {
                true
            }
            Some(id) => {
                self.violations
                    .push(format!("record {seq} of {key}: userIdentity {id}"));
                false
            }
        };
        let ver = |i: &Option<Item>| i.as_ref().and_then(|i| number(i, "ver")).unwrap_or(-1);
        let name = record["eventName"].as_str().unwrap_or_default();
        let (event, fine) = match name {
            "INSERT" => (
                Event::Put(ver(&new)),
                previous.is_none() && old.is_none() && new.is_some() && !by_ttl,
            ),
            "MODIFY" => (
                Event::Put(ver(&new)),
                previous.is_some()
                    && old.as_ref() == previous
                    && new.is_some()
                    && new != old
                    && !by_ttl,
            ),
            "REMOVE" if by_ttl => (
                Event::Expired(ver(&old)),
                old.as_ref() == previous && new.is_none() && old.as_ref().is_some_and(has_ttl),
            ),
            "REMOVE" => (
                Event::Delete(ver(&old)),
                old.as_ref() == previous && new.is_none(),
            ),
            _ => (Event::Put(-1), false),
        };
        if !fine {
            self.violations.push(format!(
                "record {seq} of {key} ({name}{}) does not follow its last image {}: old {}, new {}",
                if by_ttl { " by TTL" } else { "" },
                show(previous),
                show(old.as_ref()),
                show(new.as_ref())
            ));
        }
        if let Event::Expired(_) = event {
            self.ttl_deletions += 1;
        }
        match new {
            Some(item) => self.images.insert(key.clone(), item),
            None => self.images.remove(&key),
        };
        self.events.entry(key).or_default().push(event);
    }

    /// Reads the stream again from its start: every record read before (across every kill) is
    /// still there, unchanged, and nothing else is.
    async fn reread(&self, c: &Client, s: &mut Summary) -> Result<(), String> {
        let problem = |p: Problem| match p {
            Problem::Down(e) | Problem::Broken(e) => e,
        };
        let mut iterator = self.iterator(c, None).await.map_err(problem)?;
        let mut log = Vec::new();
        loop {
            let page = c
                .streams_ok(
                    "GetRecords",
                    &json!({"ShardIterator": iterator, "Limit": 1000}),
                )
                .await?;
            let records = page["Records"].as_array().cloned().unwrap_or_default();
            for record in &records {
                let seq = record["dynamodb"]["SequenceNumber"]
                    .as_str()
                    .and_then(|s| s.parse::<u128>().ok())
                    .unwrap_or_default();
                log.push((seq, digest(record)));
            }
            match page["NextShardIterator"].as_str() {
                Some(next) if !records.is_empty() => iterator = next.to_string(),
                _ => break,
            }
        }
        s.stream_reread = Some(log.len() as u64);
        if log != self.log {
            let first = log.iter().zip(&self.log).position(|(a, b)| a != b);
            s.violation(format!(
                "re-read from its start, the stream has {} records where {} were read (first difference at {})",
                log.len(),
                self.log.len(),
                first.map_or("the end".into(), |i| format!("record {i}"))
            ));
        }
        Ok(())
    }
}

fn digest(record: &Value) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    record.to_string().hash(&mut h);
    h.finish()
}

/// Follows the stream during the load, until the round stops or the server goes.
pub async fn follow(mut tail: Tail, c: Client, shared: Arc<Shared>) -> Tail {
    while !shared.stopping() {
        match tail.poll(&c).await {
            // Caught up: a short pause, as any stream consumer polling a shard.
            Ok(0) => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
            Ok(_) => {}
            Err(Problem::Down(e)) => {
                if !shared.killing() {
                    shared.violation(format!(
                        "stream reader: no answer while the server was up: {e}"
                    ));
                }
                break;
            }
            Err(Problem::Broken(e)) => {
                shared.violation(format!("stream reader: {e}"));
                break;
            }
        }
    }
    tail
}

/// Reads every writer's transaction group with TransactGetItems, over and over, during the
/// load: each read must see a whole group. Returns how many reads it made.
pub async fn snapshots(c: Client, groups: Vec<[Key; 4]>, shared: Arc<Shared>) -> u64 {
    let mut reads = 0;
    while !shared.stopping() {
        for group in &groups {
            let gets: Vec<Value> = group
                .iter()
                .map(|k| json!({"Get": {"TableName": k.table(), "Key": k.json()}}))
                .collect();
            let reply = match c
                .ddb("TransactGetItems", &json!({ "TransactItems": gets }))
                .await
            {
                Ok(reply) => reply,
                Err(e) => {
                    if !shared.killing() {
                        shared.violation(format!(
                            "TransactGetItems: no answer while the server was up: {e}"
                        ));
                    }
                    return reads;
                }
            };
            if reply.status != 200 {
                shared.violation(format!(
                    "TransactGetItems answered {}: {}",
                    reply.status, reply.body
                ));
                return reads;
            }
            let items: Vec<Option<Item>> = (0..group.len())
                .map(|i| reply.body["Responses"][i].get("Item").and_then(item_from))
                .collect();
            let items: Vec<Option<&Item>> = items.iter().map(Option::as_ref).collect();
            if !group_whole(&items) {
                shared.violation(format!(
                    "TransactGetItems saw a torn group: {}",
                    items
                        .iter()
                        .map(|i| show(*i))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                return reads;
            }
            reads += 1;
        }
    }
    reads
}
