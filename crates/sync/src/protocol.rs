//! The sync protocol's messages: one Rust type per wire shape (their TS types are derived from
//! these). The pending queue and rebase live in `replica`, what to do after a refusal in `policy`.
//!
//! See docs/protocol.md for the wire protocol.

use siyu_core::apply::{Effect, Mutation};
use siyu_core::error::{InputError, Rejection};
use siyu_core::state::MemberState;
use siyu_core::stock::Stock;
use siyu_core::time::{Day, Instant};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const PROTOCOL_VERSION: u32 = 1;
/// The most mutations one push may carry.
pub const MAX_BATCH: usize = 100;

/// A mutation as it travels: its per-client id (1, 2, 3… without gaps), the intent, and the
/// device time it was made at (informational: the server uses its own clock).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PushMutation {
    pub id: u64,
    pub name: String,
    #[cfg_attr(target_arch = "wasm32", tsify(type = "unknown"))]
    pub args: Value,
    pub client_time: Instant,
}

impl PushMutation {
    pub fn new(id: u64, mutation: &Mutation, client_time: Instant) -> PushMutation {
        // Through text, so mutations have one serializer in the module, not two.
        let value = serde_json::to_string(mutation).ok().and_then(|t| serde_json::from_str::<Value>(&t).ok());
        let (name, args) = match value {
            Some(Value::Object(mut m)) => (
                m.remove("name").and_then(|n| n.as_str().map(String::from)).unwrap_or_default(),
                m.remove("args").unwrap_or(Value::Object(Default::default())),
            ),
            _ => (String::new(), Value::Null),
        };
        PushMutation { id, name, args, client_time }
    }

    /// The intent, or INVALID_INPUT naming what is wrong with it.
    pub fn mutation(&self) -> Result<Mutation, Rejection> {
        let v = serde_json::json!({ "name": self.name, "args": self.args });
        Ok(InputError::parse::<Mutation>("mutation", &v.to_string())?)
    }

    /// Whether two pushes of the same id carry the same intent.
    pub fn same_payload(&self, other: &PushMutation) -> bool {
        self.name == other.name && self.args == other.args
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PushRequest {
    pub protocol: u32,
    pub client_id: String,
    pub mutations: Vec<PushMutation>,
}

/// A rejection as it travels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, unknown>"))]
    pub details: Value,
}

impl From<&Rejection> for ErrorBody {
    fn from(r: &Rejection) -> Self {
        ErrorBody { code: r.code().to_string(), message: r.message(), details: r.details() }
    }
}

/// What became of a mutation the first time it was applied.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum StoredOutcome {
    Applied { effects: Vec<Effect> },
    Rejected { error: ErrorBody },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum Outcome {
    Applied { effects: Vec<Effect> },
    Rejected { error: ErrorBody },
    /// Seen before: the stored original result.
    Duplicate { original: StoredOutcome },
}

impl Outcome {
    /// The outcome as first decided (unwrapping duplicates).
    pub fn original(&self) -> StoredOutcome {
        match self {
            Outcome::Applied { effects } => StoredOutcome::Applied { effects: effects.clone() },
            Outcome::Rejected { error } => StoredOutcome::Rejected { error: error.clone() },
            Outcome::Duplicate { original } => original.clone(),
        }
    }
}

impl From<StoredOutcome> for Outcome {
    fn from(s: StoredOutcome) -> Self {
        match s {
            StoredOutcome::Applied { effects } => Outcome::Applied { effects },
            StoredOutcome::Rejected { error } => Outcome::Rejected { error },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[cfg_attr(target_arch = "wasm32", tsify(type = "{ id: number } & Outcome"))]
#[serde(rename_all = "camelCase")]
pub struct MutationResult {
    pub id: u64,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// What a client needs of a result: the verdict, not the effects (it adopts the server's state on
/// the next pull). Parsing only this keeps effect decoding out of the browser module.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub id: u64,
    /// "applied", "rejected" or "duplicate".
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub error: Option<ErrorBody>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub original: Option<OriginalVerdict>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct OriginalVerdict {
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub error: Option<ErrorBody>,
}

/// A result as the client reads it: which mutation, and its rejection if it was rejected.
pub trait ResultVerdict {
    fn mutation_id(&self) -> u64;
    fn rejection(&self) -> Option<&ErrorBody>;
}

impl ResultVerdict for Verdict {
    fn mutation_id(&self) -> u64 {
        self.id
    }
    fn rejection(&self) -> Option<&ErrorBody> {
        match self.status.as_str() {
            "rejected" => self.error.as_ref(),
            "duplicate" => self.original.as_ref().filter(|o| o.status == "rejected").and_then(|o| o.error.as_ref()),
            _ => None,
        }
    }
}

impl ResultVerdict for MutationResult {
    fn mutation_id(&self) -> u64 {
        self.id
    }
    fn rejection(&self) -> Option<&ErrorBody> {
        match &self.outcome {
            Outcome::Rejected { error } | Outcome::Duplicate { original: StoredOutcome::Rejected { error } } => Some(error),
            _ => None,
        }
    }
}

/// The reply to a push. Servers send `MutationResult`s; clients may read them as `Verdict`s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct PushResponse<R = MutationResult> {
    pub results: Vec<R>,
    pub last_mutation_id: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PullRequest {
    pub protocol: u32,
    pub client_id: String,
    /// The cookie of the last pull (null the first time).
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "number | null"))]
    pub cookie: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct PullResponse<R = MutationResult> {
    /// The member's state version; never goes backwards.
    pub cookie: u64,
    /// The last mutation of this client the server has decided.
    pub last_mutation_id: u64,
    pub server_time: Instant,
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Day"))]
    pub business_day: Day,
    /// The member's state, or null when unchanged since the cookie.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "MemberState | null"))]
    pub state: Option<MemberState>,
    /// Shared counters (coupon quotas, reward and sale stock) as of now.
    pub stock: Stock,
    /// Results of this client's mutations decided after the cookie, so a lost push reply is
    /// never lost for good.
    pub results: Vec<R>,
    /// The cookie sent was ahead of the server (its data was restored or moved): `state` is the
    /// whole state and the client adopts it even though the cookie went down.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub reset: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_mutation_round_trips_the_intent() {
        let m = Mutation::ClaimCoupon { template: "t1".into() };
        let p = PushMutation::new(4, &m, 99);
        assert_eq!(p.name, "claimCoupon");
        assert_eq!(p.mutation().unwrap(), m);
        let r: Verdict = serde_json::from_str(r#"{"id":3,"status":"duplicate","original":{"status":"rejected","error":{"code":"X","message":"m"}},"effects":[]}"#).unwrap();
        assert_eq!(r.rejection().map(|e| e.code.as_str()), Some("X"));
        let bad = PushMutation { id: 5, name: "fly".into(), args: Value::Null, client_time: 0 };
        assert_eq!(bad.mutation().unwrap_err().code(), "INVALID_INPUT");
    }
}
