//! WeChat Pay API v3 (JSAPI) against the local simulator (tests/support/wechatpay_sim.rs): real
//! RSA keys and signatures and real AES-256-GCM, made at test time. On SQLite and PostgreSQL:
//! pay; the wrong amount (nothing changes); a duplicate notification (one payment); a lost one
//! (the query at the deadline finds it); a forged one (refused); a late payment (not applied,
//! reported); the refund of a paid order through the refund call. The clock is manual and pinned
//! at START (Monday 2 March 2026, 10:00 China time); the simulator signs with the same clock.

mod common;
#[path = "support/wechatpay_sim.rs"]
mod wechatpay_sim;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use common::*;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::Verifier;
use siyu_core::apply::{Mutation, STORE_CLIENT};
use siyu_core::quote::{CouponChoice, PointsChoice, QuoteRequest};
use siyu_core::state::{OrderLine, OrderStatus};
use siyu_server::auth::Signer;
use siyu_server::payment::wechatpay::{out_trade_no, WechatPay};
use siyu_server::{Clock, Config, Db, Service};
use siyu_sync::replica::Mall;
use siyu_sync::Outcome;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tower::ServiceExt;
use wechatpay_sim::{Notification, Sim, APPID};

const MINUTE: i64 = 60_000;

async fn service_with_wechatpay(url: &str, tag: &str) -> (Arc<Service>, Arc<AtomicI64>, Sim) {
    let db = Db::connect(url, 16).await.unwrap();
    let (clock, now) = Clock::manual(START);
    let sim = Sim::start(now.clone()).await;
    let seconds = now.clone();
    let provider = WechatPay::new(sim.config("https://shop.example.com/api/payments/wechatpay/notify"), Arc::new(move || seconds.load(Ordering::SeqCst).div_euclid(1000))).unwrap();
    let config = Config { payment: Some(Arc::new(provider)), ..config() };
    let svc = Service::new(db, test_program(&format!("wx{tag}")), Signer::new(b"test-secret".to_vec()), clock, config).await.unwrap();
    (svc, now, sim)
}

async fn placed(svc: &Service, member: &str, order_id: &str, now: i64) -> (Mall, i64) {
    let program = svc.program();
    let mut phone = Mall::new((*program).clone(), member, &format!("{member}-{order_id}"), now);
    let first = svc.pull(member, &phone.pull_request()).await.unwrap();
    phone.on_pull_response(&first, now, now);
    let lines = vec![OrderLine { sku: "protein-1kg".into(), qty: 1 }];
    let request = QuoteRequest { lines: lines.clone(), coupons: CouponChoice::Chosen(vec![]), points: PointsChoice::Amount(0) };
    let quote = siyu_core::quote::quote(&program, phone.state(), phone.stock(), &request, now).unwrap();
    phone.mutate(Mutation::PlaceOrder { order_id: order_id.into(), lines, coupons: vec![], points: 0, expected_total: quote.total }, now).unwrap();
    let reply = svc.push(member, &phone.push_request()).await.unwrap();
    assert!(matches!(reply.results[0].outcome, Outcome::Applied { .. }), "{:?}", reply.results[0]);
    phone.on_push_response(&reply);
    (phone, quote.total)
}

/// Posts a notification to the server's endpoint as WeChat Pay would.
async fn deliver(svc: &Arc<Service>, n: &Notification) -> StatusCode {
    let mut request = Request::post("/api/payments/wechatpay/notify").header("content-type", "application/json");
    for (name, value) in &n.headers {
        request = request.header(*name, value.as_str());
    }
    let response = siyu_server::http::api_router(svc.clone()).oneshot(request.body(Body::from(n.body.clone())).unwrap()).await.unwrap();
    response.status()
}

async fn status_of(svc: &Service, member: &str, order_id: &str) -> OrderStatus {
    svc.member_state(member).await.unwrap().unwrap().1.order(order_id).unwrap().status
}

async fn wechat_pay_end_to_end(url: &str, tag: &str) {
    let (svc, clock, sim) = service_with_wechatpay(url, tag).await;
    let member = format!("wx-{tag}");

    // Prepay: the exact total, the order's out_trade_no, its deadline, the payer's openid; the
    // answer is what wx.requestPayment takes, signed with the merchant key.
    let (mut phone, total) = placed(&svc, &member, "o1", START).await;
    let started = svc.pay(&member, "o1", Some("o-openid-1")).await.unwrap();
    let reference = out_trade_no(&member, "o1");
    let order = sim.order(&reference).expect("the simulator got the prepay");
    assert_eq!((order.amount, order.openid.as_str(), order.time_expire.as_str()), (total, "o-openid-1", "2026-03-02T10:15:00+08:00"));
    assert_eq!(started["provider"], "wechatpay");
    let params = &started["requestPayment"];
    assert_eq!(params["package"], format!("prepay_id={}", order.prepay_id));
    assert_eq!(params["signType"], "RSA");
    let merchant = rsa::RsaPrivateKey::from_pkcs8_pem(&sim.config("").merchant_key_pem).unwrap().to_public_key();
    let message = format!("{APPID}\n{}\n{}\n{}\n", params["timeStamp"].as_str().unwrap(), params["nonceStr"].as_str().unwrap(), params["package"].as_str().unwrap());
    let pay_sign = base64::engine::general_purpose::STANDARD.decode(params["paySign"].as_str().unwrap()).unwrap();
    VerifyingKey::<rsa::sha2::Sha256>::new(merchant).verify(message.as_bytes(), &Signature::try_from(pay_sign.as_slice()).unwrap()).expect("paySign verifies");

    // A forged notification (the body changed after signing) and one signed by another key are
    // refused; nothing changes.
    let paid = sim.pay(&reference, total);
    let forged = Notification { headers: paid.headers.clone(), body: paid.body.replace("encrypt-resource", "encrypt-resourcE") };
    assert_eq!(deliver(&svc, &forged).await, StatusCode::UNAUTHORIZED);
    let mut other_serial = Notification { headers: paid.headers.clone(), body: paid.body.clone() };
    other_serial.headers.retain(|(n, _)| *n != "wechatpay-serial");
    other_serial.headers.push(("wechatpay-serial", "PUB_KEY_ID_SOMEONE_ELSE".into()));
    assert_eq!(deliver(&svc, &other_serial).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status_of(&svc, &member, "o1").await, OrderStatus::AwaitingPayment);

    // The genuine notification: paid; the same one again: still one payment.
    clock.store(START + 2 * MINUTE, Ordering::SeqCst);
    assert_eq!(deliver(&svc, &paid).await, StatusCode::NO_CONTENT);
    assert_eq!(deliver(&svc, &paid).await, StatusCode::NO_CONTENT);
    let state = svc.member_state(&member).await.unwrap().unwrap().1;
    let o1 = state.order("o1").unwrap();
    assert_eq!(o1.status, OrderStatus::Paid);
    assert_eq!(o1.transaction_id.as_deref(), sim.order(&reference).unwrap().paid.as_ref().map(|(t, _)| t.as_str()));
    let decided = siyu_server::store::decided(&svc.db, &member, STORE_CLIENT, 1, 100).await.unwrap();
    assert_eq!(decided.iter().filter(|d| d.name == "confirmPayment").count(), 1, "one payment");
    assert!(siyu_server::store::payment_reports(&svc.db, &member, "o1").await.unwrap().is_empty());

    // The wrong amount: nothing changes, reported.
    let (_, total2) = placed(&svc, &member, "o2", START + 3 * MINUTE).await;
    svc.pay(&member, "o2", None).await.unwrap();
    let short = sim.pay(&out_trade_no(&member, "o2"), total2 - 100);
    assert_eq!(deliver(&svc, &short).await, StatusCode::NO_CONTENT);
    assert_eq!(status_of(&svc, &member, "o2").await, OrderStatus::AwaitingPayment);
    let reports = siyu_server::store::payment_reports(&svc.db, &member, "o2").await.unwrap();
    assert_eq!(reports.iter().map(|r| (r.1, r.2.as_str())).collect::<Vec<_>>(), vec![(total2 - 100, "PAYMENT_AMOUNT_MISMATCH")]);

    // A lost notification: paid at WeChat Pay, never notified; the query at the deadline finds
    // it, so the order is paid instead of cancelled.
    let (_, total3) = placed(&svc, &member, "o3", START + 3 * MINUTE).await;
    svc.pay(&member, "o3", None).await.unwrap();
    let _lost = sim.pay(&out_trade_no(&member, "o3"), total3);
    // A late payment: nobody pays o4 before its deadline.
    let (_, total4) = placed(&svc, &member, "o4", START + 3 * MINUTE).await;
    svc.pay(&member, "o4", None).await.unwrap();
    clock.store(START + 19 * MINUTE, Ordering::SeqCst);
    svc.sweep_expired().await.unwrap();
    assert_eq!(status_of(&svc, &member, "o3").await, OrderStatus::Paid, "the query found the payment");
    assert_eq!(status_of(&svc, &member, "o4").await, OrderStatus::Cancelled);
    // o2 (paid short) was not paid: cancelled too.
    assert_eq!(status_of(&svc, &member, "o2").await, OrderStatus::Cancelled);
    // o4 is paid after all, too late: not applied, reported for refund.
    let late = sim.pay(&out_trade_no(&member, "o4"), total4);
    assert_eq!(deliver(&svc, &late).await, StatusCode::NO_CONTENT);
    assert_eq!(status_of(&svc, &member, "o4").await, OrderStatus::Cancelled);
    let reports = siyu_server::store::payment_reports(&svc.db, &member, "o4").await.unwrap();
    assert_eq!(reports.iter().map(|r| (r.1, r.2.as_str())).collect::<Vec<_>>(), vec![(total4, "ORDER_NOT_AWAITING_PAYMENT")]);

    // The member refunds o1: the payment goes back through the refund call.
    let now = START + 20 * MINUTE;
    let pulled = svc.pull(&member, &phone.pull_request()).await.unwrap();
    phone.on_pull_response(&pulled, now, now);
    phone.mutate(Mutation::RefundOrder { order_id: "o1".into() }, now).unwrap();
    let reply = svc.push(&member, &phone.push_request()).await.unwrap();
    assert!(matches!(reply.results[0].outcome, Outcome::Applied { .. }), "{:?}", reply.results[0]);
    let refunds = sim.refunds();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0]["out_trade_no"], reference);
    assert_eq!((refunds[0]["amount"]["refund"].as_i64(), refunds[0]["amount"]["total"].as_i64()), (Some(total), Some(total)));
    assert_eq!(sim.refused(), 0, "every request the server made was signed right");
}

#[tokio::test]
async fn wechat_pay_on_sqlite() {
    wechat_pay_end_to_end("sqlite::memory:", "sqlite").await;
}

#[tokio::test]
async fn wechat_pay_on_postgres() {
    let Some(url) = postgres_url("wechat_pay_on_postgres") else { return };
    wechat_pay_end_to_end(&url, &format!("pg{}", run_tag())).await;
}
