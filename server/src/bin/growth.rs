//! `cargo run -p siyu-server --release --bin siyu-growth [-- --years 0,1,2,5,10] [--postgres URL]`
//!
//! One member lives ten years against the service (in-process, SQLite in memory, or PostgreSQL
//! with `--postgres`), as a client does: the replica applies each change, pushes it, pulls. Every
//! day a check-in; an order every 10–18 days (best coupons, points sometimes), every 8th refunded
//! the next day; coupons claimed when offered; a points-mall reward now and then. At each
//! milestone it prints one JSON line: the sizes a client stores and downloads, the server's time
//! for a check-in's push and for a ledger page of the archive, and the member's snapshot (for the
//! client-side timings of bench/growth.mjs).

use siyu_core::apply::Mutation;
use siyu_core::quote::{CouponChoice, PointsChoice, PointsMode, QuoteRequest};
use siyu_core::state::OrderLine;
use siyu_server::auth::Signer;
use siyu_server::rng::Rng;
use siyu_server::service::HistoryQuery;
use siyu_server::{Clock, Config, Db, Service};
use siyu_sync::replica::Mall;
use siyu_sync::{PushResponse, MAX_BATCH};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

const DAY: i64 = 86_400_000;
/// 2026-03-02 10:00 at +08:00.
const START: i64 = 1_772_416_800_000;

struct Life {
    svc: Arc<Service>,
    clock: Arc<std::sync::atomic::AtomicI64>,
    mall: Mall,
    member: String,
    rng: Rng,
    day: i64,
    next_order: i64,
    orders: u32,
    refund_due: Option<(i64, String)>,
}

impl Life {
    fn now(&self) -> i64 {
        self.clock.load(Ordering::SeqCst)
    }

    async fn sync(&mut self) -> usize {
        while self.mall.pending().len() > 0 {
            let request = self.mall.push_request();
            let reply: PushResponse = self.svc.push(&self.member, &request).await.expect("push");
            self.mall.on_push_response(&reply);
            if request.mutations.len() < MAX_BATCH {
                break;
            }
        }
        self.pull().await
    }

    /// Pulls; the reply's size in bytes as it travels.
    async fn pull(&mut self) -> usize {
        let request = self.mall.pull_request();
        let reply = self.svc.pull(&self.member, &request).await.expect("pull");
        let bytes = serde_json::to_string(&reply).expect("json").len();
        let now = self.now();
        self.mall.on_pull_response(&reply, now, now);
        bytes
    }

    /// One day of the member's life, synced at its end. With `measure`, the day's check-in is
    /// pushed on its own first: the push's time and the size of the pull after it are recorded.
    async fn live_a_day(&mut self, measure: Option<&mut Measures>) {
        self.day += 1;
        self.clock.store(START + self.day * DAY + self.rng.range(0, 10) * 3_600_000, Ordering::SeqCst);
        let now = self.now();
        let _ = self.mall.mutate(Mutation::CheckIn {}, now);
        if let Some(m) = measure {
            let request = self.mall.push_request();
            let t = Instant::now();
            let reply = self.svc.push(&self.member, &request).await.expect("push");
            m.push_ms.push(t.elapsed().as_secs_f64() * 1e3);
            self.mall.on_push_response(&reply);
            m.pull_bytes.push(self.pull().await);
        }
        if self.rng.chance(30) {
            let offers = siyu_core::coupons::claim_centre(&self.mall.program, self.mall.state(), self.mall.stock(), now);
            if let Some(offer) = offers.iter().find(|o| o.claimable) {
                let _ = self.mall.mutate(Mutation::ClaimCoupon { template: offer.template.id.clone() }, now);
            }
        }
        if self.day % 61 == 30 {
            let _ = self.mall.mutate(Mutation::RedeemReward { reward: "coupon-5".into() }, now);
        }
        if let Some((due, order_id)) = self.refund_due.clone() {
            if due <= self.day {
                let _ = self.mall.mutate(Mutation::RefundOrder { order_id }, now);
                self.refund_due = None;
            }
        }
        if self.day >= self.next_order {
            self.next_order = self.day + self.rng.range(10, 19);
            let skus = ["almond-250", "oats-1kg", "greentea-100", "walnut-500", "chia-300", "quinoa-500"];
            let lines: Vec<OrderLine> = (0..self.rng.range(1, 4)).map(|_| OrderLine { sku: (*self.rng.pick(&skus)).into(), qty: self.rng.range(1, 3) as u32 }).collect();
            let points = if self.rng.chance(30) { PointsChoice::Mode(PointsMode::Max) } else { PointsChoice::Amount(0) };
            let request = QuoteRequest { lines: lines.clone(), coupons: CouponChoice::default(), points };
            if let Ok(q) = siyu_core::quote::quote(&self.mall.program, self.mall.state(), self.mall.stock(), &request, now) {
                let order_id = self.mall.next_order_id();
                let placed = Mutation::PlaceOrder { order_id: order_id.clone(), lines, coupons: q.coupons.iter().map(|c| c.id.clone()).collect(), points: q.points.used, expected_total: q.total };
                if self.mall.mutate(placed, now).is_ok() {
                    self.orders += 1;
                    if self.orders % 8 == 0 {
                        self.refund_due = Some((self.day + 1, order_id));
                    }
                }
            }
        }
        self.sync().await;
    }
}

#[derive(Default)]
struct Measures {
    push_ms: Vec<f64>,
    pull_bytes: Vec<usize>,
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut years: Vec<i64> = vec![0, 1, 2, 5, 10];
    let mut database = "sqlite::memory:".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--years" => years = args.next().expect("--years 0,1,2").split(',').map(|y| y.parse().expect("a number of years")).collect(),
            "--postgres" => database = args.next().expect("--postgres URL"),
            other => panic!("unknown flag {other}"),
        }
    }
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../programs/health-food.json")).expect("the demo program");
    let program = siyu_core::Program::from_json(&text).expect("a valid program");
    let db = Db::connect(&database, 4).await.expect("database");
    let (clock, handle) = Clock::manual(START);
    let config = Config { demo: false, rate_burst: 0, rate_per_sec: 0.0, ..Config::default() };
    let svc = Service::new(db, program.clone(), Signer::new(b"growth".to_vec()), clock, config).await.expect("service");
    let tag = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    let member = format!("growth-{tag}");
    let mall = Mall::new(program, &member, &format!("phone-{tag}"), START);
    let mut life = Life { svc, clock: handle, mall, member, rng: Rng(7), day: 0, next_order: 3, orders: 0, refund_due: None };
    life.sync().await;
    for target in years {
        while life.day < target * 365 {
            life.live_a_day(None).await;
        }
        // The next 30 days of the same life: each check-in's push on its own, and the pull after it.
        let mut m = Measures::default();
        for _ in 0..30 {
            life.live_a_day(Some(&mut m)).await;
        }
        let push_ms = m.push_ms;
        let pull_bytes = m.pull_bytes.iter().copied().max().unwrap_or(0);
        // A ledger page of 20 from the middle of the archive.
        let archived = life.mall.state().past.ledger_entries as i64;
        let mut page_ms = Vec::new();
        for _ in 0..40 {
            let t = Instant::now();
            let page = life.svc.history(&life.member, "ledger", &HistoryQuery { before: Some(archived / 2), limit: Some(20), ..Default::default() }).await.expect("history");
            page_ms.push(t.elapsed().as_secs_f64() * 1e3);
            assert!(archived == 0 || !page.items.is_empty());
        }
        let state = serde_json::to_string(life.mall.state()).expect("json");
        let snapshot = serde_json::to_string(&life.mall.snapshot()).expect("json");
        let line = serde_json::json!({
            "years": target,
            "now": life.now(),
            "days": life.day,
            "orders": life.orders,
            "stateBytes": state.len(),
            "snapshotBytes": snapshot.len(),
            "pullAfterCheckInBytes": pull_bytes,
            "coupons": life.mall.state().coupons.len(),
            "pushCheckInMs": median(push_ms),
            "ledgerPageMs": median(page_ms),
            "archivedLedger": archived,
            "snapshot": snapshot,
        });
        println!("{line}");
        eprintln!("growth: {target} years: state {} bytes, pull after a check-in {} bytes", state.len(), pull_bytes);
    }
}
