//! SQLite's own page cache, with one cost taken out of every commit.
//!
//! When a B-tree page splits, SQLite sorts the new pages by number, swapping two of them
//! through a temporary page number: the lock page's (1 GiB / page size + 1), which no database
//! page ever uses (`balance_nonroot`). Its page cache then remembers that key as the largest it
//! has held, and at the end of the transaction it is told to drop the pages past the end of
//! the database. With a key that far past the end it cannot drop just the last few: it walks
//! its whole hash table, every bucket and every page. Under PutItem at 16 concurrent requests
//! that walk was a twentieth of the server's CPU, and it grows with the cache, which kept
//! awsim's caches small.
//!
//! This wrapper hands every call to SQLite's default page cache unchanged, and keeps its own
//! record of the largest page number that can be in the cache: any page created by a fetch,
//! any page moved to another number, except the temporary one (always moved away again within
//! the same swap). A truncation with nothing at or past its limit is skipped, since it would
//! drop nothing; any other goes through, and the record comes down to the limit.
use rusqlite::ffi;
use std::ffi::{c_int, c_uint, c_void};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Truncations skipped (nothing to drop) and handed on, for tests.
static SKIPPED: AtomicU64 = AtomicU64::new(0);
static HANDED_ON: AtomicU64 = AtomicU64::new(0);

/// The default page cache's methods, read before ours replace them.
static INNER: OnceLock<Methods> = OnceLock::new();

/// The methods struct holds a raw `pArg` (SQLite's default cache's is null): shared read-only.
struct Methods(ffi::sqlite3_pcache_methods2);
// SAFETY: never written after it is set; SQLite's default page cache may be called from any
// thread (its caches are each used by one thread at a time).
unsafe impl Sync for Methods {}
unsafe impl Send for Methods {}

/// SQLite's lock page byte offset (`PENDING_BYTE`), which decides the temporary page number.
const PENDING_BYTE: u32 = 0x4000_0000;

/// One cache: the default cache's handle, the largest page number that may be in it, and the
/// temporary page number of its page size.
struct Cache {
    inner: *mut ffi::sqlite3_pcache,
    max_key: c_uint,
    swap_key: c_uint,
}

fn inner() -> &'static ffi::sqlite3_pcache_methods2 {
    &INNER.get().expect("installed before use").0
}

/// # Safety
/// `p` is a pointer `x_create` returned and `x_destroy` has not freed; SQLite uses a cache from
/// one thread at a time.
unsafe fn cache<'a>(p: *mut ffi::sqlite3_pcache) -> &'a mut Cache {
    &mut *(p as *mut Cache)
}

unsafe extern "C" fn x_init(_: *mut c_void) -> c_int {
    let m = inner();
    m.xInit.map_or(ffi::SQLITE_OK, |f| f(m.pArg))
}

unsafe extern "C" fn x_shutdown(_: *mut c_void) {
    let m = inner();
    if let Some(f) = m.xShutdown {
        f(m.pArg)
    }
}

unsafe extern "C" fn x_create(
    sz_page: c_int,
    sz_extra: c_int,
    purgeable: c_int,
) -> *mut ffi::sqlite3_pcache {
    let Some(create) = inner().xCreate else {
        return std::ptr::null_mut();
    };
    let inner = create(sz_page, sz_extra, purgeable);
    if inner.is_null() {
        return inner;
    }
    let swap_key = PENDING_BYTE / (sz_page.max(1) as u32) + 1;
    Box::into_raw(Box::new(Cache {
        inner,
        max_key: 0,
        swap_key,
    })) as *mut ffi::sqlite3_pcache
}

unsafe extern "C" fn x_cachesize(p: *mut ffi::sqlite3_pcache, n: c_int) {
    if let Some(f) = inner().xCachesize {
        f(cache(p).inner, n)
    }
}

unsafe extern "C" fn x_pagecount(p: *mut ffi::sqlite3_pcache) -> c_int {
    inner().xPagecount.map_or(0, |f| f(cache(p).inner))
}

unsafe extern "C" fn x_fetch(
    p: *mut ffi::sqlite3_pcache,
    key: c_uint,
    create: c_int,
) -> *mut ffi::sqlite3_pcache_page {
    let c = cache(p);
    let Some(fetch) = inner().xFetch else {
        return std::ptr::null_mut();
    };
    let page = fetch(c.inner, key, create);
    if create != 0 && !page.is_null() && key > c.max_key {
        c.max_key = key;
    }
    page
}

unsafe extern "C" fn x_unpin(
    p: *mut ffi::sqlite3_pcache,
    page: *mut ffi::sqlite3_pcache_page,
    discard: c_int,
) {
    if let Some(f) = inner().xUnpin {
        f(cache(p).inner, page, discard)
    }
}

unsafe extern "C" fn x_rekey(
    p: *mut ffi::sqlite3_pcache,
    page: *mut ffi::sqlite3_pcache_page,
    old: c_uint,
    new: c_uint,
) {
    let c = cache(p);
    if new != c.swap_key && new > c.max_key {
        c.max_key = new;
    }
    if let Some(f) = inner().xRekey {
        f(c.inner, page, old, new)
    }
}

unsafe extern "C" fn x_truncate(p: *mut ffi::sqlite3_pcache, limit: c_uint) {
    let c = cache(p);
    if limit > c.max_key {
        SKIPPED.fetch_add(1, Ordering::Relaxed);
        return; // nothing at or past the limit
    }
    HANDED_ON.fetch_add(1, Ordering::Relaxed);
    if let Some(f) = inner().xTruncate {
        f(c.inner, limit)
    }
    c.max_key = limit.saturating_sub(1);
}

unsafe extern "C" fn x_destroy(p: *mut ffi::sqlite3_pcache) {
    let c = Box::from_raw(p as *mut Cache);
    if let Some(f) = inner().xDestroy {
        f(c.inner)
    }
}

unsafe extern "C" fn x_shrink(p: *mut ffi::sqlite3_pcache) {
    if let Some(f) = inner().xShrink {
        f(cache(p).inner)
    }
}

/// Installs the wrapper. Call before SQLite is initialised (before any connection opens);
/// afterwards SQLite refuses it and keeps its default cache, which is as correct, only slower.
pub fn install() {
    let mut default = std::mem::MaybeUninit::<ffi::sqlite3_pcache_methods2>::zeroed();
    // SAFETY: GETPCACHE2 writes the current methods into the struct it is given.
    let rc = unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_GETPCACHE2, default.as_mut_ptr()) };
    if rc != ffi::SQLITE_OK {
        return;
    }
    // SAFETY: SQLite filled it in (rc is OK).
    let default = unsafe { default.assume_init() };
    if default.xCreate.is_none() || INNER.set(Methods(default)).is_err() {
        return;
    }
    let ours = ffi::sqlite3_pcache_methods2 {
        iVersion: 1,
        pArg: std::ptr::null_mut(),
        xInit: Some(x_init),
        xShutdown: Some(x_shutdown),
        xCreate: Some(x_create),
        xCachesize: Some(x_cachesize),
        xPagecount: Some(x_pagecount),
        xFetch: Some(x_fetch),
        xUnpin: Some(x_unpin),
        xRekey: Some(x_rekey),
        xTruncate: Some(x_truncate),
        xDestroy: Some(x_destroy),
        xShrink: Some(x_shrink),
    };
    // SAFETY: SQLite copies the struct; every function in it lives as long as the process.
    let _ = unsafe {
        ffi::sqlite3_config(
            ffi::SQLITE_CONFIG_PCACHE2,
            &ours as *const ffi::sqlite3_pcache_methods2,
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Store;

    // The wrapper is in place, skips the truncations that would drop nothing, and keeps the
    // ones that must drop pages: a transaction that grows the database by thousands of pages
    // and is rolled back leaves no stale page behind (the database stays intact and holds
    // exactly what was committed), with page splits (and their swaps through the temporary
    // page number) all along.
    #[test]
    fn truncations_are_skipped_only_when_nothing_is_dropped() {
        let store = Store::open(None).unwrap();
        store
            .write(|tx| Ok(tx.execute_batch("CREATE TABLE t (k BLOB PRIMARY KEY, v BLOB)")?))
            .unwrap();
        let put = |k: u64| {
            store.write(|tx| {
                let key = (k.wrapping_mul(0x9E37_79B9_7F4A_7C15)).to_be_bytes();
                tx.execute("INSERT INTO t VALUES (?1, zeroblob(300))", [&key[..]])?;
                Ok(())
            })
        };
        let skipped = SKIPPED.load(Ordering::Relaxed);
        for k in 0..3000 {
            put(k).unwrap();
        }
        assert!(
            SKIPPED.load(Ordering::Relaxed) > skipped,
            "the wrapper is installed"
        );
        let handed_on = HANDED_ON.load(Ordering::Relaxed);
        let grown: crate::error::Result<()> = store.write(|tx| {
            for k in 10_000..30_000u64 {
                tx.execute(
                    "INSERT INTO t VALUES (?1, zeroblob(300))",
                    [&k.to_be_bytes()[..]],
                )?;
            }
            Err(crate::error::Error::validation("rolled back"))
        });
        assert!(grown.is_err());
        assert!(
            HANDED_ON.load(Ordering::Relaxed) > handed_on,
            "the rollback dropped pages"
        );
        for k in 3000..4000 {
            put(k).unwrap();
        }
        let (count, check): (i64, String) = store
            .read(|c| {
                let n = c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
                let ok = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
                Ok((n, ok))
            })
            .unwrap();
        assert_eq!((count, check.as_str()), (4000, "ok"));
    }
}
