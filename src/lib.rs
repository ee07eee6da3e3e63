//! siyu — the rules engine of a private-domain (私域) member mini-mall.
//!
//! The domain modules follow the rulebook's sections and know nothing of WebAssembly: the same
//! code runs in the browser (through `wasm`, the only binding module) and natively on the server.
//! Money is integer fen, time is injected, and every change goes through [`apply::apply`].

pub mod units;
pub mod time;
pub mod error;
pub mod json_path;
pub mod program;
pub mod state;
mod tagged;
mod sort;
pub mod stock;
pub mod checkin;
pub mod points;
pub mod tiers;
pub mod member_day;
pub mod birthday;
pub mod coupons;
pub mod quote;
pub mod orders;
pub mod rewards;
pub mod segments;
pub mod reminders;
pub mod effects;
pub mod apply;
pub mod mall;
pub mod sync;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use apply::{apply, apply_effects, apply_stock, Applied, Ctx, Effect, Mutation};
pub use error::{ProgramError, Rejection};
pub use program::Program;
pub use quote::{Quote, QuoteRequest};
pub use state::MemberState;
pub use stock::Stock;
