//! TransactWriteItems: up to 100 actions (ConditionCheck, Put, Delete, Update) over several
//! tables, applied all or none in one SQLite transaction (engine/transact.rs). Checked in
//! DynamoDB Local's order (conformance/notes/batch.md): the action count; one pass over the
//! actions for their shape, expressions, values and the 4 MB payload; a second pass for tables,
//! keys and the same item twice. What only execution can tell (conditions, updates, keys of the
//! wrong type) cancels the transaction with one reason per action. A ClientRequestToken makes
//! a committed request idempotent for 10 minutes.
use crate::engine::capacity::{read_units, write_units, Consumed, Units};
use crate::engine::keys::{self, EncodedKey};
use crate::engine::transact::{Token, TxAction, TxOutcome};
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::expr::validate::check_unused;
use crate::model::size::{item_size, value_size, MAX_ITEM_SIZE};
use crate::model::{Item, Scope, TableMeta};
use crate::ops::batches::{item_collection_metrics_per_table, table_name};
use crate::ops::capacity::{add_to, render_list, Meter};
use crate::ops::expressions::{Check, Exprs};
use crate::ops::items::update_item::metered_update;
use crate::ops::items::update_item::UpdatePlan;
use crate::ops::Input;
use crate::protocol::attr::parse_item;
use serde_json::{Map, Value};
use sha1::{Digest, Sha1};
use std::cell::RefCell;
use std::sync::Arc;

/// The most actions one transaction may carry.
pub const MAX_ACTIONS: usize = 100;

/// The most payload one transaction may carry (the service's 4 MB), counted as DynamoDB Local
/// counts it: see [`payload_size`].
pub const MAX_PAYLOAD_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    ConditionCheck,
    Put,
    Delete,
    Update,
}

const MEMBERS: [(&str, Kind); 4] = [
    ("ConditionCheck", Kind::ConditionCheck),
    ("Put", Kind::Put),
    ("Delete", Kind::Delete),
    ("Update", Kind::Update),
];

/// An action's condition, run by the engine inside the write transaction.
type ConditionFn<'a> = Box<dyn Fn(Option<&Item>) -> Result<()> + 'a>;
/// An Update action's update (condition included), run likewise.
type UpdateFn<'a> = Box<dyn Fn(Option<&Item>) -> Result<Option<Item>> + 'a>;

/// Per action after the second pass: its table, and its key or the error that will be its
/// cancellation reason.
type Resolved = (Vec<Arc<TableMeta>>, Vec<Result<EncodedKey>>);

/// One action after the first pass.
struct Action<'a> {
    kind: Kind,
    input: Input<'a>,
    exprs: Exprs,
    check: Option<Check>,
    update: Option<UpdatePlan>,
    /// A Put's item, or the Key of the others.
    item: Item,
}

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let items = input
        .list("TransactItems")
        .map(Vec::as_slice)
        .unwrap_or(&[]);

    let actions = read_actions(items)?;
    let (metas, keys) = resolve(engine, scope, &actions)?;

    // Execution: the conditions and updates run inside the engine's write transaction, each
    // metered and charged there first (twice the units: a transaction); a throttled action
    // cancels the transaction, and what the others took is given back.
    let meter = Meter::new(engine, input, 2.0);
    let consumed: Vec<RefCell<Option<Consumed>>> =
        actions.iter().map(|_| RefCell::new(None)).collect();
    let conditions: Vec<Option<ConditionFn>> = actions
        .iter()
        .zip(&metas)
        .zip(&consumed)
        .map(|((a, meta), consumed)| {
            let period = a.kind == Kind::ConditionCheck;
            let active = meter.active(meta);
            if !active && a.check.is_none() {
                return None;
            }
            let meter = &meter;
            Some(Box::new(move |old: Option<&Item>| {
                if active {
                    let c = match a.kind {
                        Kind::ConditionCheck => meter.check(meta, &a.item, old)?,
                        Kind::Put => {
                            meter.write(meta, &a.item, old, Some(&a.item), item_size(&a.item))?
                        }
                        _ => meter.write(meta, &a.item, old, None, 0)?,
                    };
                    *consumed.borrow_mut() = Some(c);
                }
                match &a.check {
                    Some(c) => c
                        .check(old)
                        .map_err(|e| if period { with_period(e) } else { e }),
                    None => Ok(()),
                }
            }) as ConditionFn)
        })
        .collect();
    let updates: Vec<Option<UpdateFn>> = actions
        .iter()
        .zip(&metas)
        .zip(&consumed)
        .map(|((a, meta), consumed)| {
            let active = meter.active(meta);
            let meter = &meter;
            a.update.as_ref().map(|plan| {
                Box::new(move |old: Option<&Item>| {
                    let applied = plan.apply(meta, &a.item, old);
                    if active {
                        metered_update(meter, meta, &a.item, old, &applied, consumed)?;
                    }
                    applied
                }) as UpdateFn
            })
        })
        .collect();
    let mut tx_actions = Vec::with_capacity(actions.len());
    for (i, a) in actions.iter().enumerate() {
        let meta = &*metas[i];
        let key = match &keys[i] {
            Ok(k) => k.clone(),
            Err(e) => {
                tx_actions.push(TxAction::Refused(e.clone()));
                continue;
            }
        };
        let condition = conditions[i].as_deref();
        tx_actions.push(match a.kind {
            Kind::Put => TxAction::Put {
                meta,
                item: a.item.clone(),
                condition,
            },
            Kind::Delete => TxAction::Delete {
                meta,
                key,
                condition,
            },
            Kind::ConditionCheck => match condition {
                Some(condition) => TxAction::Check {
                    meta,
                    key,
                    condition,
                },
                None => return Err(Error::internal("ConditionCheck without a condition")),
            },
            Kind::Update => match updates[i].as_deref() {
                Some(update) => TxAction::Update { meta, key, update },
                None => return Err(Error::internal("Update without an update")),
            },
        });
    }
    let token = input.str("ClientRequestToken");
    let fingerprint = fingerprint(input);
    let token = token.map(|token| Token {
        scope,
        token,
        fingerprint: &fingerprint,
    });
    let outcome = engine
        .transact_write(tx_actions, token)
        .map_err(|e| meter.refund_if_throttled(e))?;

    // Transactional writes cost twice a normal one; a ConditionCheck twice a consistent read.
    // A replayed request ran nothing: its units come from what the first run touched.
    let mut units: Vec<(&TableMeta, Consumed)> = Vec::new();
    let touched = match &outcome {
        TxOutcome::Applied(t) | TxOutcome::Replayed(t) => t,
    };
    for (((a, meta), t), c) in actions.iter().zip(&metas).zip(touched).zip(&consumed) {
        let c = match (&outcome, c.borrow().clone()) {
            (TxOutcome::Applied(_), Some(c)) => c,
            _ => {
                let mut c = match a.kind {
                    Kind::ConditionCheck => Consumed::table_read(read_units(t.old_size, true)),
                    _ => Consumed {
                        table: Units {
                            read: 0.0,
                            write: write_units(t.old_size, t.new_size),
                        },
                        indexes: Vec::new(),
                    },
                };
                c.scale(2.0);
                c
            }
        };
        add_to(&mut units, meta, &c);
    }
    let mut out = Map::new();
    if let Some(cc) = render_list(&units, meter.report) {
        out.insert("ConsumedCapacity".into(), cc);
    }
    let written: Vec<(&TableMeta, Item)> = actions
        .iter()
        .zip(&metas)
        .filter(|(a, _)| a.kind != Kind::ConditionCheck)
        .map(|(a, meta)| (&**meta, crate::engine::keys::key_of(&meta.key, &a.item)))
        .collect();
    if let Some(m) = item_collection_metrics_per_table(engine, input, &written)? {
        out.insert("ItemCollectionMetrics".into(), m);
    }
    Ok(Value::Object(out))
}

/// Pass 1, in request order: each action's shape, expressions and values, and the running
/// payload size.
fn read_actions(items: &[Value]) -> Result<Vec<Action<'_>>> {
    let mut actions = Vec::with_capacity(items.len());
    let mut payload = 0usize;
    for raw in items {
        // A null entry has no member, like `{}`.
        let present: Vec<(Kind, Input)> = MEMBERS
            .iter()
            .filter_map(|(name, kind)| {
                let member = raw.get(*name).and_then(Value::as_object)?;
                Some((*kind, Input(member)))
            })
            .collect();
        let (kind, a) = match present.as_slice() {
            [] => {
                return Err(Error::validation(
                    "Invalid Request: TransactWriteRequest should contain Delete or Put or Update request",
                ))
            }
            [one] => *one,
            _ => {
                return Err(Error::validation(
                    "TransactItems can only contain one of Check, Put, Update or Delete",
                ))
            }
        };
        let action = read_action(kind, a)?;
        payload += payload_size(&action);
        if payload > MAX_PAYLOAD_BYTES {
            return Err(Error::validation(format!(
                "Transaction payload size cannot exceed 4MB. Payload Size: {payload}"
            )));
        }
        actions.push(action);
    }
    Ok(actions)
}

/// Pass 2, in request order: table, stray placeholders, key, the same item twice. A key that
/// does not fit the schema is not an error yet: it becomes the action's cancellation reason.
fn resolve(engine: &Engine, scope: &Scope, actions: &[Action]) -> Result<Resolved> {
    let mut metas: Vec<Arc<TableMeta>> = Vec::with_capacity(actions.len());
    let mut keys: Vec<Result<EncodedKey>> = Vec::with_capacity(actions.len());
    for a in actions {
        let name = table_name(a.input.str("TableName").unwrap_or_default());
        let meta = engine.table(scope, name)?;
        let expressions: &[&str] = match a.kind {
            Kind::Update => &["UpdateExpression", "ConditionExpression"],
            _ => &["ConditionExpression"],
        };
        a.exprs.finish(a.input, expressions)?;
        // A key that does not fit the schema is not an error of the call: it becomes the
        // action's ValidationError reason (the same words as the single-item operations).
        let key = match a.kind {
            Kind::Put => keys::item_key(&meta.key, &a.item),
            _ => keys::request_key(&meta.key, &a.item),
        };
        if let Ok(k) = &key {
            let same = metas
                .iter()
                .zip(&keys)
                .any(|(m, other)| m.id == meta.id && other.as_ref() == Ok(k));
            if same {
                return Err(Error::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
        }
        metas.push(meta);
        keys.push(key);
    }

    Ok((metas, keys))
}

/// Pass 1 for one action: its placeholders, expressions (unused placeholders included), then
/// its item or key values.
fn read_action(kind: Kind, a: Input) -> Result<Action> {
    let mut exprs = Exprs::read(a)?;
    let update = match kind {
        Kind::Update => exprs.update(a)?,
        _ => None,
    };
    let condition = exprs.condition(a, "ConditionExpression")?;
    if has_expression(a) {
        check_unused(&exprs.ctx(), &exprs.used)?;
    }
    let check = condition.map(|c| Check::new(c, &exprs, a));
    let member = if kind == Kind::Put { "Item" } else { "Key" };
    let item = parse_item(a.get(member).unwrap_or(&Value::Null))?;
    if kind == Kind::Put && item_size(&item) > MAX_ITEM_SIZE {
        return Err(Error::validation(
            "Item size has exceeded the maximum allowed size",
        ));
    }
    let (check, update) = match update {
        // An Update's condition runs inside its plan, before the actions.
        Some((update, paths)) => (
            None,
            Some(UpdatePlan::from_expression(update, paths, &exprs, check)),
        ),
        None => (check, None),
    };
    Ok(Action {
        kind,
        input: a,
        exprs,
        check,
        update,
        item,
    })
}

fn has_expression(a: Input) -> bool {
    a.get("UpdateExpression").is_some() || a.get("ConditionExpression").is_some()
}

/// An action's share of the 4 MB, as DynamoDB Local measures it (probed; notes/batch.md): the
/// item (Put) or the key (others) by the item size rules, plus, when the action has an
/// expression, the expressions' lengths, the names' lengths and the values' sizes.
fn payload_size(a: &Action) -> usize {
    let mut size = item_size(&a.item);
    if has_expression(a.input) {
        size += ["UpdateExpression", "ConditionExpression"]
            .iter()
            .filter_map(|p| a.input.str(p))
            .map(str::len)
            .sum::<usize>();
        size += a.exprs.names.values().map(String::len).sum::<usize>();
        size += a.exprs.values.values().map(value_size).sum::<usize>();
    }
    size
}

/// DynamoDB Local ends a ConditionCheck's failure message with a period, unlike the others'.
fn with_period(mut e: Error) -> Error {
    if e.kind == ErrorKind::ConditionalCheckFailed {
        if let Some(m) = &mut e.message {
            m.push('.');
        }
    }
    e
}

/// What makes two requests "the same" for a ClientRequestToken: their TransactItems exactly as
/// sent. ReturnConsumedCapacity is not part of it (DynamoDB Local accepts a repeat that adds it).
fn fingerprint(input: Input) -> Vec<u8> {
    let items = input.get("TransactItems").cloned().unwrap_or(Value::Null);
    let bytes = serde_json::to_vec(&items).unwrap_or_default();
    Sha1::digest(&bytes).to_vec()
}
