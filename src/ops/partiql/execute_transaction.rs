//! ExecuteTransaction: up to 100 statements (the model's limit), all reads (SELECTs of one item each, read in one
//! snapshot as TransactGetItems reads) or all writes, applied all or none through the engine's
//! transaction (`engine::transact`, as TransactWriteItems is): INSERT is a Put that refuses an
//! existing item, UPDATE an Update of an existing item, DELETE a Delete, EXISTS(SELECT ...) a
//! ConditionCheck. A refused statement cancels the transaction with one reason per statement,
//! in statement order. A ClientRequestToken makes a committed request idempotent for 10 minutes.
use super::{check, project_nested, read_params, return_old_on_failure, statements};
use crate::engine::capacity::{read_units, write_units, Consumed, Units};
use crate::engine::keys::{self, EncodedKey};
use crate::engine::transact::{Token, TxAction, TxOutcome};
use crate::engine::Engine;
use crate::error::{CancellationReason, Error, ErrorKind, Result};
use crate::model::size::item_size;
use crate::model::{Item, Scope, TableMeta};
use crate::ops::capacity::{add_to, render_list, Meter};
use crate::ops::expressions::Check;
use crate::ops::expressions::Exprs;
use crate::ops::items::update_item::metered_update;
use crate::ops::items::update_item::UpdatePlan as ItemUpdate;
use crate::ops::Input;
use crate::partiql::ast::Statement;
use crate::partiql::plan::{self, Mode, Plan};
use crate::partiql::PqlError;
use crate::protocol::attr::render_item;
use serde_json::{Map, Value};
use sha1::{Digest, Sha1};
use std::cell::RefCell;
use std::sync::Arc;

/// Errors of a statement's key that cancel the transaction (as the statement's reason) rather
/// than fail the call.
const KEY_REASONS: [&str; 2] = [
    "Key attribute should be present in the item:",
    "Key attribute's data type should match its data type in table's schema:",
];

/// Errors about the key of an UPDATE or DELETE's WHERE clause, which cancel the call.
const WHOLE_KEY: [&str; 2] = [
    "Where clause does not contain a mandatory equality on all key attributes",
    "Multiple conditions on same key",
];

/// One statement after planning: its table and plan, or the error that will be its
/// cancellation reason.
struct Planned {
    meta: Arc<TableMeta>,
    plan: Result<Plan>,
    return_old: bool,
}

pub fn run(engine: &Engine, scope: &Scope, input: Input) -> Result<Value> {
    let list = input
        .list("TransactStatements")
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let stmts = statements(list);
    let mut planned = Vec::with_capacity(stmts.len());
    let mut reads = Vec::with_capacity(stmts.len());
    for (i, s) in stmts.iter().enumerate() {
        let text = s.str("Statement").unwrap_or_default();
        let params = read_params(*s)?;
        let prefixed = |m: String| {
            Error::validation(format!("Validation failed in TransactStatements[{i}]: {m}"))
        };
        // Syntax errors are the call's; the statement's other errors name its position.
        let prep = match plan::prepare(text, &params, Mode::Transaction) {
            Ok(p) => p,
            Err(e @ PqlError::Syntax(..)) => return Err(e.into_error(text)),
            Err(PqlError::Invalid(m, None)) if m == "Unsupported operation in transaction." => {
                return Err(Error::validation(m))
            }
            Err(e) => return Err(prefixed(e.into_error(text).message.unwrap_or_default())),
        };
        let meta = engine.table(scope, &prep.table)?;
        let returning = match &prep.stmt {
            Statement::Update(u) => !u.returning.is_empty(),
            Statement::Delete(d) => !d.returning.is_empty(),
            _ => false,
        };
        if returning {
            return Err(prefixed(
                "RETURNING clause is not supported in ExecuteTransaction.".into(),
            ));
        }
        let plan = match plan::plan(&prep, &meta, &params, Mode::Transaction) {
            Ok(p) => Ok(p),
            Err(e) => {
                let e = e.into_error(text);
                let m = e.message.clone().unwrap_or_default();
                if e.kind != ErrorKind::Validation {
                    return Err(e);
                }
                if KEY_REASONS.iter().any(|p| m.starts_with(p)) {
                    Err(e)
                } else if WHOLE_KEY.iter().any(|p| m.starts_with(p)) {
                    // DynamoDB Local cancels the call with these, without reasons.
                    return Err(Error::new(
                        ErrorKind::TransactionCanceled,
                        format!("ValidationError {m}"),
                    ));
                } else {
                    return Err(prefixed(m));
                }
            }
        };
        let r = super::Resolved { prep, meta };
        // An UPDATE of a key attribute cancels the transaction at once, with its reason alone.
        if let Ok(Plan::Update(u)) = &plan {
            for path in &u.paths {
                if let Some(crate::expr::projection::PathElem::Attr(first)) = path.first() {
                    if r.meta.key.contains(first) {
                        return Err(Error::cancelled(vec![CancellationReason::from_error(
                            Error::validation(format!(
                                "One or more parameter values were invalid: Cannot update attribute {first}. This attribute is part of the key"
                            )),
                        )]));
                    }
                }
            }
        }
        reads.push(r.prep.kind.is_read());
        planned.push(Planned {
            meta: r.meta,
            plan,
            return_old: return_old_on_failure(*s),
        });
    }
    let read = reads.first().copied().unwrap_or(false);
    if reads.iter().any(|r| *r != read) {
        return Err(Error::validation(
            "ExecuteTransaction API does not support both read and write operations in the same request.",
        ));
    }
    let keys = encoded_keys(&planned)?;
    let meter = Meter::new(engine, input, 2.0);
    let mut units: Vec<(&TableMeta, Consumed)> = Vec::new();
    let responses = if read {
        read_all(engine, &meter, &planned, &keys, &mut units)?
    } else {
        write_all(engine, &meter, scope, input, &planned, keys, &mut units)?;
        Vec::new()
    };
    let mut out = Map::new();
    out.insert("Responses".into(), Value::Array(responses));
    if let Some(cc) = render_list(&units, meter.report) {
        out.insert("ConsumedCapacity".into(), cc);
    }
    Ok(Value::Object(out))
}

/// Each statement's key (or the error that is its reason); the same item twice fails the call.
fn encoded_keys(planned: &[Planned]) -> Result<Vec<Result<EncodedKey>>> {
    let mut out: Vec<Result<EncodedKey>> = Vec::with_capacity(planned.len());
    for (i, p) in planned.iter().enumerate() {
        let key = match &p.plan {
            Ok(Plan::Select(s)) => s.key.clone().unwrap_or_default(),
            Ok(Plan::Insert(item)) => keys::key_of(&p.meta.key, item),
            Ok(Plan::Update(u)) => u.key.clone(),
            Ok(Plan::Delete { key, .. }) | Ok(Plan::Exists { key, .. }) => key.clone(),
            Err(e) => {
                out.push(Err(e.clone()));
                continue;
            }
        };
        let ek = keys::request_key(&p.meta.key, &key);
        if let Ok(k) = &ek {
            let same = planned[..i]
                .iter()
                .zip(&out)
                .any(|(q, other)| q.meta.id == p.meta.id && other.as_ref() == Ok(k));
            if same {
                return Err(Error::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
        }
        out.push(ek);
    }
    Ok(out)
}

/// A read-only transaction: every item in one snapshot, each projected; all charged or none
/// (a statement its table cannot afford cancels the transaction).
fn read_all<'a>(
    engine: &Engine,
    meter: &Meter<'a>,
    planned: &'a [Planned],
    keys: &[Result<EncodedKey>],
    units: &mut Vec<(&'a TableMeta, Consumed)>,
) -> Result<Vec<Value>> {
    let mut lookups = Vec::with_capacity(planned.len());
    for (p, k) in planned.iter().zip(keys) {
        lookups.push((&*p.meta, k.as_ref().map_err(Clone::clone)?));
    }
    let found = engine.get_items(&lookups, None)?;
    let mut out = Vec::with_capacity(found.len());
    for (at, (p, item)) in planned.iter().zip(found).enumerate() {
        let size = item.as_ref().map_or(0, |(_, s)| *s);
        let mut c = Consumed::table_read(read_units(size, true));
        c.scale(2.0);
        let key = match &p.plan {
            Ok(Plan::Select(s)) => s.key.as_ref(),
            _ => None,
        };
        match meter.read(&p.meta, None, key, c) {
            Ok(c) => add_to(units, &p.meta, &c),
            Err(e) => {
                meter.refund();
                let reasons = (0..planned.len())
                    .map(|i| match i == at {
                        true => CancellationReason::from_error(e.clone()),
                        false => CancellationReason::none(),
                    })
                    .collect();
                return Err(Error::cancelled(reasons));
            }
        }
        let mut m = Map::new();
        if let (Some((item, _)), Ok(Plan::Select(s))) = (item, &p.plan) {
            m.insert(
                "Item".into(),
                render_item(&project_nested(&item, &s.projection)),
            );
        }
        out.push(Value::Object(m));
    }
    Ok(out)
}

/// Errors of evaluating an UPDATE's values (operand types, missing attributes, paths, number
/// range), which DynamoDB Local answers as the call's ValidationException, not as a reason.
fn is_evaluation_error(e: &Error) -> bool {
    const EVALUATION: [&str; 5] = [
        "An operand in the update expression has an incorrect data type",
        "The provided expression refers to an attribute that does not exist in the item",
        "The document path provided in the update expression is invalid for update",
        "Number overflow.",
        "Number underflow.",
    ];
    e.kind == ErrorKind::Validation
        && e.message
            .as_deref()
            .is_some_and(|m| EVALUATION.iter().any(|p| m.starts_with(p)))
}

/// DynamoDB Local ends an EXISTS (ConditionCheck) failure's message with a period.
fn with_period(mut e: Error) -> Error {
    if e.kind == ErrorKind::ConditionalCheckFailed {
        if let Some(m) = &mut e.message {
            m.push('.');
        }
    }
    e
}

type CondFn<'a> = Box<dyn Fn(Option<&Item>) -> Result<()> + 'a>;
type UpdateFn<'a> = Box<dyn Fn(Option<&Item>) -> Result<Option<Item>> + 'a>;

/// A write transaction through the engine: all of it or none of it. Each statement is
/// metered and charged inside it (twice the units); a throttled one cancels the transaction
/// and what the others took is given back.
fn write_all<'a>(
    engine: &Engine,
    meter: &Meter<'a>,
    scope: &Scope,
    input: Input,
    planned: &'a [Planned],
    keys: Vec<Result<EncodedKey>>,
    units: &mut Vec<(&'a TableMeta, Consumed)>,
) -> Result<()> {
    // An update that cannot be evaluated fails the call itself, not as a reason.
    let failed: std::cell::RefCell<Option<Error>> = std::cell::RefCell::new(None);
    let consumed: Vec<RefCell<Option<Consumed>>> =
        planned.iter().map(|_| RefCell::new(None)).collect();
    // The callbacks first, so the actions can borrow them.
    let mut conditions: Vec<Option<CondFn>> = Vec::with_capacity(planned.len());
    let mut updates: Vec<Option<UpdateFn>> = Vec::with_capacity(planned.len());
    for (p, consumed) in planned.iter().zip(&consumed) {
        let meta = &*p.meta;
        let active = meter.active(meta);
        let (cond, update): (Option<CondFn>, Option<UpdateFn>) = match &p.plan {
            Ok(Plan::Insert(item)) => (
                Some(Box::new(move |old: Option<&Item>| {
                    if active {
                        *consumed.borrow_mut() =
                            Some(meter.write(meta, item, old, Some(item), item_size(item))?);
                    }
                    match old {
                        // A transaction reports it as a ValidationError reason.
                        Some(_) => Err(Error::validation("Duplicate primary key exists in table")),
                        None => Ok(()),
                    }
                })),
                None,
            ),
            Ok(Plan::Update(u)) => {
                let cond = u.condition.as_ref().map(|c| check(c, p.return_old));
                let exprs = Exprs {
                    names: u.names.clone(),
                    values: u.values.clone(),
                    used: Default::default(),
                };
                let plan =
                    ItemUpdate::from_expression(u.update.clone(), u.paths.clone(), &exprs, cond);
                let key = u.key.clone();
                let failed = &failed;
                (
                    None,
                    Some(Box::new(move |old: Option<&Item>| {
                        let applied = plan.apply(meta, &key, old).inspect_err(|e| {
                            if is_evaluation_error(e) {
                                failed.borrow_mut().get_or_insert_with(|| e.clone());
                            }
                        });
                        if active {
                            metered_update(meter, meta, &key, old, &applied, consumed)?;
                        }
                        applied
                    })),
                )
            }
            // Deleting nothing succeeds whatever the condition says, as ExecuteStatement's.
            Ok(Plan::Delete { condition, key, .. }) => {
                let c: Option<Check> = condition.as_ref().map(|c| check(c, p.return_old));
                (
                    (active || c.is_some()).then(|| {
                        Box::new(move |old: Option<&Item>| {
                            if active {
                                *consumed.borrow_mut() =
                                    Some(meter.write(meta, key, old, None, 0)?);
                            }
                            match (&c, old) {
                                (Some(c), Some(old)) => c.check(Some(old)),
                                _ => Ok(()),
                            }
                        }) as CondFn
                    }),
                    None,
                )
            }
            Ok(Plan::Exists { condition, key }) => {
                // EXISTS never returns the item (DynamoDB Local ignores ALL_OLD here).
                let c: Check = check(condition, false);
                (
                    Some(Box::new(move |old: Option<&Item>| {
                        if active {
                            *consumed.borrow_mut() = Some(meter.check(meta, key, old)?);
                        }
                        c.check(old).map_err(with_period)
                    })),
                    None,
                )
            }
            _ => (None, None),
        };
        conditions.push(cond);
        updates.push(update);
    }
    let mut actions = Vec::with_capacity(planned.len());
    for (i, (p, key)) in planned.iter().zip(keys).enumerate() {
        let meta = &*p.meta;
        let key = match key {
            Ok(k) => k,
            Err(e) => {
                actions.push(TxAction::Refused(e));
                continue;
            }
        };
        let condition = conditions[i].as_deref();
        actions.push(match &p.plan {
            Ok(Plan::Insert(item)) => TxAction::Put {
                meta,
                item: item.clone(),
                condition,
            },
            Ok(Plan::Update(_)) => match updates[i].as_deref() {
                Some(update) => TxAction::Update { meta, key, update },
                None => return Err(Error::internal("UPDATE without its update")),
            },
            Ok(Plan::Delete { .. }) => TxAction::Delete {
                meta,
                key,
                condition,
            },
            Ok(Plan::Exists { .. }) => match condition {
                Some(condition) => TxAction::Check {
                    meta,
                    key,
                    condition,
                },
                None => return Err(Error::internal("EXISTS without its condition")),
            },
            Ok(Plan::Select(_)) => return Err(Error::internal("a read in a write transaction")),
            Err(e) => TxAction::Refused(e.clone()),
        });
    }
    let fingerprint = fingerprint(input);
    let token = input.str("ClientRequestToken").map(|token| Token {
        scope,
        token,
        fingerprint: &fingerprint,
    });
    let outcome = engine.transact_write(actions, token).map_err(|e| {
        if let Some(first) = failed.borrow_mut().take() {
            return first;
        }
        let mut e = meter.refund_if_throttled(e);
        if e.kind == ErrorKind::IdempotentParameterMismatch {
            e.message = Some(
                "Specified idempotent token was used with different request parameters within the idempotency window".into(),
            );
        }
        e
    })?;
    // A replayed request ran nothing: its units come from what the first run touched.
    let touched = match &outcome {
        TxOutcome::Applied(t) | TxOutcome::Replayed(t) => t,
    };
    for ((p, t), c) in planned.iter().zip(touched).zip(&consumed) {
        let c = match (&outcome, c.borrow().clone()) {
            (TxOutcome::Applied(_), Some(c)) => c,
            _ => {
                let mut c = match p.plan {
                    Ok(Plan::Exists { .. }) => Consumed::table_read(read_units(t.old_size, true)),
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
        add_to(units, &p.meta, &c);
    }
    Ok(())
}

/// What makes two requests "the same" for a ClientRequestToken: their statements and
/// parameters exactly as sent.
fn fingerprint(input: Input) -> Vec<u8> {
    let statements = input
        .get("TransactStatements")
        .cloned()
        .unwrap_or(Value::Null);
    Sha1::digest(serde_json::to_vec(&statements).unwrap_or_default()).to_vec()
}
