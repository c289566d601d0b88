//! Time to Live: each item's expiry (its TTL attribute, a number of epoch seconds) is kept in an
//! indexed column while the table has TTL enabled, and a sweeper deletes expired items in small
//! batches, each its own short write transaction, so foreground writes never wait long. A TTL
//! deletion updates indexes and appends a REMOVE stream record marked as the service's.
use super::{keys, read_current, remove_item, Engine, Origin};
use crate::error::Result;
use crate::model::{AttributeValue, Item, TableMeta};
use crate::storage;
use crate::storage::Tx;

/// Items deleted per write transaction.
pub const SWEEP_BATCH: usize = 100;

/// Expiry times further in the past than this are ignored, as the service ignores them.
const MAX_AGE_SECS: f64 = 5.0 * 365.0 * 86_400.0;

/// The expiry of `item` under its table's TTL setting: its TTL attribute when that is a number.
pub(super) fn expiry(meta: &TableMeta, item: &Item) -> Option<f64> {
    let ttl = meta.ttl.as_ref().filter(|t| t.enabled)?;
    match item.get(&ttl.attribute) {
        Some(AttributeValue::N(n)) => n.to_string().parse::<f64>().ok(),
        _ => None,
    }
}

/// Recomputes every item's expiry after the table's TTL setting changed.
pub(super) fn reindex(tx: &Tx, meta: &TableMeta) -> Result<()> {
    storage::clear_expiry(tx, meta.id)?;
    if !meta.ttl.as_ref().is_some_and(|t| t.enabled) {
        return Ok(());
    }
    let mut expiring = Vec::new();
    storage::for_each_item(tx, meta.id, |pk, sk, bytes| {
        let item = super::decode_row(bytes)?;
        if let Some(at) = expiry(meta, &item) {
            expiring.push((pk.to_vec(), sk.to_vec(), at));
        }
        Ok(())
    })?;
    for (pk, sk, at) in expiring {
        storage::set_expiry(tx, meta.id, &pk, &sk, Some(at))?;
    }
    Ok(())
}

impl Engine {
    /// Deletes items whose TTL has passed (at the engine's clock), at most `SWEEP_BATCH` per
    /// transaction, until none is left; returns how many were deleted.
    pub fn sweep_ttl(&self) -> Result<usize> {
        let tables: Vec<_> = self
            .tables
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .filter(|m| m.ttl.as_ref().is_some_and(|t| t.enabled))
            .cloned()
            .collect();
        let mut deleted = 0;
        for meta in tables {
            loop {
                let now = self.now();
                let batch = self.store.read(|conn| {
                    storage::expired(conn, meta.id, now - MAX_AGE_SECS, now, SWEEP_BATCH)
                })?;
                if batch.is_empty() {
                    break;
                }
                let n = batch.len();
                deleted += self.store.write(|tx| {
                    let mut done = 0;
                    for (pk, sk) in &batch {
                        let key = keys::EncodedKey {
                            pk: pk.clone(),
                            sk: sk.clone(),
                        };
                        // Re-checked inside the transaction: the item may have changed.
                        let Some(current) = read_current(tx, meta.id, &key)? else {
                            continue;
                        };
                        if expiry(&meta, &current.0).is_some_and(|at| at < now) {
                            let fresh = self.fresh(&meta);
                            let meta = fresh.as_deref().unwrap_or(&meta);
                            remove_item(tx, meta, &key, &current, now, Origin::Ttl)?;
                            done += 1;
                        }
                    }
                    Ok(done)
                })?;
                if n < SWEEP_BATCH {
                    break;
                }
            }
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::TestEngine;
    use serde_json::{json, Value};

    // An item past its expiry is still read until the sweeper deletes it (as in the service);
    // the sweep deletes it with its GSI entry, and leaves items whose TTL is not a number.
    #[test]
    fn expired_items_live_until_swept() {
        let t = TestEngine::new();
        let engine = &t.engine;
        let call = |op: &str, body: Value| t.call(op, body);
        call(
            "CreateTable",
            json!({
                "TableName": "tbl", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "GlobalSecondaryIndexes": [{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}]
            }),
        );
        let past = (engine.now() - 10.0).to_string();
        call(
            "PutItem",
            json!({"TableName": "tbl", "Item": {"pk": {"S": "old"}, "g": {"S": "x"}, "exp": {"N": past}}}),
        );
        call(
            "PutItem",
            json!({"TableName": "tbl", "Item": {"pk": {"S": "str"}, "g": {"S": "x"}, "exp": {"S": past}}}),
        );
        call(
            "UpdateTimeToLive",
            json!({"TableName": "tbl", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}}),
        );
        let get = || {
            call(
                "GetItem",
                json!({"TableName": "tbl", "Key": {"pk": {"S": "old"}}}),
            )
        };
        assert!(get().get("Item").is_some());
        assert_eq!(engine.sweep_ttl().unwrap(), 1);
        assert!(get().get("Item").is_none());
        let q = call(
            "Query",
            json!({"TableName": "tbl", "IndexName": "by-g", "KeyConditionExpression": "g = :g", "ExpressionAttributeValues": {":g": {"S": "x"}}}),
        );
        assert_eq!(q["Count"], 1);
        assert_eq!(engine.sweep_ttl().unwrap(), 0);
    }
}
