//! File formats of data that leaves or enters awsim (exports, imports): pure byte formats, like
//! `codec`, with no I/O and no knowledge of tables or S3. The engine streams items through them.
pub mod csv;
pub mod dynamodb_json;
