//! The sync protocol's messages: one Rust type per wire shape (their TS types are derived from
//! these). The pending queue and rebase live in `replica`, what to do after a refusal in `policy`.
//!
//! See docs/protocol.md for the wire protocol.

use siyu_core::apply::{apply, apply_effects, Ctx, Effect, Mutation};
use siyu_core::compact::compact;
use siyu_core::program::Program;
use siyu_core::error::{InputError, Rejection};
use siyu_core::state::MemberState;
use siyu_core::stock::Stock;
use siyu_core::time::{Day, Instant};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;

/// 2: a pull after the first sends the changes since the cookie (`patch`) instead of the state.
pub const PROTOCOL_VERSION: u32 = 2;
/// The most changes a pull's patch carries; past that the reply carries the whole state.
pub const MAX_PATCH: usize = 500;
/// The most mutations one push may carry.
pub const MAX_BATCH: usize = 100;

/// A mutation as it travels: its per-client id (1, 2, 3… without gaps), the intent, and the
/// device time it was made at (informational: the server uses its own clock). On the wire it is
/// `{id, name, args, clientTime}`: the intent's `name` and `args` sit beside the id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "{ id: number; clientTime: number } & Mutation"))]
#[serde(into = "WireMutation", from = "WireMutation")]
pub struct PushMutation {
    pub id: u64,
    pub intent: Intent,
    pub client_time: Instant,
}

/// What a pushed mutation asks for: a mutation this engine knows, or — sent by a foreign or
/// broken client, or queued by a newer release — one it cannot read, kept as sent so the server
/// can refuse it on its own (`INVALID_INPUT`) and recognise a resend of the same payload.
#[derive(Clone, Debug, PartialEq)]
pub enum Intent {
    Known(Mutation),
    Unreadable { name: String, args: Value },
}

impl Intent {
    /// Reads `{name, args}` as sent.
    pub fn read(name: String, args: Value) -> Intent {
        match Intent::parse(&name, &args) {
            Ok(mutation) => Intent::Known(mutation),
            Err(_) => Intent::Unreadable { name, args },
        }
    }

    fn parse(name: &str, args: &Value) -> Result<Mutation, Rejection> {
        // Through text, so mutations have one decoder in the module (with paths in its errors).
        let text = serde_json::json!({ "name": name, "args": args }).to_string();
        Ok(InputError::parse::<Mutation>("mutation", &text)?)
    }

    /// The mutation, or INVALID_INPUT naming what is wrong with it.
    pub fn mutation(&self) -> Result<Cow<'_, Mutation>, Rejection> {
        match self {
            Intent::Known(mutation) => Ok(Cow::Borrowed(mutation)),
            Intent::Unreadable { name, args } => Intent::parse(name, args).map(Cow::Owned),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Intent::Known(mutation) => mutation.name(),
            Intent::Unreadable { name, .. } => name,
        }
    }

    /// The arguments as they travel.
    pub fn args(&self) -> Value {
        match self {
            Intent::Known(mutation) => {
                // Through text, so mutations have one serializer in the module, not two.
                let value = serde_json::to_string(mutation).ok().and_then(|t| serde_json::from_str::<Value>(&t).ok());
                match value {
                    Some(Value::Object(mut fields)) => fields.remove("args").unwrap_or_else(|| Value::Object(Default::default())),
                    _ => Value::Object(Default::default()),
                }
            }
            Intent::Unreadable { args, .. } => args.clone(),
        }
    }
}

/// `PushMutation`'s wire form.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WireMutation {
    id: u64,
    name: String,
    args: Value,
    client_time: Instant,
}

impl From<WireMutation> for PushMutation {
    fn from(w: WireMutation) -> Self {
        PushMutation { id: w.id, intent: Intent::read(w.name, w.args), client_time: w.client_time }
    }
}

impl From<PushMutation> for WireMutation {
    fn from(p: PushMutation) -> Self {
        WireMutation { id: p.id, name: p.intent.name().to_string(), args: p.intent.args(), client_time: p.client_time }
    }
}

impl PushMutation {
    pub fn new(id: u64, mutation: Mutation, client_time: Instant) -> PushMutation {
        PushMutation { id, intent: Intent::Known(mutation), client_time }
    }

    /// A mutation as a client sent it, readable or not.
    pub fn sent(id: u64, name: &str, args: Value, client_time: Instant) -> PushMutation {
        PushMutation { id, intent: Intent::read(name.to_string(), args), client_time }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PushRequest {
    pub protocol: u32,
    pub client_id: String,
    pub mutations: Vec<PushMutation>,
}

/// A rejection as it travels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    #[serde(default)]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "Record<string, unknown>"))]
    pub details: Value,
}

impl From<&Rejection> for ErrorBody {
    fn from(r: &Rejection) -> Self {
        ErrorBody { code: r.code().to_string(), message: r.message(), details: r.details() }
    }
}

/// What became of a mutation the first time it was applied.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum StoredOutcome {
    Applied {
        effects: Vec<Effect>,
        /// Applied, but not as the device showed it (an offline check-in that arrived after the
        /// grace counts for the server's day, rulebook §1): the device shows it as a reversal.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
        notice: Option<ErrorBody>,
    },
    Rejected { error: ErrorBody },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum Outcome {
    Applied {
        effects: Vec<Effect>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
        notice: Option<ErrorBody>,
    },
    Rejected { error: ErrorBody },
    /// Seen before: the stored original result.
    Duplicate { original: StoredOutcome },
}

impl Outcome {
    /// The outcome as first decided (unwrapping duplicates).
    pub fn original(&self) -> StoredOutcome {
        match self {
            Outcome::Applied { effects, notice } => StoredOutcome::Applied { effects: effects.clone(), notice: notice.clone() },
            Outcome::Rejected { error } => StoredOutcome::Rejected { error: error.clone() },
            Outcome::Duplicate { original } => original.clone(),
        }
    }
}

impl From<StoredOutcome> for Outcome {
    fn from(s: StoredOutcome) -> Self {
        match s {
            StoredOutcome::Applied { effects, notice } => Outcome::Applied { effects, notice },
            StoredOutcome::Rejected { error } => Outcome::Rejected { error },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "{ id: number } & Outcome"))]
#[serde(rename_all = "camelCase")]
pub struct MutationResult {
    pub id: u64,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// What a client needs of a result: the verdict, not the effects (it adopts the server's state on
/// the next pull). Parsing only this keeps effect decoding out of the browser module.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub id: u64,
    pub status: VerdictStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub error: Option<ErrorBody>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub original: Option<OriginalVerdict>,
    /// Applied, but not as the device showed it (see `StoredOutcome::Applied`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub notice: Option<ErrorBody>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct OriginalVerdict {
    pub status: OriginalStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub error: Option<ErrorBody>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub notice: Option<ErrorBody>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum VerdictStatus {
    Applied,
    Rejected,
    /// Seen before: `original` says how it was first decided.
    Duplicate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum OriginalStatus {
    Applied,
    Rejected,
}

/// A result as the client reads it: which mutation, and its rejection if it was rejected.
pub trait ResultVerdict {
    fn mutation_id(&self) -> u64;
    fn rejection(&self) -> Option<&ErrorBody>;
    /// Applied otherwise than the device showed it: shown as a reversal too.
    fn notice(&self) -> Option<&ErrorBody>;
}

impl ResultVerdict for Verdict {
    fn mutation_id(&self) -> u64 {
        self.id
    }
    fn rejection(&self) -> Option<&ErrorBody> {
        match self.status {
            VerdictStatus::Rejected => self.error.as_ref(),
            VerdictStatus::Duplicate => self.original.as_ref().filter(|o| o.status == OriginalStatus::Rejected).and_then(|o| o.error.as_ref()),
            VerdictStatus::Applied => None,
        }
    }
    fn notice(&self) -> Option<&ErrorBody> {
        self.notice.as_ref().or_else(|| self.original.as_ref().and_then(|o| o.notice.as_ref()))
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
    fn notice(&self) -> Option<&ErrorBody> {
        match &self.outcome {
            Outcome::Applied { notice, .. } | Outcome::Duplicate { original: StoredOutcome::Applied { notice, .. } } => notice.as_ref(),
            _ => None,
        }
    }
}

/// The reply to a push. Servers send `MutationResult`s; clients may read them as `Verdict`s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct PushResponse<R = MutationResult> {
    pub results: Vec<R>,
    pub last_mutation_id: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PullRequest {
    pub protocol: u32,
    pub client_id: String,
    /// The cookie of the last pull (null the first time).
    #[serde(default)]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "number | null"))]
    pub cookie: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct PullResponse<R = MutationResult> {
    /// The member's state version; never goes backwards.
    pub cookie: u64,
    /// The last mutation of this client the server has decided.
    pub last_mutation_id: u64,
    pub server_time: Instant,
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "Day"))]
    pub business_day: Day,
    /// The member's whole state: on the first pull, or when a patch would not do. Null when
    /// unchanged since the cookie or when `patch` carries the changes.
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "MemberState | null"))]
    pub state: Option<MemberState>,
    /// The changes since the cookie, oldest first, to apply to the state the cookie stands for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub patch: Option<Vec<Change>>,
    /// With `patch`: the digest of the state it leads to (`MemberState::digest`). A client that
    /// gets another asks for the whole state on its next pull.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub state_digest: Option<String>,
    /// Shared counters (coupon quotas, reward and sale stock) as of now.
    pub stock: Stock,
    /// Results of this client's mutations decided after the cookie, so a lost push reply is
    /// never lost for good.
    pub results: Vec<R>,
    /// The cookie sent was ahead of the server (its data was restored or moved): `state` is the
    /// whole state and the client adopts it even though the cookie went down.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub reset: bool,
}

/// One change to a member's state, as a pull's patch carries it (rulebook §12, docs/protocol.md
/// §4): a decision of one of the member's clients, which the client replays with the same pure
/// `apply` at the time the server decided it, or the compaction the server ran after decision
/// `seq`, which the client replays with the same pure `compact`. Intents are smaller than their
/// effects, and the module that replays them already holds `apply`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Change {
    pub seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub decided: Option<Decided>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub compacted_at: Option<Instant>,
}

/// An applied decision: whose mutation, the intent as pushed, and when the server decided it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Decided {
    pub client_id: String,
    pub id: u64,
    pub name: String,
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "unknown"))]
    pub args: Value,
    pub at: Instant,
    /// The gift counters (§13 满赠) the decision took, by key: a replay gives exactly these gifts,
    /// the others having been out of stock when it was decided. Absent when it took none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(optional))]
    pub gifts_taken: Vec<String>,
}

impl Decided {
    /// The gift counters among a decision's effects.
    pub fn gifts_in(effects: &[siyu_core::Effect]) -> Vec<String> {
        effects
            .iter()
            .filter_map(|e| match e {
                siyu_core::Effect::StockTaken { counter: counter @ siyu_core::stock::Counter::GiftStock(_), .. } => Some(counter.key()),
                _ => None,
            })
            .collect()
    }

    /// The counters a replay sees: unlimited (the server had what the decision took), except the
    /// program's gift stock, which is there for exactly the gifts the decision took.
    fn replay_stock(&self, gift_counters: &[String]) -> Stock {
        let mut stock = Stock::default();
        for key in gift_counters {
            let taken = self.gifts_taken.contains(key);
            stock.remaining.insert(key.clone(), if taken { u32::MAX } else { 0 });
        }
        stock
    }
}

/// The state a patch leads to from `state`, or None when a decision does not replay (the server
/// applied it, so the client's program or state is not the server's): then the client asks for
/// the whole state. Counters are not checked again — the server had what each decision took —
/// but a gift is given as the decision gave it (`giftsTaken`).
pub fn apply_patch(program: &Program, state: &MemberState, patch: &[Change]) -> Option<MemberState> {
    let mut next = state.clone();
    // The program's gift counters, found once for the whole patch.
    let gift_counters: Vec<String> = Stock::initial(program).remaining.into_keys().filter(|k| k.starts_with("giftStock:")).collect();
    for change in patch {
        if let Some(d) = &change.decided {
            let intent = Intent::read(d.name.clone(), d.args.clone());
            let mutation = intent.mutation().ok()?;
            let stock = d.replay_stock(&gift_counters);
            let ctx = Ctx { now: d.at, client_id: &d.client_id, mutation_id: d.id, stock: &stock, archived_order: None, referral_code: None };
            let applied = apply(program, &next, &mutation, &ctx).ok()?;
            apply_effects(&mut next, &applied.effects);
        }
        if let Some(at) = change.compacted_at {
            next = compact(program, &next, at).0;
        }
    }
    Some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_mutation_round_trips_the_intent() {
        let m = Mutation::ClaimCoupon { template: "t1".into() };
        let p = PushMutation::new(4, m.clone(), 99);
        assert_eq!(p.intent.name(), "claimCoupon");
        assert_eq!(serde_json::to_value(&p).unwrap(), serde_json::json!({ "id": 4, "name": "claimCoupon", "args": { "template": "t1" }, "clientTime": 99 }));
        let back: PushMutation = serde_json::from_value(serde_json::to_value(&p).unwrap()).unwrap();
        assert_eq!(*back.intent.mutation().unwrap(), m);
        let r: Verdict = serde_json::from_str(r#"{"id":3,"status":"duplicate","original":{"status":"rejected","error":{"code":"X","message":"m"}},"effects":[]}"#).unwrap();
        assert_eq!(r.rejection().map(|e| e.code.as_str()), Some("X"));
        let bad = PushMutation::sent(5, "fly", Value::Null, 0);
        assert_eq!(bad.intent.mutation().unwrap_err().code(), "INVALID_INPUT");
        assert_eq!(serde_json::to_value(&bad).unwrap()["name"], "fly");
    }

    /// A gift given while its stock lasted replays as given; one that was out of stock when the
    /// server decided replays as not given, whatever the client's own counters say.
    #[test]
    fn a_patch_gives_a_gift_exactly_as_the_decision_did() {
        let program = Program::from_json(include_str!("../../../programs/health-food.json")).expect("demo program");
        let at = 1_796_000_000_000; // 30 Nov 2026 (a Monday), inside the demo's promotions
        let state = MemberState::new("m", at - 1000);
        let order = Mutation::PlaceOrder {
            order_id: "o1".into(),
            lines: vec![siyu_core::state::OrderLine { sku: "protein-1kg".into(), qty: 2 }],
            coupons: vec![],
            points: 0,
            expected_total: 59800,
        };
        let intent = PushMutation::new(1, order, at).intent;
        let change = |gifts_taken: Vec<String>| Change {
            seq: 1,
            decided: Some(Decided { client_id: "c".into(), id: 1, name: intent.name().into(), args: intent.args(), at, gifts_taken }),
            compacted_at: None,
        };
        let given = apply_patch(&program, &state, &[change(vec!["giftStock:wellness-gift#0".into()])]).expect("replays");
        assert_eq!(given.orders[0].gifts.len(), 1);
        let sold_out = apply_patch(&program, &state, &[change(vec![])]).expect("replays");
        assert!(sold_out.orders[0].gifts.is_empty());
        assert_eq!(sold_out.orders[0].total, given.orders[0].total, "the gift does not change the price");
    }
}
