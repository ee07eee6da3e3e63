//! Tampering: every forged or replayed request is refused with its code and leaves the member's
//! state unchanged. Runs on in-memory SQLite, and on PostgreSQL when SIYU_TEST_POSTGRES_URL is set.

mod common;

use common::*;
use serde_json::{json, Value};
use siyu_core::apply::Mutation;
use siyu_core::quote::{CouponChoice, PointsChoice, QuoteRequest};
use siyu_core::state::{MemberState, OrderLine};
use siyu_sync::{PullRequest, PushMutation, PushRequest, PushResponse, StoredOutcome, PROTOCOL_VERSION};
use siyu_server::{ApiError, Service};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

struct T {
    svc: Arc<Service>,
    clock: Arc<AtomicI64>,
    tag: String,
}

impl T {
    fn member(&self, name: &str) -> String {
        format!("{name}-{}", self.tag)
    }

    fn client(&self, name: &str) -> String {
        format!("{name}-{}", self.tag)
    }

    async fn push_raw(&self, member: &str, client: &str, mutations: Vec<PushMutation>) -> Result<PushResponse, ApiError> {
        self.svc.push(member, &PushRequest { protocol: PROTOCOL_VERSION, client_id: client.to_string(), mutations }).await
    }

    /// Push one mutation as the next of `client`; its stored outcome.
    async fn push(&self, member: &str, client: &str, name: &str, args: Value) -> StoredOutcome {
        let last = self
            .svc
            .pull(member, &PullRequest { protocol: PROTOCOL_VERSION, client_id: client.to_string(), cookie: None })
            .await
            .unwrap()
            .last_mutation_id;
        let m = PushMutation::sent(last + 1, name, args, self.clock.load(Ordering::SeqCst));
        let r = self.push_raw(member, client, vec![m]).await.unwrap();
        assert_eq!(r.last_mutation_id, last + 1);
        r.results[0].outcome.original()
    }

    async fn intent(&self, member: &str, client: &str, m: &Mutation) -> StoredOutcome {
        let p = PushMutation::new(0, m.clone(), 0);
        self.push(member, client, p.intent.name(), p.intent.args()).await
    }

    async fn state(&self, member: &str) -> MemberState {
        self.svc.ensure_member(member).await.unwrap();
        self.svc.member_state(member).await.unwrap().expect("member exists").1
    }

    fn now(&self) -> i64 {
        self.clock.load(Ordering::SeqCst)
    }

    /// An order of `lines` priced as the server will, with the given coupons.
    async fn order(&self, member: &str, order_id: &str, lines: Vec<OrderLine>, coupons: Vec<String>) -> Mutation {
        let state = self.state(member).await;
        let stock = self.svc.stock().await.unwrap();
        let q = siyu_core::quote::quote(&self.svc.program(), &state, &stock, &QuoteRequest { lines: lines.clone(), coupons: CouponChoice::Chosen(coupons.clone()), points: PointsChoice::Amount(0) }, self.now()).unwrap();
        Mutation::PlaceOrder { order_id: order_id.into(), lines, coupons, points: 0, expected_total: q.total }
    }
}

fn code(o: &StoredOutcome) -> &str {
    match o {
        StoredOutcome::Applied { .. } => "APPLIED",
        StoredOutcome::Rejected { error } => &error.code,
    }
}

fn line(sku: &str, qty: u32) -> OrderLine {
    OrderLine { sku: sku.into(), qty }
}

async fn forged_amounts_are_invalid_input(t: &T) {
    let (m, c) = (t.member("forger"), t.client("forger-phone"));
    assert_eq!(code(&t.push(&m, &c, "checkIn", json!({})).await), "APPLIED");
    let before = t.state(&m).await;
    let forged = [
        ("placeOrder", json!({ "orderId": "f1", "lines": [{ "sku": "oats-1kg", "qty": 1 }], "expectedTotal": 1, "total": 1 })),
        ("placeOrder", json!({ "orderId": "f2", "lines": [{ "sku": "oats-1kg", "qty": 1, "price": 1 }], "expectedTotal": 1 })),
        ("placeOrder", json!({ "orderId": "f3", "lines": [{ "sku": "oats-1kg", "qty": 1 }], "expectedTotal": 4090, "pointsEarned": 100000 })),
        ("checkIn", json!({ "points": 1000 })),
        ("claimCoupon", json!({ "template": "nuts-8", "amount": 99999 })),
        ("creditPoints", json!({ "points": 1000000 })),
        ("redeemReward", json!({ "reward": "coupon-5", "costPoints": 0 })),
    ];
    for (name, args) in forged {
        let o = t.push(&m, &c, name, args.clone()).await;
        assert_eq!(code(&o), "INVALID_INPUT", "{name} {args}");
    }
    assert_eq!(t.state(&m).await, before);
}

async fn a_lower_expected_total_is_price_changed(t: &T) {
    let (m, c) = (t.member("haggler"), t.client("haggler-phone"));
    let real = t.order(&m, "p1", vec![line("protein-1kg", 1)], vec![]).await;
    let Mutation::PlaceOrder { expected_total, .. } = real else { unreachable!() };
    let before = t.state(&m).await;
    let o = t.push(&m, &c, "placeOrder", json!({ "orderId": "p1", "lines": [{ "sku": "protein-1kg", "qty": 1 }], "expectedTotal": 100 })).await;
    assert_eq!(code(&o), "PRICE_CHANGED");
    let StoredOutcome::Rejected { error } = &o else { unreachable!() };
    assert_eq!(error.details["expected"], json!(100));
    assert_eq!(error.details["actual"], json!(expected_total));
    assert_eq!(t.state(&m).await, before);
    // At the real price it goes through.
    assert_eq!(code(&t.intent(&m, &c, &real).await), "APPLIED");
}

async fn one_coupon_from_two_devices_is_used_once(t: &T) {
    let m = t.member("twodevices");
    let (a, b) = (t.client("td-phone"), t.client("td-laptop"));
    assert_eq!(code(&t.push(&m, &a, "claimCoupon", json!({ "template": "pct-90-cap30" })).await), "APPLIED");
    let coupon = t.state(&m).await.coupons[0].id.clone();
    let lines = vec![line("protein-1kg", 1)];
    let on_a = t.order(&m, "from-phone", lines.clone(), vec![coupon.clone()]).await;
    let on_b = t.order(&m, "from-laptop", lines, vec![coupon.clone()]).await;
    assert_eq!(code(&t.intent(&m, &a, &on_a).await), "APPLIED");
    let before = t.state(&m).await;
    // The engine names a coupon already used NOT_FOUND (not among the available ones) or UNUSABLE.
    let second = t.intent(&m, &b, &on_b).await;
    assert_eq!(code(&second), "COUPON_UNUSABLE", "{second:?}");
    assert_eq!(t.state(&m).await, before);
    assert_eq!(before.orders.len(), 1);
}

async fn two_check_ins_in_one_day_with_a_moved_clock(t: &T) {
    let m = t.member("timetraveller");
    let (a, b) = (t.client("tt-phone"), t.client("tt-tablet"));
    assert_eq!(code(&t.push(&m, &a, "checkIn", json!({})).await), "APPLIED");
    let before = t.state(&m).await;
    // The tablet's clock says tomorrow: a time ahead of the server's counts as the server's (§1).
    let last = t.svc.pull(&m, &PullRequest { protocol: PROTOCOL_VERSION, client_id: b.clone(), cookie: None }).await.unwrap().last_mutation_id;
    let moved = PushMutation::sent(last + 1, "checkIn", json!({}), t.now() + DAY + HOUR);
    let r = t.push_raw(&m, &b, vec![moved]).await.unwrap();
    assert_eq!(code(&r.results[0].outcome.original()), "ALREADY_CHECKED_IN");
    assert_eq!(t.state(&m).await, before);
    assert_eq!(before.check_ins.len(), 1);
}

async fn claims_past_quota_or_per_member_limit(t: &T) {
    let template = format!("quota-{}", t.tag);
    let mut codes = Vec::new();
    for who in ["q1", "q2", "q3"] {
        codes.push(code(&t.push(&t.member(who), &t.client(&format!("{who}-phone")), "claimCoupon", json!({ "template": template })).await).to_string());
    }
    assert_eq!(codes, ["APPLIED", "APPLIED", "QUOTA_EXHAUSTED"]);
    let stock = t.svc.stock().await.unwrap();
    assert_eq!(stock.remaining.get(&format!("couponQuota:{template}")), Some(&0));
    let before = t.state(&t.member("q3")).await;
    assert!(before.coupons.is_empty());

    let (m, c) = (t.member("greedy"), t.client("greedy-phone"));
    assert_eq!(code(&t.push(&m, &c, "claimCoupon", json!({ "template": "free-ship" })).await), "APPLIED");
    let before = t.state(&m).await;
    assert_eq!(code(&t.push(&m, &c, "claimCoupon", json!({ "template": "free-ship" })).await), "PER_MEMBER_LIMIT");
    assert_eq!(t.state(&m).await, before);
}

async fn another_members_client_is_refused(t: &T) {
    let (owner, thief) = (t.member("owner"), t.member("thief"));
    let c = t.client("owners-phone");
    assert_eq!(code(&t.push(&owner, &c, "checkIn", json!({})).await), "APPLIED");
    let before = t.state(&owner).await;
    let err = t.push_raw(&thief, &c, vec![PushMutation::sent(2, "claimCoupon", json!({ "template": "nuts-8" }), 0)]).await.unwrap_err();
    assert_eq!((err.status, err.code), (403, "CLIENT_NOT_OWNED"));
    let err = t.svc.pull(&thief, &PullRequest { protocol: PROTOCOL_VERSION, client_id: c.clone(), cookie: None }).await.unwrap_err();
    assert_eq!((err.status, err.code), (403, "CLIENT_NOT_OWNED"));
    assert_eq!(t.state(&owner).await, before);
    // The thief's own pull shows only the thief.
    let own = t.svc.pull(&thief, &PullRequest { protocol: PROTOCOL_VERSION, client_id: t.client("thiefs-phone"), cookie: None }).await.unwrap();
    assert_eq!(own.state.unwrap().member_id, thief);
}

async fn a_reused_mutation_id_is_refused(t: &T) {
    let (m, c) = (t.member("replayer"), t.client("replayer-phone"));
    let made = t.clock.load(Ordering::SeqCst);
    assert_eq!(code(&t.push(&m, &c, "claimCoupon", json!({ "template": "nuts-8" })).await), "APPLIED");
    let before = t.state(&m).await;
    let err = t.push_raw(&m, &c, vec![PushMutation::sent(1, "claimCoupon", json!({ "template": "full-300-50" }), made)]).await.unwrap_err();
    assert_eq!((err.status, err.code), (422, "MUTATION_ID_REUSED"));
    // The same change made at another time is another install's under the same id: refused too.
    let err = t.push_raw(&m, &c, vec![PushMutation::sent(1, "claimCoupon", json!({ "template": "nuts-8" }), made + 99)]).await.unwrap_err();
    assert_eq!((err.status, err.code), (422, "MUTATION_ID_REUSED"));
    // The same payload again (a resend) is a duplicate with the stored original.
    let r = t.push_raw(&m, &c, vec![PushMutation::sent(1, "claimCoupon", json!({ "template": "nuts-8" }), made)]).await.unwrap();
    assert!(matches!(&r.results[0].outcome, siyu_sync::Outcome::Duplicate { original: StoredOutcome::Applied { .. } }));
    // A gap is out of order.
    let err = t.push_raw(&m, &c, vec![PushMutation::sent(5, "checkIn", json!({}), 0)]).await.unwrap_err();
    assert_eq!((err.status, err.code, err.details["expected"].clone()), (409, "OUT_OF_ORDER", json!(2)));
    assert_eq!(t.state(&m).await, before);
}

async fn a_lost_push_reply_is_recovered_by_pull(t: &T) {
    let (m, c) = (t.member("lostreply"), t.client("lostreply-phone"));
    let first = t.svc.pull(&m, &PullRequest { protocol: PROTOCOL_VERSION, client_id: c.clone(), cookie: None }).await.unwrap();
    let _lost = t.push_raw(&m, &c, vec![
        PushMutation::sent(1, "checkIn", json!({}), 0),
        PushMutation::sent(2, "claimCoupon", json!({ "template": "nope" }), 0),
    ]).await.unwrap();
    let again = t.svc.pull(&m, &PullRequest { protocol: PROTOCOL_VERSION, client_id: c.clone(), cookie: Some(first.cookie) }).await.unwrap();
    assert_eq!(again.last_mutation_id, 2);
    assert!(again.cookie > first.cookie);
    assert_eq!(again.results.iter().map(|r| (r.id, code(&r.outcome.original()).to_string())).collect::<Vec<_>>(), vec![(1, "APPLIED".to_string()), (2, "UNKNOWN_TEMPLATE".to_string())]);
    let same = t.svc.pull(&m, &PullRequest { protocol: PROTOCOL_VERSION, client_id: c.clone(), cookie: Some(again.cookie) }).await.unwrap();
    assert!(same.state.is_none() && same.results.is_empty() && same.cookie == again.cookie && !same.reset);
    // A cookie from the future (the data was restored or moved): the whole state, flagged reset.
    let restored = t.svc.pull(&m, &PullRequest { protocol: PROTOCOL_VERSION, client_id: c.clone(), cookie: Some(again.cookie + 1_000) }).await.unwrap();
    assert!(restored.reset && restored.state.is_some() && restored.cookie == again.cookie);
}

/// A cart of tens of thousands of coupon ids or lines (within the 1 MiB body) is refused
/// INVALID_INPUT without running the rules: it costs no seconds of CPU under the member's lock and
/// stores no rejection many times its own size. A retry is a duplicate; the queue moves on.
async fn oversized_intents_are_invalid_input(t: &T) {
    let (m, c) = (t.member("bloater"), t.client("bloater-phone"));
    let before = t.state(&m).await;
    let coupons: Vec<String> = (0..60_000).map(|i| format!("x{i}")).collect();
    let lines: Vec<Value> = (0..20_000).map(|_| json!({ "sku": "oats-1kg", "qty": 999 })).collect();
    let started = std::time::Instant::now();
    let r = t
        .push_raw(&m, &c, vec![
            PushMutation::sent(1, "placeOrder", json!({ "orderId": "b1", "lines": [{ "sku": "oats-1kg", "qty": 1 }], "coupons": coupons, "expectedTotal": 1 }), 0),
            PushMutation::sent(2, "placeOrder", json!({ "orderId": "b2", "lines": lines, "expectedTotal": 1 }), 0),
            PushMutation::sent(3, &"x".repeat(10_000), json!({}), 0),
            PushMutation::sent(4, "checkIn", json!({}), 0),
        ])
        .await
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());
    let outcomes: Vec<StoredOutcome> = r.results.iter().map(|x| x.outcome.original()).collect();
    assert_eq!(outcomes.iter().map(|o| code(o)).collect::<Vec<_>>(), ["INVALID_INPUT", "INVALID_INPUT", "INVALID_INPUT", "APPLIED"]);
    let StoredOutcome::Rejected { error } = &outcomes[1] else { unreachable!() };
    assert_eq!((error.details["path"].clone(), error.details["maxArgsBytes"].clone()), (json!("args"), json!(siyu_server::service::MAX_ARGS_BYTES)));
    assert!(serde_json::to_string(error).unwrap().len() < 1024, "the stored rejection stays small");
    let StoredOutcome::Rejected { error } = &outcomes[2] else { unreachable!() };
    assert_eq!(error.details["path"], json!("name"));
    let after = t.state(&m).await;
    assert_eq!((after.orders.len(), after.check_ins.len()), (before.orders.len(), 1));
    // A retry of the whole batch is answered from storage.
    let again = t
        .push_raw(&m, &c, vec![PushMutation::sent(1, "placeOrder", json!({ "orderId": "b1", "lines": [{ "sku": "oats-1kg", "qty": 1 }], "coupons": (0..60_000).map(|i| format!("x{i}")).collect::<Vec<_>>(), "expectedTotal": 1 }), 0)])
        .await
        .unwrap();
    assert!(matches!(&again.results[0].outcome, siyu_sync::Outcome::Duplicate { original: StoredOutcome::Rejected { .. } }));
    // An intent just under the size limit is still decided by the rules: here the cap of 100 lines
    // a cart; 100 lines are priced.
    let p = t.push(&m, &c, "placeOrder", json!({ "orderId": "fits", "lines": (0..300).map(|_| json!({ "sku": "oats-1kg", "qty": 1 })).collect::<Vec<_>>(), "expectedTotal": 1 })).await;
    assert_eq!(code(&p), "TOO_MANY_LINES");
    let p = t.push(&m, &c, "placeOrder", json!({ "orderId": "fits", "lines": (0..100).map(|_| json!({ "sku": "oats-1kg", "qty": 1 })).collect::<Vec<_>>(), "expectedTotal": 1 })).await;
    assert_eq!(code(&p), "PRICE_CHANGED");
}

/// The schema's natural keys back the engine up: a check-in row already recorded for today (as if
/// the state had been lost) refuses a second one as CONFLICT, and the rest of the batch still goes
/// through.
async fn guards_back_up_the_engine(t: &T) {
    let (m, c) = (t.member("guarded"), t.client("guarded-phone"));
    t.svc.ensure_member(&m).await.unwrap();
    let db = &t.svc.db;
    let today = t.svc.program().business_day(t.now()).to_string();
    sqlx::query(&db.sql("INSERT INTO check_ins (member_id, business_day, kind, at) VALUES ($1, $2, 'normal', 0)"))
        .bind(m.as_str())
        .bind(today.as_str())
        .execute(&db.pool)
        .await
        .unwrap();
    let before = t.state(&m).await;
    let r = t
        .push_raw(&m, &c, vec![
            PushMutation::sent(1, "checkIn", json!({}), 0),
            PushMutation::sent(2, "claimCoupon", json!({ "template": "nuts-8" }), 0),
        ])
        .await
        .unwrap();
    let codes: Vec<String> = r.results.iter().map(|x| code(&x.outcome.original()).to_string()).collect();
    assert_eq!(codes, ["CONFLICT", "APPLIED"]);
    let after = t.state(&m).await;
    assert_eq!(after.check_ins, before.check_ins);
    assert!(after.lots.is_empty());
    assert_eq!(after.coupons.len(), 1);
}

async fn suite(url: &str, tag: String) {
    let (svc, clock) = service_on(url, test_program(&tag), START, config()).await;
    let t = T { svc, clock, tag };
    forged_amounts_are_invalid_input(&t).await;
    a_lower_expected_total_is_price_changed(&t).await;
    one_coupon_from_two_devices_is_used_once(&t).await;
    two_check_ins_in_one_day_with_a_moved_clock(&t).await;
    claims_past_quota_or_per_member_limit(&t).await;
    another_members_client_is_refused(&t).await;
    a_reused_mutation_id_is_refused(&t).await;
    a_lost_push_reply_is_recovered_by_pull(&t).await;
    guards_back_up_the_engine(&t).await;
    oversized_intents_are_invalid_input(&t).await;
}

#[tokio::test]
async fn tamper_suite_on_sqlite() {
    suite("sqlite::memory:", run_tag()).await;
}

#[tokio::test]
async fn tamper_suite_on_sqlite_file() {
    suite(&sqlite_file_url("tamper"), format!("f{}", run_tag())).await;
}

#[tokio::test]
async fn tamper_suite_on_postgres() {
    if let Some(url) = postgres_url("tamper_suite_on_postgres") {
        suite(&url, format!("pg{}", run_tag())).await;
    }
}
