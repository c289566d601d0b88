//! Applying a validated update expression to an item. Every right-hand side is evaluated on the
//! item as it was before the update (as the service does), then SET, ADD and DELETE are applied
//! in order and REMOVE last, list indexes from the highest down so that removing `l[0], l[2]`
//! removes the elements that were at 0 and 2.
use super::ast::{Action, ArithOp, Operand, Update};
use super::eval::lookup;
use super::projection::PathElem;
use super::validate::Ctx;
use crate::error::{Error, Result};
use crate::model::{AttributeValue, Item};

fn invalid_path() -> Error {
    Error::validation("The document path provided in the update expression is invalid for update")
}
fn missing_attribute() -> Error {
    Error::validation(
        "The provided expression refers to an attribute that does not exist in the item",
    )
}
fn wrong_type() -> Error {
    Error::validation("An operand in the update expression has an incorrect data type")
}

/// How an update was written: legacy AttributeUpdates words its type error differently and its
/// ADD also appends lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Expression,
    AttributeUpdates,
}

fn mismatch(dialect: Dialect) -> Error {
    match dialect {
        Dialect::Expression => wrong_type(),
        Dialect::AttributeUpdates => Error::validation("Type mismatch for attribute to update"),
    }
}

/// The value of a SET right-hand side on the old item.
fn eval_value(o: &Operand, old: &Item, ctx: &Ctx) -> Result<AttributeValue> {
    match o {
        Operand::Path(p) => lookup(old, p, ctx).cloned().ok_or_else(missing_attribute),
        Operand::Value(v) => ctx
            .values
            .get(v)
            .cloned()
            .ok_or_else(|| Error::internal("unresolved value after validation")),
        Operand::Arith(a, op, b) => {
            let (a, b) = (eval_value(a, old, ctx)?, eval_value(b, old, ctx)?);
            let (AttributeValue::N(a), AttributeValue::N(b)) = (a, b) else {
                return Err(wrong_type());
            };
            let n = match op {
                ArithOp::Add => a.add(&b),
                ArithOp::Sub => a.sub(&b),
            };
            n.check().map_err(|e| Error::validation(e.message()))?;
            Ok(AttributeValue::N(n))
        }
        Operand::Call(call) if call.name == "if_not_exists" => {
            if let Operand::Path(p) = &call.args[0] {
                if let Some(v) = lookup(old, p, ctx) {
                    return Ok(v.clone());
                }
            }
            eval_value(&call.args[1], old, ctx)
        }
        Operand::Call(call) => {
            // list_append (validation admits no other function here).
            let (a, b) = (
                eval_value(&call.args[0], old, ctx)?,
                eval_value(&call.args[1], old, ctx)?,
            );
            match (a, b) {
                (AttributeValue::L(mut a), AttributeValue::L(b)) => {
                    a.extend(b);
                    Ok(AttributeValue::L(a))
                }
                _ => Err(wrong_type()),
            }
        }
    }
}

/// The container holding the last element of `path`, created nowhere: a missing or mistyped
/// parent is the service's "invalid for update".
fn parent_mut<'a>(item: &'a mut Item, path: &[PathElem]) -> Result<Option<&'a mut AttributeValue>> {
    let Some((PathElem::Attr(first), rest)) = path.split_first() else {
        return Err(invalid_path());
    };
    if rest.is_empty() {
        return Ok(None);
    }
    let mut v = item.get_mut(first).ok_or_else(invalid_path)?;
    for e in &rest[..rest.len() - 1] {
        v = match (e, v) {
            (PathElem::Attr(a), AttributeValue::M(m)) => m.get_mut(a).ok_or_else(invalid_path)?,
            (PathElem::Index(i), AttributeValue::L(l)) => l.get_mut(*i).ok_or_else(invalid_path)?,
            _ => return Err(invalid_path()),
        };
    }
    Ok(Some(v))
}

fn set_path(item: &mut Item, path: &[PathElem], value: AttributeValue) -> Result<()> {
    let last = path.last().ok_or_else(invalid_path)?;
    match (parent_mut(item, path)?, last) {
        (None, PathElem::Attr(a)) => {
            item.insert(a.clone(), value);
        }
        (Some(AttributeValue::M(m)), PathElem::Attr(a)) => {
            m.insert(a.clone(), value);
        }
        (Some(AttributeValue::L(l)), PathElem::Index(i)) => {
            if *i < l.len() {
                l[*i] = value;
            } else {
                l.push(value);
            }
        }
        _ => return Err(invalid_path()),
    }
    Ok(())
}

/// Whether `path` names a place an attribute could be set: its parent exists and is a map
/// for a name, a list for an index.
fn check_place(item: &mut Item, path: &[PathElem]) -> Result<()> {
    let last = path.last().ok_or_else(invalid_path)?;
    match (parent_mut(item, path)?, last) {
        (None, PathElem::Attr(_))
        | (Some(AttributeValue::M(_)), PathElem::Attr(_))
        | (Some(AttributeValue::L(_)), PathElem::Index(_)) => Ok(()),
        _ => Err(invalid_path()),
    }
}

fn remove_path(item: &mut Item, path: &[PathElem]) -> Result<()> {
    let last = path.last().ok_or_else(invalid_path)?;
    match (parent_mut(item, path)?, last) {
        (None, PathElem::Attr(a)) => {
            item.remove(a);
        }
        (Some(AttributeValue::M(m)), PathElem::Attr(a)) => {
            m.remove(a);
        }
        (Some(AttributeValue::L(l)), PathElem::Index(i)) => {
            if *i < l.len() {
                l.remove(*i);
            }
        }
        _ => return Err(invalid_path()),
    }
    Ok(())
}

pub fn get_path<'a>(item: &'a Item, path: &[PathElem]) -> Option<&'a AttributeValue> {
    let (PathElem::Attr(first), rest) = path.split_first()? else {
        return None;
    };
    let mut v = item.get(first)?;
    for e in rest {
        v = match (e, v) {
            (PathElem::Attr(a), AttributeValue::M(m)) => m.get(a)?,
            (PathElem::Index(i), AttributeValue::L(l)) => l.get(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

fn union<T: Clone + Ord>(mut a: Vec<T>, b: &[T]) -> Vec<T> {
    for x in b {
        if !a.contains(x) {
            a.push(x.clone());
        }
    }
    a.sort();
    a
}

fn add(
    current: Option<&AttributeValue>,
    v: &AttributeValue,
    dialect: Dialect,
) -> Result<AttributeValue> {
    use AttributeValue::*;
    let Some(current) = current else {
        return Ok(v.clone());
    };
    Ok(match (current, v) {
        (L(a), L(b)) if dialect == Dialect::AttributeUpdates => {
            L(a.iter().chain(b).cloned().collect())
        }
        (N(a), N(b)) => {
            let n = a.add(b);
            n.check().map_err(|e| Error::validation(e.message()))?;
            N(n)
        }
        (Ss(a), Ss(b)) => Ss(union(a.clone(), b)),
        (Ns(a), Ns(b)) => Ns(union(a.clone(), b)),
        (Bs(a), Bs(b)) => Bs(union(a.clone(), b)),
        _ => return Err(mismatch(dialect)),
    })
}

/// `current` minus the members of `v`; `None` when nothing is left.
fn delete(
    current: &AttributeValue,
    v: &AttributeValue,
    dialect: Dialect,
) -> Result<Option<AttributeValue>> {
    use AttributeValue::*;
    let out = match (current, v) {
        (Ss(a), Ss(b)) => Ss(a.iter().filter(|x| !b.contains(x)).cloned().collect()),
        (Ns(a), Ns(b)) => Ns(a.iter().filter(|x| !b.contains(x)).cloned().collect()),
        (Bs(a), Bs(b)) => Bs(a.iter().filter(|x| !b.contains(x)).cloned().collect()),
        _ => return Err(mismatch(dialect)),
    };
    Ok((super::eval::size(&out) != Some(0)).then_some(out))
}

/// Applies `update` (validated, with its resolved `paths`) to `old`, returning the new item.
pub fn apply_update(
    update: &Update,
    paths: &[Vec<PathElem>],
    old: &Item,
    ctx: &Ctx,
    dialect: Dialect,
) -> Result<Item> {
    // Right-hand sides first, all on the old item.
    let mut values = Vec::with_capacity(update.actions.len());
    for a in &update.actions {
        values.push(match a {
            Action::Set(_, v) => Some(eval_value(v, old, ctx)?),
            Action::Add(_, v) | Action::Delete(_, v) => Some(eval_value(v, old, ctx)?),
            Action::Remove(_) => None,
        });
    }
    let mut item = old.clone();
    let mut removes: Vec<&[PathElem]> = Vec::new();
    // SETs of list elements run in index order (their paths never overlap, so only appends past
    // the end can notice): `SET a[84] = :x, a[37] = :y` on a short list appends y, then x.
    let mut order: Vec<usize> = (0..update.actions.len()).collect();
    let list_sets: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| {
            matches!(update.actions[i], Action::Set(..))
                && matches!(paths[i].last(), Some(PathElem::Index(_)))
        })
        .collect();
    let mut sorted = list_sets.clone();
    sorted.sort_by(|&a, &b| paths[a].cmp(&paths[b]));
    for (slot, i) in list_sets.into_iter().zip(sorted) {
        order[slot] = i;
    }
    let mut values: Vec<Option<AttributeValue>> = values;
    for i in order {
        let (a, path, value) = (&update.actions[i], &paths[i], values[i].take());
        match (a, value) {
            (Action::Set(..), Some(v)) => set_path(&mut item, path, v)?,
            (Action::Add(..), Some(v)) => {
                let new = add(get_path(&item, path), &v, dialect)?;
                set_path(&mut item, path, new)?;
            }
            (Action::Delete(..), Some(v)) => {
                if let Some(current) = get_path(&item, path) {
                    match delete(current, &v, dialect)? {
                        Some(rest) => set_path(&mut item, path, rest)?,
                        None => remove_path(&mut item, path)?,
                    }
                } else {
                    // The path must still be a valid place for the attribute, as for SET.
                    check_place(&mut item, path)?;
                }
            }
            _ => removes.push(path),
        }
    }
    // Highest list index first, so earlier indexes still name the original elements.
    removes.sort_by(|a, b| b.cmp(a));
    for path in removes {
        remove_path(&mut item, path)?;
    }
    Ok(item)
}
