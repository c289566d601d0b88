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
        // The service prints the Java object holding the bytes.
        AttributeValue::B(b) => format!(
            "java.nio.HeapByteBuffer[pos=0 lim={} cap={}]",
            b.len(),
            b.len()
        ),
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

/// Pass A of a condition operand: words, and functions that cannot stand where they are.
fn shape_operand(o: &Operand) -> Result<(), ExprError> {
    if let Operand::Call(c) = o {
        if !known_function(&c.name) {
            return Err(ExprError::InvalidFunction(c.name.clone()));
        }
        if UPDATE_FUNCTIONS.contains(&c.name.as_str()) {
            return Err(ExprError::FunctionNotInCondition(c.name.clone()));
        }
        if c.name != "size" {
            return Err(ExprError::FunctionMisuse(c.name.clone()));
        }
        return c.args.iter().try_for_each(shape_operand);
    }
    words_operand(o)
}

fn words_cond(c: &Cond) -> Result<(), ExprError> {
    match c {
        Cond::Cmp(a, _, b) => {
            shape_operand(a)?;
            shape_operand(b)
        }
        Cond::Between(a, lo, hi) => [a, lo, hi].into_iter().try_for_each(shape_operand),
        Cond::In(a, list) => {
            shape_operand(a)?;
            list.iter().try_for_each(shape_operand)
        }
        Cond::Call(call) => {
            if !known_function(&call.name) {
                return Err(ExprError::InvalidFunction(call.name.clone()));
            }
            if call.name == "size" {
                return Err(ExprError::FunctionMisuse(call.name.clone()));
            }
            if UPDATE_FUNCTIONS.contains(&call.name.as_str()) {
                return Err(ExprError::FunctionNotInCondition(call.name.clone()));
            }
            call.args.iter().try_for_each(shape_operand)
        }
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

    /// The type of `o` when it is known before evaluation: a literal's, or N for `size()`.
    fn static_type(&self, o: &Operand) -> Option<&'static str> {
        match o {
            Operand::Value(v) => self.values.get(v).map(AttributeValue::type_name),
            Operand::Call(c) if c.name == "size" => Some("N"),
            _ => None,
        }
    }
}

const SCALAR_TYPES: [&str; 3] = ["S", "N", "B"];

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
    match ctx.static_type(o) {
        Some(ty) if !SCALAR_TYPES.contains(&ty) => Err(ExprError::OperandType {
            function: function.to_string(),
            ty,
        }),
        _ => Ok(()),
    }
}

/// `f(p, p)`: the first operand repeated among the others.
fn distinct_first(
    ctx: &Ctx,
    operator: &str,
    first: &Operand,
    rest: &[Operand],
    used: &mut Used,
) -> Result<(), ExprError> {
    if let Operand::Path(p) = first {
        // Compared as resolved paths: `#n` and `n` are the same operand.
        let path = ctx.resolve_path(p, used)?;
        let mut repeated = false;
        for o in rest {
            if let Operand::Path(q) = o {
                repeated |= ctx.resolve_path(q, used)? == path;
            }
        }
        if repeated {
            return Err(ExprError::NotDistinct {
                operator: operator.into(),
                first: render_path(&path),
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
            // Pass A (`words_cond`) admits only `size` as an operand.
            count(call, 1)?;
            const SIZED: [&str; 7] = ["S", "B", "SS", "NS", "BS", "L", "M"];
            match ctx.static_type(&call.args[0]) {
                Some(ty) if !SIZED.contains(&ty) => Err(ExprError::OperandType {
                    function: "size".into(),
                    ty,
                }),
                _ => Ok(()),
            }
        }
        // The parser only builds arithmetic in SET values.
        Operand::Arith(..) => Err(ExprError::FunctionMisuse("+".into())),
    }
}

fn call_in_condition(ctx: &Ctx, call: &Call, used: &mut Used) -> Result<(), ExprError> {
    // Pass A (`words_cond`) has already refused size and the update functions here.
    let name = call.name.as_str();
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
            distinct_first(ctx, name, &call.args[0], &call.args[1..], used)?;
            // The type must be a value: a path has no type the service can check.
            if matches!(call.args[1], Operand::Path(_)) {
                return Err(ExprError::OperandType {
                    function: name.into(),
                    ty: "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}",
                });
            }
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
            distinct_first(ctx, name, &call.args[0], &call.args[1..], used)?;
            for a in &call.args {
                if let Some(ty) = ctx.static_type(a) {
                    if ty != "S" && ty != "B" {
                        return Err(ExprError::OperandType {
                            function: name.into(),
                            ty,
                        });
                    }
                }
            }
            Ok(())
        }
        _ => {
            count(call, 2)?;
            distinct_first(ctx, name, &call.args[0], &call.args[1..], used)
        }
    }
}

/// Validates a condition: words first, then placeholders and semantics, in source order.
pub fn validate_condition(ctx: &Ctx, cond: &Cond, used: &mut Used) -> Result<(), ExprError> {
    words_cond(cond)?;
    semantics(ctx, cond, used)?;
    let count = operators(cond);
    if count > MAX_OPERATORS {
        // The service stops counting at the first operator over the limit.
        return Err(ExprError::TooManyOperators(MAX_OPERATORS + 1));
    }
    Ok(())
}

/// The most operators (comparators, AND/OR/NOT, BETWEEN, IN, functions) in a condition.
const MAX_OPERATORS: usize = 300;

fn operators(c: &Cond) -> usize {
    fn operand(o: &Operand) -> usize {
        match o {
            Operand::Call(c) => 1 + c.args.iter().map(operand).sum::<usize>(),
            Operand::Arith(a, _, b) => 1 + operand(a) + operand(b),
            _ => 0,
        }
    }
    match c {
        Cond::Cmp(a, _, b) => 1 + operand(a) + operand(b),
        Cond::Between(a, lo, hi) => 1 + operand(a) + operand(lo) + operand(hi),
        Cond::In(a, list) => 1 + operand(a) + list.iter().map(operand).sum::<usize>(),
        Cond::Call(call) => 1 + call.args.iter().map(operand).sum::<usize>(),
        Cond::Not(x) => 1 + operators(x),
        Cond::And(a, b) | Cond::Or(a, b) => 1 + operators(a) + operators(b),
    }
}

fn semantics(ctx: &Ctx, cond: &Cond, used: &mut Used) -> Result<(), ExprError> {
    match cond {
        Cond::Cmp(a, op, b) => {
            operand_in_condition(ctx, a, used)?;
            operand_in_condition(ctx, b, used)?;
            distinct_first(ctx, op.as_str(), a, std::slice::from_ref(b), used)?;
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
            distinct_first(ctx, "BETWEEN", a, &[lo.clone(), hi.clone()], used)?;
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
            distinct_first(ctx, "IN", a, list, used)
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
pub fn action_type_name(v: &AttributeValue) -> &'static str {
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

/// Pass A of a SET value: words, and functions that are not update functions or stand where
/// they cannot (list_append as an arithmetic operand or inside another function).
fn shape_set_operand(o: &Operand, in_arith: bool, in_call: bool) -> Result<(), ExprError> {
    match o {
        Operand::Path(p) => words_path(p),
        Operand::Value(_) => Ok(()),
        Operand::Arith(a, _, b) => {
            shape_set_operand(a, true, in_call)?;
            shape_set_operand(b, true, in_call)
        }
        Operand::Call(c) => {
            if !known_function(&c.name) {
                return Err(ExprError::InvalidFunction(c.name.clone()));
            }
            if !UPDATE_FUNCTIONS.contains(&c.name.as_str()) {
                return Err(ExprError::FunctionNotInUpdate(c.name.clone()));
            }
            if (in_arith || in_call) && c.name == "list_append" {
                return Err(ExprError::FunctionMisuse(c.name.clone()));
            }
            c.args
                .iter()
                .try_for_each(|a| shape_set_operand(a, false, true))
        }
    }
}

/// The value checks of a SET right-hand side; every error is kept in `errors` (the service
/// reports the last one).
fn set_operand(ctx: &Ctx, o: &Operand, used: &mut Used, errors: &mut Vec<ExprError>) {
    match o {
        Operand::Path(_) => {}
        Operand::Value(v) => {
            if let Err(e) = ctx.value(v, used) {
                errors.push(e);
            }
        }
        Operand::Arith(a, op, b) => {
            set_operand(ctx, a, used, errors);
            set_operand(ctx, b, used, errors);
            let symbol = match op {
                super::ast::ArithOp::Add => "+",
                super::ast::ArithOp::Sub => "-",
            };
            for x in [a, b] {
                if let Some(v) = ctx.literal(x) {
                    if !matches!(v, AttributeValue::N(_)) {
                        errors.push(ExprError::OperandType {
                            function: symbol.into(),
                            ty: v.type_name(),
                        });
                    }
                }
            }
        }
        Operand::Call(call) => {
            let name = call.name.as_str();
            for a in &call.args {
                set_operand(ctx, a, used, errors);
            }
            if let Err(e) = count(call, 2) {
                errors.push(e);
                return;
            }
            if name == "if_not_exists" {
                if !matches!(call.args[0], Operand::Path(_)) {
                    errors.push(ExprError::NeedsPath(name.into()));
                }
            } else {
                for a in &call.args {
                    if let Some(v) = ctx.literal(a) {
                        if !matches!(v, AttributeValue::L(_)) {
                            errors.push(ExprError::OperandType {
                                function: name.into(),
                                ty: v.type_name(),
                            });
                        }
                    }
                }
            }
        }
    }
}

fn operand_paths<'a>(o: &'a Operand, out: &mut Vec<&'a Path>) {
    match o {
        Operand::Path(p) => out.push(p),
        Operand::Value(_) => {}
        Operand::Arith(a, _, b) => {
            operand_paths(a, out);
            operand_paths(b, out);
        }
        Operand::Call(c) => c.args.iter().for_each(|a| operand_paths(a, out)),
    }
}

/// Validates an update expression and returns its actions' resolved paths (in order). The
/// order of the checks is the service's: words and function placement, a clause written twice,
/// overlapping paths, then placeholders and operand types, where the service reports the last
/// problem it met, names after values.
pub fn validate_update(
    ctx: &Ctx,
    update: &Update,
    used: &mut Used,
) -> Result<Vec<Vec<PathElem>>, ExprError> {
    for a in &update.actions {
        words_path(a.path())?;
        match a {
            Action::Set(_, v) => shape_set_operand(v, false, false)?,
            Action::Add(_, v) | Action::Delete(_, v) => words_operand(v)?,
            Action::Remove(_) => {}
        }
    }
    let mut clauses: Vec<&str> = Vec::new();
    for &i in &update.clause_starts {
        let clause = update.actions[i].clause();
        if clauses.contains(&clause) {
            return Err(ExprError::ClauseRepeated(clause));
        }
        clauses.push(clause);
    }
    // Names of the updated paths, the last action first.
    let mut paths = Vec::with_capacity(update.actions.len());
    for a in update.actions.iter().rev() {
        paths.push(ctx.resolve_path(a.path(), used)?);
    }
    paths.reverse();
    check_overlaps(&paths)?;
    // Then each action's operands, the last action first, left to right within one.
    for a in update.actions.iter().rev() {
        let mut errors = Vec::new();
        match a {
            Action::Set(_, v) => set_operand(ctx, v, used, &mut errors),
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
                if let Operand::Value(name) = v {
                    match ctx.value(name, used) {
                        Ok(value) if !ok(value) => errors.push(ExprError::ActionOperandType {
                            action,
                            ty: action_type_name(value),
                        }),
                        Ok(_) => {}
                        Err(e) => errors.push(e),
                    }
                }
            }
        }
        if let Action::Set(_, v) = a {
            let mut refs = Vec::new();
            operand_paths(v, &mut refs);
            for p in refs {
                if let Err(e) = ctx.resolve_path(p, used) {
                    errors.push(e);
                }
            }
        }
        if let Some(e) = errors.into_iter().next() {
            return Err(e);
        }
    }
    Ok(paths)
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

/// Names and values of the request that no expression used, in the service's message form
/// (names first; keys in the order the service's hash map lists them).
pub fn check_unused(ctx: &Ctx, used: &Used) -> crate::error::Result<()> {
    fn unused<'a>(keys: Vec<&'a String>, used: &HashSet<String>) -> Vec<&'a str> {
        crate::model::java_hash_order(&keys, |k| k.as_str())
            .into_iter()
            .filter(|k| !used.contains(**k))
            .map(|k| k.as_str())
            .collect()
    }
    let names = unused(ctx.names.keys().collect(), &used.names);
    if !names.is_empty() {
        return Err(crate::error::Error::validation(format!(
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
            names.join(", ")
        )));
    }
    let values = unused(ctx.values.keys().collect(), &used.values);
    if !values.is_empty() {
        return Err(crate::error::Error::validation(format!(
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
            values.join(", ")
        )));
    }
    Ok(())
}
