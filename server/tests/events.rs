//! Events out on the server (docs/events.md): every applied decision's events reach a webhook
//! receiver that is down for a while, signed, each member's in decision order, duplicates only
//! with the same id; what the receiver got is exactly what the outbox holds. On SQLite and
//! PostgreSQL; the business clock is manual (START), retries wait real time (1 s, 2 s).

mod common;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::*;
use serde_json::Value;
use siyu_core::apply::Mutation;
use siyu_core::state::OrderLine;
use siyu_server::events::{signature, Webhooks};
use siyu_server::{Config, Service};
use siyu_sync::replica::Mall;
use sqlx::Row;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const SECRET: &[u8] = b"webhook-secret-0123456789";

/// A receiver that answers 503 to its first `down_for` requests, then records what it takes.
struct Receiver {
    url: String,
    calls: AtomicUsize,
    down_for: usize,
    received: Mutex<Vec<(String, Value)>>,
}

async fn receiver(down_for: usize) -> Arc<Receiver> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let r = Arc::new(Receiver { url, calls: AtomicUsize::new(0), down_for, received: Mutex::new(Vec::new()) });
    let state = r.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let r = state.clone();
            async move {
                if r.calls.fetch_add(1, Ordering::SeqCst) < r.down_for {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                let text = String::from_utf8(body.to_vec()).unwrap();
                let timestamp: i64 = headers["siyu-timestamp"].to_str().unwrap().parse().unwrap();
                // The signature is over the timestamp and the exact body.
                assert_eq!(headers["siyu-signature"].to_str().unwrap(), signature(SECRET, timestamp, &text));
                let event: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(headers["siyu-event-id"].to_str().unwrap(), event["id"].as_str().unwrap());
                r.received.lock().unwrap().push((event["id"].as_str().unwrap().to_string(), event));
                StatusCode::NO_CONTENT
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    r
}

async fn push(svc: &Service, phone: &mut Mall, mutation: Mutation) {
    let now = svc.now();
    let member = phone.state().member_id.clone();
    phone.mutate(mutation, now).unwrap();
    let reply = svc.push(&member, &phone.push_request()).await.unwrap();
    phone.on_push_response(&reply);
}

async fn events_reach_a_receiver(url: &str, tag: &str) {
    let hook = receiver(3).await;
    let config = Config { webhooks: Some(Webhooks { urls: vec![hook.url.clone()], secret: SECRET.to_vec() }), ..config() };
    let (svc, clock) = service_on(url, test_program(tag), START, config).await;
    // Two members, each a day of changes: check-in, an order paid by the store, a refund.
    for k in 0..2 {
        let member = format!("ev-{tag}-{k}");
        let mut p = phone(&svc, &member, "a").await;
        push(&svc, &mut p, Mutation::CheckIn {}).await;
        let lines = vec![OrderLine { sku: "protein-1kg".into(), qty: 1 }];
        let request = siyu_core::QuoteRequest { lines: lines.clone(), coupons: siyu_core::quote::CouponChoice::default(), points: siyu_core::quote::PointsChoice::Amount(0) };
        let quote = siyu_core::quote::quote(&svc.program(), p.state(), p.stock(), &request, svc.now()).unwrap();
        push(&svc, &mut p, Mutation::PlaceOrder { order_id: "o1".into(), lines, coupons: quote.coupons.iter().map(|c| c.id.clone()).collect(), points: 0, expected_total: quote.total }).await;
        svc.decide_for_store(&member, Mutation::ConfirmPayment { order_id: "o1".into(), amount: quote.total, transaction_id: Some(format!("tx-{k}")) }).await.unwrap();
        svc.decide_for_store(&member, Mutation::GrantPoints { points: 50, reason: "门店补录".into() }).await.unwrap();
        pull(&svc, &mut p).await;
        push(&svc, &mut p, Mutation::RefundOrder { order_id: "o1".into() }).await;
    }
    // The receiver is down for the first three tries: rounds go on until the outbox is empty.
    let started = std::time::Instant::now();
    while svc.undelivered_events().await.unwrap() > 0 {
        assert!(started.elapsed().as_secs() < 30, "events still undelivered after 30 s");
        svc.deliver_events().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // Exactly what the outbox holds, in decision order per member.
    let rows = sqlx::query(&svc.db.sql("SELECT event_id, member_id, body FROM events WHERE member_id LIKE $1 ORDER BY member_id, seq, n"))
        .bind(format!("ev-{tag}-%"))
        .fetch_all(&svc.db.pool)
        .await
        .unwrap();
    let outbox: Vec<(String, String, Value)> =
        rows.iter().map(|r| (r.get::<String, _>("event_id"), r.get::<String, _>("member_id"), serde_json::from_str(&r.get::<String, _>("body")).unwrap())).collect();
    // (A shared database may hold other runs' deliveries to the same address: only this run's
    // members are counted.)
    let ours = |id: &String| id.starts_with(&format!("ev-{tag}-"));
    let received: Vec<(String, Value)> = hook.received.lock().unwrap().iter().filter(|(id, _)| ours(id)).cloned().collect();
    let mut first_seen: HashMap<String, Vec<String>> = HashMap::new();
    let mut by_id: HashMap<String, Value> = HashMap::new();
    for (id, event) in &received {
        if let Some(same) = by_id.get(id) {
            assert_eq!(same, event, "a duplicate is the same event");
            continue;
        }
        by_id.insert(id.clone(), event.clone());
        first_seen.entry(event["memberId"].as_str().unwrap().to_string()).or_default().push(id.clone());
    }
    for (id, member, body) in &outbox {
        assert_eq!(by_id.get(id), Some(body), "event {id} delivered as decided");
        assert!(first_seen[member].contains(id));
    }
    assert_eq!(by_id.len(), outbox.len(), "nothing delivered that the outbox does not hold");
    for k in 0..2 {
        let member = format!("ev-{tag}-{k}");
        let expected: Vec<String> = outbox.iter().filter(|(_, m, _)| *m == member).map(|(id, _, _)| id.clone()).collect();
        assert_eq!(first_seen[&member], expected, "{member}'s events in decision order");
        let types: Vec<&str> = outbox.iter().filter(|(_, m, _)| *m == member).map(|(_, _, b)| b["type"].as_str().unwrap()).collect();
        for kind in ["points.credited", "order.placed", "order.paid", "order.refunded", "points.debited"] {
            assert!(types.contains(&kind), "{member} has a {kind} event: {types:?}");
        }
    }
    assert!(hook.calls.load(Ordering::SeqCst) > received.len(), "the receiver was down for a while");

    // An expiry is no decision: the sweep tells it once the business clock passes it, once.
    let member = format!("ev-{tag}-0");
    let (_, state) = svc.member_state(&member).await.unwrap().unwrap();
    let expires_at = state.lots.iter().filter(|l| l.remaining > 0).filter_map(|l| l.expires_at).min().unwrap();
    let left: i64 = state.lots.iter().filter(|l| l.remaining > 0 && l.expires_at == Some(expires_at)).map(|l| l.remaining).sum();
    clock.store(expires_at - 1, Ordering::SeqCst);
    assert_eq!(svc.sweep_expired_points().await.unwrap(), 0, "not before its end");
    clock.store(expires_at, Ordering::SeqCst);
    let told = svc.sweep_expired_points().await.unwrap();
    assert!(told >= 1);
    assert_eq!(svc.sweep_expired_points().await.unwrap(), 0, "told once");
    while svc.undelivered_events().await.unwrap() > 0 {
        assert!(started.elapsed().as_secs() < 60, "expiry events still undelivered");
        svc.deliver_events().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let received = hook.received.lock().unwrap().clone();
    let expired = received.iter().find(|(id, _)| *id == format!("{member}/expired/{expires_at}")).map(|(_, e)| e.clone()).expect("points.expired delivered");
    assert_eq!(expired["type"], "points.expired");
    assert_eq!((expired["data"]["points"].as_i64(), expired["at"].as_i64()), (Some(left), Some(expires_at)));
}

#[tokio::test]
async fn events_on_sqlite() {
    events_reach_a_receiver(&sqlite_file_url("events"), "sqlite").await;
}

#[tokio::test]
async fn events_on_postgres() {
    let Some(url) = postgres_url("events_on_postgres") else { return };
    events_reach_a_receiver(&url, &format!("pg{}", run_tag())).await;
}
