//! siyu — the rules engine of a private-domain (私域) member mini-mall, published as one crate:
//! it re-exports the pure engine (`siyu-core`) and the client sync (`siyu-sync`), and holds the
//! wasm binding (`wasm`, wasm32 only), the only code that touches wasm-bindgen; with the
//! `authority` feature, the module is instead the authority's (`authority`: the server algorithm
//! as JSON calls behind a plain C ABI, for any backend that hosts wasm).
//!
//! Money is integer fen, time is injected, and every change goes through [`apply::apply`].

pub use siyu_core::*;

// Links the module's memcpy/memcmp (defined there only for the MVP build).
#[cfg(target_arch = "wasm32")]
use siyu_mem as _;
pub use siyu_sync as sync;

#[cfg(all(target_arch = "wasm32", feature = "binding"))]
pub mod wasm;

#[cfg(all(target_arch = "wasm32", feature = "authority", not(feature = "binding")))]
pub mod authority;
