//! The table family: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable and the
//! TTL settings. Each file reads its model-validated input, runs the service's checks in order
//! and calls the engine's catalogue; none touches items.
pub mod create_table;
pub mod delete_table;
pub mod describe_table;
pub mod list_tables;
pub mod replica_updates;
pub mod time_to_live;
pub mod update_table;
pub mod vector_indexes;
