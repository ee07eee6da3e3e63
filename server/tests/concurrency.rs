//! 50 simultaneous pushes from different clients of one member, all redeeming the same coupon:
//! exactly one is applied; shared counters (a coupon quota, a promotion's gift stock) raced by
//! many members are never oversold. On a SQLite file and, when SIYU_TEST_POSTGRES_URL is set,
//! PostgreSQL.

mod common;

use common::*;
use serde_json::json;
use siyu_core::apply::Mutation;
use siyu_core::quote::{CouponChoice, PointsChoice, QuoteRequest};
use siyu_core::state::OrderLine;
use siyu_sync::{PullRequest, PushMutation, PushRequest, StoredOutcome, PROTOCOL_VERSION};
use sqlx::Row;

const N: usize = 50;

async fn same_coupon_fifty_ways(url: &str, tag: String) {
    let (svc, clock) = service_on(url, test_program(&tag), START, config()).await;
    let member = format!("crowd-{tag}");
    let setup = format!("setup-{tag}");
    let claim = PushMutation::new(1, Mutation::ClaimCoupon { template: "pct-90-cap30".into() }, 0);
    let r = svc.push(&member, &PushRequest { protocol: PROTOCOL_VERSION, client_id: setup.clone(), mutations: vec![claim] }).await.unwrap();
    assert!(matches!(r.results[0].outcome.original(), StoredOutcome::Applied { .. }));
    let state = svc.member_state(&member).await.unwrap().unwrap().1;
    let coupon = state.coupons[0].id.clone();
    let lines = vec![OrderLine { sku: "protein-1kg".into(), qty: 1 }];
    let now = clock.load(std::sync::atomic::Ordering::SeqCst);
    let quote = siyu_core::quote::quote(
        &svc.program(),
        &state,
        &svc.stock().await.unwrap(),
        &QuoteRequest { lines: lines.clone(), coupons: CouponChoice::Chosen(vec![coupon.clone()]), points: PointsChoice::Amount(0) },
        now,
    )
    .unwrap();
    assert_eq!(quote.coupons.len(), 1);

    // Order pushes and per-member-limited claims from 50 clients at once.
    let mut tasks = Vec::new();
    for i in 0..N {
        let svc = svc.clone();
        let member = member.clone();
        let client = format!("dev{i}-{tag}");
        let order = Mutation::PlaceOrder { order_id: format!("same-coupon-{i}"), lines: lines.clone(), coupons: vec![coupon.clone()], points: 0, expected_total: quote.total };
        let claim = Mutation::ClaimCoupon { template: "free-ship".into() };
        tasks.push(tokio::spawn(async move {
            let ms = vec![PushMutation::new(1, order.clone(), 0), PushMutation::new(2, claim.clone(), 0)];
            let r = svc.push(&member, &PushRequest { protocol: PROTOCOL_VERSION, client_id: client.clone(), mutations: ms }).await.unwrap();
            let p = svc.pull(&member, &PullRequest { protocol: PROTOCOL_VERSION, client_id: client, cookie: None }).await.unwrap();
            assert_eq!(p.last_mutation_id, 2);
            (r.results[0].outcome.original(), r.results[1].outcome.original())
        }));
    }
    let mut orders = 0;
    let mut claims = 0;
    for t in tasks {
        let (order, claim) = t.await.unwrap();
        match order {
            StoredOutcome::Applied { .. } => orders += 1,
            StoredOutcome::Rejected { error } => assert_eq!(error.code, "COUPON_UNUSABLE", "{error:?}"),
        }
        match claim {
            StoredOutcome::Applied { .. } => claims += 1,
            StoredOutcome::Rejected { error } => assert_eq!(error.code, "PER_MEMBER_LIMIT"),
        }
    }
    assert_eq!(orders, 1, "exactly one order may use the coupon");
    assert_eq!(claims, 1, "free-ship is claimed once per member");
    let state = svc.member_state(&member).await.unwrap().unwrap().1;
    assert_eq!(state.orders.len(), 1);
    let db = &svc.db;
    let uses: i64 = sqlx::query(&db.sql("SELECT COUNT(*) FROM coupon_uses WHERE member_id = $1 AND coupon_id = $2"))
        .bind(member.as_str())
        .bind(coupon.as_str())
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(uses, 1);
    let decided: i64 = sqlx::query(&db.sql("SELECT COUNT(*) FROM mutations WHERE member_id = $1"))
        .bind(member.as_str())
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(decided as usize, 1 + 2 * N);
    let _ = json!({});
}

/// The last units of a shared counter, raced by many members at once: never oversold.
async fn quota_raced_by_members(url: &str, tag: String) {
    let (svc, _) = service_on(url, test_program(&tag), START, config()).await;
    let template = format!("quota-{tag}");
    let mut tasks = Vec::new();
    for i in 0..20 {
        let svc = svc.clone();
        let template = template.clone();
        let tag = tag.clone();
        tasks.push(tokio::spawn(async move {
            let m = PushMutation::new(1, Mutation::ClaimCoupon { template }, 0);
            let r = svc.push(&format!("racer{i}-{tag}"), &PushRequest { protocol: PROTOCOL_VERSION, client_id: format!("racer{i}-{tag}"), mutations: vec![m] }).await.unwrap();
            r.results[0].outcome.original()
        }));
    }
    let mut applied = 0;
    for t in tasks {
        match t.await.unwrap() {
            StoredOutcome::Applied { .. } => applied += 1,
            StoredOutcome::Rejected { error } => assert_eq!(error.code, "QUOTA_EXHAUSTED"),
        }
    }
    assert_eq!(applied, 2, "the quota is 2");
    assert_eq!(svc.stock().await.unwrap().remaining.get(&format!("couponQuota:{template}")), Some(&0));
}

/// The last gifts of a 满赠 promotion (rulebook §13), raced by many members' orders at once: every
/// order is placed (the gift does not change the price), exactly as many get the gift as there
/// is stock, and the counter ends at 0, never below.
async fn gift_raced_by_members(url: &str, tag: String) {
    const STOCK: u32 = 3;
    let mut p = program_json();
    let gift = p["promotions"].as_array_mut().unwrap().iter_mut().find(|x| x["id"] == "wellness-gift").expect("the demo gift");
    // Its own id: a counter that exists (an earlier test on the same database) keeps its count.
    let id = format!("gift-{tag}");
    gift["id"] = json!(id);
    gift["rule"]["tiers"][0]["stock"] = json!(STOCK);
    let program = siyu_core::program::Program::from_json(&p.to_string()).unwrap();
    let (svc, clock) = service_on(url, program, START, config()).await;
    // Two protein powders (wellness, ¥598 ≥ ¥399) earn the vitamin C.
    let lines = vec![OrderLine { sku: "protein-1kg".into(), qty: 2 }];
    let now = clock.load(std::sync::atomic::Ordering::SeqCst);
    let fresh = siyu_core::MemberState::new("racer", START);
    let request = QuoteRequest { lines: lines.clone(), coupons: CouponChoice::Chosen(vec![]), points: PointsChoice::Amount(0) };
    let quote = siyu_core::quote::quote(&svc.program(), &fresh, &svc.stock().await.unwrap(), &request, now).unwrap();
    assert!(quote.lines.iter().any(|l| l.gift.as_deref() == Some(id.as_str())), "the cart earns the gift");
    let mut tasks = Vec::new();
    for i in 0..12 {
        let svc = svc.clone();
        let member = format!("gift{i}-{tag}");
        let order = Mutation::PlaceOrder { order_id: format!("gift-{i}"), lines: lines.clone(), coupons: vec![], points: 0, expected_total: quote.total };
        tasks.push(tokio::spawn(async move {
            let r = svc.push(&member, &PushRequest { protocol: PROTOCOL_VERSION, client_id: member.clone(), mutations: vec![PushMutation::new(1, order, 0)] }).await.unwrap();
            assert!(matches!(r.results[0].outcome.original(), StoredOutcome::Applied { .. }), "{:?}", r.results[0].outcome);
            svc.member_state(&member).await.unwrap().unwrap().1.orders[0].gifts.len()
        }));
    }
    let mut gifts = 0;
    for t in tasks {
        gifts += t.await.unwrap();
    }
    assert_eq!(gifts, STOCK as usize, "as many gifts as the stock holds");
    assert_eq!(svc.stock().await.unwrap().remaining.get(&format!("giftStock:{id}#0")), Some(&0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_pushes_one_coupon_on_sqlite() {
    same_coupon_fifty_ways(&sqlite_file_url("concurrency"), run_tag()).await;
    quota_raced_by_members(&sqlite_file_url("quota"), run_tag()).await;
    gift_raced_by_members(&sqlite_file_url("gift"), run_tag()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_pushes_one_coupon_on_postgres() {
    if let Some(url) = postgres_url("fifty_pushes_one_coupon_on_postgres") {
        same_coupon_fifty_ways(&url, format!("pg{}", run_tag())).await;
        quota_raced_by_members(&url, format!("pgq{}", run_tag())).await;
        gift_raced_by_members(&url, format!("pgg{}", run_tag())).await;
    }
}
