//! The sync protocol's messages and the client's sync policy: backoff with full jitter and the
//! clock offset learned from the server. The pending queue and rebase live in `mall`.
//!
//! See docs/protocol.md for the wire protocol.

use crate::apply::{Effect, Mutation};
use crate::error::{InputError, Rejection};
use crate::state::MemberState;
use crate::stock::Stock;
use crate::time::{Day, Instant};
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

/// Full-jitter exponential backoff: attempt n (0-based) waits a uniformly random time in
/// [0, min(cap, base × 2ⁿ)], and never less than the server's Retry-After. `random` is a number in
/// [0, 1) supplied by the caller (the engine reads no random source).
pub fn backoff_delay_ms(attempt: u32, random: f64, retry_after_ms: Option<u64>) -> u64 {
    const BASE_MS: u64 = 1_000;
    const CAP_MS: u64 = 300_000;
    let ceiling = BASE_MS.saturating_mul(1u64 << attempt.min(20)).min(CAP_MS);
    let r = if random.is_finite() { random.clamp(0.0, 1.0) } else { 0.0 };
    let jitter = (ceiling as f64 * r) as u64;
    jitter.max(retry_after_ms.unwrap_or(0))
}

/// What a client does when the server refuses a push or a pull: the sync shim asks and follows,
/// so the policy is tested here, natively, and is the same in every shim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum Recovery {
    /// 409 `OUT_OF_ORDER`: the server decided more than this client knows — pull, then push again.
    CatchUp,
    /// Too large, or refused as a request, with several mutations in the batch: send at most `max`
    /// at a time until the one at fault is alone.
    Shrink { max: usize },
    /// One mutation the server will never decide: it leaves the queue as a reversal with the
    /// server's reason, and the rest moves to a new client id (the server waits for this id).
    RefuseFirst,
    /// The client id cannot go on (its ids were decided for other changes after this device lost
    /// its data, or it is another member's): the same queue goes on under a new client id.
    MoveClient,
    /// 426: the server speaks another protocol; nothing more is sent until the app reloads.
    Halt,
    /// No reply, 408, 429 or 5xx: try again after `backoff_delay_ms`.
    Retry,
    /// Anything else: reported in the status; the next round tries again.
    Report,
}

/// How many times in a row a client catches up after `OUT_OF_ORDER` before reporting it.
pub const MAX_CATCH_UPS: u32 = 3;

/// Whether a failed call is worth retrying: no reply (status 0), 408, 429 and 5xx.
pub fn retryable(status: u16) -> bool {
    status == 0 || status == 408 || status == 429 || status >= 500
}

/// After the server refused a push of `batch` mutations (`status` 0 = no reply) with `code`;
/// `max_hint` is a 413's `details.max`; `catch_ups` counts the `CatchUp`s just before this one.
pub fn push_recovery(status: u16, code: &str, max_hint: Option<u64>, batch: usize, catch_ups: u32) -> Recovery {
    let refused_request = status == 413 || status == 400 || (status == 422 && code != "MUTATION_ID_REUSED");
    match status {
        409 if catch_ups < MAX_CATCH_UPS => Recovery::CatchUp,
        _ if refused_request && batch > 1 => {
            let max = match (status, max_hint) {
                (413, Some(max)) if max > 0 && (max as usize) < batch => max as usize,
                (413, _) => batch.div_ceil(2),
                _ => 1,
            };
            Recovery::Shrink { max }
        }
        _ if refused_request => Recovery::RefuseFirst,
        422 | 403 if code == "MUTATION_ID_REUSED" || code == "CLIENT_NOT_OWNED" => Recovery::MoveClient,
        _ => after_failure(status),
    }
}

/// After the server refused a pull.
pub fn pull_recovery(status: u16, code: &str) -> Recovery {
    match status {
        403 if code == "CLIENT_NOT_OWNED" => Recovery::MoveClient,
        _ => after_failure(status),
    }
}

fn after_failure(status: u16) -> Recovery {
    match status {
        426 => Recovery::Halt,
        s if retryable(s) => Recovery::Retry,
        _ => Recovery::Report,
    }
}

/// The offset to add to device time to get server time, from one request/response exchange:
/// the server's time is taken to be at the midpoint of the round trip.
pub fn clock_offset_ms(sent_at: Instant, received_at: Instant, server_time: Instant) -> i64 {
    let midpoint = sent_at + (received_at - sent_at) / 2;
    server_time - midpoint
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_refusals_are_recovered_from_as_the_protocol_says() {
        use Recovery::*;
        // Out of order: catch up, a few times, then report.
        assert_eq!(push_recovery(409, "OUT_OF_ORDER", None, 5, 0), CatchUp);
        assert_eq!(push_recovery(409, "OUT_OF_ORDER", None, 5, MAX_CATCH_UPS), Report);
        // Too large: the server's maximum when it names a smaller one, else half; alone: refused.
        assert_eq!(push_recovery(413, "BATCH_TOO_LARGE", Some(40), 100, 0), Shrink { max: 40 });
        assert_eq!(push_recovery(413, "BATCH_TOO_LARGE", Some(400), 100, 0), Shrink { max: 50 });
        assert_eq!(push_recovery(413, "BATCH_TOO_LARGE", Some(0), 7, 0), Shrink { max: 4 });
        assert_eq!(push_recovery(413, "BATCH_TOO_LARGE", None, 1, 0), RefuseFirst);
        // Refused as a request: one at a time until the one at fault is alone, then it is refused.
        assert_eq!(push_recovery(400, "BAD_REQUEST", None, 9, 0), Shrink { max: 1 });
        assert_eq!(push_recovery(422, "INVALID_INPUT", None, 2, 0), Shrink { max: 1 });
        assert_eq!(push_recovery(400, "BAD_REQUEST", None, 1, 0), RefuseFirst);
        // The client id cannot go on.
        assert_eq!(push_recovery(422, "MUTATION_ID_REUSED", None, 3, 0), MoveClient);
        assert_eq!(push_recovery(403, "CLIENT_NOT_OWNED", None, 3, 0), MoveClient);
        // Another protocol halts; passing failures are retried; the rest is reported.
        assert_eq!(push_recovery(426, "VERSION_NOT_SUPPORTED", None, 3, 0), Halt);
        for status in [0, 408, 429, 500, 503] {
            assert_eq!(push_recovery(status, "X", None, 3, 0), Retry, "{status}");
        }
        assert_eq!(push_recovery(401, "UNAUTHENTICATED", None, 3, 0), Report);
        assert_eq!(push_recovery(403, "FORBIDDEN", None, 3, 0), Report);
    }

    #[test]
    fn pull_refusals_move_halt_retry_or_report() {
        assert_eq!(pull_recovery(403, "CLIENT_NOT_OWNED"), Recovery::MoveClient);
        assert_eq!(pull_recovery(426, "VERSION_NOT_SUPPORTED"), Recovery::Halt);
        assert_eq!(pull_recovery(0, "NETWORK"), Recovery::Retry);
        assert_eq!(pull_recovery(401, "UNAUTHENTICATED"), Recovery::Report);
        assert_eq!(serde_json::to_value(Recovery::Shrink { max: 4 }).unwrap(), serde_json::json!({ "action": "shrink", "max": 4 }));
    }

    #[test]
    fn backoff_doubles_from_one_second_to_a_five_minute_cap() {
        assert_eq!(backoff_delay_ms(0, 0.999_999, None), 999);
        assert_eq!(backoff_delay_ms(3, 0.5, None), 4_000);
        assert_eq!(backoff_delay_ms(30, 0.999_999_9, None), 299_999);
        assert_eq!(backoff_delay_ms(2, 0.0, Some(7_000)), 7_000);
        assert_eq!(backoff_delay_ms(2, f64::NAN, None), 0);
    }

    #[test]
    fn clock_offset_uses_the_midpoint() {
        assert_eq!(clock_offset_ms(1_000, 1_200, 61_100), 60_000);
    }

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
