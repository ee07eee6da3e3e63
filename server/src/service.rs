//! The service layer: push, pull, login and the program, independent of HTTP and of SQL. The
//! HTTP handlers (`http`) parse requests and call these; the tests and the benchmark call them
//! directly; every statement they run is a function of the store (`store`).
//!
//! Every mutation is decided by `siyu_core::apply` in one database transaction that locks the member:
//! load state and stock, apply, write the new state, the natural-key guard rows, the counters, the
//! stored result and the client's last mutation id, commit.

use crate::auth::{valid_id, Signer};
use crate::clock::Clock;
use crate::db::Db;
use crate::store::{self, ArchiveItem, ArchiveKind, WriteError};
use crate::error::ApiError;
use serde_json::{json, Value};
use siyu_core::state::digest_json;
use siyu_sync::{Change, Decided, ErrorBody, Intent, MutationResult, MAX_PATCH, Outcome, PullRequest, PullResponse, PushMutation, PushRequest, PushResponse, StoredOutcome, MAX_BATCH, PROTOCOL_VERSION};
use siyu_core::compact::{compact, Archived};
use siyu_core::coupons::finished_at;
use siyu_core::time::{days_in_month, Day};
use siyu_core::{apply, apply_effects, Ctx, Effect, MemberState, Mutation, Program, Rejection, Stock};
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

/// A pull returns at most this many results (the most recent ones).
pub const MAX_PULL_RESULTS: usize = 1000;

/// The largest `args` of one mutation (as compact JSON) the engine is asked to decide. A real
/// intent is far smaller (a cart of 400 lines fits); a larger one is rejected `INVALID_INPUT`
/// without running the rules, so one request cannot occupy a worker (and the member's lock) with
/// a cart of tens of thousands of lines or coupon ids, or store a rejection (whose quote grows
/// with the cart) many times the size of what was sent.
pub const MAX_ARGS_BYTES: usize = 16 * 1024;
/// The longest mutation `name` decided (the longest real one is 13 bytes).
pub const MAX_NAME_BYTES: usize = 64;

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

/// What one attempt to decide a mutation came to.
enum Step {
    Decided(StoredOutcome),
    Duplicate(StoredOutcome),
    Reused,
    OutOfOrder(i64),
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

    /// Make sure the member and the client exist and that the client belongs to the member.
    async fn ensure_client(&self, member: &str, client: &str) -> Result<(), ApiError> {
        if let Some(owner) = self.owners.lock().expect("owners lock").get(client) {
            return if owner == member { Ok(()) } else { Err(not_owned(client)) };
        }
        let now = self.now();
        let owner = store::claim_client(&self.db, client, member, now).await?;
        if owner != member {
            return Err(not_owned(client));
        }
        self.ensure_member(member).await?;
        store::register_client(&self.db, member, client, now).await?;
        remember(&mut self.owners.lock().expect("owners lock"), OWNERS_LIMIT, client, member.to_string());
        Ok(())
    }

    /// Create a member with an empty state if it does not exist yet.
    pub async fn ensure_member(&self, member: &str) -> Result<(), ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        if !store::member_exists(&mut conn, &self.db, member).await? {
            let now = self.now();
            let state = serde_json::to_string(&MemberState::new(member, now)).map_err(|e| ApiError::internal(e.to_string()))?;
            store::insert_member(&mut conn, &self.db, member, &state, now).await?;
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

    pub async fn push(&self, member: &str, req: &PushRequest) -> Result<PushResponse, ApiError> {
        if req.protocol != PROTOCOL_VERSION {
            return Err(ApiError::version(json!(req.protocol)));
        }
        if req.mutations.len() > MAX_BATCH {
            return Err(ApiError::too_large(format!("a push carries at most {MAX_BATCH} mutations, got {}", req.mutations.len()))
                .with_details(json!({ "max": MAX_BATCH, "got": req.mutations.len() })));
        }
        check_client_id(&req.client_id)?;
        for (i, m) in req.mutations.iter().enumerate() {
            if m.id == 0 || m.id > i64::MAX as u64 {
                return Err(ApiError::bad_request("mutation ids start at 1").with_details(json!({ "path": format!("mutations[{i}].id") })));
            }
            if i > 0 && m.id != req.mutations[i - 1].id + 1 {
                return Err(ApiError::bad_request("mutation ids in a push must be consecutive and ascending")
                    .with_details(json!({ "path": format!("mutations[{i}].id") })));
            }
        }
        self.rate_check(member)?;
        self.ensure_client(member, &req.client_id).await?;
        let client = req.client_id.as_str();

        let mut last = self.last_mutation_id(member, client).await?;
        if let Some(first) = req.mutations.first() {
            if first.id as i64 > last + 1 {
                return Err(out_of_order(last + 1, first.id));
            }
        }
        // Ids already decided: answer from storage, refusing a reused id with another payload.
        let mut stored: HashMap<i64, (String, String, i64, StoredOutcome)> = HashMap::new();
        let seen: Vec<&PushMutation> = req.mutations.iter().filter(|m| m.id as i64 <= last).collect();
        if let (Some(lo), Some(hi)) = (seen.first(), seen.last()) {
            for row in store::decided(&self.db, member, client, lo.id as i64, hi.id as i64).await? {
                stored.insert(row.id, (row.name, row.args, row.client_time, decode_outcome(&row.outcome)?));
            }
            for m in &seen {
                let (name, args, client_time, _) = stored.get(&(m.id as i64)).ok_or_else(|| ApiError::internal(format!("mutation {} is decided but not stored", m.id)))?;
                if !same_payload(m, name, args, *client_time) {
                    return Err(reused(m.id));
                }
            }
        }

        let fresh: Vec<PushMutation> = req.mutations.iter().filter(|m| !stored.contains_key(&(m.id as i64))).cloned().collect();
        // The new mutations are decided together in one transaction (one state write per push);
        // if a guard fires or the batch hits a transient conflict, one transaction each.
        let mut steps: HashMap<u64, Step> = HashMap::new();
        if fresh.len() > 1 {
            match self.try_decide(member, client, &fresh, None).await {
                Ok(decided) => steps.extend(decided),
                Err(WriteError::Guard(_)) => {}
                Err(WriteError::Db(e)) if crate::db::transient(&e) => {}
                Err(WriteError::Db(e)) => return Err(e.into()),
            }
        }
        let mut results = Vec::with_capacity(req.mutations.len());
        for m in &req.mutations {
            if let Some((_, _, _, outcome)) = stored.get(&(m.id as i64)) {
                results.push(MutationResult { id: m.id, outcome: Outcome::Duplicate { original: outcome.clone() } });
                continue;
            }
            let step = match steps.remove(&m.id) {
                Some(step) => step,
                None => self.decide(member, client, m).await?,
            };
            match step {
                Step::Decided(outcome) => {
                    last = m.id as i64;
                    results.push(MutationResult { id: m.id, outcome: outcome.into() });
                }
                Step::Duplicate(original) => results.push(MutationResult { id: m.id, outcome: Outcome::Duplicate { original } }),
                Step::Reused => return Err(reused(m.id)),
                Step::OutOfOrder(expected) => return Err(out_of_order(expected, m.id)),
            }
        }
        last = last.max(self.last_mutation_id(member, client).await?);
        // A refund decided now of an order paid through the provider gives the payment back.
        let refunded: Vec<&str> = results
            .iter()
            .filter(|r| !stored.contains_key(&(r.id as i64)))
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
        Ok(PushResponse { results, last_mutation_id: last as u64 })
    }

    /// The store's client row for a member (rulebook §15); it is nobody's device, so it has no
    /// owner row.
    pub(crate) async fn ensure_store_client(&self, member: &str) -> Result<(), ApiError> {
        self.ensure_member(member).await?;
        store::register_client(&self.db, member, siyu_core::apply::STORE_CLIENT, self.now()).await?;
        Ok(())
    }

    /// Decide one mutation with the next id of its client: its outcome, or `None` when that id
    /// was taken meanwhile (by another server deciding for the same client).
    pub(crate) async fn decide_one(&self, member: &str, client: &str, m: &PushMutation) -> Result<Option<StoredOutcome>, ApiError> {
        Ok(match self.decide(member, client, m).await? {
            Step::Decided(outcome) => Some(outcome),
            Step::Duplicate(_) | Step::Reused | Step::OutOfOrder(_) => None,
        })
    }

    async fn last_mutation_id(&self, member: &str, client: &str) -> Result<i64, ApiError> {
        Ok(store::last_mutation_id(&self.db, member, client).await?)
    }

    /// Decide one mutation. A guard that fires rolls the attempt back; the mutation is decided
    /// again on fresh data (a counter another member emptied meanwhile), and if a guard still
    /// fires it is stored as rejected CONFLICT.
    async fn decide(&self, member: &str, client: &str, m: &PushMutation) -> Result<Step, ApiError> {
        let mut forced: Option<ErrorBody> = None;
        let mut guards = 0;
        for attempt in 0..8u64 {
            match self.try_decide(member, client, std::slice::from_ref(m), forced.clone()).await {
                Ok(mut steps) => return steps.pop().map(|(_, step)| step).ok_or_else(|| ApiError::internal("no decision")),
                Err(WriteError::Guard(guard)) => {
                    guards += 1;
                    if guards >= 2 {
                        forced = Some(ErrorBody {
                            code: "CONFLICT".into(),
                            message: format!("the change conflicts with what is already recorded ({guard})"),
                            details: json!({ "guard": guard }),
                        });
                    }
                }
                // A deadlock or serialization failure between members (two orders taking the
                // same counters): try again shortly.
                Err(WriteError::Db(e)) if crate::db::transient(&e) && attempt < 7 => {
                    tokio::time::sleep(std::time::Duration::from_millis(5 * (attempt + 1))).await;
                }
                Err(WriteError::Db(e)) => return Err(e.into()),
            }
        }
        Err(ApiError::internal("the mutation could not be recorded"))
    }

    /// Decide `ms` (consecutive ids of one client) in one transaction that holds the member's
    /// lock. `forced` rejects the first mutation with that error instead of applying it. Stops at
    /// the first mutation that is not the next one (duplicate, reused, out of order).
    async fn try_decide(&self, member: &str, client: &str, ms: &[PushMutation], forced: Option<ErrorBody>) -> Result<Vec<(u64, Step)>, WriteError> {
        let db = &self.db;
        let mut tx = store::begin_write(db).await?;
        let (mut version, mut state_version) = store::member_versions(&mut tx, db, member, true).await?;
        let mut last = store::client_last_in(&mut tx, db, member, client).await?;

        let (program_version, program) = self.program_in(&mut tx).await?;
        let mut steps = Vec::with_capacity(ms.len());
        let mut state: Option<Arc<MemberState>> = None;
        let mut stock: Option<Stock> = None;
        let mut changed = false;
        let mut referral_tasks = false;
        let mut events_written = false;
        let mut forced = forced;
        let mut now = self.now();
        for m in ms {
            let id = m.id as i64;
            if id <= last {
                // Decided meanwhile by a concurrent push of the same client.
                let row = store::decided_in(&mut tx, db, member, client, id).await?;
                let (name, args, outcome) = (row.name, row.args, row.outcome);
                if !same_payload(m, &name, &args, row.client_time) {
                    steps.push((m.id, Step::Reused));
                    break;
                }
                steps.push((m.id, Step::Duplicate(decode_outcome(&outcome).map_err(|e| WriteError::Db(sqlx::Error::Protocol(e.message)))?)));
                continue;
            }
            if id > last + 1 {
                steps.push((m.id, Step::OutOfOrder(last + 1)));
                break;
            }
            if state.is_none() {
                let cached = self.cache.lock().expect("cache lock").get(member).filter(|(v, _)| *v == state_version).map(|(_, s)| s.clone());
                state = Some(match cached {
                    Some(s) => s,
                    None => {
                        let text = store::member_state(&mut tx, db, member).await?;
                        Arc::new(decode_state(&text).map_err(|e| WriteError::Db(sqlx::Error::Protocol(e.message)))?)
                    }
                });
                stock = Some(store::load_stock(&mut tx, db).await?);
            }
            let current = state.as_mut().expect("loaded");
            let counters = stock.as_mut().expect("loaded");
            // The clock never runs backwards inside one batch.
            now = now.max(self.now());
            let args_text = m.intent.args().to_string();
            // An order the state no longer holds may be in the archive: the engine is told what
            // became of it (refunded, or past its window) instead of "not found".
            let intent = m.intent.mutation();
            let archived_order = match intent.as_deref().ok().and_then(named_order) {
                Some(id) if current.order(id).is_none() => store::archived_order(&mut tx, db, member, id).await?,
                _ => None,
            };
            // An offline check-in keeps the day it was made on within the grace (rulebook §1);
            // later it counts for today, and the device is told so.
            let (at, notice) = match intent.as_deref() {
                Ok(Mutation::CheckIn {}) => siyu_core::checkin::counted_at(&program, m.client_time, now),
                _ => (now, None),
            };
            // A code a member accepts: the engine is told whose it is (rulebook §14).
            let referral_code = match intent.as_deref() {
                Ok(Mutation::AcceptReferral { code }) => Some(crate::referral::lookup(&mut tx, db, member, code).await?),
                _ => None,
            };
            let decision = match forced.take() {
                Some(error) => Err(error),
                None if args_text.len() > MAX_ARGS_BYTES || m.intent.name().len() > MAX_NAME_BYTES => Err(oversized_intent(args_text.len(), m.intent.name().len())),
                None => intent
                    .and_then(|mutation| {
                        let ctx = Ctx { now: at, client_id: client, mutation_id: m.id, stock: counters, archived_order, referral_code };
                        apply(&program, current, &*mutation, &ctx)
                    })
                    .map_err(|r| ErrorBody::from(&r)),
            };
            // The store's own change that does not apply (an order paid or cancelled meanwhile,
            // another server's sweep first) changes nothing and is not recorded: its caller
            // reports it.
            if let (Err(error), true) = (&decision, client == siyu_core::apply::STORE_CLIENT) {
                tx.rollback().await?;
                return Ok(vec![(m.id, Step::Decided(StoredOutcome::Rejected { error: error.clone() }))]);
            }
            version += 1;
            let outcome = match decision {
                Ok(applied) => {
                    store::write_guards(&mut tx, db, member, &applied.effects).await?;
                    let tier_before = self.config.webhooks.as_ref().map(|_| siyu_core::tiers::current_tier(&program, current, at).id.clone());
                    apply_effects(Arc::make_mut(current), &applied.effects);
                    siyu_core::apply_stock(counters, &applied.effects);
                    referral_tasks |= crate::referral::record(&mut tx, db, member, client, id, version, current, &applied.effects).await?;
                    if let (Some(webhooks), Some(before)) = (&self.config.webhooks, &tier_before) {
                        let after = &siyu_core::tiers::current_tier(&program, current, at).id;
                        let change = (before != after).then_some((before.as_str(), after.as_str()));
                        crate::events::record(&mut tx, db, webhooks, member, version, at, change, &applied.effects).await?;
                        events_written = true;
                    }
                    state_version = version;
                    changed = true;
                    StoredOutcome::Applied { effects: applied.effects, notice: notice.map(|n| ErrorBody::from(&Rejection::from(n))) }
                }
                Err(error) => StoredOutcome::Rejected { error },
            };
            let status = match outcome {
                StoredOutcome::Applied { .. } => "applied",
                StoredOutcome::Rejected { .. } => "rejected",
            };
            let outcome_text = serde_json::to_string(&outcome).map_err(|e| WriteError::Db(sqlx::Error::Protocol(e.to_string())))?;
            let decision = store::Decision {
                member,
                client,
                id,
                seq: version,
                name: m.intent.name(),
                args: &args_text,
                client_time: m.client_time,
                // The instant it was decided at, so a pull's patch replays it the same.
                decided_at: at,
                status,
                outcome: &outcome_text,
                program_version,
            };
            store::record(&mut tx, db, &decision).await?;
            last = id;
            steps.push((m.id, Step::Decided(outcome)));
        }

        let decided = steps.iter().any(|(_, s)| matches!(s, Step::Decided(_)));
        if !decided {
            tx.rollback().await?;
            return Ok(steps);
        }
        // What can no longer change or show moves to the archive (rulebook §12), in this
        // transaction: the state written stays bounded by the program's windows.
        if changed {
            if let Some(current) = state.as_mut() {
                let (compacted, moved) = compact(&program, current, now);
                if compacted != **current {
                    archive(&mut tx, db, member, &moved).await?;
                    store::record_compaction(&mut tx, db, member, version, now).await?;
                    *current = Arc::new(compacted);
                }
            }
        }
        let text = match (changed, state.as_ref()) {
            (true, Some(next)) => Some(serde_json::to_string(&**next).map_err(|e| WriteError::Db(sqlx::Error::Protocol(e.to_string())))?),
            _ => None,
        };
        store::save_member(&mut tx, db, member, version, text.as_deref().map(|t| (state_version, t)), now).await?;
        store::set_client_last(&mut tx, db, member, client, last).await?;
        tx.commit().await?;
        if referral_tasks {
            self.referral_wake.notify_one();
        }
        if events_written {
            self.events_wake.notify_one();
        }
        if changed {
            if let Some(state) = state {
                remember(&mut self.cache.lock().expect("cache lock"), CACHE_LIMIT, member, (state_version, state));
            }
        }
        Ok(steps)
    }

    // ---- history ----------------------------------------------------------------------------

    /// A page of what left the member's working state (rulebook §12), newest first: `before`
    /// (a `next` from the previous page) and `limit` (1–100, default 20); for check-ins, a
    /// calendar month (`year` and `month`) instead; they are ignored for other kinds.
    pub async fn history(&self, member: &str, kind: &str, query: &HistoryQuery) -> Result<HistoryPage, ApiError> {
        let kind = ArchiveKind::parse(kind).ok_or_else(|| {
            ApiError::not_found(format!("no history of {kind:?}")).with_details(json!({ "kinds": ArchiveKind::ALL.map(ArchiveKind::name) }))
        })?;
        if query.year.is_some_and(|y| !(1970..=9999).contains(&y)) {
            return Err(ApiError::bad_request("year must be 1970 to 9999").with_details(json!({ "path": "year", "problem": "out of range" })));
        }
        if query.month.is_some_and(|m| !(1..=12).contains(&m)) {
            return Err(ApiError::bad_request("month must be 1 to 12").with_details(json!({ "path": "month", "problem": "out of range" })));
        }
        // A month of check-ins when asked for one (year and month both, for check-ins only).
        let month = match (kind, query.year, query.month) {
            (ArchiveKind::CheckIns, Some(year), Some(month)) => Some((year, month)),
            _ => None,
        };
        let bodies: Vec<(Option<i64>, String)> = match month {
            None => {
                let limit = query.limit.unwrap_or(HISTORY_PAGE);
                if !(1..=MAX_HISTORY_PAGE).contains(&limit) {
                    return Err(ApiError::bad_request(format!("limit must be 1 to {MAX_HISTORY_PAGE}")).with_details(json!({ "path": "limit", "problem": "out of range" })));
                }
                if query.before.is_some_and(|b| b < 0) {
                    return Err(ApiError::bad_request("before must be 0 or more").with_details(json!({ "path": "before", "problem": "out of range" })));
                }
                store::archive_page(&self.db, member, kind, query.before, i64::from(limit)).await?.into_iter().map(|(seq, body)| (Some(seq), body)).collect()
            }
            Some((year, month)) => {
                let first = Day::from_ymd(year, month, 1)
                    .ok_or_else(|| ApiError::bad_request("no such month").with_details(json!({ "path": "month", "problem": "no such month" })))?;
                let last = first.plus(i32::from(days_in_month(year, month)) - 1);
                store::archive_between(&self.db, member, kind, i64::from(first.0), i64::from(last.0)).await?.into_iter().map(|body| (None, body)).collect()
            }
        };
        let next = match bodies.last() {
            Some((Some(seq), _)) if *seq > 0 => Some(*seq),
            _ => None,
        };
        let items = bodies
            .into_iter()
            .map(|(_, body)| serde_json::from_str(&body).map_err(|e| ApiError::internal(format!("archived item is unreadable: {e}"))))
            .collect::<Result<Vec<Value>, ApiError>>()?;
        Ok(HistoryPage { kind: kind.name(), items, next })
    }

    // ---- pull -------------------------------------------------------------------------------

    /// A pull registers an unknown client to the member (so a new device can pull before it pushes).
    pub async fn pull(&self, member: &str, req: &PullRequest) -> Result<PullResponse, ApiError> {
        if req.protocol != PROTOCOL_VERSION {
            return Err(ApiError::version(json!(req.protocol)));
        }
        check_client_id(&req.client_id)?;
        self.rate_check(member)?;
        self.ensure_client(member, &req.client_id).await?;
        let db = &self.db;
        let mut tx = store::begin_read(db).await?;
        let (version, state_version) = store::member_versions(&mut tx, db, member, false).await?;
        // A cookie from the future (the data was restored or moved) counts as none, and the reply
        // says so, so that the client adopts the state even though the cookie goes down.
        let reset = req.cookie.is_some_and(|c| c > version as u64);
        let cookie = req.cookie.map(|c| c as i64).filter(|c| *c <= version);
        // After the first pull, what changed since the cookie (a patch) rather than the state,
        // unless the changes are many: then the (bounded) state is the smaller answer.
        let (mut state, mut patch, mut state_digest) = (None, None, None);
        match cookie {
            Some(c) if state_version <= c => {}
            Some(c) => {
                let text = store::member_state(&mut tx, db, member).await?;
                let changes = store::changes_since(&mut tx, db, member, c, MAX_PATCH as i64 + 1).await?;
                if changes.len() <= MAX_PATCH {
                    patch = Some(changes.into_iter().map(change_of).collect::<Result<Vec<Change>, ApiError>>()?);
                    state_digest = Some(digest_json(&text));
                } else {
                    state = Some(decode_state(&text)?);
                }
            }
            None => state = Some(decode_state(&store::member_state(&mut tx, db, member).await?)?),
        }
        let last = store::client_last_in(&mut tx, db, member, &req.client_id).await?;
        let rows = store::outcomes_since(&mut tx, db, member, &req.client_id, cookie.unwrap_or(0), MAX_PULL_RESULTS).await?;
        let mut results = Vec::with_capacity(rows.len());
        for (id, outcome) in rows.iter().rev() {
            results.push(MutationResult { id: *id as u64, outcome: decode_outcome(outcome)?.into() });
        }
        let stock = self.of_program(store::load_stock(&mut tx, db).await?);
        tx.commit().await?;
        let now = self.now();
        let program = self.program();
        Ok(PullResponse {
            cookie: version as u64,
            last_mutation_id: last as u64,
            server_time: now,
            business_day: program.business_day(now),
            state,
            patch,
            state_digest,
            stock,
            results,
            reset,
        })
    }
}

fn check_client_id(client: &str) -> Result<(), ApiError> {
    if client == siyu_core::apply::STORE_CLIENT {
        // The store's own changes on a member's state are made under this id (rulebook §15).
        Err(ApiError::bad_request(format!("clientId {client:?} is reserved for the store")).with_details(json!({ "path": "clientId" })))
    } else if valid_id(client) {
        Ok(())
    } else {
        Err(ApiError::bad_request("clientId must be 1–64 characters of A-Z a-z 0-9 _ - . :").with_details(json!({ "path": "clientId" })))
    }
}

fn not_owned(client: &str) -> ApiError {
    ApiError::forbidden("CLIENT_NOT_OWNED", format!("client {client:?} belongs to another member")).with_details(json!({ "clientId": client }))
}

fn out_of_order(expected: i64, got: u64) -> ApiError {
    ApiError::new(409, "OUT_OF_ORDER", format!("expected mutation {expected} next, got {got}")).with_details(json!({ "expected": expected, "got": got }))
}

fn reused(id: u64) -> ApiError {
    ApiError::new(422, "MUTATION_ID_REUSED", format!("mutation {id} was already decided with another payload")).with_details(json!({ "id": id }))
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

/// Archived items in one page unless the caller asks otherwise, and at most.
pub const HISTORY_PAGE: u32 = 20;
pub const MAX_HISTORY_PAGE: u32 = 100;

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HistoryQuery {
    pub before: Option<i64>,
    pub limit: Option<u32>,
    pub year: Option<i32>,
    pub month: Option<u8>,
}

/// A page of a member's archive: the items (ledger entries, orders, … as the state held them),
/// newest first, and the `before` of the next page (null: this was the oldest).
#[derive(Debug, serde::Serialize)]
pub struct HistoryPage {
    pub kind: &'static str,
    pub items: Vec<Value>,
    pub next: Option<i64>,
}

/// A stored change as a patch carries it.
fn change_of(change: store::StateChange) -> Result<Change, ApiError> {
    Ok(match change {
        store::StateChange::Decided { seq, client, id, name, args, at, outcome } => {
            let args = serde_json::from_str(&args).map_err(|e| ApiError::internal(format!("stored arguments of decision {seq} are unreadable: {e}")))?;
            // Only an order can take a gift: other outcomes are not read.
            let gifts_taken = if name == "placeOrder" {
                match serde_json::from_str::<StoredOutcome>(&outcome) {
                    Ok(StoredOutcome::Applied { effects, .. }) => Decided::gifts_in(&effects),
                    _ => return Err(ApiError::internal(format!("stored outcome of decision {seq} is unreadable"))),
                }
            } else {
                Vec::new()
            };
            Change { seq: seq as u64, decided: Some(Decided { client_id: client, id: id as u64, name, args, at, gifts_taken }), compacted_at: None }
        }
        store::StateChange::Compacted { seq, at } => Change { seq: seq as u64, decided: None, compacted_at: Some(at) },
    })
}

/// The order a mutation names, if any.
fn named_order(mutation: &Mutation) -> Option<&str> {
    mutation.order_id()
}

/// Appends what compaction moved to the member's archive.
async fn archive(conn: &mut AnyConnection, db: &Db, member: &str, moved: &Archived) -> Result<(), WriteError> {
    fn items<T: serde::Serialize>(list: &[T], at: impl Fn(&T) -> i64) -> Result<Vec<ArchiveItem>, WriteError> {
        list.iter()
            .map(|x| Ok(ArchiveItem { at: at(x), body: serde_json::to_string(x).map_err(|e| WriteError::Db(sqlx::Error::Protocol(e.to_string())))? }))
            .collect()
    }
    store::append_archive(conn, db, member, ArchiveKind::CheckIns, &items(&moved.check_ins, |c| i64::from(c.day.0))?).await?;
    store::append_archive(conn, db, member, ArchiveKind::Lots, &items(&moved.lots, |l| l.earned_at)?).await?;
    store::append_archive(conn, db, member, ArchiveKind::Ledger, &items(&moved.ledger, |e| e.at)?).await?;
    store::append_archive(conn, db, member, ArchiveKind::Orders, &items(&moved.orders, |o| o.placed_at)?).await?;
    store::append_archive(conn, db, member, ArchiveKind::Coupons, &items(&moved.coupons, finished_at)?).await?;
    store::append_archive(conn, db, member, ArchiveKind::Redemptions, &items(&moved.redemptions, |r| r.at)?).await?;
    Ok(())
}

/// Whether a stored mutation is the one pushed again (the same intent; for an unreadable one, the
/// same name and arguments).
/// A resend of the decided mutation: the same intent made at the same device time. (Two installs
/// handed one client id can make the same change under one id; their times tell them apart, so
/// the second is refused MUTATION_ID_REUSED and moves to a new client id instead of being taken
/// for the first.)
fn same_payload(m: &PushMutation, name: &str, args: &str, client_time: i64) -> bool {
    m.client_time == client_time && serde_json::from_str::<Value>(args).is_ok_and(|args| Intent::read(name.to_string(), args) == m.intent)
}

fn decode_state(text: &str) -> Result<MemberState, ApiError> {
    serde_json::from_str(text).map_err(|e| ApiError::internal(format!("stored member state is unreadable: {e}")))
}

fn decode_outcome(text: &str) -> Result<StoredOutcome, ApiError> {
    serde_json::from_str(text).map_err(|e| ApiError::internal(format!("stored outcome is unreadable: {e}")))
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
    let seedless: Vec<Effect> = effects.iter().filter(|e| !matches!(e, Effect::StockTaken { .. } | Effect::StockReturned { .. })).cloned().collect();
    match store::write_guards(&mut tx, db, member, &seedless).await {
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
