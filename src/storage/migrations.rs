//! Versioned schema migrations driven by `PRAGMA user_version`, applied in one transaction, so
//! a data dir written by an older awsim keeps opening.
use crate::error::Result;
use rusqlite::Connection;

/// Migration N (1-based) brings a database at user_version N-1 to N. Append only, never edit.
const MIGRATIONS: &[&str] = &[
    // 1: tables, items and secondary-index rows.
    "CREATE TABLE tables (
         id INTEGER PRIMARY KEY,
         account TEXT NOT NULL,
         region TEXT NOT NULL,
         name TEXT NOT NULL,
         meta TEXT NOT NULL,
         item_count INTEGER NOT NULL DEFAULT 0,
         size_bytes INTEGER NOT NULL DEFAULT 0,
         UNIQUE (account, region, name)
     );
     CREATE TABLE items (
         table_id INTEGER NOT NULL,
         pk BLOB NOT NULL,
         sk BLOB NOT NULL,
         item BLOB NOT NULL,
         size INTEGER NOT NULL,
         PRIMARY KEY (table_id, pk, sk)
     ) WITHOUT ROWID;
     CREATE TABLE index_items (
         table_id INTEGER NOT NULL,
         index_name TEXT NOT NULL,
         ipk BLOB NOT NULL,
         isk BLOB NOT NULL,
         pk BLOB NOT NULL,
         sk BLOB NOT NULL,
         item BLOB NOT NULL,
         size INTEGER NOT NULL,
         PRIMARY KEY (table_id, index_name, ipk, isk, pk, sk)
     ) WITHOUT ROWID;",
];

pub fn migrate(conn: &mut Connection) -> Result<()> {
    let version: usize =
        conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    if version >= MIGRATIONS.len() {
        return Ok(());
    }
    let tx = conn.transaction()?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Opening twice must be a no-op the second time (a restart re-runs migrate).
    #[test]
    fn migrate_is_idempotent_and_sets_user_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, MIGRATIONS.len());
    }
}
