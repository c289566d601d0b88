//! The PartiQL family: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction. This
//! module holds what they share: `Parameters`, a statement prepared and planned against its
//! table (`crate::partiql` does the language), the writes (INSERT, UPDATE, DELETE) run through
//! the same engine calls and condition/update code as PutItem, UpdateItem and DeleteItem, the
//! projection of a SELECT's items, and the NextToken of a SELECT's pages.
pub mod batch_execute_statement;
pub mod execute_statement;
pub mod execute_transaction;

use crate::engine::capacity::Consumed;
use crate::engine::{keys, Engine};
use crate::error::{Error, ErrorKind, Result};
use crate::expr::update::get_path;
use crate::model::size::item_size;
use crate::model::{AttributeValue, Item, Scope, TableMeta};
use crate::ops::capacity::Meter;
use crate::ops::expressions::{Check, Exprs};
use crate::ops::items::update_item::metered_update;
use crate::ops::items::update_item::{updated_attributes, UpdatePlan as ItemUpdate};
use crate::ops::Input;
use crate::partiql::plan::{self, Condition, Mode, Plan, Prepared, ReturnValues};
use crate::protocol::attr::{parse_item, parse_value, render_item};
use base64::Engine as _;
use serde_json::{Map, Value};
use sha1::{Digest, Sha1};
use std::cell::RefCell;
use std::sync::Arc;

/// A statement's `Parameters`, checked as attribute values.
pub fn read_params(input: Input) -> Result<Vec<AttributeValue>> {
    input
        .list("Parameters")
        .map(|l| l.iter().map(|v| parse_value(v, 1)).collect())
        .unwrap_or_else(|| Ok(Vec::new()))
}

/// A statement prepared (parsed, classified, named) and its table.
pub struct Resolved {
    pub prep: Prepared,
    pub meta: Arc<TableMeta>,
}

/// Parses and translates `text` (the checks that need no table), then looks its table up.
pub fn resolve(
    engine: &Engine,
    scope: &Scope,
    text: &str,
    params: &[AttributeValue],
    mode: Mode,
) -> Result<Resolved> {
    let prep = plan::prepare(text, params, mode).map_err(|e| e.into_error(text))?;
    let meta = engine.table(scope, &prep.table)?;
    Ok(Resolved { prep, meta })
}

impl Resolved {
    pub fn plan(&self, text: &str, params: &[AttributeValue], mode: Mode) -> Result<Plan> {
        plan::plan(&self.prep, &self.meta, params, mode).map_err(|e| e.into_error(text))
    }
}

/// A planned condition as the engine's condition callback runs it.
pub fn check(c: &Condition, return_old: bool) -> Check {
    Check::from_parts(
        c.cond.clone(),
        c.names.clone(),
        c.values.clone(),
        return_old,
    )
}

/// What a write did, for ConsumedCapacity and RETURNING.
pub struct Written {
    /// What it consumed (zero when nothing was metered: see `Meter::active`).
    pub consumed: Consumed,
    /// The item RETURNING asked for.
    pub returned: Option<Item>,
}

/// The error an INSERT of an existing key answers.
pub fn duplicate_item() -> Error {
    Error::new(
        ErrorKind::DuplicateItem,
        "Duplicate primary key exists in table",
    )
}

/// Runs an INSERT, UPDATE or DELETE plan as PutItem / UpdateItem / DeleteItem do: one engine
/// write with its condition inside the write transaction. `return_old` is
/// ReturnValuesOnConditionCheckFailure ALL_OLD.
pub fn write<'a>(
    engine: &Engine,
    meter: &Meter<'a>,
    meta: &'a TableMeta,
    plan: Plan,
    return_old: bool,
) -> Result<Written> {
    write_plan(engine, meter, meta, plan, return_old).map_err(key_size)
}

/// A key over the size limits, in the words PartiQL uses for both keys.
pub fn key_size(mut e: Error) -> Error {
    const SIZE: [&str; 2] = [
        "One or more parameter values were invalid: Size of hashkey has exceeded",
        "One or more parameter values were invalid: Aggregated size of all range keys",
    ];
    if e.message
        .as_deref()
        .is_some_and(|m| SIZE.iter().any(|p| m.starts_with(p)))
    {
        e.message = Some("Hash primary key values must be under 2048 bytes, and range primary key values must be under 1024 bytes".into());
    }
    e
}

fn write_plan<'a>(
    engine: &Engine,
    meter: &Meter<'a>,
    meta: &'a TableMeta,
    plan: Plan,
    return_old: bool,
) -> Result<Written> {
    let active = meter.active(meta);
    let consumed = RefCell::new(None);
    let returned = match plan {
        Plan::Insert(item) => {
            let key = keys::key_of(&meta.key, &item);
            let kept = meter.needs_item(meta).then(|| item.clone());
            let size = if active { item_size(&item) } else { 0 };
            let refuse = |old: Option<&Item>| {
                if active {
                    *consumed.borrow_mut() =
                        Some(meter.write(meta, &key, old, kept.as_ref(), size)?);
                }
                match old {
                    Some(_) => Err(duplicate_item()),
                    None => Ok(()),
                }
            };
            engine.put_item(meta, item, Some(&refuse))?;
            None
        }
        Plan::Update(u) => {
            let ek = keys::request_key(&meta.key, &u.key)?;
            let cond = u.condition.as_ref().map(|c| check(c, return_old));
            let exprs = Exprs {
                names: u.names.clone(),
                values: u.values.clone(),
                used: Default::default(),
            };
            let update =
                ItemUpdate::from_expression(u.update.clone(), u.paths.clone(), &exprs, cond);
            let apply = |old: Option<&Item>| {
                let applied = update.apply(meta, &u.key, old);
                if active {
                    metered_update(meter, meta, &u.key, old, &applied, &consumed)?;
                }
                applied
            };
            let (old, new) = engine
                .update_item(meta, &ek, &apply)
                .map_err(short_index_mismatch)?;
            match u.returning {
                None => None,
                Some(ReturnValues::AllOld) => old,
                Some(ReturnValues::AllNew) => new,
                Some(ReturnValues::UpdatedOld) => {
                    old.as_ref().map(|o| updated_attributes(o, &update.paths))
                }
                Some(ReturnValues::UpdatedNew) => {
                    new.as_ref().map(|n| updated_attributes(n, &update.paths))
                }
            }
        }
        Plan::Delete {
            key,
            condition,
            return_old: returning,
        } => {
            let ek = keys::request_key(&meta.key, &key)?;
            let cond = condition.as_ref().map(|c| check(c, return_old));
            // Deleting nothing succeeds whatever the condition says (as DynamoDB Local answers).
            let run = |old: Option<&Item>| {
                if active {
                    *consumed.borrow_mut() = Some(meter.write(meta, &key, old, None, 0)?);
                }
                match (&cond, old) {
                    (Some(c), Some(old)) => c.check(Some(old)),
                    _ => Ok(()),
                }
            };
            let old = engine.delete_item(meta, &ek, Some(&run))?;
            if returning {
                old
            } else {
                None
            }
        }
        Plan::Select(_) | Plan::Exists { .. } => return Err(Error::internal("not a write")),
    };
    Ok(Written {
        consumed: consumed.into_inner().unwrap_or_default(),
        returned,
    })
}

/// An UPDATE's index key of the wrong type, in DynamoDB Local's words for PartiQL (UpdateItem
/// names the key, its types and the index).
fn short_index_mismatch(mut e: Error) -> Error {
    const PREFIX: &str = "One or more parameter values were invalid: Type mismatch for Index Key";
    if e.message.as_deref().is_some_and(|m| m.starts_with(PREFIX)) {
        e.message = Some(PREFIX.into());
    }
    e
}

/// A batch's or transaction's item: the paths of the SELECT list kept where they are in the
/// item, as ProjectionExpression keeps them.
pub fn project_nested(item: &Item, projection: &Option<crate::partiql::plan::Paths>) -> Item {
    match projection {
        None => item.clone(),
        Some(paths) => {
            let p = crate::expr::projection::Projection {
                paths: paths.iter().map(|(p, _)| p.clone()).collect(),
                used_names: Default::default(),
            };
            crate::expr::projection::apply_projection(item, &p)
        }
    }
}

/// A SELECT's item as the statement asks for it: whole, or its projected paths under their
/// result names.
pub fn project(item: &Item, projection: &Option<crate::partiql::plan::Paths>) -> Item {
    match projection {
        None => item.clone(),
        Some(paths) => paths
            .iter()
            .filter_map(|(path, name)| get_path(item, path).map(|v| (name.clone(), v.clone())))
            .collect(),
    }
}

/// Where the next page of a SELECT starts: the partition (index into the plan's sorted
/// partitions, 0 for a scan) and the key after which to continue in it (none: its start). The token carries a
/// digest of the statement and its parameters, so it only continues the request it came from;
/// it holds all its state, so it survives a restart.
#[derive(Debug, Clone, PartialEq)]
pub struct PageToken {
    pub partition: usize,
    pub start: Item,
}

/// What a token must match: the statement and its parameters.
pub fn request_digest(text: &str, params: Option<&Vec<Value>>) -> String {
    let mut h = Sha1::new();
    h.update(text.as_bytes());
    h.update([0]);
    if let Some(p) = params {
        h.update(serde_json::to_vec(p).unwrap_or_default());
    }
    crate::codec::hex(&h.finalize())
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

impl PageToken {
    pub fn encode(&self, digest: &str) -> String {
        let mut m = Map::new();
        m.insert("v".into(), 1.into());
        m.insert("h".into(), Value::String(digest.into()));
        m.insert("p".into(), self.partition.into());
        m.insert("k".into(), render_item(&self.start));
        B64.encode(serde_json::to_vec(&Value::Object(m)).unwrap_or_default())
    }

    /// The token of a request whose digest is `digest`.
    pub fn decode(text: &str, digest: &str) -> Result<PageToken> {
        let invalid = || Error::validation("Invalid NextToken");
        let bytes = B64.decode(text).map_err(|_| invalid())?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        if v.get("v").and_then(Value::as_u64) != Some(1) {
            return Err(invalid());
        }
        if v.get("h").and_then(Value::as_str) != Some(digest) {
            return Err(Error::validation("NextToken does not match request"));
        }
        let partition = v.get("p").and_then(Value::as_u64).ok_or_else(invalid)? as usize;
        let k = v.get("k").filter(|k| k.is_object()).ok_or_else(invalid)?;
        let start = parse_item(k).map_err(|_| invalid())?;
        Ok(PageToken { partition, start })
    }
}

/// An ExecuteTransaction / BatchExecuteStatement element's ReturnValuesOnConditionCheckFailure.
pub fn return_old_on_failure(input: Input) -> bool {
    input.str("ReturnValuesOnConditionCheckFailure") == Some("ALL_OLD")
}

/// The parsed `Statement` members of a list (BatchExecuteStatement's Statements,
/// ExecuteTransaction's TransactStatements).
pub fn statements(list: &[Value]) -> Vec<Input<'_>> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    list.iter()
        .map(|v| Input(v.as_object().unwrap_or_else(|| EMPTY.get_or_init(Map::new))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // A token must round-trip, and must refuse a request other than its own.
    #[test]
    fn page_tokens_round_trip_and_bind_to_their_request() {
        let start: Item = [("pk".to_string(), AttributeValue::S("a".into()))]
            .into_iter()
            .collect();
        let t = PageToken {
            partition: 3,
            start,
        };
        let d = request_digest("SELECT * FROM t", None);
        assert_eq!(PageToken::decode(&t.encode(&d), &d).unwrap(), t);
        let other = request_digest("SELECT * FROM u", None);
        assert_eq!(
            PageToken::decode(&t.encode(&d), &other)
                .unwrap_err()
                .message
                .unwrap(),
            "NextToken does not match request"
        );
        for bad in ["garbage", "", "e30=", "bnVsbA=="] {
            assert_eq!(
                PageToken::decode(bad, &d).unwrap_err().message.unwrap(),
                "Invalid NextToken"
            );
        }
    }
}
