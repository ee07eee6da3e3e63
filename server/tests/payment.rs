//! Rulebook §8 and §15 on the server: an order awaits payment until the store's payment result
//! (here the demo provider's) or its deadline, decided as mutations of the store's own client and
//! delivered to the member's device by the next pull, on SQLite and PostgreSQL. The clock is
//! manual and pinned at START (Monday 2 March 2026, 10:00 China time).

mod common;

use common::*;
use siyu_core::apply::{Mutation, STORE_CLIENT};
use siyu_core::quote::{CouponChoice, PointsChoice, QuoteRequest};
use siyu_core::state::{CancelledBy, OrderLine, OrderStatus};
use siyu_core::stock::Counter;
use siyu_server::Service;
use siyu_sync::replica::Mall;
use siyu_sync::{Outcome, StoredOutcome};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

const MINUTE: i64 = 60_000;

/// The test program plus a limited sale of its own (`lim-<tag>`, 4 units, 2 per member), so runs
/// on a shared PostgreSQL never meet another run's counter.
fn payment_program(tag: &str) -> siyu_core::Program {
    let mut p = program_json();
    p["catalog"].as_array_mut().unwrap().push(serde_json::json!({ "id": format!("lim-{tag}"), "name": "限量礼盒", "category": "nuts", "listPrice": 12800 }));
    p["limitedSales"].as_array_mut().unwrap().push(serde_json::json!({
        "sku": format!("lim-{tag}"), "startsAt": START - DAY, "endsAt": START + 60 * DAY, "salePrice": 9900, "perMember": 2, "stock": 4
    }));
    siyu_core::Program::from_json(&p.to_string()).unwrap()
}

/// A member's phone that has pulled once.
async fn pulled_phone(svc: &Service, member: &str, now: i64) -> Mall {
    let program = svc.program();
    let mut phone = Mall::new((*program).clone(), member, &format!("{member}-phone"), now);
    let first = svc.pull(member, &phone.pull_request()).await.unwrap();
    phone.on_pull_response(&first, now, now);
    phone
}

/// Place `lines` at the quoted total (best coupons, no points) and push it: the order's total.
async fn place(svc: &Service, phone: &mut Mall, member: &str, order_id: &str, lines: &[(&str, u32)], now: i64) -> i64 {
    let lines: Vec<OrderLine> = lines.iter().map(|(sku, qty)| OrderLine { sku: sku.to_string(), qty: *qty }).collect();
    let request = QuoteRequest { lines: lines.clone(), coupons: CouponChoice::default(), points: PointsChoice::Amount(0) };
    let quote = siyu_core::quote::quote(&svc.program(), phone.state(), phone.stock(), &request, now).unwrap();
    let coupons = quote.coupons.iter().map(|c| c.id.clone()).collect();
    phone.mutate(Mutation::PlaceOrder { order_id: order_id.into(), lines, coupons, points: 0, expected_total: quote.total }, now).unwrap();
    let reply = svc.push(member, &phone.push_request()).await.unwrap();
    assert!(matches!(reply.results[0].outcome, Outcome::Applied { .. }), "{:?}", reply.results[0]);
    phone.on_push_response(&reply);
    quote.total
}

async fn pull(svc: &Service, phone: &mut Mall, member: &str, now: i64) {
    let reply = svc.pull(member, &phone.pull_request()).await.unwrap();
    phone.on_pull_response(&reply, now, now);
}

async fn sale_left(svc: &Service, sku: &str) -> Option<u32> {
    svc.stock().await.unwrap().remaining(&Counter::SaleStock(sku.into()))
}

/// Pay, a second notification of the same payment, another amount, and the patch that brings
/// "paid" to the phone without a reversal.
async fn pay_once_for_the_exact_total(svc: Arc<Service>, clock: Arc<AtomicI64>, tag: &str) {
    let member = format!("pay-{tag}");
    let now = clock.load(Ordering::SeqCst);
    let mut phone = pulled_phone(&svc, &member, now).await;
    let total = place(&svc, &mut phone, &member, "o1", &[("protein-1kg", 1)], now).await;
    assert!(total > 0);
    let state = svc.member_state(&member).await.unwrap().unwrap().1;
    assert_eq!(state.order("o1").unwrap().status, OrderStatus::AwaitingPayment);
    assert_eq!(siyu_core::points::balance(&state, now), 0, "nothing earned before payment");

    // The device asks to pay: the demo provider's parameters, with the exact total.
    let started = svc.pay(&member, "o1", None).await.unwrap();
    assert_eq!((started["provider"].as_str(), started["amount"].as_i64()), (Some("demo"), Some(total)));

    // A result for another amount changes nothing and is reported.
    clock.store(now + MINUTE, Ordering::SeqCst);
    let wrong = svc.payment_result(&member, "o1", total - 1, "tx-short").await.unwrap();
    let StoredOutcome::Rejected { error } = wrong else { panic!("a short payment is not applied") };
    assert_eq!(error.code, "PAYMENT_AMOUNT_MISMATCH");
    let reports = siyu_server::store::payment_reports(&svc.db, &member, "o1").await.unwrap();
    assert_eq!(reports, vec![("tx-short".to_string(), total - 1, "PAYMENT_AMOUNT_MISMATCH".to_string())]);
    assert_eq!(svc.member_state(&member).await.unwrap().unwrap().1.order("o1").unwrap().status, OrderStatus::AwaitingPayment);

    // The exact total: paid, points and the first-order gift credited.
    clock.store(now + 2 * MINUTE, Ordering::SeqCst);
    let paid = svc.payment_result(&member, "o1", total, "tx-1").await.unwrap();
    assert!(matches!(paid, StoredOutcome::Applied { .. }), "{paid:?}");
    let state = svc.member_state(&member).await.unwrap().unwrap().1;
    let order = state.order("o1").unwrap();
    assert_eq!((order.status, order.paid_at, order.transaction_id.as_deref()), (OrderStatus::Paid, Some(now + 2 * MINUTE), Some("tx-1")));
    let points = siyu_core::points::summary(&state, now + 2 * MINUTE);
    assert_eq!((points.balance, points.pending), (0, order.points_earned), "pending until the refund window closes");
    assert!(order.points_earned > 0);
    assert!(state.coupons.iter().any(|c| c.source == "firstOrder"), "the first-order gift");
    // The store's client decided it: the ids it made are its own.
    assert_eq!(order.earned_lot.as_deref(), Some(format!("{STORE_CLIENT}-1-0").as_str()));

    // The same notification again: one payment, nothing reported.
    let again = svc.payment_result(&member, "o1", total, "tx-1").await.unwrap();
    assert!(matches!(again, StoredOutcome::Rejected { ref error } if error.code == "ORDER_NOT_AWAITING_PAYMENT"));
    assert_eq!(siyu_server::store::payment_reports(&svc.db, &member, "o1").await.unwrap().len(), 1);
    assert_eq!(svc.member_state(&member).await.unwrap().unwrap().1, state);
    // Paying a paid order is refused before the provider is asked.
    let e = svc.pay(&member, "o1", None).await.unwrap_err();
    assert_eq!((e.status, e.code), (409, "ORDER_NOT_AWAITING_PAYMENT"));

    // The phone learns it by pull: the patch replays the store's decision, no reversal.
    pull(&svc, &mut phone, &member, now + 3 * MINUTE).await;
    assert_eq!(phone.state(), &state);
    assert!(phone.reversals().is_empty());
    assert!(phone.pending().is_empty());

    // A paid order can be refunded by the member.
    phone.mutate(Mutation::RefundOrder { order_id: "o1".into() }, now + 4 * MINUTE).unwrap();
    let reply = svc.push(&member, &phone.push_request()).await.unwrap();
    assert!(matches!(reply.results[0].outcome, Outcome::Applied { .. }), "{:?}", reply.results[0]);
}

/// The deadline: the sweep cancels the unpaid order, the held sale units go back to the shelf
/// for other members at once, and a payment that arrives afterwards is reported, not applied.
async fn the_deadline_releases_the_stock_and_a_late_payment_is_reported(svc: Arc<Service>, clock: Arc<AtomicI64>, tag: &str) {
    let member = format!("late-{tag}");
    let now = clock.load(Ordering::SeqCst);
    let sku = format!("lim-{tag}");
    let before = sale_left(&svc, &sku).await;
    assert_eq!(before, Some(4));
    let mut phone = pulled_phone(&svc, &member, now).await;
    let total = place(&svc, &mut phone, &member, "o1", &[(sku.as_str(), 2)], now).await;
    assert_eq!(sale_left(&svc, &sku).await, before.map(|n| n - 2), "held while awaiting payment");
    let pay_by = svc.payable(&member, "o1").await.unwrap().pay_by;
    assert_eq!(pay_by, now + 15 * MINUTE);

    // Not yet: the window is open.
    clock.store(pay_by - 1, Ordering::SeqCst);
    svc.sweep_expired().await.unwrap();
    assert_eq!(svc.member_state(&member).await.unwrap().unwrap().1.order("o1").unwrap().status, OrderStatus::AwaitingPayment);
    // Past it: cancelled by the deadline, the stock back.
    clock.store(pay_by + MINUTE, Ordering::SeqCst);
    let e = svc.pay(&member, "o1", None).await.unwrap_err();
    assert_eq!(e.code, "PAYMENT_WINDOW_CLOSED");
    assert!(svc.sweep_expired().await.unwrap() >= 1);
    svc.sweep_expired().await.unwrap();
    let decided = siyu_server::store::decided(&svc.db, &member, STORE_CLIENT, 1, 100).await.unwrap();
    assert_eq!(decided.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(), vec!["expireOrder"], "decided once");
    assert_eq!(sale_left(&svc, &sku).await, before);
    let state = svc.member_state(&member).await.unwrap().unwrap().1;
    let order = state.order("o1").unwrap();
    assert_eq!((order.status, order.cancelled_by), (OrderStatus::Cancelled, Some(CancelledBy::Deadline)));

    // Another member can buy the units at once.
    let other = format!("other-{tag}");
    let mut other_phone = pulled_phone(&svc, &other, pay_by + MINUTE).await;
    place(&svc, &mut other_phone, &other, "o1", &[(sku.as_str(), 2)], pay_by + MINUTE).await;
    assert_eq!(sale_left(&svc, &sku).await, before.map(|n| n - 2));
    // (and cancels, so the shared counter is as it was for the next run on the same database)
    other_phone.mutate(Mutation::CancelOrder { order_id: "o1".into() }, pay_by + MINUTE).unwrap();
    let reply = svc.push(&other, &other_phone.push_request()).await.unwrap();
    assert!(matches!(reply.results[0].outcome, Outcome::Applied { .. }), "{:?}", reply.results[0]);
    assert_eq!(sale_left(&svc, &sku).await, before);

    // The payment made in time but notified late: not applied, reported for refund.
    let late = svc.payment_result(&member, "o1", total, "tx-late").await.unwrap();
    assert!(matches!(late, StoredOutcome::Rejected { ref error } if error.code == "ORDER_NOT_AWAITING_PAYMENT"));
    let reports = siyu_server::store::payment_reports(&svc.db, &member, "o1").await.unwrap();
    assert_eq!(reports, vec![("tx-late".to_string(), total, "ORDER_NOT_AWAITING_PAYMENT".to_string())]);

    // The phone pulls the cancellation: nothing pending, no reversal, the held state gone.
    pull(&svc, &mut phone, &member, pay_by + 2 * MINUTE).await;
    assert_eq!(phone.state(), &state);
    assert!(phone.reversals().is_empty());
}

/// A member's device cannot decide the store's changes, nor use its client id.
async fn only_the_store_decides_payment(svc: Arc<Service>, clock: Arc<AtomicI64>, tag: &str) {
    let member = format!("forge-{tag}");
    let now = clock.load(Ordering::SeqCst);
    let mut phone = pulled_phone(&svc, &member, now).await;
    let total = place(&svc, &mut phone, &member, "o1", &[("protein-1kg", 1)], now).await;
    let forged = Mutation::ConfirmPayment { order_id: "o1".into(), amount: total, transaction_id: None };
    assert_eq!(phone.mutate(forged.clone(), now).unwrap_err().code(), "STORE_ONLY");
    let mut request = phone.push_request();
    request.mutations.push(siyu_sync::PushMutation { id: phone.next_mutation_id(), intent: siyu_sync::Intent::Known(forged), client_time: now });
    let reply = svc.push(&member, &request).await.unwrap();
    assert!(matches!(&reply.results[0].outcome, Outcome::Rejected { error } if error.code == "STORE_ONLY"), "{:?}", reply.results[0]);
    let mut as_store = phone.pull_request();
    as_store.client_id = STORE_CLIENT.into();
    assert_eq!(svc.pull(&member, &as_store).await.unwrap_err().status, 400);
    assert_eq!(svc.member_state(&member).await.unwrap().unwrap().1.order("o1").unwrap().status, OrderStatus::AwaitingPayment);
    // (cancelled, so nothing of this run is left awaiting payment; under a new client id, as the
    // forged push used this one's next id)
    drop(phone);
    let mut phone = Mall::new((*svc.program()).clone(), &member, &format!("{member}-tablet"), now);
    pull(&svc, &mut phone, &member, now).await;
    phone.mutate(Mutation::CancelOrder { order_id: "o1".into() }, now).unwrap();
    let reply = svc.push(&member, &phone.push_request()).await.unwrap();
    assert!(matches!(reply.results.last().unwrap().outcome, Outcome::Applied { .. }), "{:?}", reply.results);
}

#[tokio::test]
async fn payment_on_sqlite() {
    let (svc, clock) = memory_service(payment_program("sqlite"), START).await;
    pay_once_for_the_exact_total(svc.clone(), clock.clone(), "sqlite").await;
    the_deadline_releases_the_stock_and_a_late_payment_is_reported(svc.clone(), clock.clone(), "sqlite").await;
    only_the_store_decides_payment(svc, clock, "sqlite").await;
}

#[tokio::test]
async fn payment_on_postgres() {
    let Some(url) = postgres_url("payment_on_postgres") else { return };
    let tag = run_tag();
    let (svc, clock) = service_on(&url, payment_program(&format!("pg{tag}")), START, config()).await;
    // PostgreSQL keeps its data between runs: members are named per run, and the sale counter is
    // compared with what it was, never with a fixed number.
    pay_once_for_the_exact_total(svc.clone(), clock.clone(), &format!("pg{tag}")).await;
    the_deadline_releases_the_stock_and_a_late_payment_is_reported(svc.clone(), clock.clone(), &format!("pg{tag}")).await;
    only_the_store_decides_payment(svc, clock, &format!("pg{tag}")).await;
}

/// Two servers on one database sweep the same expired orders at once: each order is cancelled
/// exactly once (one applied `expireOrder` of the store's client per order). A month before
/// START, so that on a shared PostgreSQL it never sweeps the orders of the tests above.
async fn two_servers_sweep_each_order_once(url: &str, tag: &str) {
    let start = START - 30 * DAY;
    let program = test_program(&format!("sweep{tag}"));
    let (a, clock_a) = service_on(url, program.clone(), start, config()).await;
    let (b, clock_b) = service_on(url, program, start, config()).await;
    let members: Vec<String> = (0..6).map(|i| format!("sweep-{tag}-{i}")).collect();
    for m in &members {
        let mut p = pulled_phone(&a, m, start).await;
        place(&a, &mut p, m, "o1", &[("protein-1kg", 1)], start).await;
        place(&a, &mut p, m, "o2", &[("oats-1kg", 1)], start).await;
    }
    let later = start + 16 * MINUTE;
    clock_a.store(later, Ordering::SeqCst);
    clock_b.store(later, Ordering::SeqCst);
    let (x, y) = tokio::join!(a.sweep_expired(), b.sweep_expired());
    // How many each server counts is not the measure: on a shared PostgreSQL another test's sweep
    // (at START, later than these deadlines) may cancel some of these orders first, and theirs
    // are swept too. Every order below is cancelled by its deadline, exactly once.
    x.unwrap();
    y.unwrap();
    for m in &members {
        let state = a.member_state(m).await.unwrap().unwrap().1;
        assert!(state.orders.iter().all(|o| o.status == OrderStatus::Cancelled && o.cancelled_by == Some(CancelledBy::Deadline)));
        let decided = siyu_server::store::decided(&a.db, m, STORE_CLIENT, 1, 100).await.unwrap();
        assert_eq!(decided.iter().filter(|d| d.name == "expireOrder").count(), 2, "{m}: one expireOrder per order");
    }
}

#[tokio::test]
async fn two_servers_sweep_each_order_once_on_a_sqlite_file() {
    two_servers_sweep_each_order_once(&sqlite_file_url("sweep"), "file").await;
}

#[tokio::test]
async fn two_servers_sweep_each_order_once_on_postgres() {
    let Some(url) = postgres_url("two_servers_sweep_each_order_once_on_postgres") else { return };
    two_servers_sweep_each_order_once(&url, &format!("pg{}", run_tag())).await;
}
