//! The authority as JSON calls: `call(program, op, input) -> output`, one text in and one text
//! out, for hosts that reach the engine through wasm (the npm entry `siyu/authority`, wasmtime,
//! Chicory…). Each call answers one of
//!
//! - `{"ok": …}` — the answer;
//! - `{"refused": {status, code, message, details}}` — refuse the HTTP request with it, write
//!   nothing;
//! - `{"needs": {orders, codes}}` — (decidePush) look these up and call again with `lookups`;
//! - `{"error": {code, message, details}}` — the call itself is malformed (a host's bug) or
//!   something stored is unreadable.
//!
//! Stored things travel as the text the host stored (a state, an outcome, an archive item), so a
//! host never parses or re-encodes them. docs/backend.md lists the calls with examples.

use super::history::{history_page, history_range, parse_query, HistoryRange, HistoryRow};
use super::pull::{answer_pull, check_pull, plan_pull, PullPlan, PullRead, StoredChange, StoredResult};
use super::push::{check_push, decide_push, Lookups, Member, PushOptions, PushStep, StoredDecision};
use super::Refusal;
use crate::protocol::{ErrorBody, PullRequest, PushRequest};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use siyu_core::error::InputError;
use siyu_core::time::Instant;
use siyu_core::{MemberState, Program, Stock};
use std::sync::Arc;

/// Every call's name, for hosts and docs.
pub const CALLS: &[&str] =
    &["program", "initialStock", "newMember", "checkPush", "decidePush", "checkPull", "planPull", "answerPull", "historyRange", "historyPage", "businessDay"];

#[derive(Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewMemberInput {
    pub member_id: String,
    pub now: Instant,
}

#[derive(Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecidePushInput {
    pub member_id: String,
    pub request: PushRequest,
    /// The member's state as stored.
    pub state: String,
    pub version: u64,
    pub state_version: u64,
    pub last_mutation_id: u64,
    pub stock: Stock,
    #[serde(default)]
    pub decided: Vec<StoredDecision>,
    #[serde(default)]
    pub lookups: Lookups,
    #[serde(default)]
    pub options: PushOptions,
    pub now: Instant,
}

#[derive(Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanPullInput {
    pub request: PullRequest,
    pub version: u64,
    pub state_version: u64,
}

#[derive(Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnswerPullInput {
    pub plan: PullPlan,
    pub version: u64,
    pub last_mutation_id: u64,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub changes: Vec<StoredChange>,
    #[serde(default)]
    pub results: Vec<StoredResult>,
    pub stock: Stock,
    pub now: Instant,
}

#[derive(Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HistoryRangeInput {
    pub kind: String,
    /// The query string as received (without `?`).
    #[serde(default)]
    pub query: String,
}

#[derive(Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HistoryPageInput {
    pub range: HistoryRange,
    pub rows: Vec<HistoryRow>,
}

#[derive(Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BusinessDayInput {
    pub now: Instant,
}

/// A decided push as a call answers it.
#[derive(Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct DecidedPush {
    pub results: Vec<crate::protocol::MutationResult>,
    pub complete: bool,
    pub last_mutation_id: u64,
    pub writes: Option<super::push::Writes>,
}

fn ok<T: Serialize>(value: &T) -> String {
    match serde_json::to_string(value) {
        Ok(text) => format!("{{\"ok\":{text}}}"),
        Err(e) => error("INTERNAL", &format!("the answer cannot be written: {e}"), json!({})),
    }
}

fn refused(refusal: &Refusal) -> String {
    json!({ "refused": refusal }).to_string()
}

fn error(code: &str, message: &str, details: Value) -> String {
    json!({ "error": ErrorBody { code: code.into(), message: message.into(), details } }).to_string()
}

/// A call's input, or the error naming the path of its first problem.
fn input<T: DeserializeOwned>(op: &str, text: &str) -> Result<T, String> {
    InputError::parse::<T>("authority call", text).map_err(|e| {
        let rejection = siyu_core::Rejection::from(e);
        error("INVALID_CALL", &format!("{op}: {}", rejection.message()), rejection.details())
    })
}

/// A request body as the host received it: refused 400 naming the path when it is not one
/// (integral numbers written as floats are integers, as siyu-server reads them).
fn request<T: DeserializeOwned>(what: &'static str, text: &str) -> Result<T, String> {
    let e = match InputError::parse::<T>(what, text) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let refusal = {
        let rejection = siyu_core::Rejection::from(e);
        refused(&Refusal::bad_request(rejection.message(), rejection.details()))
    };
    let Ok(mut value) = serde_json::from_str::<Value>(text) else { return Err(refusal) };
    if !super::integral_numbers(&mut value) {
        return Err(refusal);
    }
    serde_json::from_value(value).map_err(|_| refusal)
}

/// Make one call with the program in force.
pub fn call(program: &Program, op: &str, text: &str) -> String {
    match dispatch(program, op, text) {
        Ok(out) | Err(out) => out,
    }
}

fn dispatch(program: &Program, op: &str, text: &str) -> Result<String, String> {
    Ok(match op {
        "program" => ok(program),
        "initialStock" => ok(&Stock::initial(program)),
        "newMember" => {
            let m: NewMemberInput = input(op, text)?;
            if !super::valid_id(&m.member_id) {
                return Ok(refused(&Refusal::bad_request("memberId must be 1–64 characters of A-Z a-z 0-9 _ - . :", json!({ "path": "memberId" }))));
            }
            let state = serde_json::to_string(&MemberState::new(&m.member_id, m.now)).map_err(|e| error("INTERNAL", &e.to_string(), json!({})))?;
            ok(&json!({ "state": state, "referralCode": siyu_core::referral::code_of(&m.member_id) }))
        }
        "checkPush" => {
            let req: PushRequest = request("push request", text)?;
            match check_push(&req) {
                Ok(()) => ok(&req),
                Err(refusal) => refused(&refusal),
            }
        }
        "checkPull" => {
            let req: PullRequest = request("pull request", text)?;
            match check_pull(&req) {
                Ok(()) => ok(&req),
                Err(refusal) => refused(&refusal),
            }
        }
        "decidePush" => {
            let c: DecidePushInput = input(op, text)?;
            let state: MemberState = serde_json::from_str(&c.state).map_err(|e| error("INTERNAL", &format!("the stored member state is unreadable: {e}"), json!({})))?;
            let member = Member { id: &c.member_id, state: Arc::new(state), version: c.version, state_version: c.state_version, last_mutation_id: c.last_mutation_id };
            match decide_push(program, member, &c.stock, &c.request, &c.decided, &c.lookups, &c.options, c.now) {
                PushStep::Refused(refusal) => refused(&refusal),
                PushStep::Needs(needs) => json!({ "needs": needs }).to_string(),
                PushStep::Decided(d) => {
                    let d = *d;
                    ok(&DecidedPush { results: d.results, complete: d.complete, last_mutation_id: d.last_mutation_id, writes: d.writes })
                }
            }
        }
        "planPull" => {
            let c: PlanPullInput = input(op, text)?;
            match check_pull(&c.request) {
                Ok(()) => ok(&plan_pull(&c.request, c.version, c.state_version)),
                Err(refusal) => refused(&refusal),
            }
        }
        "answerPull" => {
            let c: AnswerPullInput = input(op, text)?;
            let read = PullRead { version: c.version, last_mutation_id: c.last_mutation_id, state: c.state.as_deref(), changes: c.changes, results: c.results, stock: c.stock };
            match answer_pull(program, &c.plan, read, c.now) {
                Ok(response) => ok(&response),
                Err(message) => error("INTERNAL", &message, json!({})),
            }
        }
        "historyRange" => {
            let c: HistoryRangeInput = input(op, text)?;
            match parse_query(&c.query).and_then(|query| history_range(&c.kind, &query)) {
                Ok(range) => ok(&range),
                Err(refusal) => refused(&refusal),
            }
        }
        "historyPage" => {
            let c: HistoryPageInput = input(op, text)?;
            match history_page(&c.range, &c.rows) {
                Ok(page) => ok(&page),
                Err(message) => error("INTERNAL", &message, json!({})),
            }
        }
        "businessDay" => {
            let c: BusinessDayInput = input(op, text)?;
            ok(&program.business_day(c.now))
        }
        _ => error("INVALID_CALL", &format!("no call {op:?}"), json!({ "calls": CALLS })),
    })
}
