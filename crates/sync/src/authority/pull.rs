//! Answering a pull (docs/protocol.md §4): `plan_pull` says what to read for the request, and
//! `answer_pull` makes the reply of it — nothing when the state did not change since the cookie,
//! the changes since it (a patch) while they are few, else the whole (bounded) state.

use super::{check_client_id, Refusal, MAX_SAFE_INTEGER};
use crate::protocol::{Change, Decided, MutationResult, PullRequest, PullResponse, StoredOutcome, MAX_PATCH, PROTOCOL_VERSION};
use serde::{Deserialize, Serialize};
use siyu_core::state::digest_json;
use siyu_core::time::Instant;
use siyu_core::{MemberState, Program, Stock};

/// A pull returns at most this many results (the most recent ones).
pub const MAX_PULL_RESULTS: usize = 1000;

/// What to read for a pull, given the member's `version` and `stateVersion`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PullPlan {
    /// The cookie taken (none: the first pull, or one from the future).
    pub cookie: Option<u64>,
    /// The cookie sent was ahead of the server: the reply says so.
    pub reset: bool,
    /// Read the member's state.
    pub state: bool,
    /// Read the changes after this seq, at most `MAX_PATCH + 1` decisions and as many compactions.
    pub changes_after: Option<u64>,
    /// Read the client's results after this seq, at most `MAX_PULL_RESULTS`, newest first.
    pub results_after: u64,
}

/// The request's own checks.
pub fn check_pull(request: &PullRequest) -> Result<(), Refusal> {
    if request.protocol != PROTOCOL_VERSION {
        return Err(Refusal::version(request.protocol));
    }
    if request.cookie.is_some_and(|c| c > MAX_SAFE_INTEGER as u64) {
        return Err(Refusal::bad_request("cookie must be 0 to 2^53 − 1", serde_json::json!({ "path": "cookie" })));
    }
    check_client_id(&request.client_id)
}

pub fn plan_pull(request: &PullRequest, version: u64, state_version: u64) -> PullPlan {
    // A cookie from the future (the data was restored or moved) counts as none, and the reply
    // says so, so that the client adopts the state even though the cookie goes down.
    let reset = request.cookie.is_some_and(|c| c > version);
    let cookie = request.cookie.filter(|c| *c <= version);
    let (state, changes_after) = match cookie {
        Some(c) if state_version <= c => (false, None),
        Some(c) => (true, Some(c)),
        None => (true, None),
    };
    PullPlan { cookie, reset, state, changes_after, results_after: cookie.unwrap_or(0) }
}

/// A stored change after the cookie: an applied decision of any of the member's clients, or a
/// compaction that ran after decision `seq`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(tag = "change", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum StoredChange {
    Decided { seq: u64, client_id: String, id: u64, name: String, args: String, at: Instant, outcome: String },
    Compacted { seq: u64, at: Instant },
}

/// A stored result of the pulling client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StoredResult {
    pub id: u64,
    pub outcome: String,
}

/// What the host read for the plan.
#[derive(Clone, Debug, Default)]
pub struct PullRead<'a> {
    pub version: u64,
    pub last_mutation_id: u64,
    /// The state's JSON as stored, when the plan asked for it.
    pub state: Option<&'a str>,
    /// The changes, when the plan asked for them (in any order).
    pub changes: Vec<StoredChange>,
    /// The client's results, newest first.
    pub results: Vec<StoredResult>,
    pub stock: Stock,
}

/// The reply to a pull. Err: something stored is unreadable (an internal error).
pub fn answer_pull(program: &Program, plan: &PullPlan, read: PullRead<'_>, now: Instant) -> Result<PullResponse, String> {
    let (mut state, mut patch, mut state_digest) = (None, None, None);
    if plan.state {
        let text = read.state.ok_or("the plan asked for the state and none was read")?;
        match plan.changes_after {
            Some(_) if read.changes.len() <= MAX_PATCH => {
                let mut changes = read.changes;
                // A compaction runs after the decision of its `seq`.
                changes.sort_by_key(|c| match c {
                    StoredChange::Decided { seq, .. } => (*seq, 0),
                    StoredChange::Compacted { seq, .. } => (*seq, 1),
                });
                patch = Some(changes.into_iter().map(change_of).collect::<Result<Vec<Change>, String>>()?);
                state_digest = Some(digest_json(text));
            }
            _ => state = Some(serde_json::from_str::<MemberState>(text).map_err(|e| format!("stored member state is unreadable: {e}"))?),
        }
    }
    let mut results = Vec::with_capacity(read.results.len());
    for r in read.results.iter().rev() {
        let outcome: StoredOutcome = serde_json::from_str(&r.outcome).map_err(|e| format!("stored outcome is unreadable: {e}"))?;
        results.push(MutationResult { id: r.id, outcome: outcome.into() });
    }
    Ok(PullResponse {
        cookie: read.version,
        last_mutation_id: read.last_mutation_id,
        server_time: now,
        business_day: program.business_day(now),
        state,
        patch,
        state_digest,
        stock: of_program(program, read.stock),
        results,
        reset: plan.reset,
    })
}

/// Only the counters the program in force has (a replaced program leaves its old ones).
pub fn of_program(program: &Program, mut stock: Stock) -> Stock {
    let current = Stock::initial(program);
    stock.remaining.retain(|key, _| current.remaining.contains_key(key));
    stock
}

/// A stored change as a patch carries it.
fn change_of(change: StoredChange) -> Result<Change, String> {
    Ok(match change {
        StoredChange::Decided { seq, client_id, id, name, args, at, outcome } => {
            let args = serde_json::from_str(&args).map_err(|e| format!("stored arguments of decision {seq} are unreadable: {e}"))?;
            // Only an order can take a gift: other outcomes are not read.
            let gifts_taken = if name == "placeOrder" {
                match serde_json::from_str::<StoredOutcome>(&outcome) {
                    Ok(StoredOutcome::Applied { effects, .. }) => Decided::gifts_in(&effects),
                    _ => return Err(format!("stored outcome of decision {seq} is unreadable")),
                }
            } else {
                Vec::new()
            };
            Change { seq, decided: Some(Decided { client_id, id, name, args, at, gifts_taken }), compacted_at: None }
        }
        StoredChange::Compacted { seq, at } => Change { seq, decided: None, compacted_at: Some(at) },
    })
}
