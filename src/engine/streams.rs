//! DynamoDB Streams: a stream per enabling of a table's StreamSpecification, its lifecycle kept in
//! step with the table's metadata, and one change record per item write, appended inside the
//! write's own transaction (a cancelled write leaves no record). Records live in SQLite for the
//! service's 24 hours and survive restarts.
use super::keys::key_of;
use super::Engine;
use crate::codec::item as codec;
use crate::error::{Error, Result};
use crate::model::size::item_size;
use crate::model::{Item, Scope, TableMeta};
pub use crate::storage::StreamRow;
use crate::storage::Tx;
use crate::storage::{self, StreamRecord};
use sha1::{Digest, Sha1};

/// How long records (and disabled streams) are kept: 24 hours.
pub const RETENTION_SECS: f64 = 24.0 * 3600.0;

/// Creates the stream row of a newly enabled stream and closes the one it replaces, so that
/// `new.stream.id` names the live stream. `old` is None for a new table.
pub(super) fn sync(tx: &Tx, old: Option<&TableMeta>, new: &mut TableMeta, now: f64) -> Result<()> {
    let old_stream = old.and_then(|m| m.stream.as_ref());
    let new_label = new
        .stream
        .as_ref()
        .filter(|s| s.enabled)
        .map(|s| s.label.clone());
    if let Some(o) = old_stream.filter(|o| o.enabled && o.id > 0) {
        if new_label.as_deref() != Some(o.label.as_str()) {
            storage::disable_stream(tx, o.id, now)?;
        }
    }
    let Some(stream) = new.stream.as_mut().filter(|s| s.enabled) else {
        return Ok(());
    };
    if let Some(o) = old_stream.filter(|o| o.enabled && o.label == stream.label && o.id > 0) {
        stream.id = o.id;
        return Ok(());
    }
    // A label is the enabling time to the millisecond: a stream re-enabled within the same
    // millisecond as an earlier one of this table takes the next free millisecond.
    let mut at = now;
    while storage::find_stream(tx, &new.account, &new.region, &new.name, &stream.label)?.is_some() {
        at += 0.001;
        stream.label = super::clock::iso8601(at);
    }
    let key_schema = serde_json::to_string(&new.key).map_err(Error::internal)?;
    let row = StreamRow {
        id: 0,
        account: new.account.clone(),
        region: new.region.clone(),
        table_name: new.name.clone(),
        label: stream.label.clone(),
        view_type: stream.view_type.clone(),
        key_schema,
        created: now,
        shard_id: shard_id(now, &new.name),
        disabled: None,
    };
    stream.id = storage::insert_stream(tx, &row)?;
    Ok(())
}

/// `shardId-<20-digit creation ms>-<8 hex>`, the service's shape.
fn shard_id(now: f64, table: &str) -> String {
    let ms = (now * 1000.0) as u64;
    let mut h = Sha1::new();
    h.update(table.as_bytes());
    h.update(ms.to_be_bytes());
    let d = h.finalize();
    format!(
        "shardId-{ms:020}-{:02x}{:02x}{:02x}{:02x}",
        d[0], d[1], d[2], d[3]
    )
}

/// Appends the change `old -> new` to the table's stream, if it has one enabled. A write that
/// changes nothing (same item before and after, or deleting a missing item) records nothing.
pub(super) fn emit(
    tx: &Tx,
    meta: &TableMeta,
    now: f64,
    old: Option<&Item>,
    new: Option<&Item>,
    origin: super::Origin,
) -> Result<()> {
    let Some(stream) = meta.stream.as_ref().filter(|s| s.enabled && s.id > 0) else {
        return Ok(());
    };
    let (event, any) = match (old, new) {
        (None, None) => return Ok(()),
        (Some(o), Some(n)) if o == n => return Ok(()),
        (None, Some(n)) => ("INSERT", n),
        (Some(o), Some(_)) => ("MODIFY", o),
        (Some(o), None) => ("REMOVE", o),
    };
    let keys = key_of(&meta.key, any);
    let (with_new, with_old) = match stream.view_type.as_str() {
        "NEW_IMAGE" => (true, false),
        "OLD_IMAGE" => (false, true),
        "NEW_AND_OLD_IMAGES" => (true, true),
        _ => (false, false),
    };
    let new = new.filter(|_| with_new);
    let old = old.filter(|_| with_old);
    let size = item_size(&keys) + new.map_or(0, item_size) + old.map_or(0, item_size);
    let record = StreamRecord {
        seq: 0,
        created: now,
        event: event.to_string(),
        keys: codec::encode_item(&keys),
        new_image: new.map(codec::encode_item),
        old_image: old.map(codec::encode_item),
        size: size as i64,
        by_ttl: origin == super::Origin::Ttl,
        replicated: origin == super::Origin::Replication,
    };
    storage::put_stream_record(tx, stream.id, &record)?;
    Ok(())
}

/// A record's UUID-shaped event id, derived from its sequence number and stream: unique, and the
/// same on every read and after a restart, so it is not stored.
pub fn event_id(seq: i64, stream: i64) -> String {
    let mut h = Sha1::new();
    h.update(seq.to_be_bytes());
    h.update(stream.to_be_bytes());
    let d = h.finalize();
    let hex = crate::codec::hex(&d[..16]);
    format!(
        "{}-{}-4{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A stream as the Streams API shows it.
pub struct StreamView {
    pub row: StreamRow,
    /// First and last sequence numbers of the retained records.
    pub bounds: Option<(i64, i64)>,
}

impl StreamView {
    pub fn arn(&self) -> String {
        stream_arn(&self.row)
    }
}

/// `arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>`.
pub fn stream_arn(row: &StreamRow) -> String {
    format!(
        "arn:aws:dynamodb:{}:{}:table/{}/stream/{}",
        row.region, row.account, row.table_name, row.label
    )
}

impl Engine {
    /// The scope's streams, newest first, optionally of one table.
    pub fn list_streams(&self, scope: &Scope, table: Option<&str>) -> Result<Vec<StreamRow>> {
        self.store
            .read(|conn| storage::list_streams(conn, &scope.account, &scope.region, table))
    }

    /// The stream named by an ARN of this scope (`arn:aws:dynamodb:<region>:<account>:table/<t>/stream/<label>`).
    pub fn stream(&self, scope: &Scope, arn: &str) -> Result<Option<StreamView>> {
        let Some((table, label)) = parse_stream_arn(scope, arn) else {
            return Ok(None);
        };
        self.store.read(|conn| {
            let Some(row) =
                storage::find_stream(conn, &scope.account, &scope.region, table, label)?
            else {
                return Ok(None);
            };
            let bounds = storage::stream_bounds(conn, row.id)?;
            Ok(Some(StreamView { row, bounds }))
        })
    }

    pub fn stream_by_id(&self, id: i64) -> Result<Option<StreamView>> {
        self.store.read(|conn| {
            let Some(row) = storage::stream_by_id(conn, id)? else {
                return Ok(None);
            };
            let bounds = storage::stream_bounds(conn, row.id)?;
            Ok(Some(StreamView { row, bounds }))
        })
    }

    /// Up to `limit` records after sequence number `after`.
    pub fn stream_records(
        &self,
        stream: i64,
        after: i64,
        limit: usize,
    ) -> Result<Vec<StreamRecord>> {
        self.store
            .read(|conn| storage::stream_records(conn, stream, after, limit))
    }

    /// Where an AT_TIMESTAMP iterator starts: after the stream's last record written before
    /// `time`.
    pub fn sequence_before(&self, stream: i64, time: f64) -> Result<i64> {
        self.store
            .read(|conn| storage::sequence_before(conn, stream, time))
    }

    /// The highest sequence number given so far (LATEST iterators start after it).
    pub fn last_sequence(&self) -> Result<i64> {
        self.store.read(|c| storage::last_sequence(c))
    }

    /// Drops stream records and disabled streams past the retention period.
    pub fn purge_streams(&self) -> Result<()> {
        let before = self.now() - RETENTION_SECS;
        self.store.write(|tx| storage::purge_streams(tx, before))
    }
}

fn parse_stream_arn<'a>(scope: &Scope, arn: &'a str) -> Option<(&'a str, &'a str)> {
    let rest = arn.strip_prefix("arn:aws:dynamodb:")?;
    let (region, rest) = rest.split_once(':')?;
    let (account, rest) = rest.split_once(':')?;
    if region != scope.region || account != scope.account {
        return None;
    }
    let rest = rest.strip_prefix("table/")?;
    rest.split_once("/stream/")
}

/// Decodes a stored image.
pub fn decode(bytes: &[u8]) -> Result<Item> {
    codec::decode_item(bytes).map_err(|_| Error::internal("corrupt stream record"))
}

#[cfg(test)]
mod label_tests {
    use crate::model::Scope;
    use crate::protocol::Service;
    use serde_json::json;

    // Enabling, disabling and re-enabling a stream faster than once a millisecond must not
    // reuse a label (the stream's identity): it used to be an intermittent UNIQUE failure.
    #[test]
    fn streams_reenabled_within_a_millisecond_get_distinct_labels() {
        let engine = crate::engine::Engine::open(&crate::Config::in_memory()).unwrap();
        let scope = Scope {
            account: "000000000000".into(),
            region: "us-east-1".into(),
        };
        let call = |op: &str, body: serde_json::Value| {
            crate::dispatch::call(&engine, &scope, Service::DynamoDb, op, &body)
                .unwrap_or_else(|e| panic!("{op}: {e}"))
        };
        call(
            "CreateTable",
            json!({"TableName": "flip", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}),
        );
        let mut labels = std::collections::HashSet::new();
        for _ in 0..50 {
            let on = call(
                "UpdateTable",
                json!({"TableName": "flip", "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"}}),
            );
            let label = on["TableDescription"]["LatestStreamLabel"].clone();
            assert!(labels.insert(label.to_string()), "label {label} reused");
            call(
                "UpdateTable",
                json!({"TableName": "flip", "StreamSpecification": {"StreamEnabled": false}}),
            );
        }
    }
}
