//! Rulebook §12 on the server: a member's two years pushed day by day. The working state stays
//! bounded, the archive serves the past in pages, archive + state = the whole history (checked
//! against the same history kept whole by the engine alone), and orders that left the state are
//! still known. On in-memory SQLite and, when SIYU_TEST_POSTGRES_URL is set, PostgreSQL.

mod common;

use common::*;
use serde_json::Value;
use siyu_core::apply::{apply, apply_effects, apply_stock, Ctx, Mutation};
use siyu_core::quote::{CouponChoice, PointsChoice, QuoteRequest};
use siyu_core::state::{MemberState, OrderLine};
use siyu_core::{Program, Stock};
use siyu_server::service::HistoryQuery;
use siyu_server::Service;
use siyu_sync::replica::Mall;
use siyu_sync::{PullRequest, PushMutation, PushRequest, PROTOCOL_VERSION};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The same member kept whole, by the engine alone: what the server's state + archive must add
/// up to.
struct Whole {
    program: Program,
    state: MemberState,
    stock: Stock,
}

impl Whole {
    fn run(&mut self, mutation: &Mutation, client: &str, id: u64, now: i64) -> Result<(), String> {
        let ctx = Ctx { now, client_id: client, mutation_id: id, stock: &self.stock, archived_order: None, referral_code: None };
        let applied = apply(&self.program, &self.state, mutation, &ctx).map_err(|e| e.code().to_string())?;
        apply_effects(&mut self.state, &applied.effects);
        apply_stock(&mut self.stock, &applied.effects);
        Ok(())
    }
}

async fn push(svc: &Service, member: &str, client: &str, id: u64, mutation: &Mutation, now: i64) -> Result<(), String> {
    let request = PushRequest { protocol: PROTOCOL_VERSION, client_id: client.into(), mutations: vec![PushMutation::new(id, mutation.clone(), now)] };
    let reply = svc.push(member, &request).await.map_err(|e| format!("{e:?}"))?;
    match reply.results[0].outcome.original() {
        siyu_sync::StoredOutcome::Applied { .. } => Ok(()),
        siyu_sync::StoredOutcome::Rejected { error } => Err(error.code),
    }
}

/// Every archived item of a kind, paging `limit` at a time (newest first), and the pages' count.
async fn all_of(svc: &Service, member: &str, kind: &str, limit: u32) -> (Vec<Value>, usize) {
    let (mut items, mut pages, mut before) = (Vec::new(), 0, None);
    loop {
        let page = svc.history(member, kind, &HistoryQuery { before, limit: Some(limit), ..Default::default() }).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= limit as usize);
        items.extend(page.items);
        match page.next {
            Some(next) => before = Some(next),
            None => return (items, pages),
        }
    }
}

async fn two_years(svc: Arc<Service>, clock: Arc<AtomicI64>, tag: &str) {
    let program = svc.program();
    let member = format!("m-{tag}");
    let client = format!("c-{tag}");
    let mut whole = Whole { program: (*program).clone(), state: MemberState::default(), stock: Stock::initial(&program) };
    svc.pull(&member, &PullRequest { protocol: PROTOCOL_VERSION, client_id: client.clone(), cookie: None }).await.unwrap();
    whole.state = svc.member_state(&member).await.unwrap().unwrap().1;
    let skus = ["almond-250", "oats-1kg", "greentea-100", "walnut-500", "chia-300"];
    let claims = ["nuts-8", "free-ship", "pct-90-cap30", "full-300-50"];
    let mut id = 0;
    let mut store_id = 0;
    let mut orders = Vec::new();
    for day in 0..730i64 {
        let now = START + day * DAY + (day % 5) * HOUR;
        clock.store(now, Ordering::SeqCst);
        let mut intents = vec![Mutation::CheckIn {}];
        if day % 9 == 3 {
            intents.push(Mutation::ClaimCoupon { template: claims[(day as usize / 9) % claims.len()].into() });
        }
        if day % 13 == 5 {
            let lines = vec![OrderLine { sku: skus[(day as usize) % skus.len()].into(), qty: 1 + (day % 3) as u32 }, OrderLine { sku: "oats-1kg".into(), qty: 1 }];
            let points = if day % 4 == 0 { PointsChoice::default() } else { PointsChoice::Amount(0) };
            let request = QuoteRequest { lines: lines.clone(), coupons: CouponChoice::default(), points };
            let q = siyu_core::quote::quote(&whole.program, &whole.state, &whole.stock, &request, now).unwrap();
            let order_id = format!("o{day}");
            orders.push(order_id.clone());
            intents.push(Mutation::PlaceOrder { order_id, lines, coupons: q.coupons.iter().map(|c| c.id.clone()).collect(), points: q.points.used, expected_total: q.total });
        }
        if day % 104 == 7 && orders.len() > 1 {
            intents.push(Mutation::RefundOrder { order_id: orders[orders.len() - 1].clone() });
        }
        for intent in intents {
            id += 1;
            let expected = whole.run(&intent, &client, id, now);
            let got = push(&svc, &member, &client, id, &intent, now).await;
            assert_eq!(got, expected, "day {day}: {intent:?}");
            // Paid a minute later: the store's change, decided by its own client (§15).
            if let (Mutation::PlaceOrder { order_id, expected_total, .. }, Ok(())) = (&intent, &got) {
                if *expected_total > 0 {
                    store_id += 1;
                    clock.store(now + 60_000, Ordering::SeqCst);
                    let pay = Mutation::ConfirmPayment { order_id: order_id.clone(), amount: *expected_total, transaction_id: Some(format!("tx-{order_id}")) };
                    whole.run(&pay, siyu_core::apply::STORE_CLIENT, store_id, now + 60_000).unwrap();
                    let paid = svc.payment_result(&member, order_id, *expected_total, &format!("tx-{order_id}")).await.unwrap();
                    assert!(matches!(paid, siyu_sync::StoredOutcome::Applied { .. }), "day {day}: {paid:?}");
                    clock.store(now, Ordering::SeqCst);
                }
            }
        }
    }
    let state = svc.member_state(&member).await.unwrap().unwrap().1;
    // Bounded: one ledger page, the months check-ins are read in, orders that can still change.
    let size = serde_json::to_string(&state).unwrap().len();
    assert!(size <= 32 * 1024, "the working state is {size} bytes");
    assert!(state.ledger.len() <= siyu_core::compact::LEDGER_KEPT);
    assert!(state.check_ins.len() <= 100, "{} check-ins", state.check_ins.len());
    assert!(whole.state.ledger.len() > 700);

    // Archive + state = the whole history, kind by kind, paged.
    let (ledger, pages) = all_of(&svc, &member, "ledger", 50).await;
    assert!(pages > 10);
    assert_eq!(ledger.len() + state.ledger.len(), whole.state.ledger.len());
    let archived_delta: i64 = ledger.iter().map(|e| e["delta"].as_i64().unwrap()).sum();
    assert_eq!(archived_delta + state.ledger.iter().map(|e| e.delta).sum::<i64>(), whole.state.ledger.iter().map(|e| e.delta).sum::<i64>());
    // Newest first, with no gap or repeat: the archived ledger read backwards is the whole one's start.
    let expected: Vec<Value> = whole.state.ledger[..ledger.len()].iter().rev().map(|e| serde_json::to_value(e).unwrap()).collect();
    assert_eq!(ledger, expected);
    for (kind, held, whole_count) in [
        ("checkIns", state.check_ins.len(), whole.state.check_ins.len()),
        ("orders", state.orders.len(), whole.state.orders.len()),
        ("coupons", state.coupons.len(), whole.state.coupons.len()),
        ("redemptions", state.redemptions.len(), whole.state.redemptions.len()),
    ] {
        let (items, _) = all_of(&svc, &member, kind, 100).await;
        assert_eq!(items.len() + held, whole_count, "{kind}");
    }
    // Every lot credited is archived or still held (a merged lot holds several lots' points).
    let (lots, _) = all_of(&svc, &member, "lots", 100).await;
    let credited = lots.iter().filter(|l| l["source"] != siyu_core::compact::MERGED).count();
    assert_eq!(credited + state.lots.iter().filter(|l| l.source != siyu_core::compact::MERGED).count(), whole.state.lots.len());
    let (orders_archived, _) = all_of(&svc, &member, "orders", 100).await;
    let paid: i64 = orders_archived.iter().map(|o| o["paid"].as_i64().unwrap()).sum::<i64>() + state.orders.iter().map(|o| o.paid).sum::<i64>();
    assert_eq!(paid, whole.state.orders.iter().map(|o| o.paid).sum::<i64>());

    // A month's calendar from the archive: the check-ins of that month, in day order.
    let month = svc.history(&member, "checkIns", &HistoryQuery { year: Some(2026), month: Some(4), ..Default::default() }).await.unwrap();
    let april: Vec<Value> = whole.state.check_ins.iter().filter(|c| (c.day.year(), c.day.month()) == (2026, 4)).map(|c| serde_json::to_value(c).unwrap()).collect();
    assert_eq!(april.len(), 30);
    assert_eq!(month.items, april);
    assert_eq!(month.next, None);

    // Orders that left the state are still known: a refund is too late, an id cannot come back.
    let first = orders[0].clone();
    assert!(state.order(&first).is_none());
    id += 1;
    assert_eq!(push(&svc, &member, &client, id, &Mutation::RefundOrder { order_id: first.clone() }, clock.load(Ordering::SeqCst)).await, Err("REFUND_WINDOW_CLOSED".into()));
    id += 1;
    let reuse = Mutation::PlaceOrder { order_id: first, lines: vec![OrderLine { sku: "oats-1kg".into(), qty: 1 }], coupons: vec![], points: 0, expected_total: 0 };
    assert_eq!(push(&svc, &member, &client, id, &reuse, clock.load(Ordering::SeqCst)).await, Err("DUPLICATE_ORDER_ID".into()));

    // A second device: its first pull brings the whole state; later pulls bring what changed (a
    // patch of effects and compactions), which rebuilds exactly the server's state.
    let phone = format!("phone-{tag}");
    let mut mall = Mall::new((*program).clone(), &member, &phone, clock.load(Ordering::SeqCst));
    let first = svc.pull(&member, &mall.pull_request()).await.unwrap();
    assert!(first.state.is_some() && first.patch.is_none());
    let now = clock.load(Ordering::SeqCst);
    mall.on_pull_response(&first, now, now);
    for day in 1..=40 {
        let now = START + (730 + day) * DAY;
        clock.store(now, Ordering::SeqCst);
        mall.mutate(Mutation::CheckIn {}, now).unwrap();
        let reply = svc.push(&member, &mall.push_request()).await.unwrap();
        mall.on_push_response(&reply);
        if day % 10 == 0 {
            // The other client changes the member too; this one pulls every ten days.
            id += 1;
            push(&svc, &member, &client, id, &Mutation::ClaimCoupon { template: "nuts-8".into() }, now).await.ok();
        }
        if day % 10 == 0 || day == 1 {
            let reply = svc.pull(&member, &mall.pull_request()).await.unwrap();
            let bytes = serde_json::to_string(&reply).unwrap().len();
            let patch = reply.patch.as_ref().expect("a patch after the first pull");
            assert!(reply.state.is_none());
            if day == 1 {
                assert!(bytes <= 4096, "a pull after one check-in is {bytes} bytes");
            } else {
                assert!(patch.iter().any(|c| c.compacted_at.is_some()), "day {day}: {patch:?}");
            }
            mall.on_pull_response(&reply, now, now);
            let server = svc.member_state(&member).await.unwrap().unwrap().1;
            assert_eq!(mall.state(), &server, "day {day}");
            assert_eq!(mall.cookie(), Some(reply.cookie));
        }
    }

    // Asking wrongly is a 4xx with a code, never a 500.
    let unknown = svc.history(&member, "secrets", &HistoryQuery::default()).await.unwrap_err();
    assert_eq!((unknown.status, unknown.code), (404, "NOT_FOUND"));
    let too_many = svc.history(&member, "ledger", &HistoryQuery { limit: Some(1000), ..Default::default() }).await.unwrap_err();
    assert_eq!((too_many.status, too_many.code), (400, "BAD_REQUEST"));
    let no_month = svc.history(&member, "checkIns", &HistoryQuery { year: Some(2026), month: Some(13), ..Default::default() }).await.unwrap_err();
    assert_eq!((no_month.status, no_month.code), (400, "BAD_REQUEST"));
}

/// A member stored by the previous release (the whole history in its state, no archive) keeps
/// everything: the first push compacts it, and archive + state = what was stored + the push.
async fn an_old_member_is_compacted_on_first_touch(svc: Arc<Service>, clock: Arc<AtomicI64>, tag: &str) {
    let program = svc.program();
    let member = format!("old-{tag}");
    let mut whole = Whole { program: (*program).clone(), state: MemberState::new(member.clone(), START), stock: Stock::initial(&program) };
    let mut effects = Vec::new();
    for day in 0..400i64 {
        let now = START + day * DAY;
        let ctx = Ctx { now, client_id: "~old", mutation_id: day as u64 + 1, stock: &whole.stock, archived_order: None, referral_code: None };
        let applied = apply(&whole.program, &whole.state, &Mutation::CheckIn {}, &ctx).unwrap();
        apply_effects(&mut whole.state, &applied.effects);
        effects.extend(applied.effects);
    }
    assert!(siyu_server::service::insert_member(&svc.db, &member, &whole.state, &effects, START).await.unwrap());
    let now = START + 400 * DAY;
    clock.store(now, Ordering::SeqCst);
    let client = format!("c-old-{tag}");
    whole.run(&Mutation::CheckIn {}, &client, 1, now).unwrap();
    push(&svc, &member, &client, 1, &Mutation::CheckIn {}, now).await.unwrap();
    let state = svc.member_state(&member).await.unwrap().unwrap().1;
    assert!(state.ledger.len() <= siyu_core::compact::LEDGER_KEPT && state.check_ins.len() < 70);
    let (ledger, _) = all_of(&svc, &member, "ledger", 100).await;
    let (check_ins, _) = all_of(&svc, &member, "checkIns", 100).await;
    assert_eq!(ledger.len() + state.ledger.len(), whole.state.ledger.len());
    assert_eq!(check_ins.len() + state.check_ins.len(), 401);
    assert_eq!(siyu_core::checkin::streak(&program, &state, now), siyu_core::checkin::streak(&program, &whole.state, now));
    assert_eq!(siyu_core::points::summary(&state, now).balance, siyu_core::points::summary(&whole.state, now).balance);
}

#[tokio::test]
async fn an_old_member_on_sqlite() {
    let tag = run_tag();
    let (svc, clock) = memory_service(test_program(&tag), START).await;
    an_old_member_is_compacted_on_first_touch(svc, clock, &tag).await;
}

#[tokio::test]
async fn an_old_member_on_postgres() {
    if let Some(url) = postgres_url("an_old_member_on_postgres") {
        let tag = format!("pg{}", run_tag());
        let (svc, clock) = service_on(&url, test_program(&tag), START, config()).await;
        an_old_member_is_compacted_on_first_touch(svc, clock, &tag).await;
    }
}

#[tokio::test]
async fn two_years_on_sqlite() {
    let tag = run_tag();
    let (svc, clock) = memory_service(test_program(&tag), START).await;
    two_years(svc, clock, &tag).await;
}

#[tokio::test]
async fn two_years_on_postgres() {
    if let Some(url) = postgres_url("two_years_on_postgres") {
        let tag = format!("pg{}", run_tag());
        let (svc, clock) = service_on(&url, test_program(&tag), START, config()).await;
        two_years(svc, clock, &tag).await;
    }
}
