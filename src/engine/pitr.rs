//! Point-in-time recovery. While it is on, every item write logs the item's old image with the
//! write's time, in the write's own transaction (`write_prepared`, `remove_item`); a table off
//! PITR logs nothing and pays one hash-set lookup. The table as it was at T is then the current
//! items, except that each key changed after T takes the old image of its first change after T
//! (`storage::rows_at`): storage grows with the number of changes, never with copies of the
//! table. The sweeper forgets changes older than the recovery period. Times are the engine
//! clock's, so tests move them with `/_awsim/clock`.
use super::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{PitrState, Scope, TableMeta};
use crate::storage;
use std::sync::Arc;

/// The service's default recovery period.
pub const DEFAULT_PERIOD_DAYS: i64 = 35;

const DAY: f64 = 86_400.0;

/// A table's restorable window at `now`: (earliest, latest). The service's latest lags the
/// present by about five minutes; here every acknowledged write is restorable at once.
pub fn window(p: &PitrState, now: f64) -> (f64, f64) {
    let earliest = p.enabled_at.max(now - p.period_days as f64 * DAY);
    (earliest, now)
}

impl Engine {
    /// The table for the continuous-backup operations: a missing one is TableNotFound.
    pub fn pitr_table(&self, scope: &Scope, name: &str) -> Result<Arc<TableMeta>> {
        self.table_any(scope, name)
            .map_err(|_| Error::new(ErrorKind::TableNotFound, format!("Table not found: {name}")))
    }

    /// Turns PITR on (with a recovery period; an enabled table keeps its history and only
    /// changes the period) or off (its history is dropped).
    pub fn update_continuous_backups(
        &self,
        scope: &Scope,
        name: &str,
        enabled: bool,
        period_days: Option<i64>,
    ) -> Result<Arc<TableMeta>> {
        self.pitr_table(scope, name)?;
        let now = self.now();
        self.update_table(scope, name, |meta| {
            meta.pitr = match (enabled, meta.pitr.take()) {
                (false, _) => None,
                (true, Some(p)) => Some(PitrState {
                    period_days: period_days.unwrap_or(p.period_days),
                    enabled_at: p.enabled_at,
                }),
                (true, None) => Some(PitrState {
                    period_days: period_days.unwrap_or(DEFAULT_PERIOD_DAYS),
                    enabled_at: now,
                }),
            };
            Ok(())
        })
        .map_err(|e| match e.kind {
            ErrorKind::ResourceNotFound => {
                Error::new(ErrorKind::TableNotFound, format!("Table not found: {name}"))
            }
            _ => e,
        })
    }

    /// Forgets, for every PITR table, the changes older than its recovery period; returns how
    /// many were dropped. Run by the background sweeper.
    pub fn purge_pitr(&self) -> Result<usize> {
        let tables: Vec<Arc<TableMeta>> = self
            .tables
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .filter(|m| m.pitr.is_some())
            .cloned()
            .collect();
        let now = self.now();
        let mut purged = 0;
        for meta in tables {
            let Some(p) = &meta.pitr else { continue };
            let (earliest, _) = window(p, now);
            purged += self
                .store
                .write(|tx| storage::purge_log(tx, meta.id, earliest))?;
        }
        Ok(purged)
    }

    /// How many changes of the table are logged for PITR (tests and metrics).
    pub fn pitr_log_len(&self, meta: &TableMeta) -> Result<i64> {
        self.store.read(|conn| storage::log_len(conn, meta.id))
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::Engine;
    use crate::model::Scope;
    use crate::protocol::Service;
    use serde_json::{json, Value};

    // PITR must cost storage per change, not per copy of the table: a table of 500 items gets
    // one log row per write made after enabling, none for the items already there; a write
    // logged inside a cancelled transaction leaves nothing; the sweep past the recovery period
    // forgets them all, and disabling drops the history.
    #[test]
    fn history_grows_with_changes_and_is_purged_after_the_period() {
        let engine = Engine::open(&crate::Config::in_memory()).unwrap();
        let scope = Scope {
            account: "000000000000".into(),
            region: "us-east-1".into(),
        };
        let call = |op: &str, body: Value| {
            crate::dispatch::call(&engine, &scope, Service::DynamoDb, op, &body)
        };
        call(
            "CreateTable",
            json!({
                "TableName": "tbl", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]
            }),
        )
        .unwrap();
        for i in 0..500 {
            call(
                "PutItem",
                json!({"TableName": "tbl", "Item": {"pk": {"S": format!("k{i}")}}}),
            )
            .unwrap();
        }
        call(
            "UpdateContinuousBackups",
            json!({"TableName": "tbl", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true, "RecoveryPeriodInDays": 2}}),
        )
        .unwrap();
        let meta = engine.table(&scope, "tbl").unwrap();
        assert_eq!(engine.pitr_log_len(&meta).unwrap(), 0);
        call(
            "PutItem",
            json!({"TableName": "tbl", "Item": {"pk": {"S": "k1"}, "v": {"N": "1"}}}),
        )
        .unwrap();
        call(
            "DeleteItem",
            json!({"TableName": "tbl", "Key": {"pk": {"S": "k2"}}}),
        )
        .unwrap();
        call(
            "UpdateItem",
            json!({"TableName": "tbl", "Key": {"pk": {"S": "new"}}, "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"N": "2"}}}),
        )
        .unwrap();
        let cancelled = call(
            "TransactWriteItems",
            json!({"TransactItems": [
                {"Put": {"TableName": "tbl", "Item": {"pk": {"S": "k3"}, "v": {"N": "3"}}}},
                {"ConditionCheck": {"TableName": "tbl", "Key": {"pk": {"S": "absent"}}, "ConditionExpression": "attribute_exists(pk)"}}
            ]}),
        );
        assert!(cancelled.is_err());
        assert_eq!(engine.pitr_log_len(&meta).unwrap(), 3);
        engine.clock.advance(86_400.0);
        assert_eq!(engine.purge_pitr().unwrap(), 0);
        engine.clock.advance(86_401.0);
        assert_eq!(engine.purge_pitr().unwrap(), 3);
        assert_eq!(engine.pitr_log_len(&meta).unwrap(), 0);
        call(
            "PutItem",
            json!({"TableName": "tbl", "Item": {"pk": {"S": "k4"}}}),
        )
        .unwrap();
        assert_eq!(engine.pitr_log_len(&meta).unwrap(), 1);
        call(
            "UpdateContinuousBackups",
            json!({"TableName": "tbl", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": false}}),
        )
        .unwrap();
        assert_eq!(engine.pitr_log_len(&meta).unwrap(), 0);
        call(
            "PutItem",
            json!({"TableName": "tbl", "Item": {"pk": {"S": "k5"}}}),
        )
        .unwrap();
        assert_eq!(engine.pitr_log_len(&meta).unwrap(), 0);
    }
}
