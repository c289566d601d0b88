//! Pure byte formats shared by the wire and the engine: the binary item codec (`item`) that rows
//! are stored in and that `protocol::json` renders from directly, and the order-preserving key
//! codec (`key`) with the scan-order hash. No SQL and no JSON here: `storage` stores these bytes,
//! `engine` builds them, `protocol` reads them.
pub mod item;
pub mod key;
