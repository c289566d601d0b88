//! The request-level side of expressions, shared by every operation that takes them:
//! ExpressionAttributeNames/Values (read and checked), the legacy/expression mixing rule, parsing
//! and validating each expression parameter with its `Invalid <Parameter>: ` prefix, the unused
//! placeholder check, legacy `Expected` translated into the same condition AST, and the
//! ConditionalCheckFailedException a failed condition becomes.
use super::Input;
use crate::error::{Error, ErrorKind, Result};
use crate::expr::ast::{CmpOp, Cond, Elem, Name, Operand, Path, Update};
use crate::expr::eval::eval_condition;
use crate::expr::parser::{parse_condition, parse_update};
use crate::expr::projection::PathElem;
use crate::expr::validate::{check_unused, validate_condition, validate_update, Ctx, Used};
use crate::model::{AttributeValue, Item};
use crate::protocol::attr::parse_value;
use serde_json::Value;
use std::collections::BTreeMap;

/// The request's placeholders and which of them its expressions used.
#[derive(Default)]
pub struct Exprs {
    pub names: BTreeMap<String, String>,
    pub values: BTreeMap<String, AttributeValue>,
    pub used: Used,
}

impl Exprs {
    /// Reads ExpressionAttributeNames and ExpressionAttributeValues with the service's checks.
    pub fn read(input: Input) -> Result<Exprs> {
        let mut out = Exprs::default();
        if let Some(names) = input
            .get("ExpressionAttributeNames")
            .and_then(Value::as_object)
        {
            if names.is_empty() {
                return Err(Error::validation(
                    "ExpressionAttributeNames must not be empty",
                ));
            }
            for (k, v) in names {
                check_key(k, '#', "ExpressionAttributeNames")?;
                let name = v.as_str().unwrap_or_default();
                if name.is_empty() {
                    return Err(Error::validation(format!(
                        "ExpressionAttributeNames contains invalid value: Empty attribute name for key {k}"
                    )));
                }
                out.names.insert(k.clone(), name.to_string());
            }
        }
        if let Some(values) = input
            .get("ExpressionAttributeValues")
            .and_then(Value::as_object)
        {
            if values.is_empty() {
                return Err(Error::validation(
                    "ExpressionAttributeValues must not be empty",
                ));
            }
            for (k, v) in values {
                check_key(k, ':', "ExpressionAttributeValues")?;
                let value = parse_value(v, 0).map_err(|e| {
                    Error::validation(format!(
                        "ExpressionAttributeValues contains invalid value: {} for key {k}",
                        e.message.unwrap_or_default()
                    ))
                })?;
                out.values.insert(k.clone(), value);
            }
        }
        Ok(out)
    }

    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            names: &self.names,
            values: &self.values,
        }
    }

    /// Parses and validates the condition in `param` (ConditionExpression, FilterExpression...).
    pub fn condition(&mut self, input: Input, param: &str) -> Result<Option<Cond>> {
        let Some(text) = input.str(param) else {
            return Ok(None);
        };
        check_length(text, param)?;
        let cond = parse_condition(text).map_err(|e| e.into_error(param))?;
        let ctx = Ctx {
            names: &self.names,
            values: &self.values,
        };
        validate_condition(&ctx, &cond, &mut self.used).map_err(|e| e.into_error(param))?;
        Ok(Some(cond))
    }

    /// Parses and validates UpdateExpression; returns it with its actions' resolved paths.
    pub fn update(&mut self, input: Input) -> Result<Option<(Update, Vec<Vec<PathElem>>)>> {
        let Some(text) = input.str("UpdateExpression") else {
            return Ok(None);
        };
        let param = "UpdateExpression";
        check_length(text, param)?;
        let update = parse_update(text).map_err(|e| e.into_error(param))?;
        let ctx = Ctx {
            names: &self.names,
            values: &self.values,
        };
        let paths =
            validate_update(&ctx, &update, &mut self.used).map_err(|e| e.into_error(param))?;
        Ok(Some((update, paths)))
    }

    /// After every expression of the request: placeholders given without any expression, then
    /// unused ones.
    pub fn finish(&self, input: Input, expressions: &[&str]) -> Result<()> {
        if !expressions.iter().any(|p| input.get(p).is_some()) {
            if input.get("ExpressionAttributeNames").is_some() {
                return Err(Error::validation(
                    "ExpressionAttributeNames can only be specified when using expressions",
                ));
            }
            if input.get("ExpressionAttributeValues").is_some() {
                let null = match expressions {
                    [one] => format!("{one} is null"),
                    _ => format!("{} are null", expressions.join(" and ")),
                };
                return Err(Error::validation(format!(
                    "ExpressionAttributeValues can only be specified when using expressions: {null}"
                )));
            }
            return Ok(());
        }
        check_unused(&self.ctx(), &self.used)
    }
}

/// The most bytes an expression may have.
const MAX_EXPRESSION_BYTES: usize = 4096;

pub fn check_length(text: &str, param: &str) -> Result<()> {
    if text.len() > MAX_EXPRESSION_BYTES {
        // The service states the size for conditions, not for update or projection expressions.
        let condition = matches!(
            param,
            "ConditionExpression" | "FilterExpression" | "KeyConditionExpression"
        );
        let size = condition.then_some(text.len());
        return Err(crate::expr::ExprError::TooLong(size).into_error(param));
    }
    Ok(())
}

/// A placeholder key: `#` or `:` then letters, digits or `_`, at most 255 bytes.
fn check_key(key: &str, sigil: char, map: &str) -> Result<()> {
    if key.len() > 255 {
        let size = if sigil == '#' {
            format!(" size of key: {}", key.len())
        } else {
            String::new()
        };
        return Err(Error::validation(format!(
            "{map} contains invalid key: The expression attribute map contains a key that is too long;{size}"
        )));
    }
    let rest = key.strip_prefix(sigil).unwrap_or("");
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(Error::validation(format!(
            "{map} contains invalid key: Syntax error; key: \"{key}\""
        )));
    }
    Ok(())
}

/// Legacy and expression parameters may not be mixed in one request.
pub fn check_mixed(input: Input, legacy: &[&str], expressions: &[&str]) -> Result<()> {
    let present = |list: &[&str]| -> Vec<String> {
        list.iter()
            .filter(|m| input.get(m).is_some())
            .map(|m| m.to_string())
            .collect()
    };
    let (l, e) = (present(legacy), present(expressions));
    if !l.is_empty() && !e.is_empty() {
        return Err(Error::validation(format!(
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
            l.join(", "),
            e.join(", ")
        )));
    }
    Ok(())
}

/// A condition ready to run against the current item inside the write transaction. It owns its
/// placeholders (legacy conditions bring their own).
pub struct Check {
    cond: Cond,
    names: BTreeMap<String, String>,
    values: BTreeMap<String, AttributeValue>,
    return_old: bool,
}

impl Check {
    pub fn new(cond: Cond, exprs: &Exprs, input: Input) -> Check {
        Check {
            cond,
            names: exprs.names.clone(),
            values: exprs.values.clone(),
            return_old: return_old_on_failure(input),
        }
    }

    /// A condition built elsewhere (a PartiQL WHERE clause) with its own placeholders.
    pub fn from_parts(
        cond: Cond,
        names: BTreeMap<String, String>,
        values: BTreeMap<String, AttributeValue>,
        return_old: bool,
    ) -> Check {
        Check {
            cond,
            names,
            values,
            return_old,
        }
    }

    /// A legacy condition (Expected, QueryFilter, ScanFilter) over its generated placeholders.
    pub fn from_legacy(cond: Cond, legacy: Legacy, input: Input) -> Check {
        Check {
            cond,
            names: legacy.names,
            values: legacy.values,
            return_old: return_old_on_failure(input),
        }
    }

    /// The top-level attribute names the condition reads, in the order written (a filter may
    /// not name key attributes, nor attributes an index does not project).
    pub fn attributes(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        self.cond.for_each_path(&mut |p: &Path| {
            let name = match p.0.first() {
                Some(Elem::Attr(Name::Plain(n))) => n.clone(),
                Some(Elem::Attr(Name::Placeholder(ph))) => {
                    self.names.get(ph).cloned().unwrap_or_default()
                }
                _ => return,
            };
            if !out.contains(&name) {
                out.push(name);
            }
        });
        out
    }

    pub fn passes(&self, item: Option<&Item>) -> bool {
        let ctx = Ctx {
            names: &self.names,
            values: &self.values,
        };
        let empty = Item::new();
        eval_condition(&self.cond, item.unwrap_or(&empty), &ctx)
    }

    /// Ok when the condition holds, else ConditionalCheckFailedException (with the old item when
    /// ReturnValuesOnConditionCheckFailure is ALL_OLD).
    pub fn check(&self, item: Option<&Item>) -> Result<()> {
        if self.passes(item) {
            return Ok(());
        }
        Err(condition_failed(item, self.return_old))
    }
}

fn return_old_on_failure(input: Input) -> bool {
    input.str("ReturnValuesOnConditionCheckFailure") == Some("ALL_OLD")
}

pub fn condition_failed(item: Option<&Item>, return_old: bool) -> Error {
    let e = Error::new(
        ErrorKind::ConditionalCheckFailed,
        "The conditional request failed",
    );
    match item {
        Some(old) if return_old => e.with_item(old.clone()),
        _ => e,
    }
}

/// The whole expression side of PutItem and DeleteItem: the mixing rule, the placeholders, the
/// condition (ConditionExpression or legacy Expected) and the unused-placeholder check.
pub fn read_write_condition(input: Input) -> Result<Option<Check>> {
    check_mixed(
        input,
        &["Expected", "ConditionalOperator"],
        &["ConditionExpression"],
    )?;
    let mut exprs = Exprs::read(input)?;
    let check = write_condition(input, &mut exprs)?;
    exprs.finish(input, &["ConditionExpression"])?;
    Ok(check)
}

/// Runs an optional write condition (the engine's `Condition` callback).
pub fn run_check(check: &Option<Check>, old: Option<&Item>) -> Result<()> {
    check.as_ref().map_or(Ok(()), |c| c.check(old))
}

/// The write condition of a request: ConditionExpression, or legacy Expected.
pub fn write_condition(input: Input, exprs: &mut Exprs) -> Result<Option<Check>> {
    if let Some(cond) = exprs.condition(input, "ConditionExpression")? {
        return Ok(Some(Check::new(cond, exprs, input)));
    }
    expected(input)
}

fn invalid(msg: impl std::fmt::Display) -> Error {
    Error::validation(format!("One or more parameter values were invalid: {msg}"))
}

/// A legacy condition map (`Expected`, `QueryFilter`, `ScanFilter`) under ConditionalOperator's
/// rules: it needs the map, and a map of two or more conditions.
pub fn legacy_conditions<'a>(
    input: Input<'a>,
    param: &str,
) -> Result<Option<&'a serde_json::Map<String, Value>>> {
    let operator = input.str("ConditionalOperator");
    let Some(map) = input.get(param).and_then(Value::as_object) else {
        if operator.is_some() {
            return Err(Error::validation(
                "ConditionalOperator cannot be used without Filter or Expected",
            ));
        }
        return Ok(None);
    };
    if operator.is_some() && map.len() < 2 {
        return Err(Error::validation(
            "ConditionalOperator can only be used when Filter or Expected has two or more elements",
        ));
    }
    Ok(Some(map))
}

/// A legacy condition's `AttributeValueList`, if given.
pub fn value_list(spec: Input) -> Result<Option<Vec<AttributeValue>>> {
    spec.list("AttributeValueList")
        .map(|l| l.iter().map(|v| parse_value(v, 0)).collect())
        .transpose()
}

/// Legacy conditions joined by ConditionalOperator (AND unless OR).
pub fn join_legacy(input: Input, conds: Vec<Cond>) -> Option<Cond> {
    let or = input.str("ConditionalOperator") == Some("OR");
    conds.into_iter().reduce(|a, b| {
        if or {
            Cond::Or(Box::new(a), Box::new(b))
        } else {
            Cond::And(Box::new(a), Box::new(b))
        }
    })
}

/// Legacy `Expected` (+ `ConditionalOperator`) as a condition over generated placeholders.
pub fn expected(input: Input) -> Result<Option<Check>> {
    let Some(map) = legacy_conditions(input, "Expected")? else {
        return Ok(None);
    };
    let mut legacy = Legacy::default();
    let mut conds = Vec::new();
    let empty = serde_json::Map::new();
    for (attr, spec) in map {
        let spec = Input(spec.as_object().unwrap_or(&empty));
        let value = spec.get("Value").map(|v| parse_value(v, 0)).transpose()?;
        let exists = spec.bool("Exists");
        let op = spec.str("ComparisonOperator");
        let list = value_list(spec)?;
        if value.is_some() && list.is_some() {
            return Err(invalid(format!(
                "Value and AttributeValueList cannot be used together for Attribute: {attr}"
            )));
        }
        let cond = match (op, value, exists) {
            (Some(_), Some(_), _) => {
                return Err(invalid(format!(
                    "Value and ComparisonOperator cannot be used together for Attribute: {attr}"
                )))
            }
            (Some(op), None, exists) => {
                if exists.is_some() {
                    return Err(invalid(format!(
                        "Exists and ComparisonOperator cannot be used together for Attribute: {attr}"
                    )));
                }
                legacy.comparison(attr, op, list.unwrap_or_default())?
            }
            (None, value, exists) => {
                if list.is_some() {
                    return Err(invalid(format!(
                        "AttributeValueList can only be used with a ComparisonOperator for Attribute: {attr}"
                    )));
                }
                match (value, exists.unwrap_or(true)) {
                    (Some(v), true) => {
                        let path = legacy.path(attr);
                        let v = legacy.value(v);
                        Cond::Cmp(Operand::Path(path), CmpOp::Eq, v)
                    }
                    (None, false) => legacy.call("attribute_not_exists", attr, vec![]),
                    (Some(_), false) => {
                        return Err(invalid(format!(
                            "Value cannot be used when Exists is false for Attribute: {attr}"
                        )))
                    }
                    (None, true) => {
                        return Err(invalid(format!(
                            "Value must be provided when Exists is true for Attribute: {attr}"
                        )))
                    }
                }
            }
        };
        conds.push(cond);
    }
    let Some(cond) = join_legacy(input, conds) else {
        return Ok(None);
    };
    Ok(Some(Check::from_legacy(cond, legacy, input)))
}

/// Builds conditions over generated `#lN` / `:lN` placeholders, so any attribute name works.
#[derive(Default)]
pub struct Legacy {
    pub names: BTreeMap<String, String>,
    pub values: BTreeMap<String, AttributeValue>,
}

impl Legacy {
    pub fn path(&mut self, attr: &str) -> Path {
        let ph = format!("#l{}", self.names.len());
        self.names.insert(ph.clone(), attr.to_string());
        Path(vec![Elem::Attr(Name::Placeholder(ph))])
    }

    pub fn value(&mut self, v: AttributeValue) -> Operand {
        let ph = format!(":l{}", self.values.len());
        self.values.insert(ph.clone(), v);
        Operand::Value(ph)
    }

    fn call(&mut self, function: &str, attr: &str, args: Vec<AttributeValue>) -> Cond {
        let mut operands = vec![Operand::Path(self.path(attr))];
        for a in args {
            operands.push(self.value(a));
        }
        Cond::Call(crate::expr::ast::Call {
            name: function.to_string(),
            args: operands,
        })
    }

    /// One legacy `{ComparisonOperator, AttributeValueList}` condition on `attr`.
    pub fn comparison(&mut self, attr: &str, op: &str, list: Vec<AttributeValue>) -> Result<Cond> {
        let arity = match op {
            "NULL" | "NOT_NULL" => 0,
            "BETWEEN" => 2,
            "IN" => usize::MAX,
            _ => 1,
        };
        let count_ok = if arity == usize::MAX {
            !list.is_empty()
        } else {
            list.len() == arity
        };
        if !count_ok {
            return Err(invalid(format!(
                "Invalid number of argument(s) for the {op} ComparisonOperator"
            )));
        }
        // Every value of the list has one type (IN included), before the operator's types.
        if list.iter().any(|v| v.type_name() != list[0].type_name()) {
            return Err(invalid(
                "AttributeValues inside AttributeValueList must be of same type",
            ));
        }
        let scalar_only = matches!(op, "LT" | "LE" | "GT" | "GE" | "BETWEEN" | "BEGINS_WITH");
        for v in &list {
            if scalar_only && v.scalar_type().is_none()
                || op == "BEGINS_WITH" && matches!(v, AttributeValue::N(_))
                || matches!(op, "CONTAINS" | "NOT_CONTAINS") && v.scalar_type().is_none()
                || op == "IN" && v.scalar_type().is_none()
            {
                return Err(invalid(format!(
                    "ComparisonOperator {op} is not valid for {} AttributeValue type",
                    v.type_name()
                )));
            }
        }
        let mut list = list.into_iter();
        let mut next = || list.next().expect("arity checked");
        let cmp = |s: &mut Self, op: CmpOp, v: AttributeValue| {
            let p = s.path(attr);
            let v = s.value(v);
            Cond::Cmp(Operand::Path(p), op, v)
        };
        Ok(match op {
            "EQ" => cmp(self, CmpOp::Eq, next()),
            "NE" => cmp(self, CmpOp::Ne, next()),
            "LT" => cmp(self, CmpOp::Lt, next()),
            "LE" => cmp(self, CmpOp::Le, next()),
            "GT" => cmp(self, CmpOp::Gt, next()),
            "GE" => cmp(self, CmpOp::Ge, next()),
            "NULL" => self.call("attribute_not_exists", attr, vec![]),
            "NOT_NULL" => self.call("attribute_exists", attr, vec![]),
            "CONTAINS" => self.call("contains", attr, vec![next()]),
            "NOT_CONTAINS" => {
                // False for an absent attribute (unlike `NOT contains(..)`), as the service's.
                let exists = self.call("attribute_exists", attr, vec![]);
                let contains = self.call("contains", attr, vec![next()]);
                Cond::And(Box::new(exists), Box::new(Cond::Not(Box::new(contains))))
            }
            "BEGINS_WITH" => self.call("begins_with", attr, vec![next()]),
            "BETWEEN" => {
                let p = self.path(attr);
                let (lo, hi) = (next(), next());
                if lo.type_name() == hi.type_name()
                    && crate::expr::eval::compare(&lo, &hi) == Some(std::cmp::Ordering::Greater)
                {
                    return Err(Error::validation(
                        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
                    ));
                }
                let (lo, hi) = (self.value(lo), self.value(hi));
                Cond::Between(Operand::Path(p), lo, hi)
            }
            _ => {
                // IN
                let p = self.path(attr);
                let mut operands = Vec::new();
                for v in list.by_ref() {
                    operands.push(self.value(v));
                }
                Cond::In(Operand::Path(p), operands)
            }
        })
    }
}
