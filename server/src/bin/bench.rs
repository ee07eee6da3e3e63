//! `cargo run -p siyu-server --release --bin siyu-bench-server [-- --postgres URL] [--members N]
//! [--per-member N] [--backlog N]`
//!
//! Prints, for SQLite (a fresh file) and for PostgreSQL when a URL is given (or
//! SIYU_TEST_POSTGRES_URL is set):
//! 1. the time the server takes to absorb a backlog of offline mutations from one client, pushed
//!    in batches of MAX_BATCH;
//! 2. sustained mutations per second with many members pushing concurrently, one mutation per push
//!    as online shoppers do.
//!
//! It drives the service layer in-process (no HTTP), so it measures the engine and the database.

use siyu_core::apply::Mutation;
use siyu_sync::replica::Mall;
use siyu_core::program::Program;
use siyu_core::quote::{CouponChoice, PointsChoice, QuoteRequest};
use siyu_core::state::OrderLine;
use siyu_sync::{PushResponse, StoredOutcome, MAX_BATCH};
use siyu_server::rng::Rng;
use siyu_server::auth::Signer;
use siyu_server::{Clock, Config, Db, Service};
use std::sync::Arc;
use std::time::Instant;

struct Args {
    postgres: Option<String>,
    members: usize,
    per_member: usize,
    backlog: usize,
}

fn args() -> Args {
    let mut a = Args {
        postgres: std::env::var("SIYU_TEST_POSTGRES_URL").ok().filter(|s| !s.is_empty()),
        members: 100,
        per_member: 40,
        backlog: 1000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next();
        let num = |v: &Option<String>| v.as_deref().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{flag} takes a number"));
        match flag.as_str() {
            "--postgres" => a.postgres = v,
            "--members" => a.members = num(&v),
            "--per-member" => a.per_member = num(&v),
            "--backlog" => a.backlog = num(&v),
            _ => panic!("unknown option {flag}; see the source for usage"),
        }
    }
    a
}


/// A shopper's next intent: mostly orders at the quoted price, some claims, check-ins, rewards.
fn intent(program: &Program, mall: &Mall, rng: &mut Rng, n: usize, now: i64) -> Mutation {
    match rng.below(10) {
        0 => Mutation::CheckIn {},
        1 | 2 => {
            let t = ["nuts-8", "pct-90-cap30", "free-ship", "full-300-50"];
            Mutation::ClaimCoupon { template: t[rng.below(t.len() as u64) as usize].into() }
        }
        3 => Mutation::RedeemReward { reward: "coupon-5".into() },
        _ => {
            let sku = &program.catalog[rng.below(program.catalog.len() as u64) as usize].id;
            let lines = vec![OrderLine { sku: sku.clone(), qty: 1 + rng.below(2) as u32 }];
            let req = QuoteRequest { lines: lines.clone(), coupons: CouponChoice::default(), points: PointsChoice::Amount(0) };
            let (coupons, total) = match siyu_core::quote::quote(program, mall.state(), mall.stock(), &req, now) {
                Ok(q) => (q.coupons.iter().map(|c| c.id.clone()).collect(), q.total),
                Err(_) => (Vec::new(), 0),
            };
            Mutation::PlaceOrder { order_id: format!("{}-o{n}", mall.client_id()), lines, coupons, points: 0, expected_total: total }
        }
    }
}

/// Queue `count` mutations offline (each accepted by the local engine).
fn queue(program: &Program, mall: &mut Mall, rng: &mut Rng, count: usize, now: i64) {
    let mut n = 0;
    let mut tries = 0;
    while mall.pending().len() < count && tries < count * 20 {
        tries += 1;
        n += 1;
        let m = intent(program, mall, rng, n, now);
        let _ = mall.mutate(m, now);
    }
}

fn tally(r: &PushResponse, applied: &mut usize, rejected: &mut usize) {
    for x in &r.results {
        match x.outcome.original() {
            StoredOutcome::Applied { .. } => *applied += 1,
            StoredOutcome::Rejected { .. } => *rejected += 1,
        }
    }
}

/// Thursday 3 December 2026, 10:00 China time: the instant the benchmark's clock starts at.
const PINNED_AT: i64 = 1_796_263_200_000;

async fn service(url: &str, program: &Program) -> Arc<Service> {
    let db = Db::connect(url, 32).await.unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    let config = Config { rate_burst: 0, ..Config::default() };
    // Pinned: the figures never depend on the day the benchmark runs (a member day prices more).
    let clock = Clock::system();
    clock.set_offset_ms(PINNED_AT - siyu_server::clock::system_now_ms());
    Service::new(db, program.clone(), Signer::new(b"bench".to_vec()), clock, config).await.unwrap()
}

async fn backlog(svc: &Arc<Service>, program: &Program, tag: &str, count: usize) {
    let member = format!("backlog-{tag}");
    let now = svc.now();
    let mut mall = Mall::new(program.clone(), &member, &format!("offline-{tag}"), now);
    let mut rng = Rng(7);
    queue(program, &mut mall, &mut rng, count, now);
    let queued = mall.pending().len();
    let (mut applied, mut rejected, mut pushes) = (0, 0, 0);
    let started = Instant::now();
    while !mall.pending().is_empty() {
        let req = mall.push_request();
        let r = svc.push(&member, &req).await.expect("push");
        pushes += 1;
        tally(&r, &mut applied, &mut rejected);
        mall.on_push_response(&r);
    }
    let took = started.elapsed();
    println!(
        "  backlog: {queued} offline mutations from one client in {pushes} pushes of ≤{MAX_BATCH}: {:.2} s ({:.2} ms/mutation, {applied} applied, {rejected} rejected)",
        took.as_secs_f64(),
        took.as_secs_f64() * 1000.0 / queued.max(1) as f64
    );
}

async fn sustained(svc: &Arc<Service>, program: &Program, tag: &str, members: usize, per_member: usize) {
    let now = svc.now();
    let mut malls = Vec::new();
    for i in 0..members {
        let member = format!("m{i}-{tag}");
        let mut mall = Mall::new(program.clone(), &member, &format!("c{i}-{tag}"), now);
        let mut rng = Rng(1000 + i as u64);
        queue(program, &mut mall, &mut rng, per_member, now);
        malls.push((member, mall));
    }
    let total: usize = malls.iter().map(|(_, m)| m.pending().len()).sum();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (member, mall) in malls {
        let svc = svc.clone();
        tasks.push(tokio::spawn(async move {
            let mut mall = mall;
            let (mut applied, mut rejected) = (0, 0);
            let mut worst = 0f64;
            while !mall.pending().is_empty() {
                let mut req = mall.push_request();
                req.mutations.truncate(1);
                let t = Instant::now();
                let r = svc.push(&member, &req).await.expect("push");
                worst = worst.max(t.elapsed().as_secs_f64());
                tally(&r, &mut applied, &mut rejected);
                mall.on_push_response(&r);
            }
            (applied, rejected, worst)
        }));
    }
    let (mut applied, mut rejected, mut worst) = (0, 0, 0f64);
    for t in tasks {
        let (a, r, w) = t.await.unwrap();
        applied += a;
        rejected += r;
        worst = worst.max(w);
    }
    let took = started.elapsed().as_secs_f64();
    println!(
        "  sustained: {members} members pushing concurrently, one mutation per push: {total} mutations in {took:.2} s = {:.0} mutations/s ({applied} applied, {rejected} rejected; slowest push {:.0} ms)",
        total as f64 / took,
        worst * 1000.0
    );
}

#[tokio::main]
async fn main() {
    let a = args();
    let program = Program::from_json(siyu_server::DEMO_PROGRAM).expect("demo program");
    let tag = format!("{:x}", siyu_server::clock::system_now_ms());
    let dir = std::env::temp_dir().join(format!("siyu-bench-{tag}"));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = format!("sqlite://{}", dir.join("bench.db").display());
    println!("siyu-server benchmark (profile: {})", if cfg!(debug_assertions) { "debug" } else { "release" });
    println!("SQLite ({sqlite}):");
    let svc = service(&sqlite, &program).await;
    backlog(&svc, &program, &tag, a.backlog).await;
    sustained(&svc, &program, &tag, a.members, a.per_member).await;
    drop(svc);
    let _ = std::fs::remove_dir_all(&dir);
    match &a.postgres {
        Some(url) => {
            println!("PostgreSQL ({}):", url.split('@').next_back().unwrap_or(url));
            let svc = service(url, &program).await;
            backlog(&svc, &program, &tag, a.backlog).await;
            sustained(&svc, &program, &tag, a.members, a.per_member).await;
        }
        None => println!("PostgreSQL: skipped (pass --postgres URL or set SIYU_TEST_POSTGRES_URL)"),
    }
}
