//! awsim: a DynamoDB-compatible emulator. This is the library; `main.rs` only parses flags.
//! Layers (dependencies point down only): server -> protocol -> ops -> engine -> storage -> model.
//! Beside them: `admin` (the `/_awsim/` endpoints, `console` among them), `metrics`, `seed`,
//! and `embedded::Server`, awsim started inside another program's tests.
pub mod admin;
pub mod codec;
pub mod config;
pub mod console;
pub mod dispatch;
pub mod embedded;
pub mod engine;
pub mod error;
pub mod expr;
pub mod formats;
pub mod metrics;
pub mod model;
pub mod objects;
pub mod ops;
pub mod partiql;
pub mod protocol;
pub mod seed;
pub mod server;
pub mod storage;

pub use config::Config;
pub use embedded::Server;
