//! siyu-core owns the rules: units and time, the program, the member state, one module per
//! rulebook section, pricing and `apply`. It is pure — no clock, randomness, I/O or JS — and
//! imports nothing of siyu; every layer above (sync, binding, server) calls into it.
//!
//! Layers inside, bottom up: `units`, `time` → `error`, `json_path`, `program`, `state`, `stock`
//! → the rules → `effects` → `apply`. Money is integer fen; time is injected.

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
pub mod promotions;
pub mod quote;
pub mod orders;
pub mod rewards;
pub mod segments;
pub mod reminders;
pub mod operator;
pub mod referral;
pub mod compact;
pub mod effects;
pub mod apply;

pub use apply::{apply, apply_effects, apply_stock, Applied, ArchivedOrder, Ctx, Effect, Mutation};
pub use error::{ProgramError, Rejection};
pub use program::Program;
pub use quote::{Quote, QuoteRequest};
pub use state::MemberState;
pub use stock::Stock;
