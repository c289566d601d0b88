//! The PartiQL AST, as the parser builds it: the whole expression language (paths, calls,
//! operators, collection literals, sub-queries) and the statements DynamoDB answers (SELECT,
//! INSERT, UPDATE, DELETE, EXISTS) or refuses by name (CREATE, DROP, EXEC). It keeps `?`
//! parameters by position and literals as written; `Display` prints text that parses back to an
//! equal AST. Every node keeps the span of its head token (a literal, a name, an operator, an
//! opening bracket), which is where the service points its errors. Depends on nothing but std.
use std::fmt;

/// A byte range of the statement. Spans never take part in equality: two ASTs are equal when
/// they mean the same statement, wherever its tokens sit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl PartialEq for Span {
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The service's `line:column:length` for this span of `text` (1-based, columns in
    /// characters).
    pub fn location(&self, text: &str) -> String {
        let start = (self.start as usize).min(text.len());
        let end = (self.end as usize).clamp(start, text.len());
        let before = text.get(..start).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        let length = text.get(start..end).map_or(0, |s| s.chars().count());
        format!("{line}:{column}:{length}")
    }
}

/// A name: bare (case kept as written) or double-quoted.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub quoted: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Str(String),
    /// As written, a leading `-` folded in (`-5`).
    Num(String),
    Bool(bool),
    Null,
    Missing,
}

/// The brackets of a collection literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqKind {
    /// `[a, b]`
    List,
    /// `<<a, b>>`
    Bag,
    /// `(a, b)`: a list written in parentheses (IN's right-hand side).
    Paren,
}

/// One step of a path after its root.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// `.name` or `."name"`
    Field(Ident),
    /// `[expr]`
    Index(Box<Expr>),
    /// `[*]`
    AllElements(Span),
    /// `.*`
    AllFields(Span),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Neg,
    Pos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Concat,
}

impl BinOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Or => "OR",
            BinOp::And => "AND",
            BinOp::Eq => "=",
            BinOp::Ne => "<>",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Concat => "||",
        }
    }

    /// PartiQL's precedence groups: OR 10, AND 20, (NOT 30), equality 40, comparison 50,
    /// addition 60, multiplication 70.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 10,
            BinOp::And => 20,
            BinOp::Eq | BinOp::Ne => 40,
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 50,
            BinOp::Add | BinOp::Sub | BinOp::Concat => 60,
            BinOp::Mul | BinOp::Div | BinOp::Mod => 70,
        }
    }
}

/// The type names `IS` accepts, canonical (aliases such as `INT` folded to `INTEGER`).
pub const IS_TYPES: [&str; 24] = [
    "MISSING",
    "NULL",
    "BOOLEAN",
    "SMALLINT",
    "INTEGER",
    "FLOAT",
    "REAL",
    "DOUBLE_PRECISION",
    "DECIMAL",
    "NUMERIC",
    "TIMESTAMP",
    "DATE",
    "TIME",
    "CHARACTER",
    "CHARACTER_VARYING",
    "STRING",
    "SYMBOL",
    "CLOB",
    "BLOB",
    "STRUCT",
    "TUPLE",
    "LIST",
    "SEXP",
    "BAG",
];

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(Lit, Span),
    /// `` `ion` `` (the text between the backticks).
    Ion(String, Span),
    /// `DATE 'yyyy-mm-dd'` / `TIME 'hh:mm:ss'`: (keyword, text).
    Typed(&'static str, String, Span),
    /// `?`, numbered from 0 in order of appearance.
    Param(usize, Span),
    Var(Ident),
    /// `*` as a function argument (`COUNT(*)`).
    Star(Span),
    /// A root and at least one step.
    Path(Box<Expr>, Vec<Step>),
    /// A function call; the name as written (lower case for keyword-named functions).
    Call(Ident, Vec<Expr>),
    Unary(UnOp, Box<Expr>, Span),
    Binary(BinOp, Box<Expr>, Box<Expr>, Span),
    In {
        expr: Box<Expr>,
        list: Box<Expr>,
        not: bool,
        span: Span,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        not: bool,
        span: Span,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        escape: Option<Box<Expr>>,
        not: bool,
        span: Span,
    },
    Is {
        expr: Box<Expr>,
        ty: &'static str,
        not: bool,
        span: Span,
    },
    Seq(SeqKind, Vec<Expr>, Span),
    Struct(Vec<(Expr, Expr)>, Span),
    Select(Box<Select>),
}

impl Expr {
    /// The span of the node's head token.
    pub fn span(&self) -> Span {
        match self {
            Expr::Lit(_, s)
            | Expr::Ion(_, s)
            | Expr::Typed(_, _, s)
            | Expr::Param(_, s)
            | Expr::Star(s)
            | Expr::Unary(_, _, s)
            | Expr::Binary(_, _, _, s)
            | Expr::Seq(_, _, s)
            | Expr::Struct(_, s) => *s,
            Expr::Var(id) | Expr::Call(id, _) => id.span,
            Expr::Path(root, _) => root.span(),
            Expr::In { span, .. }
            | Expr::Between { span, .. }
            | Expr::Like { span, .. }
            | Expr::Is { span, .. } => *span,
            Expr::Select(s) => s.span,
        }
    }

    /// Binding strength when printed: the operator's precedence, 100 for atoms.
    fn level(&self) -> u8 {
        match self {
            Expr::Binary(op, ..) => op.precedence(),
            Expr::Unary(UnOp::Not, ..) => 30,
            Expr::In { .. } | Expr::Is { .. } => 40,
            Expr::Between { .. } | Expr::Like { .. } => 50,
            Expr::Unary(..) => 80,
            // `-1` reads as a negation when a path follows it.
            Expr::Lit(Lit::Num(n), _) if n.starts_with('-') => 80,
            Expr::Select(_) => 0,
            _ => 100,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Projection {
    Star,
    Items(Vec<SelectItem>),
    /// `SELECT VALUE e`
    Value(Expr),
    /// `PIVOT v AT k`
    Pivot(Expr, Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SelectItem {
    pub expr: Expr,
    pub alias: Option<Ident>,
}

/// One source of the FROM clause (several are a comma join).
#[derive(Debug, Clone, PartialEq)]
pub struct FromItem {
    pub expr: Expr,
    pub alias: Option<Ident>,
    pub at: Option<Ident>,
    pub by: Option<Ident>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    pub expr: Expr,
    /// `Some(true)` for DESC, `Some(false)` for an explicit ASC.
    pub desc: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub distinct: bool,
    pub projection: Projection,
    pub from: Vec<FromItem>,
    pub where_: Option<Expr>,
    pub group_by: Option<Vec<Expr>>,
    pub having: Option<Expr>,
    pub order_by: Option<Vec<OrderItem>>,
    pub limit: Option<Expr>,
    /// The SELECT keyword.
    pub span: Span,
}

/// A RETURNING element: `(MODIFIED | ALL) (NEW | OLD) (* | expr)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Returning {
    pub modified: bool,
    pub new: bool,
    /// None for `*`.
    pub column: Option<Expr>,
}

/// `INSERT INTO target VALUE value [AT pos] [ON CONFLICT WHERE cond DO NOTHING]`, or the bag
/// form `INSERT INTO target expr` (`value` then holds the expression and `bag` is set).
#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    pub target: Expr,
    pub value: Expr,
    pub bag: bool,
    pub at: Option<Expr>,
    pub on_conflict: Option<Expr>,
    pub returning: Vec<Returning>,
}

/// One DML operation of an UPDATE, in the order written.
#[derive(Debug, Clone, PartialEq)]
pub enum DmlOp {
    /// `SET a = e, b = f`: one SET clause and its assignments.
    Set(Vec<(Expr, Expr)>),
    /// `REMOVE path`
    Remove(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub target: Expr,
    pub alias: Option<Ident>,
    pub ops: Vec<DmlOp>,
    pub where_: Option<Expr>,
    pub returning: Vec<Returning>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    pub target: Expr,
    pub alias: Option<Ident>,
    pub where_: Option<Expr>,
    pub returning: Vec<Returning>,
}

/// Data definition, which DynamoDB refuses by name.
#[derive(Debug, Clone, PartialEq)]
pub enum Ddl {
    CreateTable(Ident),
    CreateIndex(Ident, Vec<Expr>),
    DropTable(Ident),
    DropIndex(Ident, Ident),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// A query: `SELECT ...`, `EXISTS(SELECT ...)`, or any other expression.
    Query(Expr),
    Insert(Insert),
    Update(Update),
    Delete(Delete),
    Ddl(Ddl),
    /// `EXEC name args`
    Exec(Ident, Vec<Expr>),
}

// ---- printing ----

/// Writes `s` between `q` quotes, doubling the quotes inside.
fn quoted(f: &mut fmt::Formatter<'_>, s: &str, q: char) -> fmt::Result {
    write!(f, "{q}")?;
    for c in s.chars() {
        if c == q {
            write!(f, "{q}")?;
        }
        write!(f, "{c}")?;
    }
    write!(f, "{q}")
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.quoted {
            quoted(f, &self.name, '"')
        } else {
            f.write_str(&self.name)
        }
    }
}

impl fmt::Display for Lit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lit::Str(s) => quoted(f, s, '\''),
            Lit::Num(n) => f.write_str(n),
            Lit::Bool(true) => f.write_str("TRUE"),
            Lit::Bool(false) => f.write_str("FALSE"),
            Lit::Null => f.write_str("NULL"),
            Lit::Missing => f.write_str("MISSING"),
        }
    }
}

/// Prints `e`, parenthesised when it binds more loosely than `min`.
fn child(f: &mut fmt::Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if e.level() < min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

fn list(f: &mut fmt::Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{e}")?;
    }
    Ok(())
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Lit(l, _) => write!(f, "{l}"),
            Expr::Ion(t, _) => write!(f, "`{t}`"),
            Expr::Typed(k, t, _) => {
                write!(f, "{} ", k.to_ascii_uppercase())?;
                quoted(f, t, '\'')
            }
            Expr::Param(..) => f.write_str("?"),
            Expr::Var(id) => write!(f, "{id}"),
            Expr::Star(_) => f.write_str("*"),
            Expr::Path(root, steps) => {
                child(f, root, 100)?;
                for s in steps {
                    match s {
                        Step::Field(id) => write!(f, ".{id}")?,
                        Step::Index(e) => write!(f, "[{e}]")?,
                        Step::AllElements(_) => f.write_str("[*]")?,
                        Step::AllFields(_) => f.write_str(".*")?,
                    }
                }
                Ok(())
            }
            Expr::Call(name, args) => {
                write!(f, "{name}(")?;
                list(f, args)?;
                f.write_str(")")
            }
            Expr::Unary(UnOp::Not, e, _) => {
                f.write_str("NOT ")?;
                child(f, e, 30)
            }
            // The space keeps `- -1` from reading as a comment.
            Expr::Unary(op, e, _) => {
                f.write_str(if *op == UnOp::Neg { "- " } else { "+ " })?;
                child(f, e, 80)
            }
            // Left-associative: the right operand needs parentheses at the same level.
            Expr::Binary(op, a, b, _) => {
                let p = op.precedence();
                child(f, a, p)?;
                write!(f, " {} ", op.as_str())?;
                child(f, b, p + 1)
            }
            Expr::In {
                expr, list, not, ..
            } => {
                child(f, expr, 41)?;
                f.write_str(if *not { " NOT IN " } else { " IN " })?;
                child(f, list, 41)
            }
            Expr::Between {
                expr,
                low,
                high,
                not,
                ..
            } => {
                child(f, expr, 51)?;
                f.write_str(if *not { " NOT BETWEEN " } else { " BETWEEN " })?;
                child(f, low, 51)?;
                f.write_str(" AND ")?;
                child(f, high, 51)
            }
            Expr::Like {
                expr,
                pattern,
                escape,
                not,
                ..
            } => {
                child(f, expr, 51)?;
                f.write_str(if *not { " NOT LIKE " } else { " LIKE " })?;
                child(f, pattern, 51)?;
                if let Some(e) = escape {
                    f.write_str(" ESCAPE ")?;
                    child(f, e, 51)?;
                }
                Ok(())
            }
            Expr::Is { expr, ty, not, .. } => {
                child(f, expr, 41)?;
                // `DOUBLE_PRECISION` is written `DOUBLE PRECISION`.
                let ty = ty.replace('_', " ");
                write!(f, " IS {}{ty}", if *not { "NOT " } else { "" })
            }
            Expr::Seq(kind, items, _) => {
                let (open, close) = match kind {
                    SeqKind::List => ("[", "]"),
                    SeqKind::Bag => ("<<", ">>"),
                    SeqKind::Paren => ("(", ")"),
                };
                // A one-element `(a)` exists only after IN, which reads it back as a list.
                f.write_str(open)?;
                list(f, items)?;
                f.write_str(close)
            }
            Expr::Struct(fields, _) => {
                f.write_str("{")?;
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
            Expr::Select(s) => write!(f, "{s}"),
        }
    }
}

impl fmt::Display for Select {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Projection::Pivot(v, k) = &self.projection {
            return write!(f, "PIVOT {v} AT {k}{}", Tail(self));
        }
        f.write_str("SELECT ")?;
        if self.distinct {
            f.write_str("DISTINCT ")?;
        }
        match &self.projection {
            Projection::Star => f.write_str("*")?,
            Projection::Items(items) => {
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    child(f, &it.expr, 1)?;
                    if let Some(a) = &it.alias {
                        write!(f, " AS {a}")?;
                    }
                }
            }
            Projection::Value(e) => {
                f.write_str("VALUE ")?;
                child(f, e, 1)?;
            }
            Projection::Pivot(..) => {}
        }
        write!(f, "{}", Tail(self))
    }
}

/// Everything of a SELECT after its projection.
struct Tail<'a>(&'a Select);

impl fmt::Display for Tail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        f.write_str(" FROM ")?;
        for (i, it) in s.from.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            child(f, &it.expr, 100)?;
            if let Some(a) = &it.alias {
                write!(f, " AS {a}")?;
            }
            if let Some(a) = &it.at {
                write!(f, " AT {a}")?;
            }
            if let Some(a) = &it.by {
                write!(f, " BY {a}")?;
            }
        }
        if let Some(w) = &s.where_ {
            write!(f, " WHERE {w}")?;
        }
        if let Some(g) = &s.group_by {
            f.write_str(" GROUP BY ")?;
            list(f, g)?;
        }
        if let Some(h) = &s.having {
            write!(f, " HAVING {h}")?;
        }
        if let Some(o) = &s.order_by {
            f.write_str(" ORDER BY ")?;
            for (i, it) in o.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{}", it.expr)?;
                match it.desc {
                    Some(true) => f.write_str(" DESC")?,
                    Some(false) => f.write_str(" ASC")?,
                    None => {}
                }
            }
        }
        if let Some(l) = &s.limit {
            write!(f, " LIMIT {l}")?;
        }
        Ok(())
    }
}

fn returning(f: &mut fmt::Formatter<'_>, r: &[Returning]) -> fmt::Result {
    if r.is_empty() {
        return Ok(());
    }
    f.write_str(" RETURNING ")?;
    for (i, it) in r.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        f.write_str(if it.modified { "MODIFIED " } else { "ALL " })?;
        f.write_str(if it.new { "NEW " } else { "OLD " })?;
        match &it.column {
            None => f.write_str("*")?,
            Some(e) => write!(f, "{e}")?,
        }
    }
    Ok(())
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statement::Query(e) => write!(f, "{e}"),
            Statement::Insert(i) => {
                write!(f, "INSERT INTO {}", i.target)?;
                if i.bag {
                    write!(f, " {}", i.value)?;
                } else {
                    write!(f, " VALUE {}", i.value)?;
                }
                if let Some(at) = &i.at {
                    write!(f, " AT {at}")?;
                }
                if let Some(c) = &i.on_conflict {
                    write!(f, " ON CONFLICT WHERE {c} DO NOTHING")?;
                }
                returning(f, &i.returning)
            }
            Statement::Update(u) => {
                write!(f, "UPDATE {}", u.target)?;
                if let Some(a) = &u.alias {
                    write!(f, " AS {a}")?;
                }
                for op in &u.ops {
                    match op {
                        DmlOp::Set(assignments) => {
                            f.write_str(" SET ")?;
                            for (i, (p, v)) in assignments.iter().enumerate() {
                                if i > 0 {
                                    f.write_str(", ")?;
                                }
                                write!(f, "{p} = {v}")?;
                            }
                        }
                        DmlOp::Remove(p) => write!(f, " REMOVE {p}")?,
                    }
                }
                if let Some(w) = &u.where_ {
                    write!(f, " WHERE {w}")?;
                }
                returning(f, &u.returning)
            }
            Statement::Delete(d) => {
                write!(f, "DELETE FROM {}", d.target)?;
                if let Some(a) = &d.alias {
                    write!(f, " AS {a}")?;
                }
                if let Some(w) = &d.where_ {
                    write!(f, " WHERE {w}")?;
                }
                returning(f, &d.returning)
            }
            Statement::Ddl(Ddl::CreateTable(t)) => write!(f, "CREATE TABLE {t}"),
            Statement::Ddl(Ddl::CreateIndex(t, keys)) => {
                write!(f, "CREATE INDEX ON {t} (")?;
                list(f, keys)?;
                f.write_str(")")
            }
            Statement::Ddl(Ddl::DropTable(t)) => write!(f, "DROP TABLE {t}"),
            Statement::Ddl(Ddl::DropIndex(i, t)) => write!(f, "DROP INDEX {i} ON {t}"),
            Statement::Exec(name, args) => {
                write!(f, "EXEC {name}")?;
                if !args.is_empty() {
                    f.write_str(" ")?;
                    list(f, args)?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Error messages point at tokens as `line:column:length`, columns counted in characters.
    #[test]
    fn locations_count_lines_and_characters() {
        let text = "SELECT\n  é, x";
        let x = text.find('x').unwrap();
        assert_eq!(Span::new(x, x + 1).location(text), "2:6:1");
        assert_eq!(Span::new(0, 6).location(text), "1:1:6");
    }
}
