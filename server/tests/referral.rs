//! Rulebook §14 on the server: a friend accepts a referrer's code by push (the server tells the
//! engine whose the code is), the referrer's phone lists the friend after a pull, the friend's
//! first paid order rewards the referrer (pending through the refund window), and the friend's
//! refund cancels it; an unknown code and a loop are refused; a task decided twice gives nothing
//! twice. On SQLite and PostgreSQL, two servers on one database; the clock is manual (START).

mod common;

use common::*;
use siyu_core::apply::Mutation;
use siyu_core::referral::code_of;
use siyu_core::state::OrderLine;
use siyu_server::Service;
use siyu_sync::replica::Mall;
use siyu_sync::Outcome;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Push one mutation; the server's outcome (applied, or the code it was refused with).
async fn push(svc: &Service, phone: &mut Mall, mutation: Mutation) -> Result<(), String> {
    let now = svc.now();
    let member = phone.state().member_id.clone();
    phone.mutate(mutation, now).map_err(|e| format!("device: {}", e.code()))?;
    let reply = svc.push(&member, &phone.push_request()).await.unwrap();
    phone.on_push_response(&reply);
    match &reply.results.last().unwrap().outcome {
        Outcome::Applied { .. } => Ok(()),
        Outcome::Rejected { error } => Err(error.code.clone()),
        other => Err(format!("{other:?}")),
    }
}

async fn referral_end_to_end(one: Arc<Service>, two: Arc<Service>, clock: Arc<AtomicI64>, tag: &str) {
    let referrer = format!("ref-{tag}");
    let friend = format!("friend-{tag}");
    let mut r = phone(&one, &referrer, "phone").await;
    let mut f = phone(&two, &friend, "phone").await;
    let code = code_of(&referrer);

    // An unknown code: the device accepts it optimistically, the server refuses it.
    assert_eq!(push(&two, &mut f, Mutation::AcceptReferral { code: code_of(&format!("nobody-{tag}")) }).await, Err("REFERRAL_CODE_UNKNOWN".into()));
    // The referrer's code: accepted, with the friend coupon at once.
    push(&two, &mut f, Mutation::AcceptReferral { code: code.clone() }).await.unwrap();
    assert!(f.state().coupons.iter().any(|c| c.template == "friend-15" && c.source == "referral"));
    // The referrer's side is decided by the drain (either server) and reaches the phone by pull.
    assert!(one.run_referral_tasks().await.unwrap() >= 1);
    pull(&one, &mut r).await;
    let view = siyu_core::referral::view(&one.program(), r.state(), one.now());
    assert_eq!(view.friends.len(), 1);
    assert_eq!((view.friends[0].status, view.friends[0].name.chars().next()), ("joined", Some('f')));
    assert!(!view.friends[0].name.contains(&friend), "the friend's id is masked");
    // A loop: the referrer cannot accept the code of the friend it referred (the server knows).
    assert_eq!(push(&one, &mut r, Mutation::AcceptReferral { code: code_of(&friend) }).await, Err("device: REFERRAL_LOOP".into()));

    // The friend's first paid order (¥84 ≥ ¥59): the referrer is rewarded, pending.
    let lines = vec![OrderLine { sku: "protein-1kg".into(), qty: 1 }];
    let request = siyu_core::QuoteRequest { lines: lines.clone(), coupons: siyu_core::quote::CouponChoice::Chosen(vec![]), points: siyu_core::quote::PointsChoice::Amount(0) };
    let quote = siyu_core::quote::quote(&two.program(), f.state(), f.stock(), &request, two.now()).unwrap();
    assert!(quote.total >= 5900, "{}", quote.total);
    push(&two, &mut f, Mutation::PlaceOrder { order_id: "o1".into(), lines, coupons: vec![], points: 0, expected_total: quote.total }).await.unwrap();
    let paid = two.decide_for_store(&friend, Mutation::ConfirmPayment { order_id: "o1".into(), amount: quote.total, transaction_id: Some(format!("tx-{tag}")) }).await.unwrap();
    assert!(matches!(paid, siyu_sync::StoredOutcome::Applied { .. }));
    two.run_referral_tasks().await.unwrap();
    // Run again (a crash before the task's delete): nothing is given twice.
    let reward = Mutation::RewardReferral { friend: code_of(&friend), order_id: "o1".into(), amount: quote.total, at: one.now() };
    assert!(matches!(one.decide_for_store(&referrer, reward).await.unwrap(), siyu_sync::StoredOutcome::Rejected { error } if error.code == "REFERRAL_FRIEND_SETTLED"));
    pull(&one, &mut r).await;
    let now = one.now();
    let view = siyu_core::referral::view(&one.program(), r.state(), now);
    assert_eq!((view.friends[0].status, view.friends[0].points), ("pending", 300));
    assert_eq!(siyu_core::points::summary(r.state(), now).pending, 300);
    assert_eq!(siyu_core::points::balance(r.state(), now), 0);

    // The friend refunds inside the window: the referrer's pending reward is cancelled.
    // (Each server has its own manual clock: the rest runs on the first one's.)
    clock.fetch_add(2 * DAY, Ordering::SeqCst);
    pull(&one, &mut f).await;
    push(&one, &mut f, Mutation::RefundOrder { order_id: "o1".into() }).await.unwrap();
    one.run_referral_tasks().await.unwrap();
    pull(&one, &mut r).await;
    let later = one.now() + 8 * DAY;
    assert_eq!(siyu_core::referral::view(&one.program(), r.state(), later).friends[0].status, "cancelled");
    assert_eq!((siyu_core::points::balance(r.state(), later), siyu_core::points::summary(r.state(), later).pending), (0, 0));
    // Nothing left to drain.
    assert_eq!(one.run_referral_tasks().await.unwrap(), 0);
}

#[tokio::test]
async fn referral_on_sqlite() {
    let url = sqlite_file_url("referral");
    let (one, clock) = service_on(&url, test_program("sqlite"), START, config()).await;
    let (two, _) = service_on(&url, test_program("sqlite"), START, config()).await;
    referral_end_to_end(one, two, clock, "sqlite").await;
}

#[tokio::test]
async fn referral_on_postgres() {
    let Some(url) = postgres_url("referral_on_postgres") else { return };
    let tag = format!("pg{}", run_tag());
    let (one, clock) = service_on(&url, test_program(&tag), START, config()).await;
    let (two, _) = service_on(&url, test_program(&tag), START, config()).await;
    referral_end_to_end(one, two, clock, &tag).await;
}
