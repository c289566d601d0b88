//! Many items in one SQLite transaction: BatchWriteItem's writes and TransactWriteItems' actions
//! (phase 1 reads the current item of every action and evaluates its condition or update,
//! phase 2 applies every mutation; a refusal anywhere writes nothing), ClientRequestToken
//! idempotency (remembered in SQLite, in the same transaction as the writes), and the
//! one-snapshot reads of BatchGetItem and TransactGetItems.
//!
//! Every write goes through the store's single writer, so transactions are serializable: a
//! concurrent transaction either sees all of another's writes or none, and no update is lost.
use super::keys::{stored_key, EncodedKey};
use super::{
    after_write, insert_new, put_hint, read_current, remove_item, write_prepared, Condition,
    Engine, Origin, Prepared,
};
use crate::error::{CancellationReason, Error, ErrorKind, Result};
use crate::model::{Item, Scope, TableMeta};
use crate::storage::Tx;
use crate::storage::{self, TokenRow};

/// How long a ClientRequestToken is remembered (the service's 10 minutes).
pub const TOKEN_TTL_SECONDS: f64 = 600.0;

/// One action of a write transaction or batch, validated by the caller (keys well formed, items
/// within size). The actions of one call touch distinct items: callers reject duplicates.
pub enum TxAction<'a> {
    Put {
        meta: &'a TableMeta,
        item: Item,
        condition: Option<Condition<'a>>,
    },
    /// Replaces the item at `key` by `update(current)`; the closure checks its own condition.
    Update {
        meta: &'a TableMeta,
        key: EncodedKey,
        /// None: the item stays absent (an update that only removes, on no item).
        update: &'a dyn Fn(Option<&Item>) -> Result<Option<Item>>,
    },
    Delete {
        meta: &'a TableMeta,
        key: EncodedKey,
        condition: Option<Condition<'a>>,
    },
    /// Writes nothing; only its condition counts.
    Check {
        meta: &'a TableMeta,
        key: EncodedKey,
        condition: Condition<'a>,
    },
    /// Known to fail before anything is read (e.g. a key of the wrong type): the transaction is
    /// cancelled with this error as the action's reason.
    Refused(Error),
}

/// The sizes (by the service's rules) of the item an action found and of the one it left; 0
/// for an absent item. What capacity accounting needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Touched {
    pub old_size: usize,
    pub new_size: usize,
}

/// A ClientRequestToken and the identity of the request it came with.
pub struct Token<'a> {
    pub scope: &'a Scope,
    pub token: &'a str,
    /// Equal for equal requests (the caller decides what "equal" means).
    pub fingerprint: &'a [u8],
}

/// A committed transaction: applied now, or earlier under the same token (nothing re-applied).
#[derive(Debug, Clone, PartialEq)]
pub enum TxOutcome {
    Applied(Vec<Touched>),
    Replayed(Vec<Touched>),
}

/// What phase 1 decided for one action.
enum Planned<'m> {
    Write(Prepared<'m>, Option<(Item, i64)>),
    /// A put with nothing to check: its key is read only if it holds an item (phase 2).
    Put(Prepared<'m>),
    Delete(&'m TableMeta, EncodedKey, Option<(Item, i64)>),
    Nothing(usize),
}

impl Engine {
    /// TransactWriteItems: every action or none. A failed condition, a refused action or an
    /// update that cannot apply cancels the whole transaction with one reason per action (in
    /// order, `None` for the others); nothing is written. With a token, a repeat of a
    /// committed request within the TTL returns the first outcome and writes nothing; the same
    /// token with another request is IdempotentParameterMismatch.
    pub fn transact_write(
        &self,
        actions: Vec<TxAction>,
        token: Option<Token>,
    ) -> Result<TxOutcome> {
        self.store.write(|tx| {
            if let Some(t) = &token {
                let now = self.now();
                storage::expire_tokens(tx, now - TOKEN_TTL_SECONDS)?;
                let known = storage::get_token(tx, &t.scope.account, &t.scope.region, t.token)?;
                if let Some(row) = known {
                    if row.fingerprint != t.fingerprint {
                        return Err(Error::new(ErrorKind::IdempotentParameterMismatch, ""));
                    }
                    return Ok(TxOutcome::Replayed(decode_touched(&row.result)?));
                }
            }
            let touched = apply_all(self, tx, actions, self.now()).map_err(|reasons| {
                Error::cancelled(
                    reasons
                        .into_iter()
                        .map(|r| {
                            r.map_or_else(CancellationReason::none, CancellationReason::from_error)
                        })
                        .collect(),
                )
            })?;
            if let Some(t) = &token {
                let row = TokenRow {
                    fingerprint: t.fingerprint.to_vec(),
                    at: self.now(),
                    result: encode_touched(&touched),
                };
                storage::put_token(tx, &t.scope.account, &t.scope.region, t.token, &row)?;
            }
            Ok(TxOutcome::Applied(touched))
        })
    }

    /// BatchWriteItem: unconditional puts and deletes, all in one transaction. The first
    /// action that cannot apply (e.g. an index key of the wrong type) fails the whole call and
    /// nothing is written.
    pub fn write_batch(&self, actions: Vec<TxAction>) -> Result<Vec<Touched>> {
        self.store.write(|tx| {
            apply_all(self, tx, actions, self.now()).map_err(|reasons| {
                reasons
                    .into_iter()
                    .flatten()
                    .next()
                    .unwrap_or_else(|| Error::internal("batch refused without a reason"))
            })
        })
    }

    /// Reads items by key in one snapshot, in order, with their sizes. With `max_bytes`, stops
    /// before the item that would take the total size of the found items past it: the result
    /// is then shorter than `keys` (the caller reports the rest as unprocessed).
    pub fn get_items(
        &self,
        keys: &[(&TableMeta, &EncodedKey)],
        max_bytes: Option<usize>,
    ) -> Result<Vec<Option<(Item, usize)>>> {
        self.store.read_snapshot(|conn| {
            let mut out = Vec::with_capacity(keys.len());
            let mut total = 0usize;
            for (meta, key) in keys {
                let row = storage::get_item_with_size(conn, meta.id, &key.pk, &key.sk)?;
                let Some((bytes, size)) = row else {
                    out.push(None);
                    continue;
                };
                let size = size as usize;
                if max_bytes.is_some_and(|max| total + size > max) {
                    break;
                }
                total += size;
                let item = super::decode_row(&bytes)?;
                out.push(Some((item, size)));
            }
            Ok(out)
        })
    }
}

/// Phase 1 then phase 2 inside the caller's transaction. Err carries one entry per action
/// (`None` for those that were fine) when any action is refused; nothing was written then.
fn apply_all(
    engine: &Engine,
    tx: &Tx,
    actions: Vec<TxAction>,
    now: f64,
) -> Result<Vec<Touched>, Vec<Option<Error>>> {
    let internal = |e: Error| vec![Some(e)];
    let total = actions.len();
    let mut planned = Vec::with_capacity(total);
    let mut refused = false;
    for action in actions {
        match plan(tx, action) {
            Ok(p) => planned.push(Ok(p)),
            Err(e) if e.kind == ErrorKind::Internal => return Err(internal(e)),
            // A failed condition lets the others be checked too; any other refusal (a
            // ValidationError) stops the transaction there: the rest are not looked at.
            Err(e) if e.kind == ErrorKind::ConditionalCheckFailed => {
                refused = true;
                planned.push(Err(e));
            }
            Err(e) => {
                refused = true;
                planned.push(Err(e));
                break;
            }
        }
    }
    if refused {
        let mut reasons: Vec<Option<Error>> = planned.into_iter().map(|p| p.err()).collect();
        reasons.resize_with(total, || None);
        return Err(reasons);
    }
    // One statistics update per table for the whole batch, not one per item.
    let held = storage::HeldStats::hold(tx);
    let mut touched = Vec::with_capacity(planned.len());
    for p in planned {
        let p = p.map_err(|e| vec![Some(e)])?;
        touched.push(apply(engine, tx, p, now).map_err(internal)?);
    }
    if let Some(held) = held {
        held.write().map_err(internal)?;
    }
    Ok(touched)
}

/// Phase 1 for one action: read the current item, run the condition or the update, validate
/// the new item. Writes nothing.
fn plan<'m>(tx: &Tx, action: TxAction<'m>) -> Result<Planned<'m>> {
    let size = |old: &Option<(Item, i64)>| old.as_ref().map_or(0, |(_, s)| *s as usize);
    match action {
        TxAction::Refused(e) => Err(e),
        TxAction::Put {
            meta,
            item,
            condition,
        } => {
            if condition.is_none() && put_hint::insert_first(meta.id) {
                let p = Prepared::new(
                    meta,
                    item,
                    "Item size has exceeded the maximum allowed size",
                )?;
                return Ok(Planned::Put(p));
            }
            let old = read_current(tx, meta.id, &stored_key(&meta.key, &item))?;
            match condition {
                Some(cond) => cond(old.as_ref().map(|(i, _)| i))?,
                None => put_hint::record(meta.id, old.is_some()),
            }
            let p = Prepared::new(
                meta,
                item,
                "Item size has exceeded the maximum allowed size",
            )?;
            Ok(Planned::Write(p, old))
        }
        TxAction::Update { meta, key, update } => {
            let old = read_current(tx, meta.id, &key)?;
            let Some(new) = update(old.as_ref().map(|(i, _)| i))? else {
                return Ok(Planned::Nothing(0));
            };
            let p = Prepared::new(
                meta,
                new,
                "Item size to update has exceeded the maximum allowed size",
            )?;
            Ok(Planned::Write(p, old))
        }
        TxAction::Delete {
            meta,
            key,
            condition,
        } => {
            let old = read_current(tx, meta.id, &key)?;
            if let Some(cond) = condition {
                cond(old.as_ref().map(|(i, _)| i))?;
            }
            Ok(Planned::Delete(meta, key, old))
        }
        TxAction::Check {
            meta,
            key,
            condition,
        } => {
            let old = read_current(tx, meta.id, &key)?;
            condition(old.as_ref().map(|(i, _)| i))?;
            Ok(Planned::Nothing(size(&old)))
        }
    }
}

/// Phase 2 for one action: the write with its index rows, statistics, TTL expiry and stream
/// record, all in the caller's transaction.
fn apply(engine: &Engine, tx: &Tx, p: Planned, now: f64) -> Result<Touched> {
    match p {
        Planned::Write(p, old) => {
            let fresh = engine.fresh(p.meta);
            let meta = fresh.as_deref().unwrap_or(p.meta);
            write_prepared(tx, meta, &p, old.as_ref(), now, Origin::Client)?;
            Ok(Touched {
                old_size: old.map_or(0, |(_, s)| s as usize),
                new_size: p.size,
            })
        }
        Planned::Put(p) => {
            let fresh = engine.fresh(p.meta);
            let meta = fresh.as_deref().unwrap_or(p.meta);
            let inserted = insert_new(tx, meta, &p)?;
            put_hint::record(meta.id, !inserted);
            let old = match inserted {
                true => {
                    after_write(tx, meta, &p, None, now, Origin::Client)?;
                    None
                }
                false => {
                    let old = read_current(tx, meta.id, &p.key)?;
                    write_prepared(tx, meta, &p, old.as_ref(), now, Origin::Client)?;
                    old
                }
            };
            Ok(Touched {
                old_size: old.map_or(0, |(_, s)| s as usize),
                new_size: p.size,
            })
        }
        Planned::Delete(meta, key, old) => {
            let mut old_size = 0;
            if let Some(current) = &old {
                let fresh = engine.fresh(meta);
                let meta = fresh.as_deref().unwrap_or(meta);
                remove_item(tx, meta, &key, current, now, Origin::Client)?;
                old_size = current.1 as usize;
            }
            Ok(Touched {
                old_size,
                new_size: 0,
            })
        }
        Planned::Nothing(size) => Ok(Touched {
            old_size: size,
            new_size: size,
        }),
    }
}

/// `old:new` pairs, comma-separated: a committed transaction's sizes, kept with its token.
fn encode_touched(touched: &[Touched]) -> String {
    touched
        .iter()
        .map(|t| format!("{}:{}", t.old_size, t.new_size))
        .collect::<Vec<_>>()
        .join(",")
}

fn decode_touched(text: &str) -> Result<Vec<Touched>> {
    let bad = || Error::internal("corrupt transaction token row");
    text.split(',')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (old, new) = pair.split_once(':').ok_or_else(bad)?;
            Ok(Touched {
                old_size: old.parse().map_err(|_| bad())?,
                new_size: new.parse().map_err(|_| bad())?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // A replayed transaction must report exactly what the first run wrote.
    #[test]
    fn touched_sizes_round_trip_through_their_encoding() {
        let t = vec![
            Touched {
                old_size: 0,
                new_size: 12,
            },
            Touched {
                old_size: 409_600,
                new_size: 0,
            },
        ];
        assert_eq!(decode_touched(&encode_touched(&t)).unwrap(), t);
        assert_eq!(decode_touched("").unwrap(), vec![]);
    }
}
