//! `cargo run -p siyu-server --release --bin siyu-rush [-- --postgres URL] [--no-sqlite] [--no-postgres]
//! [--members N] [--concurrency 32,128] [--rate N] [--pgbench-seconds N]`
//!
//! A member-day rush: `--members` members (2,000 by default) each open the mall, pull, check in,
//! claim the ¥50-off-¥300 coupon, order the limited-sale honey (100 units for everyone), and pull
//! again, on Wednesday 2 December 2026 at 10:00 China time (a member day inside the sale).
//!
//! - **closed loop**: `--concurrency` members at a time (each list item is one run), the next
//!   member starting when one finishes;
//! - **open loop**: members arrive at `--rate` per second (default: 80 % of the best closed-loop
//!   rate of members, the best of its runs) whatever the server's pace, so latency includes queueing.
//!
//! `node bench/rush.mjs` runs it on a scratch PostgreSQL database it makes and drops (`--postgres`
//! or SIYU_RUSH_POSTGRES_URL otherwise; never the tests' database, which a run would leave with
//! thousands of members). Each run has a fresh SQLite file, and on PostgreSQL fresh member ids and
//! the program's counters set back to their initial values. At the end it prints the targets'
//! table (docs/benchmarks.md, "Member-day rush"). After each run the database is checked:
//! the sale never sold more than its stock and sold exactly what the counter lost, every
//! acknowledged decision is stored, and each acknowledged check-in, claim and order is there once.
//!
//! With PostgreSQL, `pgbench -N` runs on the same server first (`pgbench_*` tables in the same
//! database) and each run reports applied mutations per second as a share of its tps.
//!
//! It drives the service layer in-process (no HTTP), so it measures the engine, the service and
//! the database; the HTTP layer adds its JSON and a socket per request.

use siyu_core::apply::Mutation;
use siyu_core::program::Program;
use siyu_core::quote::{CouponChoice, PointsChoice, QuoteRequest};
use siyu_core::state::OrderLine;
use siyu_server::auth::Signer;
use siyu_server::{Clock, Config, Db, Service};
use siyu_sync::replica::Mall;
use siyu_sync::{PullResponse, PushResponse, StoredOutcome};
use sqlx::Row;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Wednesday 2 December 2026, 10:00 China time: a member day, inside the honey sale.
const PINNED_AT: i64 = 1_796_176_800_000;
const SALE_SKU: &str = "honey-manuka";
const CLAIMED: &str = "full-300-50";
/// Connections per server, as `siyu-server` opens by default.
const POOL: u32 = 32;

struct Args {
    postgres: Option<String>,
    sqlite: bool,
    members: usize,
    concurrency: Vec<usize>,
    rate: Option<f64>,
    pgbench_seconds: u64,
}

fn args() -> Args {
    let mut a = Args {
        // Not the tests' database: a run leaves thousands of members behind.
        postgres: std::env::var("SIYU_RUSH_POSTGRES_URL").ok().filter(|s| !s.is_empty()),
        sqlite: true,
        members: 2000,
        concurrency: vec![32, 128],
        rate: None,
        pgbench_seconds: 15,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--no-sqlite" {
            a.sqlite = false;
            continue;
        }
        if flag == "--no-postgres" {
            a.postgres = None;
            continue;
        }
        let v = it.next().unwrap_or_else(|| panic!("{flag} takes a value"));
        let num = |v: &str| v.parse::<usize>().unwrap_or_else(|_| panic!("{flag} takes a number"));
        match flag.as_str() {
            "--postgres" => a.postgres = Some(v),
            "--members" => a.members = num(&v),
            "--concurrency" => a.concurrency = v.split(',').map(num).collect(),
            "--rate" => a.rate = Some(num(&v) as f64),
            "--pgbench-seconds" => a.pgbench_seconds = num(&v) as u64,
            _ => panic!("unknown option {flag}; see the source for usage"),
        }
    }
    a
}

/// What the members were told, to check against the database.
#[derive(Default)]
struct Told {
    pushes: Vec<f64>,
    /// A new device's first pull, which registers it (a write).
    first_pulls: Vec<f64>,
    /// A known device's pull: reads only.
    pulls: Vec<f64>,
    applied: usize,
    rejected: usize,
    check_ins: usize,
    claims: usize,
    orders: usize,
}

impl Told {
    fn merge(&mut self, other: Told) {
        self.pushes.extend(other.pushes);
        self.first_pulls.extend(other.first_pulls);
        self.pulls.extend(other.pulls);
        self.applied += other.applied;
        self.rejected += other.rejected;
        self.check_ins += other.check_ins;
        self.claims += other.claims;
        self.orders += other.orders;
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// One member's visit: pull, check in, claim, order the sale item, pull.
async fn visit(svc: &Service, program: &Program, member: String, now: i64) -> Told {
    let mut told = Told::default();
    let mut mall = Mall::new(program.clone(), &member, &format!("{member}-phone"), now);
    pull(svc, &mut mall, &member, now, &mut told, true).await;
    for k in 0..3 {
        let m = match k {
            0 => Mutation::CheckIn {},
            1 => Mutation::ClaimCoupon { template: CLAIMED.into() },
            _ => match order(program, &mall, now) {
                Some(m) => m,
                None => continue,
            },
        };
        if mall.mutate(m, now).is_err() {
            continue;
        }
        let req = mall.push_request();
        let t = Instant::now();
        let r: PushResponse = svc.push(&member, &req).await.unwrap_or_else(|e| panic!("push for {member}: {e:?}"));
        told.pushes.push(ms(t));
        for x in &r.results {
            match x.outcome.original() {
                StoredOutcome::Applied { .. } => {
                    told.applied += 1;
                    *[&mut told.check_ins, &mut told.claims, &mut told.orders][k] += 1;
                }
                StoredOutcome::Rejected { .. } => told.rejected += 1,
            }
        }
        mall.on_push_response(&r);
    }
    pull(svc, &mut mall, &member, now, &mut told, false).await;
    told
}

/// The sale item at the price the mall quotes (with the coupons it picks), if it can be quoted.
fn order(program: &Program, mall: &Mall, now: i64) -> Option<Mutation> {
    let lines = vec![OrderLine { sku: SALE_SKU.into(), qty: 1 }];
    let req = QuoteRequest { lines: lines.clone(), coupons: CouponChoice::default(), points: PointsChoice::Amount(0) };
    let quote = siyu_core::quote::quote(program, mall.state(), mall.stock(), &req, now).ok()?;
    Some(Mutation::PlaceOrder {
        order_id: mall.next_order_id(),
        lines,
        coupons: quote.coupons.iter().map(|c| c.id.clone()).collect(),
        points: 0,
        expected_total: quote.total,
    })
}

async fn pull(svc: &Service, mall: &mut Mall, member: &str, now: i64, told: &mut Told, first: bool) {
    let req = mall.pull_request();
    let t = Instant::now();
    let r: PullResponse = svc.pull(member, &req).await.unwrap_or_else(|e| panic!("pull for {member}: {e:?}"));
    if first { &mut told.first_pulls } else { &mut told.pulls }.push(ms(t));
    mall.on_pull_response(&r, now, now);
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let k = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[k - 1]
}

fn latency(name: &str, xs: &mut [f64]) -> String {
    xs.sort_by(f64::total_cmp);
    format!(
        "{name} p50 {:.1} / p99 {:.1} / max {:.1} ms",
        percentile(xs, 0.5),
        percentile(xs, 0.99),
        xs.last().copied().unwrap_or(0.0)
    )
}

async fn service(url: &str, program: &Program) -> Arc<Service> {
    let db = Db::connect(url, POOL).await.unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    // The counters start full: a run sells the sale's stock from its first unit.
    db.reset_stock(&siyu_core::Stock::initial(program)).await.expect("reset the counters");
    let config = Config { rate_burst: 0, ..Config::default() };
    let clock = Clock::system();
    clock.set_offset_ms(PINNED_AT - siyu_server::clock::system_now_ms());
    Service::new(db, program.clone(), Signer::new(b"rush".to_vec()), clock, config).await.expect("service")
}

enum Load {
    Closed(usize),
    Open(f64),
}

/// What one run measured.
struct Figures {
    applied_per_second: f64,
    members_per_second: f64,
    push_p50: f64,
    push_p99: f64,
    /// A known device's pulls (the first, registering pull is a write).
    pull_p99: f64,
}

async fn run(url: &str, program: &Program, prefix: &str, members: usize, load: Load) -> Figures {
    let svc = service(url, program).await;
    let now = svc.now();
    let told = Arc::new(Mutex::new(Told::default()));
    let started = Instant::now();
    let label = match load {
        Load::Closed(c) => {
            let next = Arc::new(AtomicUsize::new(0));
            let mut workers = Vec::new();
            for _ in 0..c {
                let (svc, program, next, told, prefix) = (svc.clone(), program.clone(), next.clone(), told.clone(), prefix.to_string());
                workers.push(tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= members {
                            break;
                        }
                        let t = visit(&svc, &program, format!("{prefix}-{i}"), now).await;
                        told.lock().unwrap().merge(t);
                    }
                }));
            }
            for w in workers {
                w.await.expect("worker");
            }
            format!("closed loop, {c} at a time")
        }
        Load::Open(rate) => {
            let mut visits = Vec::new();
            for i in 0..members {
                let due = started + Duration::from_secs_f64(i as f64 / rate);
                tokio::time::sleep_until(due.into()).await;
                let (svc, program, told, member) = (svc.clone(), program.clone(), told.clone(), format!("{prefix}-{i}"));
                visits.push(tokio::spawn(async move {
                    let t = visit(&svc, &program, member, now).await;
                    told.lock().unwrap().merge(t);
                }));
            }
            for v in visits {
                v.await.expect("visit");
            }
            format!("open loop, {rate:.0} members/s arriving")
        }
    };
    let took = started.elapsed().as_secs_f64();
    let mut told = std::mem::take(&mut *told.lock().unwrap());
    let decided = told.applied + told.rejected;
    println!(
        "  {label}: {members} members in {took:.2} s — {:.0} decided/s, {:.0} applied/s ({} applied, {} rejected, {} sold)",
        decided as f64 / took,
        told.applied as f64 / took,
        told.applied,
        told.rejected,
        told.orders
    );
    println!(
        "    {}; {}; {}",
        latency("push", &mut told.pushes),
        latency("pull (known device)", &mut told.pulls),
        latency("first pull (registers the device)", &mut told.first_pulls)
    );
    verify(&svc.db, program, prefix, &told).await;
    Figures {
        applied_per_second: told.applied as f64 / took,
        members_per_second: members as f64 / took,
        // (`latency` sorted them.)
        push_p50: percentile(&told.pushes, 0.5),
        push_p99: percentile(&told.pushes, 0.99),
        pull_p99: percentile(&told.pulls, 0.99),
    }
}

/// The database agrees with what the members were told.
async fn verify(db: &Db, program: &Program, prefix: &str, told: &Told) {
    let like = format!("{prefix}-%");
    let count = |sql: &'static str| {
        let like = like.clone();
        async move {
            let n: i64 = sqlx::query(&db.sql(sql)).bind(like).fetch_one(&db.pool).await.expect(sql).try_get(0).expect(sql);
            n as usize
        }
    };
    let stored = count("SELECT COUNT(*) FROM mutations WHERE member_id LIKE $1 AND status = 'applied'").await;
    let check_ins = count("SELECT COUNT(*) FROM check_ins WHERE member_id LIKE $1").await;
    let claims = count("SELECT COUNT(*) FROM coupons WHERE member_id LIKE $1 AND template = 'full-300-50'").await;
    let orders = count("SELECT COUNT(*) FROM orders WHERE member_id LIKE $1").await;
    let stock = program.limited_sales.iter().find(|s| s.sku == SALE_SKU).expect("the sale").stock as i64;
    let counter = siyu_core::stock::Counter::SaleStock(SALE_SKU.into()).key();
    let remaining: i64 = sqlx::query(&db.sql("SELECT CAST(SUM(remaining) AS BIGINT) FROM stock_shards WHERE counter = $1"))
        .bind(counter)
        .fetch_one(&db.pool)
        .await
        .expect("the sale's counter")
        .try_get(0)
        .expect("remaining");
    let checks = [
        ("every acknowledged decision is stored", stored == told.applied),
        ("each acknowledged check-in is stored once", check_ins == told.check_ins),
        ("each acknowledged claim is stored once", claims == told.claims),
        ("each acknowledged order is stored once", orders == told.orders),
        ("the sale sold no more than its stock", (0..=stock).contains(&remaining) && orders as i64 <= stock),
        ("the counter lost exactly what was sold", stock - remaining == orders as i64),
    ];
    let failed: Vec<&str> = checks.iter().filter(|(_, ok)| !ok).map(|(name, _)| *name).collect();
    if failed.is_empty() {
        println!("    database checked: {stored} decisions, {check_ins} check-ins, {claims} claims, {orders} orders, {remaining} left of {stock}: consistent");
    } else {
        println!("    DATABASE INCONSISTENT: {} (stored {stored}, told {}; orders {orders}, told {}; {remaining} left of {stock})", failed.join("; "), told.applied, told.orders);
        std::process::exit(1);
    }
}

/// `pgbench -N` on the same server: transactions per second, or none when pgbench is missing.
fn pgbench(url: &str, clients: usize, seconds: u64) -> Option<f64> {
    let run = |args: &[&str]| std::process::Command::new("pgbench").args(args).output().ok().filter(|o| o.status.success());
    run(&["-i", "-q", "-s", "10", url])?;
    let out = run(&["-N", "-c", &clients.to_string(), "-j", "2", "-T", &seconds.to_string(), url])?;
    let text = String::from_utf8_lossy(&out.stdout);
    let tps = text.lines().find_map(|l| l.strip_prefix("tps = ")).and_then(|rest| rest.split_whitespace().next()).and_then(|n| n.parse().ok());
    let _ = run(&["-i", "-I", "d", url]);
    tps
}

/// The closed-loop runs by concurrency, then the open loop.
async fn backend(name: &str, url: impl Fn(&str) -> String, program: &Program, a: &Args, baseline: Option<f64>) -> Vec<(usize, Figures)> {
    println!("{name}:");
    let tag = format!("{:x}", siyu_server::clock::system_now_ms());
    let mut best = 0f64;
    let mut runs = Vec::new();
    for &c in &a.concurrency {
        let prefix = format!("rush-{tag}-c{c}");
        let figures = run(&url(&prefix), program, &prefix, a.members, Load::Closed(c)).await;
        if let Some(tps) = baseline {
            println!("    applied mutations/s ÷ pgbench -N tps at {c} members at a time = {:.2}", figures.applied_per_second / tps);
        }
        best = best.max(figures.members_per_second);
        runs.push((c, figures));
    }
    let arrivals = a.rate.unwrap_or((best * 0.8).max(1.0));
    let prefix = format!("rush-{tag}-open");
    run(&url(&prefix), program, &prefix, a.members, Load::Open(arrivals)).await;
    runs
}

/// The targets (docs/benchmarks.md), as a Markdown table with each one's status.
fn targets(sqlite: &[(usize, Figures)], postgres: &[(usize, Figures)], tps: Option<f64>) {
    let status = |measured: f64, target: f64, at_most: bool| {
        let met = if at_most { measured <= target } else { measured >= target };
        match (met, at_most) {
            (true, _) => "met".to_string(),
            (false, true) => format!("**over**, {:.1}×", measured / target),
            (false, false) => format!("**under**, {:.2} of it", measured / target),
        }
    };
    println!();
    println!("| server target | measured | target | status |");
    println!("|---|---:|---:|---|");
    if let Some(tps) = tps {
        let best = postgres.iter().map(|(_, f)| f.applied_per_second).fold(0f64, f64::max);
        println!("| PostgreSQL: applied mutations/s ÷ `pgbench -N` tps (best closed loop; pgbench {tps:.0} tps) | {:.2} | ≥ 0.30 | {} |", best / tps, status(best / tps, 0.3, false));
    }
    for (name, runs) in [("PostgreSQL", postgres), ("SQLite", sqlite)] {
        if let Some((_, f)) = runs.iter().find(|(c, _)| *c == 128) {
            println!("| {name}: push p99, 128 members at a time | {:.1} ms | ≤ 50 ms | {} |", f.push_p99, status(f.push_p99, 50.0, true));
        }
    }
    // A pull queued behind the writer waits for the pushes ahead of it, so its tail would be at
    // least a typical push's latency.
    for (c, f) in sqlite {
        println!(
            "| SQLite: a known device's pull p99 below the push p50 (not queued behind writers), {c} at a time | {:.1} ms (push p50 {:.1} ms) | < push p50 | {} |",
            f.pull_p99,
            f.push_p50,
            if f.pull_p99 < f.push_p50 { "met".to_string() } else { "**queued**".to_string() }
        );
    }
}

#[tokio::main]
async fn main() {
    let a = args();
    let program = Program::from_json(siyu_server::DEMO_PROGRAM).expect("demo program");
    println!(
        "siyu-server member-day rush (profile: {}; {} members; pool of {POOL} connections; in-process service)",
        if cfg!(debug_assertions) { "debug" } else { "release" },
        a.members
    );
    let dir = std::env::temp_dir().join(format!("siyu-rush-{:x}", siyu_server::clock::system_now_ms()));
    let mut sqlite = Vec::new();
    if a.sqlite {
        std::fs::create_dir_all(&dir).expect("temporary folder");
        let at = dir.clone();
        sqlite = backend("SQLite (a fresh file per run)", move |prefix| format!("sqlite://{}", at.join(format!("{prefix}.db")).display()), &program, &a, None).await;
        let _ = std::fs::remove_dir_all(&dir);
    }
    let (mut postgres, mut tps) = (Vec::new(), None);
    match a.postgres.clone() {
        Some(url) => {
            let clients = a.concurrency.iter().copied().max().unwrap_or(32).min(64);
            tps = pgbench(&url, clients, a.pgbench_seconds);
            match tps {
                Some(tps) => println!("pgbench -N, {clients} clients, {} s, scale 10, same server: {tps:.0} tps", a.pgbench_seconds),
                None => println!("pgbench: not run (not installed, or it failed on {url})"),
            }
            postgres = backend("PostgreSQL", |_| url.clone(), &program, &a, tps).await;
        }
        None => println!("PostgreSQL: skipped (pass --postgres URL or set SIYU_RUSH_POSTGRES_URL; node bench/rush.mjs makes a scratch database)"),
    }
    targets(&sqlite, &postgres, tps);
}
