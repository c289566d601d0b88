//! The expression AST, shared by conditions, filters, key conditions and updates. It keeps
//! placeholders as written (`#n`, `:v`): resolution happens against the request's maps when the
//! expression is validated and evaluated, so printing an AST gives text that parses back to it.
//! Depends on nothing but std.
use std::fmt;

/// An attribute name in a document path: as written, or a `#placeholder` (with its `#`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Name {
    Plain(String),
    Placeholder(String),
}

/// One step of a document path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Elem {
    Attr(Name),
    Index(u32),
}

/// A document path; the first element is always an `Attr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path(pub Vec<Elem>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
}

/// A function call as written; which names and arities are legal depends on where it appears,
/// so that is checked by validation, not by the parser (the service words those errors itself).
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub name: String,
    pub args: Vec<Operand>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Path(Path),
    /// A `:placeholder` (with its `:`).
    Value(String),
    Call(Call),
    /// `a + b`, `a - b`: update expressions only.
    Arith(Box<Operand>, ArithOp, Box<Operand>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Cmp(Operand, CmpOp, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    Call(Call),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
}

/// One action of an update expression, in the order written.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Set(Path, Operand),
    Remove(Path),
    Add(Path, Operand),
    Delete(Path, Operand),
}

/// An update expression: its actions in the order written, and where each clause starts (a
/// clause written twice is kept, for validation to reject as the service does).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Update {
    pub actions: Vec<Action>,
    pub clause_starts: Vec<usize>,
}

impl Action {
    pub fn path(&self) -> &Path {
        match self {
            Action::Set(p, _) | Action::Remove(p) | Action::Add(p, _) | Action::Delete(p, _) => p,
        }
    }
    pub fn clause(&self) -> &'static str {
        match self {
            Action::Set(..) => "SET",
            Action::Remove(_) => "REMOVE",
            Action::Add(..) => "ADD",
            Action::Delete(..) => "DELETE",
        }
    }
}

impl Cond {
    /// Calls `f` with every document path the condition reads, in the order written.
    pub fn for_each_path(&self, f: &mut dyn FnMut(&Path)) {
        match self {
            Cond::Cmp(a, _, b) => {
                a.for_each_path(f);
                b.for_each_path(f);
            }
            Cond::Between(a, lo, hi) => [a, lo, hi].iter().for_each(|o| o.for_each_path(f)),
            Cond::In(a, list) => {
                a.for_each_path(f);
                list.iter().for_each(|o| o.for_each_path(f));
            }
            Cond::Call(call) => call.args.iter().for_each(|o| o.for_each_path(f)),
            Cond::Not(x) => x.for_each_path(f),
            Cond::And(a, b) | Cond::Or(a, b) => {
                a.for_each_path(f);
                b.for_each_path(f);
            }
        }
    }
}

impl Operand {
    /// Calls `f` with every document path in the operand.
    pub fn for_each_path(&self, f: &mut dyn FnMut(&Path)) {
        match self {
            Operand::Path(p) => f(p),
            Operand::Value(_) => {}
            Operand::Call(call) => call.args.iter().for_each(|o| o.for_each_path(f)),
            Operand::Arith(a, _, b) => {
                a.for_each_path(f);
                b.for_each_path(f);
            }
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Name::Plain(s) | Name::Placeholder(s) => f.write_str(s),
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            match e {
                Elem::Attr(n) if i == 0 => write!(f, "{n}")?,
                Elem::Attr(n) => write!(f, ".{n}")?,
                Elem::Index(x) => write!(f, "[{x}]")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.name)?;
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{a}")?;
        }
        f.write_str(")")
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Path(p) => write!(f, "{p}"),
            Operand::Value(v) => f.write_str(v),
            Operand::Call(c) => write!(f, "{c}"),
            Operand::Arith(a, op, b) => {
                let op = match op {
                    ArithOp::Add => "+",
                    ArithOp::Sub => "-",
                };
                write!(f, "{a} {op} {b}")
            }
        }
    }
}

impl Cond {
    /// Binding strength when printing: OR < AND < NOT < everything else.
    fn level(&self) -> u8 {
        match self {
            Cond::Or(..) => 0,
            Cond::And(..) => 1,
            Cond::Not(_) => 2,
            _ => 3,
        }
    }
}

/// Prints `c`, parenthesised when it binds more loosely than its position needs.
fn child(f: &mut fmt::Formatter<'_>, c: &Cond, min: u8) -> fmt::Result {
    if c.level() < min {
        write!(f, "({c})")
    } else {
        write!(f, "{c}")
    }
}

impl fmt::Display for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cond::Cmp(a, op, b) => write!(f, "{a} {} {b}", op.as_str()),
            Cond::Between(a, lo, hi) => write!(f, "{a} BETWEEN {lo} AND {hi}"),
            Cond::In(a, list) => {
                write!(f, "{a} IN (")?;
                for (i, x) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str(")")
            }
            Cond::Call(c) => write!(f, "{c}"),
            Cond::Not(c) => {
                f.write_str("NOT ")?;
                child(f, c, 2)
            }
            // Left-associative: the right child needs parentheses at the same level.
            Cond::And(a, b) => {
                child(f, a, 1)?;
                f.write_str(" AND ")?;
                child(f, b, 2)
            }
            Cond::Or(a, b) => {
                child(f, a, 0)?;
                f.write_str(" OR ")?;
                child(f, b, 1)
            }
        }
    }
}

impl fmt::Display for Update {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.actions.iter().enumerate() {
            if self.clause_starts.contains(&i) {
                if i > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{} ", a.clause())?;
            } else {
                f.write_str(", ")?;
            }
            match a {
                Action::Set(p, v) => write!(f, "{p} = {v}")?,
                Action::Remove(p) => write!(f, "{p}")?,
                Action::Add(p, v) | Action::Delete(p, v) => write!(f, "{p} {v}")?,
            }
        }
        Ok(())
    }
}
