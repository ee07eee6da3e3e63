//! The authority: the server algorithm of docs/protocol.md §3–4 as pure functions, so that any
//! backend decides with the very code `siyu-server` runs. A host (any language, any database)
//! reads what a call names under the member's lock, calls, writes what the call returns in one
//! transaction, and enforces the guards it lists; it never decides anything itself.
//!
//! - `push`: decide a push for one member ([`push::decide_push`]): refusals of the request,
//!   duplicates answered from the stored decisions, the new decisions with everything to store.
//! - `guards`: the rows a database keeps so that two servers can never both take what exists
//!   once (a check-in day, a coupon's use, an order's payment, a stock unit).
//! - `pull`: what to read for a pull and the reply made of it (whole state or patch).
//! - `history`: a history query's range and the page made of the rows read.
//! - `events`: the events a decision tells the merchant's backend (docs/events.md).
//! - `referral`: the referrer's side of a friend's decision (rulebook §14).
//!
//! docs/backend.md says which writes commit together and what to do when a guard fires.

pub mod calls;
pub mod events;
pub mod guards;
pub mod history;
pub mod pull;
pub mod push;
pub mod referral;

use crate::protocol::ErrorBody;
use serde::Serialize;
use serde_json::{json, Value};

pub use guards::{guards_of, Guard};
pub use push::{check_push, decide_push, decided_range, Conflict, Lookups, Member, Needs, PushDecided, PushOptions, PushStep, StoredDecision, Writes};

/// A request refused as a whole: the HTTP status and the error body to answer with. Nothing is
/// written.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
pub struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "Record<string, unknown>"))]
    pub details: Value,
}

impl Refusal {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>, details: Value) -> Refusal {
        Refusal { status, code, message: message.into(), details }
    }

    pub fn bad_request(message: impl Into<String>, details: Value) -> Refusal {
        Refusal::new(400, "BAD_REQUEST", message, details)
    }

    pub fn version(got: u32) -> Refusal {
        Refusal::new(
            426,
            "VERSION_NOT_SUPPORTED",
            format!("protocol {got} is not supported; this server speaks {}", crate::protocol::PROTOCOL_VERSION),
            json!({ "supported": [crate::protocol::PROTOCOL_VERSION], "got": got }),
        )
    }

    pub fn out_of_order(expected: u64, got: u64) -> Refusal {
        Refusal::new(409, "OUT_OF_ORDER", format!("expected mutation {expected} next, got {got}"), json!({ "expected": expected, "got": got }))
    }

    pub fn reused(id: u64) -> Refusal {
        Refusal::new(422, "MUTATION_ID_REUSED", format!("mutation {id} was already decided with another payload"), json!({ "id": id }))
    }

    pub fn not_owned(client: &str) -> Refusal {
        Refusal::new(403, "CLIENT_NOT_OWNED", format!("client {client:?} belongs to another member"), json!({ "clientId": client }))
    }

    /// The error body as the wire carries it.
    pub fn body(&self) -> ErrorBody {
        ErrorBody { code: self.code.to_string(), message: self.message.clone(), details: self.details.clone() }
    }
}

/// The largest integer a device sends (a mutation id, a `clientTime`, a cookie, a history
/// `before`): 2^53 − 1, the largest every JSON parser reads exactly — JavaScript's included, so
/// a JavaScript host passes requests through the authority without changing a number.
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// A member or client id: 1–64 characters of `A-Z a-z 0-9 _ - . :`.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
}

/// A device's client id: valid, and not the store's own (rulebook §15).
pub fn check_client_id(client: &str) -> Result<(), Refusal> {
    if client == siyu_core::apply::STORE_CLIENT {
        Err(Refusal::bad_request(format!("clientId {client:?} is reserved for the store"), json!({ "path": "clientId" })))
    } else if valid_id(client) {
        Ok(())
    } else {
        Err(Refusal::bad_request("clientId must be 1–64 characters of A-Z a-z 0-9 _ - . :", json!({ "path": "clientId" })))
    }
}

/// Turn integral floats into integers; whether any changed. JSON has one number type: `2877398.0`
/// is the integer 2877398 (JSON Schema agrees), so a body refused only for integral numbers
/// written as floats is read again with them as integers. Only up to 2^53 in magnitude, where a
/// float is exact: beyond, `9223372036854775808` (an integer too large for i64, read as a float)
/// could not be told from `9223372036854775807.0`, and stays refused.
pub fn integral_numbers(value: &mut Value) -> bool {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    match value {
        Value::Number(n) => match n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0 && f.abs() <= EXACT) {
            Some(f) => {
                *value = if f < 0.0 { Value::from(f as i64) } else { Value::from(f as u64) };
                true
            }
            None => false,
        },
        Value::Array(items) => items.iter_mut().fold(false, |changed, v| integral_numbers(v) | changed),
        Value::Object(fields) => fields.values_mut().fold(false, |changed, v| integral_numbers(v) | changed),
        _ => false,
    }
}
