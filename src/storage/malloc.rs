//! SQLite allocates through Rust's global allocator (mimalloc in the binary) instead of the C
//! library's malloc: every statement step, journal page and cursor SQLite allocates then comes
//! from the same fast per-thread heaps as the rest of a request (glibc's malloc and free were
//! about 4 % of PutItem's CPU, issue 19).
//!
//! SQLite asks for a block's size back (`xSize`, `xRealloc`), which Rust's allocator API does
//! not keep: each block carries its size in an 8-byte header, and SQLite gets the address
//! after it (8-byte aligned, as SQLite requires).
use rusqlite::ffi;
use std::alloc::{alloc, dealloc, realloc, Layout};
use std::ffi::{c_int, c_void};

const HEADER: usize = 8;

fn layout(size: usize) -> Layout {
    // A size SQLite asked for (a positive int) plus the header never overflows isize.
    Layout::from_size_align(size + HEADER, HEADER).expect("an int-sized block")
}

unsafe extern "C" fn x_malloc(n: c_int) -> *mut c_void {
    let Ok(n) = usize::try_from(n) else {
        return std::ptr::null_mut();
    };
    // SAFETY: the layout is never zero-sized (the header); the size is written into the
    // header the block starts with.
    unsafe {
        let base = alloc(layout(n));
        if base.is_null() {
            return std::ptr::null_mut();
        }
        (base as *mut u64).write(n as u64);
        base.add(HEADER) as *mut c_void
    }
}

/// The header of a block `x_malloc` returned, and the size it holds.
///
/// # Safety
/// `p` is a non-null block from `x_malloc` or `x_realloc`, not yet freed.
unsafe fn header(p: *mut c_void) -> (*mut u8, usize) {
    // SAFETY: the caller's promise: the header sits right before `p`.
    unsafe {
        let base = (p as *mut u8).sub(HEADER);
        (base, (base as *const u64).read() as usize)
    }
}

unsafe extern "C" fn x_free(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    // SAFETY: SQLite frees only blocks it got from `x_malloc`/`x_realloc`, once.
    unsafe {
        let (base, n) = header(p);
        dealloc(base, layout(n));
    }
}

unsafe extern "C" fn x_realloc(p: *mut c_void, n: c_int) -> *mut c_void {
    let Ok(n) = usize::try_from(n) else {
        return std::ptr::null_mut();
    };
    if p.is_null() {
        // SAFETY: as `x_malloc`.
        return unsafe { x_malloc(n as c_int) };
    }
    // SAFETY: SQLite resizes only its live blocks; the new block keeps the header's place.
    unsafe {
        let (base, old) = header(p);
        let moved = realloc(base, layout(old), n + HEADER);
        if moved.is_null() {
            return std::ptr::null_mut();
        }
        (moved as *mut u64).write(n as u64);
        moved.add(HEADER) as *mut c_void
    }
}

unsafe extern "C" fn x_size(p: *mut c_void) -> c_int {
    if p.is_null() {
        return 0;
    }
    // SAFETY: SQLite asks the size of its live blocks only.
    unsafe { header(p).1 as c_int }
}

unsafe extern "C" fn x_roundup(n: c_int) -> c_int {
    (n + 7) & !7
}

unsafe extern "C" fn x_init(_: *mut c_void) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_shutdown(_: *mut c_void) {}

/// Makes SQLite allocate through Rust's allocator. Before SQLite initialises (SQLite refuses
/// it afterwards, and keeps its own malloc).
pub fn install() {
    let methods = ffi::sqlite3_mem_methods {
        xMalloc: Some(x_malloc),
        xFree: Some(x_free),
        xRealloc: Some(x_realloc),
        xSize: Some(x_size),
        xRoundup: Some(x_roundup),
        xInit: Some(x_init),
        xShutdown: Some(x_shutdown),
        pAppData: std::ptr::null_mut(),
    };
    // SAFETY: SQLITE_CONFIG_MALLOC copies the struct it is given; the functions live forever.
    let _ = unsafe {
        ffi::sqlite3_config(
            ffi::SQLITE_CONFIG_MALLOC,
            &methods as *const ffi::sqlite3_mem_methods,
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_their_size_through_a_reallocation() {
        // SAFETY: blocks from x_malloc/x_realloc, each freed once.
        unsafe {
            let p = x_malloc(13);
            assert_eq!(x_size(p), 13);
            assert_eq!(p as usize % 8, 0);
            std::ptr::write_bytes(p as *mut u8, 7, 13);
            let q = x_realloc(p, 5000);
            assert_eq!(x_size(q), 5000);
            assert_eq!(*(q as *const u8).add(12), 7);
            x_free(q);
            x_free(std::ptr::null_mut());
            assert_eq!(x_roundup(13), 16);
        }
    }
}
