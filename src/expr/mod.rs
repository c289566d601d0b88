//! The expression language, pure (no I/O). This milestone has document paths and
//! ProjectionExpression; conditions and updates build on the same paths.
pub mod projection;
