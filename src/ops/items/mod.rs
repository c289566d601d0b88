//! The single-item family: PutItem, GetItem, DeleteItem, UpdateItem. Conditions and updates run
//! inside the engine's write transaction through the callbacks the engine takes.
pub mod delete_item;
pub mod get_item;
pub mod put_item;
pub mod update_item;
