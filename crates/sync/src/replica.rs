//! The client side of one member: the optimistic state, the pending queue, id allocation and the
//! rebase after the server answers. The wasm binding wraps this; the sync simulation drives it
//! natively.

use crate::policy::clock_offset_ms;
use crate::protocol::{apply_patch, ErrorBody, Intent, PullRequest, PullResponse, PushMutation, PushRequest, PushResponse, ResultVerdict, MAX_BATCH, PROTOCOL_VERSION};
use siyu_core::apply::{apply, apply_effects, apply_stock, Applied, Ctx, Mutation};
use siyu_core::error::{InputError, Rejection};
use siyu_core::program::Program;
use siyu_core::state::MemberState;
use siyu_core::stock::Stock;
use siyu_core::time::Instant;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, OnceCell};

/// 2: the state may carry `past` (rulebook §12). Version 1 snapshots (written before) load as
/// they are: their state is the whole history, which the server compacts on its next push.
pub const SNAPSHOT_VERSION: u32 = 2;
const OLDEST_SNAPSHOT_VERSION: u32 = 1;

/// A mutation the server rejected after it had been applied optimistically: the UI shows it as a
/// reversal with its code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Reversal {
    pub mutation_id: u64,
    /// The client id the mutation was sent under (ids start again under a new client id).
    #[serde(default)]
    pub client_id: String,
    pub name: String,
    pub error: ErrorBody,
}

/// Everything needed to restore a client after a reload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "ts"), derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Snapshot {
    pub version: u32,
    pub client_id: String,
    /// The id the next mutation gets.
    pub next_mutation_id: u64,
    #[cfg_attr(all(target_arch = "wasm32", feature = "ts"), tsify(type = "number | null"))]
    pub cookie: Option<u64>,
    pub clock_offset_ms: i64,
    /// The last state the server confirmed.
    pub confirmed: MemberState,
    pub stock: Stock,
    /// Applied by the server, not yet in `confirmed` (until the next pull brings the state).
    #[serde(default)]
    pub acknowledged: Vec<PushMutation>,
    /// Not yet decided by the server.
    pub pending: Vec<PushMutation>,
    #[serde(default)]
    pub reversals: Vec<Reversal>,
}

/// `Snapshot` as it is written, borrowed, without `confirmed` (`Mall::snapshot_json` appends the
/// confirmed state's text already written; a test holds it equal to `Snapshot`). serde_json's
/// `raw_value` feature would splice the text in place, but it adds code to every deserializer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotWithoutConfirmed<'a> {
    version: u32,
    client_id: &'a str,
    next_mutation_id: u64,
    cookie: Option<u64>,
    clock_offset_ms: i64,
    stock: &'a Stock,
    acknowledged: &'a [PushMutation],
    pending: &'a [PushMutation],
    reversals: &'a [Reversal],
}

/// The byte range of `key`'s value in the top-level object of `text`, JSON serde_json has read
/// (so well formed, and with each key at most once); None when the key is not there as written
/// (an escaped spelling is not looked for).
fn top_level_value(text: &str, key: &str) -> Option<std::ops::Range<usize>> {
    let b = text.as_bytes();
    let skip_whitespace = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let mut depth = 0usize;
    let mut start: Option<usize> = None;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let open = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                if depth == 1 && start.is_none() && text.get(open + 1..i) == Some(key) {
                    let colon = skip_whitespace(i + 1);
                    if b.get(colon) == Some(&b':') {
                        start = Some(skip_whitespace(colon + 1));
                    }
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                match start {
                    // An object or array value closed; or, at the end, a scalar value did.
                    Some(s) if depth == 1 && matches!(b.get(s), Some(b'{' | b'[')) => return Some(s..i + 1),
                    Some(s) if depth == 0 => return Some(s..text[..i].trim_end().len()),
                    _ => {}
                }
            }
            b',' if depth == 1 => {
                if let Some(s) = start {
                    return Some(s..text[..i].trim_end().len());
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

pub struct Mall {
    pub program: Program,
    client_id: String,
    confirmed: MemberState,
    /// `confirmed` as JSON text, written at the first snapshot after it changed: the confirmed
    /// state changes only with a pull, while a snapshot is written after every change a shopper
    /// makes (a year's member is 30 kB of JSON, milliseconds to write where wasm is interpreted).
    confirmed_json: OnceCell<String>,
    /// The snapshot text this replica was restored from, while `confirmed` is still the state it
    /// holds: the first snapshot takes the confirmed state's text from it instead of writing it
    /// (and lets the rest go).
    restored_from: Cell<Option<String>>,
    /// confirmed + acknowledged + pending, applied optimistically; None while nothing is queued
    /// (then it is `confirmed`: a large member is not copied for nothing).
    state: Option<MemberState>,
    /// Shared counters as the server last sent them.
    stock: Stock,
    /// Those counters with the queued mutations taken into account (None: nothing queued).
    optimistic_stock: Option<Stock>,
    acknowledged: Vec<PushMutation>,
    pending: Vec<PushMutation>,
    next_mutation_id: u64,
    cookie: Option<u64>,
    clock_offset_ms: i64,
    reversals: Vec<Reversal>,
}

impl Mall {
    pub fn new(program: Program, member_id: &str, client_id: &str, now: Instant) -> Mall {
        let state = MemberState::new(member_id, now);
        let stock = Stock::initial(&program);
        Mall {
            program,
            client_id: client_id.to_string(),
            confirmed: state,
            confirmed_json: OnceCell::new(),
            restored_from: Cell::new(None),
            state: None,
            stock,
            optimistic_stock: None,
            acknowledged: Vec::new(),
            pending: Vec::new(),
            next_mutation_id: 1,
            cookie: None,
            clock_offset_ms: 0,
            reversals: Vec::new(),
        }
    }

    pub fn from_snapshot(program: Program, snapshot: Snapshot) -> Result<Mall, InputError> {
        if !(OLDEST_SNAPSHOT_VERSION..=SNAPSHOT_VERSION).contains(&snapshot.version) {
            return Err(InputError::Invalid {
                what: "snapshot",
                path: "version".into(),
                problem: format!("unsupported version {} (this release reads {OLDEST_SNAPSHOT_VERSION} to {SNAPSHOT_VERSION})", snapshot.version),
            });
        }
        let queued: Vec<&PushMutation> = snapshot.acknowledged.iter().chain(&snapshot.pending).collect();
        if let Some((i, _)) = queued.iter().enumerate().find(|(i, p)| p.id >= snapshot.next_mutation_id || (*i > 0 && p.id <= queued[i - 1].id)) {
            return Err(InputError::Invalid {
                what: "snapshot",
                path: format!("pending[{}].id", i.saturating_sub(snapshot.acknowledged.len())),
                problem: "mutation ids must increase and stay below nextMutationId".into(),
            });
        }
        let mut mall = Mall {
            program,
            client_id: snapshot.client_id,
            state: None,
            confirmed: snapshot.confirmed,
            confirmed_json: OnceCell::new(),
            restored_from: Cell::new(None),
            stock: snapshot.stock,
            optimistic_stock: None,
            acknowledged: snapshot.acknowledged,
            pending: snapshot.pending,
            next_mutation_id: snapshot.next_mutation_id,
            cookie: snapshot.cookie,
            clock_offset_ms: snapshot.clock_offset_ms,
            reversals: snapshot.reversals,
        };
        mall.rebuild();
        Ok(mall)
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            version: SNAPSHOT_VERSION,
            client_id: self.client_id.clone(),
            next_mutation_id: self.next_mutation_id,
            cookie: self.cookie,
            clock_offset_ms: self.clock_offset_ms,
            confirmed: self.confirmed.clone(),
            stock: self.stock.clone(),
            acknowledged: self.acknowledged.clone(),
            pending: self.pending.clone(),
            reversals: self.reversals.clone(),
        }
    }

    /// The snapshot as JSON text (`Snapshot`, its `confirmed` last), written without copying the
    /// state, and with the confirmed state's text reused from the last snapshot when no pull
    /// changed it.
    pub fn snapshot_json(&self) -> Result<String, serde_json::Error> {
        let confirmed = match self.confirmed_json.get() {
            Some(text) => text,
            None => {
                let restored = self.restored_from.take().and_then(|t| top_level_value(&t, "confirmed").map(|span| t[span].to_string()));
                let text = match restored {
                    Some(text) => text,
                    None => serde_json::to_string(&self.confirmed)?,
                };
                self.confirmed_json.get_or_init(|| text)
            }
        };
        let mut text = serde_json::to_string(&SnapshotWithoutConfirmed {
            version: SNAPSHOT_VERSION,
            client_id: &self.client_id,
            next_mutation_id: self.next_mutation_id,
            cookie: self.cookie,
            clock_offset_ms: self.clock_offset_ms,
            stock: &self.stock,
            acknowledged: &self.acknowledged,
            pending: &self.pending,
            reversals: &self.reversals,
        })?;
        // `{…}` → `{…,"confirmed":…}` (the struct always has fields, so a comma goes before it).
        text.pop();
        text.reserve(confirmed.len() + 14);
        text.push_str(",\"confirmed\":");
        text.push_str(confirmed);
        text.push('}');
        Ok(text)
    }

    /// The confirmed state is replaced (a pull): its written text no longer holds.
    fn set_confirmed(&mut self, state: MemberState) {
        self.confirmed = state;
        self.confirmed_json = OnceCell::new();
        self.restored_from = Cell::new(None);
    }

    /// `from_snapshot` of this text's `Snapshot`, keeping the text: the confirmed state in it is
    /// what the replica holds (serde read it from there), so the first snapshot after a restore
    /// reuses it instead of writing the state again. Only for this version's snapshots (an older
    /// one's state may read differently than it is written now).
    pub fn from_snapshot_text(program: Program, snapshot: Snapshot, text: String) -> Result<Mall, InputError> {
        let current = snapshot.version == SNAPSHOT_VERSION;
        let mut mall = Mall::from_snapshot(program, snapshot)?;
        if current {
            mall.restored_from = Cell::new(Some(text));
        }
        Ok(mall)
    }

    /// Server time estimated from device time.
    pub fn now(&self, device_now: Instant) -> Instant {
        device_now + self.clock_offset_ms
    }

    pub fn clock_offset_ms(&self) -> i64 {
        self.clock_offset_ms
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub fn state(&self) -> &MemberState {
        self.state.as_ref().unwrap_or(&self.confirmed)
    }

    pub fn confirmed(&self) -> &MemberState {
        &self.confirmed
    }

    /// Shared counters as this client sees them (the server's last word, less what is queued).
    pub fn stock(&self) -> &Stock {
        self.optimistic_stock.as_ref().unwrap_or(&self.stock)
    }

    pub fn pending(&self) -> &[PushMutation] {
        &self.pending
    }

    pub fn reversals(&self) -> &[Reversal] {
        &self.reversals
    }

    pub fn dismiss_reversals(&mut self) {
        self.reversals.clear();
    }

    /// Order ids of pending orders: their coupons show as locked.
    pub fn pending_order_ids(&self) -> Vec<String> {
        // Acknowledged orders are confirmed: only undecided ones lock their coupons.
        self.pending
            .iter()
            .filter_map(|p| match &p.intent {
                Intent::Known(Mutation::PlaceOrder { order_id, .. }) => Some(order_id.clone()),
                _ => None,
            })
            .collect()
    }

    /// Apply a mutation optimistically and queue it. A local rejection is returned at once and
    /// nothing is queued.
    pub fn mutate(&mut self, mutation: Mutation, now: Instant) -> Result<(u64, Applied), Rejection> {
        let id = self.next_mutation_id;
        let ctx = Ctx { now, client_id: &self.client_id, mutation_id: id, stock: self.stock(), archived_order: None, referral_code: None };
        let applied = apply(&self.program, self.state(), &mutation, &ctx)?;
        apply_effects(self.state.get_or_insert_with(|| self.confirmed.clone()), &applied.effects);
        apply_stock(self.optimistic_stock.get_or_insert_with(|| self.stock.clone()), &applied.effects);
        self.pending.push(PushMutation::new(id, mutation, now));
        self.next_mutation_id += 1;
        Ok((id, applied))
    }

    /// The next push: the oldest pending mutations, at most MAX_BATCH.
    pub fn push_request(&self) -> PushRequest {
        PushRequest {
            protocol: PROTOCOL_VERSION,
            client_id: self.client_id.clone(),
            mutations: self.pending.iter().take(MAX_BATCH).cloned().collect(),
        }
    }

    /// Take the server's verdicts: rejections become reversals and leave the queue; applied
    /// mutations stay shown (acknowledged) until the next pull brings the state that holds them.
    pub fn on_push_response<R: ResultVerdict>(&mut self, response: &PushResponse<R>) {
        self.take_verdicts(&response.results);
        let (decided, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending).into_iter().partition(|p| p.id <= response.last_mutation_id);
        self.pending = rest;
        // Rejected ones leave; applied ones stay shown, those with a notice too.
        let rejected = |id: u64| response.results.iter().any(|r| r.mutation_id() == id && r.rejection().is_some());
        self.acknowledged.extend(decided.into_iter().filter(|p| !rejected(p.id)));
        self.rebuild();
    }

    /// Adopt the server's state, drop what it has decided, and replay the rest.
    pub fn on_pull_response<R: ResultVerdict>(&mut self, response: &PullResponse<R>, sent_at: Instant, received_at: Instant) {
        self.clock_offset_ms = clock_offset_ms(sent_at, received_at, response.server_time);
        // A reply older than the state we hold (reordered by the network) must not move us back,
        // unless the server says its data went back (restored or moved).
        let mut holds_server_state = true;
        if response.reset || self.cookie.is_none_or(|c| response.cookie >= c) {
            self.stock = response.stock.clone();
            self.cookie = Some(response.cookie);
            if let Some(state) = &response.state {
                self.set_confirmed(state.clone());
            } else if let Some(patch) = &response.patch {
                let next = apply_patch(&self.program, &self.confirmed, patch);
                if let Some(next) = next.filter(|n| response.state_digest.as_deref().is_none_or(|d| d == n.digest())) {
                    self.set_confirmed(next);
                } else {
                    // Not the server's state (another program, a gap): the next pull, without a
                    // cookie, brings the whole state; until then the queue stays as it is, so
                    // what the shopper did keeps showing.
                    self.cookie = None;
                    holds_server_state = false;
                }
            }
        }
        self.take_verdicts(&response.results);
        if holds_server_state {
            // Everything up to lastMutationId is in the server state we now hold.
            self.acknowledged.retain(|p| p.id > response.last_mutation_id);
            self.pending.retain(|p| p.id > response.last_mutation_id);
        }
        self.rebuild();
    }

    /// Move the queue to a new client id, when the server will not decide it under the old one:
    /// the id belongs to another member (`CLIENT_NOT_OWNED`), it decided other changes under these
    /// mutation ids (`MUTATION_ID_REUSED`), or a refused mutation left a gap it waits on. The
    /// pending mutations are numbered again from 1, so no id is ever sent for two intents; what
    /// the server acknowledged under the old id comes back with the next pull's whole state.
    pub fn move_to_client(&mut self, client_id: &str) {
        self.client_id = client_id.to_string();
        for (n, p) in self.pending.iter_mut().enumerate() {
            p.id = n as u64 + 1;
        }
        self.next_mutation_id = self.pending.len() as u64 + 1;
        self.acknowledged.clear();
        self.cookie = None;
        self.rebuild();
    }

    /// The server refused this pending mutation as a request (400, or 413 on its own): it can
    /// never be decided, so it leaves the queue as a reversal with the server's error instead of
    /// vanishing. Returns whether it was pending.
    pub fn refuse(&mut self, id: u64, error: ErrorBody) -> bool {
        let Some(i) = self.pending.iter().position(|p| p.id == id) else { return false };
        let p = self.pending.remove(i);
        self.reversals.push(Reversal { mutation_id: id, client_id: self.client_id.clone(), name: p.intent.name().to_string(), error });
        self.rebuild();
        true
    }

    /// The id the next mutation will get.
    pub fn next_mutation_id(&self) -> u64 {
        self.next_mutation_id
    }

    pub fn cookie(&self) -> Option<u64> {
        self.cookie
    }

    /// The body of the next pull: this client and the cookie it holds.
    pub fn pull_request(&self) -> PullRequest {
        PullRequest { protocol: PROTOCOL_VERSION, client_id: self.client_id.clone(), cookie: self.cookie }
    }

    /// A fresh order id, unique for this client: derived from the client id and the next mutation id.
    pub fn next_order_id(&self) -> String {
        format!("{}-o{}", self.client_id, self.next_mutation_id)
    }

    fn take_verdicts<R: ResultVerdict>(&mut self, results: &[R]) {
        for r in results {
            // A rejection undoes the change; a notice says it was applied otherwise than shown.
            let Some(error) = r.rejection().or_else(|| r.notice()) else { continue };
            let id = r.mutation_id();
            let Some(p) = self.pending.iter().chain(&self.acknowledged).find(|p| p.id == id) else { continue };
            if !self.reversals.iter().any(|v| v.mutation_id == id && v.client_id == self.client_id) {
                self.reversals.push(Reversal { mutation_id: id, client_id: self.client_id.clone(), name: p.intent.name().to_string(), error: error.clone() });
            }
        }
    }

    /// Optimistic state = confirmed state + acknowledged and pending mutations, each replayed at
    /// the time it was made (rulebook §1: a restart or a rebase shows what the shopper saw, not
    /// what the same taps would give today). A pending mutation that no longer applies locally
    /// stays queued (the server decides) but shows no effect.
    fn rebuild(&mut self) {
        if self.acknowledged.is_empty() && self.pending.is_empty() {
            self.state = None;
            self.optimistic_stock = None;
            return;
        }
        let mut state = self.confirmed.clone();
        let mut stock = self.stock.clone();
        for p in self.acknowledged.iter().chain(&self.pending) {
            let Ok(mutation) = p.intent.mutation() else { continue };
            let ctx = Ctx { now: p.client_time, client_id: &self.client_id, mutation_id: p.id, stock: &stock, archived_order: None, referral_code: None };
            if let Ok(applied) = apply(&self.program, &state, &mutation, &ctx) {
                apply_effects(&mut state, &applied.effects);
                apply_stock(&mut stock, &applied.effects);
            }
        }
        self.state = Some(state);
        self.optimistic_stock = Some(stock);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Verdict, VerdictStatus};

    fn program() -> Program {
        Program::from_json(include_str!("../../../programs/health-food.json")).expect("demo program")
    }

    const WEDNESDAY: Instant = 1_795_572_000_000;

    fn pull(cookie: u64, last: u64, state: Option<MemberState>, results: Vec<Verdict>) -> PullResponse<Verdict> {
        PullResponse {
            cookie,
            last_mutation_id: last,
            server_time: WEDNESDAY,
            business_day: siyu_core::time::Day::of(WEDNESDAY, 480),
            state,
            patch: None,
            state_digest: None,
            stock: Stock::default(),
            results,
            reset: false,
        }
    }

    #[test]
    fn applied_mutations_stay_visible_until_the_pull_brings_them() {
        let mut mall = Mall::new(program(), "m", "c", WEDNESDAY);
        mall.mutate(Mutation::CheckIn {}, WEDNESDAY).unwrap();
        let reply = PushResponse { results: vec![Verdict { id: 1, status: VerdictStatus::Applied, error: None, original: None, notice: None }], last_mutation_id: 1 };
        mall.on_push_response(&reply);
        assert!(mall.pending().is_empty());
        assert_eq!(mall.state().check_ins.len(), 1, "still shown while acknowledged");
        // The server's state now holds the check-in.
        let mut server = MemberState::new("m", WEDNESDAY);
        server.check_ins = mall.state().check_ins.clone();
        mall.on_pull_response(&pull(2, 1, Some(server.clone()), vec![]), WEDNESDAY, WEDNESDAY);
        assert_eq!(mall.state(), &server);
        assert!(mall.snapshot().acknowledged.is_empty());
    }

    #[test]
    fn the_snapshot_text_is_the_snapshot_serialised_through_changes_and_pulls() {
        let written = |mall: &Mall| {
            let text = mall.snapshot_json().unwrap();
            assert_eq!(serde_json::from_str::<Snapshot>(&text).unwrap(), mall.snapshot());
            let as_value = |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap();
            assert_eq!(as_value(&text), as_value(&serde_json::to_string(&mall.snapshot()).unwrap()), "the same fields, nothing more");
            text
        };
        let mut mall = Mall::new(program(), "m", "c", WEDNESDAY);
        written(&mall);
        mall.mutate(Mutation::CheckIn {}, WEDNESDAY).unwrap();
        mall.mutate(Mutation::ClaimCoupon { template: "free-ship".into() }, WEDNESDAY).unwrap();
        let queued = written(&mall);
        mall.on_push_response(&PushResponse::<Verdict> { results: vec![], last_mutation_id: 1 });
        written(&mall);
        // A pull replaces the confirmed state: the text written before it must not be reused.
        let mut server = MemberState::new("m", WEDNESDAY);
        server.check_ins = mall.state().check_ins.clone();
        server.birthday = siyu_core::time::MonthDay::parse("05-20");
        mall.on_pull_response(&pull(2, 1, Some(server), vec![]), WEDNESDAY, WEDNESDAY);
        let pulled = written(&mall);
        assert!(pulled.contains("05-20") && !queued.contains("05-20"));
        let restored = Mall::from_snapshot(program(), serde_json::from_str(&pulled).unwrap()).unwrap();
        assert_eq!(restored.state(), mall.state());
        assert_eq!(written(&restored), pulled);
    }

    #[test]
    fn the_top_level_value_of_a_key_is_found_whatever_is_around_it() {
        fn value(text: &str) -> Option<&str> {
            top_level_value(text, "confirmed").map(|r| &text[r])
        }
        assert_eq!(value(r#"{"a":1,"confirmed":{"x":[1,{"y":"}"}]}}"#), Some(r#"{"x":[1,{"y":"}"}]}"#));
        assert_eq!(value(r#"{"confirmed":{"b":2},"pending":[]}"#), Some(r#"{"b":2}"#));
        assert_eq!(value(r#"{ "confirmed" : [ 1 , 2 ] , "z" : 0 }"#), Some("[ 1 , 2 ]"));
        assert_eq!(value(r#"{"a":"x","confirmed":null}"#), Some("null"));
        assert_eq!(value(r#"{"a":"x","confirmed":7 , "b":1}"#), Some("7"));
        // Not a top-level key: inside a string, nested deeper, or a value that reads like one.
        assert_eq!(value(r#"{"a":"\"confirmed\":1","b":{"confirmed":2}}"#), None);
        assert_eq!(value(r#"{"a":["confirmed"],"b":"confirmed"}"#), None);
        assert_eq!(value(r#"{"a":"\\","confirmed":{"k":"\\\""}}"#), Some(r#"{"k":"\\\""}"#));
        assert_eq!(value("[]"), None);
        assert_eq!(value(r#"{"confirmed":"#), None);
    }

    #[test]
    fn a_restore_from_text_reuses_the_confirmed_state_written_in_it_until_a_pull() {
        let mut mall = Mall::new(program(), "m", "c", WEDNESDAY);
        let mut server = MemberState::new("m", WEDNESDAY);
        server.birthday = siyu_core::time::MonthDay::parse("05-20");
        mall.on_pull_response(&pull(2, 0, Some(server), vec![]), WEDNESDAY, WEDNESDAY);
        mall.mutate(Mutation::CheckIn {}, WEDNESDAY).unwrap();
        // Both layouts: the one snapshot_json writes (confirmed last) and `Snapshot`'s own order,
        // pretty-printed so that what is reused can be told from what would be written.
        let texts = [mall.snapshot_json().unwrap(), serde_json::to_string_pretty(&mall.snapshot()).unwrap()];
        for text in texts {
            let snapshot: Snapshot = serde_json::from_str(&text).unwrap();
            let restored = Mall::from_snapshot_text(program(), snapshot, text.clone()).unwrap();
            assert_eq!(restored.state(), mall.state());
            let written = restored.snapshot_json().unwrap();
            assert_eq!(serde_json::from_str::<Snapshot>(&written).unwrap(), mall.snapshot());
            let confirmed = &text[top_level_value(&text, "confirmed").unwrap()];
            assert!(written.ends_with(&format!(",\"confirmed\":{confirmed}}}")), "the restored text's confirmed state is reused");
            // A pull replaces the confirmed state: the restored text is no longer used.
            let mut restored = restored;
            let mut newer = MemberState::new("m", WEDNESDAY);
            newer.birthday = siyu_core::time::MonthDay::parse("07-01");
            restored.on_pull_response(&pull(3, 1, Some(newer.clone()), vec![]), WEDNESDAY, WEDNESDAY);
            let after = restored.snapshot_json().unwrap();
            assert_eq!(serde_json::from_str::<Snapshot>(&after).unwrap().confirmed, newer);
            assert!(after.contains("07-01") && !after.contains("05-20"));
        }
    }

    #[test]
    fn a_rejection_becomes_a_reversal_and_its_effect_disappears() {
        let mut mall = Mall::new(program(), "m", "c", WEDNESDAY);
        mall.mutate(Mutation::CheckIn {}, WEDNESDAY).unwrap();
        let error = ErrorBody { code: "ALREADY_CHECKED_IN".into(), message: "already".into(), details: serde_json::Value::Null };
        let results = vec![Verdict { id: 1, status: VerdictStatus::Rejected, error: Some(error), original: None, notice: None }];
        mall.on_pull_response(&pull(3, 1, Some(MemberState::new("m", WEDNESDAY)), results), WEDNESDAY, WEDNESDAY);
        assert_eq!(mall.reversals().len(), 1);
        assert_eq!(mall.reversals()[0].error.code, "ALREADY_CHECKED_IN");
        assert!(mall.state().check_ins.is_empty());
    }

    #[test]
    fn queued_claims_count_against_the_quota_once() {
        let mut mall = Mall::new(program(), "m", "c", WEDNESDAY);
        let key = siyu_core::stock::Counter::CouponQuota("full-300-50".into());
        let before = mall.stock().remaining(&key).unwrap();
        mall.mutate(Mutation::ClaimCoupon { template: "full-300-50".into() }, WEDNESDAY).unwrap();
        assert_eq!(mall.stock().remaining(&key), Some(before - 1));
        let reply = PushResponse { results: vec![Verdict { id: 1, status: VerdictStatus::Applied, error: None, original: None, notice: None }], last_mutation_id: 1 };
        mall.on_push_response(&reply);
        assert_eq!(mall.stock().remaining(&key), Some(before - 1), "replaying the acknowledged claim takes it once");
        assert_eq!(mall.snapshot().stock.remaining(&key), Some(before), "the snapshot keeps the server's figure");
    }

    #[test]
    fn a_stale_pull_reply_does_not_move_the_state_back() {
        let mut mall = Mall::new(program(), "m", "c", WEDNESDAY);
        let mut newer = MemberState::new("m", WEDNESDAY);
        newer.birthday = siyu_core::time::MonthDay::parse("05-20");
        mall.on_pull_response(&pull(9, 0, Some(newer.clone()), vec![]), WEDNESDAY, WEDNESDAY);
        mall.on_pull_response(&pull(4, 0, Some(MemberState::new("m", WEDNESDAY)), vec![]), WEDNESDAY, WEDNESDAY);
        assert_eq!(mall.state(), &newer);
        assert_eq!(mall.cookie(), Some(9));
    }

    #[test]
    fn a_reset_server_is_followed_even_though_its_cookie_is_lower() {
        let mut mall = Mall::new(program(), "m", "c", WEDNESDAY);
        mall.on_pull_response(&pull(9, 0, Some(MemberState::new("m", WEDNESDAY)), vec![]), WEDNESDAY, WEDNESDAY);
        let mut restored = MemberState::new("m", WEDNESDAY);
        restored.birthday = siyu_core::time::MonthDay::parse("01-02");
        let mut reply = pull(3, 0, Some(restored.clone()), vec![]);
        reply.reset = true;
        mall.on_pull_response(&reply, WEDNESDAY, WEDNESDAY);
        assert_eq!(mall.state(), &restored);
        assert_eq!(mall.cookie(), Some(3));
    }

    #[test]
    fn the_clock_offset_comes_from_the_server_time() {
        let mut mall = Mall::new(program(), "m", "c", WEDNESDAY);
        let mut reply = pull(1, 0, None, vec![]);
        reply.server_time = WEDNESDAY + 86_400_000;
        mall.on_pull_response(&reply, WEDNESDAY - 100, WEDNESDAY + 100);
        assert_eq!(mall.now(WEDNESDAY), WEDNESDAY + 86_400_000);
    }

    #[test]
    fn a_queue_moved_to_a_new_client_is_numbered_from_one_and_keeps_its_intents() {
        let mut mall = Mall::new(program(), "m1", "old", WEDNESDAY);
        mall.mutate(Mutation::CheckIn {}, WEDNESDAY).unwrap();
        mall.mutate(Mutation::ClaimCoupon { template: "free-ship".into() }, WEDNESDAY).unwrap();
        mall.mutate(Mutation::SetBirthday { birthday: siyu_core::time::MonthDay { month: 5, day: 5 } }, WEDNESDAY).unwrap();
        // The server acknowledged the first under the old id.
        mall.on_push_response(&PushResponse::<Verdict> { results: vec![], last_mutation_id: 1 });
        mall.move_to_client("new");
        let pushed = mall.push_request();
        assert_eq!(pushed.client_id, "new");
        assert_eq!(pushed.mutations.iter().map(|m| (m.id, m.intent.name())).collect::<Vec<_>>(), vec![(1, "claimCoupon"), (2, "setBirthday")]);
        assert_eq!(mall.next_mutation_id(), 3);
        assert_eq!(mall.cookie(), None, "the next pull brings the whole state, the old client's changes included");
        // The claim is still shown, under its new derived id.
        assert!(mall.state().coupons.iter().any(|c| c.id == "new-1-0"));
    }

    #[test]
    fn a_refused_mutation_leaves_the_queue_as_a_reversal() {
        let mut mall = Mall::new(program(), "m1", "c1", WEDNESDAY);
        mall.mutate(Mutation::CheckIn {}, WEDNESDAY).unwrap();
        mall.mutate(Mutation::ClaimCoupon { template: "free-ship".into() }, WEDNESDAY).unwrap();
        let error = ErrorBody { code: "BAD_REQUEST".into(), message: "refused".into(), details: serde_json::json!({}) };
        assert!(mall.refuse(1, error));
        assert_eq!(mall.pending().iter().map(|p| p.id).collect::<Vec<_>>(), vec![2]);
        let r = &mall.reversals()[0];
        assert_eq!((r.mutation_id, r.client_id.as_str(), r.name.as_str(), r.error.code.as_str()), (1, "c1", "checkIn", "BAD_REQUEST"));
        assert!(mall.state().check_ins.is_empty(), "the refused check-in is no longer shown");
        assert!(!mall.refuse(7, ErrorBody { code: "X".into(), message: "x".into(), details: serde_json::json!({}) }));
    }

    #[test]
    fn a_restart_offline_across_days_shows_what_the_shopper_saw() {
        // Four check-ins on four days, all offline, then the app restarts (still offline) a day later.
        let day = 86_400_000;
        let mut mall = Mall::new(program(), "m", "c", WEDNESDAY - 10 * day);
        for k in 0..4 {
            mall.mutate(Mutation::CheckIn {}, WEDNESDAY + k * day).unwrap();
        }
        let seen = (mall.state().check_ins.len(), siyu_core::points::balance(mall.state(), WEDNESDAY + 4 * day));
        assert_eq!(seen.0, 4);
        let restored = Mall::from_snapshot(program(), mall.snapshot()).unwrap();
        assert_eq!((restored.state().check_ins.len(), siyu_core::points::balance(restored.state(), WEDNESDAY + 4 * day)), seen);
        assert_eq!(restored.state(), mall.state());
        assert!(restored.reversals().is_empty());
        assert_eq!(restored.pending().len(), 4);
    }

    #[test]
    fn a_check_in_the_server_moved_to_its_own_day_is_shown_as_a_reversal_naming_both_days() {
        let mut mall = Mall::new(program(), "m", "c", WEDNESDAY);
        mall.mutate(Mutation::CheckIn {}, WEDNESDAY).unwrap();
        let notice = ErrorBody {
            code: "CHECK_IN_DAY_MOVED".into(),
            message: "moved".into(),
            details: serde_json::json!({ "madeOn": "2026-11-25", "countedOn": "2026-11-26", "graceMinutes": 60 }),
        };
        let verdict = Verdict { id: 1, status: VerdictStatus::Applied, error: None, original: None, notice: Some(notice.clone()) };
        mall.on_push_response(&PushResponse { results: vec![verdict], last_mutation_id: 1 });
        assert_eq!(mall.reversals().len(), 1);
        assert_eq!((mall.reversals()[0].name.as_str(), &mall.reversals()[0].error), ("checkIn", &notice));
        assert_eq!(mall.state().check_ins.len(), 1, "applied: the check-in stays (on the server's day after the pull)");
        // A duplicate verdict carries the original's notice: still one reversal.
        let wire = serde_json::json!({ "id": 1, "status": "duplicate", "original": { "status": "applied", "effects": [], "notice": notice } });
        let duplicate: Verdict = serde_json::from_value(wire).unwrap();
        mall.on_push_response(&PushResponse { results: vec![duplicate], last_mutation_id: 1 });
        assert_eq!(mall.reversals().len(), 1);
    }

    #[test]
    fn a_snapshot_of_the_previous_release_loads_with_its_queue_and_an_unknown_version_is_refused() {
        // As the previous release stored it: version 1, a state without `past`, one check-in queued.
        let v1 = r#"{"version":1,"clientId":"c1","nextMutationId":2,"cookie":7,"clockOffsetMs":0,
            "confirmed":{"memberId":"m1","joinedAt":1772416800000,"checkIns":[],"lots":[],"ledger":[],"coupons":[],"orders":[],"redemptions":[]},
            "stock":{},"acknowledged":[],"pending":[{"id":1,"name":"checkIn","args":{},"clientTime":1772416800000}],"reversals":[]}"#;
        let snapshot: Snapshot = serde_json::from_str(v1).unwrap();
        let mall = Mall::from_snapshot(program(), snapshot).unwrap();
        assert_eq!(mall.pending().len(), 1);
        assert_eq!(mall.pending()[0].intent, Intent::Known(Mutation::CheckIn {}));
        assert_eq!(mall.state().check_ins.len(), 1, "the queued check-in shows");
        assert_eq!(mall.snapshot().version, SNAPSHOT_VERSION);
        let future: Snapshot = serde_json::from_str(&v1.replace(r#""version":1"#, r#""version":3"#)).unwrap();
        let error = Mall::from_snapshot(program(), future).err().unwrap();
        let error = Rejection::from(error);
        assert_eq!((error.code(), error.details()["path"].as_str()), ("INVALID_INPUT", Some("version")));
    }
}
