//! siyu — the rules engine of a private-domain (私域) member mini-mall, published as one crate:
//! it re-exports the pure engine (`siyu-core`) and the client sync (`siyu-sync`), and holds the
//! wasm binding (`wasm`, wasm32 only), the only code that touches wasm-bindgen.
//!
//! Money is integer fen, time is injected, and every change goes through [`apply::apply`].

pub use siyu_core::*;
pub use siyu_sync as sync;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
