//! PartiQL for DynamoDB, pure (no I/O, no JSON, no engine): text -> tokens with spans (`lexer`)
//! -> AST that prints back to text (`ast`, `parser`) -> a plan against a table's schema
//! (`plan`: the statement's kind, table and index, key, projection, condition and update, in
//! the service's words when something is refused), with literals turned into attribute values
//! by `value`. Conditions and updates are lowered onto the expression language's AST (`expr`),
//! so they are validated and evaluated exactly as ConditionExpression and UpdateExpression are.
//! May depend on `model` and `expr`; never on `engine`, `storage`, `ops` or `protocol`.
pub mod ast;
pub mod keywords;
pub mod lexer;
pub mod parser;
pub mod plan;
pub mod value;

use crate::error::Error;
use ast::Span;

/// Why the grammar rejected a statement (for tests and logs: the service says the same thing
/// for all of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// A character or quote the lexer cannot take.
    Lexer,
    /// Something else was needed here.
    Expected(&'static str),
    /// Tokens left after a complete statement.
    Trailing,
    /// Nesting beyond [`parser::MAX_DEPTH`].
    TooDeep,
}

/// A refused statement, before it becomes the service's ValidationException.
#[derive(Debug, Clone, PartialEq)]
pub enum PqlError {
    /// The grammar does not admit the statement: `Statement wasn't well formed, can't be
    /// processed: <statement>`.
    Syntax(Syntax, Span),
    /// The service's message, with the location of the token it points at when it gives one
    /// (`... at 1:8:5`).
    Invalid(String, Option<Span>),
    /// Another error of the service, already complete (a wrong key type, ResourceNotFound...).
    Other(Error),
}

impl PqlError {
    pub fn syntax(why: Syntax, span: Span) -> PqlError {
        PqlError::Syntax(why, span)
    }

    pub fn invalid(message: impl Into<String>) -> PqlError {
        PqlError::Invalid(message.into(), None)
    }

    pub fn at(message: impl Into<String>, span: Span) -> PqlError {
        PqlError::Invalid(message.into(), Some(span))
    }

    /// The ValidationException (or other error) the service answers for this error in
    /// `statement`.
    pub fn into_error(self, statement: &str) -> Error {
        match self {
            PqlError::Syntax(..) => Error::validation(format!(
                "Statement wasn't well formed, can't be processed: {statement}"
            )),
            PqlError::Invalid(m, None) => Error::validation(m),
            PqlError::Invalid(m, Some(span)) => {
                Error::validation(format!("{m} at {}", span.location(statement)))
            }
            PqlError::Other(e) => e,
        }
    }
}

impl From<Error> for PqlError {
    fn from(e: Error) -> Self {
        PqlError::Other(e)
    }
}
