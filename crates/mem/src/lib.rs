//! `memcpy`, `memcmp` and `bcmp` for the engine's MVP build (`scripts/build-pkg.sh`: the module
//! every runtime accepts, without bulk memory). There, every copy the compiler does not inline is
//! a call to the standard library's portable `memcpy`, which moves four bytes per step through
//! shifts when the source is not aligned, and one byte per step below 16 bytes; `memcmp` goes one
//! byte per step. Where wasm is interpreted (WeChat on iOS has no JIT) each wasm instruction
//! costs the same, and those loops were the hottest functions of a restore, a quote and the
//! wallet (8–23 % of the samples in `bench/jsc-profile.mjs`). Wasm loads and stores need no
//! alignment, so these move eight bytes per step whatever the alignment.
//!
//! The symbols are defined only in a wasm32 build without bulk memory; they replace the standard
//! library's (weak) definitions at link time. `#![no_builtins]` keeps the compiler from turning
//! these loops back into calls to `memcpy` (itself). `copy` and `compare` are ordinary functions
//! for the tests.
#![no_std]
#![no_builtins]

/// Copies `n` bytes from `src` to `dest`, which do not overlap.
///
/// # Safety
/// `src` readable and `dest` writable for `n` bytes; the two ranges do not overlap.
#[inline]
pub unsafe fn copy(dest: *mut u8, src: *const u8, n: usize) {
    if n >= 8 {
        let mut i = 0;
        while i + 8 <= n {
            (dest.add(i) as *mut u64).write_unaligned((src.add(i) as *const u64).read_unaligned());
            i += 8;
        }
        if i < n {
            // The last eight bytes, again in part: cheaper than a byte loop, and harmless since
            // the source and the destination do not overlap.
            let last = n - 8;
            (dest.add(last) as *mut u64).write_unaligned((src.add(last) as *const u64).read_unaligned());
        }
    } else if n >= 4 {
        // 4..=7 bytes: the first four and the last four (overlapping when n < 8).
        let head = (src as *const u32).read_unaligned();
        let tail = (src.add(n - 4) as *const u32).read_unaligned();
        (dest as *mut u32).write_unaligned(head);
        (dest.add(n - 4) as *mut u32).write_unaligned(tail);
    } else {
        let mut i = 0;
        while i < n {
            *dest.add(i) = *src.add(i);
            i += 1;
        }
    }
}

/// Compares `n` bytes as unsigned: negative, zero or positive, as C's `memcmp`.
///
/// # Safety
/// `a` and `b` readable for `n` bytes.
#[inline]
pub unsafe fn compare(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    // Equal eight-byte words are skipped; the first unequal one is settled byte by byte.
    while i + 8 <= n && (a.add(i) as *const u64).read_unaligned() == (b.add(i) as *const u64).read_unaligned() {
        i += 8;
    }
    while i < n {
        let (x, y) = (*a.add(i), *b.add(i));
        if x != y {
            return x as i32 - y as i32;
        }
        i += 1;
    }
    0
}

#[cfg(all(target_arch = "wasm32", not(target_feature = "bulk-memory")))]
mod symbols {
    #[no_mangle]
    pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
        super::copy(dest, src, n);
        dest
    }

    #[no_mangle]
    pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        super::compare(a, b, n)
    }

    #[no_mangle]
    pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        super::compare(a, b, n)
    }
}
