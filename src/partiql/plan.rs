//! A parsed statement checked against DynamoDB's rules and lowered to what the engine runs:
//! [`prepare`] classifies it and names its table (checks that need no table), [`plan`] reads it
//! against the table's key schema: a SELECT becomes partitions to query (or a scan), a range on
//! the sort key, a filter and a projection; INSERT an item; UPDATE and DELETE a key, a condition
//! and an update; EXISTS a key and a condition. Conditions and updates come out as the
//! expression language's AST over generated `#n`/`:v` placeholders and are validated by it, so
//! they say what ConditionExpression and UpdateExpression say. Pure; depends on `model`, `expr`
//! and the rest of `partiql`.
use super::ast::{
    BinOp, Ddl, Delete, DmlOp, Expr, Insert, Lit, Projection, Returning, Select, SeqKind, Span,
    Statement, Step, UnOp, Update,
};
use super::parser::parse_statement;
use super::value::{item_of, value_of};
use super::PqlError;
use crate::error::Error;
use crate::expr::ast::{self as x, CmpOp, Cond, Elem, Name, Operand};
use crate::expr::projection::PathElem;
use crate::expr::validate::{validate_condition, validate_paths, validate_update, Ctx, Used};
use crate::model::{AttributeValue, IndexDef, Item, KeySchema, TableMeta};
use std::collections::BTreeMap;

/// What a statement does, which decides where it may run (batches and transactions are all
/// reads or all writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Select,
    Insert,
    Update,
    Delete,
    Exists,
}

impl Kind {
    pub fn is_read(self) -> bool {
        self == Kind::Select
    }
}

/// Where a statement runs: a call of its own, one of a BatchExecuteStatement, or one of an
/// ExecuteTransaction. Each admits different SELECTs and EXISTS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Single,
    Batch,
    Transaction,
}

/// A statement parsed, classified and named, before its table is looked up.
#[derive(Debug)]
pub struct Prepared {
    pub stmt: Statement,
    pub kind: Kind,
    pub table: String,
    pub index: Option<String>,
}

const TABLE_NAME: &str = "Table name should be within the length [3, 255] and only contain 'a-z', 'A-Z', '0-9', '-', '_', '.'.";
const NO_FULL_KEY: &str =
    "Where clause does not contain a mandatory equality on all key attributes";

/// Parses `text` and runs the checks that need no table, in the service's order: the
/// statement's kind and clauses, its table (and index) name, then the translation of its
/// expressions (projection, WHERE, SET, the INSERT's item: their operators, functions, values
/// and parameters, validated as the expression language validates them). What depends on the
/// table's keys waits for [`plan`].
pub fn prepare(text: &str, params: &[AttributeValue], mode: Mode) -> Result<Prepared, PqlError> {
    let stmt = parse_statement(text)?;
    let (kind, table, index) = match &stmt {
        Statement::Query(e) => query_target(e, mode)?,
        Statement::Insert(i) => insert_target(i)?,
        Statement::Update(u) => {
            let (t, i) = dml_target(&u.target, u.alias.is_some())?;
            (Kind::Update, t, i)
        }
        Statement::Delete(d) => {
            let (t, i) = dml_target(&d.target, d.alias.is_some())?;
            (Kind::Delete, t, i)
        }
        Statement::Ddl(d) => {
            let name = match d {
                Ddl::CreateTable(_) => "CreateTable",
                Ddl::CreateIndex(..) => "CreateIndex",
                Ddl::DropTable(_) => "DropTable",
                Ddl::DropIndex(..) => "DropIndex",
            };
            return Err(PqlError::invalid(format!("Unsupported operation: {name}")));
        }
        Statement::Exec(..) => return Err(PqlError::invalid("Unsupported operation: Exec")),
    };
    let prep = Prepared {
        stmt,
        kind,
        table,
        index,
    };
    translate(&prep, params)?;
    Ok(prep)
}

/// A key schema naming no attribute: translation before the table is known.
fn no_keys() -> KeySchema {
    KeySchema::new(
        crate::model::KeyAttr {
            name: String::new(),
            ty: crate::model::KeyType::S,
        },
        None,
    )
}

/// The checks of [`prepare`] that translate expressions (too few parameters shows here, where
/// a missing one is needed).
fn translate(prep: &Prepared, params: &[AttributeValue]) -> Result<(), PqlError> {
    let keys = no_keys();
    let mut lower = Lower::new(params, &keys);
    match &prep.stmt {
        Statement::Query(Expr::Select(s)) => {
            unsupported_clauses(s)?;
            if s.distinct {
                return Err(PqlError::invalid(
                    "Unsupported token in expression: DISTINCT",
                ));
            }
            projection(&s.projection)?;
            if let Some(w) = &s.where_ {
                let c = lower.where_clause(w)?;
                lower.finish(Some(c))?;
            }
        }
        Statement::Query(Expr::Call(_, args)) => {
            if let Some(Expr::Select(s)) = args.first() {
                unsupported_clauses(s)?;
                if let Some(w) = &s.where_ {
                    let c = lower.where_clause(w)?;
                    lower.finish(Some(c))?;
                }
            }
        }
        Statement::Insert(i) => {
            item_of(&i.value, params)?;
        }
        Statement::Update(u) => {
            let update = lower.update_actions(u)?;
            lower.validate_update(&update)?;
            if let Some(w) = &u.where_ {
                let c = lower.where_clause(w)?;
                lower.finish(Some(c))?;
            }
        }
        Statement::Delete(d) => {
            if let Some(w) = &d.where_ {
                let c = lower.where_clause(w)?;
                lower.finish(Some(c))?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn query_target(e: &Expr, mode: Mode) -> Result<(Kind, String, Option<String>), PqlError> {
    let exists_elsewhere =
        || PqlError::invalid("EXISTS can only be used in ExecuteTransaction write requests.");
    match e {
        Expr::Select(s) => {
            let (t, i) = select_source(s)?;
            Ok((Kind::Select, t, i))
        }
        // Any operator or call at the top is read as an EXISTS check.
        Expr::Call(..)
        | Expr::Binary(..)
        | Expr::Unary(..)
        | Expr::In { .. }
        | Expr::Between { .. }
        | Expr::Like { .. }
        | Expr::Is { .. } => {
            if mode != Mode::Transaction {
                return Err(exists_elsewhere());
            }
            match e {
                Expr::Call(name, args)
                    if name.name.eq_ignore_ascii_case("exists") && !name.quoted =>
                {
                    match args.as_slice() {
                        [Expr::Select(s)] => {
                            let (t, i) = select_source(s)?;
                            Ok((Kind::Exists, t, i))
                        }
                        _ => Err(PqlError::invalid("Unsupported operation in transaction.")),
                    }
                }
                _ => Err(PqlError::invalid("Unsupported operation in transaction.")),
            }
        }
        other => Err(PqlError::invalid(format!(
            "Unsupported operation: {}",
            node_name(other)
        ))),
    }
}

/// The service's name for an expression's node type.
fn node_name(e: &Expr) -> &'static str {
    match e {
        Expr::Lit(..) | Expr::Ion(..) | Expr::Typed(..) => "Literal",
        Expr::Var(_) => "VariableReference",
        Expr::Param(..) => "Parameter",
        Expr::Path(..) => "Path",
        Expr::Seq(..) => "Seq",
        Expr::Struct(..) => "Struct",
        Expr::Select(_) => "Select",
        _ => "NAry",
    }
}

fn check_table_name(name: &str) -> Result<(), PqlError> {
    let ok = (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(PqlError::invalid(TABLE_NAME))
    }
}

/// The table and index a FROM clause names (`"t"`, `"t"."i"`).
fn select_source(s: &Select) -> Result<(String, Option<String>), PqlError> {
    if s.from.len() > 1 {
        return Err(PqlError::invalid(
            "Only select from a single table or index is supported.",
        ));
    }
    let Some(from) = s.from.first() else {
        return Err(PqlError::invalid("Unexpected from source"));
    };
    if from.alias.is_some() || from.at.is_some() || from.by.is_some() {
        return Err(PqlError::invalid("Aliasing is not supported"));
    }
    let (table, index) = source_names(&from.expr)?;
    check_table_name(&table)?;
    if let Some(i) = &index {
        check_table_name(i)?;
    }
    Ok((table, index))
}

fn source_names(e: &Expr) -> Result<(String, Option<String>), PqlError> {
    match e {
        Expr::Var(id) => Ok((id.name.clone(), None)),
        Expr::Path(root, steps) => {
            let Expr::Var(table) = &**root else {
                return Err(PqlError::invalid("Unexpected from source"));
            };
            for step in steps {
                match step {
                    Step::Field(_) => {}
                    Step::Index(_) => {
                        return Err(PqlError::invalid("Invalid list expression in source."))
                    }
                    Step::AllElements(span) => {
                        return Err(PqlError::at(
                            "Wildcard path component like a[*].b are not supported",
                            *span,
                        ))
                    }
                    Step::AllFields(span) => {
                        return Err(PqlError::at(
                            "Unpivot path component like a.*.b are not supported",
                            *span,
                        ))
                    }
                }
            }
            match steps.as_slice() {
                [Step::Field(index)] => Ok((table.name.clone(), Some(index.name.clone()))),
                _ => Err(PqlError::invalid(
                    "A path may contain at most 2 components in the FROM clause",
                )),
            }
        }
        _ => Err(PqlError::invalid("Unexpected from source")),
    }
}

fn insert_target(i: &Insert) -> Result<(Kind, String, Option<String>), PqlError> {
    if i.bag {
        return Err(PqlError::invalid("Unsupported operation: InsertOp"));
    }
    match &i.target {
        Expr::Var(id) => Ok((Kind::Insert, id.name.clone(), None)),
        _ => Err(PqlError::invalid(
            "FROM clause may only contain a single table name in data manipulation statements",
        )),
    }
}

fn dml_target(target: &Expr, alias: bool) -> Result<(String, Option<String>), PqlError> {
    if alias {
        return Err(PqlError::invalid("Aliasing is not supported"));
    }
    let (table, index) = source_names(target)?;
    check_table_name(&table)?;
    if let Some(i) = &index {
        check_table_name(i)?;
        return Err(PqlError::invalid(
            "This operation is not supported on an index",
        ));
    }
    Ok((table, None))
}

// ---- plans ----

/// A condition over generated placeholders, ready for `expr::eval`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub cond: Cond,
    pub names: BTreeMap<String, String>,
    pub values: BTreeMap<String, AttributeValue>,
}

/// One comparison bounding the sort key of a query.
#[derive(Debug, Clone, PartialEq)]
pub enum SortTerm {
    Cmp(CmpOp, AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
    In(Vec<AttributeValue>),
}

/// What the WHERE clause tells about the sort key: every item it admits lies in this range.
#[derive(Debug, Clone, PartialEq)]
pub enum SortRange {
    Any,
    Term(SortTerm),
    /// All of these hold.
    And(Vec<SortRange>),
    /// One of these holds.
    Or(Vec<SortRange>),
}

/// A SELECT list: each path, and the name its value takes in the result.
pub type Paths = Vec<(Vec<PathElem>, String)>;

/// The order ORDER BY asks for: of the partitions, and of the items in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Order {
    pub hash_desc: bool,
    pub range_desc: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SelectPlan {
    pub index: Option<String>,
    /// `None` for `*`; else each path with the name the result gives its value.
    pub projection: Option<Paths>,
    /// The partition key values the WHERE clause allows, sorted and distinct; `None`: any
    /// (a scan).
    pub partitions: Option<Vec<AttributeValue>>,
    pub sort: SortRange,
    /// The whole WHERE clause, run on every item read.
    pub filter: Option<Condition>,
    pub order: Order,
    /// The item's full key when the WHERE clause is nothing but equalities on every key
    /// attribute (the reads batches and transactions admit).
    pub key: Option<Item>,
}

/// RETURNING of an UPDATE (`ALL OLD *` is DELETE's only one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnValues {
    AllOld,
    AllNew,
    UpdatedOld,
    UpdatedNew,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UpdatePlan {
    pub key: Item,
    pub update: x::Update,
    /// The resolved path of every action, in order.
    pub paths: Vec<Vec<PathElem>>,
    pub names: BTreeMap<String, String>,
    pub values: BTreeMap<String, AttributeValue>,
    /// The WHERE clause's conditions besides the key.
    pub condition: Option<Condition>,
    pub returning: Option<ReturnValues>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    Select(SelectPlan),
    Insert(Item),
    Update(UpdatePlan),
    Delete {
        key: Item,
        condition: Option<Condition>,
        return_old: bool,
    },
    Exists {
        key: Item,
        condition: Condition,
    },
}

/// Lowers a prepared statement against its table, in `mode`.
pub fn plan(
    prep: &Prepared,
    meta: &TableMeta,
    params: &[AttributeValue],
    mode: Mode,
) -> Result<Plan, PqlError> {
    match &prep.stmt {
        Statement::Query(Expr::Select(s)) if prep.kind == Kind::Select => {
            plan_select(s, meta, prep.index.as_deref(), params, mode).map(Plan::Select)
        }
        Statement::Query(Expr::Call(_, args)) => {
            let Some(Expr::Select(s)) = args.first() else {
                return Err(PqlError::invalid("Unsupported operation: NAry"));
            };
            plan_exists(s, meta, prep.index.is_some(), params)
        }
        Statement::Insert(i) => plan_insert(i, meta, params).map(Plan::Insert),
        Statement::Update(u) => plan_update(u, meta, params).map(Plan::Update),
        Statement::Delete(d) => plan_delete(d, meta, params),
        _ => Err(PqlError::invalid("Unsupported operation: NAry")),
    }
}

fn plan_insert(i: &Insert, meta: &TableMeta, params: &[AttributeValue]) -> Result<Item, PqlError> {
    if i.at.is_some() {
        return Err(PqlError::at(
            "AT is not supported in insert statements.",
            Span::new(0, "INSERT".len()),
        ));
    }
    if i.on_conflict.is_some() {
        return Err(PqlError::invalid("Unsupported clause: ON CONFLICT"));
    }
    if !i.returning.is_empty() {
        return Err(PqlError::invalid("RETURNING is not supported in INSERT"));
    }
    let item = item_of(&i.value, params)?;
    for attr in meta.key.attrs() {
        let Some(v) = item.get(&attr.name) else {
            return Err(PqlError::invalid(format!(
                "Key attribute should be present in the item: Key {}",
                attr.name
            )));
        };
        if v.scalar_type() != Some(attr.ty.scalar()) {
            return Err(schema_mismatch(&attr.name));
        }
    }
    Ok(item)
}

fn schema_mismatch(name: &str) -> PqlError {
    PqlError::invalid(format!(
        "Key attribute's data type should match its data type in table's schema: Key {name}"
    ))
}

fn plan_delete(d: &Delete, meta: &TableMeta, params: &[AttributeValue]) -> Result<Plan, PqlError> {
    let return_old = match d.returning.as_slice() {
        [] => false,
        [r] if r.column.is_some() => {
            return Err(PqlError::invalid(
                "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause",
            ))
        }
        [r] if !r.modified && !r.new => true,
        [r] => {
            return Err(PqlError::invalid(format!(
                "Invalid returning clause: RETURNING {}. Only RETURNING ALL OLD * is allowed in DELETE statements.",
                returning_text(r)
            )))
        }
        _ => {
            return Err(PqlError::invalid(
                "Invalid syntax with multiple returning elements in RETURNING clause",
            ))
        }
    };
    let mut lower = Lower::new(params, &meta.key);
    let (key, condition) = lower.key_and_condition(d.where_.as_ref())?;
    Ok(Plan::Delete {
        key,
        condition: lower.finish(condition)?,
        return_old,
    })
}

fn returning_text(r: &Returning) -> String {
    format!(
        "{} {} {}",
        if r.modified { "MODIFIED" } else { "ALL" },
        if r.new { "NEW" } else { "OLD" },
        r.column.as_ref().map_or("*".to_string(), |c| c.to_string())
    )
}

fn plan_update(
    u: &Update,
    meta: &TableMeta,
    params: &[AttributeValue],
) -> Result<UpdatePlan, PqlError> {
    let returning = match u.returning.as_slice() {
        [] => None,
        [r] if r.column.is_none() => Some(match (r.modified, r.new) {
            (false, false) => ReturnValues::AllOld,
            (false, true) => ReturnValues::AllNew,
            (true, false) => ReturnValues::UpdatedOld,
            (true, true) => ReturnValues::UpdatedNew,
        }),
        [_] => {
            return Err(PqlError::invalid(
                "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause",
            ))
        }
        _ => {
            return Err(PqlError::invalid(
                "Invalid syntax with multiple returning elements in RETURNING clause",
            ))
        }
    };
    let mut lower = Lower::new(params, &meta.key);
    let grouped = lower.update_actions(u)?;
    let (key, condition) = lower.key_and_condition(u.where_.as_ref())?;
    let paths = lower.validate_update(&grouped)?;
    // The item must exist: an UPDATE never creates one.
    let exists = Cond::Call(x::Call {
        name: "attribute_exists".into(),
        args: vec![Operand::Path(lower.attr_path(&meta.key.hash.name))],
    });
    let condition = Some(match condition {
        Some(c) => Cond::And(Box::new(exists), Box::new(c)),
        None => exists,
    });
    let condition = lower.finish(condition)?;
    Ok(UpdatePlan {
        key,
        update: grouped,
        paths,
        names: lower.names.clone(),
        values: lower.values.clone(),
        condition,
        returning,
    })
}

/// EXISTS(SELECT ...): only in a transaction, which `prepare` has checked.
fn plan_exists(
    s: &Select,
    meta: &TableMeta,
    on_index: bool,
    params: &[AttributeValue],
) -> Result<Plan, PqlError> {
    unsupported_clauses(s)?;
    if on_index {
        return Err(PqlError::invalid(
            "Operations on indices are not supported in transactions",
        ));
    }
    let single =
        || PqlError::invalid("EXISTS() must contain a single item read with additional condition");
    let mut lower = Lower::new(params, &meta.key);
    let (key, condition) = lower
        .key_and_condition(s.where_.as_ref())
        .map_err(|e| match e {
            PqlError::Invalid(m, _) if m == NO_FULL_KEY => single(),
            e => e,
        })?;
    let Some(cond) = condition else {
        return Err(single());
    };
    lower.finish(Some(cond.clone()))?;
    // EXISTS: the item is there, and the condition holds on it.
    let exists = Cond::Call(x::Call {
        name: "attribute_exists".into(),
        args: vec![Operand::Path(lower.attr_path(&meta.key.hash.name))],
    });
    let Some(condition) = lower.finish(Some(Cond::And(Box::new(exists), Box::new(cond))))? else {
        return Err(single());
    };
    Ok(Plan::Exists { key, condition })
}

fn unsupported_clauses(s: &Select) -> Result<(), PqlError> {
    if s.group_by.is_some() {
        return Err(PqlError::invalid("Unsupported clause: GROUP BY"));
    }
    if let Some(h) = &s.having {
        return Err(PqlError::at("Unsupported clause: HAVING", h.span()));
    }
    if let Some(l) = &s.limit {
        return Err(PqlError::at("Unsupported clause: LIMIT", l.span()));
    }
    Ok(())
}

fn plan_select(
    s: &Select,
    meta: &TableMeta,
    index: Option<&str>,
    params: &[AttributeValue],
    mode: Mode,
) -> Result<SelectPlan, PqlError> {
    if mode == Mode::Transaction && index.is_some() {
        return Err(PqlError::invalid(
            "Reads on indices are not supported within transactions.",
        ));
    }
    let ix: Option<&IndexDef> = match index {
        Some(name) => Some(meta.index(name).ok_or_else(|| {
            PqlError::from(Error::validation(format!(
                "The table does not have the specified index: {name}"
            )))
        })?),
        None => None,
    };
    let schema = ix.map(|i| &i.key).unwrap_or(&meta.key);
    let projection = projection(&s.projection)?;
    if let Some(paths) = &projection {
        for (r, _) in paths {
            let (Some(PathElem::Attr(first)), true) = (r.first(), r.len() > 1) else {
                continue;
            };
            if meta.key.contains(first) || ix.is_some_and(|i| i.key.contains(first)) {
                return Err(key_nested(first));
            }
        }
    }
    let mut lower = Lower::new(params, schema);
    lower.table_key = Some(&meta.key);
    let cond = match &s.where_ {
        Some(w) => Some(lower.where_clause(w)?),
        None => None,
    };
    let partitions = match &s.where_ {
        // A GSI with a multi-attribute key is read by a Scan of the index with the clause as
        // its filter: the key walk here knows one partition attribute and one sort attribute.
        Some(_) if schema.is_multi() => None,
        Some(w) => lower.partitions(w)?,
        None => None,
    };
    let sort = match (&s.where_, &schema.range) {
        (Some(w), Some(r)) if partitions.is_some() => lower.sort_range(w, &r.name)?,
        _ => SortRange::Any,
    };
    // Batches and transactions read single items: equalities on the whole key, nothing else.
    let key = match &s.where_ {
        Some(w) if ix.is_none() => lower.single_key(w),
        _ => None,
    };
    match mode {
        Mode::Batch if key.is_none() => {
            return Err(PqlError::invalid("Only single item select is supported"))
        }
        Mode::Transaction if key.is_none() => {
            return Err(PqlError::invalid(
                "Select statements within ExecuteTransaction must specify the primary key in the where clause.",
            ))
        }
        _ => {}
    }
    let order = order(s, schema, partitions.is_some())?;
    let mut filter = lower.finish(cond)?;
    // A clause made only of what the walk already enforces needs no filter.
    if partitions.is_some() && s.where_.as_ref().is_some_and(|w| lower.enforced_by_keys(w)) {
        filter = None;
    }
    Ok(SelectPlan {
        index: index.map(str::to_string),
        projection,
        partitions,
        sort,
        filter,
        order,
        key,
    })
}

fn order(s: &Select, schema: &KeySchema, keyed: bool) -> Result<Order, PqlError> {
    let mut out = Order::default();
    let Some(items) = &s.order_by else {
        return Ok(out);
    };
    if s.where_.is_none() {
        return Err(PqlError::invalid(
            "Must have WHERE clause in the statement when using ORDER BY clause.",
        ));
    }
    for item in items {
        let name = match &item.expr {
            Expr::Var(id) => &id.name,
            other => {
                let ty = match other {
                    Expr::Lit(l, _) => match l {
                        Lit::Str(s) => format!("\"{s}\""),
                        Lit::Num(n) => n.clone(),
                        other => other.to_string().to_ascii_lowercase(),
                    },
                    Expr::Path(..) => "PATH".into(),
                    Expr::Param(..) => "PARAMETER".into(),
                    _ => "NARY".into(),
                };
                return Err(PqlError::invalid(format!(
                    "Argument to ORDER BY must be of type VariableReference. Type: {ty}"
                )));
            }
        };
        let desc = item.desc == Some(true);
        if *name == schema.hash.name {
            out.hash_desc = desc;
        } else if schema.range.as_ref().is_some_and(|r| r.name == *name) {
            out.range_desc = desc;
        } else {
            return Err(PqlError::invalid(format!(
                "Variable reference {name} in ORDER BY clause must be part of the primary key"
            )));
        }
    }
    if !keyed {
        return Err(PqlError::invalid(
            "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause.",
        ));
    }
    Ok(out)
}

/// The projection's paths and the names their values take in the result (the last name of the
/// path with the indexes after it: `m.a[1]` is `a[1]`).
fn projection(p: &Projection) -> Result<Option<Paths>, PqlError> {
    let items = match p {
        Projection::Star => return Ok(None),
        Projection::Value(_) | Projection::Pivot(..) => {
            return Err(PqlError::invalid(
                "Select projection doesn't support value or pivot keywords",
            ))
        }
        Projection::Items(items) => items,
    };
    let mut paths = Vec::with_capacity(items.len());
    let empty = BTreeMap::new();
    let keys = no_keys();
    let mut lower = Lower::new(&[], &keys);
    for it in items {
        if it.alias.is_some() {
            return Err(PqlError::invalid("Aliasing is not supported"));
        }
        if let Expr::Path(_, steps) = &it.expr {
            if steps
                .iter()
                .any(|s| matches!(s, Step::AllFields(_) | Step::AllElements(_)))
            {
                return Err(PqlError::invalid(
                    "Changing item's hierarchy while reading isn't supported",
                ));
            }
        }
        let path = match &it.expr {
            Expr::Var(_) | Expr::Path(..) => lower.path(&it.expr)?,
            other => {
                return Err(PqlError::at("Unexpected path component", other.span()));
            }
        };
        paths.push(path);
    }
    let mut names: Vec<String> = Vec::with_capacity(paths.len());
    let mut resolved = Vec::with_capacity(paths.len());
    for path in &paths {
        let r = Ctx {
            names: &lower.names,
            values: &empty,
        }
        .resolve_path(path, &mut Used::default())
        .map_err(|e| PqlError::invalid(e.to_string()))?;
        let name = result_name(&r);
        if names.contains(&name) {
            return Err(PqlError::invalid(format!(
                "Duplicate identifiers in select clause: {name}"
            )));
        }
        names.push(name);
        resolved.push(r);
    }
    // The service reports an overlap naming the later path first.
    let reversed: Vec<x::Path> = paths.iter().rev().cloned().collect();
    let ctx = Ctx {
        names: &lower.names,
        values: &empty,
    };
    validate_paths(&ctx, &reversed, &mut Used::default())
        .map_err(|e| PqlError::invalid(e.to_string()))?;
    Ok(Some(resolved.into_iter().zip(names).collect()))
}

fn key_nested(name: &str) -> PqlError {
    PqlError::invalid(format!(
        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: {name}"
    ))
}

/// `m.a[1]` -> `a[1]`: the last name of a path and the indexes after it.
fn result_name(path: &[PathElem]) -> String {
    let last = path
        .iter()
        .rposition(|e| matches!(e, PathElem::Attr(_)))
        .unwrap_or(0);
    let mut out = String::new();
    for e in &path[last..] {
        match e {
            PathElem::Attr(a) => out.push_str(a),
            PathElem::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

// ---- lowering expressions ----

/// Builds expression-language ASTs over generated placeholders.
struct Lower<'a> {
    params: &'a [AttributeValue],
    /// The key schema the statement reads or writes by (an index's for an index SELECT).
    schema: &'a KeySchema,
    /// The table's key schema, when `schema` is an index's.
    table_key: Option<&'a KeySchema>,
    names: BTreeMap<String, String>,
    values: BTreeMap<String, AttributeValue>,
}

impl<'a> Lower<'a> {
    fn new(params: &'a [AttributeValue], schema: &'a KeySchema) -> Lower<'a> {
        Lower {
            params,
            schema,
            table_key: None,
            names: BTreeMap::new(),
            values: BTreeMap::new(),
        }
    }

    fn is_key(&self, name: &str) -> bool {
        self.schema.contains(name) || self.table_key.is_some_and(|k| k.contains(name))
    }

    fn name(&mut self, n: &str) -> Name {
        if let Some((ph, _)) = self.names.iter().find(|(_, v)| *v == n) {
            return Name::Placeholder(ph.clone());
        }
        let ph = format!("#n{}", self.names.len());
        self.names.insert(ph.clone(), n.to_string());
        Name::Placeholder(ph)
    }

    fn attr_path(&mut self, n: &str) -> x::Path {
        x::Path(vec![Elem::Attr(self.name(n))])
    }

    fn value(&mut self, v: AttributeValue) -> Operand {
        let ph = format!(":v{}", self.values.len());
        self.values.insert(ph.clone(), v);
        Operand::Value(ph)
    }

    /// A document path (`a`, `"a".b[0]`, `a['b']`).
    fn path(&mut self, e: &Expr) -> Result<x::Path, PqlError> {
        let (root, steps): (&Expr, &[Step]) = match e {
            Expr::Path(root, steps) => (root, steps),
            other => (other, &[]),
        };
        let Expr::Var(id) = root else {
            return Err(PqlError::at("Unexpected path component", root.span()));
        };
        let empty = || PqlError::invalid("Path component cannot be an empty string");
        if id.name.is_empty() {
            return Err(empty());
        }
        let mut elems = vec![Elem::Attr(self.name(&id.name))];
        for step in steps {
            elems.push(match step {
                Step::Field(f) if f.name.is_empty() => return Err(empty()),
                Step::Field(f) => Elem::Attr(self.name(&f.name)),
                Step::Index(i) => match &**i {
                    Expr::Lit(Lit::Str(s), _) if s.is_empty() => return Err(empty()),
                    Expr::Lit(Lit::Str(s), _) => Elem::Attr(self.name(s)),
                    Expr::Var(v) => Elem::Attr(self.name(&v.name)),
                    Expr::Lit(Lit::Num(n), span) if !n.contains(['.', 'e', 'E']) => {
                        match n.parse::<i64>() {
                            Ok(i) if (0..=i32::MAX as i64).contains(&i) => Elem::Index(i as u32),
                            _ => {
                                return Err(PqlError::at(
                                    format!(
                                        "List index is not within the allowable range; index: [{n}]"
                                    ),
                                    *span,
                                ))
                            }
                        }
                    }
                    other => return Err(PqlError::at("Unexpected path component", other.span())),
                },
                Step::AllElements(span) => {
                    return Err(PqlError::at(
                        "Wildcard path component like a[*].b are not supported",
                        *span,
                    ))
                }
                Step::AllFields(span) => {
                    return Err(PqlError::at(
                        "Unpivot path component like a.*.b are not supported",
                        *span,
                    ))
                }
            });
        }
        if elems.len() > 1 && self.is_key(&id.name) {
            return Err(key_nested(&id.name));
        }
        Ok(x::Path(elems))
    }

    /// An operand of a condition.
    fn operand(&mut self, e: &Expr) -> Result<Operand, PqlError> {
        match e {
            Expr::Var(_) | Expr::Path(..) => self.path(e).map(Operand::Path),
            Expr::Lit(Lit::Missing, _) => Err(PqlError::invalid(
                "MISSING must be compared using IS operator",
            )),
            Expr::Typed(_, _, span) => Err(PqlError::at(
                "Unsupported token in expression: UNKNOWN",
                *span,
            )),
            Expr::Lit(..)
            | Expr::Param(..)
            | Expr::Seq(..)
            | Expr::Struct(..)
            | Expr::Ion(..)
            | Expr::Unary(UnOp::Pos, ..) => {
                let v = value_of(e, "root", 0, self.params)?;
                Ok(self.value(v))
            }
            Expr::Call(name, args) => {
                let name = name.name.to_ascii_lowercase();
                let args = args
                    .iter()
                    .map(|a| self.operand(a))
                    .collect::<Result<Vec<_>, _>>()?;
                if !known_function(&name) {
                    return Err(PqlError::invalid(format!("Unrecognized function: {name}")));
                }
                Ok(Operand::Call(x::Call { name, args }))
            }
            Expr::Binary(op, ..) => Err(PqlError::invalid(format!(
                "Unsupported operator in Condition Expression. Operator: {}",
                op_name(*op)
            ))),
            Expr::Unary(UnOp::Neg, ..) => Err(PqlError::invalid(
                "Unsupported operator in Condition Expression. Operator: -",
            )),
            Expr::Like { .. } => Err(PqlError::invalid(
                "Unsupported operator in Condition Expression. Operator: like",
            )),
            Expr::Select(s) => Err(PqlError::at(
                "Unsupported token in expression: SELECT",
                s.span,
            )),
            _ => Err(PqlError::invalid(
                "WHERE clause must contain an expression that resolves to a boolean",
            )),
        }
    }

    /// The WHERE clause as a condition, validated as a ConditionExpression is.
    fn where_clause(&mut self, e: &Expr) -> Result<Cond, PqlError> {
        if !is_boolean(e) {
            return Err(PqlError::invalid(
                "WHERE clause must contain an expression that resolves to a boolean",
            ));
        }
        self.cond(e)
    }

    fn cond(&mut self, e: &Expr) -> Result<Cond, PqlError> {
        match e {
            Expr::Binary(op @ (BinOp::And | BinOp::Or), a, b, _) => {
                for side in [a, b] {
                    if is_size_call(side) {
                        return Err(PqlError::invalid(format!(
                            "Incorrect operand type for operator or function; operator or function: {}, operand type: N",
                            op.as_str()
                        )));
                    }
                }
                if !is_boolean(a) || !is_boolean(b) {
                    return Err(PqlError::invalid(
                        "The arguments to AND/OR must be Expressions",
                    ));
                }
                let (a, b) = (Box::new(self.cond(a)?), Box::new(self.cond(b)?));
                Ok(if *op == BinOp::And {
                    Cond::And(a, b)
                } else {
                    Cond::Or(a, b)
                })
            }
            Expr::Unary(UnOp::Not, inner, _) => {
                if !is_boolean(inner) {
                    return Err(PqlError::invalid(
                        "The argument to NOT must be a Type or Expression",
                    ));
                }
                Ok(Cond::Not(Box::new(self.cond(inner)?)))
            }
            Expr::Binary(op, a, b, _) => {
                let cmp = match op {
                    BinOp::Eq => CmpOp::Eq,
                    BinOp::Ne => CmpOp::Ne,
                    BinOp::Lt => CmpOp::Lt,
                    BinOp::Le => CmpOp::Le,
                    BinOp::Gt => CmpOp::Gt,
                    BinOp::Ge => CmpOp::Ge,
                    other => {
                        return Err(PqlError::invalid(format!(
                            "Unsupported operator in Condition Expression. Operator: {}",
                            op_name(*other)
                        )))
                    }
                };
                // `begins_with(a, 'x') = true` is the function itself.
                if let (Expr::Call(..), Expr::Lit(Lit::Bool(t), _)) = (&**a, &**b) {
                    if matches!(cmp, CmpOp::Eq | CmpOp::Ne) && is_boolean(a) {
                        let c = self.cond(a)?;
                        return Ok(if *t == (cmp == CmpOp::Eq) {
                            c
                        } else {
                            Cond::Not(Box::new(c))
                        });
                    }
                }
                Ok(Cond::Cmp(self.operand(a)?, cmp, self.operand(b)?))
            }
            Expr::Between {
                expr,
                low,
                high,
                not,
                ..
            } => {
                let c = Cond::Between(self.operand(expr)?, self.operand(low)?, self.operand(high)?);
                Ok(negate(c, *not))
            }
            Expr::In {
                expr, list, not, ..
            } => {
                let bad = || {
                    PqlError::invalid("IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member")
                };
                let Expr::Seq(_, items, _) = &**list else {
                    return Err(bad());
                };
                if items.is_empty() {
                    return Err(bad());
                }
                let lhs = self.operand(expr)?;
                let mut ops = Vec::with_capacity(items.len());
                for i in items {
                    ops.push(self.operand(i)?);
                }
                Ok(negate(Cond::In(lhs, ops), *not))
            }
            Expr::Is {
                expr,
                ty,
                not,
                span,
            } => {
                let operand = match &**expr {
                    Expr::Var(_) | Expr::Path(..) | Expr::Lit(..) => self.operand(expr)?,
                    _ => {
                        return Err(PqlError::invalid(
                            "The left hand side argument to IS must be a Variable Reference, Literal, or Path",
                        ))
                    }
                };
                let call = |name: &str, args: Vec<Operand>| {
                    Cond::Call(x::Call {
                        name: name.into(),
                        args,
                    })
                };
                let type_name = match *ty {
                    "MISSING" => {
                        return Ok(if *not {
                            call("attribute_exists", vec![operand])
                        } else {
                            call("attribute_not_exists", vec![operand])
                        })
                    }
                    "NULL" => "NULL",
                    "BOOLEAN" => "BOOL",
                    "BLOB" => "B",
                    "STRING" => "S",
                    "NUMERIC" => "N",
                    "STRUCT" | "TUPLE" => "M",
                    "LIST" => "L",
                    other => {
                        return Err(PqlError::at(
                            format!("Unsupported data type for IS operator: {other}. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]"),
                            *span,
                        ))
                    }
                };
                let t = self.value(AttributeValue::S(type_name.into()));
                Ok(negate(call("attribute_type", vec![operand, t]), *not))
            }
            Expr::Like { .. } => Err(PqlError::invalid(
                "Unsupported operator in Condition Expression. Operator: like",
            )),
            Expr::Call(name, args) => {
                let lower = name.name.to_ascii_lowercase();
                let operands = args
                    .iter()
                    .map(|a| self.operand(a))
                    .collect::<Result<Vec<_>, _>>()?;
                if !known_function(&lower) {
                    return Err(PqlError::invalid(format!("Unrecognized function: {lower}")));
                }
                // A type written as a name (`attribute_type(x, N)`) is a path, not a type.
                if lower == "attribute_type"
                    && matches!(args.get(1), Some(Expr::Var(_) | Expr::Path(..)))
                {
                    return Err(PqlError::invalid(
                        "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {N,NS,INT,DICT,FS,B,L,FLOAT,INTSET,M,HDS,DOUBLESET,DECIMAL,BOOL,DECIMALSET,NULL,HD,DOUBLE,BS,S,SS}",
                    ));
                }
                Ok(Cond::Call(x::Call {
                    name: lower,
                    args: operands,
                }))
            }
            _ => Err(PqlError::invalid(
                "WHERE clause must contain an expression that resolves to a boolean",
            )),
        }
    }

    /// Validates a condition built by this lowering (as ConditionExpression is validated).
    fn finish(&self, cond: Option<Cond>) -> Result<Option<Condition>, PqlError> {
        let Some(cond) = cond else {
            return Ok(None);
        };
        let ctx = Ctx {
            names: &self.names,
            values: &self.values,
        };
        validate_condition(&ctx, &cond, &mut Used::default())
            .map_err(|e| PqlError::invalid(e.to_string()))?;
        Ok(Some(Condition {
            cond,
            names: self.names.clone(),
            values: self.values.clone(),
        }))
    }

    /// Validates an update (the service names overlapping paths later one first); returns
    /// each action's resolved path.
    fn validate_update(&self, update: &x::Update) -> Result<Vec<Vec<PathElem>>, PqlError> {
        let ctx = Ctx {
            names: &self.names,
            values: &self.values,
        };
        let mut reversed = update.clone();
        reversed.actions.reverse();
        reversed.clause_starts = Vec::new();
        for (i, a) in reversed.actions.iter().enumerate() {
            if i == 0 || reversed.actions[i - 1].clause() != a.clause() {
                reversed.clause_starts.push(i);
            }
        }
        let first_of_each: Vec<usize> = {
            let mut seen: Vec<&str> = Vec::new();
            let mut starts = Vec::new();
            for &i in &reversed.clause_starts {
                let c = reversed.actions[i].clause();
                if !seen.contains(&c) {
                    seen.push(c);
                    starts.push(i);
                }
            }
            starts
        };
        reversed.clause_starts = first_of_each;
        validate_update(&ctx, &reversed, &mut Used::default())
            .map_err(|e| PqlError::invalid(e.to_string()))?;
        validate_update(&ctx, update, &mut Used::default())
            .map_err(|e| PqlError::invalid(e.to_string()))
    }

    /// An UPDATE's SET and REMOVE operations as one update expression: one clause per kind,
    /// in the order the kinds first appear (PartiQL may repeat SET).
    fn update_actions(&mut self, u: &Update) -> Result<x::Update, PqlError> {
        let mut update = x::Update::default();
        for op in &u.ops {
            match op {
                DmlOp::Set(assignments) => {
                    for (target, value) in assignments {
                        let path = self.path(target)?;
                        update.actions.push(self.assignment(path, value)?);
                    }
                }
                DmlOp::Remove(target) => {
                    let path = self.path(target)?;
                    update.actions.push(x::Action::Remove(path));
                }
            }
        }
        let mut kinds: Vec<&'static str> = Vec::new();
        for a in &update.actions {
            if !kinds.contains(&a.clause()) {
                kinds.push(a.clause());
            }
        }
        let mut grouped = x::Update::default();
        for k in kinds {
            grouped.clause_starts.push(grouped.actions.len());
            grouped
                .actions
                .extend(update.actions.iter().filter(|a| a.clause() == k).cloned());
        }
        Ok(grouped)
    }

    /// One `SET path = value`.
    fn assignment(&mut self, path: x::Path, value: &Expr) -> Result<x::Action, PqlError> {
        if let Expr::Call(name, args) = value {
            let lower = name.name.to_ascii_lowercase();
            if let Some(which) = lower.strip_prefix("set_") {
                if which == "add" || which == "delete" {
                    return self.set_function(path, which, name.span, args);
                }
            }
        }
        Ok(x::Action::Set(path, self.update_operand(value)?))
    }

    /// `SET s = set_add(s, <<...>>)` / `set_delete`: ADD / DELETE on `s`.
    fn set_function(
        &mut self,
        path: x::Path,
        which: &str,
        span: Span,
        args: &[Expr],
    ) -> Result<x::Action, PqlError> {
        let upper = which.to_ascii_uppercase();
        let [first, second] = args else {
            return Err(PqlError::at(
                format!("SET_{upper} must have exactly two arguments"),
                span,
            ));
        };
        let same = matches!(first, Expr::Var(_) | Expr::Path(..))
            && self.path(first).ok().as_ref() == Some(&path);
        if !same {
            return Err(PqlError::invalid(format!(
                "The first argument to SET_{upper} must equal the assignment value"
            )));
        }
        // The service points this error at the first argument.
        let not_a_set = || {
            PqlError::at(
                format!("The second argument to SET_{upper} must be a value with type SET"),
                first.span(),
            )
        };
        let set = match second {
            Expr::Seq(SeqKind::Bag, ..) | Expr::Param(..) => {
                value_of(second, "root", 0, self.params)?
            }
            _ => return Err(not_a_set()),
        };
        if !set.is_set() {
            return Err(not_a_set());
        }
        let v = self.value(set);
        Ok(if which == "add" {
            x::Action::Add(path, v)
        } else {
            x::Action::Delete(path, v)
        })
    }

    /// A SET right-hand side: a value, a path, `a + b`, `a - b`, or a function call.
    fn update_operand(&mut self, e: &Expr) -> Result<Operand, PqlError> {
        match e {
            Expr::Var(_) | Expr::Path(..) => self.path(e).map(Operand::Path),
            Expr::Lit(Lit::Missing, _) => Err(PqlError::invalid(
                "MISSING must be compared using IS operator",
            )),
            Expr::Lit(..)
            | Expr::Param(..)
            | Expr::Seq(..)
            | Expr::Struct(..)
            | Expr::Ion(..)
            | Expr::Typed(..)
            | Expr::Unary(UnOp::Pos, ..) => {
                let v = value_of(e, "root", 0, self.params)?;
                Ok(self.value(v))
            }
            Expr::Binary(op @ (BinOp::Add | BinOp::Sub), a, b, _) => {
                let arith = if *op == BinOp::Add {
                    x::ArithOp::Add
                } else {
                    x::ArithOp::Sub
                };
                Ok(Operand::Arith(
                    Box::new(self.update_operand(a)?),
                    arith,
                    Box::new(self.update_operand(b)?),
                ))
            }
            Expr::Binary(op, ..) => Err(PqlError::invalid(format!(
                "Unsupported operator in Update Expression. Operator: {}",
                op_name(*op)
            ))),
            Expr::Is { .. } => Err(PqlError::invalid(
                "IS operator is not supported in update expressions",
            )),
            Expr::Call(name, args) => {
                let name = name.name.to_ascii_lowercase();
                if !known_function(&name) {
                    return Err(PqlError::invalid(format!("Unrecognized function: {name}")));
                }
                let args = args
                    .iter()
                    .map(|a| self.update_operand(a))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Operand::Call(x::Call { name, args }))
            }
            Expr::Unary(UnOp::Neg, ..) => Err(PqlError::invalid(
                "Unsupported operator in Update Expression. Operator: -",
            )),
            Expr::Unary(UnOp::Not, ..) => Err(PqlError::invalid(
                "Unsupported operator in Update Expression. Operator: not",
            )),
            _ => Err(PqlError::invalid(format!(
                "Unrecognized assignment target: {e}"
            ))),
        }
    }

    // ---- keys ----

    /// A literal operand's value, if `e` is one (a literal, a parameter, a `+n`).
    fn literal(&self, e: &Expr) -> Option<Result<AttributeValue, PqlError>> {
        match e {
            Expr::Lit(Lit::Missing, _) => None,
            Expr::Lit(..) | Expr::Param(..) | Expr::Unary(UnOp::Pos, ..) => {
                Some(value_of(e, "root", 0, self.params))
            }
            _ => None,
        }
    }

    /// `key = value` (either way round) on key attribute `name`.
    fn equality_on(&self, e: &Expr, name: &str) -> Option<Result<AttributeValue, PqlError>> {
        let Expr::Binary(BinOp::Eq, a, b, _) = e else {
            return None;
        };
        let (var, lit) = match (&**a, &**b) {
            (Expr::Var(v), other) | (other, Expr::Var(v)) if v.name == name => (v, other),
            _ => return None,
        };
        let _ = var;
        self.literal(lit)
    }

    /// A key value of the right type and not empty.
    fn key_value(
        &self,
        name: &str,
        v: AttributeValue,
        schema: &KeySchema,
    ) -> Result<AttributeValue, PqlError> {
        let Some(attr) = schema.attrs().find(|a| a.name == name) else {
            return Ok(v);
        };
        if v.scalar_type() != Some(attr.ty.scalar()) {
            return Err(schema_mismatch(name));
        }
        let empty = match &v {
            AttributeValue::S(s) if s.is_empty() => "string",
            AttributeValue::B(b) if b.is_empty() => "binary",
            _ => return Ok(v),
        };
        Err(PqlError::Other(Error::validation(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {empty} value. Key: {name}"
        ))))
    }

    /// DML: the WHERE clause's equalities on every key attribute (its top-level AND terms),
    /// and the rest of it as a condition.
    fn key_and_condition(&mut self, w: Option<&Expr>) -> Result<(Item, Option<Cond>), PqlError> {
        let Some(w) = w else {
            return Err(PqlError::invalid(NO_FULL_KEY));
        };
        let mut terms = Vec::new();
        flatten_and(w, &mut terms);
        let schema = self.schema;
        // A key used as a document, anywhere in the clause, is refused first.
        let mut nested_key: Option<String> = None;
        visit_paths(w, &mut |root, nested| {
            if nested && nested_key.is_none() && schema.contains(root) {
                nested_key = Some(root.to_string());
            }
        });
        if let Some(k) = nested_key {
            return Err(PqlError::invalid(format!(
                "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key {k}"
            )));
        }
        let mut key = Item::new();
        let mut rest: Vec<&Expr> = Vec::new();
        for t in terms {
            let mut taken = false;
            for attr in schema.attrs() {
                if let Some(v) = self.equality_on(t, &attr.name) {
                    let v = v?;
                    if v.scalar_type().is_none() {
                        return Err(PqlError::invalid(format!(
                            "Key value must be of type S, N, or B. Key name: {}, Key type: {}",
                            attr.name,
                            v.type_name()
                        )));
                    }
                    let v = self.key_value(&attr.name, v, schema)?;
                    match key.get(&attr.name) {
                        Some(old) if *old != v => {
                            return Err(PqlError::invalid(format!(
                                "Multiple conditions on same key {}. Only single item Update/Insert/Delete are supported",
                                attr.name
                            )))
                        }
                        _ => {
                            key.insert(attr.name.clone(), v);
                        }
                    }
                    taken = true;
                }
            }
            if !taken {
                rest.push(t);
            }
        }
        if key.len() != schema.attrs().count() {
            return Err(PqlError::invalid(NO_FULL_KEY));
        }
        if !is_boolean(w) {
            return Err(PqlError::invalid(
                "WHERE clause must contain an expression that resolves to a boolean",
            ));
        }
        let mut cond: Option<Cond> = None;
        for t in rest {
            if !is_boolean(t) {
                return Err(PqlError::invalid(
                    "The arguments to AND/OR must be Expressions",
                ));
            }
            let c = self.cond(t)?;
            cond = Some(match cond {
                Some(prev) => Cond::And(Box::new(prev), Box::new(c)),
                None => c,
            });
        }
        Ok((key, cond))
    }

    /// SELECT in a batch or transaction: the key when the WHERE clause is only equalities on
    /// every key attribute.
    fn single_key(&self, w: &Expr) -> Option<Item> {
        let mut terms = Vec::new();
        flatten_and(w, &mut terms);
        let mut key = Item::new();
        for t in terms {
            let attr = self
                .schema
                .attrs()
                .find(|a| self.equality_on(t, &a.name).is_some())?;
            let v = self.equality_on(t, &attr.name)?.ok()?;
            if key.get(&attr.name).is_some_and(|old| *old != v) {
                return None;
            }
            key.insert(attr.name.clone(), v);
        }
        (key.len() == self.schema.attrs().count()).then_some(key)
    }

    /// The partition key values an item must have to match `e` (`None`: any).
    fn partitions(&self, e: &Expr) -> Result<Option<Vec<AttributeValue>>, PqlError> {
        let hash = &self.schema.hash.name;
        let set = match e {
            Expr::Binary(BinOp::And, a, b, _) => match (self.partitions(a)?, self.partitions(b)?) {
                (Some(x), Some(y)) => Some(x.into_iter().filter(|v| y.contains(v)).collect()),
                (Some(x), None) | (None, Some(x)) => Some(x),
                (None, None) => None,
            },
            Expr::Binary(BinOp::Or, a, b, _) => match (self.partitions(a)?, self.partitions(b)?) {
                (Some(mut x), Some(y)) => {
                    x.extend(y);
                    Some(x)
                }
                _ => None,
            },
            Expr::In {
                expr,
                list,
                not: false,
                ..
            } if matches!(&**expr, Expr::Var(v) if v.name == *hash) => {
                let Expr::Seq(_, items, _) = &**list else {
                    return Ok(None);
                };
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    match self.literal(i) {
                        Some(v) => out.push(self.key_value(hash, v?, self.schema)?),
                        None => return Ok(None),
                    }
                }
                Some(out)
            }
            _ => match self.equality_on(e, hash) {
                Some(v) => Some(vec![self.key_value(hash, v?, self.schema)?]),
                None => None,
            },
        };
        Ok(set.map(|mut v: Vec<AttributeValue>| {
            v.sort_by_key(crate::codec::key::encode_key_value);
            v.dedup();
            v
        }))
    }

    /// Whether the walk alone enforces `e`: every top-level AND term is an equality (or IN) on
    /// the partition key, or a comparison, BETWEEN or begins_with of the sort key with a literal
    /// (those become the walk's partitions and exact bounds).
    fn enforced_by_keys(&self, e: &Expr) -> bool {
        let mut terms = Vec::new();
        flatten_and(e, &mut terms);
        let hash = &self.schema.hash.name;
        let range = self.schema.range.as_ref().map(|r| r.name.as_str());
        let is = |e: &Expr, name: Option<&str>| matches!(e, Expr::Var(v) if Some(v.name.as_str()) == name);
        let literal = |e: &Expr| self.literal(e).is_some_and(|v| v.is_ok());
        terms.iter().all(|t| match t {
            Expr::Binary(BinOp::Eq, a, b, _) if is(a, Some(hash)) || is(b, Some(hash)) => {
                self.equality_on(t, hash).is_some_and(|v| v.is_ok())
            }
            Expr::In {
                expr,
                list,
                not: false,
                ..
            } if is(expr, Some(hash)) => match &**list {
                Expr::Seq(_, items, _) => items.iter().all(literal),
                _ => false,
            },
            Expr::Binary(BinOp::Eq | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, a, b, _) => {
                (is(a, range) && literal(b)) || (is(b, range) && literal(a))
            }
            Expr::Between {
                expr,
                low,
                high,
                not: false,
                ..
            } => is(expr, range) && literal(low) && literal(high),
            Expr::Call(name, args) => {
                name.name.eq_ignore_ascii_case("begins_with")
                    && args.len() == 2
                    && is(&args[0], range)
                    && literal(&args[1])
            }
            _ => false,
        })
    }

    /// What `e` tells about sort key `sk` (of items in the partitions `partitions` found).
    fn sort_range(&self, e: &Expr, sk: &str) -> Result<SortRange, PqlError> {
        let is_sk = |e: &Expr| matches!(e, Expr::Var(v) if v.name == sk);
        let value = |e: &Expr| -> Result<Option<AttributeValue>, PqlError> {
            match self.literal(e) {
                Some(v) => Ok(Some(self.key_value(sk, v?, self.schema)?)),
                None => Ok(None),
            }
        };
        Ok(match e {
            Expr::Binary(BinOp::And, a, b, _) => {
                SortRange::And(vec![self.sort_range(a, sk)?, self.sort_range(b, sk)?])
            }
            Expr::Binary(BinOp::Or, a, b, _) => {
                SortRange::Or(vec![self.sort_range(a, sk)?, self.sort_range(b, sk)?])
            }
            Expr::Binary(op, a, b, _) => {
                let cmp = match op {
                    BinOp::Eq => CmpOp::Eq,
                    BinOp::Lt => CmpOp::Lt,
                    BinOp::Le => CmpOp::Le,
                    BinOp::Gt => CmpOp::Gt,
                    BinOp::Ge => CmpOp::Ge,
                    _ => return Ok(SortRange::Any),
                };
                if is_sk(a) {
                    match value(b)? {
                        Some(v) => SortRange::Term(SortTerm::Cmp(cmp, v)),
                        None => SortRange::Any,
                    }
                } else if is_sk(b) {
                    match value(a)? {
                        Some(v) => SortRange::Term(SortTerm::Cmp(flip(cmp), v)),
                        None => SortRange::Any,
                    }
                } else {
                    SortRange::Any
                }
            }
            Expr::Between {
                expr,
                low,
                high,
                not: false,
                ..
            } if is_sk(expr) => match (value(low)?, value(high)?) {
                (Some(l), Some(h)) => SortRange::Term(SortTerm::Between(l, h)),
                _ => SortRange::Any,
            },
            Expr::In {
                expr,
                list,
                not: false,
                ..
            } if is_sk(expr) => {
                let Expr::Seq(_, items, _) = &**list else {
                    return Ok(SortRange::Any);
                };
                let mut out = Vec::new();
                for i in items {
                    match value(i)? {
                        Some(v) => out.push(v),
                        None => return Ok(SortRange::Any),
                    }
                }
                SortRange::Term(SortTerm::In(out))
            }
            Expr::Call(name, args)
                if name.name.eq_ignore_ascii_case("begins_with")
                    && args.len() == 2
                    && is_sk(&args[0]) =>
            {
                match value(&args[1])? {
                    Some(v) => SortRange::Term(SortTerm::BeginsWith(v)),
                    None => SortRange::Any,
                }
            }
            _ => SortRange::Any,
        })
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

fn negate(c: Cond, not: bool) -> Cond {
    if not {
        Cond::Not(Box::new(c))
    } else {
        c
    }
}

/// Calls `f` with the root name of every path in `e` and whether the path goes below it.
fn visit_paths(e: &Expr, f: &mut dyn FnMut(&str, bool)) {
    match e {
        Expr::Var(id) => f(&id.name, false),
        Expr::Path(root, steps) => {
            if let Expr::Var(id) = &**root {
                f(&id.name, true);
            }
            for s in steps {
                if let Step::Index(i) = s {
                    visit_paths(i, f);
                }
            }
        }
        Expr::Call(_, args) | Expr::Seq(_, args, _) => args.iter().for_each(|a| visit_paths(a, f)),
        Expr::Unary(_, a, _) => visit_paths(a, f),
        Expr::Binary(_, a, b, _) => {
            visit_paths(a, f);
            visit_paths(b, f);
        }
        Expr::In { expr, list, .. } => {
            visit_paths(expr, f);
            visit_paths(list, f);
        }
        Expr::Between {
            expr, low, high, ..
        } => {
            visit_paths(expr, f);
            visit_paths(low, f);
            visit_paths(high, f);
        }
        Expr::Like { expr, pattern, .. } => {
            visit_paths(expr, f);
            visit_paths(pattern, f);
        }
        Expr::Is { expr, .. } => visit_paths(expr, f),
        Expr::Struct(fields, _) => fields.iter().for_each(|(_, v)| visit_paths(v, f)),
        _ => {}
    }
}

fn flatten_and<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Binary(BinOp::And, a, b, _) => {
            flatten_and(a, out);
            flatten_and(b, out);
        }
        other => out.push(other),
    }
}

fn is_size_call(e: &Expr) -> bool {
    matches!(e, Expr::Call(name, _) if name.name.eq_ignore_ascii_case("size"))
}

/// Whether `e` can stand as a condition (an operator or a function giving a boolean).
fn is_boolean(e: &Expr) -> bool {
    match e {
        Expr::Binary(op, ..) => matches!(
            op,
            BinOp::And
                | BinOp::Or
                | BinOp::Eq
                | BinOp::Ne
                | BinOp::Lt
                | BinOp::Le
                | BinOp::Gt
                | BinOp::Ge
        ),
        Expr::Unary(UnOp::Not, ..)
        | Expr::In { .. }
        | Expr::Between { .. }
        | Expr::Like { .. }
        | Expr::Is { .. } => true,
        Expr::Call(name, _) => !name.name.eq_ignore_ascii_case("size"),
        _ => false,
    }
}

fn known_function(name: &str) -> bool {
    matches!(
        name,
        "attribute_exists"
            | "attribute_not_exists"
            | "attribute_type"
            | "begins_with"
            | "contains"
            | "size"
            | "list_append"
            | "if_not_exists"
    )
}

fn op_name(op: BinOp) -> &'static str {
    match op {
        BinOp::And => "and",
        BinOp::Or => "or",
        other => other.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{KeyAttr, KeyType, Number};

    fn schema() -> KeySchema {
        KeySchema::new(
            KeyAttr {
                name: "pk".into(),
                ty: KeyType::S,
            },
            Some(KeyAttr {
                name: "sk".into(),
                ty: KeyType::N,
            }),
        )
    }

    fn where_of(text: &str) -> Expr {
        let Ok(Statement::Query(Expr::Select(s))) = parse_statement(text) else {
            panic!("not a select: {text}")
        };
        s.where_.expect("a WHERE clause")
    }

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    fn n(v: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(v).unwrap())
    }

    fn partitions(text: &str) -> Option<Vec<AttributeValue>> {
        let keys = schema();
        Lower::new(&[], &keys).partitions(&where_of(text)).unwrap()
    }

    // The planner's central promise: a WHERE clause that pins the partition key reads those
    // partitions (sorted, once each); anything that lets other partitions match is a scan.
    #[test]
    fn partitions_come_from_equalities_and_in_lists() {
        let p = |t: &str| partitions(&format!("SELECT * FROM t WHERE {t}"));
        assert_eq!(p("pk = 'a'"), Some(vec![s("a")]));
        assert_eq!(p("'a' = pk AND x = 1"), Some(vec![s("a")]));
        assert_eq!(p("pk IN ('c', 'a', 'c')"), Some(vec![s("a"), s("c")]));
        assert_eq!(p("pk = 'b' OR pk = 'a'"), Some(vec![s("a"), s("b")]));
        assert_eq!(
            p("(pk = 'b' OR pk IN ['a']) AND sk > 1"),
            Some(vec![s("a"), s("b")])
        );
        assert_eq!(p("pk IN ('a', 'b') AND pk = 'b'"), Some(vec![s("b")]));
        assert_eq!(p("pk = 'a' AND pk = 'b'"), Some(vec![]));
        for scan in [
            "pk = 'a' OR x = 1",
            "NOT pk = 'a'",
            "pk <> 'a'",
            "pk > 'a'",
            "pk NOT IN ('a')",
            "begins_with(pk, 'a')",
            "x = 'a'",
        ] {
            assert_eq!(p(scan), None, "{scan}");
        }
    }

    // Key values of the wrong type or empty are refused as the service refuses them.
    #[test]
    fn partition_values_are_checked_against_the_schema() {
        let keys = schema();
        let lower = Lower::new(&[], &keys);
        let err = |t: &str| {
            lower
                .partitions(&where_of(&format!("SELECT * FROM t WHERE {t}")))
                .unwrap_err()
                .into_error("")
                .message
                .unwrap()
        };
        assert!(err("pk = 1").starts_with("Key attribute's data type should match"));
        assert!(err("pk = ''").contains("cannot contain an empty string value. Key: pk"));
    }

    fn sort(text: &str) -> SortRange {
        let keys = schema();
        Lower::new(&[], &keys)
            .sort_range(&where_of(&format!("SELECT * FROM t WHERE {text}")), "sk")
            .unwrap()
    }

    // Sort key conditions become the walk's bounds; a literal before the key flips the
    // comparison (the service's meaning, not DynamoDB Local's reading of it).
    #[test]
    fn sort_key_conditions_become_ranges() {
        use SortRange::*;
        assert_eq!(sort("sk = 1"), Term(SortTerm::Cmp(CmpOp::Eq, n("1"))));
        assert_eq!(sort("2 > sk"), Term(SortTerm::Cmp(CmpOp::Lt, n("2"))));
        assert_eq!(
            sort("sk BETWEEN 1 AND 3"),
            Term(SortTerm::Between(n("1"), n("3")))
        );
        assert_eq!(
            sort("sk IN (3, 1)"),
            Term(SortTerm::In(vec![n("3"), n("1")]))
        );
        assert_eq!(
            sort("sk > 1 AND x = 2"),
            And(vec![Term(SortTerm::Cmp(CmpOp::Gt, n("1"))), Any])
        );
        assert_eq!(
            sort("sk = 1 OR sk = 5"),
            Or(vec![
                Term(SortTerm::Cmp(CmpOp::Eq, n("1"))),
                Term(SortTerm::Cmp(CmpOp::Eq, n("5")))
            ])
        );
        assert_eq!(sort("NOT sk = 1"), Any);
        assert_eq!(sort("sk <> 1"), Any);
    }

    fn dml(text: &str) -> Result<(Item, Option<Cond>), String> {
        let Ok(Statement::Delete(d)) = parse_statement(text) else {
            panic!("not a delete: {text}")
        };
        let keys = schema();
        Lower::new(&[], &keys)
            .key_and_condition(d.where_.as_ref())
            .map_err(|e| e.into_error(text).message.unwrap())
    }

    // UPDATE and DELETE name one item: equalities on every key attribute among the top-level
    // AND terms; the other terms are the write's condition.
    #[test]
    fn writes_take_their_key_from_top_level_equalities() {
        let (key, cond) = dml("DELETE FROM t WHERE sk = 1 AND x = 2 AND pk = 'a'").unwrap();
        assert_eq!(key.get("pk"), Some(&s("a")));
        assert_eq!(key.get("sk"), Some(&n("1")));
        assert_eq!(cond.unwrap().to_string(), "#n0 = :v0");
        let (_, cond) = dml("DELETE FROM t WHERE pk = 'a' AND sk = 1 AND sk = 1").unwrap();
        assert!(cond.is_none());
        for (text, want) in [
            ("DELETE FROM t WHERE pk = 'a'", NO_FULL_KEY),
            ("DELETE FROM t WHERE pk = 'a' AND sk = 1 OR x = 1", NO_FULL_KEY),
            ("DELETE FROM t WHERE pk = 'a' AND sk > 1", NO_FULL_KEY),
            (
                "DELETE FROM t WHERE pk = 'a' AND sk = 1 AND sk = 2",
                "Multiple conditions on same key sk. Only single item Update/Insert/Delete are supported",
            ),
            (
                "DELETE FROM t WHERE pk = 'a' AND sk = 1 AND pk.x = 1",
                "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key pk",
            ),
            (
                "DELETE FROM t WHERE pk = 'a' AND sk = '1'",
                "Key attribute's data type should match its data type in table's schema: Key sk",
            ),
        ] {
            assert_eq!(dml(text).unwrap_err(), want, "{text}");
        }
    }

    // The SELECT list: each path, and the name its value comes back under.
    #[test]
    fn projections_name_values_by_their_last_step() {
        let Ok(Statement::Query(Expr::Select(sel))) =
            parse_statement("SELECT a, m.b, m.l[2], x[0][1], \"q r\" FROM t")
        else {
            panic!()
        };
        let names: Vec<String> = projection(&sel.projection)
            .unwrap()
            .unwrap()
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        assert_eq!(names, ["a", "b", "l[2]", "x[0][1]", "q r"]);
    }

    // What needs no table is refused before the table is looked up, in the service's order.
    #[test]
    fn translation_errors_come_before_the_table() {
        let err = |t: &str| match prepare(t, &[], Mode::Single) {
            Err(e) => e.into_error(t).message.unwrap(),
            Ok(_) => "ok".into(),
        };
        assert_eq!(
            err("SELECT * FROM nosuch WHERE x = ?"),
            "Number of parameters in request and statement don't match."
        );
        assert_eq!(
            err("SELECT 1 FROM nosuch"),
            "Unexpected path component at 1:8:1"
        );
        assert_eq!(
            err("SELECT * FROM nosuch WHERE x = 1 + 1"),
            "Unsupported operator in Condition Expression. Operator: +"
        );
        assert_eq!(
            err("EXISTS(SELECT * FROM nosuch WHERE pk = 'a' AND x = 1)"),
            "EXISTS can only be used in ExecuteTransaction write requests."
        );
        assert_eq!(err("SELECT * FROM nosuch WHERE pk.x = 1 ORDER BY z"), "ok");
    }
}
