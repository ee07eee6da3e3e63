//! The authority's wasm binding: `siyu_sync::authority::calls` behind a four-function C ABI, so
//! that any wasm host — the npm entry `siyu/authority` in Node or an edge runtime, wasmtime in
//! Python/Go/.NET/Ruby, Chicory in Java — decides with the engine without wasm-bindgen's glue:
//!
//! - `siyu_alloc(len) -> ptr`: room for an input of `len` bytes (the call takes it back);
//! - `siyu_call(op_ptr, op_len, input_ptr, input_len) -> ptr`: make call `op` (UTF-8) with the
//!   JSON `input`; the answer's JSON is at `ptr` until the next call,
//! - `siyu_output_len() -> len`: its length;
//! - `siyu_free(ptr, len)`: give back an input that was not passed to a call.
//!
//! `loadProgram` (input: the program's JSON) parses and validates the program once; every other
//! call decides with it. Built only with the `authority` feature (scripts/build-pkg.sh), as a
//! module of its own: the storefront's module does not carry it.

use siyu_core::program::Program;
use std::cell::RefCell;

thread_local! {
    static PROGRAM: RefCell<Option<Program>> = const { RefCell::new(None) };
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Room for `len` bytes of input, owned by the module.
#[no_mangle]
pub extern "C" fn siyu_alloc(len: usize) -> *mut u8 {
    let mut buffer = Vec::<u8>::with_capacity(len.max(1));
    let ptr = buffer.as_mut_ptr();
    std::mem::forget(buffer);
    ptr
}

/// Gives back room from `siyu_alloc` that was not passed to a call.
///
/// # Safety
/// `ptr` and `len` must be those of one `siyu_alloc` not yet given back.
#[no_mangle]
pub unsafe extern "C" fn siyu_free(ptr: *mut u8, len: usize) {
    drop(Vec::from_raw_parts(ptr, 0, len.max(1)));
}

/// The length of the last call's answer.
#[no_mangle]
pub extern "C" fn siyu_output_len() -> usize {
    OUTPUT.with(|out| out.borrow().len())
}

/// Makes one call; both buffers come from `siyu_alloc` and are taken back.
///
/// # Safety
/// Each pointer and length must be those of one `siyu_alloc` (filled by the host).
#[no_mangle]
pub unsafe extern "C" fn siyu_call(op_ptr: *mut u8, op_len: usize, input_ptr: *mut u8, input_len: usize) -> *const u8 {
    let op = Vec::from_raw_parts(op_ptr, op_len, op_len.max(1));
    let input = Vec::from_raw_parts(input_ptr, input_len, input_len.max(1));
    let answer = match (std::str::from_utf8(&op), std::str::from_utf8(&input)) {
        (Ok(op), Ok(input)) => answer(op, input),
        _ => r#"{"error":{"code":"INVALID_CALL","message":"the call's name and input must be UTF-8","details":{}}}"#.to_string(),
    };
    OUTPUT.with(|out| {
        let mut out = out.borrow_mut();
        *out = answer.into_bytes();
        out.as_ptr()
    })
}

fn answer(op: &str, input: &str) -> String {
    if op == "loadProgram" {
        return match Program::from_json(input) {
            Ok(program) => {
                PROGRAM.with(|p| *p.borrow_mut() = Some(program));
                r#"{"ok":null}"#.to_string()
            }
            Err(e) => serde_json::json!({ "error": { "code": e.code(), "message": e.to_string(), "details": e.details() } }).to_string(),
        };
    }
    PROGRAM.with(|p| match p.borrow().as_ref() {
        Some(program) => siyu_sync::authority::calls::call(program, op, input),
        None => r#"{"error":{"code":"INVALID_CALL","message":"call loadProgram first","details":{}}}"#.to_string(),
    })
}
