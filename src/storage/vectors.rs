//! Rows of vector indexes (migration 7): one per item and vector index, written in the item's
//! write transaction. A removal keeps its row with a NULL vector, and every change takes the
//! table's next `gen`, so a reader holding a copy of an index at some `gen` catches up by reading
//! only the rows changed since (`rows_since`); dropping rows wholesale bumps the table's `epoch`
//! instead, which sends such readers back to a full load. Part of `storage`, the only module
//! importing rusqlite; knows nothing of vectors beyond their bytes.
use super::Tx;
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension};

/// One vector row as stored.
pub struct VectorRow<'a> {
    pub index: &'a str,
    pub pk: &'a [u8],
    pub sk: &'a [u8],
    /// The search partition's encoding (empty without a SearchSchema HASH).
    pub part: &'a [u8],
    /// The inline filter attributes (an encoded item).
    pub filters: &'a [u8],
    /// The vector, little-endian f32.
    pub vec: &'a [u8],
    /// The size of what the index holds for the item (IndexSizeBytes).
    pub size: i64,
}

/// The table's (epoch, gen) of vector changes; (0, 0) before the first.
pub fn state(conn: &Connection, table: i64) -> Result<(i64, i64)> {
    Ok(conn
        .prepare_cached("SELECT epoch, gen FROM vector_gens WHERE table_id = ?1")?
        .query_row([table], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((0, 0)))
}

/// The next gen of the table's vector changes.
fn next_gen(tx: &Tx, table: i64) -> Result<i64> {
    Ok(tx
        .prepare_cached(
            "INSERT INTO vector_gens (table_id, gen, epoch) VALUES (?1, 1, 0)
             ON CONFLICT (table_id) DO UPDATE SET gen = gen + 1 RETURNING gen",
        )?
        .query_row([table], |r| r.get(0))?)
}

/// Writes (inserts or replaces) an item's row of one vector index.
pub fn put(tx: &Tx, table: i64, row: &VectorRow) -> Result<()> {
    let gen = next_gen(tx, table)?;
    tx.prepare_cached(
        "INSERT INTO vector_items (table_id, index_name, pk, sk, part, filters, vec, size, gen)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (table_id, index_name, pk, sk) DO UPDATE SET
             part = excluded.part, filters = excluded.filters, vec = excluded.vec,
             size = excluded.size, gen = excluded.gen",
    )?
    .execute(params![
        table,
        row.index,
        row.pk,
        row.sk,
        row.part,
        row.filters,
        row.vec,
        row.size,
        gen
    ])?;
    Ok(())
}

/// Removes an item from one vector index, if it is there (its row stays, without a vector).
pub fn remove(tx: &Tx, table: i64, index: &str, pk: &[u8], sk: &[u8]) -> Result<()> {
    let present: bool = tx
        .prepare_cached(
            "SELECT 1 FROM vector_items WHERE table_id = ?1 AND index_name = ?2 AND pk = ?3 AND sk = ?4 AND vec IS NOT NULL",
        )?
        .exists(params![table, index, pk, sk])?;
    if present {
        let gen = next_gen(tx, table)?;
        tx.prepare_cached(
            "UPDATE vector_items SET vec = NULL, size = 0, gen = ?5
             WHERE table_id = ?1 AND index_name = ?2 AND pk = ?3 AND sk = ?4",
        )?
        .execute(params![table, index, pk, sk, gen])?;
    }
    Ok(())
}

/// Drops rows wholesale (a deleted vector index, a truncated or deleted table: `index` None for
/// all of the table's) and moves the table to a new epoch.
pub fn drop_rows(tx: &Tx, table: i64, index: Option<&str>) -> Result<()> {
    tx.execute(
        "DELETE FROM vector_items WHERE table_id = ?1 AND (?2 IS NULL OR index_name = ?2)",
        params![table, index],
    )?;
    tx.execute(
        "INSERT INTO vector_gens (table_id, gen, epoch) VALUES (?1, 0, 1)
         ON CONFLICT (table_id) DO UPDATE SET epoch = epoch + 1",
        [table],
    )?;
    Ok(())
}

/// Forgets a deleted table's vector state.
pub fn forget_table(tx: &Tx, table: i64) -> Result<()> {
    drop_rows(tx, table, None)?;
    tx.execute("DELETE FROM vector_gens WHERE table_id = ?1", [table])?;
    Ok(())
}

/// Removals no reader needs any more (at start-up, when no in-memory copy exists).
pub fn purge_removed(tx: &Tx) -> Result<()> {
    tx.execute("DELETE FROM vector_items WHERE vec IS NULL", [])?;
    Ok(())
}

/// Calls `f(pk, sk, part, filters, vec)` for the index's rows changed after `since` (every
/// present row when `since` is None; removals then skipped), `vec` None for a removal.
pub fn rows_since(
    conn: &Connection,
    table: i64,
    index: &str,
    since: Option<i64>,
    mut f: impl FnMut(&[u8], &[u8], &[u8], &[u8], Option<&[u8]>) -> Result<()>,
) -> Result<()> {
    let sql = match since {
        None => "SELECT pk, sk, part, filters, vec FROM vector_items WHERE table_id = ?1 AND index_name = ?2 AND vec IS NOT NULL AND ?3 IS NULL",
        Some(_) => "SELECT pk, sk, part, filters, vec FROM vector_items WHERE table_id = ?1 AND index_name = ?2 AND gen > ?3 ORDER BY gen",
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params![table, index, since])?;
    while let Some(r) = rows.next()? {
        let (pk, sk, part, filters): (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let vec: Option<Vec<u8>> = r.get(4)?;
        f(&pk, &sk, &part, &filters, vec.as_deref())?;
    }
    Ok(())
}

/// Live count and size of one vector index (DescribeTable): a walk of `vector_items_size`, which
/// covers the query (the vectors themselves are never read; a removal has size 0, an entry more).
pub fn stats(conn: &Connection, table: i64, index: &str) -> Result<(i64, i64)> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*), coalesce(sum(size), 0) FROM vector_items WHERE table_id = ?1 AND index_name = ?2 AND size > 0",
        )?
        .query_row(params![table, index], |r| Ok((r.get(0)?, r.get(1)?)))?)
}
