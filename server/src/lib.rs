//! siyu-server owns authority: HTTP (`http`), the push/pull/login service (`service`) and every
//! SQL statement (`store`, over `db`), on SQLite or PostgreSQL. It holds no rule of its own: each
//! pushed mutation is decided by `siyu_core::apply`, the engine the browser runs.
//!
//! See docs/protocol.md (the wire protocol) and docs/server.md (storage, sharding, operations).

pub mod auth;
pub mod clock;
pub mod db;
pub mod demo;
pub mod error;
pub mod events;
pub mod http;
pub mod operator;
pub mod payment;
pub mod referral;
pub mod rng;
pub mod service;
pub mod store;

pub use clock::Clock;
pub use db::{Backend, Db};
pub use error::ApiError;
pub use service::{Config, Service};

/// The demo program shipped with the repository.
pub const DEMO_PROGRAM: &str = include_str!("../../programs/health-food.json");
