//! The expression language, pure (no I/O, no storage): parse (`parser`) -> AST (`ast`, prints
//! back to text) -> validate against the request's `#names`/`:values`, recording which were used
//! (`validate`) -> evaluate on an item (`eval`) or apply an update (`update`). ProjectionExpression
//! lives in `projection`. Every client error carries the service's wording; the operation adds the
//! `Invalid <Parameter>: ` prefix through [`ExprError::into_error`].
pub mod ast;
pub mod eval;
pub mod parser;
pub mod projection;
pub mod reserved;
pub mod update;
pub mod validate;

use crate::error::Error;
use std::fmt;

/// A parse or validation error of one expression, worded as the service words it (without the
/// `Invalid ConditionExpression: ` prefix, which depends on the parameter).
#[derive(Debug, Clone, PartialEq)]
pub enum ExprError {
    Empty,
    Syntax {
        token: String,
        near: String,
    },
    RedundantParentheses,
    ClauseRepeated(&'static str),
    TooDeep,
    IndexOutOfRange(String),
    PathTooDeep(usize),
    TooManyOperators(usize),
    Reserved(String),
    InvalidFunction(String),
    UndefinedName(String),
    UndefinedValue(String),
    /// A function whose result cannot stand where it is (size as a condition, a boolean
    /// function as an operand).
    FunctionMisuse(String),
    FunctionNotInCondition(String),
    FunctionNotInUpdate(String),
    OperandCount {
        function: String,
        count: usize,
    },
    NeedsPath(String),
    OperandType {
        function: String,
        ty: &'static str,
    },
    /// ADD / DELETE with a value of the wrong type (`operand type: STRING, typeSet: ...`).
    ActionOperandType {
        action: &'static str,
        ty: &'static str,
    },
    AttributeTypeName(String),
    BetweenOrder {
        low: String,
        high: String,
    },
    BetweenTypes {
        low: String,
        high: String,
    },
    NotDistinct {
        operator: String,
        first: String,
    },
    Overlap(String, String),
    Conflict(String, String),
    /// The expression's size, which the service states for conditions only.
    TooLong(Option<usize>),
    TooManyInOperands(usize),
}

impl ExprError {
    /// The ValidationException for this error in parameter `param` (e.g. `ConditionExpression`).
    pub fn into_error(self, param: &str) -> Error {
        Error::validation(format!("Invalid {param}: {self}"))
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ExprError::*;
        match self {
            Empty => f.write_str("The expression can not be empty;"),
            Syntax { token, near } => write!(f, "Syntax error; token: \"{token}\", near: \"{near}\""),
            RedundantParentheses => f.write_str("The expression has redundant parentheses;"),
            ClauseRepeated(c) => write!(
                f,
                "The \"{c}\" section can only be used once in an update expression;"
            ),
            TooDeep => f.write_str("The expression has too many nested levels;"),
            IndexOutOfRange(i) => write!(
                f,
                "List index is not within the allowable range; index: [{i}]"
            ),
            PathTooDeep(n) => write!(
                f,
                "The document path has too many nesting levels; nesting levels: {n}"
            ),
            TooManyOperators(n) => write!(
                f,
                "The expression contains too many operators; operator count: {n}"
            ),
            Reserved(w) => write!(
                f,
                "Attribute name is a reserved keyword; reserved keyword: {w}"
            ),
            InvalidFunction(n) => write!(f, "Invalid function name; function: {n}"),
            UndefinedName(n) => write!(
                f,
                "An expression attribute name used in the document path is not defined; attribute name: {n}"
            ),
            UndefinedValue(v) => write!(
                f,
                "An expression attribute value used in expression is not defined; attribute value: {v}"
            ),
            FunctionMisuse(n) => write!(
                f,
                "The function is not allowed to be used this way in an expression; function: {n}"
            ),
            FunctionNotInCondition(n) => write!(
                f,
                "The function is not allowed in a condition expression; function: {n}"
            ),
            FunctionNotInUpdate(n) => write!(
                f,
                "The function is not allowed in an update expression; function: {n}"
            ),
            OperandCount { function, count } => write!(
                f,
                "Incorrect number of operands for operator or function; operator or function: {function}, number of operands: {count}"
            ),
            NeedsPath(n) => write!(
                f,
                "Operator or function requires a document path; operator or function: {n}"
            ),
            OperandType { function, ty } => write!(
                f,
                "Incorrect operand type for operator or function; operator or function: {function}, operand type: {ty}"
            ),
            ActionOperandType { action, ty } => write!(
                f,
                "Incorrect operand type for operator or function; operator: {action}, operand type: {ty}, typeSet: ALLOWED_FOR_{action}_OPERAND"
            ),
            AttributeTypeName(t) => write!(
                f,
                "Invalid attribute type name found; type: {t}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}"
            ),
            BetweenOrder { low, high } => write!(
                f,
                "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {low}, upper bound operand: AttributeValue: {high}"
            ),
            BetweenTypes { low, high } => write!(
                f,
                "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {low}, upper bound operand: AttributeValue: {high}"
            ),
            NotDistinct { operator, first } => write!(
                f,
                "The first operand must be distinct from the remaining operands for this operator or function; operator: {operator}, first operand: {first}"
            ),
            Overlap(a, b) => write!(
                f,
                "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {a}, path two: {b}"
            ),
            Conflict(a, b) => write!(
                f,
                "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {a}, path two: {b}"
            ),
            TooLong(None) => f.write_str("Expression size has exceeded the maximum allowed size;"),
            TooLong(Some(n)) => write!(
                f,
                "Expression size has exceeded the maximum allowed size; expression size: {n}"
            ),
            TooManyInOperands(n) => write!(
                f,
                "The IN operator is provided with too many operands; number of operands: {n}"
            ),
        }
    }
}
