//! Deciding a push for one member (docs/protocol.md §3). The host reads, under the member's
//! lock, the member's row, the client's last decided id, the shared counters and the stored
//! decisions of the request's ids the client already had decided; `decide_push` answers with a
//! refusal of the whole request, with what else it needs to read (`Needs`: archived orders,
//! referral codes — call again with them), or with the results and everything to store
//! (`Writes`), which commit together. When a guard fires on commit, roll back and call again on
//! fresh data with `limit: 1` (and, after the same mutation fired twice, `conflict`), passing the
//! results so far as `earlier`, until the reply is `complete`.

use super::events::{events_of, lot_expiries, Event};
use super::guards::{add_counter_deltas, guards_of, Guard};
use super::referral::{referral_of, ReferralTask};
use super::{check_client_id, Refusal, MAX_SAFE_INTEGER};
use crate::protocol::{ErrorBody, Intent, MutationResult, Outcome, PushMutation, PushRequest, StoredOutcome, MAX_BATCH, PROTOCOL_VERSION};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use siyu_core::apply::STORE_CLIENT;
use siyu_core::compact::{compact, Archived};
use siyu_core::effects::CodeLookup;
use siyu_core::time::Instant;
use siyu_core::{apply, apply_effects, apply_stock, ArchivedOrder, Ctx, MemberState, Mutation, Program, Rejection, Stock};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// The largest `args` of one mutation (as compact JSON) the engine is asked to decide. A real
/// intent is far smaller (a cart of 400 lines fits); a larger one is rejected `INVALID_INPUT`
/// without running the rules, so one request cannot occupy a worker (and the member's lock) with
/// a cart of tens of thousands of lines or coupon ids, or store a rejection (whose quote grows
/// with the cart) many times the size of what was sent.
pub const MAX_ARGS_BYTES: usize = 16 * 1024;
/// The longest mutation `name` decided (the longest real one is 13 bytes).
pub const MAX_NAME_BYTES: usize = 64;

/// A decision the host stored (its row), read back to answer a resend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StoredDecision {
    pub id: u64,
    pub name: String,
    /// The arguments' JSON as stored.
    pub args: String,
    pub client_time: Instant,
    /// The outcome's JSON as stored.
    pub outcome: String,
}

/// The member as the host read it under its lock.
#[derive(Clone, Debug)]
pub struct Member<'a> {
    pub id: &'a str,
    pub state: Arc<MemberState>,
    /// Decisions so far (the pull cookie).
    pub version: u64,
    /// The version at which the state last changed.
    pub state_version: u64,
    /// The last mutation id of the pushing client decided.
    pub last_mutation_id: u64,
}

/// What the host looked up for the call: the archive's word on orders the state no longer
/// holds (null: never placed), and what is known of referral codes accepted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Lookups {
    #[serde(default)]
    pub orders: BTreeMap<String, Option<ArchivedOrder>>,
    #[serde(default)]
    pub codes: BTreeMap<String, CodeLookup>,
}

/// What to look up before the call can decide (then call again with them in `Lookups`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Needs {
    /// Order ids: what the order guard rows say of each (placed? refunded? cancelled?).
    pub orders: Vec<String>,
    /// Referral codes: whose each is, and whether its owner was referred by this member.
    pub codes: Vec<String>,
}

/// How to decide this attempt.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PushOptions {
    /// Decide at most this many new mutations (after a guard fired: one at a time).
    #[serde(default)]
    pub limit: Option<usize>,
    /// A guard that fired twice for mutation `id`: it is stored rejected `CONFLICT`.
    #[serde(default)]
    pub conflict: Option<Conflict>,
    /// Results of earlier attempts of this same push, answered as they were.
    #[serde(default)]
    pub earlier: Vec<MutationResult>,
    /// Whether to make the decision's events (docs/events.md).
    #[serde(default)]
    pub events: bool,
}

/// A guard that keeps firing for one mutation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Conflict {
    pub id: u64,
    pub guard: String,
}

/// One decision to store (the `mutations` row): the client's mutation, when it was decided and
/// with what outcome. `seq` is the member's version after it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct DecisionRow {
    pub client_id: String,
    pub id: u64,
    pub seq: u64,
    pub name: String,
    pub args: String,
    pub client_time: Instant,
    /// The instant it was decided at, so a pull's patch replays it the same.
    pub decided_at: Instant,
    pub status: &'static str,
    pub outcome: String,
}

/// One item leaving the working state for the member's archive (rulebook §12).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct ArchiveRow {
    pub kind: &'static str,
    /// What orders and filters it (a check-in's day number; otherwise an instant).
    pub at: i64,
    pub body: String,
}

/// Everything one attempt stores, in one transaction with the member's row.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Writes {
    /// The member's new version (the cookie) and state version.
    pub version: u64,
    pub state_version: u64,
    /// The new state's JSON; null when the state did not change (only rejections).
    pub state: Option<String>,
    /// The pushing client's last decided mutation id.
    pub last_mutation_id: u64,
    pub decisions: Vec<DecisionRow>,
    pub guards: Vec<Guard>,
    /// Shared counters' changes by key (non-zero; apply in key order).
    pub counters: BTreeMap<String, i64>,
    /// What compaction moved to the archive, and when it ran (its `seq` is `version`).
    pub archive: Vec<ArchiveRow>,
    pub compacted_at: Option<Instant>,
    /// The referral code this member accepted (record it as the member's referrer).
    pub referral_accepted: Option<String>,
    pub referral_tasks: Vec<ReferralTask>,
    /// With `events`: the decisions' events and the expiry instants of lots they credited.
    pub events: Vec<Event>,
    pub lot_expiries: Vec<Instant>,
}

/// A decided attempt.
#[derive(Clone, Debug)]
pub struct PushDecided {
    /// Results in request order, as far as this attempt got.
    pub results: Vec<MutationResult>,
    /// Every mutation of the request has its result (else call again, in a new transaction).
    pub complete: bool,
    pub last_mutation_id: u64,
    /// What to store (none: nothing was decided, or the store's change does not apply).
    pub writes: Option<Writes>,
    /// The state after the attempt, when it changed (a host may cache it by `stateVersion`).
    pub state: Option<Arc<MemberState>>,
}

/// What one call comes to.
#[derive(Clone, Debug)]
pub enum PushStep {
    Refused(Refusal),
    Needs(Needs),
    Decided(Box<PushDecided>),
}

/// The request's own checks, before anything is read: protocol, size, client id, ids.
pub fn check_push(request: &PushRequest) -> Result<(), Refusal> {
    if request.protocol != PROTOCOL_VERSION {
        return Err(Refusal::version(request.protocol));
    }
    if request.mutations.len() > MAX_BATCH {
        return Err(Refusal::new(
            413,
            "BATCH_TOO_LARGE",
            format!("a push carries at most {MAX_BATCH} mutations, got {}", request.mutations.len()),
            json!({ "max": MAX_BATCH, "got": request.mutations.len() }),
        ));
    }
    check_client_id(&request.client_id)?;
    for (i, m) in request.mutations.iter().enumerate() {
        if m.id == 0 || m.id > MAX_SAFE_INTEGER as u64 {
            return Err(Refusal::bad_request("mutation ids are 1 to 2^53 − 1", json!({ "path": format!("mutations[{i}].id") })));
        }
        if m.client_time.unsigned_abs() > MAX_SAFE_INTEGER as u64 {
            return Err(Refusal::bad_request("clientTime must be within ±(2^53 − 1)", json!({ "path": format!("mutations[{i}].clientTime") })));
        }
        if i > 0 && Some(m.id) != request.mutations[i - 1].id.checked_add(1) {
            return Err(Refusal::bad_request("mutation ids in a push must be consecutive and ascending", json!({ "path": format!("mutations[{i}].id") })));
        }
    }
    Ok(())
}

/// The ids of the request the client already had decided (`last_mutation_id` and below): the
/// host reads their stored decisions for `decide_push`. None: there are none.
pub fn decided_range(request: &PushRequest, last_mutation_id: u64) -> Option<(u64, u64)> {
    let first = request.mutations.first()?.id;
    let last_seen = request.mutations.iter().map(|m| m.id).filter(|id| *id <= last_mutation_id).max()?;
    Some((first, last_seen))
}

/// Whether a stored mutation is the one pushed again: the same intent made at the same device
/// time. (Two installs handed one client id can make the same change under one id; their times
/// tell them apart, so the second is refused MUTATION_ID_REUSED and moves to a new client id
/// instead of being taken for the first.)
pub fn same_payload(m: &PushMutation, stored: &StoredDecision) -> bool {
    m.client_time == stored.client_time && serde_json::from_str::<Value>(&stored.args).is_ok_and(|args| Intent::read(stored.name.clone(), args) == m.intent)
}

/// Decide a push of `member` (the caller is the store when `request.client_id` is
/// `STORE_CLIENT`; then the request's checks are the caller's). `decided` holds the stored
/// decisions of the request's ids up to the client's last; `now` is the server's clock.
#[allow(clippy::too_many_arguments)]
pub fn decide_push(program: &Program, member: Member<'_>, stock: &Stock, request: &PushRequest, decided: &[StoredDecision], lookups: &Lookups, options: &PushOptions, now: Instant) -> PushStep {
    let client = request.client_id.as_str();
    if client != STORE_CLIENT {
        if let Err(refusal) = check_push(request) {
            return PushStep::Refused(refusal);
        }
    }
    let last = member.last_mutation_id;
    if let Some(first) = request.mutations.first() {
        if first.id > last.saturating_add(1) {
            return PushStep::Refused(Refusal::out_of_order(last.saturating_add(1), first.id));
        }
    }
    // Ids already decided: answered as before, refusing a reused id with another payload.
    let stored: HashMap<u64, &StoredDecision> = decided.iter().map(|d| (d.id, d)).collect();
    let earlier: HashMap<u64, &MutationResult> = options.earlier.iter().map(|r| (r.id, r)).collect();
    let mut results = Vec::with_capacity(request.mutations.len());
    for m in request.mutations.iter().filter(|m| m.id <= last) {
        let Some(row) = stored.get(&m.id) else {
            return PushStep::Refused(Refusal::new(500, "INTERNAL", format!("mutation {} is decided but its stored decision was not given", m.id), json!({ "id": m.id })));
        };
        if !same_payload(m, row) {
            return PushStep::Refused(Refusal::reused(m.id));
        }
        let result = match earlier.get(&m.id) {
            Some(result) => (*result).clone(),
            None => match serde_json::from_str::<StoredOutcome>(&row.outcome) {
                Ok(original) => MutationResult { id: m.id, outcome: Outcome::Duplicate { original } },
                Err(e) => return PushStep::Refused(Refusal::new(500, "INTERNAL", format!("stored outcome of mutation {} is unreadable: {e}", m.id), json!({ "id": m.id }))),
            },
        };
        results.push(result);
    }
    let fresh: Vec<&PushMutation> = request.mutations.iter().filter(|m| m.id > last).take(options.limit.unwrap_or(usize::MAX).max(1)).collect();
    let total = request.mutations.len();
    if fresh.is_empty() {
        let complete = results.len() == total;
        return PushStep::Decided(Box::new(PushDecided { results, complete, last_mutation_id: last, writes: None, state: None }));
    }

    // What the host must look up first.
    let mut needs = Needs::default();
    let (mut orders, mut codes) = (BTreeSet::new(), BTreeSet::new());
    for m in &fresh {
        match m.intent.mutation().as_deref() {
            Ok(Mutation::AcceptReferral { code }) if !lookups.codes.contains_key(code) => {
                codes.insert(code.clone());
            }
            Ok(mutation) => {
                if let Some(id) = mutation.order_id().filter(|id| member.state.order(id).is_none() && !lookups.orders.contains_key(*id)) {
                    orders.insert(id.to_string());
                }
            }
            Err(_) => {}
        }
    }
    if !orders.is_empty() || !codes.is_empty() {
        needs.orders = orders.into_iter().collect();
        needs.codes = codes.into_iter().collect();
        return PushStep::Needs(needs);
    }

    let mut current = member.state.clone();
    let mut counters = stock.clone();
    let mut writes = Writes { version: member.version, state_version: member.state_version, last_mutation_id: last, ..Writes::default() };
    let mut changed = false;
    for m in fresh {
        let id = m.id;
        let args_text = m.intent.args().to_string();
        let intent = m.intent.mutation();
        // An order the state no longer holds may be in the archive: the engine is told what
        // became of it (refunded, or past its window) instead of "not found".
        let archived_order = match intent.as_deref().ok().and_then(Mutation::order_id) {
            Some(order) if current.order(order).is_none() => lookups.orders.get(order).copied().flatten(),
            _ => None,
        };
        // An offline check-in keeps the day it was made on within the grace (rulebook §1);
        // later it counts for today, and the device is told so.
        let (at, notice) = match intent.as_deref() {
            Ok(Mutation::CheckIn {}) => siyu_core::checkin::counted_at(program, m.client_time, now),
            _ => (now, None),
        };
        // A code a member accepts: the engine is told whose it is (rulebook §14).
        let referral_code = match intent.as_deref() {
            Ok(Mutation::AcceptReferral { code }) => lookups.codes.get(code).copied(),
            _ => None,
        };
        let decision = match options.conflict.as_ref().filter(|c| c.id == id).map(|c| &c.guard) {
            Some(guard) => Err(ErrorBody {
                code: "CONFLICT".into(),
                message: format!("the change conflicts with what is already recorded ({guard})"),
                details: json!({ "guard": guard }),
            }),
            None if args_text.len() > MAX_ARGS_BYTES || m.intent.name().len() > MAX_NAME_BYTES => Err(oversized_intent(args_text.len(), m.intent.name().len())),
            None => intent
                .and_then(|mutation| {
                    let ctx = Ctx { now: at, client_id: client, mutation_id: id, stock: &counters, archived_order, referral_code };
                    apply(program, &current, &mutation, &ctx)
                })
                .map_err(|r| ErrorBody::from(&r)),
        };
        // The store's own change that does not apply (an order paid or cancelled meanwhile,
        // another server's sweep first) changes nothing and is not recorded: its caller
        // reports it.
        if let (Err(error), true) = (&decision, client == STORE_CLIENT) {
            results.push(MutationResult { id, outcome: Outcome::Rejected { error: error.clone() } });
            return PushStep::Decided(Box::new(PushDecided { results, complete: true, last_mutation_id: last, writes: None, state: None }));
        }
        writes.version += 1;
        let seq = writes.version;
        let outcome = match decision {
            Ok(applied) => {
                writes.guards.extend(guards_of(&applied.effects));
                add_counter_deltas(&mut writes.counters, &applied.effects);
                let tier_before = options.events.then(|| siyu_core::tiers::current_tier(program, &current, at).id.clone());
                apply_effects(Arc::make_mut(&mut current), &applied.effects);
                apply_stock(&mut counters, &applied.effects);
                let (accepted, tasks) = referral_of(member.id, client, id, seq, &current, &applied.effects);
                writes.referral_accepted = accepted.or(writes.referral_accepted.take());
                writes.referral_tasks.extend(tasks);
                if let Some(before) = &tier_before {
                    let after = &siyu_core::tiers::current_tier(program, &current, at).id;
                    let change = (before != after).then_some((before.as_str(), after.as_str()));
                    writes.events.extend(events_of(member.id, seq, at, change, &applied.effects));
                    writes.lot_expiries.extend(lot_expiries(&applied.effects));
                }
                writes.state_version = seq;
                changed = true;
                StoredOutcome::Applied { effects: applied.effects, notice: notice.map(|n| ErrorBody::from(&Rejection::from(n))) }
            }
            Err(error) => StoredOutcome::Rejected { error },
        };
        let status = match outcome {
            StoredOutcome::Applied { .. } => "applied",
            StoredOutcome::Rejected { .. } => "rejected",
        };
        let outcome_text = match serde_json::to_string(&outcome) {
            Ok(text) => text,
            Err(e) => return PushStep::Refused(Refusal::new(500, "INTERNAL", format!("the outcome of mutation {id} cannot be written: {e}"), json!({ "id": id }))),
        };
        writes.decisions.push(DecisionRow {
            client_id: client.to_string(),
            id,
            seq,
            name: m.intent.name().to_string(),
            args: args_text,
            client_time: m.client_time,
            decided_at: at,
            status,
            outcome: outcome_text,
        });
        writes.last_mutation_id = id;
        results.push(MutationResult { id, outcome: outcome.into() });
    }
    writes.counters.retain(|_, delta| *delta != 0);
    // What can no longer change or show moves to the archive (rulebook §12), in this
    // transaction: the state written stays bounded by the program's windows.
    if changed {
        let (compacted, moved) = compact(program, &current, now);
        if compacted != *current {
            writes.archive = archive_rows(&moved);
            writes.compacted_at = Some(now);
            current = Arc::new(compacted);
        }
        match serde_json::to_string(&*current) {
            Ok(text) => writes.state = Some(text),
            Err(e) => return PushStep::Refused(Refusal::new(500, "INTERNAL", format!("the state cannot be written: {e}"), json!({}))),
        }
    }
    let complete = results.len() == total;
    let last_mutation_id = writes.last_mutation_id;
    PushStep::Decided(Box::new(PushDecided { results, complete, last_mutation_id, writes: Some(writes), state: changed.then_some(current) }))
}

/// The archive rows of what compaction moved, by kind.
pub fn archive_rows(moved: &Archived) -> Vec<ArchiveRow> {
    use super::history::ArchiveKind as K;
    fn rows<T: Serialize>(out: &mut Vec<ArchiveRow>, kind: K, list: &[T], at: impl Fn(&T) -> i64) {
        for item in list {
            if let Ok(body) = serde_json::to_string(item) {
                out.push(ArchiveRow { kind: kind.name(), at: at(item), body });
            }
        }
    }
    let mut out = Vec::new();
    rows(&mut out, K::CheckIns, &moved.check_ins, |c| i64::from(c.day.0));
    rows(&mut out, K::Lots, &moved.lots, |l| l.earned_at);
    rows(&mut out, K::Ledger, &moved.ledger, |e| e.at);
    rows(&mut out, K::Orders, &moved.orders, |o| o.placed_at);
    rows(&mut out, K::Coupons, &moved.coupons, siyu_core::coupons::finished_at);
    rows(&mut out, K::Redemptions, &moved.redemptions, |r| r.at);
    out
}

fn oversized_intent(args_bytes: usize, name_bytes: usize) -> ErrorBody {
    let (path, problem) = if name_bytes > MAX_NAME_BYTES {
        ("name", format!("the name is longer than {MAX_NAME_BYTES} bytes"))
    } else {
        ("args", format!("the arguments are larger than {MAX_ARGS_BYTES} bytes of JSON ({args_bytes})"))
    };
    ErrorBody {
        code: "INVALID_INPUT".into(),
        message: format!("invalid mutation at {path}: {problem}"),
        details: json!({ "input": "mutation", "path": path, "problem": problem, "maxArgsBytes": MAX_ARGS_BYTES }),
    }
}
