//! The service layer: push, pull, login and the program, independent of HTTP and of SQL. The
//! HTTP handlers (`http`) parse requests and call these; the tests and the benchmark call them
//! directly; every statement they run is a function of the store (`store`).
//!
//! Every push is decided by the authority (`siyu_sync::authority`, the same pure functions any
//! backend hosts) in one database transaction that locks the member: read what it names, decide,
//! write the decisions, the guard rows, the archive, the outbox, the new state and the client's
//! last mutation id, then the shared counters (last, as their rows are the ones every member
//! waits for), commit.

use crate::auth::{valid_id, Signer};
use crate::clock::Clock;
use crate::db::Db;
use crate::error::ApiError;
use crate::store::{self, WriteError};
use serde_json::{json, Value};
pub use siyu_sync::authority::history::{ArchivePage as HistoryPage, ArchiveQuery as HistoryQuery};
use siyu_sync::authority::history::{history_page, history_range, HistoryRange};
use siyu_sync::authority::pull::{answer_pull, check_pull, plan_pull, PullRead, StoredResult, MAX_PULL_RESULTS};
pub use siyu_sync::authority::push::MAX_ARGS_BYTES;
use siyu_sync::authority::{check_push, decide_push, decided_range, guards_of, Conflict, Lookups, Member, PushDecided, PushOptions, PushStep, Refusal};
use siyu_sync::{Outcome, PullRequest, PullResponse, PushMutation, PushRequest, PushResponse, StoredOutcome, MAX_PATCH, PROTOCOL_VERSION};
use siyu_core::{Effect, MemberState, Program, Stock};
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

#[derive(Clone, Debug)]
pub struct Config {
    /// Demo mode: login for anyone, the QA clock, seeded members.
    pub demo: bool,
    /// Token bucket per member: burst size (0 = no limit) and refill per second.
    pub rate_burst: u32,
    pub rate_per_sec: f64,
    /// The token that may replace the program (env SIYU_ADMIN_TOKEN); none = nobody may.
    pub admin_token: Option<String>,
    /// Who collects payments (`POST /api/orders/{id}/pay`); none = orders cannot be paid here.
    pub payment: Option<Arc<dyn crate::payment::PaymentProvider>>,
    /// Origins of other sites allowed to call the API from a browser (CORS); `*` for any. Empty:
    /// same origin only (mini-programs and native apps send no Origin and need none).
    pub cors_origins: Vec<String>,
    /// Where each decision's events are posted (docs/events.md); none = events are not kept.
    pub webhooks: Option<crate::events::Webhooks>,
}

impl Default for Config {
    fn default() -> Self {
        Config { demo: false, rate_burst: 120, rate_per_sec: 20.0, admin_token: None, payment: None, cors_origins: Vec::new(), webhooks: None }
    }
}

struct Bucket {
    tokens: f64,
    at: std::time::Instant,
}

pub struct Service {
    pub db: Db,
    /// The program in force and its version in the database (0: the start-up program, none
    /// stored). Every push transaction checks the version and reloads a newer program, so every
    /// server sharing the database decides with the same one.
    program: RwLock<(i64, Arc<Program>)>,
    pub signer: Signer,
    pub clock: Clock,
    pub config: Config,
    buckets: Mutex<HashMap<String, Bucket>>,
    /// Decoded member states by state version: saves parsing the state on every mutation. Only
    /// used after the version has been read under the member's lock, so it is never stale.
    cache: Mutex<HashMap<String, (i64, Arc<MemberState>)>>,
    /// client id → owning member, once known (ownership never changes).
    owners: Mutex<HashMap<String, String>>,
    /// Woken when a decision wrote referral tasks (the drain in `main` waits on it).
    pub referral_wake: tokio::sync::Notify,
    /// Woken when a decision wrote events to deliver.
    pub events_wake: tokio::sync::Notify,
}

const CACHE_LIMIT: usize = 20_000;
/// Client owners remembered in memory; every pull with a new client id adds one, so the map is
/// bounded like the state cache (the table is the truth; a forgotten owner is read again).
const OWNERS_LIMIT: usize = 100_000;

/// Insert into a cache that is emptied when it reaches `limit` entries.
fn remember<V>(map: &mut HashMap<String, V>, limit: usize, key: &str, value: V) {
    if map.len() >= limit && !map.contains_key(key) {
        map.clear();
    }
    map.insert(key.to_string(), value);
}


impl Service {
    pub async fn new(db: Db, program: Program, signer: Signer, clock: Clock, config: Config) -> Result<Arc<Service>, sqlx::Error> {
        db.init_stock(&Stock::initial(&program)).await?;
        let version = db.program_version().await?;
        Ok(Arc::new(Service {
            db,
            program: RwLock::new((version, Arc::new(program))),
            signer,
            clock,
            config,
            buckets: Mutex::new(HashMap::new()),
            cache: Mutex::new(HashMap::new()),
            owners: Mutex::new(HashMap::new()),
            referral_wake: tokio::sync::Notify::new(),
            events_wake: tokio::sync::Notify::new(),
        }))
    }

    pub fn program(&self) -> Arc<Program> {
        self.program.read().expect("program lock").1.clone()
    }

    /// The program in force for a decision in `tx`, with its version: a newer one stored by
    /// another server is loaded first. On PostgreSQL the version row is read `FOR SHARE`, so a
    /// replacement waits for the decisions under way and they for it.
    async fn program_in(&self, tx: &mut AnyConnection) -> Result<(i64, Arc<Program>), WriteError> {
        let version = store::program_version(tx, &self.db).await?;
        let cached = self.program.read().expect("program lock").clone();
        if version == cached.0 {
            return Ok(cached);
        }
        let body = store::program_body(tx).await?;
        let program = Arc::new(Program::from_json(&body).map_err(|e| WriteError::Db(sqlx::Error::Protocol(e.to_string())))?);
        let mut slot = self.program.write().expect("program lock");
        if slot.0 < version {
            *slot = (version, program.clone());
        }
        Ok((version, program))
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    // ---- auth -------------------------------------------------------------------------------

    /// The member of an `Authorization: Bearer …` header.
    pub fn authenticate(&self, header: Option<&str>) -> Result<String, ApiError> {
        let header = header.ok_or_else(|| ApiError::unauthenticated("missing Authorization: Bearer token"))?;
        let token = header.strip_prefix("Bearer ").ok_or_else(|| ApiError::unauthenticated("Authorization must be a Bearer token"))?;
        self.signer
            .verify(token.trim(), crate::clock::system_now_ms())
            .ok_or_else(|| ApiError::unauthenticated("the token is invalid or expired"))
    }

    pub fn login(&self, member_id: &str) -> Result<Value, ApiError> {
        if !self.config.demo {
            return Err(ApiError::not_found("login is only offered in demo mode"));
        }
        if !valid_id(member_id) {
            return Err(ApiError::bad_request("memberId must be 1–64 characters of A-Z a-z 0-9 _ - . :").with_details(json!({ "path": "memberId" })));
        }
        let now = crate::clock::system_now_ms();
        let token = self.signer.issue(member_id, now);
        Ok(json!({ "token": token, "memberId": member_id, "expiresAt": now + crate::auth::TOKEN_TTL_MS }))
    }

    pub fn check_admin(&self, header: Option<&str>) -> Result<(), ApiError> {
        let Some(expected) = self.config.admin_token.as_deref().filter(|t| !t.is_empty()) else {
            return Err(ApiError::forbidden("ADMIN_DISABLED", "the admin API is disabled: set SIYU_ADMIN_TOKEN"));
        };
        let header = header.ok_or_else(|| ApiError::unauthenticated("missing Authorization: Bearer admin token"))?;
        let token = header.strip_prefix("Bearer ").unwrap_or("").trim();
        if crate::auth::same_secret(token.as_bytes(), expected.as_bytes()) {
            Ok(())
        } else {
            Err(ApiError::unauthenticated("not the admin token"))
        }
    }

    /// Per-member token bucket.
    pub fn rate_check(&self, member: &str) -> Result<(), ApiError> {
        if self.config.rate_burst == 0 {
            return Ok(());
        }
        let now = std::time::Instant::now();
        let mut buckets = self.buckets.lock().expect("buckets lock");
        if buckets.len() > 100_000 {
            buckets.clear();
        }
        let burst = self.config.rate_burst as f64;
        let b = buckets.entry(member.to_string()).or_insert(Bucket { tokens: burst, at: now });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * self.config.rate_per_sec).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - b.tokens) / self.config.rate_per_sec.max(1e-9)).ceil().max(1.0) as u64;
            Err(ApiError::rate_limited(wait))
        }
    }

    // ---- program ----------------------------------------------------------------------------

    /// Replace the program (validated); new counters start full, existing ones keep their count.
    pub async fn put_program(&self, body: &[u8]) -> Result<Value, ApiError> {
        let text = std::str::from_utf8(body).map_err(|_| ApiError::bad_request("the program must be UTF-8 JSON"))?;
        let program = Program::from_json(text).map_err(|e| {
            ApiError::new(422, "INVALID_PROGRAM", e.to_string()).with_details(e.details())
        })?;
        let canonical = serde_json::to_string(&program).map_err(|e| ApiError::internal(e.to_string()))?;
        let version = self.db.store_program(&canonical, self.now()).await?;
        self.db.init_stock(&Stock::initial(&program)).await?;
        let mut slot = self.program.write().expect("program lock");
        if slot.0 < version {
            *slot = (version, Arc::new(program));
        }
        Ok(json!({ "ok": true }))
    }

    // ---- members and clients ----------------------------------------------------------------

    /// Make sure the member and the client exist and that the client belongs to the member: one
    /// write transaction (one commit, where separate statements cost a commit each; a new
    /// device's first pull is most of a rush's pulls).
    async fn ensure_client(&self, member: &str, client: &str) -> Result<(), ApiError> {
        if let Some(owner) = self.owners.lock().expect("owners lock").get(client) {
            return if owner == member { Ok(()) } else { Err(not_owned(client)) };
        }
        let now = self.now();
        let mut tx = store::begin_write(&self.db).await?;
        let owner = store::claim_client(&mut tx, &self.db, client, member, now).await?;
        if owner != member {
            tx.rollback().await?;
            return Err(not_owned(client));
        }
        self.ensure_member_in(&mut tx, member, now).await?;
        store::register_client(&mut tx, &self.db, member, client, now).await?;
        tx.commit().await?;
        remember(&mut self.owners.lock().expect("owners lock"), OWNERS_LIMIT, client, member.to_string());
        Ok(())
    }

    /// Create a member with an empty state if it does not exist yet.
    pub async fn ensure_member(&self, member: &str) -> Result<(), ApiError> {
        let mut tx = store::begin_write(&self.db).await?;
        self.ensure_member_in(&mut tx, member, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn ensure_member_in(&self, conn: &mut AnyConnection, member: &str, now: i64) -> Result<(), ApiError> {
        if !store::member_exists(conn, &self.db, member).await? {
            let state = serde_json::to_string(&MemberState::new(member, now)).map_err(|e| ApiError::internal(e.to_string()))?;
            store::insert_member(conn, &self.db, member, &state, now).await?;
        }
        Ok(())
    }

    /// The member's authoritative state (for tests and tools).
    pub async fn member_state(&self, member: &str) -> Result<Option<(i64, MemberState)>, ApiError> {
        match store::member_row(&self.db, member).await? {
            None => Ok(None),
            Some((version, text)) => Ok(Some((version, decode_state(&text)?))),
        }
    }

    /// The shared counters of the program in force, as clients get them.
    pub async fn stock(&self) -> Result<Stock, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        Ok(self.of_program(store::load_stock(&mut conn, &self.db).await?))
    }

    /// Only the counters the program in force has (a replaced program leaves its old ones).
    fn of_program(&self, mut stock: Stock) -> Stock {
        let current = Stock::initial(&self.program());
        stock.remaining.retain(|key, _| current.remaining.contains_key(key));
        stock
    }

    // ---- push -------------------------------------------------------------------------------

    /// Decide a push (docs/protocol.md §3) with the authority (`siyu_sync::authority::push`):
    /// every rule of the protocol is there; this reads and writes.
    pub async fn push(&self, member: &str, req: &PushRequest) -> Result<PushResponse, ApiError> {
        check_push(req)?;
        self.rate_check(member)?;
        self.ensure_client(member, &req.client_id).await?;
        let decided = self.decide_request(member, req).await?;
        // A refund decided now of an order paid through the provider gives the payment back.
        let refunded: Vec<&str> = decided
            .results
            .iter()
            .filter_map(|r| match &r.outcome {
                Outcome::Applied { effects, .. } => Some(effects),
                _ => None,
            })
            .flatten()
            .filter_map(|e| match e {
                Effect::OrderRefunded { order_id, .. } => Some(order_id.as_str()),
                _ => None,
            })
            .collect();
        if !refunded.is_empty() {
            if let Some((_, state)) = self.member_state(member).await? {
                for order in refunded.iter().filter_map(|id| state.order(id)).filter(|o| o.transaction_id.is_some()) {
                    self.refund_payment(member, &order.id, order.total).await;
                }
            }
        }
        Ok(PushResponse { results: decided.results, last_mutation_id: decided.last_mutation_id })
    }

    /// The store's client row for a member (rulebook §15); it is nobody's device, so it has no
    /// owner row.
    pub(crate) async fn ensure_store_client(&self, member: &str) -> Result<(), ApiError> {
        let now = self.now();
        let mut tx = store::begin_write(&self.db).await?;
        self.ensure_member_in(&mut tx, member, now).await?;
        store::register_client(&mut tx, &self.db, member, siyu_core::apply::STORE_CLIENT, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Decide one mutation with the next id of its client: its outcome, or `None` when that id
    /// was taken meanwhile (by another server deciding for the same client).
    pub(crate) async fn decide_one(&self, member: &str, client: &str, m: &PushMutation) -> Result<Option<StoredOutcome>, ApiError> {
        let req = PushRequest { protocol: PROTOCOL_VERSION, client_id: client.to_string(), mutations: vec![m.clone()] };
        match self.decide_request(member, &req).await {
            Ok(decided) => Ok(decided.results.into_iter().next().map(|r| match r.outcome {
                Outcome::Applied { effects, notice } => StoredOutcome::Applied { effects, notice },
                Outcome::Rejected { error } => StoredOutcome::Rejected { error },
                Outcome::Duplicate { original } => original,
            })),
            Err(e) if e.code == "MUTATION_ID_REUSED" || e.code == "OUT_OF_ORDER" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Decide a request to the end: the new mutations together in one transaction (one state
    /// write per push); when a guard fires or the batch hits a transient conflict, one
    /// transaction each. A guard that fires means another decision took what this one wanted
    /// (a counter another member emptied meanwhile): the mutation is decided again on fresh
    /// data, and when its guard fires again it is stored rejected `CONFLICT`.
    async fn decide_request(&self, member: &str, req: &PushRequest) -> Result<PushDecided, ApiError> {
        let mut options = PushOptions { events: self.config.webhooks.is_some(), ..PushOptions::default() };
        let (mut guards, mut attempts) = (0, 0u64);
        loop {
            match self.attempt(member, req, &options).await {
                Ok(decided) if decided.complete => return Ok(decided),
                Ok(decided) => {
                    options.earlier = decided.results;
                    options.conflict = None;
                    (guards, attempts) = (0, 0);
                }
                Err(Attempt::Refused(refusal)) => return Err(refusal.into()),
                Err(Attempt::Write(WriteError::Guard(guard))) => {
                    if options.limit.is_some() {
                        guards += 1;
                        attempts += 1;
                    }
                    if guards >= 2 {
                        let next = req.mutations.iter().map(|m| m.id).find(|id| options.earlier.iter().all(|r| r.id != *id));
                        options.conflict = next.map(|id| Conflict { id, guard });
                    }
                }
                // A deadlock or serialization failure between members (two orders taking the
                // same counters): try again shortly.
                Err(Attempt::Write(WriteError::Db(e))) if crate::db::transient(&e) && attempts < 7 => {
                    if options.limit.is_some() {
                        attempts += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(5 * attempts)).await;
                    }
                }
                Err(Attempt::Write(WriteError::Db(e))) => return Err(e.into()),
            }
            if attempts >= 8 {
                return Err(ApiError::internal("the mutation could not be recorded"));
            }
            options.limit = Some(1);
        }
    }

    /// One transaction holding the member's lock: read what the authority names, decide, write
    /// what it returns, commit.
    async fn attempt(&self, member: &str, req: &PushRequest, options: &PushOptions) -> Result<PushDecided, Attempt> {
        let db = &self.db;
        let client = req.client_id.as_str();
        let mut tx = store::begin_write(db).await?;
        let (version, state_version) = store::member_versions(&mut tx, db, member, true).await?;
        let last = store::client_last_in(&mut tx, db, member, client).await?;
        let decided = match decided_range(req, last as u64) {
            Some((lo, hi)) => store::decided_in(&mut tx, db, member, client, lo as i64, hi as i64).await?,
            None => Vec::new(),
        };
        let (program_version, program) = self.program_in(&mut tx).await?;
        let cached = self.cache.lock().expect("cache lock").get(member).filter(|(v, _)| *v == state_version).map(|(_, s)| s.clone());
        let state = match cached {
            Some(state) => state,
            None => Arc::new(decode_state(&store::member_state(&mut tx, db, member).await?).map_err(|e| WriteError::Db(sqlx::Error::Protocol(e.message)))?),
        };
        let stock = store::load_stock(&mut tx, db).await?;
        let record = Member { id: member, state, version: version as u64, state_version: state_version as u64, last_mutation_id: last as u64 };
        let now = self.now();
        let mut lookups = Lookups::default();
        let decided = loop {
            match decide_push(&program, record.clone(), &stock, req, &decided, &lookups, options, now) {
                PushStep::Refused(refusal) => {
                    tx.rollback().await?;
                    return Err(Attempt::Refused(refusal));
                }
                PushStep::Needs(needs) => {
                    for id in needs.orders {
                        let archived = store::archived_order(&mut tx, db, member, &id).await?;
                        lookups.orders.insert(id, archived);
                    }
                    for code in needs.codes {
                        let known = crate::referral::lookup(&mut tx, db, member, &code).await?;
                        lookups.codes.insert(code, known);
                    }
                }
                PushStep::Decided(decided) => break decided,
            }
        };
        let Some(writes) = decided.writes.as_ref() else {
            tx.rollback().await?;
            return Ok(*decided);
        };
        for row in &writes.decisions {
            store::record(&mut tx, db, member, row, program_version).await?;
        }
        store::write_guards(&mut tx, db, member, &writes.guards).await?;
        crate::referral::record(&mut tx, db, member, writes).await?;
        if let Some(webhooks) = &self.config.webhooks {
            crate::events::record(&mut tx, db, webhooks, member, &writes.events, &writes.lot_expiries).await?;
        }
        if let Some(at) = writes.compacted_at {
            store::append_archive(&mut tx, db, member, &writes.archive).await?;
            store::record_compaction(&mut tx, db, member, writes.version as i64, at).await?;
        }
        let state = writes.state.as_deref().map(|text| (writes.state_version as i64, text));
        store::save_member(&mut tx, db, member, writes.version as i64, state, now).await?;
        store::set_client_last(&mut tx, db, member, client, writes.last_mutation_id as i64).await?;
        // Last: a shared counter's row stays locked until the commit, and every member taking
        // the same coupon or sale waits for it (the rush's hottest wait on PostgreSQL).
        store::write_counters(&mut tx, db, &writes.counters).await?;
        tx.commit().await?;
        if !writes.referral_tasks.is_empty() {
            self.referral_wake.notify_one();
        }
        if !writes.events.is_empty() {
            self.events_wake.notify_one();
        }
        if let Some(state) = &decided.state {
            remember(&mut self.cache.lock().expect("cache lock"), CACHE_LIMIT, member, (writes.state_version as i64, state.clone()));
        }
        Ok(*decided)
    }

    // ---- history ----------------------------------------------------------------------------

    /// A page of what left the member's working state (rulebook §12), newest first
    /// (`siyu_sync::authority::history` says what a query reads).
    pub async fn history(&self, member: &str, kind: &str, query: &HistoryQuery) -> Result<HistoryPage, ApiError> {
        let range = history_range(kind, query)?;
        let rows = match &range {
            HistoryRange::Page { kind, before, limit } => store::archive_page(&self.db, member, kind, *before, i64::from(*limit)).await?,
            HistoryRange::Days { kind, from, to } => store::archive_between(&self.db, member, kind, *from, *to).await?,
        };
        history_page(&range, &rows).map_err(ApiError::internal)
    }

    // ---- pull -------------------------------------------------------------------------------

    /// A pull registers an unknown client to the member (so a new device can pull before it
    /// pushes). What to read and the reply are the authority's (`siyu_sync::authority::pull`).
    pub async fn pull(&self, member: &str, req: &PullRequest) -> Result<PullResponse, ApiError> {
        check_pull(req)?;
        self.rate_check(member)?;
        self.ensure_client(member, &req.client_id).await?;
        let db = &self.db;
        let mut tx = store::begin_read(db).await?;
        let (version, state_version) = store::member_versions(&mut tx, db, member, false).await?;
        let plan = plan_pull(req, version as u64, state_version as u64);
        let state = match plan.state {
            true => Some(store::member_state(&mut tx, db, member).await?),
            false => None,
        };
        let changes = match plan.changes_after {
            Some(after) => store::changes_since(&mut tx, db, member, after as i64, MAX_PATCH as i64 + 1).await?,
            None => Vec::new(),
        };
        let last = store::client_last_in(&mut tx, db, member, &req.client_id).await?;
        let results = store::outcomes_since(&mut tx, db, member, &req.client_id, plan.results_after as i64, MAX_PULL_RESULTS).await?;
        let stock = store::load_stock(&mut tx, db).await?;
        tx.commit().await?;
        let read = PullRead {
            version: version as u64,
            last_mutation_id: last as u64,
            state: state.as_deref(),
            changes,
            results: results.into_iter().map(|(id, outcome)| StoredResult { id: id as u64, outcome }).collect(),
            stock,
        };
        answer_pull(&self.program(), &plan, read, self.now()).map_err(ApiError::internal)
    }
}

/// Why an attempt to decide did not commit.
enum Attempt {
    Refused(Refusal),
    Write(WriteError),
}

impl From<WriteError> for Attempt {
    fn from(e: WriteError) -> Attempt {
        Attempt::Write(e)
    }
}

impl From<sqlx::Error> for Attempt {
    fn from(e: sqlx::Error) -> Attempt {
        Attempt::Write(WriteError::from(e))
    }
}

fn not_owned(client: &str) -> ApiError {
    Refusal::not_owned(client).into()
}

fn decode_state(text: &str) -> Result<MemberState, ApiError> {
    serde_json::from_str(text).map_err(|e| ApiError::internal(format!("stored member state is unreadable: {e}")))
}

/// Insert a member with a ready-made state and its guard rows (demo seeding). Does nothing if the
/// member exists.
pub async fn insert_member(db: &Db, member: &str, state: &MemberState, effects: &[Effect], now: i64) -> Result<bool, ApiError> {
    let mut tx = store::begin_write(db).await?;
    if store::member_exists(&mut tx, db, member).await? {
        tx.rollback().await?;
        return Ok(false);
    }
    let text = serde_json::to_string(state).map_err(|e| ApiError::internal(e.to_string()))?;
    store::insert_member(&mut tx, db, member, &text, now).await?;
    match store::write_guards(&mut tx, db, member, &guards_of(effects)).await {
        Ok(()) => {}
        Err(WriteError::Guard(g)) => return Err(ApiError::internal(format!("seed history violates {g}"))),
        Err(WriteError::Db(e)) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caches_stay_within_their_limit() {
        let mut map = HashMap::new();
        for i in 0..10 {
            remember(&mut map, 4, &format!("k{i}"), i);
            assert!(map.len() <= 4);
            assert_eq!(map.get(&format!("k{i}")), Some(&i));
        }
        // Updating a key already held never empties the map.
        remember(&mut map, 4, "k9", 90);
        remember(&mut map, 4, "k8", 80);
        let before = map.len();
        remember(&mut map, 4, "k9", 91);
        assert_eq!(map.len(), before);
        assert_eq!(map.get("k9"), Some(&91));
    }
}
