//! siyu-sync owns the client side of sync: the protocol's wire types, the optimistic replica of
//! one member (pending queue, rebase) and the policy for refusals. It uses only `siyu-core`, and
//! touches no clock, network, storage or JS: the shims carry bytes and follow its answers. It
//! also owns the server's side of the same protocol as pure functions (`authority`), which every
//! backend — `siyu-server`, the Node backend, any host of the wasm authority — calls to decide.

pub mod authority;
pub mod policy;
pub mod protocol;
pub mod replica;

pub use policy::{backoff_delay_ms, clock_offset_ms, pull_recovery, push_recovery, retryable, Recovery, MAX_CATCH_UPS};
pub use protocol::*;
