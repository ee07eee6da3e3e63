//! Rulebook §15 on the server: the operator's changes through the admin API — points granted and
//! deducted with a reason, a coupon issued and revoked, a segment campaign — each decided by the
//! engine as a mutation of the store's client and reaching a second device of the member by pull;
//! a campaign over many members, interrupted and run again, by two servers at once, issues each
//! coupon once. On SQLite and PostgreSQL; the clock is manual and pinned at START (Monday 2 March
//! 2026, 10:00 China time).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use serde_json::{json, Value};
use siyu_core::apply::Mutation;
use siyu_core::state::{CouponState, OrderLine};
use siyu_server::http::api_router;
use siyu_server::Service;
use siyu_sync::replica::Mall;
use siyu_sync::Outcome;
use std::sync::Arc;
use tower::ServiceExt;

const ADMIN: &str = "admin-secret";

/// The demo program plus a campaign template of this run (`winback-<tag>`).
fn operator_program(tag: &str) -> siyu_core::Program {
    let mut p = program_json();
    p["couponTemplates"].as_array_mut().unwrap().push(json!({
        "id": format!("winback-{tag}"),
        "name": "回归礼 ¥15",
        "kind": { "type": "amountOff", "amount": 1500 },
        "minSpend": 9900,
        "stackGroup": "order",
        "validity": { "type": "relative", "days": 14, "fromNextDay": false }
    }));
    siyu_core::Program::from_json(&p.to_string()).unwrap()
}

async fn admin(svc: &Arc<Service>, method: &str, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(path).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let body = if body.is_null() { Body::empty() } else { Body::from(body.to_string()) };
    let response = api_router(svc.clone()).oneshot(req.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn quote_of(svc: &Service, phone: &Mall, lines: &[OrderLine], coupons: Vec<String>) -> siyu_core::Quote {
    let request = siyu_core::QuoteRequest { lines: lines.to_vec(), coupons: siyu_core::quote::CouponChoice::Chosen(coupons), points: siyu_core::quote::PointsChoice::Amount(0) };
    siyu_core::quote::quote(&svc.program(), phone.state(), phone.stock(), &request, svc.now()).unwrap()
}

async fn push(svc: &Service, phone: &mut Mall, mutation: Mutation) {
    let now = svc.now();
    let member = phone.state().member_id.clone();
    phone.mutate(mutation, now).unwrap();
    let reply = svc.push(&member, &phone.push_request()).await.unwrap();
    assert!(matches!(reply.results.last().unwrap().outcome, Outcome::Applied { .. }), "{:?}", reply.results);
    phone.on_push_response(&reply);
}

/// Points and coupons changed by the operator reach the member's other phone by pull; what does
/// not apply is refused with the engine's code.
async fn operator_changes_reach_a_second_device(svc: Arc<Service>, tag: &str) {
    let member = format!("op-{tag}");
    let mut first = phone(&svc, &member, "a").await;
    push(&svc, &mut first, Mutation::CheckIn {}).await;
    let mut second = phone(&svc, &member, "b").await;
    let now = svc.now();
    let base = siyu_core::points::balance(second.state(), now);
    let path = |rest: &str| format!("/api/admin/members/{member}{rest}");

    // Grant: at once (no refund can cancel it), with the reason on the ledger.
    let (st, v) = admin(&svc, "POST", &path("/points"), Some(ADMIN), json!({ "delta": 500, "reason": "门店消费补积分" })).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["effects"][0]["type"], "pointsCredited");
    pull(&svc, &mut second).await;
    assert_eq!(siyu_core::points::balance(second.state(), now), base + 500);
    assert_eq!(second.state().ledger.last().unwrap().reason, "operator:门店消费补积分");
    // Deduct: never below zero.
    let (st, v) = admin(&svc, "POST", &path("/points"), Some(ADMIN), json!({ "delta": -(base + 501), "reason": "误发" })).await;
    assert_eq!((st, v["code"].as_str()), (StatusCode::CONFLICT, Some("INSUFFICIENT_POINTS")), "{v}");
    assert_eq!(v["details"], json!({ "needed": base + 501, "balance": base + 500 }));
    let (st, _) = admin(&svc, "POST", &path("/points"), Some(ADMIN), json!({ "delta": -100, "reason": "误发" })).await;
    assert_eq!(st, StatusCode::OK);
    pull(&svc, &mut second).await;
    assert_eq!(siyu_core::points::balance(second.state(), now), base + 400);

    // Issue a coupon; the member's other phone has it after a pull.
    let template = format!("winback-{tag}");
    let (st, v) = admin(&svc, "POST", &path("/coupons"), Some(ADMIN), json!({ "template": template })).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let coupon = v["effects"][0]["coupon"]["id"].as_str().unwrap().to_string();
    assert_eq!(v["effects"][0]["coupon"]["source"], "operator");
    pull(&svc, &mut second).await;
    assert!(matches!(second.state().coupon(&coupon).map(|c| &c.state), Some(CouponState::Available)));
    // Revoke it: gone from the wallet of both phones.
    let (st, v) = admin(&svc, "POST", &path(&format!("/coupons/{coupon}/revoke")), Some(ADMIN), json!({ "reason": "误发" })).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["effects"][0], json!({ "type": "couponWithdrawn", "coupon": coupon, "reason": "误发", "at": now }));
    pull(&svc, &mut second).await;
    pull(&svc, &mut first).await;
    assert!(second.state().coupon(&coupon).is_none() && first.state().coupon(&coupon).is_none());
    let (st, v) = admin(&svc, "POST", &path(&format!("/coupons/{coupon}/revoke")), Some(ADMIN), json!({ "reason": "again" })).await;
    assert_eq!((st, v["code"].as_str()), (StatusCode::CONFLICT, Some("COUPON_NOT_FOUND")));

    // A coupon held by an order awaiting payment is not revocable.
    let (_, v) = admin(&svc, "POST", &path("/coupons"), Some(ADMIN), json!({ "template": template })).await;
    let held = v["effects"][0]["coupon"]["id"].as_str().unwrap().to_string();
    pull(&svc, &mut first).await;
    let lines = vec![OrderLine { sku: "protein-1kg".into(), qty: 1 }];
    let quote = quote_of(&svc, &first, &lines, vec![held.clone()]);
    assert_eq!(quote.coupons.len(), 1, "the coupon applies to the order");
    push(&svc, &mut first, Mutation::PlaceOrder { order_id: "o1".into(), lines, coupons: vec![held.clone()], points: 0, expected_total: quote.total }).await;
    let (st, v) = admin(&svc, "POST", &path(&format!("/coupons/{held}/revoke")), Some(ADMIN), json!({ "reason": "误发" })).await;
    assert_eq!((st, v["code"].as_str(), v["details"]["status"].as_str()), (StatusCode::CONFLICT, Some("COUPON_NOT_REVOCABLE"), Some("locked")));

    // The admin token, the member and the body are checked.
    let (st, _) = admin(&svc, "POST", &path("/points"), None, json!({ "delta": 5, "reason": "x" })).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let member_token = svc.signer.issue(&member, siyu_server::clock::system_now_ms());
    let (st, _) = admin(&svc, "POST", &path("/points"), Some(&member_token), json!({ "delta": 5, "reason": "x" })).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "a member's token is not the admin's");
    let (st, v) = admin(&svc, "POST", &format!("/api/admin/members/nobody-{tag}/points"), Some(ADMIN), json!({ "delta": 5, "reason": "x" })).await;
    assert_eq!((st, v["code"].as_str()), (StatusCode::NOT_FOUND, Some("MEMBER_NOT_FOUND")));
    let (st, v) = admin(&svc, "POST", &path("/points"), Some(ADMIN), json!({ "delta": 5, "reason": "" })).await;
    assert_eq!((st, v["code"].as_str(), v["details"]["path"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("INVALID_INPUT"), Some("reason")));
    let (st, _) = admin(&svc, "POST", &path("/points"), Some(ADMIN), json!({ "delta": 0, "reason": "x" })).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    // A device cannot send the operator's mutations.
    let e = first.mutate(Mutation::GrantPoints { points: 1_000, reason: "me".into() }, now).unwrap_err();
    assert_eq!(e.code(), "STORE_ONLY");
}

/// `members` members of this run: every third one has paid an order (lifecycle `new`), the
/// others are prospects.
async fn members_of_the_run(svc: &Arc<Service>, tag: &str, members: usize) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for i in 0..members {
        let member = format!("camp-{tag}-{i:03}");
        let mut p = phone(svc, &member, "p").await;
        let ordered = i % 3 == 0;
        if ordered {
            let lines = vec![OrderLine { sku: "oats-1kg".into(), qty: 1 }];
            let quote = quote_of(svc, &p, &lines, vec![]);
            push(svc, &mut p, Mutation::PlaceOrder { order_id: "o1".into(), lines, coupons: vec![], points: 0, expected_total: quote.total }).await;
            svc.payment_result(&member, "o1", quote.total, &format!("tx-{member}")).await.unwrap();
        } else {
            push(svc, &mut p, Mutation::CheckIn {}).await;
        }
        out.push((member, ordered));
    }
    out
}

/// How many coupons of the campaign each member holds (state and archive: the issue rows).
async fn campaign_coupons(svc: &Service, member: &str, campaign: &str) -> usize {
    let (_, state) = svc.member_state(member).await.unwrap().unwrap();
    state.coupons.iter().filter(|c| c.source == format!("campaign:{campaign}")).count()
}

async fn wait_finished(svc: &Arc<Service>, campaign: &str) -> Value {
    for _ in 0..600 {
        let (st, v) = admin(svc, "GET", &format!("/api/admin/campaigns/{campaign}"), Some(ADMIN), Value::Null).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        if !v["finishedAt"].is_null() {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("campaign {campaign} did not finish");
}

/// A campaign to the prospects: started twice through the API, then (as if a server had died
/// before saving its cursor) run again from the start by two servers at once: each prospect of
/// the run holds exactly one coupon of it, the members who ordered none.
async fn a_campaign_issues_each_coupon_once(one: Arc<Service>, two: Arc<Service>, tag: &str) {
    let members = members_of_the_run(&one, tag, 45).await;
    let campaign = format!("winback-{tag}");
    let body = json!({ "id": campaign, "template": format!("winback-{tag}"), "segment": "lifecycle.prospect" });
    let (st, v) = admin(&one, "POST", "/api/admin/campaigns", Some(ADMIN), body.clone()).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let done = wait_finished(&one, &campaign).await;
    let (st, again) = admin(&one, "POST", "/api/admin/campaigns", Some(ADMIN), body.clone()).await;
    assert_eq!((st, again["finishedAt"].clone()), (StatusCode::ACCEPTED, done["finishedAt"].clone()), "a finished campaign stays finished");
    // Interrupted before its cursor was saved: both servers run it from the start.
    sqlx::query(&one.db.sql("UPDATE campaigns SET cursor = '', finished_at = NULL WHERE campaign_id = $1")).bind(&campaign).execute(&one.db.pool).await.unwrap();
    let (a, b) = tokio::join!(one.run_campaign(&campaign), two.run_campaign(&campaign));
    a.unwrap();
    b.unwrap();
    for (member, ordered) in &members {
        assert_eq!(campaign_coupons(&one, member, &campaign).await, usize::from(!ordered), "{member}");
    }
    let prospects = members.iter().filter(|(_, ordered)| !ordered).count() as i64;
    let progress = wait_finished(&one, &campaign).await;
    assert!(progress["issued"].as_i64().unwrap() >= prospects && progress["seen"].as_i64().unwrap() >= members.len() as i64, "{progress}");
    // The same id for another segment is another campaign: refused.
    let (st, v) = admin(&one, "POST", "/api/admin/campaigns", Some(ADMIN), json!({ "id": campaign, "template": format!("winback-{tag}"), "segment": "lifecycle.loyal" })).await;
    assert_eq!((st, v["code"].as_str()), (StatusCode::CONFLICT, Some("CAMPAIGN_CONFLICT")));
    let (st, v) = admin(&one, "POST", "/api/admin/campaigns", Some(ADMIN), json!({ "id": "x", "template": "nope", "segment": "lifecycle.prospect" })).await;
    assert_eq!((st, v["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("UNKNOWN_TEMPLATE")));
    let (st, v) = admin(&one, "POST", "/api/admin/campaigns", Some(ADMIN), json!({ "id": "x", "template": format!("winback-{tag}"), "segment": "lifecycle.sleepy" })).await;
    assert_eq!((st, v["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("INVALID_INPUT")));
    // A member's device cannot claim a campaign's coupon for itself, and a member who got it
    // is not given a second by a direct issue with the campaign.
    let (member, _) = members.iter().find(|(_, ordered)| !ordered).unwrap();
    let repeat = Mutation::IssueCoupon { template: format!("winback-{tag}"), campaign: Some(campaign.clone()), segment: None };
    match one.decide_for_store(member, repeat).await.unwrap() {
        siyu_sync::StoredOutcome::Rejected { error } => assert_eq!(error.code, "CAMPAIGN_ALREADY_ISSUED"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn operator_on_sqlite() {
    let tag = "sqlite";
    let url = sqlite_file_url("operator");
    let (one, _) = service_on(&url, operator_program(tag), START, config()).await;
    let (two, _) = service_on(&url, operator_program(tag), START, config()).await;
    operator_changes_reach_a_second_device(one.clone(), tag).await;
    a_campaign_issues_each_coupon_once(one, two, tag).await;
}

#[tokio::test]
async fn operator_on_postgres() {
    let Some(url) = postgres_url("operator_on_postgres") else { return };
    let tag = format!("pg{}", run_tag());
    let (one, _) = service_on(&url, operator_program(&tag), START, config()).await;
    let (two, _) = service_on(&url, operator_program(&tag), START, config()).await;
    operator_changes_reach_a_second_device(one.clone(), &tag).await;
    a_campaign_issues_each_coupon_once(one, two, &tag).await;
}
