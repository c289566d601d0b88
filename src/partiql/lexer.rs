//! PartiQL text -> tokens with byte spans. Keywords are recognised case-insensitively from the
//! reserved word list (`keywords.rs`); identifiers may be written bare (`[A-Za-z_$][A-Za-z0-9_$]*`)
//! or double-quoted (`"a""b"`), strings single-quoted (`'it''s'`), Ion literals between
//! backticks. Comments (`-- ...`, `/* ... */`) and whitespace are skipped. Pure; no I/O.
use super::ast::Span;
use super::keywords::keyword;
use super::{PqlError, Syntax};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A bare identifier that is not a keyword, as written.
    Ident(String),
    /// A reserved word, lower-cased.
    Keyword(&'static str),
    /// A double-quoted identifier, unescaped.
    Quoted(String),
    /// A single-quoted string, unescaped.
    Str(String),
    /// A number as written (`1`, `1.5`, `.5`, `5.`, `1e3`).
    Num(String),
    /// The text between backticks.
    Ion(String),
    /// `?`
    Param,
    /// Punctuation and operators: `( ) [ ] { } , . : ; * + - / % < <= > >= = <> != || << >> @`.
    Sym(&'static str),
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

const SYMBOLS: [&str; 25] = [
    "<<", ">>", "<=", ">=", "<>", "!=", "||", "(", ")", "[", "]", "{", "}", ",", ".", ":", ";",
    "*", "+", "-", "/", "%", "<", ">", "=",
];

fn ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$'
}

fn ident_continue(c: u8) -> bool {
    ident_start(c) || c.is_ascii_digit()
}

/// Splits `text` into tokens, ending with `Eof`. Unterminated strings, identifiers, Ion
/// literals and comments, and characters outside the language, are syntax errors.
pub fn tokenize(text: &str) -> Result<Vec<Token>, PqlError> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let bad = |at: usize| PqlError::syntax(Syntax::Lexer, Span::new(at, at + 1));
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let end = text[i + 2..].find("*/").ok_or_else(|| bad(i))?;
            i += 2 + end + 2;
            continue;
        }
        let start = i;
        let tok = if ident_start(c) {
            while i < b.len() && ident_continue(b[i]) {
                i += 1;
            }
            let word = &text[start..i];
            match keyword(word) {
                Some(k) => Tok::Keyword(k),
                None => Tok::Ident(word.to_string()),
            }
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i < b.len() && b[i] == b'.' {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
                let mut j = i + 1;
                if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    while j < b.len() && b[j].is_ascii_digit() {
                        j += 1;
                    }
                    i = j;
                }
            }
            Tok::Num(text[start..i].to_string())
        } else if c == b'\'' || c == b'"' {
            let (s, end) = quoted(text, i, c).ok_or_else(|| bad(start))?;
            i = end;
            if c == b'\'' {
                Tok::Str(s)
            } else {
                Tok::Quoted(s)
            }
        } else if c == b'`' {
            let end = text[i + 1..].find('`').ok_or_else(|| bad(start))?;
            i += 1 + end + 1;
            Tok::Ion(text[start + 1..i - 1].to_string())
        } else if c == b'?' {
            i += 1;
            Tok::Param
        } else if c == b'@' {
            i += 1;
            Tok::Sym("@")
        } else {
            let sym = SYMBOLS
                .iter()
                .find(|s| text[i..].starts_with(*s))
                .ok_or_else(|| bad(start))?;
            i += sym.len();
            Tok::Sym(sym)
        };
        out.push(Token {
            tok,
            span: Span::new(start, i),
        });
    }
    out.push(Token {
        tok: Tok::Eof,
        span: Span::new(b.len(), b.len()),
    });
    Ok(out)
}

/// A quoted string or identifier starting at `start` (its quote `q` doubled inside): the
/// unescaped text and the index after the closing quote.
fn quoted(text: &str, start: usize, q: u8) -> Option<(String, usize)> {
    let b = text.as_bytes();
    let mut i = start + 1;
    let mut s = String::new();
    let mut run = i;
    loop {
        let c = *b.get(i)?;
        if c == q {
            s.push_str(&text[run..i]);
            if b.get(i + 1) == Some(&q) {
                s.push(q as char);
                i += 2;
                run = i;
                continue;
            }
            return Some((s, i + 1));
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        tokenize(text).unwrap().into_iter().map(|t| t.tok).collect()
    }

    // The statement forms every test below relies on: keywords fold case, quotes unescape.
    #[test]
    fn tokens_of_a_select() {
        assert_eq!(
            toks(r#"select "a""b" FROM t WHERE x <> 'it''s' AND y<=?"#),
            vec![
                Tok::Keyword("select"),
                Tok::Quoted("a\"b".into()),
                Tok::Keyword("from"),
                Tok::Ident("t".into()),
                Tok::Keyword("where"),
                Tok::Ident("x".into()),
                Tok::Sym("<>"),
                Tok::Str("it's".into()),
                Tok::Keyword("and"),
                Tok::Ident("y".into()),
                Tok::Sym("<="),
                Tok::Param,
                Tok::Eof
            ]
        );
    }

    // Numbers take every form PartiQL admits; a dangling exponent stays outside the number.
    #[test]
    fn numbers_as_written() {
        assert_eq!(
            toks("1 1.5 .5 5. 1e3 2E-2 3e"),
            vec![
                Tok::Num("1".into()),
                Tok::Num("1.5".into()),
                Tok::Num(".5".into()),
                Tok::Num("5.".into()),
                Tok::Num("1e3".into()),
                Tok::Num("2E-2".into()),
                Tok::Num("3".into()),
                Tok::Ident("e".into()),
                Tok::Eof
            ]
        );
    }

    // Unterminated quotes and foreign characters are syntax errors, never panics.
    #[test]
    fn unterminated_input_is_a_syntax_error() {
        for text in ["'abc", "\"abc", "`abc", "/* x", "a # b", "é"] {
            assert!(tokenize(text).is_err(), "{text}");
        }
    }

    // Comments vanish; bag brackets are single tokens.
    #[test]
    fn comments_and_bags() {
        assert_eq!(
            toks("<<1>> -- trailing\n/* block */ x"),
            vec![
                Tok::Sym("<<"),
                Tok::Num("1".into()),
                Tok::Sym(">>"),
                Tok::Ident("x".into()),
                Tok::Eof
            ]
        );
    }
}
