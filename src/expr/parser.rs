//! Text -> AST for condition (filter, key condition) and update expressions: a tokenizer with
//! spans, a recursive-descent parser with precedence climbing for OR < AND < NOT, and the
//! service's syntax error text (`Syntax error; token: "=", near: "== :v"`). Pure; no I/O.
use super::ast::{Action, ArithOp, Call, CmpOp, Cond, Elem, Name, Operand, Path, Update};
use super::ExprError;

/// Nesting bound for parentheses and function calls: above what the service's 300-operator
/// limit lets a valid expression use (each level needs an operator), low enough that a hostile
/// expression cannot overflow a 2 MiB thread stack even in a debug build.
const MAX_DEPTH: usize = 160;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ident,
    NamePh,
    ValuePh,
    Int,
    Sym,
    Eof,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

fn tokenize(text: &str) -> Vec<Token> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let kind = if c == b'#' || c == b':' {
            i += 1;
            while i < b.len() && word(b[i]) {
                i += 1;
            }
            if i == start + 1 {
                Kind::Sym
            } else if c == b'#' {
                Kind::NamePh
            } else {
                Kind::ValuePh
            }
        } else if c.is_ascii_digit() {
            // No leading zeros: `01` is the two tokens `0` and `1`, as the service reads it.
            i += 1;
            if c != b'0' {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            Kind::Int
        } else if c.is_ascii_alphabetic() {
            while i < b.len() && word(b[i]) {
                i += 1;
            }
            Kind::Ident
        } else if (c == b'<' && matches!(b.get(i + 1), Some(b'=' | b'>')))
            || (c == b'>' && b.get(i + 1) == Some(&b'='))
        {
            i += 2;
            Kind::Sym
        } else {
            // One character (a whole UTF-8 sequence for non-ASCII input).
            i += text[i..].chars().next().map_or(1, char::len_utf8);
            Kind::Sym
        };
        out.push(Token {
            kind,
            start,
            end: i,
        });
    }
    out.push(Token {
        kind: Kind::Eof,
        start: b.len(),
        end: b.len(),
    });
    out
}

/// The clauses of an update expression.
const CLAUSES: [&str; 4] = ["SET", "REMOVE", "ADD", "DELETE"];

const KEYWORDS: [&str; 9] = [
    "AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE",
];

struct Parser<'a> {
    text: &'a str,
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
    /// Comparators, AND/OR/NOT, BETWEEN, IN and function calls seen so far (the service allows 300).
    operators: usize,
}

/// The parser stops counting operators here (stack safety); the service's limit of 300 is
/// checked by validation, after placeholders, as the service orders it.
const MAX_OPERATORS: usize = 1000;
/// The most elements in a document path.
const MAX_PATH_DEPTH: usize = 32;

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            toks: tokenize(text),
            pos: 0,
            depth: 0,
            operators: 0,
        }
    }

    fn peek(&self) -> Token {
        self.toks[self.pos]
    }
    fn peek_at(&self, n: usize) -> Token {
        self.toks[(self.pos + n).min(self.toks.len() - 1)]
    }
    fn src(&self, t: Token) -> &'a str {
        &self.text[t.start..t.end]
    }
    fn bump(&mut self) -> Token {
        let t = self.peek();
        if t.kind != Kind::Eof {
            self.pos += 1;
        }
        t
    }
    fn is_sym(&self, s: &str) -> bool {
        let t = self.peek();
        t.kind == Kind::Sym && self.src(t) == s
    }
    fn is_kw(&self, t: Token, kw: &str) -> bool {
        t.kind == Kind::Ident && self.src(t).eq_ignore_ascii_case(kw)
    }
    fn at_kw(&self, kw: &str) -> bool {
        self.is_kw(self.peek(), kw)
    }
    fn is_keyword(&self, t: Token) -> bool {
        t.kind == Kind::Ident && KEYWORDS.iter().any(|k| self.is_kw(t, k))
    }

    /// The service's syntax error at the current token: `near` runs from the token before it to
    /// the token after it, as written.
    fn syntax_error(&self) -> ExprError {
        let t = self.peek();
        let token = if t.kind == Kind::Eof {
            "<EOF>".to_string()
        } else {
            self.src(t).to_string()
        };
        let from = if self.pos > 0 {
            self.toks[self.pos - 1].start
        } else {
            t.start
        };
        let to = if t.kind == Kind::Eof {
            t.start
        } else {
            self.peek_at(1).end
        };
        ExprError::Syntax {
            token,
            near: self.text[from..to].to_string(),
        }
    }

    fn expect_sym(&mut self, s: &str) -> Result<(), ExprError> {
        if self.is_sym(s) {
            self.bump();
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    fn operator(&mut self) -> Result<(), ExprError> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return Err(ExprError::TooManyOperators(self.operators));
        }
        Ok(())
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError::TooDeep);
        }
        Ok(())
    }

    fn name(&mut self) -> Result<Name, ExprError> {
        let t = self.peek();
        match t.kind {
            Kind::Ident if !self.is_keyword(t) => {
                self.bump();
                Ok(Name::Plain(self.src(t).to_string()))
            }
            Kind::NamePh => {
                self.bump();
                Ok(Name::Placeholder(self.src(t).to_string()))
            }
            _ => Err(self.syntax_error()),
        }
    }

    fn path(&mut self) -> Result<Path, ExprError> {
        let mut elems = vec![Elem::Attr(self.name()?)];
        loop {
            if self.is_sym(".") {
                self.bump();
                elems.push(Elem::Attr(self.name()?));
            } else if self.is_sym("[") {
                self.bump();
                let t = self.peek();
                if t.kind != Kind::Int {
                    return Err(self.syntax_error());
                }
                let index = self
                    .src(t)
                    .parse::<u32>()
                    .ok()
                    .filter(|i| *i <= i32::MAX as u32)
                    .ok_or_else(|| ExprError::IndexOutOfRange(self.src(t).to_string()))?;
                self.bump();
                self.expect_sym("]")?;
                elems.push(Elem::Index(index));
            } else {
                if elems.len() > MAX_PATH_DEPTH {
                    return Err(ExprError::PathTooDeep(elems.len()));
                }
                return Ok(Path(elems));
            }
        }
    }

    /// A path, a `:value`, or a function call.
    fn operand(&mut self) -> Result<Operand, ExprError> {
        let t = self.peek();
        if self.is_sym("(") {
            self.bump();
            self.enter()?;
            let inner = self.operand()?;
            self.expect_sym(")")?;
            self.depth -= 1;
            return Ok(inner);
        }
        match t.kind {
            Kind::ValuePh => {
                self.bump();
                Ok(Operand::Value(self.src(t).to_string()))
            }
            Kind::Ident
                if !self.is_keyword(t)
                    && self.peek_at(1).kind == Kind::Sym
                    && self.src(self.peek_at(1)) == "(" =>
            {
                self.bump();
                self.bump();
                self.enter()?;
                self.operator()?;
                let mut args = vec![self.operand()?];
                while self.is_sym(",") {
                    self.bump();
                    args.push(self.operand()?);
                }
                self.expect_sym(")")?;
                self.depth -= 1;
                Ok(Operand::Call(Call {
                    name: self.src(t).to_string(),
                    args,
                }))
            }
            _ => Ok(Operand::Path(self.path()?)),
        }
    }

    /// OR-level condition; the flag says the whole thing was one parenthesised group.
    fn or(&mut self) -> Result<(Cond, bool), ExprError> {
        let (mut c, mut wrapped) = self.and()?;
        while self.at_kw("OR") {
            self.bump();
            self.operator()?;
            let (r, _) = self.and()?;
            c = Cond::Or(Box::new(c), Box::new(r));
            wrapped = false;
        }
        Ok((c, wrapped))
    }

    fn and(&mut self) -> Result<(Cond, bool), ExprError> {
        let (mut c, mut wrapped) = self.not()?;
        while self.at_kw("AND") {
            self.bump();
            self.operator()?;
            let (r, _) = self.not()?;
            c = Cond::And(Box::new(c), Box::new(r));
            wrapped = false;
        }
        Ok((c, wrapped))
    }

    fn not(&mut self) -> Result<(Cond, bool), ExprError> {
        // A chain of NOTs is read in a loop: it costs no stack.
        let mut nots = 0;
        while self.at_kw("NOT") {
            self.bump();
            self.operator()?;
            nots += 1;
        }
        if nots == 0 {
            return self.primary();
        }
        let (mut c, _) = self.primary()?;
        for _ in 0..nots {
            c = Cond::Not(Box::new(c));
        }
        Ok((c, false))
    }

    fn primary(&mut self) -> Result<(Cond, bool), ExprError> {
        if self.is_sym("(") {
            // A parenthesised condition, or a parenthesised operand (`(n) = :v`): try the
            // condition first and fall back, keeping the error that got further.
            let (start, operators) = (self.pos, self.operators);
            self.bump();
            self.enter()?;
            let attempt = self.or().and_then(|r| self.expect_sym(")").map(|_| r));
            self.depth -= 1;
            match attempt {
                Ok((c, inner_wrapped)) => {
                    if inner_wrapped {
                        return Err(ExprError::RedundantParentheses);
                    }
                    return Ok((c, true));
                }
                Err(e) => {
                    let reached = self.pos;
                    self.pos = start;
                    self.operators = operators;
                    match self.comparison() {
                        Ok(c) => return Ok((c, false)),
                        Err(e2) if self.pos >= reached => return Err(e2),
                        Err(_) => return Err(e),
                    }
                }
            }
        }
        self.comparison().map(|c| (c, false))
    }

    /// An operand followed by a comparator, BETWEEN or IN; or a function call standing alone.
    fn comparison(&mut self) -> Result<Cond, ExprError> {
        let left = self.operand()?;
        let t = self.peek();
        let op = match (t.kind, self.src(t)) {
            (Kind::Sym, "=") => Some(CmpOp::Eq),
            (Kind::Sym, "<>") => Some(CmpOp::Ne),
            (Kind::Sym, "<") => Some(CmpOp::Lt),
            (Kind::Sym, "<=") => Some(CmpOp::Le),
            (Kind::Sym, ">") => Some(CmpOp::Gt),
            (Kind::Sym, ">=") => Some(CmpOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.bump();
            self.operator()?;
            let right = self.operand()?;
            return Ok(Cond::Cmp(left, op, right));
        }
        if self.at_kw("BETWEEN") {
            self.bump();
            self.operator()?;
            let lo = self.operand()?;
            if !self.at_kw("AND") {
                return Err(self.syntax_error());
            }
            self.bump();
            let hi = self.operand()?;
            return Ok(Cond::Between(left, lo, hi));
        }
        if self.at_kw("IN") {
            self.bump();
            self.operator()?;
            self.expect_sym("(")?;
            let mut list = vec![self.operand()?];
            while self.is_sym(",") {
                self.bump();
                list.push(self.operand()?);
            }
            self.expect_sym(")")?;
            return Ok(Cond::In(left, list));
        }
        match left {
            Operand::Call(call) => Ok(Cond::Call(call)),
            _ => Err(self.syntax_error()),
        }
    }

    fn finish(&self) -> Result<(), ExprError> {
        if self.peek().kind == Kind::Eof {
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    /// Whether the SET value ends here (next action, next clause or the end).
    fn at_value_end(&self) -> bool {
        let t = self.peek();
        t.kind == Kind::Eof || self.is_sym(",") || CLAUSES.iter().any(|k| self.is_kw(t, k))
    }

    /// A `:value` (the operand of ADD and DELETE).
    fn value(&mut self) -> Result<Operand, ExprError> {
        let t = self.peek();
        if t.kind != Kind::ValuePh {
            return Err(self.syntax_error());
        }
        self.bump();
        Ok(Operand::Value(self.src(t).to_string()))
    }

    /// The value of a SET action: an operand, optionally `+`/`-` one more operand.
    fn set_value(&mut self) -> Result<Operand, ExprError> {
        if self.is_sym("(") {
            // `(a + b)` as the whole value; otherwise a parenthesised operand.
            let start = self.pos;
            self.bump();
            self.enter()?;
            let attempt = self
                .set_value()
                .and_then(|v| self.expect_sym(")").map(|_| v));
            self.depth -= 1;
            match attempt {
                Ok(v) if self.at_value_end() => return Ok(v),
                _ => self.pos = start,
            }
        }
        let left = self.operand()?;
        let op = if self.is_sym("+") {
            ArithOp::Add
        } else if self.is_sym("-") {
            ArithOp::Sub
        } else {
            return Ok(left);
        };
        self.bump();
        let right = self.operand()?;
        Ok(Operand::Arith(Box::new(left), op, Box::new(right)))
    }

    fn update(&mut self) -> Result<Update, ExprError> {
        let mut update = Update::default();
        let mut seen: Vec<&'static str> = Vec::new();
        loop {
            let t = self.peek();
            let clause = CLAUSES.into_iter().find(|k| self.is_kw(t, k));
            let Some(clause) = clause else {
                if t.kind == Kind::Eof && !seen.is_empty() {
                    return Ok(update);
                }
                return Err(self.syntax_error());
            };
            seen.push(clause);
            update.clause_starts.push(update.actions.len());
            self.bump();
            loop {
                let path = self.path()?;
                let action = match clause {
                    "SET" => {
                        self.expect_sym("=")?;
                        Action::Set(path, self.set_value()?)
                    }
                    "REMOVE" => Action::Remove(path),
                    "ADD" => Action::Add(path, self.value()?),
                    _ => Action::Delete(path, self.value()?),
                };
                update.actions.push(action);
                if self.is_sym(",") {
                    self.bump();
                } else {
                    break;
                }
            }
        }
    }
}

/// Parses a condition (ConditionExpression, FilterExpression, KeyConditionExpression).
pub fn parse_condition(text: &str) -> Result<Cond, ExprError> {
    if text.trim().is_empty() {
        return Err(ExprError::Empty);
    }
    let mut p = Parser::new(text);
    let (c, _) = p.or()?;
    p.finish()?;
    Ok(c)
}

/// Parses an UpdateExpression.
pub fn parse_update(text: &str) -> Result<Update, ExprError> {
    if text.trim().is_empty() {
        return Err(ExprError::Empty);
    }
    let mut p = Parser::new(text);
    let u = p.update()?;
    p.finish()?;
    Ok(u)
}

/// Parses a ProjectionExpression: comma-separated document paths.
pub fn parse_paths(text: &str) -> Result<Vec<Path>, ExprError> {
    if text.trim().is_empty() {
        return Err(ExprError::Empty);
    }
    let mut p = Parser::new(text);
    let mut paths = vec![p.path()?];
    while p.is_sym(",") {
        p.bump();
        paths.push(p.path()?);
    }
    p.finish()?;
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax(text: &str) -> (String, String) {
        match parse_condition(text) {
            Err(ExprError::Syntax { token, near }) => (token, near),
            other => panic!("expected a syntax error for {text:?}, got {other:?}"),
        }
    }

    // The oracle's `near` spans the token before the offending one through the token after it.
    #[test]
    fn syntax_errors_quote_the_neighbouring_tokens() {
        assert_eq!(syntax("n == :v"), ("=".into(), "== :v".into()));
        assert_eq!(syntax("n ="), ("<EOF>".into(), "=".into()));
        assert_eq!(syntax("n = :v)"), (")".into(), ":v)".into()));
        assert_eq!(syntax("a.b..c = :v"), (".".into(), "..c".into()));
        assert_eq!(syntax("a[-1] = :v"), ("-".into(), "[-1".into()));
        assert_eq!(syntax("n @ :v"), ("@".into(), "n @ :v".into()));
        assert_eq!(syntax("n IN ()"), (")".into(), "()".into()));
    }

    #[test]
    fn precedence_is_not_over_and_over_or() {
        let c = parse_condition("a = :a OR NOT b = :b AND c = :c").unwrap();
        assert_eq!(c.to_string(), "a = :a OR NOT b = :b AND c = :c");
        match c {
            Cond::Or(_, right) => assert!(matches!(*right, Cond::And(..))),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn redundant_parentheses_are_rejected() {
        assert!(parse_condition("(a = :v)").is_ok());
        assert_eq!(
            parse_condition("((a = :v))"),
            Err(ExprError::RedundantParentheses)
        );
        assert_eq!(
            parse_condition("NOT ((a = :v))"),
            Err(ExprError::RedundantParentheses)
        );
        assert!(parse_condition("((a = :v) AND (b = :v))").is_ok());
    }

    #[test]
    fn update_clauses_parse_in_any_order_once_each() {
        let u = parse_update("remove x, y[2] set a = b + :v, c = list_append(c, :l) add n :one")
            .unwrap();
        assert_eq!(
            u.to_string(),
            "REMOVE x, y[2] SET a = b + :v, c = list_append(c, :l) ADD n :one"
        );
        let twice = parse_update("SET a = :v SET b = :v").unwrap();
        assert_eq!(twice.clause_starts, vec![0, 1]);
        assert_eq!(twice.to_string(), "SET a = :v SET b = :v");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = format!("{}a = :v", "NOT ".repeat(100_000));
        assert!(matches!(
            parse_condition(&text),
            Err(ExprError::TooDeep | ExprError::TooManyOperators(_))
        ));
        let text = format!("{}a = :v{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(parse_condition(&text).is_err());
    }
}
