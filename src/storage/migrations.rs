//! Versioned schema migrations driven by `PRAGMA user_version`, applied in one transaction, so
//! a data dir written by an older awsim keeps opening.
use crate::codec::item::decode_item;
use crate::codec::key::{encode_partition, gsi_tie};
use crate::error::{Error, Result};
use crate::model::IndexKind;
use rusqlite::{params, Connection, Transaction};

enum Migration {
    Sql(&'static str),
    Code(fn(&Transaction) -> Result<()>),
}

/// Migration N (1-based) brings a database at user_version N-1 to N. Append only, never edit.
const MIGRATIONS: &[Migration] = &[
    // 1: tables, items and secondary-index rows.
    Migration::Sql(
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
    ),
    // 2: scan order. Stored partition keys gain their scan-order hash prefix (items.pk, index
    // rows' pk and LSI ipk), and GSI rows a tie-breaker column `t` (keycodec.rs).
    Migration::Code(scan_order_keys),
    // 3: DynamoDB Streams (streams outlive their table until retention ends) and TTL expiry.
    Migration::Sql(
        "CREATE TABLE streams (
             id INTEGER PRIMARY KEY,
             account TEXT NOT NULL,
             region TEXT NOT NULL,
             table_name TEXT NOT NULL,
             label TEXT NOT NULL,
             view_type TEXT NOT NULL,
             key_schema TEXT NOT NULL,
             created REAL NOT NULL,
             shard_id TEXT NOT NULL,
             disabled REAL,
             UNIQUE (account, region, table_name, label)
         );
         CREATE TABLE stream_records (
             seq INTEGER PRIMARY KEY AUTOINCREMENT,
             stream_id INTEGER NOT NULL,
             created REAL NOT NULL,
             event TEXT NOT NULL,
             keys BLOB NOT NULL,
             new_image BLOB,
             old_image BLOB,
             size INTEGER NOT NULL,
             by_ttl INTEGER NOT NULL
         );
         CREATE INDEX stream_records_by_stream ON stream_records (stream_id, seq);
         CREATE INDEX stream_records_by_time ON stream_records (created);
         ALTER TABLE items ADD COLUMN expires REAL;
         CREATE INDEX items_by_expiry ON items (table_id, expires) WHERE expires IS NOT NULL;",
    ),
    // 4: TransactWriteItems ClientRequestTokens, remembered (with the request's fingerprint and
    // what it wrote) in the same transaction as the writes, so a retry never applies twice.
    Migration::Sql(
        "CREATE TABLE transact_tokens (
         account TEXT NOT NULL,
         region TEXT NOT NULL,
         token TEXT NOT NULL,
         fingerprint BLOB NOT NULL,
         at REAL NOT NULL,
         result TEXT NOT NULL,
         PRIMARY KEY (account, region, token)
     ) WITHOUT ROWID;
     CREATE INDEX transact_tokens_at ON transact_tokens (at);",
    ),
    // 5: the service's scan order. Partition hashes become MD5("Outliers" || key bytes) (16
    // bytes instead of DynamoDB Local's 20-byte SHA-1), GSI partitions are hashed like the
    // table's, and GSI ties hash the table key's bytes (codec/key.rs).
    Migration::Code(service_scan_order),
    // 6: global tables. Writes waiting to reach another region's replica (appended in the
    // transaction of the write they replicate), each replicated item's version for last writer
    // wins (a deletion's version stays as a tombstone), and stream records marked as replicated.
    Migration::Sql(
        "CREATE TABLE replication_queue (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             account TEXT NOT NULL,
             table_name TEXT NOT NULL,
             origin TEXT NOT NULL,
             target TEXT NOT NULL,
             pk BLOB NOT NULL,
             sk BLOB NOT NULL,
             item BLOB,
             version INTEGER NOT NULL
         );
         CREATE TABLE item_versions (
             table_id INTEGER NOT NULL,
             pk BLOB NOT NULL,
             sk BLOB NOT NULL,
             version INTEGER NOT NULL,
             origin TEXT NOT NULL,
             deleted INTEGER NOT NULL,
             at REAL NOT NULL,
             PRIMARY KEY (table_id, pk, sk)
         ) WITHOUT ROWID;
         CREATE INDEX item_versions_tombstones ON item_versions (at) WHERE deleted = 1;
         ALTER TABLE stream_records ADD COLUMN replicated INTEGER NOT NULL DEFAULT 0;",
    ),
    // 7: on-demand backups (metadata and a copy of the items, kept after their table is
    // deleted), point-in-time recovery's change log (each change's old image, by time),
    // exports to S3 and imports from it.
    Migration::Sql(
        "CREATE TABLE backups (
         id INTEGER PRIMARY KEY,
         account TEXT NOT NULL,
         region TEXT NOT NULL,
         arn TEXT NOT NULL UNIQUE,
         name TEXT NOT NULL,
         table_name TEXT NOT NULL,
         table_meta TEXT NOT NULL,
         status TEXT NOT NULL,
         backup_type TEXT NOT NULL,
         created REAL NOT NULL,
         item_count INTEGER NOT NULL DEFAULT 0,
         size_bytes INTEGER NOT NULL DEFAULT 0
     );
     CREATE INDEX backups_by_scope ON backups (account, region, created);
     CREATE TABLE backup_items (
         backup_id INTEGER NOT NULL,
         pk BLOB NOT NULL,
         sk BLOB NOT NULL,
         item BLOB NOT NULL,
         size INTEGER NOT NULL,
         PRIMARY KEY (backup_id, pk, sk)
     ) WITHOUT ROWID;
     CREATE TABLE pitr_log (
         seq INTEGER PRIMARY KEY,
         table_id INTEGER NOT NULL,
         pk BLOB NOT NULL,
         sk BLOB NOT NULL,
         at REAL NOT NULL,
         old BLOB,
         old_size INTEGER
     );
     CREATE INDEX pitr_log_by_key ON pitr_log (table_id, pk, sk, at);
     CREATE INDEX pitr_log_by_time ON pitr_log (table_id, at);
     CREATE TABLE exports (
         id INTEGER PRIMARY KEY,
         account TEXT NOT NULL,
         region TEXT NOT NULL,
         arn TEXT NOT NULL UNIQUE,
         table_id INTEGER NOT NULL,
         spec TEXT NOT NULL,
         status TEXT NOT NULL,
         start_time REAL NOT NULL,
         end_time REAL,
         item_count INTEGER NOT NULL DEFAULT 0,
         billed_size INTEGER NOT NULL DEFAULT 0,
         manifest TEXT,
         failure_code TEXT,
         failure_message TEXT
     );
     CREATE TABLE imports (
         id INTEGER PRIMARY KEY,
         account TEXT NOT NULL,
         region TEXT NOT NULL,
         arn TEXT NOT NULL UNIQUE,
         table_id INTEGER NOT NULL,
         spec TEXT NOT NULL,
         status TEXT NOT NULL,
         start_time REAL NOT NULL,
         end_time REAL,
         processed_bytes INTEGER NOT NULL DEFAULT 0,
         processed_items INTEGER NOT NULL DEFAULT 0,
         imported_items INTEGER NOT NULL DEFAULT 0,
         errors INTEGER NOT NULL DEFAULT 0,
         failure_code TEXT,
         failure_message TEXT
     );",
    ),
    // 8: vector indexes. One row per item and vector index (the vector as little-endian f32,
    // the search partition's encoding, the inline filter attributes), written with the item; a
    // NULL vector is a removal kept so in-memory copies catch up (`gen`: the table's write
    // sequence of vector changes, `epoch`: bumped when rows are dropped wholesale).
    Migration::Sql(
        "CREATE TABLE vector_items (
             table_id INTEGER NOT NULL,
             index_name TEXT NOT NULL,
             pk BLOB NOT NULL,
             sk BLOB NOT NULL,
             part BLOB NOT NULL,
             filters BLOB NOT NULL,
             vec BLOB,
             size INTEGER NOT NULL,
             gen INTEGER NOT NULL
         );
         CREATE UNIQUE INDEX vector_items_key ON vector_items (table_id, index_name, pk, sk);
         CREATE INDEX vector_items_gen ON vector_items (table_id, index_name, gen);
         CREATE INDEX vector_items_size ON vector_items (table_id, index_name, size);
         CREATE TABLE vector_gens (
             table_id INTEGER PRIMARY KEY,
             gen INTEGER NOT NULL,
             epoch INTEGER NOT NULL
         );",
    ),
    // 9: awsim's own settings that outlive a restart (the admin clock's offset).
    Migration::Sql(
        "CREATE TABLE settings (
             name TEXT PRIMARY KEY,
             value INTEGER NOT NULL
         ) WITHOUT ROWID;",
    ),
    // 10: bulk put operations (StartBulkPutItems): the request as JSON, status, progress (with
    // where a restarted job resumes) as JSON; and the error records kept for the operation's
    // report until it is written.
    Migration::Sql(
        "CREATE TABLE bulk_operations (
             id INTEGER PRIMARY KEY,
             account TEXT NOT NULL,
             region TEXT NOT NULL,
             arn TEXT NOT NULL UNIQUE,
             table_id INTEGER NOT NULL,
             spec TEXT NOT NULL,
             status TEXT NOT NULL,
             start_time REAL NOT NULL,
             end_time REAL,
             progress TEXT NOT NULL,
             failure_code TEXT,
             failure_message TEXT
         );
         CREATE INDEX bulk_operations_scope ON bulk_operations (account, region, start_time);
         CREATE TABLE bulk_errors (
             operation_id INTEGER NOT NULL,
             record TEXT NOT NULL
         );
         CREATE INDEX bulk_errors_operation ON bulk_errors (operation_id);",
    ),
    // 11: a table's item count and size in a narrow row of their own. Every write updates
    // them; in `tables` the update rewrote the whole row, the table's metadata JSON included
    // (PutItem spent about a tenth of its time there).
    Migration::Sql(
        "CREATE TABLE table_stats (
             id INTEGER PRIMARY KEY,
             item_count INTEGER NOT NULL DEFAULT 0,
             size_bytes INTEGER NOT NULL DEFAULT 0
         );
         INSERT INTO table_stats (id, item_count, size_bytes)
             SELECT id, item_count, size_bytes FROM tables;
         ALTER TABLE tables DROP COLUMN item_count;
         ALTER TABLE tables DROP COLUMN size_bytes;",
    ),
];

const INDEX_ITEMS_V2: &str = "CREATE TABLE index_items (
         table_id INTEGER NOT NULL,
         index_name TEXT NOT NULL,
         ipk BLOB NOT NULL,
         isk BLOB NOT NULL,
         t BLOB NOT NULL,
         pk BLOB NOT NULL,
         sk BLOB NOT NULL,
         item BLOB NOT NULL,
         size INTEGER NOT NULL,
         PRIMARY KEY (table_id, index_name, ipk, isk, t, pk, sk)
     ) WITHOUT ROWID;";

fn scan_order_keys(tx: &Transaction) -> Result<()> {
    tx.execute_batch(&format!(
        "ALTER TABLE items RENAME TO items_v1;
         ALTER TABLE index_items RENAME TO index_items_v1;
         CREATE TABLE items (
             table_id INTEGER NOT NULL,
             pk BLOB NOT NULL,
             sk BLOB NOT NULL,
             item BLOB NOT NULL,
             size INTEGER NOT NULL,
             PRIMARY KEY (table_id, pk, sk)
         ) WITHOUT ROWID;
         {INDEX_ITEMS_V2}"
    ))?;
    let corrupt = |what: &str| Error::internal(format!("migration 2: {what}"));
    for meta in super::load_tables(tx)? {
        let hash_name = &meta.key.hash.name;
        let range_name = meta.key.range.as_ref().map(|r| &r.name);
        let mut insert = tx.prepare(
            "INSERT INTO items (table_id, pk, sk, item, size) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut rows = tx.prepare("SELECT sk, item, size FROM items_v1 WHERE table_id = ?1")?;
        let mut rows = rows.query([meta.id])?;
        while let Some(r) = rows.next()? {
            let (sk, bytes, size): (Vec<u8>, Vec<u8>, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
            let item = decode_item(&bytes).map_err(|_| corrupt("item"))?;
            let hk = item.get(hash_name).ok_or_else(|| corrupt("key"))?;
            insert.execute(params![meta.id, encode_partition(hk), sk, bytes, size])?;
        }
        let mut insert = tx.prepare(
            "INSERT INTO index_items (table_id, index_name, ipk, isk, t, pk, sk, item, size)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let mut rows = tx.prepare(
            "SELECT index_name, ipk, isk, sk, item, size FROM index_items_v1 WHERE table_id = ?1",
        )?;
        let mut rows = rows.query([meta.id])?;
        while let Some(r) = rows.next()? {
            let (index, ipk, isk, sk): (String, Vec<u8>, Vec<u8>, Vec<u8>) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            let (bytes, size): (Vec<u8>, i64) = (r.get(4)?, r.get(5)?);
            let Some(ix) = meta.index(&index) else {
                continue;
            };
            let item = decode_item(&bytes).map_err(|_| corrupt("index row"))?;
            let hk = item.get(hash_name).ok_or_else(|| corrupt("index key"))?;
            let rk = range_name.and_then(|n| item.get(n));
            let pk = encode_partition(hk);
            let (ipk, t) = match ix.kind {
                IndexKind::Local => (pk.clone(), Vec::new()),
                IndexKind::Global => (ipk, gsi_tie(hk, rk)),
            };
            insert.execute(params![meta.id, index, ipk, isk, t, pk, sk, bytes, size])?;
        }
    }
    tx.execute_batch("DROP TABLE items_v1; DROP TABLE index_items_v1;")?;
    Ok(())
}

/// Migration 5: every stored partition key, index partition and tie recomputed from the items
/// themselves, into fresh tables (the keys are primary keys).
fn service_scan_order(tx: &Transaction) -> Result<()> {
    tx.execute_batch(&format!(
        "ALTER TABLE items RENAME TO items_v4;
         ALTER TABLE index_items RENAME TO index_items_v4;
         DROP INDEX items_by_expiry;
         CREATE TABLE items (
             table_id INTEGER NOT NULL,
             pk BLOB NOT NULL,
             sk BLOB NOT NULL,
             item BLOB NOT NULL,
             size INTEGER NOT NULL,
             expires REAL,
             PRIMARY KEY (table_id, pk, sk)
         ) WITHOUT ROWID;
         {INDEX_ITEMS_V2}"
    ))?;
    let corrupt = |what: &str| Error::internal(format!("migration 5: {what}"));
    for meta in super::load_tables(tx)? {
        let hash_name = &meta.key.hash.name;
        let range_name = meta.key.range.as_ref().map(|r| &r.name);
        let mut insert = tx.prepare(
            "INSERT INTO items (table_id, pk, sk, item, size, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut rows =
            tx.prepare("SELECT sk, item, size, expires FROM items_v4 WHERE table_id = ?1")?;
        let mut rows = rows.query([meta.id])?;
        while let Some(r) = rows.next()? {
            let (sk, bytes, size): (Vec<u8>, Vec<u8>, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
            let expires: Option<f64> = r.get(3)?;
            let item = decode_item(&bytes).map_err(|_| corrupt("item"))?;
            let hk = item.get(hash_name).ok_or_else(|| corrupt("key"))?;
            insert.execute(params![
                meta.id,
                encode_partition(hk),
                sk,
                bytes,
                size,
                expires
            ])?;
        }
        let mut insert = tx.prepare(
            "INSERT INTO index_items (table_id, index_name, ipk, isk, t, pk, sk, item, size)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let mut rows = tx.prepare(
            "SELECT index_name, isk, sk, item, size FROM index_items_v4 WHERE table_id = ?1",
        )?;
        let mut rows = rows.query([meta.id])?;
        while let Some(r) = rows.next()? {
            let (index, isk, sk): (String, Vec<u8>, Vec<u8>) = (r.get(0)?, r.get(1)?, r.get(2)?);
            let (bytes, size): (Vec<u8>, i64) = (r.get(3)?, r.get(4)?);
            let Some(ix) = meta.index(&index) else {
                continue;
            };
            let item = decode_item(&bytes).map_err(|_| corrupt("index row"))?;
            let hk = item.get(hash_name).ok_or_else(|| corrupt("index key"))?;
            let rk = range_name.and_then(|n| item.get(n));
            let pk = encode_partition(hk);
            let (ipk, t) = match ix.kind {
                IndexKind::Local => (pk.clone(), Vec::new()),
                IndexKind::Global => {
                    let ih = item
                        .get(&ix.key.hash.name)
                        .ok_or_else(|| corrupt("index partition"))?;
                    (encode_partition(ih), gsi_tie(hk, rk))
                }
            };
            insert.execute(params![meta.id, index, ipk, isk, t, pk, sk, bytes, size])?;
        }
    }
    tx.execute_batch(
        "DROP TABLE items_v4;
         DROP TABLE index_items_v4;
         CREATE INDEX items_by_expiry ON items (table_id, expires) WHERE expires IS NOT NULL;",
    )?;
    Ok(())
}

/// What the migrations build on an empty database, as SQLite's file format (zstd, a few KB): a
/// new database starts as a copy of it instead of running them. Creating its two dozen tables
/// and indexes one statement at a time (each re-read into the schema) took about 0.75 ms, most
/// of awsim's time from exec to the first answer. `fresh_image_is_what_the_migrations_build`
/// checks it against the migrations, and rebuilds it (`AWSIM_BLESS=1 cargo test --lib
/// fresh_image`) when a migration is added.
const FRESH_IMAGE: &[u8] = include_bytes!("fresh.db.zst");

fn user_version(conn: &Connection) -> Result<usize> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize)
}

fn damaged(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("the fresh database image: {e}"))
}

/// Decompresses `image` into a buffer from `sqlite3_malloc` (so SQLite may own and free it);
/// returns it with its length. Null only on a failure already reported as an error.
fn image_buffer(image: &[u8]) -> Result<(std::ptr::NonNull<u8>, usize)> {
    let len = zstd::zstd_safe::get_frame_content_size(image)
        .ok()
        .flatten()
        .ok_or_else(|| damaged("no content size"))? as usize;
    // SAFETY: a plain allocation of `len` bytes (checked for null below).
    let ptr = unsafe { rusqlite::ffi::sqlite3_malloc64(len as u64) }.cast::<u8>();
    let ptr = std::ptr::NonNull::new(ptr).ok_or_else(|| damaged("out of memory"))?;
    // SAFETY: `ptr` is a fresh allocation of `len` bytes, written only through this slice.
    let buf = unsafe { std::slice::from_raw_parts_mut(ptr.as_ptr(), len) };
    match zstd::bulk::decompress_to_buffer(image, buf) {
        Ok(n) if n == len => Ok((ptr, len)),
        outcome => {
            // SAFETY: allocated above by sqlite3_malloc64 and not handed to SQLite.
            unsafe { rusqlite::ffi::sqlite3_free(ptr.as_ptr().cast()) };
            Err(damaged(format!("{outcome:?}")))
        }
    }
}

/// Makes `conn`'s main database a read-only in-memory (memdb) copy of `image`, taken over by
/// SQLite (no page copy, nothing to parse until first use).
fn deserialize(conn: &Connection, image: &[u8]) -> Result<()> {
    use rusqlite::ffi;
    let (ptr, len) = image_buffer(image)?;
    let flags = ffi::SQLITE_DESERIALIZE_FREEONCLOSE | ffi::SQLITE_DESERIALIZE_READONLY;
    // SAFETY: `conn` is open; `ptr` holds `len` bytes from sqlite3_malloc64, which SQLite owns
    // from here on (FREEONCLOSE: it frees them, also when the call fails).
    let rc = unsafe {
        ffi::sqlite3_deserialize(
            conn.handle(),
            c"main".as_ptr(),
            ptr.as_ptr(),
            len as i64,
            len as i64,
            flags,
        )
    };
    if rc != ffi::SQLITE_OK {
        return Err(damaged(format!("SQLite error {rc}")));
    }
    Ok(())
}

/// Gives `conn`, an empty database (a new file), the content of `image`: a read-only copy of the
/// image in memory is copied page by page with SQLite's backup API, which suits a WAL file.
fn apply_image(conn: &mut Connection, image: &[u8]) -> Result<()> {
    let source = Connection::open_in_memory()?;
    deserialize(&source, image)?;
    let copy = rusqlite::backup::Backup::new(&source, conn)?;
    match copy.step(-1)? {
        rusqlite::backup::StepResult::Done => Ok(()),
        other => Err(damaged(format!("the copy stopped: {other:?}"))),
    }
}

/// The file must be a database awsim wrote (or an empty one): a schema version of 0 with tables
/// in it is another program's database. Reading the header also proves it is a database at all.
pub fn check_ours(conn: &Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let objects: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
    if version == 0 && objects > 0 {
        return Err(Error::internal("it has tables but no awsim schema version"));
    }
    Ok(())
}

pub fn migrate(conn: &mut Connection) -> Result<()> {
    let mut version = user_version(conn)?;
    if version > MIGRATIONS.len() {
        return Err(Error::internal(format!(
            "the database was written by a newer awsim (schema version {version}; this awsim knows up to {}): refusing to open it",
            MIGRATIONS.len()
        )));
    }
    let empty = || -> Result<bool> {
        Ok(
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })? == 0,
        )
    };
    if version == 0 && empty()? {
        apply_image(conn, FRESH_IMAGE)?;
        version = user_version(conn)?;
    }
    if version == MIGRATIONS.len() {
        return Ok(());
    }
    let tx = conn.transaction()?;
    for (i, m) in MIGRATIONS.iter().enumerate().skip(version) {
        match m {
            Migration::Sql(sql) => tx.execute_batch(sql)?,
            Migration::Code(f) => f(&tx)?,
        }
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

    /// Every table's columns (name, type, not null, default, key position), whether it has
    /// rowids, and every index's columns and condition: what the schema means, whatever the
    /// text of the statements that made it.
    fn schema(conn: &Connection) -> Vec<String> {
        let mut out = Vec::new();
        let mut objects = conn
            .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
            .unwrap();
        let objects: Vec<(String, String, String, Option<String>)> = objects
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        for (kind, name, table, sql) in objects {
            let sql = sql.unwrap_or_default();
            match kind.as_str() {
                "table" => {
                    let mut cols = conn
                        .prepare(&format!("PRAGMA table_xinfo(\"{name}\")"))
                        .unwrap();
                    let cols: Vec<String> = cols
                        .query_map([], |r| {
                            Ok(format!(
                                "{}:{}:{}:{:?}:{}",
                                r.get::<_, String>(1)?,
                                r.get::<_, String>(2)?,
                                r.get::<_, i64>(3)?,
                                r.get::<_, Option<String>>(4)?,
                                r.get::<_, i64>(5)?
                            ))
                        })
                        .unwrap()
                        .map(|c| c.unwrap())
                        .collect();
                    let rowid = !sql.contains("WITHOUT ROWID");
                    let autoincrement = sql.contains("AUTOINCREMENT");
                    out.push(format!(
                        "table {name} rowid={rowid} autoincrement={autoincrement} {}",
                        cols.join(", ")
                    ));
                }
                "index" => {
                    let mut cols = conn
                        .prepare(&format!("PRAGMA index_xinfo(\"{name}\")"))
                        .unwrap();
                    let cols: Vec<String> = cols
                        .query_map([], |r| {
                            Ok(format!(
                                "{:?}:{}:{}",
                                r.get::<_, Option<String>>(2)?,
                                r.get::<_, i64>(3)?,
                                r.get::<_, i64>(5)?
                            ))
                        })
                        .unwrap()
                        .map(|c| c.unwrap())
                        .collect();
                    let condition = sql
                        .split_once(" WHERE ")
                        .map(|(_, w)| w.split_whitespace().collect::<Vec<_>>().join(" "));
                    out.push(format!(
                        "index {name} on {table} {} where {condition:?}",
                        cols.join(", ")
                    ));
                }
                other => out.push(format!("{other} {name} on {table}")),
            }
        }
        out
    }

    /// Every migration applied one by one to an empty database: what the image must equal.
    fn stepwise() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        for (i, m) in MIGRATIONS.iter().enumerate() {
            match m {
                Migration::Sql(sql) => tx.execute_batch(sql).unwrap(),
                Migration::Code(f) => f(&tx).unwrap(),
            }
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .unwrap();
        }
        tx.commit().unwrap();
        conn
    }

    // A new database starts as a copy of FRESH_IMAGE instead of running the migrations
    // (start-up time); the result must be exactly what they build, or a fresh data dir and an
    // upgraded one would differ. With AWSIM_BLESS set, the image is rebuilt from the migrations
    // first (after adding one); the embedded copy must then be the file on disk.
    #[test]
    fn fresh_image_is_what_the_migrations_build() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/storage/fresh.db.zst");
        let built = stepwise();
        let bless = std::env::var_os("AWSIM_BLESS").is_some();
        if bless {
            let file = std::env::temp_dir().join(format!("awsim-fresh-{}.db", std::process::id()));
            let _ = std::fs::remove_file(&file);
            built
                .execute("VACUUM INTO ?1", [file.to_str().unwrap()])
                .unwrap();
            let packed = zstd::bulk::compress(&std::fs::read(&file).unwrap(), 19).unwrap();
            std::fs::write(path, packed).unwrap();
            let _ = std::fs::remove_file(&file);
        }
        let image = std::fs::read(path).unwrap();
        let mut fresh = Connection::open_in_memory().unwrap();
        apply_image(&mut fresh, &image).unwrap();
        let rebuild = "rebuild it: AWSIM_BLESS=1 cargo test --lib fresh_image";
        assert_eq!(
            user_version(&fresh).unwrap(),
            MIGRATIONS.len(),
            "the image predates the last migration; {rebuild}"
        );
        let (a, b) = (schema(&built), schema(&fresh));
        assert!(a.len() > 20, "{a:#?}");
        assert_eq!(a, b, "the image differs from the migrations; {rebuild}");
        // Nothing but the schema: every table is empty.
        for line in &a {
            let Some(name) = line
                .strip_prefix("table ")
                .and_then(|l| l.split(' ').next())
            else {
                continue;
            };
            let rows: i64 = fresh
                .query_row(&format!("SELECT count(*) FROM \"{name}\""), [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(rows, 0, "{name} has rows in the image");
        }
        assert!(
            bless || FRESH_IMAGE == image.as_slice(),
            "the binary embeds an older image than {path}: build again"
        );
        // And migrate takes that path for a new database.
        if !bless {
            let mut new = Connection::open_in_memory().unwrap();
            migrate(&mut new).unwrap();
            assert_eq!(schema(&new), a);
        }
    }

    // The image replaces only an empty database: a version-0 database with tables in it (not
    // awsim's) is never overwritten by it.
    #[test]
    fn the_image_never_overwrites_a_database_with_tables() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE theirs (x); INSERT INTO theirs VALUES (1);")
            .unwrap();
        assert!(check_ours(&conn).is_err());
        // Even called directly, migrate does not copy the image over it.
        let _ = migrate(&mut conn);
        let kept: i64 = conn
            .query_row("SELECT count(*) FROM theirs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, 1);
    }

    // A data dir written before migration 2 (partition keys without their hash, index rows
    // without the tie column) must open and answer exactly as one written after it. The old
    // layout is rebuilt from a current one by stripping what migrations 2 and later add.
    #[test]
    fn migration_2_rewrites_keys_of_an_existing_data_dir() {
        reopened_after_downgrade(
            "v1",
            "ALTER TABLE tables ADD COLUMN item_count INTEGER NOT NULL DEFAULT 0;
             ALTER TABLE tables ADD COLUMN size_bytes INTEGER NOT NULL DEFAULT 0;
             UPDATE tables SET item_count = (SELECT item_count FROM table_stats s WHERE s.id = tables.id),
                 size_bytes = (SELECT size_bytes FROM table_stats s WHERE s.id = tables.id);
             DROP TABLE table_stats;
             DROP TABLE bulk_operations;
             DROP TABLE bulk_errors;
             DROP TABLE settings;
             DROP TABLE vector_items;
             DROP TABLE vector_gens;
             DROP TABLE backups;
             DROP TABLE backup_items;
             DROP TABLE pitr_log;
             DROP TABLE exports;
             DROP TABLE imports;
             DROP TABLE replication_queue;
             DROP TABLE item_versions;
             DROP TABLE transact_tokens;
             DROP TABLE streams;
             DROP TABLE stream_records;
             DROP INDEX items_by_expiry;
             ALTER TABLE items DROP COLUMN expires;
             UPDATE items SET pk = substr(pk, 17);
             CREATE TABLE old (table_id INTEGER NOT NULL, index_name TEXT NOT NULL, ipk BLOB NOT NULL,
                 isk BLOB NOT NULL, pk BLOB NOT NULL, sk BLOB NOT NULL, item BLOB NOT NULL,
                 size INTEGER NOT NULL, PRIMARY KEY (table_id, index_name, ipk, isk, pk, sk)) WITHOUT ROWID;
             INSERT INTO old SELECT table_id, index_name, substr(ipk, 17), isk, substr(pk, 17), sk,
                 item, size FROM index_items;
             DROP TABLE index_items;
             ALTER TABLE old RENAME TO index_items;
             PRAGMA user_version = 1;",
        );
    }

    // A data dir written before migration 5 (DynamoDB Local's 20-byte scan hashes, GSI
    // partitions stored unhashed, other ties) opens in the service's order and answers as one
    // written after it: the old layout is made by replacing every hash with 20 other bytes (and dropping what later
    // migrations add).
    #[test]
    fn migration_5_rehashes_keys_of_an_existing_data_dir() {
        reopened_after_downgrade(
            "v4",
            "ALTER TABLE tables ADD COLUMN item_count INTEGER NOT NULL DEFAULT 0;
             ALTER TABLE tables ADD COLUMN size_bytes INTEGER NOT NULL DEFAULT 0;
             UPDATE tables SET item_count = (SELECT item_count FROM table_stats s WHERE s.id = tables.id),
                 size_bytes = (SELECT size_bytes FROM table_stats s WHERE s.id = tables.id);
             DROP TABLE table_stats;
             DROP TABLE bulk_operations;
             DROP TABLE bulk_errors;
             DROP TABLE settings;
             DROP TABLE vector_items;
             DROP TABLE vector_gens;
             DROP TABLE backups;
             DROP TABLE backup_items;
             DROP TABLE pitr_log;
             DROP TABLE exports;
             DROP TABLE imports;
             DROP TABLE replication_queue;
             DROP TABLE item_versions;
             ALTER TABLE stream_records DROP COLUMN replicated;
             UPDATE items SET pk = zeroblob(20) || substr(pk, 17);
             CREATE TABLE old AS SELECT table_id, index_name,
                 CASE WHEN t = x'' THEN zeroblob(20) || substr(ipk, 17) ELSE substr(ipk, 17) END AS ipk,
                 isk, CASE WHEN t = x'' THEN t ELSE randomblob(20) END AS t,
                 zeroblob(20) || substr(pk, 17) AS pk, sk, item, size FROM index_items;
             DELETE FROM index_items;
             INSERT INTO index_items SELECT * FROM old;
             DROP TABLE old;
             PRAGMA user_version = 4;",
        );
    }

    /// Writes a table with a GSI and an LSI, reads it, rewrites the database with `downgrade`
    /// (SQL that leaves an older layout and user_version), reopens and reads it again.
    fn reopened_after_downgrade(name: &str, downgrade: &str) {
        use crate::engine::Engine;
        use crate::model::Scope;
        use crate::protocol::Service;
        use serde_json::{json, Value};

        let dir = std::env::temp_dir().join(format!("awsim-migrate-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = crate::Config {
            data_dir: dir.clone(),
            in_memory: false,
            ..crate::Config::in_memory()
        };
        let scope = Scope {
            account: "000000000000".into(),
            region: "us-east-1".into(),
        };
        let call = |engine: &Engine, op: &str, body: Value| -> Value {
            crate::dispatch::call(engine, &scope, Service::DynamoDb, op, &body).unwrap()
        };
        let queries = |engine: &Engine| -> Vec<Value> {
            vec![
                call(engine, "Scan", json!({"TableName": "tbl"})),
                call(
                    engine,
                    "Scan",
                    json!({"TableName": "tbl", "IndexName": "gsi"}),
                ),
                call(
                    engine,
                    "Scan",
                    json!({"TableName": "tbl", "IndexName": "lsi"}),
                ),
                call(
                    engine,
                    "Query",
                    json!({"TableName": "tbl", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"N": "1"}}}),
                ),
                call(
                    engine,
                    "Query",
                    json!({"TableName": "tbl", "IndexName": "gsi", "KeyConditionExpression": "g = :g", "ExpressionAttributeValues": {":g": {"S": "x"}}}),
                ),
                call(
                    engine,
                    "Query",
                    json!({"TableName": "tbl", "IndexName": "lsi", "KeyConditionExpression": "pk = :p AND l > :l", "ExpressionAttributeValues": {":p": {"N": "2"}, ":l": {"S": "a"}}}),
                ),
                call(
                    engine,
                    "GetItem",
                    json!({"TableName": "tbl", "Key": {"pk": {"N": "3"}, "sk": {"S": "c"}}}),
                ),
            ]
        };
        let before = {
            let engine = Engine::open(&config).unwrap();
            call(
                &engine,
                "CreateTable",
                json!({
                    "TableName": "tbl", "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "N"}, {"AttributeName": "sk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "l", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                    "GlobalSecondaryIndexes": [{"IndexName": "gsi", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "KEYS_ONLY"}}],
                    "LocalSecondaryIndexes": [{"IndexName": "lsi", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}]
                }),
            );
            for i in 0..12 {
                let (pk, sk, g) = (
                    (i % 4).to_string(),
                    ["a", "b", "c"][i % 3],
                    ["x", "y"][i % 2],
                );
                call(
                    &engine,
                    "PutItem",
                    json!({"TableName": "tbl", "Item": {
                        "pk": {"N": pk}, "sk": {"S": sk}, "g": {"S": g},
                        "l": {"S": format!("l{i}")}, "v": {"N": i.to_string()}
                    }}),
                );
            }
            let out = queries(&engine);
            engine.close();
            out
        };
        let conn = Connection::open(dir.join("dynamodb.db")).unwrap();
        conn.execute_batch(downgrade).unwrap();
        drop(conn);
        let engine = Engine::open(&config).unwrap();
        assert_eq!(queries(&engine), before);
        engine.close();
        let mut conn = Connection::open(dir.join("dynamodb.db")).unwrap();
        migrate(&mut conn).unwrap();
        drop(conn);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
