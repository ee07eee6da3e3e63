//! siyu-server: the reference backend of the siyu member mini-mall. It keeps authority over every
//! member's state by deciding each pushed mutation with the same engine the browser runs, one
//! database transaction per mutation, on SQLite or PostgreSQL.
//!
//! See docs/protocol.md (the wire protocol) and docs/server.md (storage, sharding, operations).

pub mod auth;
pub mod clock;
pub mod db;
pub mod demo;
pub mod error;
pub mod http;
pub mod rng;
pub mod service;
pub mod store;

pub use clock::Clock;
pub use db::{Backend, Db};
pub use error::ApiError;
pub use service::{Config, Service};

/// The demo program shipped with the repository.
pub const DEMO_PROGRAM: &str = include_str!("../../programs/health-food.json");
