//! awsim: a DynamoDB-compatible emulator. This is the library; `main.rs` only parses flags.
//! Layers (dependencies point down only): server -> protocol -> ops -> engine -> storage -> model.
pub mod codec;
pub mod config;
pub mod dispatch;
pub mod engine;
pub mod error;
pub mod expr;
pub mod formats;
pub mod model;
pub mod objects;
pub mod ops;
pub mod partiql;
pub mod protocol;
pub mod server;
pub mod storage;

pub use config::Config;
