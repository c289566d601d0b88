//! Tokens -> AST: recursive descent for statements and clauses, precedence climbing for
//! expressions with PartiQL's groups (OR < AND < NOT < `=` `<>` IS IN < `<` `<=` `>` `>=`
//! BETWEEN LIKE < `+` `-` `||` < `*` `/` `%` < unary `-` `+` < paths), built on `peek` / `bump`
//! / `expect`. Nesting is bounded ([`MAX_DEPTH`]), so no input can exhaust the stack. Anything
//! the grammar rejects is a syntax error; what it accepts but DynamoDB does not is left to
//! `plan`. Pure; no I/O.
use super::ast::*;
use super::keywords::FUNCTION_KEYWORDS;
use super::lexer::{tokenize, Tok, Token};
use super::{PqlError, Syntax};

/// How deep the tree may grow, counting each operator of a chain (`a AND b AND c` is three
/// deep): the expression language's 300 operators, so printing, planning, validating and
/// evaluating the tree stay shallow.
pub const MAX_DEPTH: usize = 300;

/// How deep brackets, calls and prefix operators may nest (each level is a few frames of the
/// parser): far above what a real statement needs, low enough for a 2 MiB thread stack even in
/// a debug build.
pub const MAX_NESTING: usize = 64;

/// Parses one statement (a trailing `;` allowed).
pub fn parse_statement(text: &str) -> Result<Statement, PqlError> {
    let mut p = Parser {
        toks: tokenize(text)?,
        pos: 0,
        depth: 0,
        nesting: 0,
        params: 0,
    };
    let stmt = p.statement()?;
    if p.is_sym(";") {
        p.bump();
    }
    if p.peek().tok != Tok::Eof {
        return Err(p.error(Syntax::Trailing));
    }
    Ok(stmt)
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    /// The tree depth here (see [`MAX_DEPTH`]).
    depth: usize,
    /// The parser's own recursion (see [`MAX_NESTING`]).
    nesting: usize,
    /// `?` seen so far: the next one's position.
    params: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }
    fn peek_at(&self, n: usize) -> &Token {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)]
    }
    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if t.tok != Tok::Eof {
            self.pos += 1;
        }
        t
    }
    fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.peek().tok, Tok::Keyword(k) if *k == kw)
    }
    fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        matches!(&self.peek_at(n).tok, Tok::Keyword(k) if *k == kw)
    }
    fn is_sym(&self, s: &str) -> bool {
        matches!(&self.peek().tok, Tok::Sym(x) if *x == s)
    }
    fn eat_kw(&mut self, kw: &str) -> bool {
        let hit = self.is_kw(kw);
        if hit {
            self.bump();
        }
        hit
    }
    fn eat_sym(&mut self, s: &str) -> bool {
        let hit = self.is_sym(s);
        if hit {
            self.bump();
        }
        hit
    }
    fn error(&self, why: Syntax) -> PqlError {
        PqlError::syntax(why, self.peek().span)
    }
    fn expect_kw(&mut self, kw: &'static str) -> Result<Span, PqlError> {
        if self.is_kw(kw) {
            Ok(self.bump().span)
        } else {
            Err(self.error(Syntax::Expected(kw)))
        }
    }
    fn expect_sym(&mut self, s: &'static str) -> Result<Span, PqlError> {
        if self.is_sym(s) {
            Ok(self.bump().span)
        } else {
            Err(self.error(Syntax::Expected(s)))
        }
    }
    /// One level of recursion deeper.
    fn enter(&mut self) -> Result<(), PqlError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(self.error(Syntax::TooDeep));
        }
        self.deeper()
    }

    /// Returns from [`enter`](Self::enter).
    fn leave(&mut self) {
        self.nesting -= 1;
        self.depth -= 1;
    }

    /// One level deeper in the tree without recursing (an operator of a chain).
    fn deeper(&mut self) -> Result<(), PqlError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(Syntax::TooDeep));
        }
        Ok(())
    }

    /// A bare or quoted identifier.
    fn ident(&mut self) -> Result<Ident, PqlError> {
        let t = self.peek().clone();
        let (name, quoted) = match t.tok {
            Tok::Ident(n) => (n, false),
            Tok::Quoted(n) => (n, true),
            _ => return Err(self.error(Syntax::Expected("identifier"))),
        };
        self.bump();
        Ok(Ident {
            name,
            quoted,
            span: t.span,
        })
    }

    fn at_ident(&self) -> bool {
        matches!(self.peek().tok, Tok::Ident(_) | Tok::Quoted(_))
    }

    // ---- statements ----

    fn statement(&mut self) -> Result<Statement, PqlError> {
        match &self.peek().tok {
            Tok::Keyword("insert") => self.insert().map(Statement::Insert),
            Tok::Keyword("update") => self.update().map(Statement::Update),
            Tok::Keyword("delete") => self.delete().map(Statement::Delete),
            Tok::Keyword("create") => self.create(),
            Tok::Keyword("drop") => self.drop(),
            Tok::Keyword("exec") => {
                self.bump();
                let name = self.ident()?;
                let mut args = Vec::new();
                if self.peek().tok != Tok::Eof && !self.is_sym(";") {
                    args.push(self.expr(0)?);
                    while self.eat_sym(",") {
                        args.push(self.expr(0)?);
                    }
                }
                Ok(Statement::Exec(name, args))
            }
            _ => self.expr(0).map(Statement::Query),
        }
    }

    /// A DML target: a name and its path steps (`t`, `"t"."i"`, `t[0]`, `?`).
    fn target(&mut self) -> Result<Expr, PqlError> {
        self.enter()?;
        let root = self.primary()?;
        let e = self.postfix(root)?;
        self.leave();
        Ok(e)
    }

    /// The path a SET or REMOVE writes: a name and its steps.
    fn path_target(&mut self) -> Result<Expr, PqlError> {
        if !self.at_ident() {
            return Err(self.error(Syntax::Expected("path")));
        }
        self.target()
    }

    fn alias(&mut self) -> Result<Option<Ident>, PqlError> {
        if self.eat_kw("as") {
            return self.ident().map(Some);
        }
        if self.at_ident() {
            return self.ident().map(Some);
        }
        Ok(None)
    }

    fn returning(&mut self) -> Result<Vec<Returning>, PqlError> {
        let mut out = Vec::new();
        if !self.eat_kw("returning") {
            return Ok(out);
        }
        loop {
            let modified = if self.eat_kw("modified") {
                true
            } else {
                self.expect_kw("all")?;
                false
            };
            let new = if self.eat_kw("new") {
                true
            } else {
                self.expect_kw("old")?;
                false
            };
            let column = if self.eat_sym("*") {
                None
            } else {
                Some(self.expr(0)?)
            };
            out.push(Returning {
                modified,
                new,
                column,
            });
            if !self.eat_sym(",") {
                return Ok(out);
            }
        }
    }

    fn insert(&mut self) -> Result<Insert, PqlError> {
        self.bump();
        self.expect_kw("into")?;
        let target = self.target()?;
        let (value, bag) = if self.eat_kw("value") {
            (self.expr(0)?, false)
        } else {
            (self.expr(0)?, true)
        };
        let mut at = None;
        let mut on_conflict = None;
        if !bag {
            if self.eat_kw("at") {
                at = Some(self.expr(0)?);
            }
            if self.is_kw("on") && self.is_kw_at(1, "conflict") {
                self.bump();
                self.bump();
                self.expect_kw("where")?;
                on_conflict = Some(self.expr(0)?);
                self.expect_kw("do")?;
                self.expect_kw("nothing")?;
            }
        }
        let returning = self.returning()?;
        Ok(Insert {
            target,
            value,
            bag,
            at,
            on_conflict,
            returning,
        })
    }

    fn update(&mut self) -> Result<Update, PqlError> {
        self.bump();
        let target = self.target()?;
        let alias = self.alias()?;
        let mut ops = Vec::new();
        loop {
            if self.eat_kw("set") {
                let mut assignments = Vec::new();
                loop {
                    let path = self.path_target()?;
                    self.expect_sym("=")?;
                    // The value is any expression (`a = x IS NULL` parses, and is refused later).
                    assignments.push((path, self.expr(0)?));
                    if !self.eat_sym(",") {
                        break;
                    }
                }
                ops.push(DmlOp::Set(assignments));
            } else if self.eat_kw("remove") {
                ops.push(DmlOp::Remove(self.path_target()?));
            } else {
                break;
            }
        }
        if ops.is_empty() {
            return Err(self.error(Syntax::Expected("SET or REMOVE")));
        }
        let where_ = self.where_()?;
        let returning = self.returning()?;
        Ok(Update {
            target,
            alias,
            ops,
            where_,
            returning,
        })
    }

    fn delete(&mut self) -> Result<Delete, PqlError> {
        self.bump();
        self.expect_kw("from")?;
        let target = self.target()?;
        let alias = self.alias()?;
        let where_ = self.where_()?;
        let returning = self.returning()?;
        Ok(Delete {
            target,
            alias,
            where_,
            returning,
        })
    }

    fn where_(&mut self) -> Result<Option<Expr>, PqlError> {
        if self.eat_kw("where") {
            return self.expr(0).map(Some);
        }
        Ok(None)
    }

    fn create(&mut self) -> Result<Statement, PqlError> {
        self.bump();
        if self.eat_kw("table") {
            return Ok(Statement::Ddl(Ddl::CreateTable(self.ident()?)));
        }
        self.expect_kw("index")?;
        self.expect_kw("on")?;
        let table = self.ident()?;
        self.expect_sym("(")?;
        let mut keys = vec![self.target()?];
        while self.eat_sym(",") {
            keys.push(self.target()?);
        }
        self.expect_sym(")")?;
        Ok(Statement::Ddl(Ddl::CreateIndex(table, keys)))
    }

    fn drop(&mut self) -> Result<Statement, PqlError> {
        self.bump();
        if self.eat_kw("table") {
            return Ok(Statement::Ddl(Ddl::DropTable(self.ident()?)));
        }
        self.expect_kw("index")?;
        let index = self.ident()?;
        self.expect_kw("on")?;
        let table = self.ident()?;
        Ok(Statement::Ddl(Ddl::DropIndex(index, table)))
    }

    // ---- SELECT ----

    fn select(&mut self) -> Result<Select, PqlError> {
        let span = self.peek().span;
        let mut distinct = false;
        let projection = if self.eat_kw("pivot") {
            let v = self.expr(0)?;
            self.expect_kw("at")?;
            Projection::Pivot(v, self.expr(0)?)
        } else {
            self.expect_kw("select")?;
            if self.eat_kw("distinct") {
                distinct = true;
            } else {
                self.eat_kw("all");
            }
            if self.eat_sym("*") {
                Projection::Star
            } else if self.eat_kw("value") {
                Projection::Value(self.expr(0)?)
            } else {
                let mut items = Vec::new();
                loop {
                    let at = self.peek().span;
                    let expr = self.expr(0)?;
                    // PartiQL reads `[*]` in a select list differently; DynamoDB's grammar
                    // refuses it there.
                    if let Expr::Path(_, steps) = &expr {
                        if steps.iter().any(|s| matches!(s, Step::AllElements(_))) {
                            return Err(PqlError::syntax(Syntax::Expected("path"), at));
                        }
                    }
                    let alias = self.alias()?;
                    items.push(SelectItem { expr, alias });
                    if !self.eat_sym(",") {
                        break;
                    }
                }
                Projection::Items(items)
            }
        };
        self.expect_kw("from")?;
        let mut from = Vec::new();
        loop {
            let expr = self.target()?;
            let alias = self.alias()?;
            let at = if self.eat_kw("at") {
                Some(self.ident()?)
            } else {
                None
            };
            let by = if self.eat_kw("by") {
                Some(self.ident()?)
            } else {
                None
            };
            from.push(FromItem {
                expr,
                alias,
                at,
                by,
            });
            if !self.eat_sym(",") {
                break;
            }
        }
        let where_ = self.where_()?;
        let group_by = if self.eat_kw("group") {
            self.expect_kw("by")?;
            let mut keys = vec![self.expr(0)?];
            while self.eat_sym(",") {
                keys.push(self.expr(0)?);
            }
            Some(keys)
        } else {
            None
        };
        let having = if self.eat_kw("having") {
            Some(self.expr(0)?)
        } else {
            None
        };
        let order_by = if self.eat_kw("order") {
            self.expect_kw("by")?;
            let mut items = Vec::new();
            loop {
                let expr = self.expr(0)?;
                let desc = if self.eat_kw("desc") {
                    Some(true)
                } else if self.eat_kw("asc") {
                    Some(false)
                } else {
                    None
                };
                items.push(OrderItem { expr, desc });
                if !self.eat_sym(",") {
                    break;
                }
            }
            Some(items)
        } else {
            None
        };
        let limit = if self.eat_kw("limit") {
            Some(self.expr(0)?)
        } else {
            None
        };
        Ok(Select {
            distinct,
            projection,
            from,
            where_,
            group_by,
            having,
            order_by,
            limit,
            span,
        })
    }

    // ---- expressions ----

    /// An expression whose operators all bind at least as tightly as `min`.
    fn expr(&mut self, min: u8) -> Result<Expr, PqlError> {
        let saved = (self.depth, self.nesting);
        self.enter()?;
        let mut lhs = self.unary()?;
        loop {
            let t = self.peek().clone();
            let not = matches!(t.tok, Tok::Keyword("not"));
            let next = if not {
                self.peek_at(1).tok.clone()
            } else {
                t.tok.clone()
            };
            let prec = match &next {
                Tok::Keyword("or") if !not => 10,
                Tok::Keyword("and") if !not => 20,
                Tok::Keyword("is") if !not => 40,
                Tok::Keyword("in") => 40,
                Tok::Keyword("between") | Tok::Keyword("like") => 50,
                Tok::Sym(s) if !not => match *s {
                    "=" | "<>" | "!=" => 40,
                    "<" | "<=" | ">" | ">=" => 50,
                    "+" | "-" | "||" => 60,
                    "*" | "/" | "%" => 70,
                    _ => break,
                },
                _ => break,
            };
            if prec < min {
                break;
            }
            // Each operator of a chain deepens the tree by one.
            self.deeper()?;
            if not {
                self.bump();
            }
            let op_span = self.bump().span;
            lhs = match next {
                Tok::Keyword("is") => {
                    let not = self.eat_kw("not");
                    let ty = self.type_name()?;
                    Expr::Is {
                        expr: Box::new(lhs),
                        ty,
                        not,
                        span: op_span,
                    }
                }
                Tok::Keyword("in") => {
                    let list = if self.is_sym("(") && !self.is_kw_at(1, "select") {
                        self.paren_list()?
                    } else {
                        self.expr(prec + 1)?
                    };
                    Expr::In {
                        expr: Box::new(lhs),
                        list: Box::new(list),
                        not,
                        span: op_span,
                    }
                }
                Tok::Keyword("between") => {
                    let low = self.expr(prec + 1)?;
                    self.expect_kw("and")?;
                    let high = self.expr(prec + 1)?;
                    Expr::Between {
                        expr: Box::new(lhs),
                        low: Box::new(low),
                        high: Box::new(high),
                        not,
                        span: op_span,
                    }
                }
                Tok::Keyword("like") => {
                    let pattern = self.expr(prec + 1)?;
                    let escape = if self.eat_kw("escape") {
                        Some(Box::new(self.expr(prec + 1)?))
                    } else {
                        None
                    };
                    Expr::Like {
                        expr: Box::new(lhs),
                        pattern: Box::new(pattern),
                        escape,
                        not,
                        span: op_span,
                    }
                }
                other => {
                    let op = match other {
                        Tok::Keyword("or") => BinOp::Or,
                        Tok::Keyword("and") => BinOp::And,
                        Tok::Sym("=") => BinOp::Eq,
                        Tok::Sym("<>") | Tok::Sym("!=") => BinOp::Ne,
                        Tok::Sym("<") => BinOp::Lt,
                        Tok::Sym("<=") => BinOp::Le,
                        Tok::Sym(">") => BinOp::Gt,
                        Tok::Sym(">=") => BinOp::Ge,
                        Tok::Sym("+") => BinOp::Add,
                        Tok::Sym("-") => BinOp::Sub,
                        Tok::Sym("||") => BinOp::Concat,
                        Tok::Sym("*") => BinOp::Mul,
                        Tok::Sym("/") => BinOp::Div,
                        _ => BinOp::Mod,
                    };
                    let rhs = self.expr(prec + 1)?;
                    Expr::Binary(op, Box::new(lhs), Box::new(rhs), op_span)
                }
            };
        }
        (self.depth, self.nesting) = saved;
        Ok(lhs)
    }

    /// The type after `IS [NOT]`, canonical.
    fn type_name(&mut self) -> Result<&'static str, PqlError> {
        let Tok::Keyword(k) = self.peek().tok else {
            return Err(self.error(Syntax::Expected("type")));
        };
        let ty = match k {
            "missing" => "MISSING",
            "null" => "NULL",
            "bool" | "boolean" => "BOOLEAN",
            "smallint" => "SMALLINT",
            "int" | "integer" => "INTEGER",
            "float" => "FLOAT",
            "real" => "REAL",
            "double" => {
                self.bump();
                if !self.is_kw("precision") {
                    return Err(self.error(Syntax::Expected("PRECISION")));
                }
                "DOUBLE_PRECISION"
            }
            "dec" | "decimal" => "DECIMAL",
            "numeric" => "NUMERIC",
            "timestamp" => "TIMESTAMP",
            "date" => "DATE",
            "time" => "TIME",
            "char" | "character" => {
                if self.is_kw_at(1, "varying") {
                    self.bump();
                    "CHARACTER_VARYING"
                } else {
                    "CHARACTER"
                }
            }
            "varchar" => "CHARACTER_VARYING",
            "string" => "STRING",
            "symbol" => "SYMBOL",
            "clob" => "CLOB",
            "blob" => "BLOB",
            "struct" => "STRUCT",
            "tuple" => "TUPLE",
            "list" => "LIST",
            "sexp" => "SEXP",
            "bag" => "BAG",
            _ => return Err(self.error(Syntax::Expected("type"))),
        };
        self.bump();
        Ok(ty)
    }

    fn unary(&mut self) -> Result<Expr, PqlError> {
        let t = self.peek().clone();
        match t.tok {
            Tok::Keyword("not") => {
                self.bump();
                let e = self.expr(31)?;
                Ok(Expr::Unary(UnOp::Not, Box::new(e), t.span))
            }
            Tok::Sym("-") | Tok::Sym("+") => {
                self.bump();
                self.enter()?;
                let e = self.unary()?;
                self.leave();
                let neg = t.tok == Tok::Sym("-");
                // A negative number is one literal, as the service reads it.
                match e {
                    Expr::Lit(Lit::Num(n), span) if neg && !n.starts_with('-') => {
                        Ok(Expr::Lit(Lit::Num(format!("-{n}")), span))
                    }
                    e => {
                        let op = if neg { UnOp::Neg } else { UnOp::Pos };
                        Ok(Expr::Unary(op, Box::new(e), t.span))
                    }
                }
            }
            _ => {
                let root = self.primary()?;
                self.postfix(root)
            }
        }
    }

    /// `.name`, `."name"`, `.*`, `[expr]`, `[*]` after `root`.
    fn postfix(&mut self, root: Expr) -> Result<Expr, PqlError> {
        let mut steps = Vec::new();
        loop {
            if self.is_sym(".") {
                self.bump();
                if self.is_sym("*") {
                    steps.push(Step::AllFields(self.bump().span));
                } else {
                    steps.push(Step::Field(self.ident()?));
                }
            } else if self.is_sym("[") {
                self.bump();
                if self.is_sym("*") && matches!(self.peek_at(1).tok, Tok::Sym("]")) {
                    let span = self.bump().span;
                    self.bump();
                    steps.push(Step::AllElements(span));
                } else {
                    let e = self.expr(0)?;
                    self.expect_sym("]")?;
                    steps.push(Step::Index(Box::new(e)));
                }
            } else {
                break;
            }
            if steps.len() > MAX_DEPTH {
                return Err(self.error(Syntax::TooDeep));
            }
        }
        Ok(if steps.is_empty() {
            root
        } else {
            Expr::Path(Box::new(root), steps)
        })
    }

    /// `(a, b, ...)` after IN, a list even with one element.
    fn paren_list(&mut self) -> Result<Expr, PqlError> {
        let span = self.expect_sym("(")?;
        let items = self.items(")")?;
        Ok(Expr::Seq(SeqKind::Paren, items, span))
    }

    /// Comma-separated expressions up to `close` (consumed); none is allowed only for `[]`,
    /// `<<>>` and `{}`.
    fn items(&mut self, close: &'static str) -> Result<Vec<Expr>, PqlError> {
        let mut items = Vec::new();
        if close != ")" && self.eat_sym(close) {
            return Ok(items);
        }
        loop {
            items.push(self.expr(0)?);
            if !self.eat_sym(",") {
                break;
            }
        }
        self.expect_sym(close)?;
        Ok(items)
    }

    fn primary(&mut self) -> Result<Expr, PqlError> {
        let t = self.peek().clone();
        let span = t.span;
        let e = match t.tok {
            Tok::Num(n) => {
                self.bump();
                Expr::Lit(Lit::Num(n), span)
            }
            Tok::Str(s) => {
                self.bump();
                Expr::Lit(Lit::Str(s), span)
            }
            Tok::Ion(s) => {
                self.bump();
                Expr::Ion(s, span)
            }
            Tok::Param => {
                self.bump();
                self.params += 1;
                Expr::Param(self.params - 1, span)
            }
            Tok::Keyword("true") | Tok::Keyword("false") => {
                self.bump();
                Expr::Lit(Lit::Bool(t.tok == Tok::Keyword("true")), span)
            }
            Tok::Keyword("null") => {
                self.bump();
                Expr::Lit(Lit::Null, span)
            }
            Tok::Keyword("missing") => {
                self.bump();
                Expr::Lit(Lit::Missing, span)
            }
            Tok::Keyword(k @ ("date" | "time")) if matches!(self.peek_at(1).tok, Tok::Str(_)) => {
                self.bump();
                // The service points at the text, not the keyword.
                let t = self.bump();
                let Tok::Str(s) = t.tok else {
                    return Err(self.error(Syntax::Expected("string")));
                };
                Expr::Typed(k, s, t.span)
            }
            Tok::Keyword("select") | Tok::Keyword("pivot") => {
                Expr::Select(Box::new(self.select()?))
            }
            Tok::Keyword(k)
                if FUNCTION_KEYWORDS.contains(&k) && self.peek_at(1).tok == Tok::Sym("(") =>
            {
                self.bump();
                let name = Ident {
                    name: k.to_string(),
                    quoted: false,
                    span,
                };
                self.call(name)?
            }
            Tok::Ident(n) => {
                self.bump();
                let id = Ident {
                    name: n,
                    quoted: false,
                    span,
                };
                if self.is_sym("(") {
                    self.call(id)?
                } else {
                    Expr::Var(id)
                }
            }
            Tok::Quoted(n) => {
                self.bump();
                Expr::Var(Ident {
                    name: n,
                    quoted: true,
                    span,
                })
            }
            Tok::Sym("(") => {
                self.bump();
                let first = self.expr(0)?;
                if self.eat_sym(",") {
                    let mut items = vec![first];
                    items.extend(self.items(")")?);
                    Expr::Seq(SeqKind::Paren, items, span)
                } else {
                    self.expect_sym(")")?;
                    first
                }
            }
            // Collections and parentheses recurse through `expr`, which counts the level.
            Tok::Sym(open @ ("[" | "<<")) => {
                self.bump();
                let (kind, close) = if open == "[" {
                    (SeqKind::List, "]")
                } else {
                    (SeqKind::Bag, ">>")
                };
                let items = self.items(close)?;
                Expr::Seq(kind, items, span)
            }
            Tok::Sym("{") => {
                self.bump();
                let mut fields = Vec::new();
                if !self.eat_sym("}") {
                    loop {
                        let k = self.expr(0)?;
                        self.expect_sym(":")?;
                        let v = self.expr(0)?;
                        fields.push((k, v));
                        if !self.eat_sym(",") {
                            break;
                        }
                    }
                    self.expect_sym("}")?;
                }
                Expr::Struct(fields, span)
            }
            _ => return Err(self.error(Syntax::Expected("expression"))),
        };
        Ok(e)
    }

    fn call(&mut self, name: Ident) -> Result<Expr, PqlError> {
        self.expect_sym("(")?;
        let args = if self.eat_sym(")") {
            Vec::new()
        } else if self.is_sym("*") && self.peek_at(1).tok == Tok::Sym(")") {
            let span = self.bump().span;
            self.bump();
            vec![Expr::Star(span)]
        } else {
            self.items(")")?
        };
        Ok(Expr::Call(name, args))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        let ast = parse_statement(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        let printed = ast.to_string();
        let again = parse_statement(&printed).unwrap_or_else(|e| panic!("{printed}: {e:?}"));
        assert_eq!(ast, again, "{text} printed as {printed}");
        printed
    }

    // The statement forms DynamoDB answers print back to text that parses to the same AST.
    #[test]
    fn statements_print_back_to_themselves() {
        for text in [
            r#"SELECT * FROM "t" WHERE pk = 'a' AND sk > 1"#,
            r#"SELECT a.b[0].c, "x" FROM "t"."i" WHERE NOT (a = 1 OR b <> 2) ORDER BY sk DESC"#,
            "SELECT * FROM t WHERE x IN (1, 2) AND y NOT BETWEEN -1 AND 1.5e3 AND z IS NOT MISSING",
            "SELECT * FROM t WHERE begins_with(s, 'a') AND size(l) >= 2 AND x IN ('a')",
            "INSERT INTO t VALUE {'pk': ?, 'l': [1, 'two', <<3, 4>>], 'm': {'k': NULL}, 'b': TRUE}",
            "UPDATE t SET a = a + 1, b = list_append(b, [1]) REMOVE c.d[2] SET e = ? WHERE pk = 1 RETURNING ALL NEW *",
            "DELETE FROM t WHERE pk = 'a' AND attribute_exists(x) RETURNING ALL OLD *",
            "EXISTS(SELECT * FROM t WHERE pk = 'a' AND x = 1)",
            "SELECT * FROM t WHERE - - 1 = - x AND a - -5 = 2 * (3 + 4)",
            "SELECT * FROM t WHERE (a = b) IS NULL",
        ] {
            round_trip(text);
        }
    }

    // Precedence: NOT binds looser than comparisons, AND tighter than OR, arithmetic tighter still.
    #[test]
    fn operators_bind_by_partiql_precedence() {
        let Statement::Query(Expr::Select(s)) =
            parse_statement("SELECT * FROM t WHERE NOT a = 1 OR b = 1 AND c = 1 + 2 * 3").unwrap()
        else {
            panic!("not a select")
        };
        assert_eq!(
            s.where_.unwrap().to_string(),
            "NOT a = 1 OR b = 1 AND c = 1 + 2 * 3"
        );
        let Statement::Query(Expr::Select(s)) =
            parse_statement("SELECT * FROM t WHERE (a OR b) AND NOT (c AND d)").unwrap()
        else {
            panic!("not a select")
        };
        assert_eq!(s.where_.unwrap().to_string(), "(a OR b) AND NOT (c AND d)");
    }

    // Parameters are numbered in the order they appear, whatever clause holds them.
    #[test]
    fn parameters_are_numbered_in_order() {
        let Statement::Update(u) =
            parse_statement("UPDATE t SET a = ? WHERE pk = ? AND sk = ?").unwrap()
        else {
            panic!("not an update")
        };
        let Some(Expr::Binary(_, l, r, _)) = u.where_ else {
            panic!("no where")
        };
        let Expr::Binary(_, _, p, _) = *l else {
            panic!()
        };
        assert_eq!(*p, Expr::Param(1, Span::default()));
        let Expr::Binary(_, _, p, _) = *r else {
            panic!()
        };
        assert!(matches!(*p, Expr::Param(2, _)));
    }

    // What the grammar rejects, as DynamoDB's parser does.
    #[test]
    fn malformed_statements_are_syntax_errors() {
        for text in [
            "SELECTT * FROMM t",
            "SELECT *, pk FROM t",
            "SELECT * FROM t WHERE pk == 1",
            "SELECT * FROM t WHERE (pk = 1",
            "SELECT * FROM t WHERE pk IN ()",
            "INSERT INTO t VALUES {'a': 1}",
            "INSERT INTO t VALUE {'a': 1}, {'b': 2}",
            "UPDATE t SET 'a' = 1 WHERE pk = 1",
            "UPDATE t ADD x 1 WHERE pk = 1",
            "DELETE t WHERE pk = 1",
            "SELECT * FROM t WHERE value = 1",
            "",
            ";",
        ] {
            let e = parse_statement(text).expect_err(text);
            assert!(matches!(e, PqlError::Syntax(..)), "{text}: {e:?}");
        }
    }

    // Deep nesting of every recursive form is refused, not a stack overflow (on a 2 MiB stack,
    // the blocking pool's).
    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let n = 5000;
        for text in [
            format!("SELECT * FROM t WHERE {}1{}", "(".repeat(n), ")".repeat(n)),
            format!("SELECT * FROM t WHERE {}1{}", "[".repeat(n), "]".repeat(n)),
            format!("SELECT * FROM t WHERE {}1", "NOT ".repeat(n)),
            format!("SELECT * FROM t WHERE {}1", "- ".repeat(n)),
            format!("SELECT * FROM t WHERE a{}", " AND a".repeat(n)),
            format!("SELECT * FROM t WHERE a{}", "[0]".repeat(n)),
            format!("SELECT * FROM t WHERE {}1{}", "f(".repeat(n), ")".repeat(n)),
            format!(
                "INSERT INTO t VALUE {}1{}",
                "{'a': ".repeat(n),
                "}".repeat(n)
            ),
        ] {
            let e = std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || parse_statement(&text).map(|s| s.to_string()))
                .unwrap()
                .join()
                .expect("the parser must not overflow its stack");
            assert!(e.is_err());
        }
    }
}
