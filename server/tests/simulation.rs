//! A seeded, deterministic simulation: several devices/tabs of one member, each a `siyu_sync::replica::Mall`,
//! sync through a faulty in-process network against the real service layer (in-memory SQLite):
//! dropped requests, dropped replies, duplicates, delayed (reordered) requests, 5xx before and
//! after processing, crashes that restore from the persisted snapshot, and skewed device clocks.
//! After each run nothing is lost, nothing is applied twice, and every device equals the server.
//!
//! SIYU_SIM_SEEDS sets the number of seeds (default 1000); SIYU_SIM_STEPS the steps per seed.

mod common;

use common::*;
use serde_json::Value;
use siyu_core::apply::{apply_effects, Mutation};
use siyu_sync::replica::{Mall, Snapshot};
use siyu_core::program::Program;
use siyu_core::quote::{CouponChoice, PointsChoice, PointsMode, QuoteRequest};
use siyu_core::state::{MemberState, OrderLine};
use siyu_sync::{PullRequest, PushRequest, StoredOutcome, PROTOCOL_VERSION};
use siyu_core::time::MonthDay;
use siyu_server::Service;
use sqlx::Row;
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use siyu_server::rng::Rng;

struct Device {
    mall: Mall,
    /// What survives a crash: written after every change, as the browser does.
    persisted: Snapshot,
    /// Device clock minus server clock.
    skew: i64,
    orders_made: u32,
}

enum Request {
    Push(PushRequest),
    Pull(PullRequest),
}

#[derive(Default)]
struct Stats {
    mutations: u64,
    applied: u64,
    rejected: u64,
    requests: u64,
    faults: u64,
    crashes: u64,
}

struct Sim {
    rng: Rng,
    program: Program,
    svc: Arc<Service>,
    clock: Arc<AtomicI64>,
    member: String,
    devices: Vec<Device>,
    delayed: Vec<Request>,
    /// Every mutation any device queued: (client, id) → (name, args).
    queued: BTreeMap<(String, u64), (String, Value)>,
    stats: Stats,
}

impl Sim {
    fn now(&self) -> i64 {
        self.clock.load(Ordering::SeqCst)
    }

    fn device_now(&self, d: usize) -> i64 {
        self.now() + self.devices[d].skew
    }

    fn persist(&mut self, d: usize) {
        self.devices[d].persisted = self.devices[d].mall.snapshot();
    }

    fn random_intent(&mut self, d: usize) -> Mutation {
        let dev_now = self.device_now(d);
        let mall = &self.devices[d].mall;
        let now = mall.now(dev_now);
        let state = mall.state().clone();
        let stock = mall.stock().clone();
        let client = mall.client_id().to_string();
        let roll = self.rng.below(100);
        match roll {
            0..=19 => Mutation::CheckIn {},
            20..=24 => Mutation::MakeupCheckIn { day: self.program.business_day(now).plus(-(self.rng.range(1, 4) as i32)) },
            25..=44 => {
                let templates = ["full-300-50", "pct-90-cap30", "nuts-8", "free-ship", "memberday-15", "bday-20", "winback-20", "quota-sim", "first-order-10", "nope"];
                Mutation::ClaimCoupon { template: self.rng.pick(&templates).to_string() }
            }
            45..=51 => Mutation::RedeemReward { reward: self.rng.pick(&["coupon-5", "shaker", "nope"]).to_string() },
            52..=58 if !state.orders.is_empty() => {
                let order = self.rng.pick(&state.orders).id.clone();
                Mutation::RefundOrder { order_id: order }
            }
            59..=61 => Mutation::SetBirthday { birthday: MonthDay { month: self.rng.range(1, 12) as u8, day: self.rng.range(1, 28) as u8 } },
            _ => {
                let n = self.rng.range(1, 3);
                let mut lines = Vec::new();
                for _ in 0..n {
                    let sku = if self.rng.chance(15) { "honey-manuka".to_string() } else { self.rng.pick(&self.program.catalog).id.clone() };
                    if !lines.iter().any(|l: &OrderLine| l.sku == sku) {
                        lines.push(OrderLine { sku, qty: self.rng.range(1, 3) as u32 });
                    }
                }
                let points = if self.rng.chance(30) { PointsChoice::Mode(PointsMode::Max) } else { PointsChoice::Amount(0) };
                let request = QuoteRequest { lines: lines.clone(), coupons: CouponChoice::default(), points };
                let quote = siyu_core::quote::quote(&self.program, &state, &stock, &request, now);
                let (coupons, points, mut total) = match quote {
                    Ok(q) => (q.coupons.iter().map(|c| c.id.clone()).collect(), q.points.used, q.total),
                    Err(_) => (Vec::new(), 0, 0),
                };
                if self.rng.chance(5) {
                    total -= 1; // a stale total: PRICE_CHANGED
                }
                self.devices[d].orders_made += 1;
                let order_id = if self.rng.chance(3) && !state.orders.is_empty() {
                    state.orders[0].id.clone()
                } else {
                    format!("o-{}-{}", client, self.devices[d].orders_made)
                };
                Mutation::PlaceOrder { order_id, lines, coupons, points, expected_total: total }
            }
        }
    }

    fn mutate(&mut self, d: usize) {
        let intent = self.random_intent(d);
        let now = self.devices[d].mall.now(self.device_now(d));
        if let Ok((id, _)) = self.devices[d].mall.mutate(intent, now) {
            let p = self.devices[d].mall.pending().iter().find(|p| p.id == id).expect("queued").clone();
            self.queued.insert((self.devices[d].mall.client_id().to_string(), id), (p.intent.name().to_string(), p.intent.args()));
            self.stats.mutations += 1;
            self.persist(d);
        }
    }

    async fn deliver(&mut self, request: &Request) -> Result<Value, siyu_server::ApiError> {
        self.stats.requests += 1;
        match request {
            Request::Push(r) => self.svc.push(&self.member, r).await.map(|v| serde_json::to_value(v).unwrap()),
            Request::Pull(r) => self.svc.pull(&self.member, r).await.map(|v| serde_json::to_value(v).unwrap()),
        }
    }

    /// Send through the faulty network; the reply, if the client gets one.
    async fn send(&mut self, request: Request, faults: bool) -> Option<Value> {
        if faults {
            let roll = self.rng.below(100);
            self.stats.faults += (roll < 36) as u64;
            match roll {
                0..=7 => return None, // request lost
                8..=14 => {
                    self.delayed.push(request); // arrives later; the client has given up on it
                    return None;
                }
                15..=22 => {
                    let _ = self.deliver(&request).await; // reply lost
                    return None;
                }
                23..=27 => {
                    let _ = self.deliver(&request).await; // duplicated: the client gets the second reply
                }
                28..=31 => return None, // 503 before processing
                32..=35 => {
                    let _ = self.deliver(&request).await; // processed, then 500
                    return None;
                }
                _ => {}
            }
        }
        match self.deliver(&request).await {
            Ok(v) => Some(v),
            Err(e) => panic!("unexpected request error {e}"),
        }
    }

    async fn push(&mut self, d: usize, faults: bool) {
        if self.devices[d].mall.pending().is_empty() {
            return;
        }
        let req = self.devices[d].mall.push_request();
        assert_eq!(req.protocol, PROTOCOL_VERSION);
        if let Some(reply) = self.send(Request::Push(req), faults).await {
            let response: siyu_sync::PushResponse = serde_json::from_value(reply).unwrap();
            for r in &response.results {
                match r.outcome.original() {
                    StoredOutcome::Applied { .. } => self.stats.applied += 1,
                    StoredOutcome::Rejected { .. } => self.stats.rejected += 1,
                }
            }
            let now = self.devices[d].mall.now(self.device_now(d));
            self.devices[d].mall.on_push_response(&response);
            self.persist(d);
        }
    }

    async fn pull(&mut self, d: usize, faults: bool) {
        let mall = &self.devices[d].mall;
        let req = PullRequest { protocol: PROTOCOL_VERSION, client_id: mall.client_id().to_string(), cookie: mall.cookie() };
        let sent = self.device_now(d);
        if let Some(reply) = self.send(Request::Pull(req), faults).await {
            let response: siyu_sync::PullResponse = serde_json::from_value(reply).unwrap();
            let received = self.device_now(d);
            self.devices[d].mall.on_pull_response(&response, sent, received);
            self.persist(d);
        }
    }

    async fn deliver_delayed(&mut self, all: bool) {
        while !self.delayed.is_empty() {
            let i = self.rng.below(self.delayed.len() as u64) as usize;
            let request = self.delayed.swap_remove(i);
            let _ = self.deliver(&request).await;
            if !all && self.rng.chance(50) {
                break;
            }
        }
    }

    fn crash(&mut self, d: usize) {
        self.stats.crashes += 1;
        let snapshot = self.devices[d].persisted.clone();
        let now = self.device_now(d);
        self.devices[d].mall = Mall::from_snapshot(self.program.clone(), snapshot).expect("persisted snapshot restores");
    }

    fn advance(&mut self) {
        let step = match self.rng.below(100) {
            0..=69 => self.rng.range(1, 30) * 60_000,
            70..=94 => self.rng.range(1, 12) * HOUR,
            _ => self.rng.range(1, 3) * DAY,
        };
        self.clock.fetch_add(step, Ordering::SeqCst);
    }
}

/// One seeded run; `database` None is an in-memory SQLite, else a URL (PostgreSQL), where member
/// and client ids are made unique per run so reruns on the same database don't collide.
async fn run_seed(seed: u64, steps: usize, database: Option<&str>) -> Stats {
    let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x5151);
    let start = START + rng.range(0, 40) * DAY + rng.range(0, 23) * HOUR;
    let program = test_program("sim");
    let (svc, clock) = match database {
        None => memory_service(program.clone(), start).await,
        Some(url) => service_on(url, program.clone(), start, config()).await,
    };
    let tag = match database {
        None => String::new(),
        Some(_) => format!("{}-", run_tag()),
    };
    let member = format!("m{tag}{seed}");
    let n = rng.range(2, 4) as usize;
    let mut devices = Vec::new();
    for i in 0..n {
        let skew = rng.range(-3 * 60, 3 * 60) * 60_000;
        let mall = Mall::new(program.clone(), &member, &format!("s{tag}{seed}-d{i}"), start + skew);
        let persisted = mall.snapshot();
        devices.push(Device { mall, persisted, skew, orders_made: 0 });
    }
    let mut sim = Sim { rng, program, svc, clock, member, devices, delayed: Vec::new(), queued: BTreeMap::new(), stats: Stats::default() };

    for _ in 0..steps {
        sim.advance();
        let d = sim.rng.below(n as u64) as usize;
        match sim.rng.below(100) {
            0..=44 => sim.mutate(d),
            45..=74 => {
                sim.push(d, true).await;
                sim.pull(d, true).await;
            }
            75..=82 => sim.pull(d, true).await,
            83..=87 => sim.crash(d),
            88..=92 => sim.deliver_delayed(false).await,
            _ => sim.devices[d].skew += sim.rng.range(-26, 26) * HOUR, // the device clock is moved
        }
    }

    // Quiesce: late requests arrive, then every device syncs without faults.
    sim.deliver_delayed(true).await;
    for d in 0..n {
        for _ in 0..50 {
            if sim.devices[d].mall.pending().is_empty() {
                break;
            }
            sim.push(d, false).await;
        }
        assert!(sim.devices[d].mall.pending().is_empty(), "seed {seed}: device {d} could not drain its queue");
    }
    for d in 0..n {
        sim.pull(d, false).await;
    }
    check(&sim, seed).await;
    sim.stats
}

async fn check(sim: &Sim, seed: u64) {
    let (_, server_state) = sim.svc.member_state(&sim.member).await.unwrap().expect("member exists");
    let server_stock = sim.svc.stock().await.unwrap();
    let db = &sim.svc.db;

    // Nothing lost: every queued mutation is decided once, with the payload it was queued with.
    let rows = sqlx::query(&db.sql("SELECT client_id, mutation_id, name, args, outcome, seq FROM mutations WHERE member_id = $1 ORDER BY seq"))
        .bind(sim.member.as_str())
        .fetch_all(&db.pool)
        .await
        .unwrap();
    // The compactions the server ran (rulebook §12), each after the decision of its seq.
    let compactions: Vec<(i64, i64)> = sqlx::query(&db.sql("SELECT seq, at FROM compactions WHERE member_id = $1 ORDER BY seq"))
        .bind(sim.member.as_str())
        .fetch_all(&db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap()))
        .collect();
    let program = sim.svc.program();
    let mut decided = HashSet::new();
    let mut replay = MemberState::new(sim.member.clone(), server_state.joined_at);
    for r in &rows {
        let client: String = r.try_get(0).unwrap();
        let id: i64 = r.try_get(1).unwrap();
        let name: String = r.try_get(2).unwrap();
        let args: Value = serde_json::from_str(&r.try_get::<String, _>(3).unwrap()).unwrap();
        assert!(decided.insert((client.clone(), id as u64)), "seed {seed}: {client}/{id} decided twice");
        let (qname, qargs) = sim.queued.get(&(client.clone(), id as u64)).unwrap_or_else(|| panic!("seed {seed}: {client}/{id} was never queued"));
        assert_eq!((qname, qargs), (&name, &args), "seed {seed}: {client}/{id} payload differs");
        let outcome: StoredOutcome = serde_json::from_str(&r.try_get::<String, _>(4).unwrap()).unwrap();
        if let StoredOutcome::Applied { effects, .. } = outcome {
            apply_effects(&mut replay, &effects);
        }
        let seq: i64 = r.try_get(5).unwrap();
        for (_, at) in compactions.iter().filter(|(s, _)| *s == seq) {
            replay = siyu_core::compact::compact(&program, &replay, *at).0;
        }
    }
    for key in sim.queued.keys() {
        assert!(decided.contains(key), "seed {seed}: {}/{} was lost", key.0, key.1);
    }
    // Nothing applied twice: the state is exactly the stored results (and compactions) replayed
    // once, in order.
    assert_eq!(replay, server_state, "seed {seed}: the state is not its log replayed once");
    let unique = |ids: Vec<&str>, what: &str| {
        let n = ids.len();
        assert_eq!(ids.into_iter().collect::<HashSet<_>>().len(), n, "seed {seed}: duplicate {what}");
    };
    unique(server_state.orders.iter().map(|o| o.id.as_str()).collect(), "order ids");
    unique(server_state.coupons.iter().map(|c| c.id.as_str()).collect(), "coupon ids");
    unique(server_state.lots.iter().map(|l| l.id.as_str()).collect(), "lot ids");
    let days: Vec<String> = server_state.check_ins.iter().map(|c| c.day.to_string()).collect();
    unique(days.iter().map(|s| s.as_str()).collect(), "check-in days");

    // Every device equals the server after the final sync.
    for (d, dev) in sim.devices.iter().enumerate() {
        let snap = dev.mall.snapshot();
        let last: i64 = sqlx::query(&db.sql("SELECT last_mutation_id FROM clients WHERE member_id = $1 AND client_id = $2"))
            .bind(sim.member.as_str())
            .bind(dev.mall.client_id())
            .fetch_optional(&db.pool)
            .await
            .unwrap()
            .map(|r| r.try_get(0).unwrap())
            .unwrap_or(0);
        assert_eq!(last as u64, snap.next_mutation_id - 1, "seed {seed}: device {d} and server disagree on the last mutation");
        assert!(dev.mall.pending().is_empty());
        assert_eq!(dev.mall.confirmed(), &server_state, "seed {seed}: device {d} confirmed state differs");
        assert_eq!(dev.mall.state(), &server_state, "seed {seed}: device {d} state differs");
        assert_eq!(dev.mall.stock(), &server_stock, "seed {seed}: device {d} stock differs");
    }
}

fn seeds() -> u64 {
    std::env::var("SIYU_SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(1000)
}

fn steps() -> usize {
    std::env::var("SIYU_SIM_STEPS").ok().and_then(|s| s.parse().ok()).unwrap_or(120)
}

const SHARDS: u64 = 4;

async fn shard(k: u64) {
    let started = std::time::Instant::now();
    let mut total = Stats::default();
    let mut ran = 0;
    for seed in (0..seeds()).filter(|s| s % SHARDS == k) {
        let s = run_seed(seed, steps(), None).await;
        total.mutations += s.mutations;
        total.applied += s.applied;
        total.rejected += s.rejected;
        total.requests += s.requests;
        total.faults += s.faults;
        total.crashes += s.crashes;
        ran += 1;
    }
    eprintln!(
        "simulation shard {k}: {ran} seeds × {} steps in {:.1} s: {} mutations queued, {} applied / {} rejected replies, {} requests, {} faults, {} crashes",
        steps(),
        started.elapsed().as_secs_f64(),
        total.mutations,
        total.applied,
        total.rejected,
        total.requests,
        total.faults,
        total.crashes
    );
}

#[tokio::test]
async fn simulation_shard_0() {
    shard(0).await
}

#[tokio::test]
async fn simulation_shard_1() {
    shard(1).await
}

#[tokio::test]
async fn simulation_shard_2() {
    shard(2).await
}

#[tokio::test]
async fn simulation_shard_3() {
    shard(3).await
}

/// The same simulation against PostgreSQL (SIYU_SIM_PG_SEEDS seeds, default 100).
#[tokio::test]
async fn simulation_on_postgres() {
    let Some(url) = postgres_url("simulation_on_postgres") else { return };
    let seeds: u64 = std::env::var("SIYU_SIM_PG_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(100);
    let started = std::time::Instant::now();
    let mut mutations = 0;
    for seed in 0..seeds {
        mutations += run_seed(seed, steps(), Some(&url)).await.mutations;
    }
    eprintln!("simulation on PostgreSQL: {seeds} seeds × {} steps in {:.1} s, {mutations} mutations queued", steps(), started.elapsed().as_secs_f64());
}
