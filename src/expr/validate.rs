//! Validation of parsed expressions against the request: reserved words and function names
//! first (in source order), then placeholders (`#n` / `:v` must be defined; each use is recorded
//! so unused entries can be rejected), function arity and literal operand types, and for updates
//! the overlap/conflict rules between document paths. The order of these checks is the order in
//! which the service reports them.
use super::ast::{Action, Call, CmpOp, Cond, Elem, Name, Operand, Path, Update};
use super::projection::PathElem;
use super::reserved::is_reserved;
use super::ExprError;
use crate::model::AttributeValue;
use std::collections::{BTreeMap, HashSet};

/// The request's ExpressionAttributeNames / ExpressionAttributeValues.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub names: &'a BTreeMap<String, String>,
    pub values: &'a BTreeMap<String, AttributeValue>,
}

/// Placeholders used by the request's expressions so far.
#[derive(Debug, Default)]
pub struct Used {
    pub names: HashSet<String>,
    pub values: HashSet<String>,
}

const CONDITION_FUNCTIONS: [&str; 5] = [
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
];
const UPDATE_FUNCTIONS: [&str; 2] = ["if_not_exists", "list_append"];

fn known_function(name: &str) -> bool {
    name == "size" || CONDITION_FUNCTIONS.contains(&name) || UPDATE_FUNCTIONS.contains(&name)
}

/// The service's rendering of a path in overlap messages: `[a, b, [0]]`.
pub fn render_path(path: &[PathElem]) -> String {
    let parts: Vec<String> = path
        .iter()
        .map(|e| match e {
            PathElem::Attr(a) => a.clone(),
            PathElem::Index(i) => format!("[{i}]"),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// `{N:6}` as in the BETWEEN messages.
fn render_value(v: &AttributeValue) -> String {
    let text = match v {
        AttributeValue::S(s) => s.clone(),
        AttributeValue::N(n) => n.to_string(),
        other => format!("{other:?}"),
    };
    format!("{{{}:{text}}}", v.type_name())
}

// ---- pass 2: words ----

fn words_path(p: &Path) -> Result<(), ExprError> {
    for e in &p.0 {
        if let Elem::Attr(Name::Plain(n)) = e {
            if is_reserved(n) {
                return Err(ExprError::Reserved(n.clone()));
            }
        }
    }
    Ok(())
}

fn words_operand(o: &Operand) -> Result<(), ExprError> {
    match o {
        Operand::Path(p) => words_path(p),
        Operand::Value(_) => Ok(()),
        Operand::Call(c) => words_call(c),
        Operand::Arith(a, _, b) => {
            words_operand(a)?;
            words_operand(b)
        }
    }
}

fn words_call(c: &Call) -> Result<(), ExprError> {
    if !known_function(&c.name) {
        return Err(ExprError::InvalidFunction(c.name.clone()));
    }
    c.args.iter().try_for_each(words_operand)
}

fn words_cond(c: &Cond) -> Result<(), ExprError> {
    match c {
        Cond::Cmp(a, _, b) => {
            words_operand(a)?;
            words_operand(b)
        }
        Cond::Between(a, lo, hi) => [a, lo, hi].into_iter().try_for_each(words_operand),
        Cond::In(a, list) => {
            words_operand(a)?;
            list.iter().try_for_each(words_operand)
        }
        Cond::Call(call) => words_call(call),
        Cond::Not(x) => words_cond(x),
        Cond::And(a, b) | Cond::Or(a, b) => {
            words_cond(a)?;
            words_cond(b)
        }
    }
}

// ---- pass 3: placeholders and semantics ----

impl Ctx<'_> {
    /// Resolves `path`'s names, recording the placeholders used.
    pub fn resolve_path(&self, path: &Path, used: &mut Used) -> Result<Vec<PathElem>, ExprError> {
        path.0
            .iter()
            .map(|e| match e {
                Elem::Attr(Name::Plain(n)) => Ok(PathElem::Attr(n.clone())),
                Elem::Attr(Name::Placeholder(p)) => {
                    let n = self
                        .names
                        .get(p)
                        .ok_or_else(|| ExprError::UndefinedName(p.clone()))?;
                    used.names.insert(p.clone());
                    Ok(PathElem::Attr(n.clone()))
                }
                Elem::Index(i) => Ok(PathElem::Index(*i as usize)),
            })
            .collect()
    }

    fn value(&self, v: &str, used: &mut Used) -> Result<&AttributeValue, ExprError> {
        let value = self
            .values
            .get(v)
            .ok_or_else(|| ExprError::UndefinedValue(v.to_string()))?;
        used.values.insert(v.to_string());
        Ok(value)
    }

    /// The literal behind `o`, if it is a `:value`.
    fn literal(&self, o: &Operand) -> Option<&AttributeValue> {
        match o {
            Operand::Value(v) => self.values.get(v),
            _ => None,
        }
    }
}

fn count(call: &Call, n: usize) -> Result<(), ExprError> {
    if call.args.len() != n {
        return Err(ExprError::OperandCount {
            function: call.name.clone(),
            count: call.args.len(),
        });
    }
    Ok(())
}

fn scalar_literal(ctx: &Ctx, o: &Operand, function: &str) -> Result<(), ExprError> {
    if let Some(v) = ctx.literal(o) {
        if v.scalar_type().is_none() {
            return Err(ExprError::OperandType {
                function: function.to_string(),
                ty: v.type_name(),
            });
        }
    }
    Ok(())
}

/// An operand of a condition: a path, a value, or `size(path)`.
fn operand_in_condition(ctx: &Ctx, o: &Operand, used: &mut Used) -> Result<(), ExprError> {
    match o {
        Operand::Path(p) => ctx.resolve_path(p, used).map(|_| ()),
        Operand::Value(v) => ctx.value(v, used).map(|_| ()),
        Operand::Call(call) => {
            for a in &call.args {
                operand_in_condition(ctx, a, used)?;
            }
            match call.name.as_str() {
                "size" => {
                    count(call, 1)?;
                    match &call.args[0] {
                        Operand::Path(_) => Ok(()),
                        other => Err(match ctx.literal(other) {
                            Some(v) => ExprError::OperandType {
                                function: "size".into(),
                                ty: v.type_name(),
                            },
                            None => ExprError::NeedsPath("size".into()),
                        }),
                    }
                }
                n if UPDATE_FUNCTIONS.contains(&n) => {
                    Err(ExprError::FunctionNotInCondition(n.to_string()))
                }
                n => Err(ExprError::FunctionMisuse(n.to_string())),
            }
        }
        // The parser only builds arithmetic in SET values.
        Operand::Arith(..) => Err(ExprError::FunctionMisuse("+".into())),
    }
}

fn call_in_condition(ctx: &Ctx, call: &Call, used: &mut Used) -> Result<(), ExprError> {
    let name = call.name.as_str();
    if name == "size" {
        return Err(ExprError::FunctionMisuse(name.into()));
    }
    if UPDATE_FUNCTIONS.contains(&name) {
        return Err(ExprError::FunctionNotInCondition(name.into()));
    }
    for a in &call.args {
        operand_in_condition(ctx, a, used)?;
    }
    let needs_path = |o: &Operand| match o {
        Operand::Path(_) => Ok(()),
        _ => Err(ExprError::NeedsPath(name.into())),
    };
    match name {
        "attribute_exists" | "attribute_not_exists" => {
            count(call, 1)?;
            needs_path(&call.args[0])
        }
        "attribute_type" => {
            count(call, 2)?;
            needs_path(&call.args[0])?;
            match ctx.literal(&call.args[1]) {
                Some(AttributeValue::S(t)) => {
                    const TYPES: [&str; 10] =
                        ["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"];
                    if TYPES.contains(&t.as_str()) {
                        Ok(())
                    } else {
                        Err(ExprError::AttributeTypeName(t.clone()))
                    }
                }
                Some(v) => Err(ExprError::OperandType {
                    function: name.into(),
                    ty: v.type_name(),
                }),
                None => Ok(()),
            }
        }
        "begins_with" => {
            count(call, 2)?;
            for a in &call.args {
                if let Some(v) = ctx.literal(a) {
                    if !matches!(v, AttributeValue::S(_) | AttributeValue::B(_)) {
                        return Err(ExprError::OperandType {
                            function: name.into(),
                            ty: v.type_name(),
                        });
                    }
                }
            }
            Ok(())
        }
        _ => count(call, 2),
    }
}

/// Validates a condition: words first, then placeholders and semantics, in source order.
pub fn validate_condition(ctx: &Ctx, cond: &Cond, used: &mut Used) -> Result<(), ExprError> {
    words_cond(cond)?;
    semantics(ctx, cond, used)
}

fn semantics(ctx: &Ctx, cond: &Cond, used: &mut Used) -> Result<(), ExprError> {
    match cond {
        Cond::Cmp(a, op, b) => {
            operand_in_condition(ctx, a, used)?;
            operand_in_condition(ctx, b, used)?;
            if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                scalar_literal(ctx, a, op.as_str())?;
                scalar_literal(ctx, b, op.as_str())?;
            }
            Ok(())
        }
        Cond::Between(a, lo, hi) => {
            for o in [a, lo, hi] {
                operand_in_condition(ctx, o, used)?;
            }
            for o in [a, lo, hi] {
                scalar_literal(ctx, o, "BETWEEN")?;
            }
            if let (Some(l), Some(h)) = (ctx.literal(lo), ctx.literal(hi)) {
                if l.type_name() != h.type_name() {
                    return Err(ExprError::BetweenTypes {
                        low: render_value(l),
                        high: render_value(h),
                    });
                }
                if super::eval::compare(l, h) == Some(std::cmp::Ordering::Greater) {
                    return Err(ExprError::BetweenOrder {
                        low: render_value(l),
                        high: render_value(h),
                    });
                }
            }
            Ok(())
        }
        Cond::In(a, list) => {
            operand_in_condition(ctx, a, used)?;
            for o in list {
                operand_in_condition(ctx, o, used)?;
            }
            if list.len() > 100 {
                return Err(ExprError::TooManyInOperands(list.len()));
            }
            if let Operand::Path(p) = a {
                if list.contains(a) {
                    let path = ctx.resolve_path(p, used)?;
                    return Err(ExprError::NotDistinct {
                        operator: "IN".into(),
                        first: render_path(&path),
                    });
                }
            }
            Ok(())
        }
        Cond::Call(call) => call_in_condition(ctx, call, used),
        Cond::Not(x) => semantics(ctx, x, used),
        Cond::And(a, b) | Cond::Or(a, b) => {
            semantics(ctx, a, used)?;
            semantics(ctx, b, used)
        }
    }
}

/// The wire type as the update actions' messages name it.
fn action_type_name(v: &AttributeValue) -> &'static str {
    match v {
        AttributeValue::S(_) => "STRING",
        AttributeValue::N(_) => "NUMBER",
        AttributeValue::B(_) => "BINARY",
        AttributeValue::Bool(_) => "BOOLEAN",
        AttributeValue::Null => "NULL",
        AttributeValue::Ss(_) => "STRING_SET",
        AttributeValue::Ns(_) => "NUMBER_SET",
        AttributeValue::Bs(_) => "BINARY_SET",
        AttributeValue::L(_) => "LIST",
        AttributeValue::M(_) => "MAP",
    }
}

/// A value on the right of `SET path =`.
fn set_operand(ctx: &Ctx, o: &Operand, used: &mut Used) -> Result<(), ExprError> {
    match o {
        Operand::Path(p) => ctx.resolve_path(p, used).map(|_| ()),
        Operand::Value(v) => ctx.value(v, used).map(|_| ()),
        Operand::Arith(a, op, b) => {
            set_operand(ctx, a, used)?;
            set_operand(ctx, b, used)?;
            let symbol = match op {
                super::ast::ArithOp::Add => "+",
                super::ast::ArithOp::Sub => "-",
            };
            for x in [a, b] {
                if let Some(v) = ctx.literal(x) {
                    if !matches!(v, AttributeValue::N(_)) {
                        return Err(ExprError::OperandType {
                            function: symbol.into(),
                            ty: v.type_name(),
                        });
                    }
                }
            }
            Ok(())
        }
        Operand::Call(call) => {
            let name = call.name.as_str();
            if !UPDATE_FUNCTIONS.contains(&name) {
                return Err(ExprError::FunctionNotInUpdate(name.into()));
            }
            for a in &call.args {
                set_operand(ctx, a, used)?;
            }
            count(call, 2)?;
            if name == "if_not_exists" {
                if !matches!(call.args[0], Operand::Path(_)) {
                    return Err(ExprError::NeedsPath(name.into()));
                }
            } else {
                for a in &call.args {
                    if let Some(v) = ctx.literal(a) {
                        if !matches!(v, AttributeValue::L(_)) {
                            return Err(ExprError::OperandType {
                                function: name.into(),
                                ty: v.type_name(),
                            });
                        }
                    }
                }
            }
            Ok(())
        }
    }
}

/// Validates the paths of a ProjectionExpression: reserved words, then placeholders; a path may
/// not repeat or overlap another.
pub fn validate_paths(
    ctx: &Ctx,
    paths: &[Path],
    used: &mut Used,
) -> Result<Vec<Vec<PathElem>>, ExprError> {
    paths.iter().try_for_each(words_path)?;
    let resolved = paths
        .iter()
        .map(|p| ctx.resolve_path(p, used))
        .collect::<Result<Vec<_>, _>>()?;
    check_overlaps(&resolved)?;
    Ok(resolved)
}

/// Validates an update expression and returns its actions' resolved paths (in order).
pub fn validate_update(
    ctx: &Ctx,
    update: &Update,
    used: &mut Used,
) -> Result<Vec<Vec<PathElem>>, ExprError> {
    for a in &update.actions {
        words_path(a.path())?;
        match a {
            Action::Set(_, v) | Action::Add(_, v) | Action::Delete(_, v) => words_operand(v)?,
            Action::Remove(_) => {}
        }
    }
    let mut paths = Vec::with_capacity(update.actions.len());
    for a in &update.actions {
        paths.push(ctx.resolve_path(a.path(), used)?);
        match a {
            Action::Set(_, v) => set_operand(ctx, v, used)?,
            Action::Remove(_) => {}
            Action::Add(_, v) | Action::Delete(_, v) => {
                let (action, ok): (&'static str, fn(&AttributeValue) -> bool) =
                    if matches!(a, Action::Add(..)) {
                        ("ADD", |v| {
                            matches!(
                                v,
                                AttributeValue::N(_)
                                    | AttributeValue::Ss(_)
                                    | AttributeValue::Ns(_)
                                    | AttributeValue::Bs(_)
                            )
                        })
                    } else {
                        ("DELETE", |v| {
                            matches!(
                                v,
                                AttributeValue::Ss(_)
                                    | AttributeValue::Ns(_)
                                    | AttributeValue::Bs(_)
                            )
                        })
                    };
                match v {
                    Operand::Value(name) => {
                        let value = ctx.value(name, used)?;
                        if !ok(value) {
                            return Err(ExprError::ActionOperandType {
                                action,
                                ty: action_type_name(value),
                            });
                        }
                    }
                    Operand::Path(p) => {
                        ctx.resolve_path(p, used)?;
                    }
                    other => set_operand(ctx, other, used)?,
                }
            }
        }
    }
    check_overlaps(&paths)?;
    Ok(paths)
}

/// Two actions may not touch the same path, a path and its parent, or a path used both as a map
/// and as a list.
fn check_overlaps(paths: &[Vec<PathElem>]) -> Result<(), ExprError> {
    for (j, b) in paths.iter().enumerate() {
        for a in &paths[..j] {
            let common = a.iter().zip(b.iter()).take_while(|(x, y)| x == y).count();
            if common == a.len().min(b.len()) {
                return Err(ExprError::Overlap(render_path(a), render_path(b)));
            }
            let kinds = (&a[common], &b[common]);
            if matches!(
                kinds,
                (PathElem::Attr(_), PathElem::Index(_)) | (PathElem::Index(_), PathElem::Attr(_))
            ) {
                return Err(ExprError::Conflict(render_path(a), render_path(b)));
            }
        }
    }
    Ok(())
}

/// Names and values of the request that no expression used, in the service's message form.
pub fn check_unused(ctx: &Ctx, used: &Used) -> crate::error::Result<()> {
    let unused_values: Vec<&str> = ctx
        .values
        .keys()
        .filter(|k| !used.values.contains(*k))
        .map(String::as_str)
        .collect();
    if !unused_values.is_empty() {
        return Err(crate::error::Error::validation(format!(
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
            unused_values.join(", ")
        )));
    }
    let unused_names: Vec<&str> = ctx
        .names
        .keys()
        .filter(|k| !used.names.contains(*k))
        .map(String::as_str)
        .collect();
    if !unused_names.is_empty() {
        return Err(crate::error::Error::validation(format!(
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
            unused_names.join(", ")
        )));
    }
    Ok(())
}
